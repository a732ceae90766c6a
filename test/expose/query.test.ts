import { describe, expect, it } from "vitest";
import {
  formatTime,
  MAX_LIMIT,
  paramsFromSearch,
  parseBool,
  parseFilters,
  parseLimit,
  parseTime,
  parseTimeRange,
  type QueryError,
  type QueryParams,
  unknownParam,
} from "../../src/expose/query.js";

/** 2024-06-20T12:00:00.000Z: "now" in every case. */
const NOW = 1_718_884_800_000;
/** 2024-06-20T01:00:00.000Z. */
const ONE_AM = 1_718_845_200_000;
const H = 3_600_000;

const invalid = (param: string, message: string): QueryError => ({
  code: "QUERY_INVALID",
  param,
  message,
});

describe("parseTime accepts", () => {
  it.each([
    ["2024-06-20T01:00:00Z", ONE_AM],
    ["2024-06-20T01:02:03.456Z", 1_718_845_323_456],
    ["2024-06-20T01:02:03.4Z", 1_718_845_323_400],
    ["2024-06-20T01:02:03.45Z", 1_718_845_323_450],
    ["2024-06-20T01:02:03.456789Z", 1_718_845_323_456], // truncated, not rounded
    ["2024-06-20T01:02:03.999999999Z", 1_718_845_323_999],
    ["2024-06-20T08:00:00+07:00", ONE_AM],
    ["2024-06-20T08:00:00.000+07:00", ONE_AM],
    ["2024-06-19T20:00:00-05:00", ONE_AM],
    ["2024-06-20T06:30:00+05:30", ONE_AM],
    ["2024-06-20T01:00:00+00:00", ONE_AM],
    ["2024-06-20T01:00:00-00:00", ONE_AM],
    ["2024-06-20t01:00:00z", ONE_AM],
    ["2024-06-20 01:00:00Z", ONE_AM],
    ["2024-02-29T00:00:00Z", 1_709_164_800_000],
    ["1970-01-01T00:00:00Z", 0],
    ["now", NOW],
    ["-24h", NOW - 24 * H],
    ["-30m", NOW - 30 * 60_000],
    ["-7d", NOW - 7 * 24 * H],
    ["-1h30m", NOW - 1.5 * H],
    ["-1w", NOW - 7 * 24 * H],
    ["-90s", NOW - 90_000],
    ["-500ms", NOW - 500],
    ["-1d12h", NOW - 36 * H],
    ["-0s", NOW],
  ])("%s", (value, expected) => {
    expect(parseTime(value, NOW, "since")).toBe(expected);
  });
});

describe("parseTime rejects", () => {
  const notATime = (value: string) =>
    `since: ${JSON.stringify(value)} is not an RFC 3339 time or a relative duration like -24h`;
  it.each([
    ["yesterday", notATime("yesterday")],
    ["", notATime("")],
    ["24h", notATime("24h")],
    ["-", notATime("-")],
    ["-1.5h", notATime("-1.5h")],
    ["--1h", notATime("--1h")],
    ["-1H", notATime("-1H")],
    ["-30m1h", notATime("-30m1h")],
    ["+1h", notATime("+1h")],
    ["NOW", notATime("NOW")],
    [" now", notATime(" now")],
    ["1718845200", notATime("1718845200")],
    ["2024-06-20", notATime("2024-06-20")],
    ["2024-06-20T1:00:00Z", notATime("2024-06-20T1:00:00Z")],
    ["2024-06-20T01:00:00.Z", notATime("2024-06-20T01:00:00.Z")],
    ["2024-06-20T01:00:00+0700", notATime("2024-06-20T01:00:00+0700")],
    ["2024-06-20T01:00:00 Z", notATime("2024-06-20T01:00:00 Z")],
    [
      "2024-06-20T01:00:00",
      'since: "2024-06-20T01:00:00" has no UTC offset: add Z or one like +07:00',
    ],
    ["2024-06-20T01:00", 'since: "2024-06-20T01:00" has no UTC offset: add Z or one like +07:00'],
    [
      "2024-06-20 01:00:00.5",
      'since: "2024-06-20 01:00:00.5" has no UTC offset: add Z or one like +07:00',
    ],
    ["2024-02-30T00:00:00Z", 'since: "2024-02-30T00:00:00Z" is not a real date and time'],
    ["2023-02-29T00:00:00Z", 'since: "2023-02-29T00:00:00Z" is not a real date and time'],
    ["2024-04-31T00:00:00Z", 'since: "2024-04-31T00:00:00Z" is not a real date and time'],
    ["2024-13-01T00:00:00Z", 'since: "2024-13-01T00:00:00Z" is not a real date and time'],
    ["2024-00-10T00:00:00Z", 'since: "2024-00-10T00:00:00Z" is not a real date and time'],
    ["2024-06-00T00:00:00Z", 'since: "2024-06-00T00:00:00Z" is not a real date and time'],
    ["2024-06-20T24:00:00Z", 'since: "2024-06-20T24:00:00Z" is not a real date and time'],
    ["2024-06-20T01:60:00Z", 'since: "2024-06-20T01:60:00Z" is not a real date and time'],
    ["2024-06-20T01:00:60Z", 'since: "2024-06-20T01:00:60Z" is not a real date and time'],
    ["2024-06-20T01:00:00+24:00", 'since: "2024-06-20T01:00:00+24:00" is not a real date and time'],
    ["2024-06-20T01:00:00+07:60", 'since: "2024-06-20T01:00:00+07:60" is not a real date and time'],
    ["1969-12-31T23:59:59Z", 'since: "1969-12-31T23:59:59Z" is before 1970-01-01T00:00:00Z'],
    ["0001-01-01T00:00:00Z", 'since: "0001-01-01T00:00:00Z" is before 1970-01-01T00:00:00Z'],
    [
      "1970-01-01T00:00:00+01:00",
      'since: "1970-01-01T00:00:00+01:00" is before 1970-01-01T00:00:00Z',
    ],
    ["-100y", 'since: "-100y" is before 1970-01-01T00:00:00Z'],
    ["-99999999999999999999d", 'since: "-99999999999999999999d" is before 1970-01-01T00:00:00Z'],
  ])("%j", (value, message) => {
    expect(parseTime(value, NOW, "since")).toEqual(invalid("since", message));
  });

  it("names the parameter it is given, `time` by default", () => {
    expect(parseTime("x", NOW, "until")).toMatchObject({ param: "until" });
    expect(parseTime("x", NOW)).toEqual(
      invalid("time", 'time: "x" is not an RFC 3339 time or a relative duration like -24h'),
    );
  });
});

