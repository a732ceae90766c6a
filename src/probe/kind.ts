/**
 * A prober kind: everything pantau knows of `http`, `tcp`, … in one value, so that a kind is
 * one file and one line of the registry (registry.ts).
 */
import type * as z from "zod";
import type { ConfigPath, PathIssue } from "../fields/path-issue.js";
import type { ProbeResult, Prober } from "./types.js";

/** A prober block once resolved: its kind is the key it was written under. */
export interface KindedSpec {
  kind: string;
}

/** One series of a family, for one target: its extra labels (`,phase="tls"` or "") and value. */
export interface ResultSeries {
  readonly labels: string;
  value(result: ProbeResult): number;
}

/** A metric family set from the last probe's result, for the targets of the kinds that list it. */
export interface ResultFamily {
  readonly name: string;
  readonly type: "gauge" | "counter";
  readonly help: string;
  readonly series: readonly ResultSeries[];
}

export interface ProberKind<Spec extends KindedSpec, Block extends z.ZodType> {
  /** Its block's key in a target (`tcp:`), its specs' `kind`, its `prober` label. */
  readonly key: Spec["kind"];
  /** The block as written: strict, validated on load and shown in the JSON Schema. */
  readonly block: Block;
  /** A valid block → the spec its prober gets, every default applied. */
  readonly resolve: (written: z.output<Block>) => Spec;
  /**
   * Rules across the block and the target's other keys, on the target as written (after
   * `each`), so that they still report when some single value is invalid.
   */
  readonly check: (target: Readonly<Record<string, unknown>>, path: ConfigPath) => PathIssue[];
  /** Whether `expect` and the body and json rules of `degraded` apply: it reads a body. */
  readonly readsBody: boolean;
  readonly probe: Prober<Spec>;
  /** As shown in metric labels, logs and `pantau probe`: no credentials, no query string. */
  readonly endpoint: (spec: Spec) => string;
  /** The families it sets besides those of every kind (probe_success, …). */
  readonly families: readonly ResultFamily[];
}

export const noChecks = (): PathIssue[] => [];
