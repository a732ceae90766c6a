import { AlertmanagerChannel } from "../../src/alert/alertmanager-channel.js";
import type { AlertmanagerAlert } from "../../src/alert/alertmanager-payload.js";
import { AlertNotifier } from "../../src/alert/notifier.js";
import { Engine } from "../../src/engine/engine.js";
import { openSqliteLedger } from "../../src/ledger/sqlite.js";
import { on } from "./engine-events.js";
import { makeResult, makeTarget } from "./targets.js";
import { FakeTime } from "./time.js";

/**
 * An estate of upstreams and dependants probed on their own phases, driven through the real
 * engine (real SQLite ledger, injected clock) and the real Alertmanager notifier, whose posts
 * are captured: what the pager would have received. Probes land in the order their results
 * arrive, not the order they started — the shape of a data centre going dark.
 */

export const SIM_T0 = Date.UTC(2024, 5, 20, 0, 0, 0);

export interface SimTarget {
  id: string;
  dependsOn: string[];
  intervalMs: number;
  /** First probe at SIM_T0 + phaseMs, then every intervalMs. */
  phaseMs: number;
  failureThreshold: number;
  successThreshold: number;
  timeoutMs: number;
  /** From this ms after SIM_T0 every probe fails (null: never); `recoverMs` ends it. */
  failFromMs: number | null;
  recoverMs?: number | null;
  /** How long a probe takes, by its index: failing probes may hang until the timeout. */
  durationMs(index: number, failed: boolean): number;
}

export interface Page {
  targetId: string;
  /** The alert's startsAt, epoch ms. */
  startsAt: number;
  /** When it was posted (the simulated wall clock). */
  postedAt: number;
  severity: string;
  blockedBy: string | null;
}

export interface ProbeRecord {
  targetId: string;
  startedAt: number;
  arrivesAt: number;
  failed: boolean;
}

export interface SimOutcome {
  /** Firing alerts as posted, in order (resends included). */
  posts: Page[];
  /** Each target's committed state, blocked_by and page hold at the end. */
  final: Map<string, { state: string; blockedBy: string | null; waitingOn: readonly string[] }>;
  probes: ProbeRecord[];
  /** Each target's committed transitions: `at` and when they were decided. */
  transitions: { targetId: string; to: string; at: number; detectedAt: number }[];
}

/** The probes of the estate up to `untilMs` after SIM_T0, in the order their results arrive. */
export function probePlan(targets: readonly SimTarget[], untilMs: number): ProbeRecord[] {
  const probes: ProbeRecord[] = [];
  for (const target of targets) {
    for (let index = 0, start = target.phaseMs; start < untilMs; index++) {
      const failed = failsAt(target, start);
      probes.push({
        targetId: target.id,
        startedAt: SIM_T0 + start,
        arrivesAt: SIM_T0 + start + target.durationMs(index, failed),
        failed,
      });
      start += target.intervalMs;
    }
  }
  return probes.sort(
    (a, b) =>
      a.arrivesAt - b.arrivesAt ||
      a.startedAt - b.startedAt ||
      (a.targetId < b.targetId ? -1 : a.targetId > b.targetId ? 1 : 0),
  );
}

export function failsAt(target: SimTarget, startMs: number): boolean {
  if (target.failFromMs === null || startMs < target.failFromMs) return false;
  return target.recoverMs == null || startMs < target.recoverMs;
}

