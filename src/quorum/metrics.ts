import { Gauge, type Registry } from "prom-client";
import type { Target } from "../config/types.js";
import { disagrees, type MinDown } from "../health/quorum.js";
import { TARGET_STATES } from "../health/types.js";
import type { QuorumEvent, TargetVotes } from "./decider.js";

/**
 * The group's verdicts in /metrics (docs/metrics.md), exported by the decider only: every
 * vantage runs one, and one copy per group is what rules and dashboards want. A demoted
 * decider clears them. Disagreement is its own family: a target down from some vantages but
 * not from a quorum is a path problem, which tickets, not pages.
 */
export class QuorumMetrics {
  private readonly leader: Gauge<"quorum_group">;
  private readonly state: Gauge<"quorum_group" | "target" | "service" | "site" | "state">;
  private readonly votes: Gauge<"quorum_group" | "target" | "vote">;
  private readonly disagreement: Gauge<"quorum_group" | "target" | "service" | "site" | "vantage">;
  private readonly blockedBy: Gauge<"quorum_group" | "target" | "dependency">;
  private readonly pending: Gauge<"quorum_group" | "target" | "dependency">;
  /** Dependencies shown per gauge and target (`b/` blocked_by, `p/` pending). */
  private readonly dependencies = new Map<string, string[]>();

  constructor(
    registry: Registry,
    private readonly group: string,
    private readonly minDown: MinDown,
    private readonly target: (id: string) => Target | undefined,
  ) {
    const registers = [registry];
    this.leader = new Gauge({
      name: "pantau_quorum_decider",
      help: "1 while this daemon is the decider of its quorum group, 0 while another is",
      labelNames: ["quorum_group"],
      registers,
    });
    this.state = new Gauge({
      name: "pantau_quorum_target_state",
      help: "1 for the target's committed group (quorum) state, 0 for the others; decider only",
      labelNames: ["quorum_group", "target", "service", "site", "state"],
      registers,
    });
    this.votes = new Gauge({
      name: "pantau_quorum_votes",
      help: "Vantages of the group by what they count as for the target now; decider only",
      labelNames: ["quorum_group", "target", "vote"],
      registers,
    });
    this.disagreement = new Gauge({
      name: "pantau_quorum_disagreement",
      help: "1 for each vantage that sees the target down while the group does not; decider only",
      labelNames: ["quorum_group", "target", "service", "site", "vantage"],
      registers,
    });
    this.blockedBy = new Gauge({
      name: "pantau_quorum_target_blocked_by",
      help: "1 while the target's group outage is blocked by this dependency's; decider only",
      labelNames: ["quorum_group", "target", "dependency"],
      registers,
    });
    this.pending = new Gauge({
      name: "pantau_quorum_target_attribution_pending",
      help: "1 for each upstream the target's group page waits on (its vantages' verdicts are not in yet); decider only",
      labelNames: ["quorum_group", "target", "dependency"],
      registers,
    });
    this.leader.set({ quorum_group: group }, 0);
  }

  readonly listener = (event: QuorumEvent): void => {
    if (event.kind === "role") {
      this.leader.set({ quorum_group: this.group }, event.leader ? 1 : 0);
      if (!event.leader) this.clear();
    } else if (event.kind === "votes") {
      for (const target of event.targets) this.show(target);
    }
  };

  private show({ targetId, state, votes, counts, blockedBy, waitingOn }: TargetVotes): void {
    const target = this.target(targetId);
    if (target === undefined) return;
    const quorum_group = this.group;
    const labels = { quorum_group, target: targetId, service: target.service, site: target.site };
    for (const s of TARGET_STATES) this.state.set({ ...labels, state: s }, s === state ? 1 : 0);
    const byVote = new Map<string, number>();
    for (const v of votes) byVote.set(v.vote, (byVote.get(v.vote) ?? 0) + 1);
    for (const vote of [...TARGET_STATES, "blind", "dead"]) {
      this.votes.set({ quorum_group, target: targetId, vote }, byVote.get(vote) ?? 0);
    }
    this.replace(this.blockedBy, quorum_group, targetId, blockedBy === null ? [] : [blockedBy]);
    this.replace(this.pending, quorum_group, targetId, waitingOn);
    const disagreeing = disagrees(counts, this.minDown) && state !== "down";
    for (const v of votes) {
      const series = { ...labels, vantage: v.vantage };
      if (disagreeing && v.vote === "down") this.disagreement.set(series, 1);
      else this.disagreement.remove(series);
    }
  }

  /** One series per dependency of the target, the others removed. */
  private replace(
    gauge: Gauge<"quorum_group" | "target" | "dependency">,
    quorum_group: string,
    target: string,
    dependencies: readonly string[],
  ): void {
    const shown = this.dependencies.get(`${gauge === this.pending ? "p" : "b"}/${target}`) ?? [];
    for (const dependency of shown) {
      if (!dependencies.includes(dependency)) gauge.remove({ quorum_group, target, dependency });
    }
    for (const dependency of dependencies) gauge.set({ quorum_group, target, dependency }, 1);
    this.dependencies.set(`${gauge === this.pending ? "p" : "b"}/${target}`, [...dependencies]);
  }

  private clear(): void {
    this.dependencies.clear();
    this.blockedBy.reset();
    this.pending.reset();
    this.state.reset();
    this.votes.reset();
    this.disagreement.reset();
  }
}
