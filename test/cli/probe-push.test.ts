import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { SECRET_CANARY } from "../support/secret-canary.js";

const dir = mkdtempSync(join(tmpdir(), "pantau-probe-push-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("pantau probe on a push target", () => {
  it("says it is not probed and exits 2, without showing its token", async () => {
    const config = join(dir, "pantau.yaml");
    writeFileSync(
      config,
      [
        "targets:",
        "  - id: nightly-sync",
        `    push: { token: ${SECRET_CANARY}, expect_every: 1m }`,
        "",
      ].join("\n"),
    );
    const result = await runCli(["probe", "--config", config, "nightly-sync"]);
    expect(result).toEqual({
      code: 2,
      stdout: "",
      stderr:
        'pantau probe: "nightly-sync" is a push target: a push target is not probed: it reports in (POST /api/v1/push/<id>)\n',
    });
  });
});
