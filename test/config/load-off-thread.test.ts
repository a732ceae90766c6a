import { join } from "node:path";
import { createSecureContext } from "node:tls";
import { describe, expect, it } from "vitest";
import { type ConfigLoadResult, loadConfig } from "../../src/config/load.js";
import { loadConfigOffThread } from "../../src/config/load-off-thread.js";
import { restartOnlyIssues } from "../../src/config/restart-only.js";
import type { Config } from "../../src/config/types.js";
import type { HttpProbeSpec } from "../../src/probe/http.js";
import { testPki, writeTemp } from "../support/tls-certs.js";

/** A reload loads in a worker thread: what it gets must be exactly what loadConfig gives. */
const HOST = { hostname: "test-host" };
const FIXTURES = join(import.meta.dirname, "..", "fixtures", "config");

function configOf(result: ConfigLoadResult): Config {
  if (!result.ok) throw new Error(`not loaded: ${JSON.stringify(result.issues)}`);
  return result.config;
}

describe("loadConfigOffThread", { timeout: 120_000 }, () => {
  it.each([
    "CONFIG_DURATION.5x.yaml",
    "CONFIG_UNKNOWN_KEY.htpp.yaml",
    "CONFIG_DEPENDENCY_CYCLE.three.yaml",
    "CONFIG_TLS.missing-files.yaml",
    "CONFIG_YAML.unclosed-flow.yaml",
    "MANY.document-order.yaml",
  ])("reports %s with loadConfig's issues, file:line:col and all", async (name) => {
    const file = join(FIXTURES, name);
    const offThread = await loadConfigOffThread(file, {}, HOST);
    const onThread = await loadConfig(file, {}, HOST);
    expect(onThread.ok).toBe(false);
    expect(offThread).toEqual({ loaded: onThread, restartOnly: [] });
  });

  it("gives a valid config with its TLS files read into credentials on this thread", async () => {
    const pki = testPki();
    const file = writeTemp(
      "tls.yaml",
      [
        "targets:",
        "  - id: mtls",
        "    http:",
        "      url: https://127.0.0.1:9/",
        `      tls: { ca_file: ${pki.caFile}, cert_file: ${pki.files.clientCert}, key_file: ${pki.files.clientKey} }`,
        "  - { id: plain, tcp: { host: 127.0.0.1, port: 9 } }",
        "",
      ].join("\n"),
    );
    const offThread = configOf((await loadConfigOffThread(file, {}, HOST)).loaded);
    const onThread = configOf(await loadConfig(file, {}, HOST));
    const credentials = (config: Config) =>
      (config.targets[0]?.probe as HttpProbeSpec | undefined)?.tls.credentials;
    // a native context, made here: one cannot cross threads
    expect(credentials(offThread)?.secureContext).toBeInstanceOf(createSecureContext().constructor);
    expect(credentials(offThread)?.fingerprint).toBe(credentials(onThread)?.fingerprint);
    const withoutContexts = (config: Config) =>
      JSON.parse(JSON.stringify(config, (key, value) => (key === "secureContext" ? null : value)));
    expect(withoutContexts(offThread)).toEqual(withoutContexts(onThread));
  });

  it("compares restart-only settings with the running config, as restartOnlyIssues does", async () => {
    const write = (instance: string) =>
      writeTemp(
        "pantau.yaml",
        `global:\n  instance: ${instance}\ntargets:\n  - { id: a, tcp: { host: 127.0.0.1, port: 9 } }\n`,
      );
    const running = configOf(await loadConfig(write("jakarta-1"), {}, HOST));
    const file = write("jakarta-2");
    const options = { listenOverridden: false };
    const { loaded, restartOnly } = await loadConfigOffThread(file, {}, HOST, {
      config: running,
      options,
    });
    const expected = await restartOnlyIssues(running, configOf(loaded), options);
    expect(restartOnly).toEqual(expected);
    expect(restartOnly.map((issue) => `${issue.line}:${issue.col} ${issue.path}`)).toEqual([
      "2:13 global.instance",
    ]);
  });
});
