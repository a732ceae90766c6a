/**
 * One HTTP request and its response on one fresh connection. The connection is opened by
 * connection.ts (so DNS, connect and TLS are ours to time and to bound), then handed to an
 * undici Client that may use it once and never dials again; both are destroyed at the end.
 */
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { type buildConnector, Client } from "undici";
import type { HttpProbeSpec } from "../config/types.js";
import { openConnection } from "./connection.js";
import { ProbeFailure } from "./failure.js";
import { type ReadLimits, type ReadResponse, ResponseReader } from "./response-reader.js";
import type { ProbeContext } from "./run.js";

export interface HttpRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: string | null;
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { "http:": 80, "https:": 443 };

export async function exchange(
  request: HttpRequest,
  spec: HttpProbeSpec,
  limits: ReadLimits,
  context: ProbeContext,
): Promise<ReadResponse> {
  const { url } = request;
  const secure = url.protocol === "https:";
  const socket = await openConnection(
    {
      host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
      port: url.port === "" ? (DEFAULT_PORTS[url.protocol] ?? 80) : Number(url.port),
      ipFamily: spec.ipFamily,
      tls: secure ? spec.tls : null,
      // undici here speaks HTTP/1.1 only: never let the server pick h2
      alpn: secure ? ["http/1.1"] : [],
    },
    context,
  );
  context.deadline.phase = "waiting for headers";
  const reader = new ResponseReader(limits, context, () => socket.destroy(RESPONSE_READ));
  const client = new Client(url.origin, {
    connect: handOver(socket, reader),
    pipelining: 1,
    // the probe's deadline bounds every phase; undici's own timers would only race it
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  context.deadline.adopt({ destroy: () => releaseClient(client) });
  try {
    client.dispatch(
      {
        path: `${url.pathname}${url.search}`,
        method: request.method,
        headers: request.headers,
        body: request.body,
      },
      reader,
    );
    return await context.deadline.race(reader.done);
  } finally {
    // a later hop opens its own connection: this one is done, free it now. The client first:
    // it destroys the socket with our shared error, where a socket closed under it would make
    // undici build a SocketError (and its stack trace) for every probe.
    releaseClient(client);
    socket.destroy();
  }
}

/**
 * Given no error, undici's destroy() builds a new ClientDestroyedError, stack trace and all:
 * a measurable share of a probe's CPU at a thousand probes a second. One shared error is enough.
 */
const CLIENT_RELEASED = new Error("probe finished: client released");
const RESPONSE_READ = new Error("probe finished: response read");

function releaseClient(client: Client): void {
  client.destroy(CLIENT_RELEASED, ignore);
}

function ignore(): void {}

/**
 * A connector that gives undici our socket once and refuses to dial another. It must answer
 * asynchronously: undici ignores a connection handed over from inside its own dispatch loop.
 * A microtask still runs before any socket event, so no byte can arrive unobserved.
 */
function handOver(socket: Socket | TLSSocket, reader: ResponseReader): buildConnector.connector {
  let handed = false;
  return (_options, callback) => {
    if (handed) {
      queueMicrotask(() =>
        callback(new ProbeFailure("reset", "connection closed before a response"), null),
      );
      return;
    }
    handed = true;
    queueMicrotask(() => {
      reader.watchFirstByte(socket);
      callback(null, socket);
    });
  };
}
