/** The families of a gRPC health probe, in blackbox_exporter's names and meanings. */
import type { ResultFamily } from "./kind.js";
import { type GrpcFigures, type ProbeResult, SERVING_STATUSES } from "./types.js";

const figuresOf = (result: ProbeResult): GrpcFigures | null =>
  result.figures?.kind === "grpc" ? result.figures : null;

export const GRPC_FAMILIES: readonly ResultFamily[] = [
  {
    name: "probe_grpc_status_code",
    type: "gauge",
    help: "gRPC status code of the last health check: 0 OK, 14 UNAVAILABLE when no connection was made, 4 DEADLINE_EXCEEDED at the timeout",
    // 14 without figures: a gRPC target always has them, this is never reached
    series: [{ labels: "", value: (result) => figuresOf(result)?.statusCode ?? 14 }],
  },
  {
    name: "probe_grpc_healthcheck_response",
    type: "gauge",
    help: "1 for the serving status the last health check answered, 0 for the others",
    series: SERVING_STATUSES.map((status) => ({
      labels: `,serving_status="${status}"`,
      value: (result: ProbeResult) => (figuresOf(result)?.servingStatus === status ? 1 : 0),
    })),
  },
  {
    name: "probe_grpc_duration_seconds",
    type: "gauge",
    help: "Duration of the last gRPC probe by phase: resolve, check (connection, TLS and the call)",
    series: [
      { labels: ',phase="resolve"', value: (result) => result.phases.resolve / 1000 },
      {
        labels: ',phase="check"',
        value: ({ phases }) => (phases.connect + phases.tls + phases.processing) / 1000,
      },
    ],
  },
];
