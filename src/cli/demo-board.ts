import type { Daemon } from "../daemon/daemon.js";
import { type CommittedTransition, endedOutageMs } from "../engine/engine.js";
import type { Clock } from "../time/clock.js";
import {
  type BoardNote,
  type BoardTransition,
  renderBoard,
  transitionLine,
} from "./status-board.js";

/** Where the demo writes: a terminal (the live board) or a pipe (one line per event). */
export interface DemoOutput {
  write(text: string): void;
  /** Problems that end the demo (stderr). */
  error(text: string): void;
  tty: boolean;
  /** Terminal width, when known. */
  columns?: number;
}

const REDRAW_MS = 250;

/**
 * The live board on a TTY; elsewhere (CI, pipes) one line per step and per transition. Every
 * time shown is the scenario's: the daemon's clock is the scenario's.
 */
export class DemoBoard {
  private readonly transitions: BoardTransition[] = [];
  private readonly notes: BoardNote[] = [];
  /** Each target's latest `at`: how long a degraded spell lasted is told from it. */
  private readonly lastAt = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly daemon: Daemon,
    private readonly clock: Clock,
    private readonly origin: number,
    private readonly title: string,
    private readonly out: DemoOutput,
  ) {
    daemon.engine.subscribe((event) => {
      if (event.kind === "committed") this.committed(event.transitions);
    });
  }

  start(): void {
    // the redraw is for people watching: real time, not the scenario's
    if (this.out.tty) this.timer = setInterval(() => this.draw(), REDRAW_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.out.tty) this.draw();
  }

  /** A step was applied: `line` is how a log shows it, `note` what the board shows. */
  step(line: string, note: string, offsetMs: number): void {
    this.notes.push({ at: this.origin + offsetMs, text: note });
    if (!this.out.tty) this.out.write(`step  ${line}\n`);
  }

  private committed(ts: readonly CommittedTransition[]): void {
    for (const t of ts) {
      const entry: BoardTransition = {
        at: t.at,
        targetId: t.targetId,
        from: t.from,
        to: t.to,
        reason: t.reason,
        lastedSeconds: this.lasted(t),
      };
      this.lastAt.set(t.targetId, t.at);
      this.transitions.push(entry);
      if (this.out.tty) continue;
      const blocked = t.to === "down" && t.blockedBy ? ` (blocked by ${t.blockedBy})` : "";
      this.out.write(`event ${transitionLine(entry, this.origin)}${blocked}\n`);
    }
  }

  /** Seconds in `from` when leaving down (from the outage's start) or degraded. */
  private lasted(t: CommittedTransition): number | null {
    const outageMs = endedOutageMs(t);
    if (outageMs !== null) return outageMs / 1000;
    const since = this.lastAt.get(t.targetId);
    return t.from === "degraded" && since !== undefined ? (t.at - since) / 1000 : null;
  }

  private draw(): void {
    const engine = this.daemon.engine;
    const rows = this.daemon.currentConfig.targets.map((target) => {
      const committed = engine.committedState(target.id);
      return {
        id: target.id,
        service: target.service,
        site: target.site,
        state: committed?.state ?? "unknown",
        since: committed?.since ?? null,
        blockedBy: committed?.blockedBy ?? null,
        maintenance: engine.inMaintenance(target.id),
      } as const;
    });
    const text = renderBoard({
      title: this.title,
      rows,
      transitions: this.transitions,
      notes: this.notes,
      now: this.clock.now(),
      origin: this.origin,
      colour: true,
      ...(this.out.columns === undefined ? {} : { width: this.out.columns }),
    });
    this.out.write(`\x1b[H\x1b[2J${text}`);
  }
}
