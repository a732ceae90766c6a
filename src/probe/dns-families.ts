/** The families of a DNS probe, in blackbox_exporter's names and meanings. */
import type { ResultFamily } from "./kind.js";
import type { DnsFigures, ProbeResult } from "./types.js";

const figuresOf = (result: ProbeResult): DnsFigures | null =>
  result.figures?.kind === "dns" ? result.figures : null;

const count =
  (field: "answerRrs" | "authorityRrs" | "additionalRrs") =>
  (result: ProbeResult): number =>
    figuresOf(result)?.[field] ?? 0;

export const DNS_FAMILIES: readonly ResultFamily[] = [
  {
    name: "probe_dns_lookup_time_seconds",
    type: "gauge",
    help: "Time to resolve the DNS server's own name in the last probe (0 for an IP address)",
    series: [{ labels: "", value: (result) => result.phases.resolve / 1000 }],
  },
  {
    name: "probe_dns_duration_seconds",
    type: "gauge",
    help: "Duration of the last DNS probe by phase: resolve, connect, request",
    series: [
      { labels: ',phase="resolve"', value: (result) => result.phases.resolve / 1000 },
      { labels: ',phase="connect"', value: (result) => result.phases.connect / 1000 },
      { labels: ',phase="request"', value: (result) => result.phases.processing / 1000 },
    ],
  },
  {
    name: "probe_dns_query_succeeded",
    type: "gauge",
    help: "1 if the server answered the last query, whatever its response code",
    series: [{ labels: "", value: (result) => (figuresOf(result)?.rcode ? 1 : 0) }],
  },
  {
    name: "probe_dns_answer_rrs",
    type: "gauge",
    help: "Records in the answer section of the last answer",
    series: [{ labels: "", value: count("answerRrs") }],
  },
  {
    name: "probe_dns_authority_rrs",
    type: "gauge",
    help: "Records in the authority section of the last answer",
    series: [{ labels: "", value: count("authorityRrs") }],
  },
  {
    name: "probe_dns_additional_rrs",
    type: "gauge",
    help: "Records in the additional section of the last answer",
    series: [{ labels: "", value: count("additionalRrs") }],
  },
];
