import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { causeText } from "../../src/text/cause.js";
import { csvField, renderCsv, secondsText } from "../../src/text/csv.js";
import { humanDuration } from "../../src/text/duration.js";
import { count } from "../../src/text/numbers.js";
import {
  renderMarkdownTable,
  renderTable,
  type TableColumn,
  truncate,
} from "../../src/text/table.js";
import { formatTime } from "../../src/text/time.js";

const M = 60;
const H = 3600;
const D = 86_400;

describe("causeText", () => {
  it.each([
    ["status", "status 503 not in 200-299", "status 503 not in 200-299"],
    ["status", "Status 503", "Status 503"],
    [
      "timeout",
      "timeout after 10s (waiting for headers)",
      "timeout after 10s (waiting for headers)",
    ],
    ["json", 'json path "mode" is "manual"', 'json path "mode" is "manual"'],
    ["cert_expired", "cert expired 3 days ago", "cert expired 3 days ago"],
    ["cert_expired", "cert_expired", "cert_expired"],
    ["timeout", "no answer in 10s", "timeout: no answer in 10s"],
    [
      "refused",
      "connect ECONNREFUSED 127.0.0.1:8443",
      "refused: connect ECONNREFUSED 127.0.0.1:8443",
    ],
    // a longer word that begins with the reason is not the reason
    ["status", "statuspage says 503", "status: statuspage says 503"],
    ["tls", "tls_handshake failed", "tls: tls_handshake failed"],
    ["status", null, "status"],
    ["status", "", "status"],
    [null, "HTTP 503", "HTTP 503"],
    ["", "HTTP 503", "HTTP 503"],
    [null, null, ""],
  ])("says %j with %j once: %j", (reason, detail, text) => {
    expect(causeText(reason, detail)).toBe(text);
  });
});

describe("humanDuration", () => {
  it.each([
    [0, "0s"],
    [0.0004, "0s"],
    [0.001, "0.001s"],
    [0.042, "0.042s"],
    [0.4, "0.4s"],
    [0.29, "0.29s"],
    [0.9999, "1s"], // ms precision first: 999.9 ms is 1000 ms
    [1, "1s"],
    [5, "5s"],
    [5.26, "5.2s"],
    [9.99, "9.9s"],
    [10, "10s"],
    [13.9, "13s"],
    [59.999, "59s"],
    [60, "1m"],
    [13 * M + 5, "13m 5s"],
    [13 * M + 5.9, "13m 5s"],
    [59 * M + 59.9, "59m 59s"],
    [H, "1h"],
    [H + 59, "1h"],
    [4 * H + 13 * M + 59, "4h 13m"],
    [23 * H + 59 * M + 59, "23h 59m"],
    [D, "1d"],
    [2 * D + 13 * M, "2d 13m"],
    [2 * D + 4 * H + 13 * M + 5, "2d 4h 13m"],
    [400 * D + 3 * H, "400d 3h"],
    [-90, "-1m 30s"],
    [-0.0001, "0s"],
  ])("%d s → %s", (seconds, text) => {
    expect(humanDuration(seconds)).toBe(text);
  });
});

describe("truncate", () => {
  it.each([
    ["simkim-core", 11, "simkim-core"],
    ["simkim-core", 20, "simkim-core"],
    ["simkim-core", 10, "simkim-co…"],
    ["simkim-core", 1, "…"],
    ["simkim-core", 0, ""],
  ])("%s to %d → %s", (text, width, expected) => {
    expect(truncate(text, width)).toBe(expected);
  });
});

