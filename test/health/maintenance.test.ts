import { describe, expect, it } from "vitest";
import type { MaintenanceWindow } from "../../src/config/types.js";
import {
  activeMaintenance,
  DEFAULT_UPCOMING_COUNT,
  type MaintenanceInterval,
  type MaintenanceSubject,
  maintenanceIntervals,
  nextMaintenance,
  windowApplies,
} from "../../src/health/maintenance.js";
import { mergeIntervals } from "../../src/ledger/outages.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Epoch ms of an ISO time; every expectation below is written in UTC. */
const utc = (iso: string): number => {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`bad time ${iso}`);
  return ms;
};

function window(fields: Partial<MaintenanceWindow> & Pick<MaintenanceWindow, "name">) {
  return {
    targets: [],
    services: [],
    sites: [],
    cron: "0 2 * * SUN",
    timezone: null,
    duration: HOUR,
    ...fields,
  } satisfies MaintenanceWindow;
}

function occurrence(name: string, start: string, end: string): MaintenanceInterval {
  return { window: name, start: utc(start), end: utc(end) };
}

/** The configuration reference's example: Sunday 02:00 in Jakarta (+07:00) is Saturday 19:00Z. */
const AUTOGATE_PATCHING = window({
  name: "autogate-patching",
  targets: ["autogate-*"],
  cron: "0 2 * * SUN",
  timezone: "Asia/Jakarta",
  duration: 2 * HOUR,
});
const NIGHTLY_BACKUP = window({
  name: "nightly-backup",
  services: ["autogate"],
  cron: "0 23 * * *",
  duration: 30 * MINUTE,
});
const CGK_POWER = window({
  name: "cgk1-power",
  sites: ["cgk1"],
  cron: "0 4 * * MON",
  duration: HOUR,
});
const ESTATE = [AUTOGATE_PATCHING, NIGHTLY_BACKUP, CGK_POWER];

const AUTOGATE: MaintenanceSubject = { id: "autogate-cgk-1", service: "autogate", site: "pdns2" };

describe("windowApplies: globs over ids", () => {
  const cases: { globs: string[]; id: string; applies: boolean }[] = [
    { globs: ["autogate-*"], id: "autogate-cgk-1", applies: true },
    { globs: ["autogate-*"], id: "autogate-", applies: true },
    { globs: ["autogate-*"], id: "autogates", applies: false },
    { globs: ["autogate-*"], id: "x-autogate-1", applies: false },
    { globs: ["*-cgk-*"], id: "autogate-cgk-1", applies: true },
    { globs: ["autogate-cgk-?"], id: "autogate-cgk-1", applies: true },
    { globs: ["autogate-cgk-?"], id: "autogate-cgk-12", applies: false },
    { globs: ["autogate-cgk-?"], id: "autogate-cgk-", applies: false },
    { globs: ["simkim-core"], id: "simkim-core", applies: true },
    { globs: ["simkim-core"], id: "simkim-core-2", applies: false },
    { globs: ["simkim.core"], id: "simkimxcore", applies: false },
    { globs: ["simkim.core"], id: "simkim.core", applies: true },
    { globs: ["www", "autogate-*"], id: "www", applies: true },
    { globs: ["*"], id: "anything.at-all", applies: true },
    { globs: [], id: "simkim-core", applies: false },
  ];
  it.each(cases)("$globs on $id → $applies", ({ globs, id, applies }) => {
    const subject = { id, service: "svc", site: "site" };
    expect(windowApplies(window({ name: "w", targets: globs }), subject)).toBe(applies);
  });
});

describe("windowApplies: services and sites", () => {
  const cases: {
    name: string;
    selectors: Pick<MaintenanceWindow, "targets" | "services" | "sites">;
    applies: boolean;
  }[] = [
    {
      name: "service listed",
      selectors: { targets: [], services: ["autogate"], sites: [] },
      applies: true,
    },
    {
      name: "service not listed",
      selectors: { targets: [], services: ["immigration-core"], sites: [] },
      applies: false,
    },
    {
      name: "site listed",
      selectors: { targets: [], services: [], sites: ["pdns2"] },
      applies: true,
    },
    {
      name: "site not listed",
      selectors: { targets: [], services: [], sites: ["cgk1"] },
      applies: false,
    },
    {
      name: "any one selector is enough (site matches, id does not)",
      selectors: { targets: ["www-*"], services: ["evisa"], sites: ["pdns2"] },
      applies: true,
    },
    {
      name: "no selector matches",
      selectors: { targets: ["www-*"], services: ["evisa"], sites: ["cgk1"] },
      applies: false,
    },
    {
      name: "no selectors at all select nothing",
      selectors: { targets: [], services: [], sites: [] },
      applies: false,
    },
  ];
  it.each(cases)("$name", ({ selectors, applies }) => {
    expect(windowApplies(window({ name: "w", ...selectors }), AUTOGATE)).toBe(applies);
  });
});

