/** Every way a probe can fail, mapped to one stable FailureReason and a human detail. */
import type { FailureReason } from "./types.js";

/**
 * A failure the prober recognised itself (TLS verdict, truncated body, redirect limit).
 * Thrown inside a prober only; probeHttp/probeTcp turn it into a result.
 */
export class ProbeFailure extends Error {
  constructor(
    readonly reason: FailureReason,
    readonly detail: string,
  ) {
    super(detail);
    this.name = "ProbeFailure";
  }
}

export interface ClassifiedFailure {
  reason: FailureReason;
  detail: string;
}

const REASON_BY_CODE: Readonly<Record<string, FailureReason>> = {
  ENOTFOUND: "dns",
  EAI_AGAIN: "dns",
  EAI_FAIL: "dns",
  EAI_NODATA: "dns",
  EAI_NONAME: "dns",
  ENODATA: "dns",
  ECONNREFUSED: "refused",
  ECONNRESET: "reset",
  ECONNABORTED: "reset",
  EPIPE: "reset",
  // the kernel gave up connecting before our own deadline did
  ETIMEDOUT: "timeout",
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: "protocol",
  UND_ERR_HEADERS_OVERFLOW: "protocol",
  UND_ERR_INVALID_ARG: "protocol",
  // Node's client refusing a configured header name or value it cannot send
  ERR_INVALID_HTTP_TOKEN: "protocol",
  ERR_INVALID_CHAR: "protocol",
  CERT_HAS_EXPIRED: "cert_expired",
};

/** The reason and detail for anything a prober caught. */
export function classifyFailure(error: unknown): ClassifiedFailure {
  if (error instanceof ProbeFailure) return { reason: error.reason, detail: error.detail };
  if (!(error instanceof Error)) return { reason: "network", detail: String(error) };
  const code = errorCode(error);
  if (code === "UND_ERR_SOCKET") {
    // undici's "other side closed": the server hung up without answering, as Go's EOF
    return { reason: "reset", detail: `connection closed before a response (${error.message})` };
  }
  const reason = REASON_BY_CODE[code] ?? reasonByFamily(code, error);
  return { reason, detail: reason === "tls" ? tlsDetail(error) : error.message || code };
}

function reasonByFamily(code: string, error: Error): FailureReason {
  // undici's parser errors do not always carry their HPE_ code
  if (code.startsWith("HPE_") || error.name === "HTTPParserError") return "protocol";
  if (code.startsWith("ERR_SSL_") || code.startsWith("ERR_TLS_") || "library" in error) {
    return "tls";
  }
  return "network";
}

function errorCode(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : "";
}

// OpenSSL messages carry a source path; its `reason` says the same in a few words.
function tlsDetail(error: Error): string {
  const opensslReason = (error as { reason?: unknown }).reason;
  if (typeof opensslReason === "string") return `TLS handshake failed: ${opensslReason}`;
  return error.message;
}
