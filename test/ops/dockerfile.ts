/** A Dockerfile read as instructions, enough for the tests: continuations joined, comments dropped. */
export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Stage {
  name: string | null;
  from: string;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending: { text: string; line: number } | null = null;
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    // comments (the `# syntax=` directive included) and blank lines, also inside continuations
    if (line === "" || line.startsWith("#")) continue;
    const continued = line.endsWith("\\");
    const part = continued ? line.slice(0, -1).trim() : line;
    pending = pending
      ? { text: `${pending.text} ${part}`, line: pending.line }
      : { text: part, line: i + 1 };
    if (continued) continue;
    const match = /^(\S+)\s*(.*)$/.exec(pending.text);
    if (match) {
      instructions.push({
        keyword: (match[1] as string).toUpperCase(),
        args: match[2] ?? "",
        line: pending.line,
      });
    }
    pending = null;
  }
  return instructions;
}

/** Instructions grouped by `FROM … [AS name]`; what precedes the first FROM (ARG) is left out. */
export function stagesOf(instructions: readonly Instruction[]): Stage[] {
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === "FROM") {
      const match = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      stages.push({ name: match?.[2] ?? null, from: match?.[1] ?? "", instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

/** The NODE_OPTIONS the image runs pantau with (its `ENV NODE_OPTIONS=…`), "" when none. */
export function imageNodeOptions(dockerfile: string): string {
  const env = parseDockerfile(dockerfile).findLast(
    (i) => i.keyword === "ENV" && i.args.startsWith("NODE_OPTIONS="),
  );
  return env?.args.slice("NODE_OPTIONS=".length).replace(/^"(.*)"$/, "$1") ?? "";
}
