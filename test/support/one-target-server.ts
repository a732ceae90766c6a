import type { ExpositionFormat } from "../../src/expose/exposition.js";
import { PantauMetrics } from "../../src/expose/metrics.js";
import {
  type HttpServerContext,
  type HttpServerHandle,
  startHttpServer,
} from "../../src/expose/server.js";
import { memoryLogger } from "./memory-log.js";
import { makeResult, makeTarget } from "./targets.js";

/** The real HTTP server on 127.0.0.1 (an OS-chosen port), its metrics holding one probed target. */
export async function startOneTargetServer(
  overrides: Partial<HttpServerContext> = {},
): Promise<HttpServerHandle> {
  const metrics = new PantauMetrics({ version: "9.9.9", defaultMetrics: false });
  const target = makeTarget("core", { service: "immigration-core", site: "pdns2" });
  metrics.syncTargets([target], () => undefined);
  metrics.probeCompleted(target, makeResult("ok", Date.UTC(2024, 5, 20)));
  return startHttpServer(
    { host: "127.0.0.1", port: 0 },
    {
      renderMetrics: (format: ExpositionFormat) => metrics.exposition(format),
      version: "9.9.9",
      readiness: () => ({ ready: true }),
      reload: async () => ({ status: 200, body: {} }),
      api: {},
      bearerToken: () => null,
      logger: memoryLogger().logger,
      ...overrides,
    },
  );
}
