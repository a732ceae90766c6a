/**
 * The secret canary, placed in every config field that carries a secret, comes
 * out of no output surface. One real daemon (a child, JSON logs at debug) is driven up → down →
 * up with Alertmanager push and a rejected reload; then every answer, log line, CLI output,
 * report, error message and the ledger file itself is scanned. secret-watch.ts scans the same
 * outputs on its own (and those of every other test file); this test names each surface.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { CommandIo } from "../../src/cli/offline-ledger.js";
import { outagesCommand } from "../../src/cli/outages.js";
import { reportCommand } from "../../src/cli/report.js";
import { loadConfig } from "../../src/config/load.js";
import { formatConfigIssue } from "../../src/fields/errors.js";
import { runCli, runInProcess } from "../support/cli.js";
import { DaemonProcess, isTransition } from "../support/daemon-process.js";
import { findCanary, SECRET_CANARY } from "../support/secret-canary.js";
import { startReceiver } from "../support/servers/receiver.js";
import { type SwitchServer, startSwitchServer } from "../support/servers/switch.js";
import { until } from "../support/until.js";

const dir = mkdtempSync(join(tmpdir(), "pantau-secrets-"));
const tokenFile = join(dir, "token");
const configFile = join(dir, "pantau.yaml");
const ledgerFile = join(dir, "ledger.db");
const PG_URL = `postgres://pantau:${SECRET_CANARY}@127.0.0.1:1/pantau`;

let target: SwitchServer;
let alertmanager: { url: string; bodies: string[]; close(): Promise<void> };
let daemon: DaemonProcess;
let base: string;
/** Every output seen, by where it came from: all of it is scanned at the end. */
const outputs: [string, string][] = [];

function targetsYaml(url: string): string[] {
  const credentialed = url.replace("http://", `http://ops:${SECRET_CANARY}@`);
  return [
    "targets:",
    "  - id: portal-userinfo",
    "    service: portal",
    "    site: jakarta",
    `    http: { url: "${credentialed}?key=${SECRET_CANARY}" }`,
    "  - id: portal-token",
    "    service: portal",
    "    site: jakarta",
    `    http: { url: "${url.replace("http://", `http://${SECRET_CANARY}@`)}" }`,
    "  - id: portal-header",
    "    service: portal",
    "    site: jakarta",
    "    depends_on: [portal-userinfo]",
    "    http:",
    `      url: "${url}"`,
    `      headers: { X-Api-Key: ${SECRET_CANARY}, Authorization: "Bearer ${SECRET_CANARY}" }`,
  ];
}

function writeConfig(extra: string[] = []): void {
  writeFileSync(
    configFile,
    [
      "global: { interval: 200ms, timeout: 150ms, failure_threshold: 2, success_threshold: 1, instance: secrets }",
      `server: { listen: 127.0.0.1:0, bearer_token_file: ${tokenFile} }`,
      `storage: { path: ${ledgerFile}, heartbeat: 100ms }`,
      `alertmanager: { url: "${alertmanager.url.replace("http://", `http://pantau:${SECRET_CANARY}@`)}", resend: 500ms }`,
      ...targetsYaml(target.url),
      ...extra,
      "",
    ].join("\n"),
  );
}

/** An Alertmanager stand-in that records every body pushed to it. */
async function startAlertReceiver(): Promise<typeof alertmanager> {
  const bodies: string[] = [];
  const receiver = await startReceiver((_path, body) => bodies.push(body));
  return { ...receiver, bodies };
}

async function get(path: string): Promise<string> {
  const response = await fetch(`${base}${path}`, {
    headers: { authorization: `Bearer ${SECRET_CANARY}` },
  });
  const text = await response.text();
  outputs.push([`GET ${path} (${response.status})`, text]);
  return text;
}

async function inProcess(name: string, build: (io: CommandIo) => Command, args: string[]) {
  const run = await runInProcess(name, build, args);
  expect(run.code, run.err).toBe(0);
  outputs.push([`pantau ${name} ${args.join(" ")} (in-process)`, run.out + run.err]);
}

async function cli(args: string[], env: Record<string, string> = {}) {
  const run = await runCli(args, { env });
  outputs.push([`pantau ${args.join(" ")} (stdout)`, run.stdout]);
  outputs.push([`pantau ${args.join(" ")} (stderr)`, run.stderr]);
  return run;
}

