/**
 * PURE: what `/` answers — a small index of the daemon's endpoints and its version, as
 * exporters' landing pages do: HTML for a browser (it asks for text/html), plain text for
 * `curl`. Links are relative, so they still work behind a proxy that serves pantau under a path.
 */

const LINKS: readonly (readonly [path: string, what: string])[] = [
  ["metrics", "Prometheus metrics (OpenMetrics when asked for, gzip when accepted)"],
  ["api/v1/targets", "every target: state, since when, last probe"],
  ["api/v1/outages?open=true", "open outages"],
  ["api/v1/report?since=-24h", "availability and outages over the last 24 hours"],
  ["-/healthy", "liveness"],
  ["-/ready", "readiness, and why not"],
];

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (char) => HTML_ESCAPES[char] ?? char);
}

export function indexPage(
  version: string,
  accept: string | undefined,
): { contentType: string; body: string } {
  if (accept?.includes("text/html")) {
    const items = LINKS.map(
      ([path, what]) => `<li><a href="${escapeHtml(path)}">/${escapeHtml(path)}</a> — ${what}</li>`,
    );
    const body = [
      "<!doctype html>",
      '<html lang="en"><head><meta charset="utf-8"><title>pantau</title></head><body>',
      `<h1>pantau</h1><p>Health-check monitoring daemon, version ${escapeHtml(version)}.</p>`,
      `<ul>${items.join("")}</ul>`,
      "</body></html>",
      "",
    ].join("\n");
    return { contentType: "text/html; charset=utf-8", body };
  }
  const width = Math.max(...LINKS.map(([path]) => path.length)) + 3;
  const lines = LINKS.map(([path, what]) => `/${path.padEnd(width)}${what}`);
  return {
    contentType: "text/plain; charset=utf-8",
    body: `pantau ${version}\n\n${lines.join("\n")}\n`,
  };
}
