/**
 * PURE: DNS records as the rules read them, and the verdict on an answer — blackbox_exporter's
 * `dns` module: the rcode must be one of `valid_rcodes`, then each section's records must pass its
 * `validate_*_rrs` rules. Records are matched in zone-file form, as blackbox_exporter (miekg/dns)
 * prints them: `www.example.org.\t300\tIN\tA\t192.0.2.1`, so the same patterns work in both.
 */
import type { Answer } from "dns-packet";
import type { Evaluation } from "./evaluate.js";

/** blackbox_exporter's `validate_answer_rrs` (and authority, additional), resolved. */
export interface RecordRules {
  /** Fail if any record matches any of them. */
  failIfMatches: readonly string[];
  /** Fail unless every record matches every one of them (blackbox_exporter's reading of the name). */
  failIfAllMatch: readonly string[];
  /** Fail if any record does not match one of them, or there is no record. */
  failIfNotMatches: readonly string[];
  /** Fail unless some record matches one of them (so also when there is no record). */
  failIfNoneMatches: readonly string[];
}

export type Section = "answer" | "authority" | "additional";

/** What the verdict reads of a response: its rcode and the records of each section, as text. */
export interface SeenAnswer {
  rcode: string;
  records: Readonly<Record<Section, readonly string[]>>;
}

export interface AnswerRules {
  validRcodes: readonly string[];
  sections: Readonly<Record<Section, RecordRules>>;
}

const SECTIONS: readonly Section[] = ["answer", "authority", "additional"];

/** The failure of the first rule that does not hold, in blackbox_exporter's order; null if all hold. */
export function judgeAnswer(seen: SeenAnswer, rules: AnswerRules): Evaluation | null {
  if (!rules.validRcodes.includes(seen.rcode)) {
    return {
      result: "failed",
      reason: "rcode",
      detail: `rcode ${seen.rcode} not in ${rules.validRcodes.join(", ")}`,
    };
  }
  for (const section of SECTIONS) {
    const problem = recordsProblem(seen.records[section], rules.sections[section]);
    if (problem !== null) {
      return { result: "failed", reason: "records", detail: `${section}: ${problem}` };
    }
  }
  return null;
}

/** Why `records` break `rules`, or null. Walks records and rules in blackbox_exporter's order. */
function recordsProblem(records: readonly string[], rules: RecordRules): string | null {
  if (records.length === 0 && rules.failIfNotMatches.length > 0) {
    return `no records to match ${patterns(rules.failIfNotMatches)} (fail_if_not_matches_regexp)`;
  }
  if (records.length === 0 && rules.failIfNoneMatches.length > 0) {
    return `no records to match ${patterns(rules.failIfNoneMatches)} (fail_if_none_matches_regexp)`;
  }
  let allMatch = true;
  let anyMatch = false;
  for (const record of records) {
    const hit = rules.failIfMatches.find((source) => matches(source, record));
    if (hit !== undefined) {
      return `${shown(record)} matches /${hit}/ (fail_if_matches_regexp)`;
    }
    if (rules.failIfAllMatch.some((source) => !matches(source, record))) allMatch = false;
    const miss = rules.failIfNotMatches.find((source) => !matches(source, record));
    if (miss !== undefined) {
      return `${shown(record)} does not match /${miss}/ (fail_if_not_matches_regexp)`;
    }
    if (rules.failIfNoneMatches.some((source) => matches(source, record))) anyMatch = true;
  }
  if (rules.failIfAllMatch.length > 0 && !allMatch) {
    return `not every record matches ${patterns(rules.failIfAllMatch)} (fail_if_all_match_regexp)${listed(records)}`;
  }
  if (rules.failIfNoneMatches.length > 0 && !anyMatch) {
    return `no record matches ${patterns(rules.failIfNoneMatches)} (fail_if_none_matches_regexp)${listed(records)}`;
  }
  return null;
}

const patterns = (sources: readonly string[]): string => sources.map((s) => `/${s}/`).join(", ");

// tabs separate the fields for the patterns; a detail reads better with spaces
const shown = (record: string): string => record.replaceAll("\t", " ");

/** The first records, for a detail: `; got www.example.org. 300 IN A 192.0.2.1 (+2 more)`. */
function listed(records: readonly string[]): string {
  const [first] = records;
  if (first === undefined) return "";
  const more = records.length > 1 ? ` (+${records.length - 1} more)` : "";
  return `; got ${shown(first)}${more}`;
}

// Patterns come from config and repeat every probe: compile each once (config validated them).
const compiled = new Map<string, RegExp>();

function matches(source: string, record: string): boolean {
  let pattern = compiled.get(source);
  if (pattern === undefined) {
    pattern = new RegExp(source);
    if (compiled.size > 1000) compiled.clear();
    compiled.set(source, pattern);
  }
  return pattern.test(record);
}

/** A record in zone-file form, fields separated by tabs, names fully qualified. */
export function recordText(record: Answer): string {
  if (record.type === "OPT") return `;; OPT PSEUDOSECTION: udp ${record.udpPayloadSize}`;
  const ttl = record.ttl ?? 0;
  return `${fqdn(record.name)}\t${ttl}\t${record.class ?? "IN"}\t${record.type}\t${recordData(record)}`;
}

function recordData(record: Exclude<Answer, { type: "OPT" }>): string {
  switch (record.type) {
    case "A":
    case "AAAA":
      return record.data;
    case "CNAME":
    case "DNAME":
    case "NS":
    case "PTR":
      return fqdn(record.data);
    case "MX":
      return `${record.data.preference ?? 0} ${fqdn(record.data.exchange)}`;
    case "TXT":
      return txtStrings(record.data);
    case "SOA": {
      const soa = record.data;
      return [
        fqdn(soa.mname),
        fqdn(soa.rname),
        soa.serial ?? 0,
        soa.refresh ?? 0,
        soa.retry ?? 0,
        soa.expire ?? 0,
        soa.minimum ?? 0,
      ].join(" ");
    }
    case "SRV": {
      const srv = record.data;
      return `${srv.priority ?? 0} ${srv.weight ?? 0} ${srv.port} ${fqdn(srv.target)}`;
    }
    case "CAA":
      return `${record.data.flags ?? 0} ${record.data.tag} ${quoted(Buffer.from(record.data.value))}`;
    default:
      return genericData(record.data);
  }
}

/** `www.example.org` → `www.example.org.`; the root stays `.`. */
function fqdn(name: string): string {
  return name === "" || name === "." ? "." : name.endsWith(".") ? name : `${name}.`;
}

function txtStrings(data: string | Buffer | (string | Buffer)[]): string {
  const strings = Array.isArray(data) ? data : [data];
  return strings.map((s) => quoted(typeof s === "string" ? Buffer.from(s) : s)).join(" ");
}

/** A character-string in quotes, `"` and `\` escaped, other bytes outside ASCII as `\DDD`. */
function quoted(bytes: Buffer): string {
  let text = '"';
  for (const byte of bytes) {
    if (byte === 0x22 || byte === 0x5c) text += `\\${String.fromCharCode(byte)}`;
    else if (byte < 0x20 || byte > 0x7e) text += `\\${String(byte).padStart(3, "0")}`;
    else text += String.fromCharCode(byte);
  }
  return `${text}"`;
}

/** RFC 3597's form for data this module does not spell out: `\# 4 c0000201`. */
function genericData(data: unknown): string {
  if (Buffer.isBuffer(data)) return `\\# ${data.length} ${data.toString("hex")}`;
  return JSON.stringify(data) ?? "";
}
