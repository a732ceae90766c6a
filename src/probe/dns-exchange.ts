/**
 * One DNS query and its answer, over UDP (one datagram, no retransmission: a lost one is a
 * timeout, as in blackbox_exporter) or TCP (RFC 1035's two-byte length prefix, over a fresh
 * connection from connection.ts). Both are bounded by the probe's deadline, which owns the socket.
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import type { Socket } from "node:net";
import { type DecodedPacket, decode } from "dns-packet";
import { openConnection } from "./connection.js";
import { ProbeFailure } from "./failure.js";
import { joinHostPort, type ResolvedAddress } from "./resolve-address.js";
import { type ProbeContext, timePhase } from "./run.js";

export interface DnsPeer extends ResolvedAddress {
  port: number;
  /** The local address to send from (`source_ip_address`); null: the system's choice. */
  sourceIpAddress: string | null;
}

/** Sends `query` in one datagram and resolves with the answer to it. */
export async function exchangeUdp(
  peer: DnsPeer,
  query: Buffer,
  context: ProbeContext,
): Promise<DecodedPacket> {
  const { deadline } = context;
  const socket = createSocket(peer.family === 6 ? "udp6" : "udp4");
  deadline.adopt({ destroy: () => closeQuietly(socket) });
  // a connected socket takes datagrams from the server only, and learns of a closed port
  deadline.phase = "connecting";
  await timePhase(context, "connect", () =>
    deadline.race(
      new Promise<void>((resolve, reject) => {
        socket.once("error", reject);
        const connect = (): void =>
          socket.connect(peer.port, peer.address, () => {
            socket.off("error", reject);
            resolve();
          });
        // bound first when a source is set: connect would bind the system's choice itself
        if (peer.sourceIpAddress === null) connect();
        else socket.bind({ address: peer.sourceIpAddress, port: 0 }, connect);
      }),
    ),
  );
  socket.on("error", ignore);
  deadline.phase = "waiting for the answer over UDP";
  const message = await timePhase(context, "processing", () =>
    deadline.race(
      new Promise<Buffer>((resolve, reject) => {
        socket.once("message", resolve);
        socket.once("error", (error) => reject(udpFailure(error, peer)));
        socket.send(query);
      }),
    ),
  );
  context.trace.bytesRead += message.length;
  return decodeAnswer(message, query, "UDP");
}

/** Sends `query` over a new TCP connection and resolves with the answer to it. */
export async function exchangeTcp(
  peer: DnsPeer,
  query: Buffer,
  context: ProbeContext,
): Promise<DecodedPacket> {
  const socket = await openConnection(
    {
      host: peer.address,
      port: peer.port,
      ipFamily: "any",
      sourceIpAddress: peer.sourceIpAddress,
      resolver: null,
      tls: null,
      alpn: [],
    },
    context,
  );
  context.deadline.phase = "waiting for the answer over TCP";
  const message = await timePhase(context, "processing", () =>
    context.deadline.race(readFramed(socket, query)),
  );
  context.trace.bytesRead += message.length + 2;
  return decodeAnswer(message, query, "TCP");
}

/** Writes `query` with its length prefix; resolves with the first whole message that comes back. */
function readFramed(socket: Socket, query: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const prefix = Buffer.alloc(2);
    prefix.writeUInt16BE(query.length);
    let received: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      if (received.length < 2) return;
      const length = received.readUInt16BE(0);
      if (received.length < 2 + length) return;
      socket.off("data", onData);
      resolve(received.subarray(2, 2 + length));
    };
    const onGone = (): void => {
      const got =
        received.length < 2 ? "" : ` (${received.length - 2} of ${received.readUInt16BE(0)} bytes)`;
      reject(new ProbeFailure("reset", `connection closed before a whole answer over TCP${got}`));
    };
    socket.on("data", onData);
    socket.once("end", onGone);
    socket.once("close", onGone);
    socket.once("error", reject);
    socket.write(Buffer.concat([prefix, query]));
  });
}

/** The answer to `query`: a response with its id, decodable; anything else is a `protocol` failure. */
function decodeAnswer(message: Buffer, query: Buffer, transport: "UDP" | "TCP"): DecodedPacket {
  let packet: DecodedPacket;
  try {
    packet = decode(message);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new ProbeFailure("protocol", `malformed DNS answer over ${transport} (${why})`);
  }
  const id = query.readUInt16BE(0);
  if (!packet.flag_qr || packet.id !== id) {
    throw new ProbeFailure(
      "protocol",
      `not an answer to the query over ${transport} (id ${packet.id}, qr ${packet.flag_qr ? 1 : 0}; asked id ${id})`,
    );
  }
  return packet;
}

/** A closed UDP port comes back as ECONNREFUSED on the connected socket. */
function udpFailure(error: Error, peer: DnsPeer): Error {
  const code = (error as { code?: string }).code;
  if (code !== "ECONNREFUSED") return error;
  return new ProbeFailure(
    "refused",
    `nothing answers on UDP ${joinHostPort(peer.address, peer.port)} (ECONNREFUSED)`,
  );
}

function closeQuietly(socket: UdpSocket): void {
  try {
    socket.close();
  } catch {
    // already closed
  }
}

function ignore(): void {}
