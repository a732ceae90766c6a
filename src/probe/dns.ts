/**
 * The DNS prober kind: blackbox_exporter's `dns` module. One query to a named server or the
 * system's resolver, over UDP (asked again over TCP when the answer comes back truncated) or
 * TCP; the rcode must be one of `valid_rcodes` and each section's records must pass its rules.
 */
import { randomInt } from "node:crypto";
import { encode, RECURSION_DESIRED } from "dns-packet";
import * as z from "zod";
import {
  type IpFamily,
  ipFamily,
  resolveSourceIpAddress,
  sourceIpAddress,
} from "../fields/connection-fields.js";
import { DEFAULTS } from "../fields/defaults.js";
import { type DnsPeer, exchangeTcp, exchangeUdp } from "./dns-exchange.js";
import { DNS_FAMILIES } from "./dns-families.js";
import { type AnswerRules, judgeAnswer, recordText, type SeenAnswer } from "./dns-records.js";
import { type DnsServer, SystemResolver } from "./dns-server.js";
import {
  DNS_RCODES,
  DNS_RECORD_TYPES,
  type DnsRecordType,
  dnsName,
  dnsServer,
  recordRules,
  resolveRecordRules,
} from "./dns-spec.js";
import { evaluateConnection } from "./evaluate.js";
import { classifyFailure, ProbeFailure } from "./failure.js";
import { noChecks, type ProberKind } from "./kind.js";
import { resolveAddress } from "./resolve-address.js";
import { type Judge, type ProbeContext, runProbe } from "./run.js";
import type { DnsFigures, ProbeOptions, ProbeResult, ProbeTarget } from "./types.js";

export interface DnsProbeSpec {
  kind: "dns";
  /** null: the system's resolver (the first nameserver of /etc/resolv.conf). */
  server: DnsServer | null;
  queryName: string;
  queryType: DnsRecordType;
  transport: "udp" | "tcp";
  recursionDesired: boolean;
  rules: AnswerRules;
  ipFamily: IpFamily;
  /** The local address the UDP and TCP sockets bind (`source_ip_address`); null: the system's choice. */
  sourceIpAddress: string | null;
}

const block = z.strictObject({
  server: dnsServer().optional().meta({
    description:
      "DNS server: host, host:port or [IPv6]:port (port 53 by default); default: the system resolver, the first nameserver of /etc/resolv.conf",
  }),
  query_name: dnsName().meta({ description: "the name to ask for" }),
  query_type: z.enum(DNS_RECORD_TYPES).optional().meta({ default: "A" }),
  transport: z.enum(["udp", "tcp"]).optional().meta({
    description: "udp asks again over tcp when the answer is truncated",
    default: "udp",
  }),
  recursion_desired: z.boolean().optional().meta({ description: "set the RD flag", default: true }),
  valid_rcodes: z
    .array(z.enum(DNS_RCODES))
    .min(1)
    .optional()
    .meta({ description: "response codes that pass", default: ["NOERROR"] }),
  validate_answer_rrs: recordRules.optional(),
  validate_authority_rrs: recordRules.optional(),
  validate_additional_rrs: recordRules.optional(),
  ip_family: ipFamily(),
  source_ip_address: sourceIpAddress(),
});

function resolve(dns: z.output<typeof block>): DnsProbeSpec {
  return {
    kind: "dns",
    server: dns.server ?? null,
    queryName: dns.query_name,
    queryType: dns.query_type ?? "A",
    transport: dns.transport ?? "udp",
    recursionDesired: dns.recursion_desired ?? true,
    rules: {
      validRcodes: dns.valid_rcodes ?? ["NOERROR"],
      sections: {
        answer: resolveRecordRules(dns.validate_answer_rrs),
        authority: resolveRecordRules(dns.validate_authority_rrs),
        additional: resolveRecordRules(dns.validate_additional_rrs),
      },
    },
    ipFamily: dns.ip_family ?? DEFAULTS.ipFamily,
    sourceIpAddress: resolveSourceIpAddress(dns.source_ip_address),
  };
}

/** RFC 4501's form: `dns://10.0.0.53/www.imigrasi.go.id?type=A`; `dns:name?type=A` for the system resolver. */
function endpoint(spec: DnsProbeSpec): string {
  const query = `${spec.queryName}?type=${spec.queryType}`;
  if (spec.server === null) return `dns:${query}`;
  const { host, port } = spec.server;
  const shown = host.includes(":") ? `[${host}]` : host;
  return `dns://${port === 53 ? shown : `${shown}:${port}`}/${query}`;
}

