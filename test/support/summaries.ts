import type { AvailabilitySummary } from "../../src/ledger/window-summary.js";

/** A summary with nothing in it; tests spread their expected figures over it. */
export const ZERO: AvailabilitySummary = {
  availability: null,
  upSeconds: 0,
  degradedSeconds: 0,
  downSeconds: 0,
  unknownSeconds: 0,
  blindSeconds: 0,
  maintenanceSeconds: 0,
  observedSeconds: 0,
  outageCount: 0,
  startedOutageCount: 0,
  endedOutageCount: 0,
  endedOutageSeconds: 0,
  totalOutageSeconds: 0,
  longestOutageSeconds: 0,
  mttrSeconds: null,
  mtbfSeconds: null,
};
