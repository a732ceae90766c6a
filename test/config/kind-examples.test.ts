/**
 * The shipped config's commented examples of the dns and grpc kinds stay valid: uncommented,
 * they load beside the estate and resolve to what their comments say.
 */
import { describe, expect, it } from "vitest";
import { shippedWithExamples } from "../support/shipped-examples.js";

describe("config/pantau.yaml: the dns and grpc examples", () => {
  it("load, uncommented, beside the estate", () => {
    const config = shippedWithExamples("other prober kinds (uncomment to use)");
    const byId = new Map(config.targets.map((target) => [target.id, target]));
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
