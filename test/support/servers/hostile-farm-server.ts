/**
 * The hostile farm's server (run as a child process by hostile-farm.ts, so its event loop never
 * competes with the test's): one raw TCP server on loopback where the path picks the behaviour.
 *
 *   /ok/N             200 "ok", then close
 *   /slow/N           a status line, then one header byte every 500 ms, never a blank line
 *   /endless/N        200 with a chunked body that never ends (16 KiB every 5 ms)
 *   /chain/N/H        302 to /chain/N/H+1, for ever (longer than any max_redirects)
 *   /loop/N/a|b       302 to the other one of the pair: a loop
 *
 * Raw sockets rather than node:http so that the server does exactly what the path says, and
 * counts what it did: connections open per behaviour, and body bytes the endless ones wrote.
 */
import { createServer, type Socket } from "node:net";

export type Behaviour = "ok" | "slow" | "endless" | "chain" | "loop";
const BEHAVIOURS: readonly Behaviour[] = ["ok", "slow", "endless", "chain", "loop"];

export interface FarmStats {
  /** Connections open now, by behaviour. */
  open: Record<Behaviour, number>;
  /** Requests served since start, by behaviour. */
  requests: Record<Behaviour, number>;
  /** Most body bytes one endless connection managed to write before the client closed it. */
  endlessMaxWritten: number;
}

const TRICKLE_MS = 500;
const CHUNK = Buffer.alloc(16 * 1024, "a");
const CHUNK_FRAME = Buffer.concat([
  Buffer.from(`${CHUNK.length.toString(16)}\r\n`),
  CHUNK,
  Buffer.from("\r\n"),
]);

const zero = (): Record<Behaviour, number> => ({ ok: 0, slow: 0, endless: 0, chain: 0, loop: 0 });
const stats: FarmStats = { open: zero(), requests: zero(), endlessMaxWritten: 0 };
const trickling = new Set<Socket>();
/** Endless connections and the body bytes written to each so far. */
const pumping = new Map<Socket, number>();
const PUMP_MS = 5;

// one timer trickles every slow connection: a thousand of them cost one wake-up per tick
setInterval(() => {
  for (const socket of trickling) socket.write("a");
}, TRICKLE_MS).unref();
setInterval(() => {
  for (const [socket, written] of pumping) {
    if (socket.writableLength > 0 || !socket.writable) continue;
    socket.write(CHUNK_FRAME);
    pumping.set(socket, written + CHUNK.length);
  }
}, PUMP_MS).unref();

const server = createServer((socket) => {
  socket.setNoDelay(true);
  socket.on("error", () => undefined);
  let head = "";
  const onData = (chunk: Buffer): void => {
    head += chunk.toString("latin1");
    const end = head.indexOf("\r\n\r\n");
    if (end === -1) {
      if (head.length > 16 * 1024) socket.destroy();
      return;
    }
    socket.off("data", onData);
    // keep reading (and dropping) whatever else the client sends, so its writes never block
    socket.resume();
    serve(socket, head.slice(0, head.indexOf(" HTTP/")).split(" ")[1] ?? "/");
  };
  socket.on("data", onData);
});

function serve(socket: Socket, path: string): void {
  const [, kind, n, hop] = path.split("/");
  const behaviour = BEHAVIOURS.find((b) => b === kind);
  if (behaviour === undefined) {
    socket.end("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    return;
  }
  stats.requests[behaviour]++;
  stats.open[behaviour]++;
  socket.once("close", () => {
    stats.open[behaviour]--;
    trickling.delete(socket);
  });
  switch (behaviour) {
    case "ok":
      socket.end("HTTP/1.1 200 OK\r\ncontent-length: 3\r\nconnection: close\r\n\r\nok\n");
      return;
    case "slow":
      socket.write("HTTP/1.1 200 OK\r\nx-trickle: ");
      trickling.add(socket);
      return;
    case "endless":
      endless(socket);
      return;
    case "chain":
      redirect(socket, `/chain/${n}/${Number(hop) + 1}`);
      return;
    case "loop":
      redirect(socket, `/loop/${n}/${hop === "a" ? "b" : "a"}`);
      return;
  }
}

function redirect(socket: Socket, location: string): void {
  socket.end(
    `HTTP/1.1 302 Found\r\nlocation: ${location}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`,
  );
}

/**
 * Never ends: one 16 KiB chunk every PUMP_MS while the client keeps up. Paced, so the farm
 * does not spend its CPU filling megabytes of loopback socket buffers the client will drop.
 */
function endless(socket: Socket): void {
  socket.write("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n");
  pumping.set(socket, 0);
  socket.once("close", () => {
    stats.endlessMaxWritten = Math.max(stats.endlessMaxWritten, pumping.get(socket) ?? 0);
    pumping.delete(socket);
  });
}

server.maxConnections = 100_000;
server.listen(0, "127.0.0.1", 4096, () => {
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  process.send?.({ ready: true, port });
});

process.on("message", (message: "stats") => {
  if (message === "stats") process.send?.({ stats });
});
process.on("disconnect", () => process.exit(0));
