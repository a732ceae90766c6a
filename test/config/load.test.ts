// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} here is config text, not a template
import { hostname } from "node:os";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import type { Config, Target } from "../../src/config/types.js";
import { formatConfigIssue } from "../../src/fields/errors.js";

const FILE = "pantau.yaml";

function resolve(text: string, env: Record<string, string | undefined> = {}): Config {
  const result = parseConfig(text, FILE, env, { hostname: "test-host" });
  if (!result.ok) throw new Error(result.issues.map(formatConfigIssue).join("\n"));
  return result.config;
}

const DEFAULT_TLS = {
  caFile: null,
  certFile: null,
  keyFile: null,
  serverName: null,
  insecureSkipVerify: false,
};
const DEFAULT_EXPECT = {
  status: [{ min: 200, max: 299 }],
  bodyContains: null,
  bodyRegex: null,
  json: null,
};
const NO_DEGRADED = { latencyOver: null, bodyContains: null, json: null, certExpiresWithin: null };

/** A target written as `{ id, http: { url } }`, with every default spelled out. */
function httpTarget(id: string, url: string): Target {
  return {
    id,
    name: id,
    service: "",
    site: "",
    interval: 30_000,
    schedule: null,
    timeout: 10_000,
    failureThreshold: 3,
    successThreshold: 2,
    degradedThreshold: 3,
    dependsOn: [],
    probe: {
      kind: "http",
      url,
      method: "GET",
      headers: {},
      body: null,
      followRedirects: true,
      maxRedirects: 10,
      maxBody: 1_048_576,
      tls: DEFAULT_TLS,
      ipFamily: "any",
      sourceIpAddress: null,
      version: "1.1",
    },
    expect: DEFAULT_EXPECT,
    degraded: NO_DEGRADED,
    resolver: null,
  };
}

