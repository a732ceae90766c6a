import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { SimListenError } from "../../src/sim/endpoint.js";
import { Estate } from "../../src/sim/estate.js";
import { genericPlan, immigrationEstatePlan } from "../../src/sim/plan.js";
import { unusedPort } from "../support/servers/loopback.js";
import { settleOpenTcpSockets } from "../support/socket-leaks.js";
import { get } from "./http-get.js";

const estates: Estate[] = [];

async function start(options: Parameters<typeof Estate.start>[0]): Promise<Estate> {
  const estate = await Estate.start(options);
  estates.push(estate);
  return estate;
}

afterEach(async () => {
  await Promise.all(estates.splice(0).map((estate) => estate.close()));
  expect(await settleOpenTcpSockets()).toBe(0);
});

describe("the estate plan", () => {
  it("has the ids, services, sites and dependencies of config/pantau.yaml (canaries aside)", () => {
    const parsed = parseConfig(
      readFileSync("config/pantau.yaml", "utf8"),
      "pantau.yaml",
      {},
      {
        hostname: "test",
      },
    );
    if (!parsed.ok) throw new Error("config/pantau.yaml does not parse");
    const shipped = parsed.config.targets
      .filter((target) => !parsed.config.global.canaries.includes(target.id))
      .map((t) => ({
        id: t.id,
        name: t.name,
        service: t.service,
        site: t.site,
        dependsOn: t.dependsOn,
      }));
    const planned = immigrationEstatePlan().map((p) => ({
      id: p.id,
      name: p.name,
      service: p.service,
      site: p.site,
      dependsOn: p.dependsOn,
    }));
    expect(planned).toEqual(shipped);
  });

  it("names generic endpoints gen-0000 … with enough digits", () => {
    expect(genericPlan(3).map((p) => p.id)).toEqual(["gen-0000", "gen-0001", "gen-0002"]);
    expect(genericPlan(12_000).at(-1)?.id).toBe("gen-11999");
  });
});

describe("Estate", () => {
  it("serves N generic endpoints, each on its own port and answering as itself", async () => {
    const estate = await start({ plan: genericPlan(50) });
    const served = estate.served();
    expect(served).toHaveLength(50);
    expect(new Set(served.map((s) => new URL(s.url).port)).size).toBe(50);
    const answers = await Promise.all(served.map((s) => get(s.url)));
    expect(answers.map((a) => ("endpoint" in a ? a.endpoint : a.error))).toEqual(
      served.map((s) => s.plan.id),
    );
  });

  it("tells of each request as it arrives, before answering it, hanging ones too", async () => {
    const arrived: string[] = [];
    const estate = await start({ plan: genericPlan(2), onRequest: (id) => arrived.push(id) });
    await estate.setBehaviour("gen-0001", { behaviour: "down", mode: "hang" });
    const [first, second] = estate.served();
    expect(await get(first?.url ?? "")).toMatchObject({ status: 200 });
    expect(await get(second?.url ?? "", 200)).toEqual({ error: "timeout" });
    expect(arrived).toEqual(["gen-0000", "gen-0001"]);
    await estate.setBehaviour("gen-0000", { behaviour: "down", mode: "refused" });
    expect(await get(first?.url ?? "")).toEqual({ error: "ECONNREFUSED" });
    expect(arrived).toEqual(["gen-0000", "gen-0001"]);
  });

  it("serves the estate at the path a monitor requests", async () => {
    const estate = await start({ plan: immigrationEstatePlan() });
    const paths = estate.served().map(({ plan, url }) => [plan.id, new URL(url).pathname]);
    expect(paths.slice(0, 5)).toEqual([
      ["simkim-core", "/health"],
      ["portal-imigrasi", "/"],
      ["evisa", "/api/health"],
      ["m-paspor", "/api/health"],
      ["autogate-cgk", "/health"],
    ]);
  });

  it("switches by id or glob and reports what matched", async () => {
    const estate = await start({ plan: immigrationEstatePlan() });
    const manual = { behaviour: "degraded", mode: "manual" } as const;
    expect(await estate.setBehaviour("autogate-*", manual)).toEqual([
      "autogate-cgk",
      "autogate-dps",
      "autogate-kno",
      "autogate-sub",
      "autogate-yia",
      "autogate-upg",
      "autogate-bth",
      "autogate-mdc",
    ]);
    expect(
      await estate.setBehaviour("simkim-core", { behaviour: "down", mode: "refused" }),
    ).toEqual(["simkim-core"]);
    expect(await estate.setBehaviour("nothing-*", { behaviour: "up" })).toEqual([]);
    const byId = new Map(estate.served().map((s) => [s.plan.id, s.url]));
    expect(await get(byId.get("autogate-mdc") ?? "")).toMatchObject({
      body: '{"status":"ok","mode":"manual"}',
    });
    expect(await get(byId.get("simkim-core") ?? "")).toEqual({ error: "ECONNREFUSED" });
    expect(await get(byId.get("evisa") ?? "")).toMatchObject({ status: 200 });
  });

  it("listens on consecutive ports from a base port", async () => {
    const estate = await startOnFreeBase(3);
    const ports = estate.served().map((s) => Number(new URL(s.url).port));
    expect(ports).toEqual([ports[0], (ports[0] ?? 0) + 1, (ports[0] ?? 0) + 2]);
  });

  it("fails with the port it could not open, and closes the others", async () => {
    const { blocker, port } = await blockNextPort();
    try {
      const failure = await Estate.start({ plan: genericPlan(2), basePort: port }).catch(
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(SimListenError);
      expect((failure as Error).message).toBe(
        `cannot listen on 127.0.0.1:${port + 1} (EADDRINUSE)`,
      );
      expect(await get(`http://127.0.0.1:${port}/`)).toEqual({ error: "ECONNREFUSED" });
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

/** A free port whose neighbour (port + 1) this test holds; retried when the neighbour is taken. */
async function blockNextPort(): Promise<{ blocker: Server; port: number }> {
  for (let attempt = 0; ; attempt++) {
    const port = await unusedPort();
    const blocker = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      blocker.once("error", () => resolve(false));
      blocker.listen(port + 1, "127.0.0.1", () => resolve(true));
    });
    if (bound) return { blocker, port };
    if (attempt >= 10) throw new Error("no free pair of ports");
  }
}

/** Ephemeral ports are free one at a time: retry when a neighbour happens to be taken. */
async function startOnFreeBase(count: number): Promise<Estate> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await start({ plan: genericPlan(count), basePort: await unusedPort() });
    } catch (error) {
      if (!(error instanceof SimListenError) || attempt >= 5) throw error;
    }
  }
}
