/**
 * No test binds a fixed port or all interfaces: a fixed port fails whenever something else holds
 * it (a running `npm run demo` holds 9469), and 0.0.0.0 opens a test to the network. A test asks
 * the OS for a port on loopback: port 0 on 127.0.0.1 or ::1, or a port the OS handed out before
 * (`unusedPort()`), which lies in its ephemeral range.
 *
 * A vitest setup file (both configs), plain JavaScript so that the Node processes a test starts
 * load it too: it adds itself to NODE_OPTIONS. In each process, a listen that breaks the rule
 * throws, naming the address; a daemon that would bind one exits saying so.
 */
import { readFileSync } from "node:fs";
import net from "node:net";

/** Where the OS starts handing out ports; a literal port a person picks lies below it. */
const EPHEMERAL_LOW = (() => {
  try {
    const [low] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8")
      .trim()
      .split(/\s+/);
    return Number(low) > 0 ? Number(low) : 32_768;
  } catch {
    return 32_768;
  }
})();

const isLoopback = (host) =>
  host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);

/** Why listening on `port` at `host` breaks the rule, or null when it keeps it. */
export function listenViolation(port, host) {
  if (typeof host !== "string" || host === "" || !isLoopback(host)) {
    return `host ${host === undefined || host === "" ? "(all interfaces)" : host} is not loopback: use 127.0.0.1 or ::1`;
  }
  const number = Number(port ?? 0);
  if (number !== 0 && number < EPHEMERAL_LOW) {
    return `port ${number} is fixed: listen on port 0, or on one unusedPort() handed out`;
  }
  return null;
}

/** The port and host of a `listen(...)` call; null for a Unix socket, a pipe or a handle. */
function addressOf(args) {
  const [first, second] = args;
  if (typeof first === "object" && first !== null) {
    if ("path" in first || "fd" in first || "_handle" in first || "handle" in first) return null;
    return { port: first.port, host: first.host };
  }
  if (typeof first === "string" && !/^\d+$/.test(first)) return null;
  if (typeof first === "function" || first === undefined) return { port: 0, host: undefined };
  return { port: first, host: typeof second === "string" ? second : undefined };
}

const GUARDED = Symbol.for("pantau.test.listenGuard");

function install() {
  const listen = net.Server.prototype.listen;
  if (listen[GUARDED]) return;
  function guardedListen(...args) {
    const address = addressOf(args);
    const problem = address === null ? null : listenViolation(address.port, address.host);
    if (problem !== null) {
      const host = address.host || "*";
      const where = `${host.includes(":") ? `[${host}]` : host}:${address.port ?? 0}`;
      throw new Error(`listen-guard: a test listens on ${where}: ${problem}`);
    }
    return listen.apply(this, args);
  }
  guardedListen[GUARDED] = true;
  net.Server.prototype.listen = guardedListen;
  // every Node process a test starts (with the test's environment) loads this file too
  const self = `--import=${import.meta.url}`;
  const options = process.env.NODE_OPTIONS ?? "";
  if (!options.includes(self)) process.env.NODE_OPTIONS = `${options} ${self}`.trim();
}

install();
