import { readFile } from "node:fs/promises";
import { LineCounter, parseDocument } from "yaml";
import type { ConfigIssue } from "../fields/errors.js";
import { type ConfigPath, formatPath } from "../fields/path-issue.js";
import { formatDuration } from "../fields/units.js";
import { createLocator } from "./locate.js";
import type { AlertmanagerSettings, Config, QuorumSettings } from "./types.js";

/** A key the daemon reads only when it starts, changed by a reloaded file. */
export interface RestartOnlyChange {
  /** Written path: `["storage", "path"]`. */
  path: ConfigPath;
  /** `the running daemon uses "a.db", the file says "b.db": changing storage.path takes a restart` */
  message: string;
}

export interface RestartOnlyOptions {
  /** `--listen` replaces `server.listen`: the file's value is not the one bound. */
  listenOverridden: boolean;
}

const quoted = (value: string | null) => (value === null ? "none" : JSON.stringify(value));

/** Scheme, host, port and database only: a URL's credentials and parameters are never shown. */
function withoutSecrets(url: string | null): string {
  if (url === null) return "none";
  try {
    const parsed = new URL(url);
    return JSON.stringify(`${parsed.protocol}//${parsed.host}${parsed.pathname}`);
  } catch {
    return "an unparsable URL";
  }
}

function change(path: string, running: string, configured: string): RestartOnlyChange {
  // equal once secrets are hidden: what differs is not shown
  const what =
    running === configured
      ? "the file changes its credentials or parameters"
      : `the running daemon uses ${running}, the file says ${configured}`;
  return { path: path.split("."), message: `${what}: changing ${path} takes a restart` };
}

/**
 * What `next` changes of the keys read only at start: the ledger (`storage` but for
 * `max_pending`), the run's instance, the scheduler's slots, the bound address and the
 * Alertmanager notifier. A reload with any of them is refused whole, like an HA pair change.
 */
export function restartOnlyChanges(
  running: Config,
  next: Config,
  options: RestartOnlyOptions,
): RestartOnlyChange[] {
  const changes: RestartOnlyChange[] = [];
  const compare = (path: string, a: string, b: string) => {
    if (a !== b) changes.push(change(path, a, b));
  };
  compare("global.instance", quoted(running.global.instance), quoted(next.global.instance));
  compare(
    "global.max_in_flight",
    String(running.global.maxInFlight),
    String(next.global.maxInFlight),
  );
  if (!options.listenOverridden) {
    compare("server.listen", quoted(running.server.listen), quoted(next.server.listen));
  }
  compare("storage.path", quoted(running.storage.path), quoted(next.storage.path));
  if (running.storage.url !== next.storage.url) {
    changes.push(
      change("storage.url", withoutSecrets(running.storage.url), withoutSecrets(next.storage.url)),
    );
  }
  compare(
    "storage.heartbeat",
    formatDuration(running.storage.heartbeat),
    formatDuration(next.storage.heartbeat),
  );
  changes.push(...alertmanagerChanges(running.alertmanager, next.alertmanager));
  compare("quorum", describeQuorum(running.quorum), describeQuorum(next.quorum));
  return changes;
}

/** `group "estate", min_down 2, dead_after 15s` */
function describeQuorum(quorum: QuorumSettings | null): string {
  if (quorum === null) return "no quorum";
  const { group, minDown, deadAfter } = quorum;
  const min = "count" in minDown ? String(minDown.count) : `${minDown.percent}%`;
  return `group ${JSON.stringify(group)}, min_down ${min}, dead_after ${formatDuration(deadAfter)}`;
}

function alertmanagerChanges(
  running: AlertmanagerSettings | null,
  next: AlertmanagerSettings | null,
): RestartOnlyChange[] {
  if (running === null && next === null) return [];
  if (running === null || next === null) {
    const pushes = (s: AlertmanagerSettings | null) =>
      s === null ? "no Alertmanager" : `Alertmanager ${withoutSecrets(s.url)}`;
    return [change("alertmanager", pushes(running), pushes(next))];
  }
  const changes: RestartOnlyChange[] = [];
  if (running.url !== next.url) {
    changes.push(change("alertmanager.url", withoutSecrets(running.url), withoutSecrets(next.url)));
  }
  if (running.resend !== next.resend) {
    changes.push(
      change("alertmanager.resend", formatDuration(running.resend), formatDuration(next.resend)),
    );
  }
  const labels = (s: AlertmanagerSettings) =>
    JSON.stringify(
      Object.fromEntries(Object.entries(s.labels).sort(([a], [b]) => (a < b ? -1 : 1))),
    );
  if (labels(running) !== labels(next)) {
    changes.push(change("alertmanager.labels", labels(running), labels(next)));
  }
  return changes;
}

/**
 * The changes as config issues, each at its key's line and column in the reloaded file (the
 * nearest enclosing key when the file leaves it to its default).
 */
export async function restartOnlyIssues(
  running: Config,
  next: Config,
  options: RestartOnlyOptions,
): Promise<ConfigIssue[]> {
  const changes = restartOnlyChanges(running, next, options);
  if (changes.length === 0) return [];
  const lineCounter = new LineCounter();
  // the file just loaded; read again only to place the issues (1:1 if it is gone meanwhile)
  const text = await readFile(next.file, "utf8").catch(() => "");
  const locate = createLocator(parseDocument(text, { lineCounter }), lineCounter);
  return changes.map(({ path, message }) => ({
    code: "CONFIG_INVALID",
    file: next.file,
    ...locate(path, "value"),
    path: formatPath(path),
    message,
  }));
}
