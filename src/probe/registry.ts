/**
 * Every prober kind, one line each: the config schema, resolve, validation, the probe
 * dispatch, endpoints and metric families all read this list. A new kind is its own file and
 * a line here.
 */
import type * as z from "zod";
import type { ConfigPath, PathIssue } from "../fields/path-issue.js";
import { dnsKind } from "./dns.js";
import { grpcKind } from "./grpc.js";
import { httpKind } from "./http.js";
import type { ResultFamily } from "./kind.js";
import { tcpKind } from "./tcp.js";
import type { ProbeOptions, ProbeResult, ProbeTarget } from "./types.js";

const KINDS = [httpKind, tcpKind, dnsKind, grpcKind] as const;

type Kind = (typeof KINDS)[number];

/** A resolved prober block, of any kind: `spec.kind` names the kind. */
export type ProbeSpec = ReturnType<Kind["resolve"]>;

/** The prober blocks of a target in the config schema: `http:`, `tcp:`, … each optional. */
export type ProberBlocks = { [K in Kind as K["key"]]: z.ZodOptional<K["block"]> };

/**
 * A kind as the loops over all kinds see it. Methods, not function properties: TypeScript
 * compares method parameters both ways, so each kind (whose prober takes only its own spec) is
 * one of these without a cast. Sound because a spec reaches only the kind its `kind` names.
 */
export interface RegisteredKind {
  readonly key: ProbeSpec["kind"];
  readonly block: z.ZodType;
  resolve(written: unknown): ProbeSpec;
  check(target: Readonly<Record<string, unknown>>, path: ConfigPath): PathIssue[];
  readonly readsBody: boolean;
  probe(target: ProbeTarget<ProbeSpec>, options: ProbeOptions): Promise<ProbeResult>;
  endpoint(spec: ProbeSpec): string;
  readonly families: readonly ResultFamily[];
}

export const PROBER_KINDS: readonly RegisteredKind[] = KINDS;

const BY_KEY: Readonly<Record<string, RegisteredKind>> = Object.fromEntries(
  KINDS.map((kind) => [kind.key, kind]),
);

export function proberKind(key: ProbeSpec["kind"]): RegisteredKind {
  const kind = BY_KEY[key];
  if (kind === undefined) throw new Error(`bug: no prober kind "${key}"`);
  return kind;
}

export function proberBlocks(): ProberBlocks {
  // built from the list, so typed by hand: ProberBlocks is what the list makes
  return Object.fromEntries(KINDS.map((kind) => [kind.key, kind.block.optional()])) as ProberBlocks;
}

/** Probe `target` (a config `Target` will do) with the prober its `probe.kind` names. Never throws. */
export function probeTarget(
  target: ProbeTarget<ProbeSpec>,
  options: ProbeOptions,
): Promise<ProbeResult> {
  return proberKind(target.probe.kind).probe(target, options);
}

/** As metric labels and logs show it: `https://www.imigrasi.go.id/`, `tcp://simkim:443`. */
export function describeEndpoint(spec: ProbeSpec): string {
  return proberKind(spec.kind).endpoint(spec);
}

/** The families any kind sets, each once, in the order of the list. */
export const RESULT_FAMILIES: readonly ResultFamily[] = [
  ...new Set(KINDS.flatMap((kind) => kind.families)),
];
