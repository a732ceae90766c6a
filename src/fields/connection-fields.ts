import * as z from "zod";
import { DEFAULTS } from "./defaults.js";

/**
 * What the network prober blocks share — TLS settings and the address family — as written
 * (the schema, also in the JSON Schema) and as resolved.
 */

export type IpFamily = "any" | "ipv4" | "ipv6";

export interface TlsSettings {
  caFile: string | null;
  serverName: string | null;
  insecureSkipVerify: boolean;
}

export const ipFamily = () =>
  z.enum(["any", "ipv4", "ipv6"]).optional().meta({
    description: "address family to resolve and connect with",
    default: DEFAULTS.ipFamily,
  });

// one instance for every kind: the JSON Schema shows it the same wherever it appears
export const tlsSettings = z.strictObject({
  ca_file: z
    .string()
    .nullable()
    .optional()
    .meta({ description: "PEM file of CAs to trust instead of the system's" }),
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
    caFile: written?.ca_file ?? null,
    serverName: written?.server_name ?? null,
    insecureSkipVerify: written?.insecure_skip_verify ?? false,
  };
}
