import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import {
  admit,
  type ConnectionLimits,
  type ConnectionView,
  type ShedReason,
} from "./connection-admission.js";

/**
 * The HTTP server's own connection accounting (Node's `server.maxConnections` would reset every
 * connection past the limit, a scrape as readily as a slowloris client): each accepted
 * connection is admitted by connection-admission.ts, which may close an idle or slow one to make
 * room, or put the new one in the overflow.
 */

interface Tracked extends ConnectionView {
  socket: Socket;
}

/** What the guard has done since the server started. */
export interface GuardCounts {
  /** Idle keep-alive connections closed to make room. */
  idle: number;
  /** Connections without a full request head closed to make room (answered 503 first). */
  slow: number;
  /** Connections admitted to the overflow. */
  overflow: number;
  /** New connections closed at once: every connection was busy answering. */
  refused: number;
}

export class ConnectionGuard {
  private readonly open = new Map<Socket, Tracked>();
  readonly counts: GuardCounts = { idle: 0, slow: 0, overflow: 0, refused: 0 };

  constructor(
    private readonly limits: ConnectionLimits,
    /** Monotonic ms. */
    private readonly now: () => number,
    /** Called whenever a connection was not simply admitted (the server logs it, throttled). */
    private readonly onPressure: (counts: Readonly<GuardCounts>, open: number) => void,
  ) {}

  attach(server: Server): void {
    server.on("connection", (socket: Socket) => this.accepted(socket));
  }

  /** Open connections. */
  get size(): number {
    return this.open.size;
  }

  /** A request's head has arrived on its connection: true when that connection is an overflow one. */
  begin(req: IncomingMessage, res: ServerResponse): boolean {
    const tracked = this.open.get(req.socket);
    if (!tracked) return false;
    tracked.inFlight++;
    res.once("close", () => {
      tracked.inFlight--;
      tracked.served++;
      tracked.idleSince = this.now();
    });
    return tracked.overflow;
  }

  private accepted(socket: Socket): void {
    const now = this.now();
    const decision =
      this.open.size < this.limits.maxConnections
        ? { kind: "admit" as const, overflow: false }
        : admit([...this.open.values()], now, this.limits);
    if (decision.kind === "refuse") {
      this.counts.refused++;
      socket.destroy();
    } else {
      if (decision.kind === "shed") this.shed(decision.victim, decision.reason);
      this.track(socket, now, decision.overflow);
    }
    if (decision.kind !== "admit" || decision.overflow) {
      this.onPressure(this.counts, this.open.size);
    }
  }

  private track(socket: Socket, now: number, overflow: boolean): void {
    if (overflow) this.counts.overflow++;
    const tracked = { socket, openedAt: now, inFlight: 0, served: 0, idleSince: now, overflow };
    this.open.set(socket, tracked);
    socket.once("close", () => {
      if (this.open.get(socket) === tracked) this.open.delete(socket);
    });
  }

  private shed({ socket }: Tracked, reason: ShedReason): void {
    this.open.delete(socket);
    this.counts[reason]++;
    if (reason === "idle") {
      // nothing is owed on an idle keep-alive connection; HTTP clients reconnect
      socket.destroy();
      return;
    }
    // a client still sending its head learns why, rather than meeting a bare reset
    socket.once("finish", () => socket.destroy());
    socket.end(SLOW_ANSWER);
  }
}

const SLOW_BODY = `${JSON.stringify({
  error: "server busy: every connection is in use and this one had not sent its request; retry",
})}\n`;

const SLOW_ANSWER = [
  "HTTP/1.1 503 Service Unavailable",
  "Content-Type: application/json; charset=utf-8",
  `Content-Length: ${Buffer.byteLength(SLOW_BODY)}`,
  "Retry-After: 1",
  "Connection: close",
  "",
  SLOW_BODY,
].join("\r\n");
