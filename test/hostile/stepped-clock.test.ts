/**
 * A wall clock stepped −2 h, then +2 h in the middle of a 6 s outage (an operator setting it
 * wrong and NTP setting it right): the ledger, the transition log line, the outage histogram
 * and the Alertmanager payloads all tell the outage's monotonic length, and no alert goes out
 * with `endsAt` before `startsAt` or resolves into the future of the clock that sends it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type AlertmanagerAlert, alertmanagerAlert } from "../../src/alert/alertmanager-payload.js";
import { AlertNotifier } from "../../src/alert/notifier.js";
import { Engine } from "../../src/engine/engine.js";
import { PantauMetrics } from "../../src/expose/metrics.js";
import type { Ledger } from "../../src/ledger/ledger.js";
import { openSqliteLedger } from "../../src/ledger/sqlite.js";
import { engineLogger } from "../../src/log/engine-log.js";
import { MemoryChannel } from "../alert/memory-channel.js";
import { memoryLogger } from "../support/memory-log.js";
import { parsePromText, sampleValue } from "../support/prom-text.js";
import { makeResult, makeTarget } from "../support/targets.js";
import { FakeTime } from "../support/time.js";

const S = 1000;
const MIN = 60 * S;
const HOUR = 60 * MIN;
/** The wall clock reads 03:10 when the daemon starts. */
const T0 = Date.UTC(2024, 5, 20, 3, 10, 0);
const SETTINGS = { url: "http://127.0.0.1:1", resend: MIN, labels: {} };

let dir: string;
let ledger: Ledger;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pantau-stepped-"));
  ledger = openSqliteLedger(join(dir, "ledger.db"));
});

afterEach(async () => {
  await ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

const iso = (ms: number) => new Date(ms).toISOString();
const times = (alert: AlertmanagerAlert) => [
  alert.startsAt,
  alert.endsAt,
  alert.annotations.duration_seconds ?? "",
];

/** Probes every second of monotonic time; the target fails for 6 s from 120 s on. */
async function steppedOutage() {
  const time = new FakeTime(T0);
  const runId = (await ledger.startRun("stepped", T0)).run.id;
  const failing = (mono: number) => mono >= 120 * S && mono < 126 * S;
  const engine = new Engine({
    clock: time,
    timers: time,
    ledger,
    runId,
    instance: "stepped",
    batchWindowMs: 0,
    runProbe: async () => makeResult(failing(time.monotonic()) ? "failed" : "ok", time.now()),
  });
  const log = memoryLogger("info");
  engine.subscribe(engineLogger(log.logger));
  const metrics = new PantauMetrics({
    version: "test",
    defaultMetrics: false,
    now: () => time.now(),
  });
  engine.subscribe(metrics.listener);
  /** The wall clock as each delivery went out. */
  const sentAt: number[] = [];
  const channel = new MemoryChannel();
  const deliver = channel.deliver.bind(channel);
  channel.deliver = (alerts) => {
    sentAt.push(time.now());
    return deliver(alerts);
  };
  const notifier = new AlertNotifier({
    channel,
    instance: "stepped",
    resendMs: MIN,
    clock: time,
    timers: time,
    targetName: (id) => id,
    onDelivery: () => {},
    random: () => 0.5,
  });
  engine.subscribe(notifier.listener);
  engine.restore(makeTarget("core", { failureThreshold: 2, successThreshold: 1 }), null);
  for (let second = 0; second <= 200; second++) {
    await engine.probe("core");
    await engine.flush();
    await time.advance(S);
    // an operator sets the clock back 2 h a minute after the start …
    if (second === 60) time.jumpWall(-2 * HOUR);
    // … and NTP sets it right again 3 s into the outage
    if (second === 123) time.jumpWall(+2 * HOUR);
  }
  await engine.flush();
  await notifier.stop();
  const payloads = channel.deliveries.map((delivery, i) => ({
    sentAt: sentAt[i] ?? Number.NaN,
    alerts: delivery.map((notice) => alertmanagerAlert(notice, SETTINGS)),
  }));
  const outages = await ledger.outages({ targetId: "core" });
  const samples = parsePromText(await metrics.registry.metrics());
  const outageSum = sampleValue(samples, "pantau_outage_duration_seconds_sum");
  return { outages, log: log.lines, outageSum, payloads };
}

describe("a wall clock stepped −2 h, then +2 h during a 6 s outage", () => {
  it("is told as 6 s by the ledger, the log line, the histogram and the resolved alert", async () => {
    const { outages, log, outageSum, payloads } = await steppedOutage();
    // the first failure (01:12:00 on the stepped clock) is kept after the →up at 03:10:00
    const start = T0;
    expect(outages.map((o) => [o.start, o.end])).toEqual([[start, start + 6 * S]]);
    const recovery = log.find((line) => line.event === "transition" && line.from === "down");
    expect(recovery).toMatchObject({
      outage_started_at: iso(start),
      outage_seconds: 6,
      outage_duration: "6s",
    });
    expect(outageSum).toBe(6);
    // fired at the →down (01:12:01 on the clock then), resolved at the →up (03:12:06)
    expect(payloads.map((p) => [iso(p.sentAt), ...p.alerts.map(times)])).toEqual([
      ["2024-06-20T01:12:01.000Z", ["2024-06-20T01:12:00.000Z", "2024-06-20T01:16:01.000Z", ""]],
      ["2024-06-20T03:12:06.000Z", ["2024-06-20T03:12:00.000Z", "2024-06-20T03:12:06.000Z", "6"]],
    ]);
  });

  it("never sends endsAt before startsAt, nor a start, end or resolve after the sending clock", async () => {
    const { payloads } = await steppedOutage();
    expect(payloads.length).toBeGreaterThan(1);
    for (const { sentAt, alerts } of payloads) {
      for (const alert of alerts) {
        const startsAt = Date.parse(alert.startsAt);
        const endsAt = Date.parse(alert.endsAt);
        expect(endsAt).toBeGreaterThanOrEqual(startsAt);
        expect(startsAt).toBeLessThanOrEqual(sentAt);
        if (alert.annotations.end_reason) expect(endsAt).toBeLessThanOrEqual(sentAt);
        else expect(endsAt).toBeGreaterThan(sentAt);
      }
    }
  });
});