export const dnsKind: ProberKind<DnsProbeSpec, typeof block> = {
  key: "dns",
  block,
  resolve,
  check: noChecks,
  readsBody: false,
  probe: probeDns,
  endpoint,
  families: DNS_FAMILIES,
};

const systemResolver = new SystemResolver();

export function probeDns(
  target: ProbeTarget<DnsProbeSpec>,
  options: ProbeOptions,
): Promise<ProbeResult> {
  const spec = target.probe;
  return runProbe(target.timeout, options, async (context): Promise<Judge> => {
    const figures: DnsFigures = {
      kind: "dns",
      rcode: null,
      answerRrs: 0,
      authorityRrs: 0,
      additionalRrs: 0,
      transport: null,
      truncated: false,
    };
    context.trace.figures = figures;
    const server =
      spec.server ??
      (await context.deadline.race(systemResolver.server(context.clock.monotonic())));
    const peer: DnsPeer = {
      ...(await resolveAddress(
        {
          host: server.host,
          ipFamily: spec.ipFamily,
          sourceIpAddress: spec.sourceIpAddress,
          resolver: target.resolver ?? null,
        },
        context,
      )),
      port: server.port,
      sourceIpAddress: spec.sourceIpAddress,
    };
    const seen = await ask(spec, peer, figures, context);
    return ({ durationMs, now }) => {
      const failure = judgeAnswer(seen, spec.rules);
      if (failure !== null) return failure;
      const verdict = evaluateConnection({ durationMs, now, certExpiresAt: null }, target.degraded);
      return verdict.result === "ok" ? { ...verdict, detail: okDetail(figures) } : verdict;
    };
  });
}

/** The query over the spec's transport, over TCP again when a UDP answer is truncated. */
async function ask(
  spec: DnsProbeSpec,
  peer: DnsPeer,
  figures: DnsFigures,
  context: ProbeContext,
): Promise<SeenAnswer> {
  const query = queryBytes(spec);
  let answer = spec.transport === "udp" ? await exchangeUdp(peer, query, context) : null;
  if (answer?.flag_tc) {
    figures.truncated = true;
    answer = await afterTruncation(() => exchangeTcp(peer, query, context), context);
  }
  answer ??= await exchangeTcp(peer, query, context);
  figures.transport = figures.truncated || spec.transport === "tcp" ? "tcp" : "udp";
  const records = {
    answer: (answer.answers ?? []).map(recordText),
    authority: (answer.authorities ?? []).map(recordText),
    additional: (answer.additionals ?? []).map(recordText),
  };
  // the rcode's four bits of the header's flags (dns-packet's own name is not in its types)
  figures.rcode = DNS_RCODES[(answer.flags ?? 0) & 0x0f] ?? `RCODE${(answer.flags ?? 0) & 0x0f}`;
  figures.answerRrs = records.answer.length;
  figures.authorityRrs = records.authority.length;
  figures.additionalRrs = records.additional.length;
  return { rcode: figures.rcode, records };
}

/** A failure over TCP after a truncated UDP answer says so, keeping its reason. */
async function afterTruncation<T>(step: () => Promise<T>, context: ProbeContext): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (context.deadline.expiry !== null) throw error;
    const { reason, detail } = classifyFailure(error);
    throw new ProbeFailure(reason, `answer truncated over UDP; over TCP: ${detail}`);
  }
}

function okDetail(figures: DnsFigures): string {
  const via = figures.truncated
    ? "TCP after a truncated UDP answer"
    : figures.transport?.toUpperCase();
  return `${figures.rcode}: ${figures.answerRrs} answer, ${figures.authorityRrs} authority, ${figures.additionalRrs} additional (${via})`;
}

/**
 * The query is the same for every probe of a spec but its id: encoded once, then copied with a
 * fresh random id (the only defence a plain DNS client has against forged answers).
 */
const encodedQueries = new WeakMap<DnsProbeSpec, Buffer>();

function queryBytes(spec: DnsProbeSpec): Buffer {
  let encoded = encodedQueries.get(spec);
  if (encoded === undefined) {
    encoded = encode({
      type: "query",
      id: 0,
      flags: spec.recursionDesired ? RECURSION_DESIRED : 0,
      questions: [{ type: spec.queryType, name: spec.queryName, class: "IN" }],
    });
    encodedQueries.set(spec, encoded);
  }
  const query = Buffer.from(encoded);
  query.writeUInt16BE(randomInt(0, 65_536), 0);
  return query;
}
