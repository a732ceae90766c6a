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
