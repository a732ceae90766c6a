/** The probe package's entry: one call for any target, whatever its prober kind. */
export { type Evaluation, evaluateConnection, evaluateResponse } from "./evaluate.js";
export { type HttpProbeSpec, probeHttp } from "./http.js";
export type { ProberKind, ResultFamily } from "./kind.js";
export {
  describeEndpoint,
  PROBER_KINDS,
  type ProbeSpec,
  proberKind,
  probeTarget,
  RESULT_FAMILIES,
} from "./registry.js";
export { probeTcp, type TcpProbeSpec } from "./tcp.js";
export * from "./types.js";