describe("formatTime", () => {
  it.each([
    [ONE_AM, "2024-06-20T01:00:00.000Z"],
    [1_718_845_323_456, "2024-06-20T01:02:03.456Z"],
    [0, "1970-01-01T00:00:00.000Z"],
  ])("%d → %s", (ms, text) => {
    expect(formatTime(ms)).toBe(text);
  });

  it("round-trips through parseTime", () => {
    for (const ms of [0, ONE_AM, 1_718_845_323_456, NOW + 1]) {
      expect(parseTime(formatTime(ms), NOW)).toBe(ms);
    }
  });
});

describe("parseLimit", () => {
  it.each([
    ["1", 1],
    ["100", 100],
    ["010", 10],
    [String(MAX_LIMIT), 10_000],
  ])("accepts %s", (value, expected) => {
    expect(parseLimit(value)).toBe(expected);
  });

  it.each(["0", "10001", "999999", "1234567", "-1", "+5", "1.5", "1e3", "", " 5", "abc", "0x10"])(
    "rejects %j",
    (value) => {
      const message = `limit: ${JSON.stringify(value)} is not a whole number from 1 to 10000`;
      expect(parseLimit(value)).toEqual(invalid("limit", message));
    },
  );
});

describe("parseBool", () => {
  it.each([
    ["true", true],
    ["false", false],
  ])("accepts %s", (value, expected) => {
    expect(parseBool(value, "open")).toBe(expected);
  });

  it.each(["TRUE", "False", "1", "0", "yes", ""])("rejects %j", (value) => {
    const message = `open: ${JSON.stringify(value)} is not true or false`;
    expect(parseBool(value, "open")).toEqual(invalid("open", message));
  });
});

