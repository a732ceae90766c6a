import type { ExpositionFormat } from "./exposition.js";

/**
 * PURE: which format and encoding a scrape asked for, as the Prometheus client libraries decide
 * it. Prometheus 2.x sends `application/openmetrics-text;version=1.0.0,…;q=0.75,
 * text/plain;version=0.0.4;q=0.5,*\/*;q=0.1` and `Accept-Encoding: gzip`; a plain `curl` sends
 * `*\/*` and no encoding, and gets the classic text uncompressed.
 */

interface Accepted {
  type: string;
  params: ReadonlyMap<string, string>;
  q: number;
}

/** `a/b;k=v;q=0.5, c/d` → entries with their parameters and quality (1 when absent). */
function parseList(header: string): Accepted[] {
  const entries: Accepted[] = [];
  for (const part of header.split(",")) {
    const [type = "", ...rest] = part.split(";").map((piece) => piece.trim());
    if (type === "") continue;
    const params = new Map<string, string>();
    for (const piece of rest) {
      const eq = piece.indexOf("=");
      if (eq > 0) {
        const value = piece.slice(eq + 1).trim();
        params.set(piece.slice(0, eq).trim().toLowerCase(), value.replace(/^"(.*)"$/, "$1"));
      }
    }
    const q = params.has("q") ? Number(params.get("q")) : 1;
    entries.push({ type: type.toLowerCase(), params, q: Number.isFinite(q) ? q : 0 });
  }
  return entries;
}

/** OpenMetrics versions whose text 1.0.0 answers (0.0.1 was its draft; client_golang does the same). */
const OPENMETRICS_VERSIONS = new Set(["1.0.0", "0.0.1"]);
/** 1.0.0 is the 0.0.4 text with UTF-8 names allowed; pantau's names are all classic ones. */
const TEXT_VERSIONS = new Set(["0.0.4", "1.0.0"]);

function formatOf(entry: Accepted): ExpositionFormat | null {
  const version = entry.params.get("version");
  if (entry.type === "application/openmetrics-text") {
    return version === undefined || OPENMETRICS_VERSIONS.has(version) ? "openmetrics" : null;
  }
  if (entry.type === "text/plain") {
    return version === undefined || TEXT_VERSIONS.has(version) ? "prometheus" : null;
  }
  return entry.type === "*/*" || entry.type === "text/*" ? "prometheus" : null;
}

/**
 * The most preferred format pantau speaks (highest q; the first listed among equals); the
 * classic text when the header is absent or names nothing pantau speaks (protobuf, say).
 */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  if (accept === undefined) return "prometheus";
  const ranked = parseList(accept)
    .filter((entry) => entry.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const entry of ranked) {
    const format = formatOf(entry);
    if (format !== null) return format;
  }
  return "prometheus";
}

/** Whether `Accept-Encoding` allows gzip: named (or `*`) with a quality above 0. */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (acceptEncoding === undefined) return false;
  const entries = parseList(acceptEncoding);
  const gzip = entries.find((entry) => entry.type === "gzip" || entry.type === "x-gzip");
  if (gzip !== undefined) return gzip.q > 0;
  return entries.some((entry) => entry.type === "*" && entry.q > 0);
}
