/**
 * The rules a probe's verdict is judged by, resolved: `expect` (all must hold, else failed) and
 * `degraded` (any holds: degraded). Types only, with no imports: prober kinds read them.
 */

/** Inclusive status range, `200-299` → { min: 200, max: 299 }; `204` → { min: 204, max: 204 }. */
export interface StatusRange {
  min: number;
  max: number;
}

export interface JsonCondition {
  /** Dotted path into the JSON body: `status`, `checks.0.state`. */
  path: string;
  equals: string | number | boolean | null;
}

export interface Expectations {
  status: StatusRange[];
  bodyContains: string | null;
  bodyRegex: string | null;
  json: JsonCondition | null;
}

export interface DegradedRules {
  latencyOver: number | null;
  bodyContains: string | null;
  json: JsonCondition | null;
  certExpiresWithin: number | null;
}
