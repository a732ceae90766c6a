import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * One HTTP server on loopback that sees where each request comes from: a request from a source
 * address the test has cut loses its connection (as behind a firewall that rejects it), every
 * other one is answered 200 `ok`. Stands for one gate reached by vantages on different networks.
 */
export interface SourceGate {
  url: string;
  cut(source: string, cut: boolean): void;
  /** Every source address a request came from, with its count. */
  seen: Map<string, number>;
  close(): Promise<void>;
}

export async function startSourceGate(): Promise<SourceGate> {
  const cut = new Set<string>();
  const seen = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const source = req.socket.remoteAddress ?? "?";
    seen.set(source, (seen.get(source) ?? 0) + 1);
    if (cut.has(source)) {
      req.socket.destroy();
      return;
    }
    res.writeHead(200, { "content-type": "text/plain" }).end("ok");
  });
  await new Promise<void>((resolve) => server.listen({ port: 0, host: "127.0.0.1" }, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/health`,
    cut: (source, value) => {
      if (value) cut.add(source);
      else cut.delete(source);
    },
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
