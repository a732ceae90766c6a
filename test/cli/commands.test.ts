import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { type SwitchServer, startSwitchServer } from "../support/servers/switch.js";

const dir = mkdtempSync(join(tmpdir(), "pantau-cli-"));
let server: SwitchServer;

beforeAll(async () => {
  server = await startSwitchServer();
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function writeFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("pantau check", () => {
  it("summarises the shipped estate and exits 0", async () => {
    const result = await runCli(["check", "--config", "config/pantau.yaml"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^config\/pantau\.yaml: ok, 14 targets\n/);
    expect(result.stdout).toContain("\nautogate                  8\n");
    expect(result.stdout).toContain("dependency roots:\n  simkim-core  (11 direct dependants)\n");
  });

  it("--shard lists what a shard gets: count and ids", async () => {
    const result = await runCli(["check", "--config", "config/pantau.yaml", "--shard", "1/4"]);
    expect(result.code).toBe(0);
    const ids = ["autogate-cgk", "autogate-mdc", "autogate-upg", "autogate-yia", "canary-gateway"];
    expect(result.stdout).toMatch(
      new RegExp(
        `^config/pantau\\.yaml: ok, shard 1/4: 5 of 14 targets\n\ntargets in this shard:\n${ids.map((id) => `  ${id}\n`).join("")}\n`,
      ),
    );
  });

  it.each([
    ["check", "4/4", '"4/4": index must be less than count (shards are numbered 0 to 3)'],
    ["check", "x", '"x" is not INDEX/COUNT (e.g. 0/4; shards are numbered from 0)'],
    ["run", "0/0", '"0/0": count must be at least 1'],
  ])("%s --shard %s is a usage error (exit 2)", async (command, shard, message) => {
    const result = await runCli([command, "--config", "config/pantau.yaml", "--shard", shard]);
    expect(result).toEqual({
      code: 2,
      stdout: "",
      stderr: `pantau ${command}: --shard: ${message}\n`,
    });
  });

  it.each([["soon"], ["0s"], ["-5s"]])(
    "run --stop-timeout %s is a usage error (exit 2)",
    async (value) => {
      const result = await runCli([
        "run",
        "--config",
        "config/pantau.yaml",
        "--stop-timeout",
        value,
      ]);
      expect(result).toEqual({
        code: 2,
        stdout: "",
        stderr: `pantau run: --stop-timeout: not a positive duration: ${JSON.stringify(value)}\n`,
      });
    },
  );

  it("prints every error of a broken config and exits 1", async () => {
    const file = writeFile(
      "broken.yaml",
      [
        "global:",
        "  intervall: 30s",
        "targets:",
        "  - id: Bad_Id",
        "    http: { url: 'x' }",
        "",
      ].join("\n"),
    );
    const result = await runCli(["check", "--config", file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines.at(-1)).toBe(`${file}: ${lines.length - 1} errors`);
    expect(lines[0]).toBe(
      `${file}:2:3: global.intervall: unknown key "intervall"; did you mean "interval"?`,
    );
    expect(lines.length - 1).toBeGreaterThanOrEqual(3);
  });

  it("refuses a bearer_token_file it cannot read, as run would, and exits 1", async () => {
    const missing = join(dir, "no-token");
    const file = writeFile(
      "token-file.yaml",
      [
        `server: { bearer_token_file: "${missing}" }`,
        "targets: [{ id: portal, http: { url: 'http://127.0.0.1:1/' } }]",
        "",
      ].join("\n"),
    );
    const result = await runCli(["check", "--config", file]);
    expect(result).toMatchObject({ code: 1, stdout: "" });
    expect(result.stderr).toBe(
      `${file}:1:1: server.bearer_token_file: cannot read "${missing}" (ENOENT)\n${file}: 1 error\n`,
    );
    writeFileSync(missing, "s3cret-token\n");
    const fixed = await runCli(["check", "--config", file]);
    expect(fixed.code).toBe(0);
    expect(fixed.stdout + fixed.stderr).not.toContain("s3cret-token");
  });

  it("names a config it cannot read and exits 1", async () => {
    const result = await runCli(["check", "--config", join(dir, "missing.yaml")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `${join(dir, "missing.yaml")}:1:1: cannot read the config file (ENOENT)\n${join(dir, "missing.yaml")}: 1 error\n`,
    );
  });
});

describe("pantau probe", () => {
  it("probes a URL now and prints a readable block", async () => {
    const result = await runCli(["probe", "--url", server.url]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^target {8}adhoc \(http:\/\/127\.0\.0\.1:\d+\/health\)\nresult {8}ok\n/,
    );
    expect(result.stdout).toMatch(/\n {2}processing {2}\d+\.\d ms\n/);
    expect(result.stdout).toContain("\nstatus        200\n");
  });

  it("probes a configured target by id and exits 1 when it fails", async () => {
    server.setUp(false);
    const config = writeFile(
      "probe.yaml",
      `targets:\n  - { id: portal, http: { url: "${server.url}" } }\n`,
    );
    const result = await runCli(["probe", "--config", config, "portal"]);
    server.setUp(true);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      "\nreason        status\ndetail        status 503 not in 200-299\n",
    );
  });

  it.each([
    [["probe"], "pantau probe: need --config FILE and a target id, or --url URL\n"],
    [
      ["probe", "--url", "ftp://x"],
      'pantau probe: --url: "ftp://x" is not an http:// or https:// URL\n',
    ],
    [
      ["probe", "--url", "http://127.0.0.1:1/", "--timeout", "5x"],
      'pantau probe: --timeout: "5x" is not a duration (use e.g. 500ms, 15s, 1m, 2h, 1d)\n',
    ],
    [
      ["probe", "--url", "http://127.0.0.1:1/", "--config", "config/pantau.yaml"],
      "pantau probe: give either --url URL, or --config FILE and a target id\n",
    ],
    [
      ["probe", "--config", "config/pantau.yaml", "nope"],
      'pantau probe: no target "nope" in config/pantau.yaml\n',
    ],
    [
      ["probe", "--config", "config/pantau.yaml", "simkim-cor"],
      'pantau probe: no target "simkim-cor" in config/pantau.yaml; did you mean "simkim-core"?\n',
    ],
  ])("%j is a usage error (exit 2)", async (args, stderr) => {
    expect(await runCli(args)).toEqual({ code: 2, stdout: "", stderr });
  });
});

describe("pantau run and the program", () => {
  it("refuses a bad --listen with exit 2", async () => {
    const result = await runCli(["run", "--config", "config/pantau.yaml", "--listen", "nowhere"]);
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toBe(
      'pantau run: --listen: "nowhere" is not a listen address (use host:port, e.g. 0.0.0.0:9469)\n',
    );
  });

  it("refuses a missing config with exit 1, naming the file", async () => {
    const result = await runCli(["run", "--config", join(dir, "none.yaml")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `${join(dir, "none.yaml")}:1:1: cannot read the config file (ENOENT)\n`,
    );
  });

  it("refuses unknown commands and options with exit 2", async () => {
    const command = await runCli(["explode"]);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain("error: unknown command 'explode'");
    const option = await runCli(["check", "--colour"]);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("error: unknown option '--colour'");
  });

  it("prints its version", async () => {
    expect(await runCli(["--version"])).toEqual({ code: 0, stdout: "0.1.0\n", stderr: "" });
  });
});
