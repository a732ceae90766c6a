import { createServer, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { type FlapSchedule, flapOutcome } from "./farm-flap.js";

/**
 * The loopback target farm (a child process, so it never competes with the measured daemon's
 * event loop): target i is `GET /t/i` on one port. Each target answers 200 `ok`, 503, or accepts
 * and never answers ("hang"), resets the connection on the request ("reset"), or flaps between
 * those on the farm's seeded schedule ("flap", see farm-flap.ts). The parent switches ranges over
 * IPC and gets the switch time back.
 */
export type FarmMode = "ok" | "fail" | "hang" | "reset" | "flap";
const MODES: readonly FarmMode[] = ["ok", "fail", "hang", "reset", "flap"];

export interface FarmCommand {
  id: number;
  mode: FarmMode;
  from: number;
  to: number;
}

/** Sets the schedule that targets in mode "flap" follow (the farm's clock drives it). */
export interface FlapCommand {
  id: number;
  flap: FlapSchedule;
}

const count = Number(process.argv[2]);
const modes = new Uint8Array(count);
const hung = new Set<ServerResponse>();
let requests = 0;
let flap: FlapSchedule = { seed: 0, minMs: 1000, maxMs: 1001, upShare: 1, failures: [] };

const server = createServer({ keepAlive: false }, (req, res) => {
  requests++;
  const index = Number(req.url?.slice(3));
  const set = MODES[modes[index] ?? 0] ?? "ok";
  const mode = set === "flap" ? flapOutcome(flap, index, Date.now()) : set;
  if (mode === "reset") {
    // an RST instead of a FIN: the client sees ECONNRESET
    req.socket.resetAndDestroy();
    return;
  }
  if (mode === "hang") {
    hung.add(res);
    res.on("close", () => hung.delete(res));
    return;
  }
  const body = mode === "ok" ? "ok\n" : "unavailable\n";
  res.writeHead(mode === "ok" ? 200 : 503, {
    "content-type": "text/plain",
    "content-length": body.length,
    connection: "close",
  });
  res.end(body);
});
server.keepAliveTimeout = 1000;
server.headersTimeout = 0;
server.requestTimeout = 0;
server.maxConnections = 100_000;
server.on("connection", (socket: Socket) => socket.setNoDelay(true));
server.listen(0, "127.0.0.1", 4096, () => {
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  process.send?.({ ready: true, port });
});

process.on("message", (message: FarmCommand | FlapCommand | "stats") => {
  if (message === "stats") {
    process.send?.({ stats: true, requests, hung: hung.size });
    return;
  }
  if ("flap" in message) {
    flap = message.flap;
    process.send?.({ id: message.id, at: Date.now() });
    return;
  }
  const value = MODES.indexOf(message.mode);
  modes.fill(value, message.from, message.to);
  const at = Date.now();
  if (message.mode !== "hang") {
    for (const res of hung) res.destroy();
  }
  process.send?.({ id: message.id, at });
});
process.on("disconnect", () => process.exit(0));