describe("activeMaintenance", () => {
  const patching = occurrence(
    "autogate-patching",
    "2024-06-22T19:00:00.000Z",
    "2024-06-22T21:00:00.000Z",
  );
  const cases: {
    name: string;
    windows: MaintenanceWindow[];
    at: string;
    expected: MaintenanceInterval | null;
  }[] = [
    {
      name: "just before the start",
      windows: [AUTOGATE_PATCHING],
      at: "2024-06-22T18:59:59.999Z",
      expected: null,
    },
    {
      name: "at the start: inclusive (Sunday 02:00 Jakarta = Saturday 19:00Z)",
      windows: [AUTOGATE_PATCHING],
      at: "2024-06-22T19:00:00.000Z",
      expected: patching,
    },
    {
      name: "one ms in",
      windows: [AUTOGATE_PATCHING],
      at: "2024-06-22T19:00:00.001Z",
      expected: patching,
    },
    {
      name: "last ms",
      windows: [AUTOGATE_PATCHING],
      at: "2024-06-22T20:59:59.999Z",
      expected: patching,
    },
    {
      name: "at the end: exclusive",
      windows: [AUTOGATE_PATCHING],
      at: "2024-06-22T21:00:00.000Z",
      expected: null,
    },
    {
      name: "Sunday 02:00 UTC is not Sunday 02:00 in Jakarta",
      windows: [AUTOGATE_PATCHING],
      at: "2024-06-23T02:00:00.000Z",
      expected: null,
    },
    {
      name: "timezone null is UTC",
      windows: [window({ name: "utc", sites: ["pdns2"], duration: 30 * MINUTE })],
      at: "2024-06-23T02:29:59.999Z",
      expected: occurrence("utc", "2024-06-23T02:00:00.000Z", "2024-06-23T02:30:00.000Z"),
    },
    {
      name: "a window that does not apply",
      windows: [CGK_POWER],
      at: "2024-06-24T04:30:00.000Z",
      expected: null,
    },
    {
      name: "overlapping windows: the earliest start",
      windows: [
        AUTOGATE_PATCHING,
        window({
          name: "pdns2-power",
          sites: ["pdns2"],
          cron: "30 18 * * SAT",
          duration: 3 * HOUR,
        }),
      ],
      at: "2024-06-22T19:30:00.000Z",
      expected: occurrence("pdns2-power", "2024-06-22T18:30:00.000Z", "2024-06-22T21:30:00.000Z"),
    },
    {
      name: "overlapping windows, the earlier one over: the one still running",
      windows: [
        window({ name: "pdns2-power", sites: ["pdns2"], cron: "30 18 * * SAT", duration: HOUR }),
        AUTOGATE_PATCHING,
      ],
      at: "2024-06-22T19:30:00.000Z",
      expected: patching,
    },
    {
      name: "overlapping windows starting together: the smaller name",
      windows: [
        window({ name: "b-window", sites: ["pdns2"], cron: "0 19 * * SAT" }),
        window({ name: "a-window", services: ["autogate"], cron: "0 19 * * SAT" }),
      ],
      at: "2024-06-22T19:10:00.000Z",
      expected: occurrence("a-window", "2024-06-22T19:00:00.000Z", "2024-06-22T20:00:00.000Z"),
    },
    {
      name: "a window overlapping itself: its earliest occurrence still running",
      windows: [
        window({ name: "hourly", sites: ["pdns2"], cron: "0 * * * *", duration: 90 * MINUTE }),
      ],
      at: "2024-06-22T10:15:00.000Z",
      expected: occurrence("hourly", "2024-06-22T09:00:00.000Z", "2024-06-22T10:30:00.000Z"),
    },
    {
      name: "a window overlapping itself, the earlier occurrence just ended",
      windows: [
        window({ name: "hourly", sites: ["pdns2"], cron: "0 * * * *", duration: 90 * MINUTE }),
      ],
      at: "2024-06-22T10:30:00.000Z",
      expected: occurrence("hourly", "2024-06-22T10:00:00.000Z", "2024-06-22T11:30:00.000Z"),
    },
  ];
  it.each(cases)("$name", ({ windows, at, expected }) => {
    expect(activeMaintenance(windows, AUTOGATE, utc(at))).toStrictEqual(expected);
  });

  it("answers the same whatever order it is asked in (the memo never leaks)", () => {
    const shared = window({
      name: "hourly",
      sites: ["pdns2"],
      cron: "0 * * * *",
      duration: 20 * MINUTE,
    });
    const times = [
      "2024-06-22T10:05:00.000Z",
      "2024-06-22T10:19:59.999Z",
      "2024-06-22T10:20:00.000Z",
      "2024-06-22T09:59:59.999Z",
      "2024-06-22T10:00:00.000Z",
      "2024-06-22T12:10:00.000Z",
      "2024-06-22T08:10:00.000Z",
      "2024-06-22T08:40:00.000Z",
      "2024-06-22T08:10:00.500Z",
    ].map(utc);
    const asked = times.map((at) => activeMaintenance([shared], AUTOGATE, at));
    // a copy is a new object, so a new cache entry: a cold lookup every time
    const fresh = times.map((at) => activeMaintenance([{ ...shared }], AUTOGATE, at));
    expect(asked).toStrictEqual(fresh);
    expect(
      asked.map((found) => (found === null ? null : new Date(found.start).toISOString())),
    ).toStrictEqual([
      "2024-06-22T10:00:00.000Z",
      "2024-06-22T10:00:00.000Z",
      null,
      null,
      "2024-06-22T10:00:00.000Z",
      "2024-06-22T12:00:00.000Z",
      "2024-06-22T08:00:00.000Z",
      null,
      "2024-06-22T08:00:00.000Z",
    ]);
  });
});

