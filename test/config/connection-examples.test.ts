/**
 * The shipped config's commented examples of the connection options (client certificate,
 * HTTP/2, source address, global.resolver) stay valid: uncommented, they parse beside the estate
 * and resolve to what their comments say. The files and the address are the operator's, so the
 * file is parsed (parseConfig), not loaded: nothing is read from this host.
 */
import { describe, expect, it } from "vitest";
import { shippedWithExamples } from "../support/shipped-examples.js";

describe("config/pantau.yaml: the connection examples", () => {
  it("parse, uncommented, beside the estate, to what their comments say", () => {
    const config = shippedWithExamples(
      "connection options: client certificate, HTTP/2, source address",
      (line) => line.replace(/^ {2}# (resolver: )/, "  $1"),
    );
    expect(config.global.resolver).toEqual(["10.20.0.53"]);
    const api = config.targets.find((target) => target.id === "simkim-api");
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
