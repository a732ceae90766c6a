/**
 * Checks the README and docs/ as a reader of a clone meets them: every link stays inside the
 * repository and lands on a file (and heading) that exists, every path named in code exists,
 * and nothing points at what a clone does not have (the shared contract, issue numbers).
 * Pure: files are read through `read`, so the checks are tested on made-up pages too.
 */
import { posix } from "node:path";

export interface DocProblem {
  file: string;
  line: number;
  message: string;
}

/** A repository path's text; "" for a directory; null when nothing is there. */
export type ReadPath = (path: string) => string | null;

export const README_MAX_LINES = 250;

/** Folders whose paths docs may name in code spans (`src/config/load.ts`): each must exist. */
const NAMED_PATH = /^(?:src|test|config|dashboards|docs|scripts)\/[\w./-]*$/;
const SCHEME = /^[a-z][a-z0-9+.-]*:/i;
// `#8` as an issue reference: not a heading (`## 1.`), a colour (`#0072B2`) or an anchor
const ISSUE_HASH = /(?:^|[^\w&#/])#\d+\b/;
const ISSUE_WORD = /\bissues?[\s-]*#?\d+/i;
const SHARED_CONTRACT = /\bSPEC\b|SPEC\.md|\.\.\/shared\b/;

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function githubSlug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/[*`]/g, "")
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}_\- ]/gu, "")
    .replace(/ /g, "-");
}

interface Line {
  number: number;
  text: string;
  /** Inside a fenced code block (the fence lines included). */
  code: boolean;
}

function linesOf(markdown: string): Line[] {
  let fenced = false;
  return markdown.split("\n").map((text, index) => {
    const fence = /^\s*(```|~~~)/.test(text);
    const line = { number: index + 1, text, code: fenced || fence };
    if (fence) fenced = !fenced;
    return line;
  });
}

/** Every heading's anchor, with GitHub's -1, -2 … for repeats. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of linesOf(markdown)) {
    const heading = line.code ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line.text);
    if (!heading) continue;
    const slug = githubSlug(heading[1] ?? "");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

const withoutCodeSpans = (text: string) =>
  text.replace(/`[^`]*`/g, (span) => " ".repeat(span.length));

/** Link targets on a line of prose: inline links and images, reference definitions, autolinks. */
export function linkTargets(text: string): string[] {
  const prose = withoutCodeSpans(text);
  const targets: string[] = [];
  for (const m of prose.matchAll(/\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g)) {
    targets.push(m[1] ?? "");
  }
  const definition = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/.exec(prose);
  if (definition) targets.push(definition[1] ?? "");
  for (const m of prose.matchAll(/<([a-z][a-z0-9+.-]*:[^>\s]*)>/gi)) targets.push(m[1] ?? "");
  // GitHub links bare URLs in prose too
  const bare = prose.replace(/\]\([^)]*\)|<[^>]*>/g, "");
  for (const m of bare.matchAll(/\b(?:https?:\/\/|www\.)[^\s)<>]+/gi)) targets.push(m[0]);
  return targets;
}

function checkLink(file: string, target: string, read: ReadPath): string | null {
  if (target === "") return "empty link";
  if (SCHEME.test(target) || target.startsWith("//") || /^www\./i.test(target)) {
    return `link ${target} points outside the repository`;
  }
  if (target.startsWith("/")) return `link ${target} is absolute: use a relative path`;
  const [pathPart = "", anchor] = target.split("#", 2);
  const path = pathPart === "" ? file : posix.normalize(posix.join(posix.dirname(file), pathPart));
  if (path === ".." || path.startsWith("../")) {
    return `link ${target} points outside the repository`;
  }
  const text = read(path.replace(/\/$/, ""));
  if (text === null) return `link ${target}: no file ${path}`;
  if (anchor !== undefined && !headingAnchors(text).has(anchor)) {
    return `link ${target}: no heading #${anchor} in ${path}`;
  }
  return null;
}

/** Problems of one Markdown file of the repository (`file` is its repository path). */
export function checkMarkdown(file: string, read: ReadPath): DocProblem[] {
  const markdown = read(file) ?? "";
  const problems: DocProblem[] = [];
  const problem = (line: Line, message: string) =>
    problems.push({ file, line: line.number, message });
  for (const line of linesOf(markdown)) {
    if (!line.code) {
      for (const target of linkTargets(line.text)) {
        const message = checkLink(file, target, read);
        if (message) problem(line, message);
      }
      for (const m of line.text.matchAll(/`([^`]+)`/g)) {
        const named = m[1] ?? "";
        if (NAMED_PATH.test(named) && read(named.replace(/\/$/, "")) === null) {
          problem(line, `names ${named}, which does not exist`);
        }
      }
    }
    // link targets may hold anchors like #1-…: look for references in what a reader reads
    const readable = line.text.replace(/\]\([^)]*\)/g, "]");
    if (SHARED_CONTRACT.test(readable)) {
      problem(line, "mentions the shared contract (SPEC.md), which a clone does not have");
    }
    const issue = ISSUE_HASH.exec(readable)?.[0] ?? ISSUE_WORD.exec(readable)?.[0];
    if (issue !== undefined) problem(line, `refers to an issue (${issue.trim()})`);
  }
  if (file === "README.md") {
    const lines = markdown.endsWith("\n")
      ? markdown.split("\n").length - 1
      : markdown.split("\n").length;
    if (lines > README_MAX_LINES) {
      problems.push({
        file,
        line: lines,
        message: `${lines} lines: the README is the front door, at most ${README_MAX_LINES}`,
      });
    }
  }
  return problems;
}

/** `file:line: message`, for a failure message a reader can jump from. */
export function formatProblem(p: DocProblem): string {
  return `${p.file}:${p.line}: ${p.message}`;
}
