/**
 * Debian's blackbox_exporter for end-to-end tests: started on a free loopback port with the
 * modules a test writes, asked `/probe?module=…&target=…` as Prometheus would, stopped by PID.
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { unusedPort } from "../servers/loopback.js";
import { until } from "../until.js";
import { terminate } from "./prometheus.js";

export const BLACKBOX = "/usr/bin/prometheus-blackbox-exporter";

export interface BlackboxVerdict {
  /** probe_success; null when the exporter did not answer within the wait. */
  success: boolean | null;
  /** The exporter's whole answer (its metrics for this probe). */
  text: string;
}

export interface RunningBlackbox {
  probe(module: string, target: string, waitMs?: number): Promise<BlackboxVerdict>;
  stop(): Promise<void>;
}

export async function startBlackbox(options: {
  dir: string;
  modules: Record<string, unknown>;
}): Promise<RunningBlackbox> {
  const port = await unusedPort();
  const config = join(options.dir, "blackbox.yml");
  writeFileSync(config, stringify({ modules: options.modules }, { lineWidth: 0 }));
  const child = spawn(
    BLACKBOX,
    [`--config.file=${config}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const base = `http://127.0.0.1:${port}`;
  const running: RunningBlackbox = {
    probe: async (module, target, waitMs = 10_000) => {
      const url = `${base}/probe?${new URLSearchParams({ module, target })}`;
      try {
        const text = await (await fetch(url, { signal: AbortSignal.timeout(waitMs) })).text();
        const success = /^probe_success (\d)/m.exec(text)?.[1];
        return { success: success === undefined ? null : success === "1", text };
      } catch {
        return { success: null, text: "" };
      }
    },
    stop: () => terminate(child),
  };
  try {
    await until(async () => (await fetch(`${base}/metrics`)).ok, {
      what: "blackbox_exporter to listen",
      timeoutMs: 20_000,
      intervalMs: 100,
      failed: () => (child.exitCode === null ? null : `exited: ${stderr}`),
    });
  } catch (error) {
    await running.stop();
    throw error;
  }
  return running;
}
