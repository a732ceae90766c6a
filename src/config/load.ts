import { readFile } from "node:fs/promises";
import { hostname } from "node:os";
import { type Document, LineCounter, parseDocument, type YAMLError } from "yaml";
import type { ConfigIssue } from "../fields/errors.js";
import { formatPath, isRecord, type PathIssue } from "../fields/path-issue.js";
import { validateIdsAndDependsOn } from "./depends-on.js";
import { type Expansion, expandTargets, usesPlaceholder } from "./each.js";
import { type Environment, substituteEnv } from "./env.js";
import { createLocator, type Locator } from "./locate.js";
import { resolveConfig } from "./resolve.js";
import { configSchema, type WrittenConfig } from "./schema.js";
import { schemaIssues } from "./schema-issues.js";
import type { Shard } from "./shard.js";
import type { Config } from "./types.js";
import { validateSettings, validateTargets } from "./validate.js";

/** `loadConfig` reports every issue found, never just the first. */
export type ConfigLoadResult = { ok: true; config: Config } | { ok: false; issues: ConfigIssue[] };

export interface LoadOptions {
  /** `global.instance` when the file does not set it; injectable so tests are deterministic. */
  hostname: string;
  /** `--shard I/N`: replaces `global.shard`. */
  shard?: Shard | null;
}

/** Reads and parses a config file. A file that cannot be read is one CONFIG_READ issue. */
export async function loadConfig(
  file: string,
  env: Environment = process.env,
  options: LoadOptions = { hostname: hostname() },
): Promise<ConfigLoadResult> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const reason = error instanceof Error && "code" in error ? String(error.code) : String(error);
    const message = `cannot read the config file (${reason})`;
    return {
      ok: false,
      issues: [{ code: "CONFIG_READ", file, line: 1, col: 1, path: "", message }],
    };
  }
  return parseConfig(text, file, env, options);
}

/**
 * Pure: YAML text → the resolved config, or every issue found, in document order. Stages:
 * YAML syntax → `${VAR}` substitution → `each` expansion → schema → cross-checks → defaults.
 */
export function parseConfig(
  text: string,
  file: string,
  env: Environment,
  options: LoadOptions = { hostname: hostname() },
): ConfigLoadResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    return { ok: false, issues: syntaxIssues(doc.errors, text, file, lineCounter) };
  }
  const envIssues = substituteEnv(doc, env);
  const written = toPlainData(doc);
  if (written instanceof Error) {
    const issue: ConfigIssue = {
      code: "CONFIG_YAML",
      file,
      line: 1,
      col: 1,
      path: "",
      message: written.message,
    };
    return { ok: false, issues: [issue] };
  }
  const locate = createLocator(doc, lineCounter);
  const checked = check(written, locate);
  const issues = locateAll(withoutEcho([...envIssues, ...checked.issues]), file, locate);
  if (issues.length > 0 || checked.valid === null) return { ok: false, issues };
  const config = resolveConfig(checked.valid, file, options.hostname, options.shard ?? null);
  return { ok: true, config };
}

/** Expands `each`, then runs the schema and the cross-checks; issues in written coordinates. */
function check(
  written: unknown,
  locate: Locator,
): { valid: WrittenConfig | null; issues: PathIssue[] } {
  const expansion = expandTargets(isRecord(written) ? written.targets : undefined);
  const expanded =
    isRecord(written) && expansion.targets !== null
      ? { ...written, targets: expansion.targets }
      : written;
  const parsed = configSchema.safeParse(expanded, { reportInput: true });
  const found = [
    ...schemaIssues(parsed.error, configSchema),
    ...crossChecks(expanded, expansion, locate),
  ];
  return {
    valid: parsed.success ? parsed.data : null,
    issues: [...expansion.issues, ...found.map((issue) => toWrittenPath(issue, expansion))],
  };
}

