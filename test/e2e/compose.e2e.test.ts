import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";

/**
 * compose.yaml as Docker Compose itself reads it (`config`: parse, validate against its schema,
 * interpolate, resolve paths; no engine needed): the Compose v2 plugin when the docker client has
 * it, else Debian's docker-compose (1.29, which scripts/e2e-setup.sh installs), which predates the
 * top-level `name` and is given the file without that line. Both profiles are read, every bind
 * mount's source resolves to a path that exists, and a broken file is refused.
 */

const ROOT = resolve(".");
const dir = mkdtempSync(join(tmpdir(), "pantau-compose-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Resolved {
  services: Record<string, { volumes?: (string | { type: string; source: string })[] }>;
}

const plugin = spawnSync("docker", ["compose", "version"], { encoding: "utf8" }).status === 0;

/** `compose config` on `text` (compose.yaml by default) with `profiles`: exit code, output. */
function composeConfig(profiles: string[], text = readFileSync("compose.yaml", "utf8")) {
  const file = join(dir, "compose.yaml");
  writeFileSync(file, plugin ? text : text.replace(/^name: .*\n/m, ""));
  const args = [
    "-f",
    file,
    "--project-directory",
    ROOT,
    ...profiles.flatMap((p) => ["--profile", p]),
  ];
  const run = plugin
    ? spawnSync("docker", ["compose", ...args, "config"], { encoding: "utf8" })
    : spawnSync("docker-compose", [...args, "config"], { encoding: "utf8" });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

/** Bind-mount sources of every service, as Compose resolved them. */
function bindSources(resolved: Resolved): string[] {
  return Object.values(resolved.services).flatMap((service) =>
    (service.volumes ?? []).flatMap((volume) => {
      if (typeof volume !== "string") return volume.type === "bind" ? [volume.source] : [];
      const source = volume.split(":")[0] ?? "";
      return isAbsolute(source) ? [source] : [];
    }),
  );
}

describe(`compose.yaml read by ${plugin ? "docker compose" : "docker-compose"}`, () => {
  it.each([
    ["the default profile", [], ["alertmanager", "grafana", "pantau", "prometheus"]],
    ["the demo profile", ["demo"], ["estate", "pantau-demo"]],
  ])("accepts %s, every bind mount from a path that exists", (_name, profiles, services) => {
    const run = composeConfig(profiles);
    expect(run.err).not.toMatch(/invalid|error/i);
    expect(run.code, run.err).toBe(0);
    const resolved = parse(run.out) as Resolved;
    expect(Object.keys(resolved.services)).toEqual(expect.arrayContaining(services));
    const sources = bindSources(resolved);
    expect(sources.length).toBeGreaterThanOrEqual(6);
    for (const source of sources) {
      expect(source.startsWith(ROOT), source).toBe(true);
      expect(existsSync(source), source).toBe(true);
    }
  });

  it("refuses a service key Compose does not know (the check has teeth)", () => {
    const broken = readFileSync("compose.yaml", "utf8").replace("    hostname:", "    hostnam:");
    const run = composeConfig([], broken);
    expect(run.code).not.toBe(0);
    expect(run.err).toMatch(/hostnam/);
  });
});
