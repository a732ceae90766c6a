import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { restartOnlyChanges } from "../../src/config/restart-only.js";
import type { Config } from "../../src/config/types.js";

function configOf(lines: string[]): Config {
  const loaded = parseConfig(`${lines.join("\n")}\n`, "pantau.yaml", {}, { hostname: "h" });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  return loaded.config;
}

const pg = (url: string) =>
  configOf([
    "global: { ha_group: jkt }",
    `storage: { url: "${url}" }`,
    `alertmanager: { url: "${url.replace("postgres", "http")}" }`,
    "targets: []",
  ]);

describe("restartOnlyChanges", () => {
  it("finds nothing when only reloadable keys change", () => {
    const running = configOf(["storage: { max_pending: 5 }", "targets: []"]);
    const next = configOf([
      "global: { interval: 1m, canaries: [] }",
      "server: { bearer_token: t }",
      "storage: { max_pending: 9 }",
      "targets: []",
    ]);
    expect(restartOnlyChanges(running, next, { listenOverridden: false })).toEqual([]);
  });

  it("says a URL changed without showing what differs when only its credentials or parameters do", () => {
    const running = pg("postgres://pantau:old@db:5432/pantau?sslmode=disable");
    const next = pg("postgres://pantau:n3w@db:5432/pantau?sslmode=require");
    const changes = restartOnlyChanges(running, next, { listenOverridden: false });
    expect(changes).toEqual([
      {
        path: ["storage", "url"],
        message:
          "the file changes its credentials or parameters: changing storage.url takes a restart",
      },
      {
        path: ["alertmanager", "url"],
        message:
          "the file changes its credentials or parameters: changing alertmanager.url takes a restart",
      },
    ]);
    expect(JSON.stringify(changes)).not.toMatch(/old|n3w|sslmode/);
  });

  it("compares labels whatever their order in the file", () => {
    const am = (labels: string) =>
      configOf([`alertmanager: { url: "http://am:9093", labels: ${labels} }`, "targets: []"]);
    const changes = restartOnlyChanges(am("{ a: x, b: y }"), am("{ b: y, a: x }"), {
      listenOverridden: false,
    });
    expect(changes).toEqual([]);
  });
});
