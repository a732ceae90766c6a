/** The families of an HTTP exchange: the final status and the time of each phase. */
import type { ResultFamily } from "./kind.js";
import { PHASES } from "./types.js";

export const HTTP_FAMILIES: readonly ResultFamily[] = [
  {
    name: "probe_http_status_code",
    type: "gauge",
    help: "HTTP status of the last probe (0 if none)",
    series: [{ labels: "", value: (result) => result.status ?? 0 }],
  },
  {
    name: "probe_http_duration_seconds",
    type: "gauge",
    help: "Duration of each phase of the last probe",
    series: PHASES.map((phase) => ({
      labels: `,phase="${phase}"`,
      value: (result) => result.phases[phase] / 1000,
    })),
  },
];

/** HTTP targets only: 1.1 or 2 (blackbox_exporter's probe_http_version), 0 without a response. */
export const HTTP_VERSION_FAMILY: ResultFamily = {
  name: "probe_http_version",
  type: "gauge",
  help: "HTTP version of the last probe's response (1.1 or 2; 0 if none)",
  series: [{ labels: "", value: (result) => result.httpVersion ?? 0 }],
};
