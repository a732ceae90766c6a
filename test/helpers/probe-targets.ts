/** Probe targets with SPEC defaults, overridden per test: what the probers take, minus YAML. */
import type { DegradedRules, Expectations } from "../../src/config/types.js";
import type { HttpProbeSpec } from "../../src/probe/http.js";
import type { TcpProbeSpec } from "../../src/probe/tcp.js";
import type { ProbeTarget } from "../../src/probe/types.js";

export interface TargetOverrides<Spec> {
  timeout?: number;
  probe?: Partial<Spec>;
  expect?: Partial<Expectations>;
  degraded?: Partial<DegradedRules>;
}

export const DEFAULT_EXPECT: Expectations = {
  status: [{ min: 200, max: 299 }],
  bodyContains: null,
  bodyRegex: null,
  json: null,
};

export const NO_DEGRADED_RULES: DegradedRules = {
  latencyOver: null,
  bodyContains: null,
  json: null,
  certExpiresWithin: null,
};

export function httpTarget(
  url: string,
  overrides: TargetOverrides<HttpProbeSpec> = {},
): ProbeTarget<HttpProbeSpec> {
  return {
    timeout: overrides.timeout ?? 2000,
    probe: {
      kind: "http",
      url,
      method: "GET",
      headers: {},
      body: null,
      followRedirects: true,
      maxRedirects: 10,
      maxBody: 1024 * 1024,
      tls: { caFile: null, serverName: null, insecureSkipVerify: false },
      ipFamily: "any",
      ...overrides.probe,
    },
    expect: { ...DEFAULT_EXPECT, ...overrides.expect },
    degraded: { ...NO_DEGRADED_RULES, ...overrides.degraded },
  };
}

export function tcpTarget(
  host: string,
  port: number,
  overrides: TargetOverrides<TcpProbeSpec> = {},
): ProbeTarget<TcpProbeSpec> {
  return {
    timeout: overrides.timeout ?? 2000,
    probe: {
      kind: "tcp",
      host,
      port,
      tls: false,
      tlsSettings: { caFile: null, serverName: null, insecureSkipVerify: false },
      ipFamily: "any",
      ...overrides.probe,
    },
    expect: { ...DEFAULT_EXPECT, ...overrides.expect },
    degraded: { ...NO_DEGRADED_RULES, ...overrides.degraded },
  };
}
