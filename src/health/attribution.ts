import type { TargetState } from "./types.js";

/**
 * Dependency attribution (the `blocked_by` overlay, docs/states-and-outages.md), pure: which down targets are down
 * because something they depend on is down. In June 2024 one upstream (the core system) took
 * every portal and every airport's autogates down; the page should name that one upstream, not
 * a dozen separate outages.
 *
 * A probe tells when a failure was SEEN, not when it happened: a failure first seen at T.at
 * began after the target's last non-failed probe (`lastOkAt`). When a data centre goes dark
 * everything fails in one instant and the probes land in any order, so comparing first-failure
 * times would blame or clear an upstream by the luck of the phases. Rules:
 * - A down target T is blocked by a down ancestor A (any depth through `depends_on`) unless A
 *   was seen healthy after T's first failed probe: `A.lastOkAt < T.downSince`, where a null
 *   `lastOkAt` (never seen healthy) counts as possible. Detection order does not matter.
 * - Ancestors that are not down are not candidates, but the search goes on through them: a
 *   down target behind an up middle tier is still blocked by a down core above it.
 * - The one named is root-most: a qualifying ancestor that is itself not blocked; among several,
 *   the earliest `downSince`, ties by id.
 * - While an ancestor that may have caused T has no verdict yet (failing below its threshold,
 *   or not probed since T's first failed probe), T's attribution is pending (`pendingUpstreams`).
 */

export interface DependencyNode {
  id: string;
  dependsOn: readonly string[];
  state: TargetState;
  /** Start (`at`) of its current outage when state === "down", else null. */
  downSince: number | null;
  /**
   * Start of its last probe that did not fail; while down, its outage's bound (`last_ok_at`).
   * null when none was seen.
   */
  lastOkAt: number | null;
}

/** A down target whose `blocked_by` is new or different; null = its own outage. */
export interface AttributionChange {
  targetId: string;
  blockedBy: string | null;
}

/** Target id → blocked_by, for down targets only. */
export type Attribution = Map<string, string | null>;

const NO_ROOTS: ReadonlySet<DependencyNode> = new Set();

/**
 * blocked_by for every DOWN target: the id of the root-most down dependency that caused it, or
 * null when the outage is its own. Unknown ids in `dependsOn` are ignored; a cycle (which the
 * config forbids) never loops: its members are taken in id order, each ignoring the edges back.
 */
export function attributeOutages(
  nodes: ReadonlyMap<string, DependencyNode> | readonly DependencyNode[],
): Attribution {
  const byId = indexById(nodes);
  const attribution: Attribution = new Map();
  // down, unblocked nodes among each node's ancestors: the only possible blockers below it
  const rootsAbove = new Map<DependencyNode, ReadonlySet<DependencyNode>>();
  for (const node of topologicalOrder(byId)) {
    const roots = unionOfRoots(knownDependencies(node, byId), rootsAbove, attribution);
    rootsAbove.set(node, roots);
    if (node.state === "down") attribution.set(node.id, earliestQualifying(roots, node));
  }
  return attribution;
}

/**
 * The down targets of `after` whose attribution is new (not in `before`) or different, sorted
 * by id: what the engine records and publishes. Targets that left `down` are not listed: their
 * transition out of down already says so.
 */
export function attributionChanges(
  before: ReadonlyMap<string, string | null>,
  after: ReadonlyMap<string, string | null>,
): AttributionChange[] {
  const changes: AttributionChange[] = [];
  for (const [targetId, blockedBy] of after) {
    // absent reads as undefined, which differs from both null and an id
    if (before.get(targetId) !== blockedBy) changes.push({ targetId, blockedBy });
  }
  return changes.sort((a, b) => compareIds(a.targetId, b.targetId));
}

function indexById(
  nodes: ReadonlyMap<string, DependencyNode> | readonly DependencyNode[],
): ReadonlyMap<string, DependencyNode> {
  return isNodeList(nodes) ? new Map(nodes.map((node) => [node.id, node])) : nodes;
}

function isNodeList(
  nodes: ReadonlyMap<string, DependencyNode> | readonly DependencyNode[],
): nodes is readonly DependencyNode[] {
  return Array.isArray(nodes);
}

/** Distinct dependencies that exist, never the node itself. */
function knownDependencies(
  node: DependencyNode,
  byId: ReadonlyMap<string, DependencyNode>,
): DependencyNode[] {
  const ids = new Set(node.dependsOn);
  ids.delete(node.id);
  return [...ids].flatMap((id) => byId.get(id) ?? []);
}

/**
 * Dependencies before dependants (Kahn's algorithm). Nodes left on a cycle follow in id order,
 * so even a config that slipped past validation gives one answer and never loops.
 */
