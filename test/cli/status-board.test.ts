import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import {
  type BoardInput,
  type BoardTransition,
  clockText,
  latestTransitions,
  renderBoard,
  transitionLine,
  wrap,
} from "../../src/cli/status-board.js";

const T0 = Date.UTC(2024, 5, 19, 16);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const transition = (
  at: number,
  targetId: string,
  from: BoardTransition["from"],
  to: BoardTransition["to"],
  extra: Partial<BoardTransition> = {},
): BoardTransition => ({ at, targetId, from, to, reason: null, lastedSeconds: null, ...extra });

const input: BoardInput = {
  title: "pantau demo — PDNS 2, June 2024",
  origin: T0,
  now: T0 + 2 * DAY + 12 * HOUR,
  colour: false,
  width: 60,
  notes: [
    { at: T0 + HOUR, text: "PDNS 2 is hit by ransomware." },
    { at: T0 + 3 * HOUR, text: "Airports switch to manual passport checks at the counters." },
    {
      at: T0 + 2 * DAY + HOUR,
      text: "SIMKIM core restored from backup on other infrastructure; the API accepts connections.",
    },
  ],
  rows: [
    {
      id: "autogate-dps",
      service: "autogate",
      site: "dps",
      state: "degraded",
      since: T0 + 10 * HOUR,
      blockedBy: null,
      maintenance: false,
    },
    {
      id: "autogate-cgk",
      service: "autogate",
      site: "cgk",
      state: "up",
      since: T0 + 2 * DAY,
      blockedBy: null,
      maintenance: true,
    },
    {
      id: "simkim-core",
      service: "immigration-core",
      site: "pdns2",
      state: "up",
      since: T0 + 2 * DAY,
      blockedBy: null,
      maintenance: false,
    },
    {
      id: "portal-imigrasi",
      service: "immigration-portal",
      site: "jakarta",
      state: "down",
      since: T0 + HOUR,
      blockedBy: "simkim-core",
      maintenance: false,
    },
    {
      id: "evisa",
      service: "evisa",
      site: "jakarta",
      state: "unknown",
      since: null,
      blockedBy: null,
      maintenance: false,
    },
  ],
  // in the order they were committed: a →down is committed when detected, after later ones
  transitions: [
    transition(T0 + 2 * DAY + 2 * HOUR, "autogate-cgk", "degraded", "up", {
      lastedSeconds: (2 * DAY - 3 * HOUR) / 1000,
    }),
    transition(T0 + 2 * DAY, "simkim-core", "down", "up", { lastedSeconds: (2 * DAY) / 1000 }),
    transition(T0 + 2 * DAY + 4 * HOUR, "autogate-kno", "up", "down", { reason: "refused" }),
    transition(T0 + 2 * DAY + 3 * HOUR, "evisa", "up", "degraded", { reason: "latency" }),
  ],
};