describe("parseConfig: valid files resolve to the exact model", () => {
  it("applies every default to a minimal file", () => {
    const config = resolve(
      `targets:\n  - id: web\n    http: { url: "https://web.example.invalid/" }\n`,
    );
    expect(config).toEqual({
      file: FILE,
      global: {
        interval: 30_000,
        timeout: 10_000,
        failureThreshold: 3,
        successThreshold: 2,
        degradedThreshold: 3,
        instance: "test-host",
        maxInFlight: 1000,
        canaries: [],
        shard: null,
        haGroup: null,
        resolver: null,
      },
      server: { listen: "0.0.0.0:9469", bearerToken: null, bearerTokenFile: null },
      storage: { path: "data/pantau.db", url: null, heartbeat: 5000, maxPending: 100_000 },
      alertmanager: null,
      maintenance: [],
      quorum: null,
      targets: [httpTarget("web", "https://web.example.invalid/")],
      targetsInFile: 1,
    } satisfies Config);
  });

  it("takes the machine's host name as instance when none is injected", () => {
    const result = parseConfig("targets: []\n", FILE, {});
    expect(result.ok && result.config.global.instance).toBe(hostname());
  });

  it("lets global settings set the defaults of every target", () => {
    const config = resolve(`
global:
  interval: 1m
  timeout: 1500ms
  failure_threshold: 5
  success_threshold: 1
  degraded_threshold: 4
  instance: jakarta-1
  max_in_flight: 50
  canaries: [web]
  resolver: 127.0.0.1:5353
server: { listen: "127.0.0.1:9000", bearer_token_file: /run/secrets/token }
storage: { url: "postgres://pantau@db.internal.example/pantau", heartbeat: 1h30m, max_pending: 5000 }
alertmanager: { url: "http://127.0.0.1:9093", labels: { team: sre } }
maintenance:
  - { name: patching, services: [autogate], cron: "0 2 * * SUN", duration: 2h }
targets:
  - id: web
    http: { url: "https://web.example.invalid/" }
`);
    expect(config.global).toEqual({
      interval: 60_000,
      timeout: 1500,
      failureThreshold: 5,
      successThreshold: 1,
      degradedThreshold: 4,
      instance: "jakarta-1",
      maxInFlight: 50,
      canaries: ["web"],
      shard: null,
      haGroup: null,
      resolver: ["127.0.0.1:5353"],
    });
    // every target resolves its names through the global resolver
    expect(config.targets.map((target) => target.resolver)).toEqual([["127.0.0.1:5353"]]);
    expect(config.server).toEqual({
      listen: "127.0.0.1:9000",
      bearerToken: null,
      bearerTokenFile: "/run/secrets/token",
    });
    expect(config.storage).toEqual({
      path: null,
      url: "postgres://pantau@db.internal.example/pantau",
      heartbeat: 5_400_000,
      maxPending: 5000,
    });
    expect(config.alertmanager).toEqual({
      url: "http://127.0.0.1:9093",
      resend: 60_000,
      labels: { team: "sre" },
    });
    expect(config.maintenance).toEqual([
      {
        name: "patching",
        targets: [],
        services: ["autogate"],
        sites: [],
        cron: "0 2 * * SUN",
        timezone: null,
        duration: 7_200_000,
      },
    ]);
    expect(config.targets[0]).toMatchObject({
      interval: 60_000,
      timeout: 1500,
      failureThreshold: 5,
      successThreshold: 1,
      degradedThreshold: 4,
    });
  });

  it("lets a target override every default", () => {
    const config = resolve(`
targets:
  - id: portal
    name: Portal Imigrasi
    service: immigration-portal
    site: jakarta
    interval: 15s
    timeout: 5s
    failure_threshold: 2
    success_threshold: 3
    degraded_threshold: 1
    http:
      url: https://portal.example.invalid/login
      method: POST
      headers: { Content-Type: application/json }
      body: '{"ping":true}'
      follow_redirects: false
      max_redirects: 0
      max_body: 64KiB
      tls: { ca_file: /etc/pantau/ca.pem, server_name: portal.internal.example, insecure_skip_verify: true }
      ip_family: ipv6
    expect:
      status: [204, "200-201", "301"]
      body_contains: welcome
      body_regex: "^<!doctype"
      json: { path: checks.0.state, equals: true }
    degraded:
      latency_over: 2s
      body_contains: read-only
      json: { path: mode, equals: manual }
      cert_expires_within: 14d
  - id: simkim-core
    schedule: "*/20 * * * * *"
    tcp:
      host: simkim.internal.example
      port: 443
      tls: true
      tls_config: { server_name: simkim.example.invalid }
      ip_family: ipv4
`);
    expect(config.targets).toEqual([
      {
        id: "portal",
        name: "Portal Imigrasi",
        service: "immigration-portal",
        site: "jakarta",
        interval: 15_000,
        schedule: null,
        timeout: 5000,
        failureThreshold: 2,
        successThreshold: 3,
        degradedThreshold: 1,
        dependsOn: [],
        probe: {
          kind: "http",
          url: "https://portal.example.invalid/login",
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: '{"ping":true}',
          followRedirects: false,
          maxRedirects: 0,
          maxBody: 65_536,
          tls: {
            caFile: "/etc/pantau/ca.pem",
            certFile: null,
            keyFile: null,
            serverName: "portal.internal.example",
            insecureSkipVerify: true,
          },
          ipFamily: "ipv6",
          sourceIpAddress: null,
          version: "1.1",
        },
        expect: {
          status: [
            { min: 204, max: 204 },
            { min: 200, max: 201 },
            { min: 301, max: 301 },
          ],
          bodyContains: "welcome",
          bodyRegex: "^<!doctype",
          json: { path: "checks.0.state", equals: true },
        },
        degraded: {
          latencyOver: 2000,
          bodyContains: "read-only",
          json: { path: "mode", equals: "manual" },
          certExpiresWithin: 1_209_600_000,
        },
        resolver: null,
      },
      {
        ...httpTarget("simkim-core", ""),
        schedule: "*/20 * * * * *",
        probe: {
          kind: "tcp",
          host: "simkim.internal.example",
          port: 443,
          tls: true,
          tlsSettings: {
            ...DEFAULT_TLS,
            serverName: "simkim.example.invalid",
          },
          ipFamily: "ipv4",
          sourceIpAddress: null,
        },
      },
    ] satisfies Target[]);
  });

  it("substitutes ${VAR} and ${VAR:-default} from the given environment", () => {
    const config = resolve(
      `
global:
  instance: \${INSTANCE}
server:
  bearer_token: \${PANTAU_TOKEN:-}
targets:
  - id: web
    name: '\${NAME:-Web} costs $$5'
    site: \${SITE:-jakarta}
    http:
      url: \${WEB_URL}
      headers: { Authorization: "Bearer \${TOKEN:-none}" }
  - id: core
    tcp:
      host: core.internal.example
      port: \${CORE_PORT:-8443}
`,
      { INSTANCE: "bali-2", WEB_URL: "https://web.example.invalid/", SITE: "", TOKEN: "s3cret" },
    );
    expect(config.global.instance).toBe("bali-2");
    expect(config.server.bearerToken).toBeNull();
    expect(config.targets[0]).toMatchObject({
      name: "Web costs $5",
      site: "jakarta",
      probe: { url: "https://web.example.invalid/", headers: { Authorization: "Bearer s3cret" } },
    });
    // A plain scalar is typed after substitution, as YAML would have typed the text.
    expect(config.targets[1]?.probe).toMatchObject({ kind: "tcp", port: 8443 });
  });

  it("expands each into one target per item, in order, placeholders filled everywhere", () => {
    const config = resolve(`
targets:
  - id: simkim-core
    tcp: { host: simkim.internal.example, port: 443 }
  - id: autogate-{site}
    each:
      - { site: cgk, port: 8443, upstream: simkim-core }
      - { site: dps, port: 9443, upstream: simkim-core }
    name: Autogate {site}
    service: autogate
    site: "{site}"
    depends_on: ["{upstream}"]
    http:
      url: "https://autogate-{site}.internal.example:{port}/health"
      headers: { X-Site: "{site}" }
  - id: evisa
    tcp: { host: evisa.internal.example, port: 443 }
`);
    expect(config.targets.map((target) => target.id)).toEqual([
      "simkim-core",
      "autogate-cgk",
      "autogate-dps",
      "evisa",
    ]);
    expect(config.targets[2]).toEqual({
      ...httpTarget("autogate-dps", "https://autogate-dps.internal.example:9443/health"),
      name: "Autogate dps",
      service: "autogate",
      site: "dps",
      dependsOn: ["simkim-core"],
      probe: {
        ...httpTarget("", "").probe,
        url: "https://autogate-dps.internal.example:9443/health",
        headers: { "X-Site": "dps" },
      },
    });
  });

  it("gives a value that is only a placeholder the item's own type", () => {
    const config = resolve(`
targets:
  - id: gate-{site}
    each: [{ site: cgk, port: 8443, tls: true }]
    tcp: { host: "gate-{site}.internal.example", port: "{port}", tls: "{tls}" }
`);
    expect(config.targets[0]?.probe).toMatchObject({
      host: "gate-cgk.internal.example",
      port: 8443,
      tls: true,
    });
  });

  it("accepts anchors and aliases", () => {
    const config = resolve(`
targets:
  - id: a
    http: &probe { url: "https://a.example.invalid/", headers: { User-Agent: pantau } }
  - id: b
    http: *probe
`);
    expect(config.targets[1]?.probe).toMatchObject({
      url: "https://a.example.invalid/",
      headers: { "User-Agent": "pantau" },
    });
  });
});
