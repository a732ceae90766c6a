import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { type LiveEstate, type RoundResult, startLiveEstate } from "../bench/dark-estate-live.js";
import {
  type PromResponse,
  type RunningPrometheus,
  startPrometheus,
} from "../support/external/prometheus.js";

/**
 * A data centre going dark, end to end: 10 estates of a core and 30 dependants in one real
 * daemon on loopback endpoints, scraped every second by Debian's Prometheus with the shipped
 * rules, pantau's own Alertmanager push recorded. Five rounds of every estate failing at a
 * seeded moment (50 trials): one page per trial — the core — by the push and by the rules,
 * and every dependant blocked by its core; then a round of the dependants failing alone.
 */

const ESTATES = 10;
const DEPENDANTS = 30;
const ROUNDS = 5;
const RULES = resolve("config/prometheus/pantau-rules.yml");

let live: LiveEstate;
let prometheus: RunningPrometheus;
let dir: string;
const rounds: RoundResult[] = [];
let darkBegan = 0;
let darkEnded = 0;

beforeAll(async () => {
  live = await startLiveEstate({ estates: ESTATES, dependants: DEPENDANTS, name: "dark-e2e" });
  dir = mkdtempSync(join(tmpdir(), "pantau-dark-prom-"));
  const configFile = join(dir, "prometheus.yml");
  writeFileSync(
    configFile,
    stringify({
      global: { scrape_interval: "1s", evaluation_interval: "1s" },
      rule_files: [RULES],
      scrape_configs: [
        { job_name: "pantau", static_configs: [{ targets: [`127.0.0.1:${live.port}`] }] },
      ],
    }),
  );
  prometheus = await startPrometheus({ configFile, dir });
  await prometheus.waitFor('pantau_target_state{state="up"} == 1');
  darkBegan = Date.now();
  for (let r = 0; r < ROUNDS; r++) rounds.push(await live.round(r, 4200 + r, true));
  darkEnded = Date.now();
  rounds.push(await live.round(ROUNDS, 4300, false));
}, 600_000);

afterAll(async () => {
  await prometheus?.stop();
  await live?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * What Prometheus' ALERTS had for the alert, pending or firing, in [since, until]: its `target`
 * labels (or `label`'s, for the service and site rules).
 */
async function alerted(
  alertname: string,
  since: number,
  until: number,
  label = "target",
): Promise<Set<string>> {
  const body = await prometheus.api<PromResponse>("/api/v1/query_range", {
    query: `ALERTS{alertname="${alertname}"}`,
    start: String(since / 1000),
    end: String(until / 1000),
    step: "1s",
  });
  expect(body.status, body.error).toBe("success");
  return new Set((body.data?.result ?? []).map((series) => series.metric[label] ?? ""));
}

const cores = Array.from({ length: ESTATES }, (_, e) => `core-${String(e).padStart(2, "0")}`);

describe("a data centre going dark, against Prometheus and the shipped rules", () => {
  it(`pushes one page per trial, the core's, and blocks every dependant (${ROUNDS * ESTATES} trials)`, () => {
    for (const round of rounds.filter((r) => r.withCore)) {
      expect([...round.paged].sort(), `round ${round.round}`).toEqual(cores);
      expect(round.down, `round ${round.round}`).toBe(ESTATES * DEPENDANTS);
      expect(round.blocked, `round ${round.round}`).toBe(ESTATES * DEPENDANTS);
    }
  });

  it("never lets the rules consider a dependant down on its own: only the cores are PantauTargetOutage", async () => {
    expect([...(await alerted("PantauTargetOutage", darkBegan, darkEnded))].sort()).toEqual(cores);
    // every autogate down, all of them blocked: no service or site page either
    expect(await alerted("PantauServiceOutage", darkBegan, darkEnded, "service")).toEqual(
      new Set(),
    );
    expect(await alerted("PantauSiteOutage", darkBegan, darkEnded, "site")).toEqual(new Set());
  });

  it("pages each dependant failing alone, by the push and by the rules, within its bound", async () => {
    const reverse = rounds.find((r) => !r.withCore);
    expect(reverse?.paged.size).toBe(ESTATES * DEPENDANTS);
    expect(reverse?.blocked).toBe(0);
    for (const delay of reverse?.pageDelays ?? []) {
      // no later than its first failed probe + the documented bound, or its own detection
      expect(
        Math.min(delay.afterBoundMs, delay.afterDetectionMs),
        delay.target,
      ).toBeLessThanOrEqual(500);
    }
    const began = Math.min(...(reverse?.failures.map((f) => f.at) ?? [darkEnded]));
    const ruled = await alerted("PantauTargetOutage", began, Date.now());
    expect([...ruled].filter((target) => target.startsWith("gate-"))).toHaveLength(
      ESTATES * DEPENDANTS,
    );
    // the cores answered all along (their last round's alerts take a scrape and an evaluation,
    // ≤ 2 s, to clear)
    const later = await alerted("PantauTargetOutage", began + 5_000, Date.now());
    expect([...later].filter((target) => target.startsWith("core-"))).toEqual([]);
  });
});
