import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type LineCounter,
  type Node,
} from "yaml";
import type { ConfigPath } from "../fields/path-issue.js";

export interface Position {
  line: number;
  col: number;
}

/** Finds where a key path sits in the parsed document, so every issue can name its line:col. */
export type Locator = (path: ConfigPath, at: "value" | "key") => Position;

const START: Position = { line: 1, col: 1 };

export function createLocator(doc: Document, lineCounter: LineCounter): Locator {
  const positionOf = (node: Node | null | undefined): Position | null => {
    const offset = node?.range?.[0];
    return offset === undefined ? null : lineCounter.linePos(offset);
  };
  return (path, at) => {
    let node = resolveAlias(doc, doc.contents);
    let found = positionOf(node) ?? START;
    for (const [index, segment] of path.entries()) {
      const child = childOf(node, segment);
      if (child === null) break;
      const isLast = index === path.length - 1;
      if (isLast && at === "key" && child.key !== null) return positionOf(child.key) ?? found;
      // `key:` with nothing after it has no value node worth pointing at: use the key.
      found = positionOf(child.value) ?? positionOf(child.key) ?? found;
      node = resolveAlias(doc, child.value);
    }
    return found;
  };
}

interface Child {
  key: Node | null;
  value: Node | null;
}

function childOf(node: Node | null, segment: string | number): Child | null {
  if (isMap(node)) {
    const pair = node.items.find((item) => isPair(item) && keyText(item.key) === String(segment));
    return pair ? { key: asNode(pair.key), value: asNode(pair.value) } : null;
  }
  if (isSeq(node) && typeof segment === "number") {
    const item = asNode(node.items[segment]);
    return item === null ? null : { key: null, value: item };
  }
  return null;
}

function keyText(key: unknown): string | null {
  return isScalar(key) ? String(key.value) : null;
}

function asNode(value: unknown): Node | null {
  return isScalar(value) || isMap(value) || isSeq(value) || isAlias(value) ? value : null;
}

function resolveAlias(doc: Document, node: unknown): Node | null {
  if (isAlias(node)) return asNode(node.resolve(doc));
  return asNode(node);
}
