/** An HTTP receiver on loopback for what pantau pushes (Alertmanager's API, a webhook). */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Receiver {
  /** `http://127.0.0.1:PORT` */
  url: string;
  close(): Promise<void>;
}

/** Answers every request 200 once its whole body is in, and hands the path and body to `record`. */
export async function startReceiver(
  record: (path: string, body: string) => void,
): Promise<Receiver> {
  const server: Server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on("end", () => {
      record(request.url ?? "", body);
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
