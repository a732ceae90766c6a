/**
 * The shipped config's commented examples of the dns and grpc kinds stay valid: uncommented,
 * they load beside the estate and resolve to what their comments say.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { formatConfigIssue } from "../../src/fields/errors.js";

const SHIPPED = "config/pantau.yaml";

/** The shipped file with the commented targets between `other prober kinds` and the next section uncommented. */
function uncommented(text: string): string {
  const lines = text.split("\n");
  const start = lines.findIndex((line) => line.includes("other prober kinds (uncomment to use)"));
  const end = lines.findIndex((line, i) => i > start && line.startsWith("  # ---"));
  expect(start, "the examples' heading").toBeGreaterThan(0);
  return [
    ...lines.slice(0, start + 1),
    ...lines
      .slice(start + 1, end)
      .filter((line) => /^ {2}# {1,2}[- ]/.test(line))
      .map((line) => line.replace(/^ {2}# /, "  ")),
    ...lines.slice(end),
  ].join("\n");
}

describe("config/pantau.yaml: the dns and grpc examples", () => {
  it("load, uncommented, beside the estate", () => {
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
    const byId = new Map(parsed.config.targets.map((target) => [target.id, target]));
    expect(byId.get("resolver-pdns2")?.probe).toMatchObject({
      kind: "dns",
      server: { host: "10.20.0.53", port: 53 },
      queryName: "simkim.imigrasi.internal.example",
      queryType: "A",
      transport: "udp",
      rules: {
        validRcodes: ["NOERROR"],
        sections: { answer: { failIfNoneMatches: ["\tA\t10\\.20\\.1\\.\\d+$"] } },
      },
    });
    expect(byId.get("simkim-grpc")).toMatchObject({
      dependsOn: ["resolver-pdns2"],
      probe: {
        kind: "grpc",
        host: "simkim.imigrasi.internal.example",
        port: 443,
        service: "simkim.v1.Core",
        tls: true,
        tlsSettings: { caFile: "/etc/pantau/ca.pem" },
      },
    });
  });
});
