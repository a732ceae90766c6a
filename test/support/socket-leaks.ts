/**
 * Leak checks on this process's sockets. Node reports every live TCP socket handle — client or
 * server side, plain or under TLS — as a `TCPSocketWrap` resource; listening servers are
 * `TCPServerWrap` and do not count.
 */
import { until } from "./until.js";

export function openTcpSockets(): number {
  return process.getActiveResourcesInfo().filter((name) => name === "TCPSocketWrap").length;
}

/** Poll until no TCP socket is left or `withinMs` passed; returns how many remain. */
export async function settleOpenTcpSockets(withinMs = 1000): Promise<number> {
  try {
    await until(() => openTcpSockets() === 0, {
      what: "every TCP socket to close",
      timeoutMs: withinMs,
      intervalMs: 10,
    });
  } catch {
    // the caller asserts how many are left
  }
  return openTcpSockets();
}
