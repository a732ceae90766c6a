/**
 * The TLS files of a block (ca_file, cert_file, key_file) read into one secure context, at load
 * and on each reload (a problem is a config error, never a probe's failure). The key's bytes
 * go to OpenSSL and nowhere else: no message quotes a file's content.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createSecureContext, type SecureContext, type SecureContextOptions } from "node:tls";
import type { TlsCredentials, TlsSettings } from "../fields/connection-fields.js";

/** Why a block's files cannot be used, with the key that names the file at fault. */
export interface TlsFileProblem {
  key: "ca_file" | "cert_file" | "key_file";
  message: string;
}

/** Reads and checks the files `settings` names: credentials, or every problem found. */
export async function loadTlsCredentials(
  settings: TlsSettings,
): Promise<TlsCredentials | TlsFileProblem[]> {
  const pairing = pairingProblems(settings);
  if (pairing.length > 0) return pairing;
  const [ca, cert, key] = await Promise.all([
    readPem("ca_file", settings.caFile),
    readPem("cert_file", settings.certFile),
    readPem("key_file", settings.keyFile),
  ]);
  const problems = [ca, cert, key].filter((read) => isProblem(read));
  if (problems.length > 0) return problems;
  return buildContext(ca as Buffer | null, cert as Buffer | null, key as Buffer | null);
}

function pairingProblems(settings: TlsSettings): TlsFileProblem[] {
  if (settings.certFile !== null && settings.keyFile === null) {
    return [{ key: "cert_file", message: "needs key_file (the certificate's private key)" }];
  }
  if (settings.keyFile !== null && settings.certFile === null) {
    return [{ key: "key_file", message: "needs cert_file (the certificate it belongs to)" }];
  }
  return [];
}

async function readPem(
  key: TlsFileProblem["key"],
  file: string | null,
): Promise<Buffer | null | TlsFileProblem> {
  if (file === null) return null;
  try {
    const content = await readFile(file);
    if (content.length === 0) return { key, message: `"${file}" is empty` };
    return content;
  } catch (error) {
    const code = error instanceof Error && "code" in error ? String(error.code) : String(error);
    return { key, message: `cannot read "${file}" (${code})` };
  }
}

function isProblem(value: Buffer | null | TlsFileProblem): value is TlsFileProblem {
  return value !== null && !Buffer.isBuffer(value);
}

/**
 * OpenSSL parses and pairs them: a file that is no PEM of its kind, or a key that is not the
 * certificate's, is reported by the key at fault in OpenSSL's own short words (no content).
 */
function buildContext(
  ca: Buffer | null,
  cert: Buffer | null,
  key: Buffer | null,
): TlsCredentials | TlsFileProblem[] {
  // each file alone first, so that a problem names its file; then together (the pairing)
  const alone: [TlsFileProblem["key"], SecureContextOptions | null][] = [
    ["ca_file", ca === null ? null : { ca }],
    ["cert_file", cert === null ? null : { cert }],
    ["key_file", key === null ? null : { key }],
  ];
  // OpenSSL skips what is no certificate in a CA bundle: a file without one would trust nothing
  if (ca !== null && !ca.includes("-----BEGIN CERTIFICATE-----")) {
    return [{ key: "ca_file", message: `holds ${WHAT.ca_file} pantau can use` }];
  }
  for (const [name, options] of alone) {
    if (options === null) continue;
    const built = contextOrProblem(name, options);
    if (!("context" in built)) return [built];
  }
  const built = contextOrProblem("key_file", {
    ca: ca ?? undefined,
    cert: cert ?? undefined,
    key: key ?? undefined,
  });
  if (!("context" in built)) return [built];
  return { fingerprint: fingerprint(ca, cert, key), secureContext: built };
}

function contextOrProblem(
  key: TlsFileProblem["key"],
  options: SecureContextOptions,
): SecureContext | TlsFileProblem {
  try {
    return createSecureContext(options);
  } catch (error) {
    return { key, message: describeOpenSslError(key, error) };
  }
}

const WHAT: Readonly<Record<TlsFileProblem["key"], string>> = {
  ca_file: "no PEM certificate",
  cert_file: "no PEM certificate",
  key_file: "no PEM private key",
};

function describeOpenSslError(key: TlsFileProblem["key"], error: unknown): string {
  const reason = error instanceof Error ? ((error as { reason?: unknown }).reason ?? "") : "";
  if (typeof reason === "string" && /values mismatch/.test(reason)) {
    return "is not the private key of cert_file (key values mismatch)";
  }
  if (
    typeof reason === "string" &&
    /bad decrypt|bad password|interrupted or cancelled/.test(reason)
  ) {
    return "is an encrypted key: give it unencrypted (pantau takes no passphrase)";
  }
  const detail = typeof reason === "string" && reason !== "" ? ` (${reason})` : "";
  return `holds ${WHAT[key]} pantau can use${detail}`;
}

function fingerprint(ca: Buffer | null, cert: Buffer | null, key: Buffer | null): string {
  const hash = createHash("sha256");
  for (const content of [ca, cert, key]) {
    hash.update(String(content?.length ?? -1));
    hash.update(":");
    if (content !== null) hash.update(content);
  }
  return hash.digest("base64url").slice(0, 22);
}
