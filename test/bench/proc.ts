import { readdirSync, readFileSync, readlinkSync as readLink } from "node:fs";

/** One reading of a process from /proc: CPU seconds (user+system), memory, open fds. */
export interface ProcReading {
  at: number;
  cpuSeconds: number;
  rssMiB: number;
  hwmMiB: number;
  fds: number;
  sockets: number;
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

export function readProc(pid: number): ProcReading {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // fields after the command name (which may hold spaces) start at ") "
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1]);
  let fds = 0;
  let sockets = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    fds++;
    try {
      if (readLink(`/proc/${pid}/fd/${fd}`).startsWith("socket:")) sockets++;
    } catch {
      // closed between listing and reading
    }
  }
  return {
    at: performance.now(),
    cpuSeconds: (utime + stime) / CLOCK_TICKS,
    rssMiB: kib("VmRSS") / 1024,
    hwmMiB: kib("VmHWM") / 1024,
    fds,
    sockets,
  };
}

/** Samples a process every `everyMs` until stopped: peak RSS, peak fds and sockets seen. */
export class ProcSampler {
  readonly samples: ProcReading[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    everyMs = 500,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  sample(): ProcReading | undefined {
    try {
      const reading = readProc(this.pid);
      this.samples.push(reading);
      return reading;
    } catch {
      return undefined;
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  peak(key: "rssMiB" | "fds" | "sockets"): number {
    return Math.max(0, ...this.samples.map((s) => s[key]));
  }
}
