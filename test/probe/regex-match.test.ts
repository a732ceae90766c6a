import { monitorEventLoopDelay } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { linearRegexProblem } from "../../src/fields/linear-regex.js";
import { matchBody } from "../../src/probe/regex-match.js";

const encode = (text: string) => new TextEncoder().encode(text);
// catastrophic for a backtracking engine: 40 letters and a `!` take it minutes
const PATHOLOGICAL = "^(\\w+\\s?)*$";
const MIB = 1 << 20;

describe("matchBody: a body against a pattern, in a worker thread", () => {
  it.each([
    ["v\\d+\\.\\d+", "version v1.2.3", "matched"],
    ["^v\\d", "version v1", "unmatched"],
    ['"status":\\s*"up"', '{"status": "up"}', "matched"],
    [PATHOLOGICAL, `${"a".repeat(40)}!`, "unmatched"], // decided, not stalled: linear
    [PATHOLOGICAL, "aaa bbb", "matched"],
  ])("/%s/ over %j is %s", async (source, body, outcome) => {
    expect(await matchBody(source, encode(body), 5000)).toBe(outcome);
  });

  it("decodes the body as UTF-8", async () => {
    expect(await matchBody("^Selamat datang — ok$", encode("Selamat datang — ok"), 5000)).toBe(
      "matched",
    );
  });

  it("gives up on a 4 MiB hostile body at its budget, without holding the event loop", async () => {
    // 4 MiB: on the event loop this match would hold it for seconds on Node 20 and 24 alike
    const big = encode(`${"a".repeat(4 * MIB - 1)}!`);
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const started = performance.now();
    const outcome = await matchBody(PATHOLOGICAL, big, 300);
    const took = performance.now() - started;
    delay.disable();
    expect(outcome).toBe("over budget");
    expect(took).toBeLessThan(3000);
    // generous for a loaded machine, and still far below the seconds of a match on the loop
    expect(delay.max / 1e6).toBeLessThan(1000);
    // a fresh worker takes the next match
    expect(await matchBody("ok", encode("ok"), 5000)).toBe("matched");
  });

  it("decides an ordinary match while a hostile one is still running", async () => {
    // 4 MiB: seconds of work for the linear engine on Node 20 and 24 alike
    const big = encode(`${"a".repeat(4 * MIB - 1)}!`);
    let hostileSettled = false;
    const hostile = matchBody(PATHOLOGICAL, big, 3000).finally(() => {
      hostileSettled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = performance.now();
    expect(await matchBody("ok", encode("all ok"), 5000)).toBe("matched");
    expect(performance.now() - started).toBeLessThan(1000);
    expect(hostileSettled).toBe(false);
    expect(["over budget", "unmatched"]).toContain(await hostile);
  });
});

describe("linearRegexProblem: what the config refuses", () => {
  const REFUSED =
    "cannot be matched in linear time: backreferences, lookahead (and on Node 20 lookbehind) and repetition counts over 16 ({1,100}) are not supported";
  it.each([
    ["<(\\w+)>.*</\\1>", REFUSED],
    ["(?<tag>\\w+)\\k<tag>", REFUSED],
    ["ok(?=\\s)", REFUSED],
    ["\\d{1,100}", REFUSED],
    ["\\d{4}-\\d{2}-\\d{2}", null],
    [PATHOLOGICAL, null],
    ["status: (ok|degraded", null], // not a regex at all: the syntax check says so, not this one
  ])("/%s/: %s", (source, problem) => {
    expect(linearRegexProblem(source)).toBe(problem);
  });

  it("refuses lookbehind where this Node's linear engine cannot run it (Node 20), takes it where it can (24)", () => {
    const major = Number(process.versions.node.split(".")[0]);
    expect(linearRegexProblem("(?<!not )ok")).toBe(major >= 24 ? null : REFUSED);
  });
});
