/**
 * PURE judgement of what a probe saw against the target's `expect` and `degraded` rules.
 * No I/O and no clock: the prober measures, this decides.
 */
import type {
  DegradedRules,
  Expectations,
  JsonCondition,
  StatusRange,
} from "../fields/verdict-rules.js";
import { formatDuration, formatInstant, formatSpan, formatStatusRanges } from "./detail-text.js";
import { describeJsonValue, lookupJsonPath } from "./json-path.js";
import type { RegexOutcome } from "./regex-match.js";
import type { DegradedReason, FailureReason, ProbeVerdict } from "./types.js";

/** What a probe saw of a connection: enough for the latency and certificate rules. */
export interface SeenConnection {
  durationMs: number;
  /** Earliest notAfter of the peer chain, epoch ms; null without TLS. */
  certExpiresAt: number | null;
  /** Wall-clock time of the judgement, epoch ms. */
  now: number;
}

/** What an HTTP probe saw of the final response. */
export interface SeenResponse extends SeenConnection {
  status: number;
  /** The body bytes read: at most max_body. */
  body: Uint8Array;
  /** The body went on past max_body: the rules judged its first bytes only. */
  truncated: boolean;
  /** How the body fared against expect.body_regex, matched off the event loop; null without one. */
  bodyRegex?: RegexOutcome | null;
}

export interface Evaluation {
  result: ProbeVerdict;
  reason: FailureReason | DegradedReason | null;
  detail: string;
}

// blackbox_exporter's default when no status is listed
const DEFAULT_STATUS: readonly StatusRange[] = [{ min: 200, max: 299 }];

type Finding<Reason> = { reason: Reason; detail: string } | null;

/** Expectations first (any miss fails), then degraded rules (any hit degrades). */
export function evaluateResponse(
  seen: SeenResponse,
  expect: Expectations,
  degraded: DegradedRules,
): Evaluation {
  const body = new BodyView(seen.body, seen.truncated);
  const failure = firstFailure(seen, body, expect);
  if (failure !== null) return { result: "failed", ...failure };
  return judgeDegraded(
    [
      latencyFinding(seen, degraded),
      degraded.bodyContains === null ? null : bodyContainsFinding(body, degraded.bodyContains),
      degraded.json === null ? null : jsonDegradedFinding(body, degraded.json),
      certificateFinding(seen, degraded),
    ],
    `status ${seen.status}`,
  );
}

/** For probers without a response (TCP): only latency and certificate expiry apply. */
export function evaluateConnection(seen: SeenConnection, degraded: DegradedRules): Evaluation {
  return judgeDegraded(
    [latencyFinding(seen, degraded), certificateFinding(seen, degraded)],
    "connected",
  );
}

function judgeDegraded(findings: Finding<DegradedReason>[], okDetail: string): Evaluation {
  const held = findings.filter((finding) => finding !== null);
  const first = held[0];
  if (first === undefined) return { result: "ok", reason: null, detail: okDetail };
  // the first rule names the reason; the detail lists every rule that held
  return {
    result: "degraded",
    reason: first.reason,
    detail: held.map((f) => f.detail).join("; "),
  };
}

function firstFailure(
  { status, bodyRegex }: SeenResponse,
  body: BodyView,
  expect: Expectations,
): Finding<FailureReason> {
  const accepted = expect.status.length > 0 ? expect.status : DEFAULT_STATUS;
  if (!accepted.some((range) => range.min <= status && status <= range.max)) {
    return { reason: "status", detail: `status ${status} not in ${formatStatusRanges(accepted)}` };
  }
  if (expect.bodyContains !== null && !body.text().includes(expect.bodyContains)) {
    return {
      reason: "body",
      detail: `body does not contain ${JSON.stringify(expect.bodyContains)}${body.prefixNote()}`,
    };
  }
  if (expect.bodyRegex !== null) {
    const failure = regexFailure(body, expect.bodyRegex, bodyRegex ?? null);
    if (failure !== null) return failure;
  }
  return expect.json === null ? null : jsonExpectationFailure(body, expect.json);
}