/** The document as plain data; an empty file is an empty map, so it reports what it lacks. */
function toPlainData(doc: Document): unknown {
  if (doc.contents === null) return {};
  try {
    // Aliases are expanded here; yaml's cap on alias expansion stops a "billion laughs" file.
    return doc.toJS();
  } catch (error) {
    return new Error(
      `cannot expand aliases: ${error instanceof Error ? error.message.toLowerCase() : String(error)}`,
    );
  }
}

function crossChecks(expanded: unknown, expansion: Expansion, locate: Locator): PathIssue[] {
  if (!isRecord(expanded)) return [];
  const targets = expansion.targets ?? [];
  const lineOfId = (index: number) => {
    const origin = expansion.origins[index];
    return locate(["targets", origin?.index ?? index, "id"], "value").line;
  };
  return [
    ...validateSettings(expanded),
    ...validateTargets(expanded, targets),
    ...validateIdsAndDependsOn(targets, lineOfId),
  ];
}

/**
 * Issues about expanded targets point back at what was written: `targets[k]` of the expanded
 * list becomes the template's `targets[i]`, and names the item when the value came from it.
 */
function toWrittenPath(issue: PathIssue, expansion: Expansion): PathIssue {
  const [section, index, ...rest] = issue.path;
  const origin =
    section === "targets" && typeof index === "number" ? expansion.origins[index] : undefined;
  if (origin === undefined) return issue;
  const path = ["targets", origin.index, ...rest];
  const fromItem = origin.item !== null && usesPlaceholder(origin.written, rest);
  return {
    ...issue,
    path,
    message: fromItem ? `${issue.message} (each[${origin.item}])` : issue.message,
  };
}

/**
 * Drops what would only repeat: an issue at a value whose `${VAR}` failed already, and the same
 * message again for a template's literal value, once per `each` item.
 */
function withoutEcho(issues: PathIssue[]): PathIssue[] {
  const envPaths = new Set(
    issues.filter((i) => i.code === "CONFIG_ENV").map((i) => formatPath(i.path)),
  );
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const path = formatPath(issue.path);
    const key = `${issue.code} ${issue.at} ${path} ${issue.message}`;
    if (seen.has(key) || (issue.code !== "CONFIG_ENV" && envPaths.has(path))) return false;
    seen.add(key);
    return true;
  });
}

function locateAll(issues: PathIssue[], file: string, locate: Locator): ConfigIssue[] {
  const located = issues.map((issue) => {
    const { line, col } = locate(issue.path, issue.at);
    return {
      code: issue.code,
      file,
      line,
      col,
      path: formatPath(issue.path),
      message: issue.message,
    };
  });
  // Stable sort: issues at the same place keep the order the stages found them in.
  return located.sort((a, b) => a.line - b.line || a.col - b.col);
}

function syntaxIssues(
  errors: YAMLError[],
  text: string,
  file: string,
  lineCounter: LineCounter,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const error of errors) {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    // One broken line makes the parser stumble over the rest of it: keep the first complaint.
    if (issues.some((issue) => issue.line === line)) continue;
    issues.push({
      code: "CONFIG_YAML",
      file,
      line,
      col,
      path: "",
      message: syntaxMessage(error, text),
    });
  }
  return issues;
}

function syntaxMessage(error: YAMLError, text: string): string {
  if (error.code === "DUPLICATE_KEY") return `duplicate key "${keyAt(text, error.pos[0])}"`;
  if (error.code === "MULTIPLE_DOCS") return "a config file holds one YAML document; found several";
  const message = error.message.split("\n")[0] ?? "";
  return `${message.charAt(0).toLowerCase()}${message.slice(1)}`;
}

/** The key written at `offset`, quotes removed: yaml points at a duplicate key's first character. */
function keyAt(text: string, offset: number): string {
  const written = /^("[^"\n]*"|'[^'\n]*'|[^:\n]*)/.exec(text.slice(offset))?.[1] ?? "";
  return written.trim().replace(/^["']|["']$/g, "");
}
