/**
 * One hop of an HTTP probe: the endpoint its URL names, connected with the probe's settings,
 * and the exchange of the version the target speaks (http-exchange.ts for HTTP/1.1,
 * http2-exchange.ts for HTTP/2).
 */
import type { IpFamily, TlsSettings } from "../fields/connection-fields.js";
import type { Endpoint } from "./connection.js";
import { ProbeFailure } from "./failure.js";
import { exchangeHttp1, type HttpRequest } from "./http-exchange.js";
import { exchangeHttp2 } from "./http2-exchange.js";
import type { ReadLimits, ReadResponse } from "./response-reader.js";
import type { ProbeContext } from "./run.js";

/** 1.1 (the default), 2 (h2 by ALPN over TLS), 2c (h2 over TLS, and h2c in cleartext). */
export type HttpVersion = "1.1" | "2" | "2c";

/** What every hop of a probe connects with. */
export interface HopSettings {
  version: HttpVersion;
  ipFamily: IpFamily;
  sourceIpAddress: string | null;
  resolver: readonly string[] | null;
  tls: TlsSettings;
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { "http:": 80, "https:": 443 };
// Node's HTTP/1.1 client speaks nothing else: never let the server pick h2
const HTTP1_ALPN = ["http/1.1"];
const NO_ALPN: string[] = [];

export function exchange(
  request: HttpRequest,
  hop: HopSettings,
  limits: ReadLimits,
  context: ProbeContext,
): Promise<ReadResponse> {
  const { url } = request;
  const secure = url.protocol === "https:";
  const endpoint: Endpoint = {
    host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: url.port === "" ? (DEFAULT_PORTS[url.protocol] ?? 80) : Number(url.port),
    ipFamily: hop.ipFamily,
    sourceIpAddress: hop.sourceIpAddress,
    resolver: hop.resolver,
    tls: secure ? hop.tls : null,
    alpn: secure ? HTTP1_ALPN : NO_ALPN,
  };
  if (hop.version === "1.1") return exchangeHttp1(request, endpoint, limits, context);
  if (secure || hop.version === "2c") return exchangeHttp2(request, endpoint, limits, context);
  // only a redirect gets here: the config refuses an http:// URL with version 2
  return Promise.reject(
    new ProbeFailure(
      "protocol",
      `redirect to ${url.protocol}// cannot use HTTP/2: h2 is chosen in TLS (version 2c speaks it in cleartext)`,
    ),
  );
}