describe("renderBoard", () => {
  it("shows what is happening, the targets by service and site, and transitions by time", () => {
    expect(renderBoard(input)).toBe(
      [
        "pantau demo — PDNS 2, June 2024  scenario +2d 12:00",
        "",
        "what is happening",
        "  +0d 01:00  PDNS 2 is hit by ransomware.",
        "  +0d 03:00  Airports switch to manual passport checks at",
        "             the counters.",
        "  +2d 01:00  SIMKIM core restored from backup on other",
        "             infrastructure; the API accepts connections.",
        "",
        "autogate",
        "  cgk      autogate-cgk           up [maint]                   12h",
        "  dps      autogate-dps           DEGRADED                     2d 2h",
        "evisa",
        "  jakarta  evisa                  unknown",
        "immigration-core",
        "  pdns2    simkim-core            up                           12h",
        "immigration-portal",
        "  jakarta  portal-imigrasi        DOWN ← simkim-core           2d 11h",
        "",
        "latest transitions",
        "  +2d 00:00  simkim-core            down → up (down 2d)",
        "  +2d 02:00  autogate-cgk           degraded → up (degraded 1d 21h)",
        "  +2d 03:00  evisa                  up → degraded latency",
        "  +2d 04:00  autogate-kno           up → down refused",
        "",
      ].join("\n"),
    );
  });

  it("keeps the latest notes and transitions when there are more than it shows", () => {
    const text = renderBoard({ ...input, maxNotes: 1, maxTransitions: 2 });
    expect(text).not.toContain("ransomware");
    expect(text).toContain("  +2d 01:00  SIMKIM core restored");
    expect(text).not.toContain("simkim-core            down → up");
    expect(text).toContain("evisa                  up → degraded latency");
  });

  it("colours states on a TTY but never relies on colour alone; older notes dimmed", () => {
    const text = renderBoard({ ...input, colour: true });
    expect(text).toContain("\x1b[35mDOWN ← simkim-core");
    expect(text).toContain("\x1b[33mDEGRADED");
    expect(text).toContain("\x1b[2m  +0d 01:00  PDNS 2 is hit by ransomware.\x1b[0m");
    expect(stripVTControlCharacters(text)).toBe(renderBoard(input));
  });

  it("says when nothing has happened yet", () => {
    const text = renderBoard({ ...input, transitions: [], notes: [] });
    expect(text).toContain("latest transitions\n  (none yet)\n");
    expect(text).toContain("what is happening\n  (the scenario has not started)\n");
  });

  it.each([
    [0, "+0d 00:00"],
    [59_999, "+0d 00:00"],
    [3_600_000, "+0d 01:00"],
    [2 * DAY + 4 * HOUR + 13 * MINUTE, "+2d 04:13"],
    [-5, "+0d 00:00"],
  ])("clockText(%d) = %s", (ms, text) => {
    expect(clockText(ms)).toBe(text);
  });
});

describe("transitionLine", () => {
  it.each([
    [
      transition(T0 + 2 * DAY, "simkim-core", "down", "up", { lastedSeconds: 172_800 }),
      "(down 2d)",
    ],
    [
      transition(T0 + 3 * DAY, "autogate-dps", "degraded", "up", { lastedSeconds: 252_000 }),
      "(degraded 2d 22h)",
    ],
    [
      transition(T0 + 10 * HOUR, "autogate-kno", "down", "degraded", { lastedSeconds: 21_600 }),
      "(down 6h)",
    ],
  ])("tells how long the state it leaves lasted: %o → %s", (t, lasted) => {
    expect(transitionLine(t, T0).endsWith(` ${t.from} → ${t.to} ${lasted}`)).toBe(true);
  });

  it("gives the reason of a change for the worse, and nothing more", () => {
    const line = transitionLine(
      transition(T0 + HOUR, "simkim-core", "up", "down", { reason: "refused" }),
      T0,
    );
    expect(line).toBe("+0d 01:00  simkim-core            up → down refused");
  });
});

describe("latestTransitions", () => {
  it("orders by time, then target, whatever the commit order", () => {
    const ordered = latestTransitions(
      [
        transition(30, "b", "up", "down"),
        transition(10, "c", "unknown", "up"),
        transition(30, "a", "up", "down"),
        transition(20, "d", "unknown", "up"),
      ],
      3,
    );
    expect(ordered.map((t) => `${t.at} ${t.targetId}`)).toEqual(["20 d", "30 a", "30 b"]);
  });
});

describe("wrap", () => {
  it.each([
    ["a few words", 20, ["a few words"]],
    ["a few words", 7, ["a few", "words"]],
    ["  spaced   out  ", 20, ["spaced out"]],
    ["unbreakable-word here", 5, ["unbreakable-word", "here"]],
    ["", 10, []],
  ])("wrap(%j, %d)", (text, width, lines) => {
    expect(wrap(text, width)).toEqual(lines);
  });
});
