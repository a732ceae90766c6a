import { connect, type Socket } from "node:net";

/**
 * A slowloris attacker for the flood bench: holds `count` connections that each send part of a
 * request head and then one more header byte every `trickleMs`, never finishing it; a connection
 * the server closes is opened again after `reopenMs` (as the attack tool would), and counted.
 */
export class SlowFlood {
  private readonly sockets = new Set<Socket>();
  private readonly timer: NodeJS.Timeout;
  private running = true;
  /** Connections the server closed (answered or reset) since the start. */
  closedByServer = 0;
  /** Of those, the ones that got an HTTP answer first (a 503 or a 408), not a bare close. */
  answered = 0;

  constructor(
    private readonly host: string,
    private readonly port: number,
    count: number,
    trickleMs = 2_000,
    private readonly reopenMs = 200,
  ) {
    for (let i = 0; i < count; i++) this.open();
    this.timer = setInterval(() => {
      for (const socket of this.sockets) if (socket.writable) socket.write("X");
    }, trickleMs);
  }

  /** Resolves once every slow connection has been connected (or closed) once. */
  async ready(): Promise<void> {
    await Promise.all(
      [...this.sockets].map(
        (socket) =>
          new Promise<void>((resolve) => {
            if (!socket.connecting) resolve();
            socket.once("connect", () => resolve());
            socket.once("close", () => resolve());
          }),
      ),
    );
  }

  stop(): void {
    this.running = false;
    clearInterval(this.timer);
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  private open(): void {
    const socket = connect(this.port, this.host);
    let gotAnswer = false;
    this.sockets.add(socket);
    socket.on("error", () => undefined);
    socket.on("data", () => {
      gotAnswer = true;
    });
    socket.once("connect", () => socket.write("GET /api/v1/targets HTTP/1.1\r\nHost: pantau\r\n"));
    socket.once("close", () => {
      this.sockets.delete(socket);
      if (!this.running) return;
      this.closedByServer++;
      if (gotAnswer) this.answered++;
      setTimeout(() => {
        if (this.running) this.open();
      }, this.reopenMs);
    });
  }
}
