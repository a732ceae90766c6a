/**
 * Whether a path of the build context survives .dockerignore, by Docker's rules: patterns in
 * order, the last one matching the path or one of its parent directories decides, `!` lets
 * back in; `*` and `?` stay within one path segment, `**` spans any number.
 */
export function dockerignoreIncludes(dockerignore: string, path: string): boolean {
  let included = true;
  for (const raw of dockerignore.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const exception = line.startsWith("!");
    const pattern = toRegExp((exception ? line.slice(1) : line).replace(/^\/+|\/+$/g, ""));
    if (selfOrParents(path).some((candidate) => pattern.test(candidate))) included = exception;
  }
  return included;
}

function selfOrParents(path: string): string[] {
  const parts = path.split("/");
  return parts.map((_, i) => parts.slice(0, i + 1).join("/"));
}

function toRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "*" && pattern[i + 1] === "*") {
      const slash = pattern[i + 2] === "/";
      source += slash ? "(?:.*/)?" : ".*";
      i += slash ? 2 : 1;
    } else if (c === "*") source += "[^/]*";
    else if (c === "?") source += "[^/]";
    else source += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}
