/** probeTarget's dispatch on the prober kind, and endpoints as metric labels show them. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProbeSpec } from "../../src/config/types.js";
import { describeEndpoint, probeTarget } from "../../src/probe/index.js";
import { systemClock } from "../../src/time/clock.js";
import {
  acceptAndHold,
  respond,
  startHttpServer,
  startRawServer,
  type TestServer,
} from "../support/servers/loopback.js";
import { settleOpenTcpSockets } from "../support/socket-leaks.js";
import { httpTarget, tcpTarget } from "../support/targets.js";

const http = (url: string): ProbeSpec => httpTarget(url).probe;
const tcp = (host: string, port: number): ProbeSpec => tcpTarget(host, port).probe;

describe("describeEndpoint", () => {
  it.each([
    { spec: http("https://www.imigrasi.go.id/"), want: "https://www.imigrasi.go.id/" },
    { spec: http("https://www.imigrasi.go.id"), want: "https://www.imigrasi.go.id/" },
    {
      spec: http("https://probe:s3cret@api.example:8443/health?token=abc#x"),
      want: "https://api.example:8443/health",
    },
    { spec: http("http://[::1]:8080/status?verbose=1"), want: "http://[::1]:8080/status" },
    { spec: tcp("simkim.internal.example", 443), want: "tcp://simkim.internal.example:443" },
    { spec: tcp("::1", 22), want: "tcp://[::1]:22" },
    { spec: http("not a url?secret=1"), want: "not a url" },
  ])("$want", ({ spec, want }) => {
    expect(describeEndpoint(spec)).toBe(want);
  });
});

describe("probeTarget", () => {
  let web: TestServer;
  let port: TestServer;

  beforeAll(async () => {
    web = await startHttpServer(respond(200, "ok"));
    port = await startRawServer(acceptAndHold);
  });

  afterAll(async () => {
    await web.close();
    await port.close();
  });

  it("probes an http target with the HTTP prober", async () => {
    const result = await probeTarget(httpTarget(web.url("/")), { clock: systemClock });
    expect(result).toMatchObject({ result: "ok", status: 200, detail: "status 200" });
  });

  it("probes a tcp target with the TCP prober", async () => {
    const result = await probeTarget(tcpTarget(port.host, port.port), { clock: systemClock });
    expect(result).toMatchObject({ result: "ok", status: null, detail: "connected" });
  });

  it("leaves no client socket open", async () => {
    expect(await settleOpenTcpSockets(1000)).toBe(0);
  });
});
