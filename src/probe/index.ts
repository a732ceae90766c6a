/** The probe package's entry: one call for any target, whatever its prober. */
import { probeHttp } from "./http.js";
import { probeTcp } from "./tcp.js";
import type { ProbeOptions, ProbeResult, ProbeTarget } from "./types.js";

export { describeEndpoint } from "./endpoint.js";
export { type Evaluation, evaluateConnection, evaluateResponse } from "./evaluate.js";
export { probeHttp } from "./http.js";
export { probeTcp } from "./tcp.js";
export * from "./types.js";

/** Probe `target` (a full config `Target` will do) with the prober its `probe.kind` names. Never throws. */
export function probeTarget(target: ProbeTarget, options: ProbeOptions): Promise<ProbeResult> {
  const { probe, timeout, expect, degraded } = target;
  switch (probe.kind) {
    case "http":
      return probeHttp({ probe, timeout, expect, degraded }, options);
    case "tcp":
      return probeTcp({ probe, timeout, expect, degraded }, options);
  }
}
