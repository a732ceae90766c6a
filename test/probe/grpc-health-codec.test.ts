/** PURE: the two grpc.health.v1 messages in protobuf's wire format, encoded and decoded by hand. */
import { describe, expect, it } from "vitest";
import { ProbeFailure } from "../../src/probe/failure.js";
import {
  decodeCheckResponse,
  encodeCheckRequest,
  servingStatusName,
} from "../../src/probe/grpc-health-codec.js";

describe("HealthCheckRequest", () => {
  it.each([
    ["", ""],
    ["simkim.Core", "0a0b73696d6b696d2e436f7265"],
    // a length of 200 takes two varint bytes: c8 01
    ["x".repeat(200), `0ac801${"78".repeat(200)}`],
    ["layanan", "0a076c6179616e616e"],
  ])("service %j", (service, hex) => {
    expect(encodeCheckRequest(service).toString("hex")).toBe(hex);
  });
});

describe("HealthCheckResponse", () => {
  it.each([
    ["empty: UNKNOWN, proto3's default", "", 0],
    ["SERVING", "0801", 1],
    ["NOT_SERVING", "0802", 2],
    ["SERVICE_UNKNOWN", "0803", 3],
    ["the last of a repeated field wins", "08010802", 2],
    ["a varint value over one byte", "08ac02", 300],
    [
      "unknown fields of every wire type are skipped",
      "10051a02abcd2100000000000000002d000000000801",
      1,
    ],
  ])("%s", (_name, hex, status) => {
    expect(decodeCheckResponse(Buffer.from(hex, "hex"))).toBe(status);
  });

  it.each([
    ["a field key without its value", "08", "a varint runs past the end"],
    ["a length past the end", "1a05ab", "a field runs past the end"],
    ["a group (wire type 3)", "0b", "wire type 3 of field 1"],
    ["wire type 7", "0f", "wire type 7 of field 1"],
    ["a varint longer than 10 bytes", `08${"ff".repeat(10)}01`, "a varint longer than 10 bytes"],
  ])("%s is a protocol failure", (_name, hex, why) => {
    const decode = () => decodeCheckResponse(Buffer.from(hex, "hex"));
    expect(decode).toThrow(ProbeFailure);
    expect(decode).toThrow(`malformed health check response (${why})`);
  });

  it.each([
    [0, "UNKNOWN"],
    [1, "SERVING"],
    [2, "NOT_SERVING"],
    [3, "SERVICE_UNKNOWN"],
    [4, null],
  ])("serving status %i is %s", (value, name) => {
    expect(servingStatusName(value)).toBe(name);
  });
});