beforeAll(async () => {
  writeFileSync(tokenFile, `${SECRET_CANARY}\n`);
  target = await startSwitchServer();
  alertmanager = await startAlertReceiver();
  writeConfig();
  daemon = new DaemonProcess(["run", "--config", configFile, "--log-level", "debug"]);
  const start = await daemon.waitFor((line) => line.event === "start", 20_000);
  base = `http://${String(start.listen)}`;
});

// each test is judged on what it made come out
beforeEach(() => {
  outputs.length = 0;
});

afterAll(async () => {
  if (daemon) {
    daemon.signal("SIGTERM");
    await daemon.exited();
  }
  await target?.close();
  await alertmanager?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("a config full of secrets", () => {
  it("the token works: the API needs it", async () => {
    expect((await fetch(`${base}/api/v1/targets`)).status).toBe(401);
    expect(JSON.parse(await get("/api/v1/targets")).targets).toHaveLength(3);
  });

  it("leaks into no log line, API answer, metric, alert, report or CLI output", {
    timeout: 60_000,
  }, async () => {
    await daemon.waitFor(isTransition("portal-userinfo", "unknown", "up"));
    await daemon.waitFor(isTransition("portal-header", "unknown", "up"));
    // every target up first: one still unknown would go unknown>down, not up>down
    await daemon.waitFor(isTransition("portal-token", "unknown", "up"));
    target.setUp(false);
    await daemon.waitFor(isTransition("portal-userinfo", "up", "down"));
    await daemon.waitFor(isTransition("portal-header", "up", "down"));
    await daemon.waitFor(isTransition("portal-token", "up", "down"));
    // a reload that fails, with secrets beside the bad keys
    writeConfig([
      "  - id: broken",
      `    http: { url: "ftp://ops:${SECRET_CANARY}@127.0.0.1/?key=${SECRET_CANARY}", headers: { X-Key: ${SECRET_CANARY} } }`,
    ]);
    const reload = await fetch(`${base}/-/reload`, {
      method: "POST",
      headers: { authorization: `Bearer ${SECRET_CANARY}` },
    });
    expect(reload.status).toBe(400);
    outputs.push(["POST /-/reload (400)", await reload.text()]);
    writeConfig();
    target.setUp(true);
    await daemon.waitFor(isTransition("portal-userinfo", "down", "up"));
    await daemon.waitFor(isTransition("portal-header", "down", "up"));
    // the resolved alerts have been pushed
    await until(() => alertmanager.bodies.some((b) => b.includes('"duration"')), {
      what: "the resolved alerts",
    });
    expect(alertmanager.bodies.join("\n")).toContain("PantauTargetDown");

    const metrics = await get("/metrics");
    expect(metrics).toContain(`endpoint="${target.url}"`);
    for (const path of [
      "/api/v1/targets",
      "/api/v1/transitions",
      "/api/v1/outages",
      "/api/v1/report",
      "/api/v1/maintenance",
      "/-/ready",
    ]) {
      await get(path);
    }
    const outages = JSON.parse(await get("/api/v1/outages")).outages as unknown[];
    expect(outages.length).toBeGreaterThanOrEqual(2);

    await cli(["probe", "--config", configFile, "portal-userinfo"]);
    await cli(["probe", "--config", configFile, "portal-header"]);
    await cli(["probe", "--config", configFile, "portal-token"]);
    await cli([
      "probe",
      "--url",
      `${target.url.replace("http://", `http://ops:${SECRET_CANARY}@`)}?key=${SECRET_CANARY}`,
    ]);
    await cli(["check", "--config", configFile]);
    // in-process (the same command objects as the binary's): ten CLI starts would cost seconds
    for (const format of ["table", "csv", "json", "markdown"]) {
      await inProcess("outages", (io) => outagesCommand({ io }), [
        ...["--config", configFile, "--since", "-1h", "--format", format],
      ]);
    }
    for (const format of ["markdown", "html"]) {
      await inProcess("report", (io) => reportCommand({ io }), [
        ...["--config", configFile, "--since", "-1h", "--format", format],
      ]);
    }
    await cli(["outages", "--config", configFile, "--since", "-1h"]);
    outputs.push(["alertmanager push bodies", alertmanager.bodies.join("\n")]);
    outputs.push([
      "daemon stdout (JSON logs at debug)",
      daemon.lines.map((l) => JSON.stringify(l)).join("\n"),
    ]);
    outputs.push(["daemon stderr", daemon.stderr.join("\n")]);
    expect(daemon.lines.some((l) => l.event === "probe")).toBe(true);
    outputs.push(["the ledger file", readFileSync(ledgerFile).toString("latin1")]);

    expect(leaksIn(outputs)).toEqual([]);
  });
});

describe("config errors and failures that show a secret-bearing value", () => {
  const cases: [string, string[], Record<string, string>][] = [
    [
      "a URL of the wrong scheme",
      [`targets: [{ id: a, http: { url: "ftp://ops:${SECRET_CANARY}@h/?key=${SECRET_CANARY}" } }]`],
      {},
    ],
    [
      "a URL with a token as its user name",
      [`targets: [{ id: a, http: { url: "ftp://${SECRET_CANARY}@h/" } }]`],
      {},
    ],
    [
      "a storage.url that is not postgres://",
      [
        `storage: { url: "mysql://pantau:${SECRET_CANARY}@db/pantau" }`,
        "targets: [{ id: a, tcp: { host: h, port: 1 } }]",
      ],
      {},
    ],
    [
      "a storage.url beside storage.path",
      [
        `storage: { path: x.db, url: "${PG_URL}" }`,
        "targets: [{ id: a, tcp: { host: h, port: 1 } }]",
      ],
      {},
    ],
    [
      "a bearer_token beside a bearer_token_file",
      [
        `server: { bearer_token: ${SECRET_CANARY}, bearer_token_file: /nonexistent }`,
        "targets: [{ id: a, tcp: { host: h, port: 1 } }]",
      ],
      {},
    ],
    [
      "a secret under a misspelt key",
      [
        `server: { bearer_tokn: ${SECRET_CANARY} }`,
        `targets: [{ id: a, http: { url: "http://h/", headers: { X-Key: [${SECRET_CANARY}] } } }]`,
      ],
      {},
    ],
    [
      "a secret from the environment in a bad place",
      [
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a ${VAR} for the config loader
        "global: { interval: ${PANTAU_SECRET} }",
        "targets: [{ id: a, tcp: { host: h, port: 1 } }]",
      ],
      { PANTAU_SECRET: SECRET_CANARY },
    ],
  ];
  it.each(cases)("%s", async (_name, lines, env) => {
    const file = join(dir, `bad-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, `${lines.join("\n")}\n`);
    // run and probe print the same issues as check (formatConfigIssue), and so does a reload
    const loaded = await loadConfig(file, env);
    const issues = loaded.ok ? [] : loaded.issues.map(formatConfigIssue);
    outputs.push(["the config's issues", issues.join("\n")]);
    expect(issues.length).toBeGreaterThan(0);
    const check = await cli(["check", "--config", file], env);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain(issues[0]);
    expect(leaksIn(outputs)).toEqual([]);
  });

  it("a PostgreSQL ledger that cannot be reached", { timeout: 60_000 }, async () => {
    const file = join(dir, "pg.yaml");
    writeFileSync(
      file,
      `storage: { url: "${PG_URL}" }\ntargets: [{ id: a, tcp: { host: h, port: 1 } }]\n`,
    );
    const runs = [
      await cli(["run", "--config", file, "--listen", "none"]),
      await cli(["outages", "--url", PG_URL]),
      await cli(["report", "--url", PG_URL]),
      await cli(["outages", "--config", file]),
    ];
    for (const run of runs) expect(run.code).not.toBe(0);
    expect(runs.map((r) => r.stderr).join("\n")).toContain("127.0.0.1:1");
    expect(leaksIn(outputs)).toEqual([]);
  });

  it("an ad-hoc probe whose --url is not usable", { timeout: 60_000 }, async () => {
    await cli(["probe", "--url", `ftp://ops:${SECRET_CANARY}@h/?key=${SECRET_CANARY}`]);
    await cli(["probe", "--url", `http://ops:${SECRET_CANARY}@[nope/`]);
    const run = await cli(["run", "--config", join(dir, "none.yaml")], {
      PANTAU_TOKEN: SECRET_CANARY,
    });
    expect(run.code).toBe(1);
    expect(leaksIn(outputs)).toEqual([]);
  });
});

function leaksIn(seen: [string, string][]): string[] {
  return seen.flatMap(([where, text]) => findCanary(text).map((excerpt) => `${where}: ${excerpt}`));
}
