/**
 * Which server a DNS probe asks: the `server` of its block (`host`, `host:port`, `[v6]:port`), or
 * the system's resolver — the first `nameserver` of /etc/resolv.conf, as glibc's stub resolver
 * tries first, re-read at most every few seconds so an edited file is followed without a reload.
 */
import { readFile } from "node:fs/promises";
import { isIP } from "node:net";
import { ProbeFailure } from "./failure.js";

export interface DnsServer {
  /** A name or an IP literal (IPv6 without brackets). */
  host: string;
  port: number;
}

const DNS_PORT = 53;

/** `10.0.0.53`, `10.0.0.53:5353`, `[::1]:53`, `::1`, `ns1.example:53` → host and port; null if not one. */
export function parseServer(text: string): DnsServer | null {
  const bracketed = /^\[([0-9A-Fa-f:.]+(?:%[\w.-]+)?)\](?::(\d+))?$/.exec(text);
  if (bracketed) return withPort(bracketed[1] as string, bracketed[2]);
  if (isIP(text) === 6) return { host: text, port: DNS_PORT };
  const plain = /^([^\s/:[\]]+)(?::(\d+))?$/.exec(text);
  return plain ? withPort(plain[1] as string, plain[2]) : null;
}

function withPort(host: string, port: string | undefined): DnsServer | null {
  if (port === undefined) return { host, port: DNS_PORT };
  const number = Number(port);
  return number >= 1 && number <= 65_535 ? { host, port: number } : null;
}

/** The first `nameserver` line's address, or null when the file names none. */
export function firstNameserver(resolvConf: string): string | null {
  for (const line of resolvConf.split("\n")) {
    const match = /^\s*nameserver\s+(\S+)/.exec(line);
    if (match && isIP((match[1] as string).replace(/%.*$/, "")) !== 0) return match[1] as string;
  }
  return null;
}

export const RESOLV_CONF = "/etc/resolv.conf";
const REREAD_AFTER_MS = 5_000;

/** The system resolver, read from `path` at most once every five seconds (monotonic `now`). */
export class SystemResolver {
  #read: { at: number; server: Promise<DnsServer> } | null = null;

  constructor(private readonly path: string = RESOLV_CONF) {}

  server(now: number): Promise<DnsServer> {
    if (this.#read === null || now - this.#read.at >= REREAD_AFTER_MS) {
      this.#read = { at: now, server: this.#load() };
    }
    return this.#read.server;
  }

  async #load(): Promise<DnsServer> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      const code = (error as { code?: string }).code ?? String(error);
      throw new ProbeFailure("dns", `no system resolver: cannot read ${this.path} (${code})`);
    }
    const address = firstNameserver(text);
    if (address === null) {
      throw new ProbeFailure("dns", `no system resolver: no nameserver in ${this.path}`);
    }
    return { host: address, port: DNS_PORT };
  }
}
