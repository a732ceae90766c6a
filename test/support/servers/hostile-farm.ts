/** Starts and stops the hostile farm (hostile-farm-server.ts) as a child process. */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { reply, stop } from "../../bench/farm.js";
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
    stats: () =>
      reply<{ stats: FarmStats }>(child, "stats", (m) => m.stats !== undefined).then(
        (m) => m.stats,
      ),
    close: () => stop(child),
  };
}
