import { parentPort, workerData } from "node:worker_threads";
import { withoutCredentials } from "./connection-resources.js";
import { loadConfig } from "./load.js";
import { type LoadMessage, type LoadRequest, TARGETS_PER_MESSAGE } from "./load-off-thread.js";
import { restartOnlyIssues } from "./restart-only.js";

/**
 * The worker side of loadConfigOffThread: the whole load (read, parse, validate, resolve, the
 * files and addresses the targets name) and the restart-only comparison run here. The result
 * goes back as plain data — TLS credentials (native contexts) left out, the main thread reads
 * them again — and the targets in slices, one each time the main thread asks for the next.
 */
const port = parentPort;
if (port === null) throw new Error("load-worker runs as a worker thread only");
const post = (message: LoadMessage) => port.postMessage(message);
const { file, env, options, running } = workerData as LoadRequest;
void loadConfig(file, env, options).then(async (loaded) => {
  if (!loaded.ok) return post({ kind: "issues", issues: loaded.issues });
  const restartOnly =
    running === null ? [] : await restartOnlyIssues(running.config, loaded.config, running.options);
  const { targets, ...settings } = loaded.config;
  const withTls = withoutCredentials(targets);
  post({ kind: "config", config: { ...settings, targets: [] }, restartOnly, withTls });
  // one slice each time the main thread asks: queued messages would be received in one turn
  let start = 0;
  port.on("message", () => {
    if (start >= targets.length) return post({ kind: "end" });
    post({ kind: "targets", targets: targets.slice(start, start + TARGETS_PER_MESSAGE) });
    start += TARGETS_PER_MESSAGE;
  });
});
