import { describe, expect, it } from "vitest";
import { type ReadinessFacts, readiness } from "../../src/expose/readiness.js";

const T0 = Date.UTC(2024, 5, 20);
const ready: ReadinessFacts = {
  started: true,
  stopping: false,
  ledgerTrouble: null,
  blind: null,
  ha: null,
};

describe("readiness", () => {
  it.each([
    ["starting", { ...ready, started: false }, { ready: false, reason: "starting" }],
    [
      "stopping",
      { ...ready, started: false, stopping: true },
      { ready: false, reason: "stopping" },
    ],
    ["ready", ready, { ready: true }],
    [
      "an HA member, with its role",
      { ...ready, ha: { role: "standby", pair: "jkt" } },
      { ready: true, role: "standby of HA group jkt" },
    ],
    [
      "blind and the ledger unwritable, both said",
      {
        ...ready,
        blind: { since: T0, canaries: ["gw", "dns"] },
        ledgerTrouble: {
          since: T0,
          error: "SQLITE_FULL: full",
          operations: ["commit" as const],
          pending: 3,
        },
      },
      {
        ready: false,
        reason:
          "ledger not writable since 2024-06-20T00:00:00.000Z: SQLITE_FULL: full; 3 transitions pending; monitor blind since 2024-06-20T00:00:00.000Z: every canary fails (gw, dns)",
      },
    ],
  ])("%s", (_name, facts, expected) => {
    expect(readiness(facts)).toEqual(expected);
  });
});