function regexFailure(
  body: BodyView,
  source: string,
  outcome: RegexOutcome | null,
): Finding<FailureReason> {
  if (outcome === "matched") return null;
  if (outcome === "unmatched") {
    return { reason: "body", detail: `body does not match /${source}/${body.prefixNote()}` };
  }
  // null only if a prober forgot to match: say so rather than pass or block the event loop
  const why = outcome === null ? "was not matched" : "was not decided within the timeout";
  return { reason: "body", detail: `body_regex /${source}/ ${why}${body.prefixNote()}` };
}

function jsonExpectationFailure(body: BodyView, condition: JsonCondition): Finding<FailureReason> {
  const document = body.json();
  if (!document.parsed) return { reason: "json", detail: `body is not JSON${body.prefixNote()}` };
  const lookup = lookupJsonPath(document.value, condition.path);
  if (lookup.found && lookup.value === condition.equals) return null;
  return {
    reason: "json",
    detail: `json path ${JSON.stringify(condition.path)} is ${describeJsonValue(lookup)}, expected ${JSON.stringify(condition.equals)}`,
  };
}

function latencyFinding(seen: SeenConnection, rules: DegradedRules): Finding<DegradedReason> {
  if (rules.latencyOver === null || seen.durationMs <= rules.latencyOver) return null;
  return {
    reason: "latency",
    detail: `latency ${formatDuration(seen.durationMs)} over ${formatDuration(rules.latencyOver)}`,
  };
}

function bodyContainsFinding(body: BodyView, needle: string): Finding<DegradedReason> {
  if (!body.text().includes(needle)) return null;
  return { reason: "body", detail: `body contains ${JSON.stringify(needle)}` };
}

function jsonDegradedFinding(body: BodyView, condition: JsonCondition): Finding<DegradedReason> {
  const document = body.json();
  if (!document.parsed) return null;
  const lookup = lookupJsonPath(document.value, condition.path);
  if (!lookup.found || lookup.value !== condition.equals) return null;
  return {
    reason: "json",
    detail: `json path ${JSON.stringify(condition.path)} is ${describeJsonValue(lookup)}`,
  };
}

function certificateFinding(seen: SeenConnection, rules: DegradedRules): Finding<DegradedReason> {
  if (rules.certExpiresWithin === null || seen.certExpiresAt === null) return null;
  const remaining = seen.certExpiresAt - seen.now;
  if (remaining >= rules.certExpiresWithin) return null;
  const notAfter = formatInstant(seen.certExpiresAt);
  // reachable with insecure_skip_verify: an expired certificate that was not rejected
  const when =
    remaining > 0 ? `expires in ${formatSpan(remaining)}` : `expired ${formatSpan(remaining)} ago`;
  return { reason: "cert_expiring", detail: `certificate ${when} (notAfter ${notAfter})` };
}

/** The body decoded once, and only if a rule looks at it. */
class BodyView {
  #text: string | null = null;
  #json: { parsed: true; value: unknown } | { parsed: false } | null = null;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly truncated: boolean,
  ) {}

  text(): string {
    this.#text ??= new TextDecoder().decode(this.bytes);
    return this.#text;
  }

  json(): { parsed: true; value: unknown } | { parsed: false } {
    this.#json ??= parseJson(this.text());
    return this.#json;
  }

  /** Said after a miss on a truncated body: the rest was never read. */
  prefixNote(): string {
    return this.truncated ? ` (first ${this.bytes.byteLength} bytes read)` : "";
  }
}

function parseJson(text: string): { parsed: true; value: unknown } | { parsed: false } {
  try {
    return { parsed: true, value: JSON.parse(text) };
  } catch {
    return { parsed: false };
  }
}
