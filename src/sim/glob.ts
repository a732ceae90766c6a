/** `autogate-*` → a matcher over ids: `*` is any run of characters, `?` one character. */
export function globMatcher(glob: string): (id: string) => boolean {
  const source = [...glob]
    .map((char) => (char === "*" ? ".*" : char === "?" ? "." : escapeLiteral(char)))
    .join("");
  const pattern = new RegExp(`^${source}$`, "s");
  return (id) => pattern.test(id);
}

export function isGlob(text: string): boolean {
  return text.includes("*") || text.includes("?");
}

function escapeLiteral(char: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(char) ? `\\${char}` : char;
}
