/**
 * Name resolution for probes. By default the system's (getaddrinfo through Node's dns.lookup:
 * /etc/hosts, nsswitch, resolv.conf), which runs on libuv's four worker threads: a name that
 * is slow to answer holds one for its whole wait. With `global.resolver` set, pantau asks those
 * servers itself (c-ares, on the event loop, no thread held) and keeps each answer for its TTL,
 * so a farm of names costs about what IP literals do and a slow name delays only its own probes.
 */
import { lookup, Resolver } from "node:dns/promises";
import { ProbeFailure } from "./failure.js";

/** 0 for either family, as dns.lookup takes it. */
export type AddressFamily = 0 | 4 | 6;

/** One address of `host` in `family`; rejects with a `dns` ProbeFailure or a lookup error. */
export type ResolveAddress = (host: string, family: AddressFamily) => Promise<string>;

/** The system's resolver: dns.lookup, the first address it returns. */
export const systemResolve: ResolveAddress = async (host, family) =>
  (await lookup(host, { family })).address;

/** What the cache keeps of an answer. */
interface CachedAnswer {
  address: string;
  /** Monotonic ms after which it is asked again. */
  expiresAt: number;
}

/** Per try, c-ares doubling it on each retry: 1 s + 2 s + 4 s, beyond any probe's timeout. */
const QUERY_TIMEOUT_MS = 1000;
const QUERY_TRIES = 3;
/** Names kept at most (redirects can bring names the config never listed). */
const MAX_CACHED = 100_000;

/**
 * Asks `servers` (`127.0.0.1:5353`, `[::1]`) and caches each answer for its TTL. Concurrent
 * lookups of one name share one query; failures are not cached (the next probe asks again).
 * `any` asks for A records and, when the name has none, AAAA.
 */
export class CachingResolver {
  readonly #resolver: Resolver;
  readonly #now: () => number;
  readonly #cache = new Map<string, CachedAnswer>();
  readonly #pending = new Map<string, Promise<string>>();

  constructor(
    servers: readonly string[],
    now: () => number = () => performance.now(),
    query: { timeoutMs: number; tries: number } = {
      timeoutMs: QUERY_TIMEOUT_MS,
      tries: QUERY_TRIES,
    },
  ) {
    this.#resolver = new Resolver({ timeout: query.timeoutMs, tries: query.tries });
    this.#resolver.setServers([...servers]);
    this.#now = now;
  }

  readonly resolve: ResolveAddress = (host, family) => {
    const key = `${family}/${host}`;
    const cached = this.#cache.get(key);
    if (cached !== undefined && cached.expiresAt > this.#now()) {
      return Promise.resolve(cached.address);
    }
    let pending = this.#pending.get(key);
    if (pending === undefined) {
      pending = this.#query(host, family, key);
      this.#pending.set(key, pending);
    }
    return pending;
  };

  /** Entries cached now (for tests and the bench). */
  get size(): number {
    return this.#cache.size;
  }

  async #query(host: string, family: AddressFamily, key: string): Promise<string> {
    try {
      const answer = family === 0 ? await this.#either(host) : await this.#ask(host, family);
      this.#remember(key, answer);
      return answer.address;
    } finally {
      this.#pending.delete(key);
    }
  }

  async #either(host: string): Promise<{ address: string; ttl: number }> {
    try {
      return await this.#ask(host, 4);
    } catch (error) {
      // the name exists but has no A record: its AAAA then, as a dual-stack client would
      if (error instanceof DnsFailure && error.code === "ENODATA") return this.#ask(host, 6);
      throw error;
    }
  }

  async #ask(host: string, family: 4 | 6): Promise<{ address: string; ttl: number }> {
    let records: { address: string; ttl: number }[];
    try {
      records =
        family === 4
          ? await this.#resolver.resolve4(host, { ttl: true })
          : await this.#resolver.resolve6(host, { ttl: true });
    } catch (error) {
      throw resolverFailure(host, family, error);
    }
    const [first] = records;
    if (first === undefined) {
      throw new DnsFailure(`no ${family === 4 ? "A" : "AAAA"} record for ${host}`, "ENODATA");
    }
    // the answer lives as long as its shortest-lived record
    const ttl = Math.min(...records.map((record) => record.ttl));
    return { address: first.address, ttl };
  }

  #remember(key: string, answer: { address: string; ttl: number }): void {
    if (answer.ttl <= 0) return;
    if (this.#cache.size >= MAX_CACHED) this.#evictExpired();
    this.#cache.set(key, { address: answer.address, expiresAt: this.#now() + answer.ttl * 1000 });
  }

  #evictExpired(): void {
    const now = this.#now();
    for (const [key, answer] of this.#cache) if (answer.expiresAt <= now) this.#cache.delete(key);
    if (this.#cache.size >= MAX_CACHED) this.#cache.clear();
  }
}

/** A resolver's failure: reason `dns`, and c-ares' code for the code that reads it. */
class DnsFailure extends ProbeFailure {
  constructor(
    detail: string,
    readonly code: string,
  ) {
    super("dns", detail);
  }
}

const CODE_WORDS: Readonly<Record<string, string>> = {
  ENOTFOUND: "no such name (NXDOMAIN)",
  ENODATA: "no record of that type",
  ESERVFAIL: "server failure (SERVFAIL)",
  EREFUSED: "query refused (REFUSED)",
  ETIMEOUT: "no answer from the resolver",
  ECONNREFUSED: "the resolver refused the connection",
};

function resolverFailure(host: string, family: 4 | 6, error: unknown): ProbeFailure {
  const code =
    error instanceof Error && typeof (error as { code?: unknown }).code === "string"
      ? String((error as { code?: unknown }).code)
      : "";
  const words = CODE_WORDS[code] ?? (error instanceof Error ? error.message : String(error));
  const type = family === 4 ? "A" : "AAAA";
  return new DnsFailure(`${type} ${host}: ${words}`, code);
}

/** One caching resolver per list of servers, for the life of the process (its cache with it). */
const resolvers = new Map<string, CachingResolver>();

/** The resolve function for a configured server list; the system's when there is none. */
export function resolverFor(servers: readonly string[] | null | undefined): ResolveAddress {
  if (servers === null || servers === undefined || servers.length === 0) return systemResolve;
  const key = servers.join(",");
  let resolver = resolvers.get(key);
  if (resolver === undefined) {
    resolver = new CachingResolver(servers);
    resolvers.set(key, resolver);
  }
  return resolver.resolve;
}
