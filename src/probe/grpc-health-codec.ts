/**
 * PURE: the two messages of grpc.health.v1.Health/Check, in protobuf's wire format, by hand:
 * `HealthCheckRequest { string service = 1; }` and `HealthCheckResponse { ServingStatus status = 1; }`.
 * Two messages of one field each do not warrant loading a .proto file and protobufjs' reflection
 * at start-up and per message; this is the whole of the format they use.
 */
import { ProbeFailure } from "./failure.js";
import { SERVING_STATUSES, type ServingStatus } from "./types.js";

export const HEALTH_CHECK_PATH = "/grpc.health.v1.Health/Check";

/** `service` as field 1 (length-delimited); the empty string is the default, so no bytes. */
export function encodeCheckRequest(service: string): Buffer {
  if (service === "") return Buffer.alloc(0);
  const bytes = Buffer.from(service, "utf8");
  return Buffer.concat([Buffer.from([0x0a]), varint(bytes.length), bytes]);
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

/** The status (field 1) of a HealthCheckResponse; 0 (UNKNOWN) when absent; unknown fields skipped. */
export function decodeCheckResponse(message: Uint8Array): number {
  const reader = new Reader(message);
  let status = 0;
  while (!reader.done()) {
    const key = reader.varint();
    const field = Math.floor(key / 8);
    const wireType = key % 8;
    if (wireType === 0) {
      const value = reader.varint();
      if (field === 1) status = value;
    } else if (wireType === 1) reader.skip(8);
    else if (wireType === 2) reader.skip(reader.varint());
    else if (wireType === 5) reader.skip(4);
    else throw malformed(`wire type ${wireType} of field ${field}`);
  }
  return status;
}

/** The name of a serving status value, null for one grpc.health.v1 does not define. */
export function servingStatusName(value: number): ServingStatus | null {
  return SERVING_STATUSES[value] ?? null;
}

class Reader {
  #offset = 0;

  constructor(private readonly bytes: Uint8Array) {}

  done(): boolean {
    return this.#offset >= this.bytes.length;
  }

  varint(): number {
    let value = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      const byte = this.bytes[this.#offset++];
      if (byte === undefined) throw malformed("a varint runs past the end");
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
    throw malformed("a varint longer than 10 bytes");
  }

  skip(count: number): void {
    if (this.#offset + count > this.bytes.length) throw malformed("a field runs past the end");
    this.#offset += count;
  }
}

function malformed(why: string): ProbeFailure {
  return new ProbeFailure("protocol", `malformed health check response (${why})`);
}
