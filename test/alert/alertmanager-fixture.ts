/**
 * The notifier with its Alertmanager channel against a fake Alertmanager (msw), on fake time:
 * what the alertmanager-*.test.ts files share. Each file calls `useFakeAlertmanager()` once.
 */
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll } from "vitest";
import { AlertmanagerChannel } from "../../src/alert/alertmanager-channel.js";
import type { AlertmanagerAlert } from "../../src/alert/alertmanager-payload.js";
import { AlertNotifier } from "../../src/alert/notifier.js";
import type { AlertmanagerSettings } from "../../src/config/types.js";
import type { CommittedTransition } from "../../src/engine/engine.js";
import { memoryLogger } from "../support/memory-log.js";
import { FakeTime } from "../support/time.js";
import { until } from "../support/until.js";

const URL_BASE = "http://alertmanager.test:9093";
export const SETTINGS: AlertmanagerSettings = {
  url: URL_BASE,
  resend: 60_000,
  labels: { team: "sre-imigrasi" },
};
const NAMES: Record<string, string> = {
  "simkim-core": "SIMKIM core",
  "autogate-cgk": "Autogate CGK",
  "autogate-dps": "Autogate DPS",
};
export const MIN = 60_000;
export const iso = (ms: number) => new Date(ms).toISOString();

/** What the fake Alertmanager answers next; `hold` keeps a request open until released. */
export type Answer = { status: number } | { hold: Promise<void> } | "network-error";

/** Every POST body received, in order; emptied after each test. */
export const posts: AlertmanagerAlert[][] = [];
/** The answers to the next POSTs, first first (then 200); emptied after each test. */
export const answers: Answer[] = [];

const server = setupServer(
  http.post(`${URL_BASE}/api/v2/alerts`, async ({ request }) => {
    posts.push((await request.json()) as AlertmanagerAlert[]);
    const answer = answers.shift() ?? { status: 200 };
    if (answer === "network-error") return HttpResponse.error();
    if ("hold" in answer) await answer.hold;
    return new HttpResponse(null, { status: "status" in answer ? answer.status : 200 });
  }),
);

export function useFakeAlertmanager(): void {
  beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
  afterEach(() => {
    posts.length = 0;
    answers.length = 0;
  });
  afterAll(() => server.close());
}

export function setup(options: { settings?: AlertmanagerSettings; maxQueued?: number } = {}) {
  const time = new FakeTime();
  const log = memoryLogger("info");
  const results: ("ok" | "error")[] = [];
  const settings = options.settings ?? SETTINGS;
  const notifier = new AlertNotifier({
    channel: new AlertmanagerChannel({
      settings,
      fetch: (input, init) => globalThis.fetch(input, init),
    }),
    resendMs: settings.resend,
    instance: "jakarta-1",
    clock: time,
    timers: time,
    targetName: (id) => NAMES[id],
    onDelivery: (result) => results.push(result),
    logger: log.logger,
    random: () => 0.5,
    maxQueued: options.maxQueued,
  });
  const count = (result: "ok" | "error") => results.filter((r) => r === result).length;
  return { time, log, results, notifier, count };
}

let nextId = 1;
export function transition(fields: Partial<CommittedTransition>): CommittedTransition {
  return {
    id: nextId++,
    runId: 1,
    instance: "jakarta-1",
    targetId: "simkim-core",
    service: "immigration-core",
    site: "pdns2",
    from: "up",
    to: "down",
    at: 0,
    detectedAt: 0,
    reason: "connect_refused",
    detail: "connection refused",
    blockedBy: null,
    maintenance: false,
    previousProbeAt: null,
    outageStart: null,
    waitingOn: [],
    ...fields,
  };
}

/** A →down of `targetId` whose first failed probe started `agoMs` before now. */
export function down(time: FakeTime, agoMs: number, fields: Partial<CommittedTransition> = {}) {
  return transition({ at: time.now() - agoMs, detectedAt: time.now(), ...fields });
}

export function dependant(time: FakeTime, targetId: string, agoMs: number): CommittedTransition {
  return down(time, agoMs, {
    targetId,
    service: "autogate",
    site: targetId.slice(-3),
    reason: "http_status",
    detail: "HTTP 502",
    blockedBy: "simkim-core",
  });
}

/** Real time (msw answers on a later turn) for `count` posts in all to have been answered. */
export const answered = (results: unknown[], count: number) =>
  until(() => results.length === count, {
    what: `${count} answered posts`,
    timeoutMs: 3000,
    intervalMs: 2,
  });

/** Real time for any request that was going to happen to arrive (and not). */
export async function quiet(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 30));
}

export const ROOT_LABELS = {
  team: "sre-imigrasi",
  alertname: "PantauTargetDown",
  target: "simkim-core",
  service: "immigration-core",
  site: "pdns2",
  instance: "jakarta-1",
  severity: "critical",
  root_target: "simkim-core",
};