describe("parseTimeRange", () => {
  it.each<[string, QueryParams, { since: number; until: number }]>([
    ["defaults: the 24 hours up to now", {}, { since: NOW - 24 * H, until: NOW }],
    ["since alone: until now", { since: "-1h" }, { since: NOW - H, until: NOW }],
    [
      "until alone: the 24 hours before it",
      { until: "-1h" },
      { since: NOW - 25 * H, until: NOW - H },
    ],
    [
      "both, with ms and an offset",
      { since: "2024-06-20T00:59:59.999Z", until: "2024-06-20T08:00:00+07:00" },
      { since: ONE_AM - 1, until: ONE_AM },
    ],
    [
      "a future until is kept",
      { since: "-1h", until: "2024-06-21T00:00:00Z" },
      { since: NOW - H, until: NOW + 12 * H },
    ],
    [
      "explicit undefined is not given",
      { since: undefined, until: undefined },
      { since: NOW - 24 * H, until: NOW },
    ],
  ])("%s", (_, params, expected) => {
    expect(parseTimeRange(params, NOW)).toEqual(expected);
  });

  it.each<[string, QueryParams, QueryError]>([
    [
      "since equal to until",
      { since: "now", until: "now" },
      invalid(
        "since",
        "since: 2024-06-20T12:00:00.000Z is not before until (2024-06-20T12:00:00.000Z)",
      ),
    ],
    [
      "since after until",
      { since: "-1h", until: "-2h" },
      invalid(
        "since",
        "since: 2024-06-20T11:00:00.000Z is not before until (2024-06-20T10:00:00.000Z)",
      ),
    ],
    [
      "since after now without until",
      { since: "2024-06-21T00:00:00Z" },
      invalid(
        "since",
        "since: 2024-06-21T00:00:00.000Z is not before until (2024-06-20T12:00:00.000Z)",
      ),
    ],
    [
      "bad since",
      { since: "yesterday" },
      invalid(
        "since",
        'since: "yesterday" is not an RFC 3339 time or a relative duration like -24h',
      ),
    ],
    [
      "bad until",
      { until: "tomorrow" },
      invalid(
        "until",
        'until: "tomorrow" is not an RFC 3339 time or a relative duration like -24h',
      ),
    ],
    [
      "both bad: since is named first",
      { since: "a", until: "b" },
      invalid("since", 'since: "a" is not an RFC 3339 time or a relative duration like -24h'),
    ],
    [
      "an empty value is not a missing one",
      { until: "" },
      invalid("until", 'until: "" is not an RFC 3339 time or a relative duration like -24h'),
    ],
  ])("rejects %s", (_, params, expected) => {
    expect(parseTimeRange(params, NOW)).toEqual(expected);
  });
});

describe("parseFilters", () => {
  const long = "x".repeat(129);
  it.each<[QueryParams, ReturnType<typeof parseFilters>]>([
    [{}, {}],
    [{ target: "simkim-core" }, { targetId: "simkim-core" }],
    [{ target: "0a._-z" }, { targetId: "0a._-z" }],
    [
      { service: "immigration core", site: "CGK" },
      { service: "immigration core", site: "CGK" },
    ],
    [{ service: "x".repeat(128) }, { service: "x".repeat(128) }],
    [
      { target: "autogate-cgk", service: "autogate", site: "cgk", since: "-1h" },
      { targetId: "autogate-cgk", service: "autogate", site: "cgk" },
    ],
    [{ quorum: "estate" }, { instance: "quorum/estate" }],
    [{ quorum: "Estate-2.dr_a" }, { instance: "quorum/Estate-2.dr_a" }],
  ])("accepts %j", (params, expected) => {
    expect(parseFilters(params)).toEqual(expected);
  });

  it.each<[QueryParams, QueryError]>([
    [
      { target: "Simkim" },
      invalid("target", 'target: "Simkim" is not a target id ([a-z0-9][a-z0-9._-]*)'),
    ],
    [{ target: "-x" }, invalid("target", 'target: "-x" is not a target id ([a-z0-9][a-z0-9._-]*)')],
    [{ target: "" }, invalid("target", 'target: "" is not a target id ([a-z0-9][a-z0-9._-]*)')],
    [
      { target: "a b" },
      invalid("target", 'target: "a b" is not a target id ([a-z0-9][a-z0-9._-]*)'),
    ],
    [
      { target: "autogate-*" },
      invalid("target", 'target: "autogate-*" is not a target id ([a-z0-9][a-z0-9._-]*)'),
    ],
    [{ service: "" }, invalid("service", "service: must be 1 to 128 characters long")],
    [{ site: long }, invalid("site", "site: must be 1 to 128 characters long")],
    [
      { quorum: "quorum/estate" },
      invalid(
        "quorum",
        `quorum: "quorum/estate" is not a quorum group (letters, digits, '.', '_', '-')`,
      ),
    ],
    [
      { quorum: "" },
      invalid("quorum", `quorum: "" is not a quorum group (letters, digits, '.', '_', '-')`),
    ],
  ])("rejects %j", (params, expected) => {
    expect(parseFilters(params)).toEqual(expected);
  });
});

describe("paramsFromSearch and unknownParam", () => {
  it("reads each parameter once", () => {
    expect(paramsFromSearch(new URLSearchParams("since=-1h&target=a&open=true"))).toEqual({
      since: "-1h",
      target: "a",
      open: "true",
    });
  });

  it("refuses a parameter given twice", () => {
    expect(paramsFromSearch(new URLSearchParams("since=-1h&since=-2h"))).toEqual(
      invalid("since", "since: is given more than once"),
    );
  });

  it("names the first unknown parameter", () => {
    const known = ["since", "until"];
    expect(unknownParam({ since: "-1h" }, known)).toBeNull();
    expect(unknownParam({ since: "-1h", from: "x", to: "y" }, known)).toEqual(
      invalid("from", "from: unknown parameter (expected one of since, until)"),
    );
  });
});
