import { isRecord, type PathIssue, pathIssue } from "../fields/path-issue.js";
import { didYouMean } from "../text/suggest.js";

interface Node {
  /** Index in the expanded target list. */
  index: number;
  /** As written: non-string entries are the schema's to report. */
  dependsOn: unknown[];
}

/**
 * Ids and the dependency graph: duplicates (at the second occurrence), unknown ids in
 * `depends_on`, and every cycle once, shown from its first target in the file.
 * `lineOfId` names the line of a target's id, so a duplicate can point back at the first.
 */
export function validateIdsAndDependsOn(
  targets: unknown[],
  lineOfId: (index: number) => number,
): PathIssue[] {
  const nodes = new Map<string, Node>();
  const issues: PathIssue[] = [];
  targets.forEach((target, index) => {
    const id = isRecord(target) ? target.id : undefined;
    if (typeof id !== "string") return;
    const first = nodes.get(id);
    if (first === undefined) nodes.set(id, { index, dependsOn: dependsOnOf(target) });
    else
      issues.push(
        pathIssue(
          "CONFIG_DUPLICATE_ID",
          ["targets", index, "id"],
          `duplicate id "${id}" (first defined at line ${lineOfId(first.index)})`,
        ),
      );
  });
  return [...issues, ...unknownDependencies(targets, nodes), ...cycles(nodes)];
}

function dependsOnOf(target: unknown): unknown[] {
  const list = isRecord(target) ? target.depends_on : undefined;
  return Array.isArray(list) ? list : [];
}

function unknownDependencies(targets: unknown[], nodes: Map<string, Node>): PathIssue[] {
  return targets.flatMap((target, index) => {
    const list = isRecord(target) && Array.isArray(target.depends_on) ? target.depends_on : [];
    return list.flatMap((id: unknown, position) =>
      typeof id !== "string" || nodes.has(id)
        ? []
        : [
            pathIssue(
              "CONFIG_UNKNOWN_DEPENDENCY",
              ["targets", index, "depends_on", position],
              `unknown target "${id}"${didYouMean(id, nodes.keys())}`,
            ),
          ],
    );
  });
}

/** Depth-first search with an explicit stack: a long chain of dependencies must not overflow. */
function cycles(nodes: Map<string, Node>): PathIssue[] {
  const state = new Map<string, "open" | "done">();
  const found = new Map<string, string[]>();
  for (const root of nodes.keys()) {
    if (state.has(root)) continue;
    const stack = [{ id: root, next: 0 }];
    state.set(root, "open");
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const dependencies = nodes.get(frame.id)?.dependsOn ?? [];
      if (frame.next >= dependencies.length) {
        state.set(frame.id, "done");
        stack.pop();
        continue;
      }
      const dependency = dependencies[frame.next++];
      if (typeof dependency !== "string" || !nodes.has(dependency)) continue;
      if (state.get(dependency) === "open") {
        const ids = stack.map((open) => open.id);
        const cycle = rotateToFirst(ids.slice(ids.indexOf(dependency)), nodes);
        found.set(cycle.join(" "), cycle);
      } else if (!state.has(dependency)) {
        state.set(dependency, "open");
        stack.push({ id: dependency, next: 0 });
      }
    }
  }
  return [...found.values()].map((cycle) => cycleIssue(cycle, nodes));
}

/** The same cycle is found from any of its members; start it at the first one in the file. */
function rotateToFirst(cycle: string[], nodes: Map<string, Node>): string[] {
  const indexOf = (id: string) => nodes.get(id)?.index ?? 0;
  const start = cycle.reduce(
    (best, id, position) => (indexOf(id) < indexOf(cycle[best] ?? id) ? position : best),
    0,
  );
  return [...cycle.slice(start), ...cycle.slice(0, start)];
}

function cycleIssue(cycle: string[], nodes: Map<string, Node>): PathIssue {
  const [first = "", second = first] = cycle;
  const node = nodes.get(first);
  const position = node?.dependsOn.indexOf(second) ?? 0;
  const shown = [...cycle, first].join(" -> ");
  return pathIssue(
    "CONFIG_DEPENDENCY_CYCLE",
    ["targets", node?.index ?? 0, "depends_on", position],
    `dependency cycle: ${shown}`,
  );
}
