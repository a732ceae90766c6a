import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { FlapSchedule } from "./farm-flap.js";
import type { FarmMode } from "./farm-server.js";

/** Controls the farm child: where it listens, switching targets, stopping it. */
export interface Farm {
  pid: number;
  port: number;
  url(index: number): string;
  /** Switches targets [from, to) to `mode`; resolves with the farm's clock at the switch. */
  set(mode: FarmMode, from: number, to: number): Promise<number>;
  /** The schedule targets in mode "flap" follow; resolves with the farm's clock when set. */
  setFlap(schedule: FlapSchedule): Promise<number>;
  stats(): Promise<{ requests: number; hung: number }>;
  close(): Promise<void>;
}

const SERVER = fileURLToPath(new URL("./farm-server.ts", import.meta.url));

export async function startFarm(count: number): Promise<Farm> {
  const child = fork(SERVER, [String(count)], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`farm exited with ${code}`)));
    child.on("message", (m: { ready?: boolean; port?: number }) => {
      if (m.ready === true && m.port !== undefined) resolve(m.port);
    });
  });
  let next = 0;
  return {
    pid: child.pid ?? 0,
    port,
    url: (index) => `http://127.0.0.1:${port}/t/${index}`,
    set: (mode, from, to) => {
      const id = ++next;
      return reply<{ id: number; at: number }>(
        child,
        { id, mode, from, to },
        (m) => m.id === id,
      ).then((m) => m.at);
    },
    setFlap: (schedule) => {
      const id = ++next;
      return reply<{ id: number; at: number }>(
        child,
        { id, flap: schedule },
        (m) => m.id === id,
      ).then((m) => m.at);
    },
    stats: () =>
      reply<{ stats?: boolean; requests: number; hung: number }>(
        child,
        "stats",
        (m) => m.stats === true,
      ),
    close: () => stop(child),
  };
}

/** Sends `message` to a child and resolves with its first answer that `match`es (10 s at most). */
export function reply<T>(
  child: ChildProcess,
  message: unknown,
  match: (m: T) => boolean,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("farm did not answer")), 10_000);
    const onMessage = (m: T) => {
      if (!match(m)) return;
      clearTimeout(timer);
      child.off("message", onMessage);
      resolve(m);
    };
    child.on("message", onMessage);
    child.send(message as object);
  });
}

/** SIGTERM to this one child, SIGKILL after 5 s; resolves when it has exited. */
export function stop(child: ChildProcess): Promise<void> {
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
