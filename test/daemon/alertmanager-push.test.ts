import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Daemon } from "../../src/daemon.js";
import { memoryLogger } from "../support/memory-log.js";
import { parsePromText, sampleValue } from "../support/prom-text.js";
import { startSwitchServer } from "../support/servers/switch.js";

const dir = mkdtempSync(join(tmpdir(), "pantau-am-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface PostedAlert {
  labels: Record<string, string>;
  startsAt: string;
  endsAt?: string;
}

describe("a daemon with alertmanager configured", () => {
  it("pages for the root outage, marks its blocked dependant info, and counts the posts", async () => {
    const posts: PostedAlert[][] = [];
    const receiver = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => {
        body += chunk.toString("utf8");
      });
      req.on("end", () => {
        if (req.url === "/api/v2/alerts") posts.push(JSON.parse(body) as PostedAlert[]);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    const amPort = (receiver.address() as AddressInfo).port;
    const core = await startSwitchServer();
    const portal = await startSwitchServer();
    const config = join(dir, "pantau.yaml");
    writeFileSync(
      config,
      [
        "global: { interval: 200ms, timeout: 150ms, failure_threshold: 2, instance: am-test }",
        `storage: { path: ${join(dir, "ledger.db")} }`,
        `alertmanager: { url: "http://127.0.0.1:${amPort}", resend: 1m, labels: { team: sre-imigrasi } }`,
        "targets:",
        `  - { id: simkim-core, service: immigration-core, http: { url: "${core.url}" } }`,
        `  - { id: portal, depends_on: [simkim-core], http: { url: "${portal.url}" } }`,
        "",
      ].join("\n"),
    );
    const daemon = await Daemon.start({
      configFile: config,
      logger: memoryLogger("warn").logger,
      listen: "none",
    });
    try {
      const alerts = () => posts.flat();
      const firing = (target: string) =>
        alerts().find((a) => a.labels.target === target && a.endsAt === undefined) ??
        alerts().find((a) => a.labels.target === target);
      core.setUp(false);
      for (let i = 0; i < 100 && !firing("simkim-core"); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      portal.setUp(false);
      for (let i = 0; i < 100 && !firing("portal"); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(firing("simkim-core")?.labels).toMatchObject({
        alertname: "PantauTargetDown",
        severity: "page",
        instance: "am-test",
        team: "sre-imigrasi",
      });
      expect(firing("portal")?.labels).toMatchObject({
        severity: "info",
        blocked_by: "simkim-core",
      });
      const [outage] = await daemon.ledger.outages({ targetId: "simkim-core" });
      expect(firing("simkim-core")?.startsAt).toBe(new Date(outage!.start).toISOString());
      const samples = parsePromText(await daemon.metrics.render());
      expect(sampleValue(samples, "pantau_alertmanager_posts_total", { result: "ok" })).toBe(
        posts.length,
      );
    } finally {
      await daemon.stop();
      await core.close();
      await portal.close();
      await new Promise((resolve) => receiver.close(resolve));
    }
  });
});
