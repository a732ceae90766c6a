/**
 * Globs over ids (maintenance windows' `targets`, the simulator's scenario targets): `*` any run
 * of characters (also none), `?` exactly one; everything else literal.
 */

/** One anchored pattern matching any of `globs`. */
export function globsPattern(globs: readonly string[]): RegExp {
  return new RegExp(`^(?:${globs.map(globSource).join("|")})$`, "s");
}

/** `autogate-*` → a matcher over ids. */
export function globMatcher(glob: string): (id: string) => boolean {
  const pattern = globsPattern([glob]);
  return (id) => pattern.test(id);
}

function globSource(glob: string): string {
  return [...glob]
    .map((char) => (char === "*" ? ".*" : char === "?" ? "." : escapeLiteral(char)))
    .join("");
}

function escapeLiteral(char: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(char) ? `\\${char}` : char;
}
