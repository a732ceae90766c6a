import { type ConfigPath, isRecord, type PathIssue, pathIssue } from "../fields/path-issue.js";

/** Where an expanded target came from: its index in the file and, for `each`, the item. */
export interface TargetOrigin {
  index: number;
  item: number | null;
  /** The target as written (with `each`), to tell which values came from the item. */
  written: unknown;
}

export interface Expansion {
  /** null when `targets` is not a list: the schema reports that. */
  targets: unknown[] | null;
  origins: TargetOrigin[];
  issues: PathIssue[];
}

type EachItem = Record<string, string | number | boolean>;

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const WHOLE_PLACEHOLDER = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;
const ITEM_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Turns every target with `each: [{k: v}, ...]` into one target per item, `{k}` replaced in every
 * string value. A template with a broken `each` is reported and left out, so that it does not
 * cascade into a screen of follow-on errors.
 */
export function expandTargets(targets: unknown): Expansion {
  if (!Array.isArray(targets)) return { targets: null, origins: [], issues: [] };
  const expanded: unknown[] = [];
  const origins: TargetOrigin[] = [];
  const issues: PathIssue[] = [];
  targets.forEach((written: unknown, index) => {
    if (!isRecord(written) || written.each === undefined) {
      expanded.push(written);
      origins.push({ index, item: null, written });
      return;
    }
    const { each, ...template } = written;
    const items = readItems(each, ["targets", index, "each"], issues);
    if (items === null) return;
    const unknown = unknownPlaceholders(template, Object.keys(items[0] ?? {}), ["targets", index]);
    issues.push(...unknown);
    if (unknown.length > 0) return;
    items.forEach((item, itemIndex) => {
      expanded.push(fill(template, item));
      origins.push({ index, item: itemIndex, written });
    });
  });
  return { targets: expanded, origins, issues };
}

/** The items when they are a non-empty list of flat maps with the same keys; else null. */
function readItems(each: unknown, path: ConfigPath, issues: PathIssue[]): EachItem[] | null {
  if (!Array.isArray(each) || each.length === 0) {
    const message = "must be a non-empty list of maps, e.g. [{ site: cgk }]";
    issues.push(pathIssue("CONFIG_EACH", path, message));
    return null;
  }
  const firstKeys = isRecord(each[0]) ? sortedKeys(each[0]) : null;
  const found = each.flatMap((item: unknown, index) =>
    itemIssues(item, [...path, index], firstKeys),
  );
  issues.push(...found);
  return found.length === 0 ? (each as EachItem[]) : null;
}

function itemIssues(item: unknown, path: ConfigPath, firstKeys: string | null): PathIssue[] {
  if (!isRecord(item)) return [pathIssue("CONFIG_EACH", path, "must be a map, e.g. { site: cgk }")];
  const issues: PathIssue[] = [];
  for (const [key, value] of Object.entries(item)) {
    if (!ITEM_KEY.test(key)) {
      issues.push(
        pathIssue(
          "CONFIG_EACH",
          [...path, key],
          `"${key}" is not a placeholder name (use letters, digits, _)`,
          "key",
        ),
      );
    } else if (!["string", "number", "boolean"].includes(typeof value)) {
      issues.push(pathIssue("CONFIG_EACH", [...path, key], "must be a string, number or boolean"));
    }
  }
  const keys = sortedKeys(item);
  if (firstKeys !== null && keys !== firstKeys) {
    issues.push(
      pathIssue(
        "CONFIG_EACH",
        path,
        `has keys (${keys}); every item needs the keys of each[0] (${firstKeys})`,
      ),
    );
  }
  return issues;
}

function sortedKeys(item: Record<string, unknown>): string {
  return Object.keys(item).sort().join(", ");
}

/** One issue per string of the template that names a placeholder no item defines. */
function unknownPlaceholders(value: unknown, names: string[], path: ConfigPath): PathIssue[] {
  if (typeof value === "string") {
    const unknown = [...value.matchAll(PLACEHOLDER)].find(([, name = ""]) => !names.includes(name));
    if (unknown === undefined) return [];
    const known = names.map((name) => `{${name}}`).join(", ");
    return [
      pathIssue(
        "CONFIG_EACH",
        path,
        `unknown placeholder "${unknown[0]}" (each items define ${known})`,
      ),
    ];
  }
  if (Array.isArray(value))
    return value.flatMap((item, index) => unknownPlaceholders(item, names, [...path, index]));
  if (isRecord(value)) {
    return Object.entries(value).flatMap(([key, item]) =>
      unknownPlaceholders(item, names, [...path, key]),
    );
  }
  return [];
}

function fill(value: unknown, item: EachItem): unknown {
  if (typeof value === "string") return fillString(value, item);
  if (Array.isArray(value)) return value.map((element) => fill(element, item));
  if (isRecord(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, element]) => [key, fill(element, item)]),
    );
  }
  return value;
}

// A value that is only a placeholder takes the item's value with its type: `port: "{port}"` → 8443.
function fillString(text: string, item: EachItem): unknown {
  const whole = WHOLE_PLACEHOLDER.exec(text)?.[1];
  if (whole !== undefined && whole in item) return item[whole];
  return text.replace(PLACEHOLDER, (match, name: string) =>
    name in item ? String(item[name]) : match,
  );
}

/** True when the value at `path` inside the written target depends on the `each` item. */
export function usesPlaceholder(written: unknown, path: ConfigPath): boolean {
  let value = written;
  for (const segment of path) {
    if (Array.isArray(value) && typeof segment === "number") value = value[segment];
    else if (isRecord(value) && typeof segment === "string") value = value[segment];
    else return false;
  }
  return containsPlaceholder(value);
}

function containsPlaceholder(value: unknown): boolean {
  if (typeof value === "string") return /\{[A-Za-z_][A-Za-z0-9_]*\}/.test(value);
  if (Array.isArray(value)) return value.some(containsPlaceholder);
  if (isRecord(value)) return Object.values(value).some(containsPlaceholder);
  return false;
}
