/**
 * Debian's real PostgreSQL for end-to-end tests: a throwaway cluster (initdb into a temporary
 * directory, as the `postgres` OS user when running as root), started on a free loopback port
 * with its socket in that directory, password auth over TCP, and a stop by the postmaster's PID.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { chown } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { SECRET_CANARY } from "../secret-canary.js";
import { unusedPort } from "../servers/loopback.js";
import { until } from "../until.js";

export const SUPERUSER = "postgres";

export interface RunningPostgres {
  host: string;
  port: number;
  password: string;
  /** postgres://postgres:PASSWORD@127.0.0.1:PORT/database */
  url(database: string, password?: string): string;
  /** Runs SQL as the superuser in `database` (default `postgres`). */
  sql(text: string, database?: string): Promise<pg.QueryResult>;
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** Where Debian puts the server binaries, or wherever PATH has them. */
export function postgresBin(tool: "initdb" | "pg_ctl"): string {
  for (const version of ["17", "16", "15"]) {
    const candidate = `/usr/lib/postgresql/${version}/bin/${tool}`;
    if (existsSync(candidate)) return candidate;
  }
  return tool;
}

interface OsUser {
  uid: number;
  gid: number;
}

/** As root, the cluster belongs to the `postgres` OS user (initdb refuses root). */
function clusterOwner(): OsUser | null {
  if (process.getuid?.() !== 0) return null;
  const id = (flag: string) => Number(execFileSync("id", [flag, SUPERUSER], { encoding: "utf8" }));
  return { uid: id("-u"), gid: id("-g") };
}

function runAs(owner: OsUser | null, command: string, args: string[]): void {
  const [file, argv] =
    owner === null ? [command, args] : ["runuser", ["-u", SUPERUSER, "--", command, ...args]];
  const result = spawnSync(file, argv, { encoding: "utf8", timeout: 60_000 });
  if (result.status !== 0) {
    throw new Error(`${command} failed (${result.status}): ${result.stderr}${result.stdout}`);
  }
}

export async function startPostgres(): Promise<RunningPostgres> {
  const dir = mkdtempSync(join(tmpdir(), "pantau-pg-"));
  const data = join(dir, "data");
  const owner = clusterOwner();
  if (owner !== null) await chown(dir, owner.uid, owner.gid);
  // the suite's secret canary: secret-watch.ts fails any test whose output shows this password
  const password = `${SECRET_CANARY}-${process.pid}-${Date.now()}`;
  const pwfile = join(dir, "pwfile");
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (owner !== null) await chown(pwfile, owner.uid, owner.gid);
  runAs(owner, postgresBin("initdb"), [
    "-D",
    data,
    "-U",
    SUPERUSER,
    "--pwfile",
    pwfile,
    "--auth-local=trust",
    "--auth-host=scram-sha-256",
    "--encoding=UTF8",
    "--no-sync",
  ]);
  const port = await unusedPort();
  const options = `-k ${dir} -p ${port} -c listen_addresses=127.0.0.1 -c fsync=off`;
  runAs(owner, postgresBin("pg_ctl"), [
    "-D",
    data,
    "-o",
    options,
    "-l",
    join(dir, "server.log"),
    "-w",
    "-t",
    "60",
    "start",
  ]);
  const pidFile = join(data, "postmaster.pid");
  const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
  const host = "127.0.0.1";
  const url = (database: string, pass = password) =>
    `postgres://${SUPERUSER}:${encodeURIComponent(pass)}@${host}:${port}/${database}`;
  const admin = new pg.Pool({ connectionString: url("postgres"), max: 2 });
  // pool.end() does not wait for the server's goodbye: the shutdown's FATAL may come after it
  admin.on("error", () => undefined);
  admin.on("connect", (client) => client.on("error", () => undefined));
  const sql = async (text: string, database = "postgres"): Promise<pg.QueryResult> => {
    if (database === "postgres") return admin.query(text);
    const client = new pg.Client({ connectionString: url(database) });
    client.on("error", () => undefined);
    await client.connect();
    try {
      return await client.query(text);
    } finally {
      await client.end();
    }
  };
  return {
    host,
    port,
    password,
    url,
    sql,
    async createDatabase(name) {
      await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      return url(name);
    },
    async stop() {
      await admin.end().catch(() => undefined);
      await stopByPid(pid, pidFile);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * SIGINT is PostgreSQL's fast shutdown; SIGKILL if it has not gone within 30 s. Gone means the
 * process is gone or it removed postmaster.pid (its last act; a zombie would still answer kill 0).
 */
async function stopByPid(pid: number, pidFile: string): Promise<void> {
  if (!alive(pid, pidFile)) return;
  process.kill(pid, "SIGINT");
  try {
    await until(() => !alive(pid, pidFile), {
      what: `postgres ${pid} to stop`,
      timeoutMs: 30_000,
      intervalMs: 100,
    });
  } catch {
    process.kill(pid, "SIGKILL");
  }
}

function alive(pid: number, pidFile: string): boolean {
  if (!existsSync(pidFile)) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
