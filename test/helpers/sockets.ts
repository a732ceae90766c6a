/**
 * Leak checks on this process's sockets. Node reports every live TCP socket handle — client or
 * server side, plain or under TLS — as a `TCPSocketWrap` resource; listening servers are
 * `TCPServerWrap` and do not count.
 */
import { setTimeout as sleep } from "node:timers/promises";

export function openTcpSockets(): number {
  return process.getActiveResourcesInfo().filter((name) => name === "TCPSocketWrap").length;
}

/** Poll until no TCP socket is left or `withinMs` passed; returns how many remain. */
export async function settleOpenTcpSockets(withinMs = 1000): Promise<number> {
  const until = performance.now() + withinMs;
  while (openTcpSockets() > 0 && performance.now() < until) await sleep(10);
  return openTcpSockets();
}
