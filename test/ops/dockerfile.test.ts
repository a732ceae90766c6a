import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, posix } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DEFAULTS } from "../../src/fields/defaults.js";
import { type Instruction, imageNodeOptions, parseDockerfile, stagesOf } from "./dockerfile.js";
import { dockerignoreIncludes } from "./dockerignore.js";

/**
 * The Dockerfile read as instructions (no Docker engine here): a builder and a runtime stage
 * from the same Node image, the native addon built, production dependencies only, a non-root
 * user, the ledger on a volume, tini as PID 1 — and its HEALTHCHECK command run for real
 * against loopback servers. .dockerignore must let in everything the build copies.
 */

const text = readFileSync("Dockerfile", "utf8");
const instructions = parseDockerfile(text);
const stages = stagesOf(instructions);
const build = stages.find((stage) => stage.name === "build");
const runtime = stages.at(-1);
const packageJson = JSON.parse(readFileSync("package.json", "utf8")) as {
  engines: { node: string };
  dependencies: Record<string, string>;
  allowScripts: Record<string, boolean>;
};
const shippedConfig = parse(readFileSync("config/pantau.yaml", "utf8")) as {
  server: { listen: string };
  storage: { path: string };
};
const port = Number(DEFAULTS.listen.split(":").at(-1));

const args = (stage: Instruction[] | undefined, keyword: string) =>
  (stage ?? []).filter((i) => i.keyword === keyword).map((i) => i.args);
const runs = (stage: Instruction[] | undefined) => args(stage, "RUN").join("\n");
const execForm = (value: string) => JSON.parse(value) as string[];

