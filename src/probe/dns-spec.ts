/**
 * The values of a `dns:` block: record types, response codes, names, the server address and
 * the record rules — each a zod field whose errors carry a stable config code.
 */
import { domainToASCII } from "node:url";
import * as z from "zod";
import type { ConfigErrorCode } from "../fields/errors.js";
import { regex } from "../fields/values.js";
import type { RecordRules } from "./dns-records.js";
import { type DnsServer, parseServer } from "./dns-server.js";

export const DNS_RECORD_TYPES = ["A", "AAAA", "CNAME", "MX", "TXT", "NS", "SOA", "SRV"] as const;
export type DnsRecordType = (typeof DNS_RECORD_TYPES)[number];

/** The header's response codes, by value (RFC 1035, 2136). */
export const DNS_RCODES = [
  "NOERROR",
  "FORMERR",
  "SERVFAIL",
  "NXDOMAIN",
  "NOTIMP",
  "REFUSED",
  "YXDOMAIN",
  "YXRRSET",
  "NXRRSET",
  "NOTAUTH",
  "NOTZONE",
] as const;

function issue(code: ConfigErrorCode, message: string, input: string): z.core.$ZodRawIssue {
  return { code: "custom", message, input, params: { configCode: code } };
}

/** `10.0.0.53`, `10.0.0.53:5353`, `[::1]:53`, `ns1.example` → host and port. */
export function dnsServer() {
  return z
    .string()
    .check((payload) => {
      if (parseServer(payload.value) !== null) return;
      const message = `"${payload.value}" is not a DNS server (use host, host:port or [IPv6]:port)`;
      payload.issues.push(issue("CONFIG_INVALID", message, payload.value));
    })
    .transform((text) => parseServer(text) as DnsServer);
}

/** A name to query, internationalised names in their ASCII form, without the final dot. */
export function dnsName() {
  return z
    .string()
    .check((payload) => {
      if (asciiName(payload.value) !== null) return;
      const message = `"${payload.value}" is not a DNS name (labels of 1 to 63 characters, 253 in all)`;
      payload.issues.push(issue("CONFIG_INVALID", message, payload.value));
    })
    .transform((text) => asciiName(text) as string);
}

function asciiName(name: string): string | null {
  if (name === ".") return ".";
  const ascii = /^[\x21-\x7e]*$/.test(name) ? name : domainToASCII(name);
  const bare = ascii.endsWith(".") ? ascii.slice(0, -1) : ascii;
  if (bare.length === 0 || bare.length > 253) return null;
  const labels = bare.split(".");
  return labels.every((label) => label.length >= 1 && label.length <= 63 && !/\s/.test(label))
    ? bare
    : null;
}

const patterns = (description: string) =>
  z
    .array(regex())
    .optional()
    .meta({ description: `JavaScript regular expressions: ${description}` });

/** blackbox_exporter's `validate_*_rrs`: patterns matched against each record in zone-file form. */
export const recordRules = z
  .strictObject({
    fail_if_matches_regexp: patterns("fail if any record matches one"),
    fail_if_all_match_regexp: patterns(
      "fail unless every record matches each (blackbox_exporter's reading of the name)",
    ),
    fail_if_not_matches_regexp: patterns(
      "fail if a record does not match one, or there is no record",
    ),
    fail_if_none_matches_regexp: patterns("fail unless some record matches one"),
  })
  .meta({
    description:
      "rules on a section's records, each written as in a zone file: www.example.org.<TAB>300<TAB>IN<TAB>A<TAB>192.0.2.1",
  });

export function resolveRecordRules(written: z.output<typeof recordRules> | undefined): RecordRules {
  return {
    failIfMatches: written?.fail_if_matches_regexp ?? [],
    failIfAllMatch: written?.fail_if_all_match_regexp ?? [],
    failIfNotMatches: written?.fail_if_not_matches_regexp ?? [],
    failIfNoneMatches: written?.fail_if_none_matches_regexp ?? [],
  };
}
