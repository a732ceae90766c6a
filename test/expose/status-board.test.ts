import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import { type BoardInput, clockText, renderBoard } from "../../src/expose/status-board.js";

const T0 = Date.UTC(2024, 5, 20);

const input: BoardInput = {
  title: "pantau demo — PDNS 2, June 2024",
  origin: T0,
  now: T0 + 60_000,
  // 1 real second is one scenario hour
  timeScale: 3600,
  colour: false,
  rows: [
    {
      id: "autogate-dps",
      service: "autogate",
      site: "dps",
      state: "degraded",
      since: T0 + 10_000,
      blockedBy: null,
      maintenance: false,
    },
    {
      id: "autogate-cgk",
      service: "autogate",
      site: "cgk",
      state: "up",
      since: T0 + 48_000,
      blockedBy: null,
      maintenance: true,
    },
    {
      id: "simkim-core",
      service: "immigration-core",
      site: "pdns2",
      state: "up",
      since: T0 + 48_000,
      blockedBy: null,
      maintenance: false,
    },
    {
      id: "portal-imigrasi",
      service: "immigration-portal",
      site: "jakarta",
      state: "down",
      since: T0 + 1_000,
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
  transitions: [
    {
      at: T0 + 48_000,
      targetId: "simkim-core",
      from: "down",
      to: "up",
      reason: null,
      outageSeconds: 48,
    },
    {
      at: T0 + 50_000,
      targetId: "autogate-kno",
      from: "up",
      to: "down",
      reason: "refused",
      outageSeconds: null,
    },
  ],
};

describe("renderBoard", () => {
  it("groups targets by service and site, in words, with scenario durations", () => {
    expect(renderBoard(input)).toBe(
      [
        "pantau demo — PDNS 2, June 2024  scenario +2d 12:00",
        "",
        "autogate",
        "  cgk      autogate-cgk           up [maint]                   12h",
        "  dps      autogate-dps           DEGRADED                     2d 2h",
        "evisa",
        "  jakarta  evisa                  unknown                      ",
        "immigration-core",
        "  pdns2    simkim-core            up                           12h",
        "immigration-portal",
        "  jakarta  portal-imigrasi        DOWN ← simkim-core           2d 11h",
        "",
        "latest transitions",
        "  +2d 00:00  simkim-core            down → up (down 2d)",
        "  +2d 02:00  autogate-kno           up → down refused",
        "",
      ].join("\n"),
    );
  });

  it("colours states on a TTY but never relies on colour alone", () => {
    const text = renderBoard({ ...input, colour: true });
    expect(text).toContain("\x1b[35mDOWN ← simkim-core");
    expect(text).toContain("\x1b[33mDEGRADED");
    expect(stripVTControlCharacters(text)).toBe(renderBoard(input));
  });

  it("says when nothing has happened yet", () => {
    expect(renderBoard({ ...input, transitions: [] })).toContain(
      "latest transitions\n  (none yet)\n",
    );
  });

  it.each([
    [0, "+0d 00:00"],
    [59_999, "+0d 00:00"],
    [3_600_000, "+0d 01:00"],
    [2 * 86_400_000 + 4 * 3_600_000 + 13 * 60_000, "+2d 04:13"],
    [-5, "+0d 00:00"],
  ])("clockText(%d) = %s", (ms, text) => {
    expect(clockText(ms)).toBe(text);
  });
});
