/** Endpoints as shown in metric labels and logs: never with credentials or a query string. */
import type { ProbeSpec } from "../config/types.js";

/** `https://www.imigrasi.go.id/`, `tcp://simkim.internal.example:443`. */
export function describeEndpoint(spec: ProbeSpec): string {
  if (spec.kind === "tcp") {
    const host = spec.host.includes(":") ? `[${spec.host}]` : spec.host;
    return `tcp://${host}:${spec.port}`;
  }
  try {
    return describeUrl(new URL(spec.url));
  } catch {
    // not a URL (config validates this): cut what could carry secrets by hand
    return spec.url.replace(/\/\/[^/@]*@/, "//").replace(/[?#].*$/, "");
  }
}

/** The URL without userinfo, query string or fragment. */
export function describeUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}