describe("renderTable", () => {
  const columns: TableColumn[] = [
    { header: "target", shrink: true, minWidth: 8 },
    { header: "note", shrink: true, minWidth: 4 },
    { header: "n", alignRight: true },
  ];

  it("pads columns, right-aligns numbers and trims trailing space", () => {
    const text = renderTable(columns, [
      ["a", "x", "1"],
      ["bbbbbb", "", "22"],
    ]);
    expect(text).toBe(["target  note   n", "a       x      1", "bbbbbb        22", ""].join("\n"));
  });

  it("renders 200,000 rows (an outages table of a long incident) without overflowing the stack", () => {
    const rows = Array.from({ length: 200_000 }, (_, i) => [`t-${i}`, "", String(i)]);
    const lines = renderTable(columns, rows).split("\n");
    expect(lines).toHaveLength(200_002);
    expect(lines[200_000]).toBe("t-199999        199999");
  });

  it("cuts the column with the most room above its minimum first, to the width given", () => {
    const text = renderTable(
      columns,
      [["autogate-soekarno-hatta", "manual verification at the counter", "3"]],
      { maxWidth: 30 },
    );
    expect(text).toBe(
      ["target           note        n", "autogate-soeka…  manual ve…  3", ""].join("\n"),
    );
    for (const line of text.trimEnd().split("\n")) expect(line.length).toBeLessThanOrEqual(30);
  });

  it("stops at the minimum widths, even when still too wide", () => {
    const text = renderTable(columns, [["autogate-soekarno-hatta", "manual", "3"]], {
      maxWidth: 10,
    });
    expect(text).toBe(["target    note  n", "autogat…  man…  3", ""].join("\n"));
  });

  it("turns control characters into spaces", () => {
    expect(renderTable([{ header: "d" }], [["a\nb\tc"]])).toBe("d\na b c\n");
  });
});

describe("renderMarkdownTable", () => {
  it("escapes pipes and backslashes and marks right-aligned columns", () => {
    const columns: TableColumn[] = [{ header: "target" }, { header: "n", alignRight: true }];
    expect(renderMarkdownTable(columns, [["a|b\\c", "1"]])).toBe(
      ["| target | n |", "| --- | ---: |", "| a\\|b\\\\c | 1 |", ""].join("\n"),
    );
  });

  it("is a header alone when there are no rows", () => {
    expect(renderMarkdownTable([{ header: "a" }], [])).toBe("| a |\n| --- |\n");
  });
});

describe("CSV", () => {
  it.each([
    ["plain", "plain"],
    ["", ""],
    ["a,b", '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ["two\nlines", '"two\nlines"'],
  ])("field %j → %s", (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });

  it("writes a header and one line per row", () => {
    expect(renderCsv(["a", "b"], [["1", "x,y"]])).toBe('a,b\n1,"x,y"\n');
  });

  it.each([
    [0, "0.000"],
    [1.5, "1.500"],
    [1234.567, "1234.567"],
    [0.001, "0.001"],
  ])("seconds %d → %s", (seconds, text) => {
    expect(secondsText(seconds)).toBe(text);
  });
});

describe("formatTime", () => {
  it.each([
    ["the epoch", 0],
    ["before the epoch", -1],
    ["a leap day's last ms", Date.UTC(2024, 1, 29, 23, 59, 59, 999)],
    ["year 0", Date.UTC(0, 0, 1) + 1],
    ["year 9999's last ms", Date.UTC(10_000, 0, 1) - 1],
    ["beyond year 9999 (six-digit year)", Date.UTC(10_000, 0, 1)],
    ["before year 0 (negative year)", Date.UTC(0, 0, 1) - 1],
  ])("prints %s exactly as toISOString", (_name, ms) => {
    expect(formatTime(ms)).toBe(new Date(ms).toISOString());
  });

  it("prints 20,000 times spread over 300 years exactly as toISOString", () => {
    // a fixed linear congruential sequence: the same times on every run
    let seed = 12345;
    for (let i = 0; i < 20_000; i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      const ms = Date.UTC(1900, 0, 1) + Math.floor((seed / 2147483648) * 300 * 365.25 * 86_400_000);
      expect(formatTime(ms)).toBe(new Date(ms).toISOString());
    }
  });
});

describe("count", () => {
  it("groups whole numbers as toLocaleString('en-US') does (property)", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: -2_000_000, max: 2_000_000 }),
          fc.maxSafeInteger(),
          // negatives without -0, which no count is (toLocaleString writes "-0")
          fc.integer({ min: Number.MIN_SAFE_INTEGER, max: -1 }),
        ),
        (value) => {
          expect(count(value)).toBe(value.toLocaleString("en-US"));
        },
      ),
    );
    for (const value of [0, 7, 999, 1000, 999_999, 1_000_000, -1000, 0.5, 1234.5678]) {
      expect(count(value)).toBe(value.toLocaleString("en-US"));
    }
  });
});