describe("daylight saving time (Europe/Berlin, 31 March and 27 October 2024)", () => {
  const berlin = (name: string, cron: string, duration: number) =>
    window({ name, sites: ["pdns2"], cron, timezone: "Europe/Berlin", duration });
  const cases: { name: string; window: MaintenanceWindow; from: string; expected: string[] }[] = [
    {
      name: "03:00 local is 02:00Z in CET, 01:00Z in CEST",
      window: berlin("three", "0 3 * * *", HOUR),
      from: "2024-03-29T12:00:00.000Z",
      expected: [
        "2024-03-30T02:00:00.000Z",
        "2024-03-31T01:00:00.000Z",
        "2024-04-01T01:00:00.000Z",
      ],
    },
    {
      // croner (11, as Vixie cron) fires the missing 02:30 at the first time after the gap,
      // 03:00 CEST; pinned so an upgrade cannot change it unseen
      name: "02:30 does not exist on 31 March: fired when the gap ends",
      window: berlin("half-two", "30 2 * * *", HOUR),
      from: "2024-03-29T12:00:00.000Z",
      expected: [
        "2024-03-30T01:30:00.000Z",
        "2024-03-31T01:00:00.000Z",
        "2024-04-01T00:30:00.000Z",
      ],
    },
    {
      // croner (11, as Vixie cron) fires the doubled 02:30 once, at its first (CEST) instance
      name: "02:30 happens twice on 27 October: fired once",
      window: berlin("half-two", "30 2 * * *", HOUR),
      from: "2024-10-25T12:00:00.000Z",
      expected: [
        "2024-10-26T00:30:00.000Z",
        "2024-10-27T00:30:00.000Z",
        "2024-10-28T01:30:00.000Z",
      ],
    },
  ];
  it.each(cases)("$name", ({ window, from, expected }) => {
    const starts = nextMaintenance([window], AUTOGATE, utc(from), 3).map((found) => found.start);
    expect(starts).toStrictEqual(expected.map(utc));
  });

  it("a window across the switch lasts its duration in elapsed time", () => {
    const sunday = berlin("sunday", "0 1 * * SUN", 3 * HOUR);
    // 01:00 CET = 00:00Z; three hours later is 05:00 CEST on the wall clock
    const expected = occurrence("sunday", "2024-03-31T00:00:00.000Z", "2024-03-31T03:00:00.000Z");
    expect(activeMaintenance([sunday], AUTOGATE, utc("2024-03-31T02:59:59.999Z"))).toStrictEqual(
      expected,
    );
    expect(activeMaintenance([sunday], AUTOGATE, utc("2024-03-31T03:00:00.000Z"))).toBeNull();
  });
});

