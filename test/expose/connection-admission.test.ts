import { describe, expect, it } from "vitest";
import {
  type Admission,
  admit,
  type ConnectionLimits,
  type ConnectionView,
} from "../../src/expose/connection-admission.js";

const LIMITS: ConnectionLimits = { maxConnections: 3, overflowConnections: 2, slowHeadMs: 1000 };
const NOW = 10_000;

interface Named extends ConnectionView {
  name: string;
}

/** `waiting@t`: no full head since t; `idle@t`: answered, idle since t; `busy`: answering. */
function conn(spec: string): Named {
  const [kind = "", at = "0", flag] = spec.split(/[@+]/);
  const overflow = flag === "o";
  const time = Number(at);
  const base = { name: spec, openedAt: time, idleSince: time, overflow };
  if (kind === "waiting") return { ...base, inFlight: 0, served: 0 };
  if (kind === "idle") return { ...base, openedAt: 0, inFlight: 0, served: 1 };
  return { ...base, inFlight: 1, served: 0 };
}

function decide(specs: string[]): string {
  const result: Admission<Named> = admit(specs.map(conn), NOW, LIMITS);
  if (result.kind === "shed") {
    return `shed ${result.victim.name} (${result.reason}) as ${result.overflow ? "overflow" : "slot"}`;
  }
  if (result.kind === "admit") return result.overflow ? "overflow" : "slot";
  return "refuse";
}

describe("admitting a connection", () => {
  it.each<[string, string[], string]>([
    ["room left", ["busy@0", "waiting@9999"], "slot"],
    [
      "full: the oldest idle keep-alive goes first",
      ["busy@0", "idle@5000", "idle@4000"],
      "shed idle@4000 (idle) as slot",
    ],
    [
      "full: idle before slow, however old the slow one",
      ["waiting@0", "busy@1", "idle@9999"],
      "shed idle@9999 (idle) as slot",
    ],
    [
      "full: the longest-waiting slow one",
      ["busy@0", "waiting@8000", "waiting@7000"],
      "shed waiting@7000 (slow) as slot",
    ],
    [
      "full: a head awaited exactly slowHeadMs is slow",
      ["busy@0", "busy@1", "waiting@9000"],
      "shed waiting@9000 (slow) as slot",
    ],
    [
      "full: a head awaited less than slowHeadMs is not",
      ["busy@0", "busy@1", "waiting@9001"],
      "overflow",
    ],
    ["all slots busy: the overflow", ["busy@0", "busy@1", "busy@2", "busy@3+o"], "overflow"],
    [
      "overflow full: a young waiting one goes as a last resort",
      ["busy@0", "busy@1", "busy@2", "busy@3+o", "waiting@9999+o"],
      "shed waiting@9999+o (slow) as overflow",
    ],
    [
      "overflow full: a young waiting slot goes, its slot taken",
      ["busy@0", "busy@1", "waiting@9999", "busy@3+o", "busy@4+o"],
      "shed waiting@9999 (slow) as slot",
    ],
    [
      "everything busy answering: refused",
      ["busy@0", "busy@1", "busy@2", "busy@3+o", "busy@4+o"],
      "refuse",
    ],
  ])("%s", (_, specs, expected) => {
    expect(decide(specs)).toBe(expected);
  });

  it("never sheds a connection with a request in flight, however old", () => {
    const old: Named = { ...conn("busy@0"), served: 5, idleSince: 0 };
    const result = admit([old, conn("busy@1"), conn("busy@2")], NOW, LIMITS);
    expect(result).toEqual({ kind: "admit", overflow: true });
  });
});
