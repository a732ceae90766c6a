import { request } from "node:http";
import { pushToken } from "./push-tokens.js";

/**
 * The push bench's pushers (a child process, so their work never counts as the daemon's): each
 * of `count` targets pushes once every `intervalMs`, each on a fresh connection, as a cron job's
 * curl would. `spread`: target i at phase i/count of the interval (an even rate); `aligned`:
 * all of them at the start of each interval (cron jobs that all fire at :00). The parent asks
 * over IPC for what was answered since it last asked.
 */
export type PushMode = "spread" | "aligned";

const [port, count, intervalMs] = process.argv.slice(2, 5).map(Number) as [number, number, number];
const mode = process.argv[5] as PushMode;

let ok = 0;
let refused = 0;
let failed = 0;
/** Connection errors and refusals by code or status: what "not 200" was. */
let causes: Record<string, number> = {};
const count_ = (cause: string) => {
  causes[cause] = (causes[cause] ?? 0) + 1;
};
let latencies: number[] = [];

function push(i: number): void {
  const began = performance.now();
  const req = request(
    {
      host: "127.0.0.1",
      port,
      method: "POST",
      path: `/api/v1/push/t-${String(i).padStart(5, "0")}`,
      headers: { authorization: `Bearer ${pushToken(i)}` },
      agent: false,
    },
    (res) => {
      res.resume();
      res.on("end", () => {
        if (res.statusCode === 200) ok++;
        else {
          refused++;
          count_(String(res.statusCode));
        }
        latencies.push(performance.now() - began);
      });
    },
  );
  req.on("error", (error: NodeJS.ErrnoException) => {
    failed++;
    count_(error.code ?? error.message);
  });
  req.end();
}

const start = Math.ceil(Date.now() / intervalMs) * intervalMs;
/** Every 10 ms, the pushes that came due since the last tick. */
function due(from: number, to: number): void {
  for (let i = 0; i < count; i++) {
    const phase = mode === "aligned" ? 0 : Math.floor((i * intervalMs) / count);
    const first = start + phase;
    if (to <= first) continue;
    // the push times of i in [from, to)
    const k = Math.ceil((from - first) / intervalMs);
    const at = first + Math.max(0, k) * intervalMs;
    if (at >= from && at < to) push(i);
  }
}
let last = start;
setTimeout(
  () => {
    setInterval(() => {
      const now = Date.now();
      due(last, now);
      last = now;
    }, 10);
  },
  Math.max(0, start - Date.now()),
);

process.on("message", (message: { stats?: true }) => {
  if (message.stats !== true) return;
  process.send?.({ ok, refused, failed, latencies, causes });
  ok = 0;
  refused = 0;
  failed = 0;
  latencies = [];
  causes = {};
});
process.send?.({ ready: true, start });
