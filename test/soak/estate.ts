import { writeFileSync } from "node:fs";
import { stringify } from "yaml";
import { targetId } from "../bench/pantau.js";

/**
 * The soak's configuration, one generation per reload. Generation g > 0 of `count` targets
 * leaves out one window of `churn` base targets (the previous window comes back: a re-added id),
 * replaces the previous generation's extra targets by `churn` new ones, and changes the timeout
 * of another window (the one changed before goes back: changed again).
 */
export interface SoakEstate {
  count: number;
  churn: number;
  farmUrl(index: number): string;
}

export interface Generation {
  ids: string[];
  config: Record<string, unknown>;
}

const INTERVAL = "5s";
const TIMEOUT = "2s";
const CHANGED_TIMEOUT = "1500ms";

/** Farm slots the estate uses: base targets, then one window of extras. */
export const farmSize = (estate: Pick<SoakEstate, "count" | "churn">): number =>
  estate.count + estate.churn;

export function churnOf(count: number): number {
  return Math.max(1, Math.round(count / 100));
}

function inWindow(index: number, start: number, size: number, count: number): boolean {
  return (index - start + count) % count < size;
}

export function generation(
  estate: SoakEstate,
  g: number,
  storage: { path: string },
  listen: string,
): Generation {
  const { count, churn } = estate;
  const removedStart = ((g - 1) * churn) % count;
  const changedStart = ((g - 1) * churn + Math.floor(count / 2)) % count;
  const targets: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    if (g > 0 && inWindow(i, removedStart, churn, count)) continue;
    const changed = g > 0 && inWindow(i, changedStart, churn, count);
    targets.push({
      id: targetId(i),
      service: `svc-${i % 20}`,
      site: `site-${i % 50}`,
      ...(changed ? { timeout: CHANGED_TIMEOUT } : {}),
      http: { url: estate.farmUrl(i) },
    });
  }
  if (g > 0) {
    for (let j = 0; j < churn; j++) {
      targets.push({
        id: `x${g}-${j}`,
        service: "svc-extra",
        site: `site-${j % 50}`,
        http: { url: estate.farmUrl(count + j) },
      });
    }
  }
  const config = {
    global: {
      interval: INTERVAL,
      timeout: TIMEOUT,
      failure_threshold: 2,
      success_threshold: 1,
      instance: "soak",
      max_in_flight: 5000,
    },
    server: { listen },
    storage: { ...storage, heartbeat: "5s" },
    targets,
  };
  return { ids: targets.map((t) => String(t.id)), config };
}

export function writeGeneration(file: string, gen: Generation): void {
  writeFileSync(file, stringify(gen.config, { lineWidth: 0 }));
}