export async function simulate(
  targets: readonly SimTarget[],
  untilMs: number,
): Promise<SimOutcome> {
  const time = new FakeTime(SIM_T0 - 1000);
  // in memory: the same SQL and rules as on disk, without an fsync per commit
  const ledger = openSqliteLedger(":memory:");
  const posts: Page[] = [];
  try {
    const runId = (await ledger.startRun("sim", time.now())).run.id;
    const engine = new Engine({
      clock: time,
      timers: time,
      ledger,
      runId,
      instance: "sim",
      runProbe: async () => makeResult("ok", time.now()),
    });
    const channel = new AlertmanagerChannel({
      settings: { url: "http://127.0.0.1:9/", resend: 60_000, labels: {} },
      fetch: async (_url, init) => {
        for (const alert of JSON.parse(init?.body as string) as AlertmanagerAlert[]) {
          if (Date.parse(alert.endsAt) <= time.now()) continue;
          posts.push({
            targetId: alert.labels.target ?? "",
            startsAt: Date.parse(alert.startsAt),
            postedAt: time.now(),
            severity: alert.labels.severity ?? "",
            blockedBy: alert.labels.blocked_by ?? null,
          });
        }
        return new Response("", { status: 200 });
      },
    });
    const notifier = new AlertNotifier({
      channel,
      resendMs: 60_000,
      instance: "sim",
      clock: time,
      timers: time,
      targetName: (id) => id,
      onDelivery: () => undefined,
    });
    engine.subscribe(notifier.listener);
    const transitions: SimOutcome["transitions"] = [];
    on(engine, {
      committed: (committed) => {
        for (const t of committed.transitions) {
          transitions.push({ targetId: t.targetId, to: t.to, at: t.at, detectedAt: t.detectedAt });
        }
      },
    });
    for (const target of targets) {
      engine.restore(
        makeTarget(target.id, {
          dependsOn: target.dependsOn,
          interval: target.intervalMs,
          timeout: target.timeoutMs,
          failureThreshold: target.failureThreshold,
          successThreshold: target.successThreshold,
        }),
        null,
      );
    }
    const probes = probePlan(targets, untilMs);
    for (const probe of probes) {
      await time.advance(Math.max(0, probe.arrivesAt - time.now()));
      const verdict = probe.failed ? "failed" : "ok";
      engine.observe(probe.targetId, makeResult(verdict, probe.startedAt));
      await engine.flush();
    }
    // long enough for every hold's deadline and the notifier's queue
    await time.advance(Math.max(0, SIM_T0 + untilMs - time.now()));
    await engine.flush();
    await notifier.stop();
    const final: SimOutcome["final"] = new Map();
    for (const target of targets) {
      const committed = engine.committedState(target.id);
      final.set(target.id, {
        state: committed?.state ?? "unknown",
        blockedBy: committed?.blockedBy ?? null,
        waitingOn: engine.pageWaitingOn(target.id),
      });
    }
    return { posts, final, probes, transitions };
  } finally {
    await ledger.close();
  }
}

/** Targets that got a `severity: critical` alert, each once. */
export function pagedTargets(outcome: SimOutcome): string[] {
  const paged = new Set(
    outcome.posts.filter((p) => p.severity === "critical").map((p) => p.targetId),
  );
  return [...paged].sort();
}

/** A small seeded generator (mulberry32): the same seed draws the same estate. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface DarkEstateOptions {
  seed: number;
  dependants: number;
  intervalMs: number;
  failureThreshold: number;
  timeoutMs: number;
  /** When the core fails, ms after SIM_T0. */
  failAtMs: number;
  /** Dependants fail at the same instant as the core (true), or alone while it answers. */
  withCore: boolean;
}

/**
 * A core and its dependants on random phases; at `failAtMs` the core and every dependant fail
 * together (a data centre going dark), or only the dependants. Failing probes are refused at
 * once or hang until the timeout, at random.
 */
export function darkEstate(options: DarkEstateOptions): SimTarget[] {
  const random = seededRandom(options.seed);
  const target = (id: string, dependsOn: string[], failFromMs: number | null): SimTarget => {
    const hangs = random() < 0.5;
    const phaseMs = Math.floor(random() * options.intervalMs);
    return {
      id,
      dependsOn,
      intervalMs: options.intervalMs,
      phaseMs,
      failureThreshold: options.failureThreshold,
      successThreshold: 2,
      timeoutMs: options.timeoutMs,
      failFromMs,
      durationMs: (index, failed) =>
        failed
          ? hangs
            ? options.timeoutMs
            : 1 + (mixIndex(options.seed, index) % 5)
          : 2 + (index % 7),
    };
  };
  const core = target("simkim-core", [], options.withCore ? options.failAtMs : null);
  const dependants = Array.from({ length: options.dependants }, (_, i) =>
    target(`dependant-${String(i).padStart(2, "0")}`, ["simkim-core"], options.failAtMs),
  );
  return [core, ...dependants];
}

function mixIndex(seed: number, index: number): number {
  return Math.abs(Math.imul(seed ^ index, 0x9e3779b1)) >>> 0;
}
