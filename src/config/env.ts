import { type Document, isMap, isPair, isScalar, isSeq, parseDocument, type Scalar } from "yaml";
import { type ConfigPath, type PathIssue, pathIssue } from "../fields/path-issue.js";

export type Environment = Record<string, string | undefined>;

// `$$` is a literal `$`; `${...}` is a reference; a `${` that never closes is a mistake.
const REFERENCE = /\$\$|\$\{([^}]*)\}|\$\{/g;
const NAME_AND_DEFAULT = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

/**
 * Replaces `${NAME}` / `${NAME:-default}` in every scalar value of the parsed document, in place,
 * so nodes keep their source positions. Keys are left alone. Returns one issue per bad scalar.
 */
export function substituteEnv(doc: Document, env: Environment): PathIssue[] {
  const issues: PathIssue[] = [];
  walk(doc.contents, [], (scalar, path) => {
    const result = substituteText(scalar.value as string, env);
    if (result.problem !== null) issues.push(pathIssue("CONFIG_ENV", path, result.problem));
    else if (result.text !== scalar.value) scalar.value = retype(scalar, result.text);
  });
  return issues;
}

function walk(node: unknown, path: ConfigPath, visit: (s: Scalar, path: ConfigPath) => void): void {
  if (isScalar(node) && typeof node.value === "string") visit(node, path);
  else if (isSeq(node)) {
    for (const [index, item] of node.items.entries()) walk(item, [...path, index], visit);
  } else if (isMap(node)) {
    for (const pair of node.items) {
      if (isPair(pair) && isScalar(pair.key))
        walk(pair.value, [...path, String(pair.key.value)], visit);
    }
  }
}

interface Substitution {
  text: string;
  problem: string | null;
}

/** Pure: the text with every reference replaced, or the first problem found in it. */
export function substituteText(text: string, env: Environment): Substitution {
  let problem: string | null = null;
  const replaced = text.replace(REFERENCE, (match, inner: string | undefined) => {
    if (match === "$$") return "$";
    const reference = inner === undefined ? null : NAME_AND_DEFAULT.exec(inner);
    if (reference === null) {
      problem ??= `malformed reference "${match}" (use \${NAME} or \${NAME:-default})`;
      return match;
    }
    const [, name = "", fallback] = reference;
    const value = env[name];
    // Like the shell's `:-`: an empty variable takes the default too.
    if (fallback !== undefined) return value === undefined || value === "" ? fallback : value;
    if (value === undefined)
      problem ??= `environment variable ${name} is not set (or write \${${name}:-default})`;
    return value ?? match;
  });
  return { text: replaced, problem };
}

/**
 * A plain (unquoted) scalar is typed after substitution the way YAML would have typed the text:
 * `port: ${PORT:-443}` is the number 443. Quote it to keep a string.
 */
function retype(scalar: Scalar, text: string): unknown {
  if (scalar.type !== "PLAIN") return text;
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return text;
  const typed: unknown = doc.toJS();
  return typed === null || typeof typed === "number" || typeof typed === "boolean" ? typed : text;
}
