/**
 * The import graph of src/ and the rules it must keep. Read with TypeScript's own pre-processor
 * (imports, re-exports, `import()` and type-only imports alike: a type cycle is still a tangle).
 */
import { readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, posix, relative } from "node:path";
import ts from "typescript";

/** File → what it imports: repository paths (`src/probe/run.ts`), `node:` modules, packages. */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

/**
 * A rule over edges: a file matching `from` (and not `except`) may import nothing matching
 * `forbid` (unless it matches `allow`). A pattern ending in `/` is a folder and matches
 * everything under it; any other pattern names one file or module exactly.
 */
export interface LayerRule {
  name: string;
  from: readonly string[];
  except?: readonly string[];
  forbid: readonly string[];
  allow?: readonly string[];
}

const BUILTINS = new Set(builtinModules);

/** The graph of every .ts file under `folder` (a path relative to `root`). */
export function readImportGraph(root: string, folder: string): ImportGraph {
  const graph = new Map<string, string[]>();
  for (const file of tsFiles(join(root, folder))) {
    const path = relative(root, file).split("\\").join("/");
    const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    graph.set(
      path,
      importedFiles.map((imported) => resolveSpecifier(path, imported.fileName)),
    );
  }
  return graph;
}

function tsFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** `./run.js` from src/probe/tcp.ts → src/probe/run.ts; `fs` → node:fs; packages as written. */
function resolveSpecifier(from: string, specifier: string): string {
  if (specifier.startsWith(".")) {
    return posix.join(dirname(from), specifier).replace(/\.js$/, ".ts");
  }
  if (!specifier.startsWith("node:") && BUILTINS.has(specifier)) return `node:${specifier}`;
  return specifier;
}

function matches(pattern: string, path: string): boolean {
  return pattern.endsWith("/") ? path.startsWith(pattern) : path === pattern;
}

const matchesAny = (patterns: readonly string[], path: string) =>
  patterns.some((pattern) => matches(pattern, path));

/** Every edge that breaks a rule, as `file imports target: rule`, in file order. */
export function forbiddenImports(graph: ImportGraph, rules: readonly LayerRule[]): string[] {
  const found: string[] = [];
  for (const [file, imports] of graph) {
    for (const rule of rules) {
      if (!matchesAny(rule.from, file) || matchesAny(rule.except ?? [], file)) continue;
      for (const imported of imports) {
        if (!matchesAny(rule.forbid, imported) || matchesAny(rule.allow ?? [], imported)) continue;
        found.push(`${file} imports ${imported}: ${rule.name}`);
      }
    }
  }
  return found;
}

/**
 * One cycle per tangle of files (strongly connected component, Tarjan), shown as a path from
 * its first file back to it: `cycle: a.ts -> b.ts -> a.ts`.
 */
export function importCycles(graph: ImportGraph): string[] {
  return stronglyConnected(graph)
    .filter(
      (files) => files.length > 1 || (graph.get(files[0] ?? "") ?? []).includes(files[0] ?? ""),
    )
    .map((files) => `cycle: ${cycleThrough(graph, new Set(files)).join(" -> ")}`)
    .sort();
}

function stronglyConnected(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  // an explicit stack of (file, next edge): a long chain of imports must not overflow
  for (const root of graph.keys()) {
    if (index.has(root)) continue;
    const frames: { file: string; edges: string[]; next: number }[] = [];
    const open = (file: string) => {
      index.set(file, index.size);
      low.set(file, index.get(file) ?? 0);
      stack.push(file);
      onStack.add(file);
      frames.push({ file, edges: (graph.get(file) ?? []).filter((to) => graph.has(to)), next: 0 });
    };
    open(root);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      const to = frame.edges[frame.next++];
      if (to !== undefined) {
        if (!index.has(to)) open(to);
        else if (onStack.has(to))
          low.set(frame.file, Math.min(low.get(frame.file)!, index.get(to)!));
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent) low.set(parent.file, Math.min(low.get(parent.file)!, low.get(frame.file)!));
      if (low.get(frame.file) !== index.get(frame.file)) continue;
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== frame.file);
      components.push(component.sort());
    }
  }
  return components;
}

/** The shortest path from the component's first file back to itself (breadth first). */
function cycleThrough(graph: ImportGraph, members: ReadonlySet<string>): string[] {
  const start = [...members].sort()[0]!;
  const cameFrom = new Map<string, string>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const file = queue[head]!;
    for (const to of graph.get(file) ?? []) {
      if (!members.has(to)) continue;
      if (to === start) return [...pathTo(cameFrom, start, file), start];
      if (!cameFrom.has(to)) {
        cameFrom.set(to, file);
        queue.push(to);
      }
    }
  }
  return [start];
}

function pathTo(cameFrom: ReadonlyMap<string, string>, start: string, file: string): string[] {
  const path = [file];
  while (path[0] !== start) path.unshift(cameFrom.get(path[0]!)!);
  return path;
}
