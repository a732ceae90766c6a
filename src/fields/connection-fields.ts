import { isIP } from "node:net";
import type { SecureContext } from "node:tls";
import * as z from "zod";
import { DEFAULTS } from "./defaults.js";

/**
 * What the network prober blocks share — TLS settings, the address family, the local address
 * to bind — as written (the schema, also in the JSON Schema) and as resolved. A kind that
 * connects (http, tcp, grpc, …) puts `tlsSettings` and `sourceIpAddress()` in its block and
 * resolves them with `resolveTls` and `resolveSourceIpAddress`: the loader then reads its TLS
 * files and checks its local address at load and on every reload, whatever the kind.
 */

export type IpFamily = "any" | "ipv4" | "ipv6";

export interface TlsSettings {
  caFile: string | null;
  /** Client certificate (PEM, with its chain), presented when the server asks for one. */
  certFile: string | null;
  /** Its private key (PEM); never quoted in any message. */
  keyFile: string | null;
  serverName: string | null;
  insecureSkipVerify: boolean;
  /**
   * The files as read when the configuration was loaded (absent before that, and when the
   * block names no file): a reload reads them again, so a renewed certificate takes effect.
   */
  credentials?: TlsCredentials;
}

/** The TLS files of a block, read and checked together (certificate and key match). */
export interface TlsCredentials {
  /**
   * A digest of the files' contents: a reload compares targets by value, so a renewed file
   * makes its targets changed (their probes take the new one), an untouched one does not.
   */
  readonly fingerprint: string;
  /** CAs, certificate and key in one context, for node:tls (or gRPC's createFromSecureContext). */
  readonly secureContext: SecureContext;
}

export const ipFamily = () =>
  z.enum(["any", "ipv4", "ipv6"]).optional().meta({
    description: "address family to resolve and connect with",
    default: DEFAULTS.ipFamily,
  });

/**
 * The local address a probe binds before connecting, as blackbox_exporter's
 * `source_ip_address`: an IP literal; the loader checks it is assigned here and of the
 * family `ip_family` allows.
 */
export const sourceIpAddress = () =>
  z
    .string()
    .check((payload) => {
      if (isIP(payload.value) !== 0) return;
      payload.issues.push({
        code: "custom",
        message: `"${payload.value}" is not an IP address`,
        input: payload.value,
        params: { configCode: "CONFIG_SOURCE_ADDRESS" },
      });
    })
    .nullable()
    .optional()
    .meta({
      description: "local IP address to connect from (bind); default: the system's choice",
    });

/** `127.0.0.1:5353`, `10.0.0.53`, `[::1]:53` or `::1`: a name server by address, port 53 by default. */
export function isNameServerAddress(text: string): boolean {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(text);
  if (bracketed) return isIP(bracketed[1] ?? "") === 6 && validPort(bracketed[2]);
  if (isIP(text) !== 0) return true;
  const withPort = /^([0-9.]+):(\d{1,5})$/.exec(text);
  return withPort !== null && isIP(withPort[1] ?? "") === 4 && validPort(withPort[2]);
}

function validPort(port: string | undefined): boolean {
  return port === undefined || (Number(port) >= 1 && Number(port) <= 65_535);
}

/**
 * `global.resolver`: name servers pantau asks itself (with a cache honouring TTLs) instead of
 * the system's resolver. One address or a list.
 */
export const nameServers = () =>
  // checked as a whole, not per branch of the union: a bad address then gets its own message
  // (a union reports only that no branch matched)
  z
    .union([z.string(), z.array(z.string()).min(1)])
    .check((payload) => {
      const single = typeof payload.value === "string";
      const list = typeof payload.value === "string" ? [payload.value] : payload.value;
      list.forEach((text, index) => {
        if (isNameServerAddress(text)) return;
        payload.issues.push({
          code: "custom",
          message: `"${text}" is not a name server address (use an IP and an optional port: 127.0.0.1:5353, [::1]:53)`,
          input: text,
          path: single ? [] : [index],
          params: { configCode: "CONFIG_INVALID" },
        });
      });
    })
    .nullable()
    .optional()
    .meta({
      description:
        "name servers to resolve target names with (host:port, or a list), cached for their TTLs; default: the system's resolver",
    });

/** The written resolver as a list; null for the system's. */
export function resolveNameServers(written: string | string[] | null | undefined): string[] | null {
  if (written === null || written === undefined || written === "") return null;
  return typeof written === "string" ? [written] : written;
}

// one instance for every kind: the JSON Schema shows it the same wherever it appears
export const tlsSettings = z.strictObject({
  ca_file: z
    .string()
    .nullable()
    .optional()
    .meta({ description: "PEM file of CAs to trust instead of the system's" }),
  cert_file: z
    .string()
    .nullable()
    .optional()
    .meta({ description: "PEM client certificate to present (needs key_file)" }),
  key_file: z
    .string()
    .nullable()
    .optional()
    .meta({ description: "PEM private key of cert_file (needs cert_file)" }),
  server_name: z.string().nullable().optional().meta({
    description: "name to send (SNI) and verify; default: the host",
  }),
  insecure_skip_verify: z
    .boolean()
    .optional()
    .meta({ description: "accept any certificate", default: false }),
});

export function resolveTls(written: z.output<typeof tlsSettings> | undefined): TlsSettings {
  return {
    caFile: written?.ca_file || null,
    certFile: written?.cert_file || null,
    keyFile: written?.key_file || null,
    serverName: written?.server_name ?? null,
    insecureSkipVerify: written?.insecure_skip_verify ?? false,
  };
}

/** `${SOURCE:-}` writes an empty address: that means none, not an invalid one. */
export function resolveSourceIpAddress(written: string | null | undefined): string | null {
  return written || null;
}

/** Whether the block names a file to read (ca_file, cert_file or key_file). */
export function namesTlsFiles(settings: TlsSettings): boolean {
  return settings.caFile !== null || settings.certFile !== null || settings.keyFile !== null;
}

/** The files a TLS block names, as one key: blocks naming the same files share one read. */
export function tlsFilesKey(settings: TlsSettings): string | null {
  if (!namesTlsFiles(settings)) return null;
  return JSON.stringify([settings.caFile, settings.certFile, settings.keyFile]);
}
