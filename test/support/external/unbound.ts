/**
 * Debian's unbound for end-to-end tests: a real DNS server on a free loopback port (UDP and TCP)
 * serving local zones written by the test, with no upstream but the one a zone forwards to;
 * ready once it answers a query, stopped by PID.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { decode, encode } from "dns-packet";
import { unusedPort } from "../servers/loopback.js";
import { until } from "../until.js";
import { terminate } from "./prometheus.js";

export const UNBOUND = "/usr/sbin/unbound";

export interface RunningUnbound {
  /** The unbound process (to read its CPU and memory from /proc). */
  pid: number;
  port: number;
  /** `127.0.0.1:PORT`. */
  address: string;
  stderr(): string;
  stop(): Promise<void>;
}

/**
 * The `server:` lines of a static local zone: `records` are zone-file lines
 * (`www.zoo.example. 300 IN A 192.0.2.10`); a name of the zone without a record is NXDOMAIN.
 */
export function localZone(zone: string, records: readonly string[]): string[] {
  const quoted = records.map((record) => {
    // single quotes around the record leave a TXT record's double quotes to unbound
    if (record.includes("'"))
      throw new Error(`a local-data record holds a single quote: ${record}`);
    return `local-data: '${record}'`;
  });
  return [`local-zone: "${zone}" static`, ...quoted];
}

/**
 * `serverLines` go in unbound's `server:` clause (local-zone, local-data…: see localZone), `more`
 * after it (forward-zone…). Runs unprivileged, in the foreground, without a trust anchor or remote
 * control; a line of `serverLines` overrides the default it repeats (num-threads…).
 */
export async function startUnbound(options: {
  dir: string;
  serverLines: readonly string[];
  more?: readonly string[];
  /** A name it answers once ready. */
  readyName: string;
}): Promise<RunningUnbound> {
  const port = await unusedPort();
  const config = join(options.dir, "unbound.conf");
  writeFileSync(
    config,
    [
      "server:",
      `  interface: 127.0.0.1@${port}`,
      `  port: ${port}`,
      "  do-daemonize: no",
      '  username: ""',
      '  chroot: ""',
      `  directory: "${options.dir}"`,
      `  pidfile: "${join(options.dir, "unbound.pid")}"`,
      "  use-syslog: no",
      '  logfile: ""',
      "  verbosity: 1",
      "  do-ip6: no",
      "  num-threads: 1",
      "  so-reuseport: no",
      '  module-config: "iterator"',
      "  access-control: 127.0.0.0/8 allow",
      // forward zones of the test point at loopback
      "  do-not-query-localhost: no",
      ...options.serverLines.map((line) => `  ${line}`),
      ...(options.more ?? []),
      "remote-control:",
      "  control-enable: no",
      "",
    ].join("\n"),
  );
  const child = spawn(UNBOUND, ["-c", config], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const running: RunningUnbound = {
    pid: child.pid ?? 0,
    port,
    address: `127.0.0.1:${port}`,
    stderr: () => stderr,
    stop: () => terminate(child),
  };
  try {
    await until(() => answers(port, options.readyName), {
      what: "unbound to answer",
      timeoutMs: 20_000,
      intervalMs: 100,
      failed: () => exitedWith(child, stderr),
    });
  } catch (error) {
    await running.stop();
    throw error;
  }
  return running;
}

function exitedWith(child: ChildProcess, stderr: string): string | null {
  return child.exitCode === null ? null : `unbound exited with ${child.exitCode}: ${stderr}`;
}

/** Whether a UDP query for `name` gets any answer within 300 ms. */
function answers(port: number, name: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket("udp4");
    const done = (value: boolean): void => {
      clearTimeout(timer);
      socket.close();
      resolve(value);
    };
    const timer = setTimeout(() => done(false), 300);
    socket.on("error", () => done(false));
    socket.on("message", (message) => {
      try {
        done(decode(message).id === 1);
      } catch {
        done(false);
      }
    });
    socket.send(
      encode({ type: "query", id: 1, questions: [{ type: "A", name }] }),
      port,
      "127.0.0.1",
    );
  });
}
