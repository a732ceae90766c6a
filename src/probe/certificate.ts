/**
 * The verdict on a TLS peer, decided here rather than inside Node's handshake: that way an
 * expired or mismatched certificate is still read (its notAfter goes in the detail and in
 * certExpiresAt) before the probe fails.
 */
import { checkServerIdentity, type DetailedPeerCertificate, type TLSSocket } from "node:tls";
import { formatInstant } from "./detail-text.js";
import { ProbeFailure } from "./failure.js";

export interface PeerVerdict {
  /** Earliest notAfter of the chain, epoch ms; null when the peer sent no certificate. */
  certExpiresAt: number | null;
  /** Why the peer must not be trusted; null when it may (or verification is skipped). */
  failure: ProbeFailure | null;
}

// OpenSSL's own wording for the verify errors a monitor meets; the code follows in the detail.
const VERIFY_MESSAGES: Readonly<Record<string, string>> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: "self-signed certificate",
  SELF_SIGNED_CERT_IN_CHAIN: "self-signed certificate in certificate chain",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "unable to verify the first certificate",
  UNABLE_TO_GET_ISSUER_CERT: "unable to get issuer certificate",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "unable to get local issuer certificate",
  CERT_NOT_YET_VALID: "certificate is not yet valid",
  CERT_REVOKED: "certificate revoked",
  CERT_SIGNATURE_FAILURE: "certificate signature failure",
  CERT_UNTRUSTED: "certificate not trusted",
  INVALID_CA: "invalid CA certificate",
};

/**
 * Judge the peer of a finished handshake made with `rejectUnauthorized: false` and Node's
 * identity check disabled. `identity` is the name (or IP) the certificate must be valid for.
 */
export function judgePeer(
  socket: TLSSocket,
  identity: string,
  insecureSkipVerify: boolean,
): PeerVerdict {
  const leaf = socket.getPeerCertificate(true);
  const certExpiresAt = earliestNotAfter(leaf);
  if (insecureSkipVerify) return { certExpiresAt, failure: null };
  if (!socket.authorized) {
    // typed as Error, but Node stores the OpenSSL code string here
    const code = String(socket.authorizationError);
    return { certExpiresAt, failure: verifyFailure(code, certExpiresAt) };
  }
  if (checkServerIdentity(identity, leaf) === undefined) return { certExpiresAt, failure: null };
  // Node's own message ends in an empty list when the certificate has no IP names
  const names = leaf.subjectaltname || `CN=${leaf.subject?.CN ?? ""}`;
  return {
    certExpiresAt,
    failure: new ProbeFailure("tls", `certificate is valid for ${names}, not ${identity}`),
  };
}

function verifyFailure(code: string, certExpiresAt: number | null): ProbeFailure {
  if (code === "CERT_HAS_EXPIRED") {
    const notAfter = certExpiresAt === null ? "" : ` (notAfter ${formatInstant(certExpiresAt)})`;
    return new ProbeFailure("cert_expired", `certificate has expired${notAfter}`);
  }
  const message = VERIFY_MESSAGES[code];
  return new ProbeFailure("tls", message === undefined ? code : `${message} (${code})`);
}

/** Earliest notAfter over the chain Node reports (the peer's chain, completed by the trust store). */
export function earliestNotAfter(leaf: DetailedPeerCertificate): number | null {
  let earliest: number | null = null;
  const visited = new Set<string>();
  let certificate: DetailedPeerCertificate | undefined = leaf;
  // a root is its own issuer: stop at the first certificate seen twice
  while (certificate?.fingerprint256 !== undefined && !visited.has(certificate.fingerprint256)) {
    visited.add(certificate.fingerprint256);
    const notAfter = Date.parse(certificate.valid_to);
    if (!Number.isNaN(notAfter) && (earliest === null || notAfter < earliest)) earliest = notAfter;
    certificate = certificate.issuerCertificate;
  }
  return earliest;
}
