/**
 * What a target's connection needs from this host, checked when the config is loaded (start,
 * `pantau check`, every reload) so that a probe never fails for it: the TLS files (ca_file,
 * cert_file, key_file) read into credentials, and each source_ip_address assigned here and of
 * the family ip_family allows. Found in any prober block by the shared field names
 * (fields/connection-fields.ts), so a new kind that connects is checked without a line here.
 */
import { createSocket } from "node:dgram";
import { isIP } from "node:net";
import {
  resolveTls,
  type TlsCredentials,
  type TlsSettings,
  tlsFilesKey,
} from "../fields/connection-fields.js";
import { type ConfigPath, isRecord, type PathIssue, pathIssue } from "../fields/path-issue.js";
import { PROBER_KINDS } from "../probe/registry.js";
import { loadTlsCredentials, type TlsFileProblem } from "./tls-files.js";
import type { Config } from "./types.js";

interface TlsBlock {
  path: ConfigPath;
  settings: TlsSettings;
}

interface SourceAddress {
  /** Path of the `source_ip_address` key. */
  path: ConfigPath;
  address: string;
  ipFamily: unknown;
}

interface ConnectionBlocks {
  tls: TlsBlock[];
  sources: SourceAddress[];
}

const TLS_FILE_KEYS = ["ca_file", "cert_file", "key_file"] as const;
const FAMILY_OF: Readonly<Record<string, 4 | 6>> = { ipv4: 4, ipv6: 6 };

/** Pure: a source address of the family ip_family excludes (found on the target as written). */
export function connectionFamilyIssues(targets: readonly unknown[]): PathIssue[] {
  return targets.flatMap((target, index) =>
    connectionBlocks(target, index).sources.flatMap(familyIssue),
  );
}

function familyIssue(source: SourceAddress): PathIssue[] {
  const family = isIP(source.address);
  const wanted = typeof source.ipFamily === "string" ? FAMILY_OF[source.ipFamily] : undefined;
  if (family === 0 || wanted === undefined || family === wanted) return [];
  return [
    pathIssue(
      "CONFIG_SOURCE_ADDRESS",
      source.path,
      `"${source.address}" is an IPv${family} address; ip_family is ${String(source.ipFamily)}`,
    ),
  ];
}

/**
 * Reads the TLS files and checks the source addresses of `config`'s targets (this shard's),
 * whose blocks as written are `written` (after `each`, in the same order as the file): every
 * problem found, or none — then each TLS block of `config` carries its credentials.
 */
export async function loadConnectionResources(
  config: Config,
  written: readonly unknown[],
): Promise<PathIssue[]> {
  const probed = new Set(config.targets.map((target) => target.id));
  const blocks: ConnectionBlocks = { tls: [], sources: [] };
  written.forEach((target, index) => {
    if (!isRecord(target) || !probed.has(String(target.id))) return;
    const found = connectionBlocks(target, index);
    blocks.tls.push(...found.tls);
    blocks.sources.push(...found.sources);
  });
  const [tls, sourceIssues] = await Promise.all([
    readAllTls(blocks.tls),
    checkSources(blocks.sources),
  ]);
  const issues = [...tls.issues, ...sourceIssues];
  if (issues.length === 0) attachCredentials(config, tls.credentials);
  return issues;
}

/** The TLS blocks and source addresses of one target's prober block, wherever they sit in it. */
function connectionBlocks(target: unknown, index: number): ConnectionBlocks {
  const blocks: ConnectionBlocks = { tls: [], sources: [] };
  if (!isRecord(target)) return blocks;
  for (const kind of PROBER_KINDS) {
    const block = target[kind.key];
    if (isRecord(block)) collect(block, ["targets", index, kind.key], blocks);
  }
  return blocks;
}

function collect(block: Record<string, unknown>, path: ConfigPath, into: ConnectionBlocks): void {
  const source = block.source_ip_address;
  if (typeof source === "string" && source !== "") {
    into.sources.push({
      path: [...path, "source_ip_address"],
      address: source,
      ipFamily: block.ip_family,
    });
  }
  for (const [key, value] of Object.entries(block)) {
    if (!isRecord(value)) continue;
    if (TLS_FILE_KEYS.some((file) => typeof value[file] === "string" && value[file] !== "")) {
      into.tls.push({ path: [...path, key], settings: resolveTls(value) });
    } else {
      collect(value, [...path, key], into);
    }
  }
}

