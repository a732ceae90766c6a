import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startOnFakeTime } from "../support/daemon-on-fake-time.js";
import { memoryLogger } from "../support/memory-log.js";
import { parsePromText, sampleValue } from "../support/prom-text.js";
import { startReceiver } from "../support/servers/receiver.js";
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
    const receiver = await startReceiver((path, body) => {
      if (path === "/api/v2/alerts") posts.push(JSON.parse(body) as PostedAlert[]);
    });
    const core = await startSwitchServer();
    const portal = await startSwitchServer();
    const config = join(dir, "pantau.yaml");
    writeFileSync(
      config,
      [
        "global: { interval: 200ms, timeout: 150ms, failure_threshold: 2, instance: am-test }",
        `storage: { path: ${join(dir, "ledger.db")} }`,
        `alertmanager: { url: "${receiver.url}", resend: 1m, labels: { team: sre-imigrasi } }`,
        "targets:",
        `  - { id: simkim-core, service: immigration-core, http: { url: "${core.url}" } }`,
        `  - { id: portal, depends_on: [simkim-core], http: { url: "${portal.url}" } }`,
        "",
      ].join("\n"),
    );
    const fake = await startOnFakeTime(
      { configFile: config, logger: memoryLogger("warn").logger, listen: "none" },
      { stepMs: 50 },
    );
    const { daemon } = fake;
    try {
      const alerts = () => posts.flat();
      const firing = (target: string) =>
        alerts().find((a) => a.labels.target === target && a.endsAt === undefined) ??
        alerts().find((a) => a.labels.target === target);
      core.setUp(false);
      await fake.until(() => firing("simkim-core"), { what: "simkim-core's alert" });
      portal.setUp(false);
      await fake.until(() => firing("portal"), { what: "portal's alert" });
      expect(firing("simkim-core")?.labels).toMatchObject({
        alertname: "PantauTargetDown",
        severity: "critical",
        instance: "am-test",
        team: "sre-imigrasi",
      });
      expect(firing("portal")?.labels).toMatchObject({
        severity: "info",
        blocked_by: "simkim-core",
      });
      const [outage] = await daemon.ledger.outages({ targetId: "simkim-core" });
      expect(firing("simkim-core")?.startsAt).toBe(new Date(outage!.start).toISOString());
      // the receiver has a post as soon as its body is in; the daemon counts it on the answer
      const answered = async () =>
        parsePromText(await daemon.metrics.render())
          .filter((sample) => sample.name === "pantau_alertmanager_posts_total")
          .reduce((sum, sample) => sum + sample.value, 0);
      await fake.until(async () => (await answered()) >= posts.length, {
        what: "an answer to every post",
      });
      const samples = parsePromText(await daemon.metrics.render());
      expect(sampleValue(samples, "pantau_alertmanager_posts_total", { result: "ok" })).toBe(
        posts.length,
      );
    } finally {
      await daemon.stop();
      await core.close();
      await portal.close();
      await receiver.close();
    }
  });
});
