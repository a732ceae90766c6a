/**
 * The TCP prober: blackbox_exporter's `tcp_connect`. Ok once connected (and, with `tls`, once
 * the handshake and the peer certificate pass); the socket is closed straight after.
 */
import type { TcpProbeSpec } from "../config/types.js";
import { openConnection } from "./connection.js";
import { evaluateConnection } from "./evaluate.js";
import { type Judge, runProbe } from "./run.js";
import type { ProbeOptions, ProbeResult, ProbeTarget } from "./types.js";

export function probeTcp(
  target: ProbeTarget<TcpProbeSpec>,
  options: ProbeOptions,
): Promise<ProbeResult> {
  const spec = target.probe;
  return runProbe(target.timeout, options, async (context): Promise<Judge> => {
    // the deadline owns the socket: runProbe's dispose destroys it as soon as this returns
    await openConnection(
      {
        host: spec.host,
        port: spec.port,
        ipFamily: spec.ipFamily,
        tls: spec.tls ? spec.tlsSettings : null,
        alpn: [],
      },
      context,
    );
    return ({ durationMs, now }) =>
      evaluateConnection(
        { durationMs, now, certExpiresAt: context.trace.certExpiresAt },
        target.degraded,
      );
  });
}
