/**
 * A vitest setup file (both configs): fails a test file whose output shows the secret canary.
 * Watched, in every test file: what each child process prints (stdout, stderr; spawn, spawnSync,
 * execFileSync), what the test process itself prints, what memory loggers receive (an in-process
 * daemon's logs), the bodies of API and /metrics answers fetched from loopback, and files written
 * under test/artifacts/. A future test that leaks the canary fails here without asking for it.
 */
import childProcess, { type ChildProcess, type SpawnSyncReturns } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { format } from "node:util";
import { afterAll, beforeAll } from "vitest";
import { LONGEST_FORM, recordedLeaks, watchOutput } from "./secret-canary.js";

const ARTIFACTS = fileURLToPath(new URL("../artifacts/", import.meta.url));
const pendingScans = new Set<Promise<void>>();

/** Scans a stream chunk by chunk, keeping an overlap so a canary split over two chunks is seen. */
function watchStream(where: string, stream: Readable | null | undefined): void {
  if (!stream) return;
  let tail = "";
  stream.on("data", (chunk: Buffer | string) => {
    const text = tail + chunk.toString();
    watchOutput(where, text);
    // what is kept is shorter than any form: it cannot be found twice
    tail = text.slice(-(LONGEST_FORM - 1));
  });
}

function describeCommand(file: string, args: readonly string[] | undefined): string {
  return [file, ...(args ?? [])].join(" ").slice(0, 120);
}

type Spawn = typeof childProcess.spawn;
type SpawnSync = typeof childProcess.spawnSync;
type ExecFileSync = typeof childProcess.execFileSync;

function installWatchers(): void {
  const spawn = childProcess.spawn;
  const wrappedSpawn = ((...args: Parameters<Spawn>) => {
    const child: ChildProcess = (spawn as (...a: unknown[]) => ChildProcess)(...args);
    const name = describeCommand(args[0], Array.isArray(args[1]) ? args[1] : undefined);
    // listening switches a stream to flowing: data read before the test's own listeners is
    // still delivered to them, since both are attached before the first event
    watchStream(`stdout of ${name}`, child.stdout);
    watchStream(`stderr of ${name}`, child.stderr);
    return child;
  }) as Spawn;
  const spawnSync = childProcess.spawnSync;
  const wrappedSpawnSync = ((...args: Parameters<SpawnSync>) => {
    const result = (spawnSync as (...a: unknown[]) => SpawnSyncReturns<Buffer | string>)(...args);
    const name = describeCommand(args[0], Array.isArray(args[1]) ? args[1] : undefined);
    watchOutput(`stdout of ${name}`, String(result.stdout ?? ""));
    watchOutput(`stderr of ${name}`, String(result.stderr ?? ""));
    return result;
  }) as SpawnSync;
  const execFileSync = childProcess.execFileSync;
  const wrappedExecFileSync = ((...args: Parameters<ExecFileSync>) => {
    const output = (execFileSync as (...a: unknown[]) => Buffer | string)(...args);
    const name = describeCommand(args[0], Array.isArray(args[1]) ? args[1] : undefined);
    watchOutput(`output of ${name}`, String(output ?? ""));
    return output;
  }) as ExecFileSync;
  // fork() goes through spawn() internally, not through the export: its output is inherited
  childProcess.spawn = wrappedSpawn;
  childProcess.spawnSync = wrappedSpawnSync;
  childProcess.execFileSync = wrappedExecFileSync;
  // so that `import { spawn } from "node:child_process"` in a test gets the wrapped one too
  syncBuiltinESMExports();

  for (const [name, stream] of [
    ["stdout", process.stdout],
    ["stderr", process.stderr],
  ] as const) {
    const write = stream.write.bind(stream) as (...a: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (typeof chunk === "string" || chunk instanceof Uint8Array) {
        watchOutput(`test process ${name}`, Buffer.from(chunk).toString());
      }
      return write(chunk, ...rest);
    }) as typeof stream.write;
  }

  // vitest captures console output before it reaches process.stdout: watch it here too
  for (const method of ["log", "info", "warn", "error", "debug"] as const) {
    const original = console[method].bind(console);
    console[method] = (...args: unknown[]) => {
      watchOutput(`console.${method} in the test`, format(...args));
      original(...args);
    };
  }

  const fetch = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const response = await fetch(input, init);
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (isLoopback(url.hostname) && isExposedPath(url.pathname)) {
      const scan = response
        .clone()
        .text()
        .then((text) => watchOutput(`GET ${url.pathname}${url.search}`, text))
        .catch(() => undefined)
        .finally(() => pendingScans.delete(scan));
      pendingScans.add(scan);
    }
    return response;
  };
}

const isLoopback = (host: string) =>
  host === "127.0.0.1" || host === "localhost" || host === "[::1]";
// what pantau itself answers; other loopback servers (endless bodies) are not read to the end
const isExposedPath = (path: string) =>
  path === "/metrics" || path.startsWith("/api/") || path.startsWith("/-/");

/** Files under test/artifacts/ written since `since` (ms), compiled trees excepted. */
function artifactsWrittenSince(since: number, dir = ARTIFACTS): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const files: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) continue;
    if (stat.isDirectory()) {
      if (name !== "dist" && name !== "node_modules")
        files.push(...artifactsWrittenSince(since, path));
    } else if (stat.mtimeMs >= since && stat.size < 64 * 1024 * 1024) {
      files.push(path);
    }
  }
  return files;
}

let startedAt = 0;

beforeAll(() => {
  startedAt = Date.now() - 1000;
});

afterAll(async () => {
  await Promise.all(pendingScans);
  for (const file of artifactsWrittenSince(startedAt)) {
    watchOutput(file, readFileSync(file).toString("latin1"));
  }
  const found = recordedLeaks().splice(0);
  if (found.length > 0) {
    throw new Error(
      `the secret canary leaked (${found.length}×):\n${found.slice(0, 10).join("\n")}`,
    );
  }
});

installWatchers();
