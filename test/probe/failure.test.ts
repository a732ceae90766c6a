/** Every error a prober can meet maps to one stable reason; details stay human. */
import { describe, expect, it } from "vitest";
import { formatDuration, formatInstant, formatSpan } from "../../src/probe/detail-text.js";
import { classifyFailure, ProbeFailure } from "../../src/probe/failure.js";

function systemError(code: string, message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { code, ...extra });
}

describe("classifyFailure", () => {
  it.each([
    { error: systemError("ENOTFOUND", "getaddrinfo ENOTFOUND x.invalid"), reason: "dns" },
    { error: systemError("EAI_AGAIN", "getaddrinfo EAI_AGAIN x.example"), reason: "dns" },
    {
      error: systemError("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:8443"),
      reason: "refused",
    },
    { error: systemError("ECONNRESET", "read ECONNRESET"), reason: "reset" },
    { error: systemError("EPIPE", "write EPIPE"), reason: "reset" },
    { error: systemError("ETIMEDOUT", "connect ETIMEDOUT 10.0.0.1:443"), reason: "timeout" },
    { error: systemError("EHOSTUNREACH", "connect EHOSTUNREACH 10.0.0.1:443"), reason: "network" },
    { error: systemError("ENETUNREACH", "connect ENETUNREACH 10.0.0.1:443"), reason: "network" },
    {
      error: systemError(
        "UND_ERR_RES_CONTENT_LENGTH_MISMATCH",
        "Response body length does not match",
      ),
      reason: "protocol",
    },
    { error: systemError("HPE_INVALID_CONSTANT", "Expected HTTP/"), reason: "protocol" },
    {
      error: systemError(
        "ERR_INVALID_HTTP_TOKEN",
        'Header name must be a valid HTTP token ["a b"]',
      ),
      reason: "protocol",
    },
    {
      error: systemError("ERR_INVALID_CHAR", 'Invalid character in header content ["x-token"]'),
      reason: "protocol",
    },
    {
      error: Object.assign(new Error("Response does not match the HTTP/1.1 protocol"), {
        name: "HTTPParserError",
      }),
      reason: "protocol",
    },
    { error: new Error("something else"), reason: "network" },
    { error: "not an Error", reason: "network" },
  ])("$reason: $error", ({ error, reason }) => {
    const failure = classifyFailure(error);
    expect(failure.reason).toBe(reason);
    expect(failure.detail).toBe(error instanceof Error ? error.message : String(error));
  });

  it("a socket closed before a response is a reset, as Go's EOF", () => {
    expect(classifyFailure(systemError("UND_ERR_SOCKET", "other side closed"))).toEqual({
      reason: "reset",
      detail: "connection closed before a response (other side closed)",
    });
  });

  it("OpenSSL errors read as their reason, without the source path", () => {
    const error = systemError("ERR_SSL_WRONG_VERSION_NUMBER", "C0:error:0A00010B:SSL routines:…", {
      library: "SSL routines",
      reason: "wrong version number",
    });
    expect(classifyFailure(error)).toEqual({
      reason: "tls",
      detail: "TLS handshake failed: wrong version number",
    });
  });

  it("keeps a ProbeFailure as it is", () => {
    expect(classifyFailure(new ProbeFailure("too_many_redirects", "stopped"))).toEqual({
      reason: "too_many_redirects",
      detail: "stopped",
    });
  });
});

describe("format", () => {
  it.each([
    [450.4, "450ms"],
    [2310.4, "2.31s"],
    [2000, "2s"],
    [1500, "1.5s"],
    [120_000, "2m"],
    [7_200_000, "2h"],
    [1_209_600_000, "14d"],
  ])("formatDuration(%d) = %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each([
    [9 * 86_400_000 + 5, "9d"],
    [5 * 3_600_000 + 1, "5h"],
    [12 * 60_000, "12m"],
    [-2 * 86_400_000, "2d"],
  ])("formatSpan(%d) = %s", (ms, text) => {
    expect(formatSpan(ms)).toBe(text);
  });

  it("formats instants as certificates state them", () => {
    expect(formatInstant(Date.parse("2021-01-01T00:00:00Z"))).toBe("2021-01-01T00:00:00Z");
    expect(formatInstant(Date.parse("2021-01-01T00:00:00.250Z"))).toBe("2021-01-01T00:00:00.250Z");
  });
});
