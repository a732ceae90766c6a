import client, { type Registry } from "prom-client";
import type { Target } from "../config/types.js";
import type { EngineEvent } from "../engine/events.js";
import { PUSH_REJECTIONS, type PushRejection } from "./push-route.js";

type PushEvent = Extract<EngineEvent, { kind: "push" }>;
type Labels = { target: string; service: string; site: string };

/**
 * The push targets' own series, beside every kind's (probe_success, pantau_target_state …):
 * when each last pushed and when its next push is due, and the pushes refused by reason.
 */
export class PushMetrics {
  private readonly lastReceived: client.Gauge;
  private readonly deadline: client.Gauge;
  private readonly rejections: client.Counter;
  /** The labels each push target's series carry now, to remove them when it changes or goes. */
  private readonly labelsOf = new Map<string, Labels>();

  constructor(registry: Registry) {
    const labelNames = ["target", "service", "site"];
    this.lastReceived = new client.Gauge({
      name: "pantau_push_last_received_timestamp_seconds",
      help: "When the push target's last push arrived (kept across restarts)",
      labelNames,
      registers: [registry],
    });
    this.deadline = new client.Gauge({
      name: "pantau_push_deadline_timestamp_seconds",
      help: "When the push target's next push is due: later, it is a missed deadline",
      labelNames,
      registers: [registry],
    });
    this.rejections = new client.Counter({
      name: "pantau_push_rejections_total",
      help: "Pushes refused, by reason",
      labelNames: ["reason"],
      registers: [registry],
    });
    for (const reason of PUSH_REJECTIONS) this.rejections.inc({ reason }, 0);
  }

  changed(event: PushEvent): void {
    const labels = this.labelsFor(event.target);
    if (event.lastPush !== null) this.lastReceived.set(labels, event.lastPush.at / 1000);
    this.deadline.set(labels, event.deadline / 1000);
  }

  rejected(reason: PushRejection): void {
    this.rejections.inc({ reason });
  }

  /** Series of targets that are no longer push targets, or whose labels changed, go. */
  sync(targets: readonly Target[]): void {
    const byId = new Map(targets.map((target) => [target.id, target]));
    for (const [id, labels] of this.labelsOf) {
      const target = byId.get(id);
      if (target?.probe.kind === "push" && sameLabels(labelsOf(target), labels)) continue;
      this.lastReceived.remove(labels);
      this.deadline.remove(labels);
      this.labelsOf.delete(id);
    }
  }

  private labelsFor(target: Target): Labels {
    const labels = labelsOf(target);
    const before = this.labelsOf.get(target.id);
    if (before && !sameLabels(before, labels)) {
      this.lastReceived.remove(before);
      this.deadline.remove(before);
    }
    this.labelsOf.set(target.id, labels);
    return labels;
  }
}

function labelsOf(target: Target): Labels {
  return { target: target.id, service: target.service, site: target.site };
}

function sameLabels(a: Labels, b: Labels): boolean {
  return a.target === b.target && a.service === b.service && a.site === b.site;
}