describe("maintenanceIntervals", () => {
  const backup = (day: number): MaintenanceInterval => {
    const start = utc(`2024-06-${String(day).padStart(2, "0")}T23:00:00.000Z`);
    return { window: "nightly-backup", start, end: start + 30 * MINUTE };
  };
  const patching = occurrence(
    "autogate-patching",
    "2024-06-22T19:00:00.000Z",
    "2024-06-22T21:00:00.000Z",
  );
  const cases: { name: string; from: string; to: string; expected: MaintenanceInterval[] }[] = [
    {
      name: "a week, Monday to Monday",
      from: "2024-06-17T00:00:00.000Z",
      to: "2024-06-24T00:00:00.000Z",
      expected: [
        backup(17),
        backup(18),
        backup(19),
        backup(20),
        backup(21),
        patching,
        backup(22),
        backup(23),
      ],
    },
    {
      name: "an occurrence under way at `from` is whole; one starting at `to` is out",
      from: "2024-06-17T23:15:00.000Z",
      to: "2024-06-22T19:00:00.000Z",
      expected: [backup(17), backup(18), backup(19), backup(20), backup(21)],
    },
    {
      name: "between an end and a start: none",
      from: "2024-06-22T21:00:00.000Z",
      to: "2024-06-22T23:00:00.000Z",
      expected: [],
    },
    {
      name: "an empty range: none",
      from: "2024-06-22T20:00:00.000Z",
      to: "2024-06-22T20:00:00.000Z",
      expected: [],
    },
  ];
  it.each(cases)("$name", ({ from, to, expected }) => {
    expect(maintenanceIntervals(ESTATE, AUTOGATE, utc(from), utc(to))).toStrictEqual(expected);
  });

  it("overlapping windows merge with the ledger's arithmetic", () => {
    const late = window({
      name: "late",
      sites: ["pdns2"],
      cron: "0 20 * * SAT",
      duration: 2 * HOUR,
    });
    const intervals = maintenanceIntervals(
      [AUTOGATE_PATCHING, late],
      AUTOGATE,
      utc("2024-06-22T00:00:00.000Z"),
      utc("2024-06-23T00:00:00.000Z"),
    );
    expect(mergeIntervals(intervals, 0)).toStrictEqual([
      { start: utc("2024-06-22T19:00:00.000Z"), end: utc("2024-06-22T22:00:00.000Z") },
    ]);
  });
});

describe("nextMaintenance", () => {
  const cases: {
    name: string;
    target: MaintenanceSubject | null;
    at: string;
    count: number;
    expected: MaintenanceInterval[];
  }[] = [
    {
      name: "every window, the one in progress first",
      target: null,
      at: "2024-06-22T20:00:00.000Z",
      count: 5,
      expected: [
        occurrence("autogate-patching", "2024-06-22T19:00:00.000Z", "2024-06-22T21:00:00.000Z"),
        occurrence("nightly-backup", "2024-06-22T23:00:00.000Z", "2024-06-22T23:30:00.000Z"),
        occurrence("nightly-backup", "2024-06-23T23:00:00.000Z", "2024-06-23T23:30:00.000Z"),
        occurrence("cgk1-power", "2024-06-24T04:00:00.000Z", "2024-06-24T05:00:00.000Z"),
        occurrence("nightly-backup", "2024-06-24T23:00:00.000Z", "2024-06-24T23:30:00.000Z"),
      ],
    },
    {
      name: "one target's windows; an occurrence that just ended is not listed",
      target: AUTOGATE,
      at: "2024-06-22T21:00:00.000Z",
      count: 3,
      expected: [
        occurrence("nightly-backup", "2024-06-22T23:00:00.000Z", "2024-06-22T23:30:00.000Z"),
        occurrence("nightly-backup", "2024-06-23T23:00:00.000Z", "2024-06-23T23:30:00.000Z"),
        occurrence("nightly-backup", "2024-06-24T23:00:00.000Z", "2024-06-24T23:30:00.000Z"),
      ],
    },
    {
      name: "a target no window applies to",
      target: { id: "simkim-core", service: "immigration-core", site: "pdns2" },
      at: "2024-06-22T20:00:00.000Z",
      count: 5,
      expected: [],
    },
    {
      name: "count 0",
      target: null,
      at: "2024-06-22T20:00:00.000Z",
      count: 0,
      expected: [],
    },
  ];
  it.each(cases)("$name", ({ target, at, count, expected }) => {
    expect(nextMaintenance(ESTATE, target, utc(at), count)).toStrictEqual(expected);
  });

  it(`lists ${DEFAULT_UPCOMING_COUNT} when not told how many`, () => {
    const upcoming = nextMaintenance([AUTOGATE_PATCHING], null, utc("2024-06-22T21:00:00.000Z"));
    expect(upcoming).toHaveLength(DEFAULT_UPCOMING_COUNT);
    expect(upcoming.at(-1)).toStrictEqual(
      occurrence("autogate-patching", "2024-08-31T19:00:00.000Z", "2024-08-31T21:00:00.000Z"),
    );
  });
});
