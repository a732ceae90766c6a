/** Dotted JSON paths (`status`, `checks.0.state`): numeric segments index arrays. Pure. */

export type JsonLookup = { found: true; value: unknown } | { found: false };

const NOT_FOUND: JsonLookup = { found: false };

/** The value at `path` in `document`; an empty path is the document itself. */
export function lookupJsonPath(document: unknown, path: string): JsonLookup {
  if (path === "") return { found: true, value: document };
  let current: unknown = document;
  for (const segment of path.split(".")) {
    const next = childOf(current, segment);
    if (!next.found) return NOT_FOUND;
    current = next.value;
  }
  return { found: true, value: current };
}

function childOf(parent: unknown, segment: string): JsonLookup {
  if (Array.isArray(parent)) {
    if (!/^\d+$/.test(segment)) return NOT_FOUND;
    const index = Number(segment);
    return index < parent.length ? { found: true, value: parent[index] } : NOT_FOUND;
  }
  if (parent !== null && typeof parent === "object" && Object.hasOwn(parent, segment)) {
    return { found: true, value: (parent as Record<string, unknown>)[segment] };
  }
  return NOT_FOUND;
}

/** `"down"`, `3`, `null`, `an object`, `missing`: how a looked-up value reads in a detail. */
export function describeJsonValue(lookup: JsonLookup): string {
  if (!lookup.found) return "missing";
  const { value } = lookup;
  if (Array.isArray(value)) return "an array";
  if (value !== null && typeof value === "object") return "an object";
  return JSON.stringify(value);
}
