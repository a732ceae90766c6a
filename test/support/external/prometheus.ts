/**
 * Debian's real Prometheus for end-to-end tests: started on a free loopback port with a given
 * config file, its HTTP API, a bounded poll for a query to return series, and a stop by PID.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { unusedPort } from "../servers/loopback.js";
import { until } from "../until.js";

export const PROMETHEUS = "/usr/bin/prometheus";

export interface PromResult {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}
export interface PromResponse {
  status: "success" | "error";
  error?: string;
  warnings?: string[];
  data?: { resultType: string; result: PromResult[] };
}

export interface RunningPrometheus {
  url: string;
  /** Prometheus' HTTP API: GET path?params, the JSON body. */
  api<T>(path: string, params?: Record<string, string>): Promise<T>;
  /** Resolves with the series once `expr` returns at least one; throws after `timeoutMs`. */
  waitFor(expr: string, timeoutMs?: number): Promise<PromResult[]>;
  /** What Prometheus logged on stderr so far. */
  stderr(): string;
  stop(): Promise<void>;
}

/** Starts Prometheus with `configFile`, its TSDB under `dir`; resolves once it listens. */
export async function startPrometheus(options: {
  configFile: string;
  dir: string;
}): Promise<RunningPrometheus> {
  const port = await unusedPort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    PROMETHEUS,
    [
      `--config.file=${options.configFile}`,
      `--storage.tsdb.path=${join(options.dir, "tsdb")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });

  const api = async <T>(path: string, params: Record<string, string> = {}): Promise<T> => {
    const response = await fetch(`${url}${path}?${new URLSearchParams(params)}`);
    return (await response.json()) as T;
  };
  const exited = () => (child.exitCode === null ? null : `prometheus exited: ${stderr}`);
  const waitFor = (expr: string, timeoutMs = 30_000): Promise<PromResult[]> =>
    until(
      async () => {
        const body = await api<PromResponse>("/api/v1/query", { query: expr });
        const result = body.data?.result ?? [];
        return result.length > 0 ? result : null;
      },
      { what: `${expr} to return series`, timeoutMs, intervalMs: 200, failed: exited },
    );
  const running: RunningPrometheus = {
    url,
    api,
    waitFor,
    stderr: () => stderr,
    stop: () => terminate(child),
  };
  try {
    await until(async () => (await fetch(`${url}/-/ready`)).status === 200, {
      what: "prometheus to be ready",
      timeoutMs: 30_000,
      intervalMs: 100,
      failed: exited,
    });
  } catch (error) {
    await running.stop();
    throw error;
  }
  return running;
}

/** Sends SIGTERM to a child this test started (by its PID) and waits for it to exit. */
export async function terminate(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((done) => child.once("exit", done));
  child.kill("SIGTERM");
  await exited;
}
