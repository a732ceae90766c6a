/**
 * The shipped config's commented examples of the connection options (client certificate,
 * HTTP/2, source address, global.resolver) stay valid: uncommented, they parse beside the estate
 * and resolve to what their comments say. The files and the address are the operator's, so the
 * file is parsed (parseConfig), not loaded: nothing is read from this host.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { formatConfigIssue } from "../../src/fields/errors.js";

const SHIPPED = "config/pantau.yaml";
const HEADING = "connection options: client certificate, HTTP/2, source address";

function uncommented(text: string): string {
  const lines = text.split("\n");
  const start = lines.findIndex((line) => line.includes(HEADING));
  const end = lines.findIndex((line, i) => i > start && line.startsWith("  # ---"));
  expect(start, "the examples' heading").toBeGreaterThan(0);
  return [
    ...lines.slice(0, start + 1).map((line) => line.replace(/^ {2}# (resolver: )/, "  $1")),
    ...lines
      .slice(start + 1, end)
      .filter((line) => /^ {2}# {1,2}[- ]/.test(line))
      .map((line) => line.replace(/^ {2}# /, "  ")),
    ...lines.slice(end),
  ].join("\n");
}

describe("config/pantau.yaml: the connection examples", () => {
  it("parse, uncommented, beside the estate, to what their comments say", () => {
    const parsed = parseConfig(
      uncommented(readFileSync(SHIPPED, "utf8")),
      SHIPPED,
      {},
      {
        hostname: "docs",
      },
    );
    expect(parsed.ok ? [] : parsed.issues.map(formatConfigIssue)).toEqual([]);
    if (!parsed.ok) return;
    expect(parsed.config.global.resolver).toEqual(["10.20.0.53"]);
    const api = parsed.config.targets.find((target) => target.id === "simkim-api");
    expect(api).toMatchObject({
      dependsOn: ["simkim-core"],
      resolver: ["10.20.0.53"],
      probe: {
        kind: "http",
        url: "https://api.simkim.imigrasi.internal.example/health",
        version: "2",
        sourceIpAddress: "10.20.9.15",
        tls: {
          caFile: "/etc/pantau/ca.pem",
          certFile: "/etc/pantau/tls/probe.pem",
          keyFile: "/etc/pantau/tls/probe-key.pem",
        },
      },
    });
  });
});
