import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { pantauMain } from "../support/built-cli.js";
import { runCli } from "../support/cli.js";
import { until } from "../support/until.js";
import { get } from "./http-get.js";

const dir = mkdtempSync(join(tmpdir(), "pantau-simulate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("pantau simulate: usage errors exit 2", () => {
  it.each([
    [["--targets", "0"], '--targets: "0" is not a whole number from 1 to 20000'],
    [["--targets", "2.5"], '--targets: "2.5" is not a whole number from 1 to 20000'],
    [["--targets", "20001"], '--targets: "20001" is not a whole number from 1 to 20000'],
    [["--listen-base", "http"], '--listen-base: "http" is not a port (1-65535)'],
    [["--listen-base", "65536"], '--listen-base: "65536" is not a port (1-65535)'],
    [["--listen-base", "65530"], "--listen-base: ports 65530-65541 run past 65535"],
    [
      ["--targets", "10", "--listen-base", "65530"],
      "--listen-base: ports 65530-65539 run past 65535",
    ],
    [["--speed", "0", "--scenario", "x.yaml"], '--speed: "0" is not a number greater than 0'],
    [["--speed", "fast", "--scenario", "x.yaml"], '--speed: "fast" is not a number greater than 0'],
    [["--speed", "60"], "--speed needs --scenario FILE"],
  ])("%j", async (args, message) => {
    expect(await runCli(["simulate", ...args])).toEqual({
      code: 2,
      stdout: "",
      stderr: `pantau simulate: ${message}\n`,
    });
  });

  it("an unknown flag", async () => {
    const result = await runCli(["simulate", "--sped", "2"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("error: unknown option '--sped'");
  });
});

describe("pantau simulate: scenarios", () => {
  it("prints every error of a bad scenario, serves nothing and exits 1", async () => {
    const file = writeFile(
      "bad.yaml",
      "name: bad\nsteps:\n  - at: 1h\n    note: n\n    set: { autogate-xyz: { behaviour: down } }\n",
    );
    expect(await runCli(["simulate", "--scenario", file])).toEqual({
      code: 1,
      stdout: "",
      stderr: [
        `${file}:5:12: steps[0].set.autogate-xyz: "autogate-xyz" matches no simulated endpoint`,
        `${file}:5:26: steps[0].set.autogate-xyz: missing required key "mode" (down: one of refused, 503, hang)`,
        "",
      ].join("\n"),
    });
  });

  it("names a scenario file that does not exist (a usage error, exit 2)", async () => {
    const file = join(dir, "missing.yaml");
    expect(await runCli(["simulate", "--scenario", file])).toEqual({
      code: 2,
      stdout: "",
      stderr: `pantau simulate: --scenario: no file ${file}\n`,
    });
  });

  it("plays a shipped scenario by name from any directory, and names the nearest for a typo", async () => {
    expect(await runCli(["simulate", "--scenario", "pdns-2O24"], { cwd: dir })).toEqual({
      code: 2,
      stdout: "",
      stderr: `pantau simulate: --scenario: no file ${join(dir, "pdns-2O24")}, and no shipped scenario named "pdns-2O24" (shipped: pdns-2024); did you mean "pdns-2024"?\n`,
    });
  });

  it("serves, plays every step in order and exits 0 at the end", async () => {
    const file = writeFile(
      "short.yaml",
      [
        "name: short",
        "speed: 1000",
        "steps:",
        "  - { at: 0s, note: all down, set: { gen-*: { behaviour: down, mode: 503 } } }",
        "  - { at: 10s, note: one back, set: { gen-0001: { behaviour: up } } }",
        "  - { at: 20s, note: the end }",
        "",
      ].join("\n"),
    );
    const result = await runCli(["simulate", "--targets", "3", "--scenario", file]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines.slice(0, 3).map((l) => l.split(" ")[0])).toEqual([
      "gen-0000",
      "gen-0001",
      "gen-0002",
    ]);
    expect(new Set(lines.slice(0, 3).map((l) => l.split(" ")[1])).size).toBe(3);
    expect(lines.slice(3)).toEqual([
      "scenario short: 3 steps over 20s at 1000× (20ms)",
      "+0s  gen-* → down (503)  # all down",
      "+10s  gen-0001 → up  # one back",
      "+20s  # the end",
      "scenario short: finished",
    ]);
  });
});

describe("pantau simulate: serving until stopped", () => {
  it("--targets N serves N distinct endpoints, writes --config-out, and exits 0 on SIGTERM", async () => {
    const configOut = join(dir, "monitor.yaml");
    const child = spawn(
      process.execPath,
      [pantauMain(), "simulate", "--targets", "4", "--config-out", configOut],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const lines = await readLines(child.stdout, 4);
    const served = lines.map((line) => line.split(" "));
    expect(served.map(([id]) => id)).toEqual(["gen-0000", "gen-0001", "gen-0002", "gen-0003"]);
    const answers = await Promise.all(served.map(([, url]) => get(url ?? "")));
    expect(answers.map((a) => ("endpoint" in a ? a.endpoint : a.error))).toEqual(
      served.map(([id]) => id),
    );
    await waitForFile(configOut);
    const config = parseConfig(readFileSync(configOut, "utf8"), configOut, {}, { hostname: "t" });
    expect(
      config.ok && config.config.targets.map((t) => t.probe.kind === "http" && t.probe.url),
    ).toEqual(served.map(([, url]) => url));
    child.kill("SIGTERM");
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
    expect(await get(served[0]?.[1] ?? "")).toEqual({ error: "ECONNREFUSED" });
  });
});

async function readLines(stream: NodeJS.ReadableStream, count: number): Promise<string[]> {
  let text = "";
  stream.setEncoding("utf8");
  for await (const chunk of stream) {
    text += chunk as string;
    const lines = text.split("\n");
    if (lines.length > count) return lines.slice(0, count);
  }
  throw new Error(`the simulator ended before printing ${count} lines: ${text}`);
}

function waitForFile(path: string): Promise<unknown> {
  return until(
    () => {
      try {
        return readFileSync(path, "utf8").includes("targets:");
      } catch {
        return false; // not written yet
      }
    },
    { what: `${path} to be written`, timeoutMs: 5000 },
  );
}