function topologicalOrder(byId: ReadonlyMap<string, DependencyNode>): DependencyNode[] {
  const waitingOn = new Map<DependencyNode, number>();
  const dependants = new Map<DependencyNode, DependencyNode[]>();
  for (const node of byId.values()) {
    const dependencies = knownDependencies(node, byId);
    waitingOn.set(node, dependencies.length);
    for (const dependency of dependencies) {
      const list = dependants.get(dependency);
      if (list === undefined) dependants.set(dependency, [node]);
      else list.push(node);
    }
  }
  const order = [...waitingOn].filter(([, count]) => count === 0).map(([node]) => node);
  // order grows while it is walked: each node appended once its last dependency is placed
  for (let index = 0; index < order.length; index++) {
    for (const dependant of dependants.get(order[index]!) ?? []) {
      const count = waitingOn.get(dependant)! - 1;
      waitingOn.set(dependant, count);
      if (count === 0) order.push(dependant);
    }
  }
  const placed = new Set(order);
  const onCycles = [...byId.values()].filter((node) => !placed.has(node));
  return [...order, ...onCycles.sort((a, b) => compareIds(a.id, b.id))];
}

/**
 * The roots above a node: each dependency's own roots, plus the dependency itself when it is
 * down on its own account. Dependencies not yet visited (a cycle's back edges) contribute none.
 */
function unionOfRoots(
  dependencies: readonly DependencyNode[],
  rootsAbove: ReadonlyMap<DependencyNode, ReadonlySet<DependencyNode>>,
  attribution: Attribution,
): ReadonlySet<DependencyNode> {
  const inherited: ReadonlySet<DependencyNode>[] = [];
  const ownOutages: DependencyNode[] = [];
  for (const dependency of dependencies) {
    const roots = rootsAbove.get(dependency);
    if (roots === undefined) continue;
    if (roots.size > 0) inherited.push(roots);
    if (attribution.get(dependency.id) === null) ownOutages.push(dependency);
  }
  // a lone chain shares its dependency's set: no copy per target in a large fan-out
  if (ownOutages.length === 0 && inherited.length <= 1) return inherited[0] ?? NO_ROOTS;
  return new Set([...inherited.flatMap((roots) => [...roots]), ...ownOutages]);
}

/** The earliest root that may have caused the node's outage; ties by id. */
function earliestQualifying(
  roots: ReadonlySet<DependencyNode>,
  node: DependencyNode,
): string | null {
  let best: DependencyNode | null = null;
  for (const root of roots) {
    if (root.downSince === null || !mayHaveCaused(root.lastOkAt, node.downSince)) continue;
    if (best === null || isEarlier(root, best)) best = root;
  }
  return best?.id ?? null;
}

/**
 * Whether an upstream last seen healthy at `upstreamLastOkAt` may have caused a failure first
 * seen at `failedAt`: only an upstream seen healthy at or after that probe is cleared.
 */
export function mayHaveCaused(upstreamLastOkAt: number | null, failedAt: number | null): boolean {
  if (failedAt === null) return false;
  return upstreamLastOkAt === null || upstreamLastOkAt < failedAt;
}

/** What the pending rule needs of an upstream. */
export interface UpstreamVerdict {
  id: string;
  dependsOn: readonly string[];
  /** Its verdict is in: the ledger holds it down, so attribution against it is settled. */
  downCommitted: boolean;
  /** `lastOkAt` of its latest decided health (see DependencyNode). */
  lastOkAt: number | null;
}

/**
 * The ancestors of `targetId` (any depth) that may have caused its outage first seen at
 * `downSince` and have no committed verdict yet: failing below their threshold, down but not
 * yet committed, or not probed since. Until none is left the target's page waits. By id.
 */
export function pendingUpstreams(
  targetId: string,
  downSince: number,
  byId: { get(id: string): UpstreamVerdict | undefined },
): string[] {
  const pending: string[] = [];
  const seen = new Set<string>([targetId]);
  const queue = [...(byId.get(targetId)?.dependsOn ?? [])];
  for (let index = 0; index < queue.length; index++) {
    const id = queue[index]!;
    if (seen.has(id)) continue;
    seen.add(id);
    const upstream = byId.get(id);
    if (upstream === undefined) continue;
    if (!upstream.downCommitted && mayHaveCaused(upstream.lastOkAt, downSince)) pending.push(id);
    queue.push(...upstream.dependsOn);
  }
  return pending.sort(compareIds);
}

function isEarlier(a: DependencyNode, b: DependencyNode): boolean {
  const aStart = a.downSince ?? Number.POSITIVE_INFINITY;
  const bStart = b.downSince ?? Number.POSITIVE_INFINITY;
  return aStart < bStart || (aStart === bStart && compareIds(a.id, b.id) < 0);
}

/** Code-unit order: the same on every machine, unlike localeCompare. */
function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
