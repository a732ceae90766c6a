import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Daemon } from "../../src/daemon/daemon.js";
import { formatConfigIssue } from "../../src/fields/errors.js";
import { memoryLogger } from "../support/memory-log.js";
import { parsePromText, sampleValue } from "../support/prom-text.js";

const dir = mkdtempSync(join(tmpdir(), "pantau-restart-only-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = join(dir, "pantau.yaml");
const db = join(dir, "a.db");

/** One key per line, so that each case's line and column are plain to read. */
const LINES = [
  "global:",
  "  interval: 1h",
  "  timeout: 1s",
  "  instance: restart-only",
  "  max_in_flight: 50",
  "server:",
  "  listen: 127.0.0.1:0",
  "storage:",
  `  path: ${db}`,
  "  heartbeat: 5s",
  "  max_pending: 10",
  "alertmanager:",
  "  url: http://127.0.0.1:1/",
  "  resend: 1m",
  "  labels: { team: sre }",
  "targets:",
  "  - { id: portal, tcp: { host: 127.0.0.1, port: 1 } }",
];

/** The base file with lines replaced (1-based line → new text; null drops the line). */
function writeConfig(edits: Record<number, string | null> = {}): void {
  const lines = LINES.flatMap((line, i) => {
    const edit = edits[i + 1];
    return edit === undefined ? [line] : edit === null ? [] : [edit];
  });
  writeFileSync(config, `${lines.join("\n")}\n`);
}

const restart = (where: string, path: string, what: string) =>
  `${config}:${where}: ${path}: ${what}: changing ${path} takes a restart`;

const CASES: { name: string; edits: Record<number, string | null>; errors: string[] }[] = [
  {
    name: "global.instance",
    edits: { 4: "  instance: jakarta-2" },
    errors: [
      restart(
        "4:13",
        "global.instance",
        'the running daemon uses "restart-only", the file says "jakarta-2"',
      ),
    ],
  },
  {
    name: "global.max_in_flight",
    edits: { 5: "  max_in_flight: 100" },
    errors: [
      restart("5:18", "global.max_in_flight", "the running daemon uses 50, the file says 100"),
    ],
  },
  {
    name: "server.listen",
    edits: { 7: "  listen: 127.0.0.1:9999" },
    errors: [
      restart(
        "7:11",
        "server.listen",
        'the running daemon uses "127.0.0.1:0", the file says "127.0.0.1:9999"',
      ),
    ],
  },
  {
    name: "storage.path",
    edits: { 9: `  path: ${join(dir, "b.db")}` },
    errors: [
      restart(
        "9:9",
        "storage.path",
        `the running daemon uses "${db}", the file says "${join(dir, "b.db")}"`,
      ),
    ],
  },
  {
    name: "storage.url (a PostgreSQL ledger instead of SQLite; credentials never shown)",
    edits: { 9: "  url: postgres://pantau:s3cret@db.example:5432/pantau?sslmode=require" },
    errors: [
      // the path is left to its default, which a URL turns off: located at `storage`
      restart("9:3", "storage.path", `the running daemon uses "${db}", the file says none`),
      restart(
        "9:8",
        "storage.url",
        'the running daemon uses none, the file says "postgres://db.example:5432/pantau"',
      ),
    ],
  },
  {
    name: "storage.heartbeat",
    edits: { 10: "  heartbeat: 10s" },
    errors: [
      restart("10:14", "storage.heartbeat", "the running daemon uses 5s, the file says 10s"),
    ],
  },
  {
    name: "alertmanager.url",
    edits: { 13: "  url: http://am:pw@127.0.0.1:2/" },
    errors: [
      restart(
        "13:8",
        "alertmanager.url",
        'the running daemon uses "http://127.0.0.1:1/", the file says "http://127.0.0.1:2/"',
      ),
    ],
  },
  {
    name: "alertmanager.resend",
    edits: { 14: "  resend: 2m" },
    errors: [
      restart("14:11", "alertmanager.resend", "the running daemon uses 1m, the file says 2m"),
    ],
  },
  {
    name: "alertmanager.labels",
    edits: { 15: "  labels: { team: noc }" },
    errors: [
      restart(
        "15:11",
        "alertmanager.labels",
        'the running daemon uses {"team":"sre"}, the file says {"team":"noc"}',
      ),
    ],
  },
  {
    name: "alertmanager (left out)",
    edits: { 12: null, 13: null, 14: null, 15: null },
    errors: [
      restart(
        "1:1",
        "alertmanager",
        'the running daemon uses Alertmanager "http://127.0.0.1:1/", the file says no Alertmanager',
      ),
    ],
  },
];

describe("a reload that changes a key read only at start", () => {
  let daemon: Daemon;
  const log = memoryLogger("info");
  const reloadOk = async () =>
    sampleValue(
      parsePromText(await daemon.metrics.render()),
      "pantau_config_last_reload_successful",
    );

  beforeAll(async () => {
    writeConfig();
    daemon = await Daemon.start({ configFile: config, logger: log.logger });
    return () => daemon.stop();
  });

  it.each(CASES)(
    "is refused, naming $name, and the running config is kept",
    async ({ edits, errors }) => {
      const running = daemon.currentConfig;
      writeConfig(edits);
      const outcome = await daemon.reload();
      expect(outcome.ok).toBe(false);
      if (outcome.ok) return;
      expect(outcome.issues.map(formatConfigIssue)).toEqual(errors);
      expect(outcome.issues.every((issue) => issue.code === "CONFIG_INVALID")).toBe(true);
      expect(JSON.stringify(outcome.issues)).not.toMatch(/s3cret|pw@/);
      expect(daemon.currentConfig).toBe(running);
      expect(await reloadOk()).toBe(0);
      const logged = log.lines.filter((l) => l.event === "reload_error").map((l) => l.msg);
      expect(logged.slice(-errors.length)).toEqual(errors);
      // the same file as at start: accepted again
      writeConfig();
      expect(await daemon.reload()).toMatchObject({ ok: true });
      expect(await reloadOk()).toBe(1);
    },
  );

  it("still applies what a reload may change (targets, max_pending) with the rest unchanged", async () => {
    writeConfig({
      11: "  max_pending: 20",
      17: "  - { id: portal, tcp: { host: 127.0.0.1, port: 2 } }",
    });
    expect(await daemon.reload()).toMatchObject({ ok: true, changed: ["portal"] });
    expect(daemon.engine.queueState.max).toBe(20);
    writeConfig();
    expect(await daemon.reload()).toMatchObject({ ok: true });
  });
});

describe("server.listen under --listen", () => {
  it("is not the address bound, so a reload may change it", async () => {
    const file = join(dir, "listen.yaml");
    const write = (listen: string) =>
      writeFileSync(
        file,
        [
          "global: { interval: 1h, timeout: 1s, instance: listen-override }",
          `server: { listen: "${listen}" }`,
          `storage: { path: ${join(dir, "listen.db")} }`,
          "targets: []",
          "",
        ].join("\n"),
      );
    write("127.0.0.1:9998");
    const log = memoryLogger("info");
    const daemon = await Daemon.start({
      configFile: file,
      logger: log.logger,
      listen: "127.0.0.1:0",
    });
    try {
      write("127.0.0.1:9999");
      expect(await daemon.reload()).toMatchObject({ ok: true });
    } finally {
      await daemon.stop();
    }
  });
});
