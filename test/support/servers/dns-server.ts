/**
 * A tiny DNS server for probe tests: UDP and TCP on one loopback port, answering from a zone of
 * behaviours keyed by query name (`ok.zoo.example`, `nx.zoo.example`, `hang.zoo.example`, …) —
 * the answers a real server gives, and those it will not (truncated then a dead TCP, garbage, a
 * wrong id). It records every query it saw, so a test can assert the UDP-then-TCP sequence.
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { once } from "node:events";
import { createServer, type Server, type Socket } from "node:net";
import {
  type Answer,
  AUTHORITATIVE_ANSWER,
  type DecodedPacket,
  decode,
  encode,
  type Packet,
  RECURSION_AVAILABLE,
  TRUNCATED_RESPONSE,
} from "dns-packet";

export type Transport = "udp" | "tcp";

/** What the server does with one query. */
export type Behaviour =
  | { answer: Reply }
  | { drop: true }
  | { raw: Buffer }
  /** TCP only: close the connection without answering. */
  | { close: true };

export interface Reply {
  rcode?: Rcode;
  answers?: Answer[];
  authorities?: Answer[];
  additionals?: Answer[];
  truncated?: boolean;
  /** Answer with this id instead of the query's. */
  id?: number;
}

export type Rcode = "NOERROR" | "SERVFAIL" | "NXDOMAIN" | "REFUSED";
const RCODE_VALUES: Record<Rcode, number> = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 };

export interface SeenQuery {
  transport: Transport;
  name: string;
  type: string;
  recursionDesired: boolean;
}

export interface DnsTestServer {
  host: string;
  port: number;
  /** `127.0.0.1:PORT`, as a `server:` value. */
  address: string;
  queries: SeenQuery[];
  /** The address each query came from, in the order of `queries`. */
  peers: string[];
  close(): Promise<void>;
}

export const ZONE_SOA: Answer = {
  name: "zoo.example",
  type: "SOA",
  ttl: 300,
  class: "IN",
  data: {
    mname: "ns.zoo.example",
    rname: "hostmaster.zoo.example",
    serial: 2024062001,
    refresh: 3600,
    retry: 600,
    expire: 86400,
    minimum: 300,
  },
};

const a = (name: string, address: string, ttl = 300): Answer => ({
  name,
  type: "A",
  ttl,
  class: "IN",
  data: address,
});

/** 40 A records: 40 × 16 bytes, over the 512 bytes of a UDP answer without EDNS. */
export const BIG_RRSET: Answer[] = Array.from({ length: 40 }, (_, i) =>
  a("big.zoo.example", `192.0.2.${i + 1}`),
);

const truncated: Behaviour = { answer: { truncated: true } };

/** The zoo: a behaviour per query name, per transport. */
export function zooBehaviour(query: Packet, transport: Transport): Behaviour {
  const question = query.questions?.[0];
  const name = question?.name.toLowerCase() ?? "";
  const type = question?.type ?? "A";
  switch (name) {
    case "ok.zoo.example":
      return type === "A" ? { answer: { answers: [a(name, "192.0.2.10")] } } : nodata;
    case "records.zoo.example":
      return { answer: { answers: recordsOf(type, name) } };
    case "nx.zoo.example":
      return { answer: { rcode: "NXDOMAIN", authorities: [ZONE_SOA] } };
    case "servfail.zoo.example":
      return { answer: { rcode: "SERVFAIL" } };
    case "refused.zoo.example":
      return { answer: { rcode: "REFUSED" } };
    case "nodata.zoo.example":
      return nodata;
    case "hang.zoo.example":
      return { drop: true };
    case "big.zoo.example":
      return transport === "udp" ? truncated : { answer: { answers: BIG_RRSET } };
    case "big-tcp-hang.zoo.example":
      return transport === "udp" ? truncated : { drop: true };
    case "big-tcp-close.zoo.example":
      return transport === "udp" ? truncated : { close: true };
    case "garbage.zoo.example":
      return { raw: Buffer.from([0x12, 0x34, 0x81]) };
    case "wrong-id.zoo.example":
      return { answer: { answers: [a(name, "192.0.2.10")], id: ((query.id ?? 0) + 1) % 65_536 } };
    default:
      return { answer: { rcode: "NXDOMAIN", authorities: [ZONE_SOA] } };
  }
}

const nodata: Behaviour = { answer: { authorities: [ZONE_SOA] } };

