import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** An HTTP server on loopback whose answer a test switches: 200 `ok` or 503. */
export interface SwitchServer {
  url: string;
  setUp(up: boolean): void;
  /** Wall-clock arrival (ms) and answer of every request, in order. */
  requests: { at: number; status: number }[];
  close(): Promise<void>;
}

export async function startSwitchServer(): Promise<SwitchServer> {
  let up = true;
  const requests: { at: number; status: number }[] = [];
  const server: Server = createServer((_req, res) => {
    const status = up ? 200 : 503;
    requests.push({ at: Date.now(), status });
    res.writeHead(status, { "content-type": "text/plain" }).end(up ? "ok" : "down");
  });
  // A deep backlog: mass-outage tests open thousands of connections in the same instant.
  await new Promise<void>((resolve) =>
    server.listen({ port: 0, host: "127.0.0.1", backlog: 4096 }, resolve),
  );
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/health`,
    setUp: (value) => {
      up = value;
    },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