/** Each distinct set of files read once, however many targets name it. */
async function readAllTls(
  blocks: readonly TlsBlock[],
): Promise<{ credentials: Map<string, TlsCredentials>; issues: PathIssue[] }> {
  const loads = new Map<string, Promise<TlsCredentials | TlsFileProblem[]>>();
  for (const { settings } of blocks) {
    const key = tlsFilesKey(settings);
    if (key !== null && !loads.has(key)) loads.set(key, loadTlsCredentials(settings));
  }
  const credentials = new Map<string, TlsCredentials>();
  const issues: PathIssue[] = [];
  for (const { path, settings } of blocks) {
    const key = tlsFilesKey(settings);
    const loaded = key === null ? undefined : await loads.get(key);
    if (key === null || loaded === undefined) continue;
    if (!Array.isArray(loaded)) {
      credentials.set(key, loaded);
      continue;
    }
    for (const problem of loaded) {
      issues.push(pathIssue("CONFIG_TLS", [...path, problem.key], problem.message));
    }
  }
  return { credentials, issues };
}

async function checkSources(sources: readonly SourceAddress[]): Promise<PathIssue[]> {
  const checks = new Map<string, Promise<string | null>>();
  for (const { address } of sources) {
    if (isIP(address) !== 0 && !checks.has(address))
      checks.set(address, localAddressProblem(address));
  }
  const issues: PathIssue[] = [];
  for (const { path, address } of sources) {
    const problem = await checks.get(address);
    if (problem) issues.push(pathIssue("CONFIG_SOURCE_ADDRESS", path, problem));
  }
  return issues;
}

/**
 * Whether a socket can be bound to `address` here, asked of the kernel itself (a UDP bind,
 * nothing sent): the same answer a probe's connect would get, 127.0.0.2 included.
 */
function localAddressProblem(address: string): Promise<string | null> {
  const socket = createSocket(isIP(address) === 6 ? "udp6" : "udp4");
  return new Promise((resolve) => {
    socket.once("error", (error: Error) => {
      socket.close();
      const code = (error as { code?: unknown }).code;
      resolve(
        code === "EADDRNOTAVAIL"
          ? `"${address}" is not an address of this host (no interface has it)`
          : `cannot bind "${address}" (${String(code ?? error.message)})`,
      );
    });
    socket.bind({ address, port: 0, exclusive: true }, () => {
      socket.close();
      resolve(null);
    });
  });
}

/**
 * Gives each TLS block of the resolved targets its credentials, found by the files it names.
 * The config was just built by this load and is not shared yet: set in place.
 */
function attachCredentials(config: Config, credentials: ReadonlyMap<string, TlsCredentials>): void {
  if (credentials.size === 0) return;
  for (const target of config.targets) visitTls(target.probe, credentials);
}

function visitTls(value: unknown, credentials: ReadonlyMap<string, TlsCredentials>): void {
  if (!isRecord(value)) return;
  if (isTlsSettings(value)) {
    const key = tlsFilesKey(value);
    const found = key === null ? undefined : credentials.get(key);
    if (found !== undefined) value.credentials = found;
    return;
  }
  for (const inner of Object.values(value)) visitTls(inner, credentials);
}

/** A resolved TLS block (fields/connection-fields.ts resolveTls): its keys are its type. */
function isTlsSettings(
  value: Record<string, unknown>,
): value is Record<string, unknown> & TlsSettings {
  return (
    "caFile" in value && "certFile" in value && "keyFile" in value && "insecureSkipVerify" in value
  );
}

/**
 * Takes the credentials out of the targets' TLS blocks (a secure context cannot be sent to
 * another thread) and says which targets had some: the indices attachCredentialsAgain takes.
 */
export function withoutCredentials(targets: readonly Config["targets"][number][]): number[] {
  const had: number[] = [];
  targets.forEach((target, index) => {
    let found = false;
    visitTlsBlocks(target.probe, (settings) => {
      found ||= settings.credentials !== undefined;
      delete settings.credentials;
    });
    if (found) had.push(index);
  });
  return had;
}

/**
 * Reads the TLS files of `targets` again and gives each block its credentials, each set of
 * files read once; false when a file has become unusable since (the caller loads again).
 */
export async function attachCredentialsAgain(
  targets: readonly Config["targets"][number][],
): Promise<boolean> {
  const blocks: TlsSettings[] = [];
  for (const target of targets) visitTlsBlocks(target.probe, (settings) => blocks.push(settings));
  const { credentials, issues } = await readAllTls(
    blocks.map((settings) => ({ path: [], settings })),
  );
  if (issues.length > 0) return false;
  for (const settings of blocks) {
    const key = tlsFilesKey(settings);
    const found = key === null ? undefined : credentials.get(key);
    if (found !== undefined) settings.credentials = found;
  }
  return true;
}

function visitTlsBlocks(value: unknown, visit: (settings: TlsSettings) => void): void {
  if (!isRecord(value)) return;
  if (isTlsSettings(value)) {
    if (tlsFilesKey(value) !== null) visit(value);
    return;
  }
  for (const inner of Object.values(value)) visitTlsBlocks(inner, visit);
}