function recordsOf(type: string, name: string): Answer[] {
  const base = { name, ttl: 60, class: "IN" as const };
  switch (type) {
    case "AAAA":
      return [{ ...base, type: "AAAA", data: "2001:db8::10" }];
    case "CNAME":
      return [{ ...base, type: "CNAME", data: "ok.zoo.example" }];
    case "MX":
      return [{ ...base, type: "MX", data: { preference: 10, exchange: "mail.zoo.example" } }];
    case "TXT":
      return [{ ...base, type: "TXT", data: ["v=spf1 -all", 'say "hi"'] }];
    case "NS":
      return [{ ...base, type: "NS", data: "ns.zoo.example" }];
    case "SOA":
      return [{ ...ZONE_SOA, name }];
    case "SRV":
      return [
        {
          ...base,
          type: "SRV",
          data: { priority: 0, weight: 5, port: 50051, target: "ok.zoo.example" },
        },
      ];
    default:
      return [a(name, "192.0.2.10", 60)];
  }
}

export interface DnsTestServerOptions {
  behaviour?: (query: Packet, transport: Transport) => Behaviour;
  /** Listen on TCP too (default): without it the TCP port is closed, so TCP is refused. */
  tcp?: boolean;
}

/** UDP and (unless `tcp: false`) TCP on one free port of 127.0.0.1. */
export async function startDnsServer(options: DnsTestServerOptions = {}): Promise<DnsTestServer> {
  const behaviour = options.behaviour ?? zooBehaviour;
  const queries: SeenQuery[] = [];
  const peers: string[] = [];
  const seen = (packet: DecodedPacket, transport: Transport, from: string): void => {
    peers.push(from);
    const question = packet.questions?.[0];
    queries.push({
      transport,
      name: question?.name ?? "",
      type: question?.type ?? "",
      recursionDesired: packet.flag_rd,
    });
  };
  for (let attempt = 0; ; attempt++) {
    const udp = createSocket("udp4");
    udp.bind(0, "127.0.0.1");
    await once(udp, "listening");
    const { port } = udp.address();
    const tcp = options.tcp === false ? null : await listenTcp(port);
    if (tcp === null && options.tcp !== false) {
      udp.close();
      if (attempt < 20) continue;
      throw new Error("no port free for both UDP and TCP");
    }
    serveUdp(udp, behaviour, seen);
    const sockets = new Set<Socket>();
    tcp?.on("connection", (socket) => serveTcp(socket, behaviour, seen, sockets));
    return {
      host: "127.0.0.1",
      port,
      address: `127.0.0.1:${port}`,
      queries,
      peers,
      close: () => closeAll(udp, tcp, sockets),
    };
  }
}

async function listenTcp(port: number): Promise<Server | null> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once("error", () => resolve(null));
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

function serveUdp(
  udp: UdpSocket,
  behaviour: DnsTestServerOptions["behaviour"] & {},
  seen: (packet: DecodedPacket, transport: Transport, from: string) => void,
): void {
  udp.on("message", (message, from) => {
    const query = decode(message);
    seen(query, "udp", from.address);
    const reply = respond(query, behaviour(query, "udp"));
    if (reply !== null) udp.send(reply, from.port, from.address);
  });
}

function serveTcp(
  socket: Socket,
  behaviour: DnsTestServerOptions["behaviour"] & {},
  seen: (packet: DecodedPacket, transport: Transport, from: string) => void,
  sockets: Set<Socket>,
): void {
  sockets.add(socket);
  socket.on("close", () => sockets.delete(socket));
  socket.on("error", () => undefined);
  let buffered: Buffer = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
      const length = buffered.readUInt16BE(0);
      const query = decode(buffered.subarray(2, 2 + length));
      buffered = buffered.subarray(2 + length);
      seen(query, "tcp", socket.remoteAddress ?? "?");
      const what = behaviour(query, "tcp");
      if ("close" in what) {
        socket.destroy();
        return;
      }
      const reply = respond(query, what);
      if (reply === null) continue;
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16BE(reply.length);
      socket.write(Buffer.concat([prefix, reply]));
    }
  });
}

/** The bytes to send back, or null to stay silent. */
function respond(query: DecodedPacket, behaviour: Behaviour): Buffer | null {
  if ("drop" in behaviour || "close" in behaviour) return null;
  if ("raw" in behaviour) return behaviour.raw;
  const reply = behaviour.answer;
  const flags =
    AUTHORITATIVE_ANSWER |
    RECURSION_AVAILABLE |
    ((query.flags ?? 0) & 0x0100) |
    (reply.truncated ? TRUNCATED_RESPONSE : 0) |
    RCODE_VALUES[reply.rcode ?? "NOERROR"];
  return encode({
    type: "response",
    id: reply.id ?? query.id ?? 0,
    flags,
    questions: query.questions ?? [],
    answers: reply.answers ?? [],
    authorities: reply.authorities ?? [],
    additionals: reply.additionals ?? [],
  });
}

async function closeAll(udp: UdpSocket, tcp: Server | null, sockets: Set<Socket>): Promise<void> {
  try {
    udp.close();
  } catch {
    // closed already
  }
  for (const socket of sockets) socket.destroy();
  if (tcp?.listening) {
    tcp.close();
    await once(tcp, "close");
  }
}