describe("Dockerfile", () => {
  it("builds in one stage and runs from another, both on the Node LTS that CI tests too", () => {
    expect(stages.map((stage) => stage.name)).toEqual(["build", "runtime"]);
    const image = /^ARG NODE_IMAGE=(\S+)$/m.exec(text)?.[1] ?? "";
    // .ci/run installs that Node from the npm registry and runs the tests on it
    const major = /scripts\/install-node\.sh (\d+) /.exec(readFileSync(".ci/run", "utf8"))?.[1];
    expect(image).toBe(`node:${major}-bookworm-slim`);
    expect(Number(major)).toBeGreaterThanOrEqual(Number(/\d+/.exec(packageJson.engines.node)));
    // the addon compiled in the builder must match the runtime's Node ABI and glibc
    for (const stage of stages) expect(stage.from).toBe(`\${NODE_IMAGE}`);
  });

  it("builds better-sqlite3's native addon, then keeps production dependencies only", () => {
    const steps = runs(build?.instructions);
    expect(steps).toMatch(/apt-get install [^\n]*python3 make g\+\+/);
    expect(steps).toMatch(/npm ci\b/);
    expect(steps).toMatch(/npm run build/);
    expect(steps).toMatch(/npm prune --omit=dev|npm ci [^\n]*--omit=dev/);
  });

  it("runs no lifecycle script before the sources are there, and the native ones after", () => {
    const buildSteps = build?.instructions ?? [];
    const ci = buildSteps.findIndex((i) => i.keyword === "RUN" && /npm ci\b/.test(i.args));
    const copySrc = buildSteps.findIndex((i) => i.keyword === "COPY" && /\bsrc\b/.test(i.args));
    // `prepare` runs tsc: with scripts on, `npm ci` needs src/ copied first
    if (copySrc > ci) expect(buildSteps[ci]?.args).toMatch(/--ignore-scripts/);
    if (/npm ci [^\n]*--ignore-scripts/.test(runs(buildSteps))) {
      const native = Object.keys(packageJson.allowScripts).filter(
        (name) => packageJson.allowScripts[name] && name in packageJson.dependencies,
      );
      expect(native).toContain("better-sqlite3");
      for (const name of native) expect(runs(buildSteps)).toContain(`npm rebuild ${name}`);
    }
  });

  it("copies the built daemon, its package.json (the version) and production modules", () => {
    const copies = args(runtime?.instructions, "COPY");
    for (const path of ["node_modules", "dist", "package.json"]) {
      expect(copies.some((c) => c.startsWith("--from=build") && c.includes(`/app/${path}`))).toBe(
        true,
      );
    }
    expect(runs(runtime?.instructions)).not.toMatch(/npm (ci|install)/);
  });

  it("caps V8's old space and young generation (the memory figures are measured with both)", () => {
    expect(imageNodeOptions(text).split(" ")).toEqual([
      "--max-old-space-size=1024",
      "--max-semi-space-size=16",
    ]);
  });

  it("runs as a non-root user", () => {
    const users = args(runtime?.instructions, "USER");
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
    const lastUser = runtime?.instructions.findLastIndex((i) => i.keyword === "USER") ?? -1;
    const entrypoint = runtime?.instructions.findIndex((i) => i.keyword === "ENTRYPOINT") ?? -1;
    expect(lastUser).toBeLessThan(entrypoint);
  });

  it("keeps the ledger of the shipped config on the /data volume, writable by that user", () => {
    expect(args(runtime?.instructions, "VOLUME")).toContain("/data");
    const workdir = args(runtime?.instructions, "WORKDIR").at(-1) ?? "/";
    const ledgerDir = posix.join(workdir, dirname(shippedConfig.storage.path));
    const steps = runs(runtime?.instructions);
    expect(steps).toContain(`ln -s /data ${ledgerDir}`);
    expect(steps).toMatch(
      new RegExp(`chown ${args(runtime?.instructions, "USER").at(-1)}(:\\S+)? /data`),
    );
  });

  it("exposes the port pantau listens on by default and in the shipped config", () => {
    expect(args(runtime?.instructions, "EXPOSE")).toEqual([String(port)]);
    expect(shippedConfig.server.listen).toBe(`0.0.0.0:${port}`);
  });

  it("runs pantau under tini with the config the image carries", () => {
    expect(runs(runtime?.instructions)).toMatch(/apt-get install [^\n]*\btini\b/);
    const entrypoint = execForm(args(runtime?.instructions, "ENTRYPOINT").at(-1) ?? "[]");
    expect(entrypoint.slice(0, 3)).toEqual(["/usr/bin/tini", "--", "node"]);
    expect(entrypoint[3]).toBe("/app/dist/cli/main.js");
    const cmd = execForm(args(runtime?.instructions, "CMD").at(-1) ?? "[]");
    expect(cmd.slice(0, 2)).toEqual(["run", "--config"]);
    expect(args(runtime?.instructions, "COPY")).toContain(`config/pantau.yaml ${cmd[2]}`);
  });

  describe("HEALTHCHECK", () => {
    const healthcheck = args(runtime?.instructions, "HEALTHCHECK").at(-1) ?? "";
    const command = execForm(/\bCMD (\[.*\])$/.exec(healthcheck)?.[1] ?? "[]");
    const servers: Server[] = [];

    afterAll(async () => {
      await Promise.all(
        servers.map((server) => new Promise((resolve) => server.close(() => resolve(null)))),
      );
    });

    /** Runs the image's health check with its port pointed at `target`; the exit code. */
    function check(target: number): Promise<number | null> {
      const [binary, ...rest] = command;
      const child = spawn(
        binary ?? "false",
        rest.map((arg) => arg.replace(`:${port}/`, `:${target}/`)),
        { stdio: "ignore", timeout: 10_000 },
      );
      return new Promise((resolve) => child.on("exit", (code) => resolve(code)));
    }

    async function serve(status: number): Promise<number> {
      const server = createServer((request, response) => {
        response.writeHead(request.url === "/-/healthy" ? status : 404).end();
      });
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      return (server.address() as AddressInfo).port;
    }

    it("asks /-/healthy on pantau's port, with node (the image has no curl)", () => {
      expect(healthcheck).toMatch(/--interval=\S+ --timeout=\S+/);
      expect(command[0]).toBe("node");
      expect(command.join(" ")).toContain(`http://127.0.0.1:${port}/-/healthy`);
    });

    it("passes when /-/healthy answers 200, fails on 503 and when nothing listens", async () => {
      expect(await check(await serve(200))).toBe(0);
      expect(await check(await serve(503))).toBe(1);
      const closed = await serve(200);
      const last = servers.pop();
      await new Promise((resolve) => last?.close(() => resolve(null)));
      expect(await check(closed)).toBe(1);
    });
  });
});

describe(".dockerignore", () => {
  const ignore = readFileSync(".dockerignore", "utf8");

  it("lets in every file the build copies from the context", () => {
    const sources = stages
      .flatMap((stage) => args(stage.instructions, "COPY"))
      .filter((copy) => !copy.startsWith("--from="))
      .flatMap((copy) => copy.split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(3);
    for (const source of sources) {
      expect(existsSync(source), source).toBe(true);
      const probe =
        source === "src" ? "src/cli/main.ts" : source === "config" ? "config/pantau.yaml" : source;
      expect(dockerignoreIncludes(ignore, probe), source).toBe(true);
    }
  });

  it("keeps out what the build makes itself, tests, git and ledgers", () => {
    for (const path of [
      "node_modules/yaml/package.json",
      "dist/cli/main.js",
      ".git/HEAD",
      "test/ops/dockerfile.test.ts",
      "data/pantau.db",
      "config/old-ledger.db",
      "README.md",
    ]) {
      expect(dockerignoreIncludes(ignore, path), path).toBe(false);
    }
  });
});
