import type { Socket } from "node:net";
import { startRawServer, type TestServer } from "./loopback.js";

/**
 * Just enough of PostgreSQL's wire protocol to log a client in and then either answer every
 * query (each statement "changes one row" and returns none) or go silent: a hung backend, a
 * server behind a network cut without a reset. Each new connection takes the next behaviour from
 * the list; the last one repeats.
 */
export type FakeBehaviour =
  /** Answers every query. */
  | "answer"
  /** Logs in and answers nothing. */
  | "silent"
  /** Answers simple-protocol queries (BEGIN, ROLLBACK) and none with parameters. */
  | "silent-extended";

export interface FakePostgres extends TestServer {
  /** postgres://pantau@127.0.0.1:PORT/ledger (no password: the fake asks for none). */
  ledgerUrl: string;
  /** The message types (`Q`, `P`, `S`…) each connection received after logging in. */
  received: string[][];
}

function message(type: string, payload: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, "latin1");
  header.writeInt32BE(payload.length + 4, 1);
  return Buffer.concat([header, payload]);
}

const cString = (text: string) => Buffer.from(`${text}\0`, "latin1");
const AUTHENTICATION_OK = message("R", Buffer.from([0, 0, 0, 0]));
const READY = message("Z", Buffer.from("I", "latin1"));
const COMMAND_COMPLETE = message("C", cString("UPDATE 1"));

/** What an answering server sends for one message of the extended protocol (or a query). */
function answerTo(type: string): Buffer | null {
  switch (type) {
    case "P":
      return message("1", Buffer.alloc(0));
    case "B":
      return message("2", Buffer.alloc(0));
    case "D":
      return message("n", Buffer.alloc(0));
    case "E":
      return COMMAND_COMPLETE;
    case "S":
      return READY;
    case "Q":
      return Buffer.concat([COMMAND_COMPLETE, READY]);
    default:
      return null;
  }
}

function serve(socket: Socket, behaviour: FakeBehaviour, received: string[]): void {
  let buffered = Buffer.alloc(0);
  let loggedIn = false;
  socket.on("error", () => undefined);
  socket.on("data", (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    if (!loggedIn) {
      // the startup message has no type byte: length, protocol version, parameters
      if (buffered.length < 4 || buffered.length < buffered.readInt32BE(0)) return;
      buffered = buffered.subarray(buffered.readInt32BE(0));
      loggedIn = true;
      socket.write(Buffer.concat([AUTHENTICATION_OK, READY]));
    }
    while (buffered.length >= 5 && buffered.length >= 1 + buffered.readInt32BE(1)) {
      const type = String.fromCharCode(buffered[0] ?? 0);
      buffered = buffered.subarray(1 + buffered.readInt32BE(1));
      received.push(type);
      if (type === "X") return void socket.end();
      const answers = behaviour === "answer" || (behaviour === "silent-extended" && type === "Q");
      const answer = answers ? answerTo(type) : null;
      if (answer !== null) socket.write(answer);
    }
  });
}

export async function startFakePostgres(
  behaviours: readonly FakeBehaviour[],
): Promise<FakePostgres> {
  const received: string[][] = [];
  const server = await startRawServer((socket) => {
    const index = Math.min(received.length, behaviours.length - 1);
    const mine: string[] = [];
    received.push(mine);
    serve(socket, behaviours[index] ?? "answer", mine);
  });
  const ledgerUrl = `postgres://pantau@127.0.0.1:${server.port}/ledger`;
  return Object.assign(server, { ledgerUrl, received });
}
