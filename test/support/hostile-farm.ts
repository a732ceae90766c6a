/** Starts and stops the hostile farm (hostile-farm-server.ts) as a child process. */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { FarmStats } from "./hostile-farm-server.js";

export type { Behaviour, FarmStats } from "./hostile-farm-server.js";

export interface HostileFarm {
  pid: number;
  /** `http://127.0.0.1:PORT` */
  base: string;
  stats(): Promise<FarmStats>;
  close(): Promise<void>;
}

const SERVER = fileURLToPath(new URL("./hostile-farm-server.ts", import.meta.url));

export async function startHostileFarm(): Promise<HostileFarm> {
  const child = fork(SERVER, [], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`hostile farm exited with ${code}`)));
    child.on("message", (m: { ready?: boolean; port?: number }) => {
      if (m.ready === true && m.port !== undefined) resolve(m.port);
    });
  });
  return {
    pid: child.pid ?? 0,
    base: `http://127.0.0.1:${port}`,
    stats: () => askStats(child),
    close: () => stopChild(child),
  };
}

function askStats(child: ChildProcess): Promise<FarmStats> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("hostile farm did not answer")), 10_000);
    const onMessage = (m: { stats?: FarmStats }) => {
      if (m.stats === undefined) return;
      clearTimeout(timer);
      child.off("message", onMessage);
      resolve(m.stats);
    };
    child.on("message", onMessage);
    child.send("stats");
  });
}

/** SIGTERM to this one child (by its PID), SIGKILL after 5 s; resolves once it has exited. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
