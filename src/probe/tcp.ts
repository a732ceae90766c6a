/**
 * The TCP prober kind: blackbox_exporter's `tcp_connect`. Ok once connected (and, with `tls`,
 * once the handshake and the peer certificate pass); the socket is closed straight after.
 */
import * as z from "zod";
import {
  type IpFamily,
  ipFamily,
  resolveTls,
  type TlsSettings,
  tlsSettings,
} from "../fields/connection-fields.js";
import { DEFAULTS } from "../fields/defaults.js";
import { type ConfigPath, isRecord, type PathIssue, pathIssue } from "../fields/path-issue.js";
import { hostName } from "../fields/values.js";
import { openConnection } from "./connection.js";
import { evaluateConnection } from "./evaluate.js";
import type { ProberKind } from "./kind.js";
import { type Judge, runProbe } from "./run.js";
import type { ProbeOptions, ProbeResult, ProbeTarget } from "./types.js";

export interface TcpProbeSpec {
  kind: "tcp";
  host: string;
  port: number;
  /** Perform a TLS handshake after connecting. */
  tls: boolean;
  tlsSettings: TlsSettings;
  ipFamily: IpFamily;
}

const block = z.strictObject({
  host: hostName().meta({ description: "host name or IP address" }),
  port: z.int().min(1).max(65_535),
  tls: z
    .boolean()
    .optional()
    .meta({ description: "perform a TLS handshake after connecting", default: false }),
  tls_config: tlsSettings.optional().meta({ description: "TLS settings; needs tls: true" }),
  ip_family: ipFamily(),
});

function resolve(tcp: z.output<typeof block>): TcpProbeSpec {
  return {
    kind: "tcp",
    host: tcp.host,
    port: tcp.port,
    tls: tcp.tls ?? false,
    tlsSettings: resolveTls(tcp.tls_config),
    ipFamily: tcp.ip_family ?? DEFAULTS.ipFamily,
  };
}

function check(target: Readonly<Record<string, unknown>>, path: ConfigPath): PathIssue[] {
  const tcp = isRecord(target.tcp) ? target.tcp : {};
  if (tcp.tls_config === undefined || tcp.tls === true) return [];
  return [pathIssue("CONFIG_PROBER", [...path, "tcp", "tls_config"], "needs tls: true", "key")];
}

/** `tcp://simkim.internal.example:443`, `tcp://[::1]:443`. */
function endpoint(spec: TcpProbeSpec): string {
  const host = spec.host.includes(":") ? `[${spec.host}]` : spec.host;
  return `tcp://${host}:${spec.port}`;
}

export const tcpKind: ProberKind<TcpProbeSpec, typeof block> = {
  key: "tcp",
  block,
  resolve,
  check,
  readsBody: false,
  probe: probeTcp,
  endpoint,
  // none of its own: probe_http_* belongs to HTTP targets (blackbox_exporter's tcp_connect has none either)
  families: [],
};

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
