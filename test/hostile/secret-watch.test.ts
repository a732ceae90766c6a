/**
 * The canary net itself: each watched channel records a leak (which this file then clears, so
 * it does not fail at its end as a real leak would), and the canary is recognised in base64.
 */
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { memoryLogger } from "../support/memory-log.js";
import { findCanary, recordedLeaks, SECRET_CANARY } from "../support/secret-canary.js";

const printCanary = ["-e", `process.stdout.write(${JSON.stringify(`token=${SECRET_CANARY}\n`)})`];

/** The leaks recorded by `act`, taken out of the list. */
async function leaksOf(act: () => Promise<void> | void): Promise<string[]> {
  recordedLeaks().splice(0);
  await act();
  return recordedLeaks().splice(0);
}

afterEach(() => {
  recordedLeaks().splice(0);
});

describe("the canary", () => {
  it.each([
    ["as is", `x-api-key: ${SECRET_CANARY}`],
    ...[0, 1, 2, 3, 4].map((pad): [string, string] => [
      `in a Basic header, user name of ${pad} characters`,
      `authorization: Basic ${Buffer.from(`${"u".repeat(pad)}:${SECRET_CANARY}`).toString("base64")}`,
    ]),
    ["in base64 with text after it", Buffer.from(`a${SECRET_CANARY}bcdef`).toString("base64")],
  ])("is found %s", (_how, text) => {
    expect(findCanary(text)).toHaveLength(1);
  });

  it("is not found in text without it", () => {
    expect(
      findCanary(`${SECRET_CANARY.slice(0, -1)} ${Buffer.from("ops:x").toString("base64")}`),
    ).toEqual([]);
  });
});

describe("secret-watch.ts records a leak", () => {
  it("in a spawned child's output (imported spawn)", async () => {
    const leaks = await leaksOf(async () => {
      const child = spawn(process.execPath, printCanary, { stdio: ["ignore", "pipe", "pipe"] });
      let seen = "";
      child.stdout.on("data", (chunk: Buffer) => {
        seen += chunk.toString();
      });
      await once(child, "close");
      // the test's own listener still gets every byte
      expect(seen).toBe(`token=${SECRET_CANARY}\n`);
    });
    expect(leaks).toHaveLength(1);
    expect(leaks[0]).toMatch(/^stdout of .*node -e/);
  });

  it("in spawnSync's output", async () => {
    const leaks = await leaksOf(() => {
      spawnSync(process.execPath, printCanary);
    });
    expect(leaks).toHaveLength(1);
  });

  it("in an in-process logger", async () => {
    const leaks = await leaksOf(() => {
      memoryLogger("info").logger.info({ event: "x", header: SECRET_CANARY }, "leaking");
    });
    expect(leaks).toHaveLength(1);
    expect(leaks[0]).toMatch(/^an in-process logger: /);
  });

  it("in what the test itself logs", async () => {
    const leaks = await leaksOf(() => {
      console.debug("header was %s", SECRET_CANARY);
    });
    expect(leaks).toHaveLength(1);
    expect(leaks[0]).toMatch(/^console\.debug in the test: /);
  });

  it("in an API answer fetched from loopback", async () => {
    const server = createServer((_req, res) => res.end(`{"detail":"${SECRET_CANARY}"}`));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const leaks = await leaksOf(async () => {
        await (await fetch(`http://127.0.0.1:${port}/api/v1/targets`)).text();
        await new Promise((resolve) => setTimeout(resolve, 50));
      });
      expect(leaks).toHaveLength(1);
      expect(leaks[0]).toMatch(/^GET \/api\/v1\/targets: /);
    } finally {
      server.close();
    }
  });
});
