import { rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { darkEstateBench } from "./dark-estate.bench.js";
import { detectionBench } from "./detection.bench.js";
import { floodBench } from "./flood.bench.js";
import { hungBench } from "./hung.bench.js";
import { kindsBench } from "./kinds.bench.js";
import { metricsBench } from "./metrics.bench.js";
import { namesBench } from "./names.bench.js";
import { outageBench } from "./outage.bench.js";
import { pushBench } from "./push.bench.js";
import { queriesBench } from "./queries.bench.js";
import { quorumBench } from "./quorum.bench.js";
import { regexBench } from "./regex.bench.js";
import { reloadBench } from "./reload.bench.js";
import { scaleBench } from "./scale.bench.js";
import { sideBySideBench } from "./sidebyside.bench.js";

/** `npm run bench [-- scenario ...]`: runs the named scenarios (all by default), prints tables. */
const SCENARIOS: Record<string, () => Promise<void>> = {
  metrics: metricsBench,
  scale: scaleBench,
  sidebyside: sideBySideBench,
  hung: hungBench,
  outage: outageBench,
  detection: detectionBench,
  queries: queriesBench,
  "dark-estate": darkEstateBench,
  regex: regexBench,
  kinds: kindsBench,
  push: pushBench,
  names: namesBench,
  quorum: quorumBench,
  flood: floodBench,
  reload: reloadBench,
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !(name in SCENARIOS));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown scenario ${unknown.join(", ")}; known: ${Object.keys(SCENARIOS).join(", ")}\n`,
  );
  process.exit(2);
}
process.stdout.write(
  `pantau bench — node ${process.versions.node}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}\n`,
);
for (const name of wanted.length > 0 ? wanted : Object.keys(SCENARIOS)) {
  await SCENARIOS[name]?.();
}
// configs, ledgers and Prometheus data of every scenario; BENCH_KEEP=1 leaves them to inspect
if (process.env.BENCH_KEEP !== "1")
  rmSync(join(tmpdir(), "pantau-bench"), { recursive: true, force: true });
