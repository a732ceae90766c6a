/**
 * Name resolution for probes. By default the system's (getaddrinfo through Node's dns.lookup:
 * /etc/hosts, nsswitch, resolv.conf), which runs on libuv's four worker threads: a name that
 * is slow to answer holds one for its whole wait. With `global.resolver` set, pantau asks those
 * servers itself (resolver-query.ts: c-ares on the event loop) and keeps each answer for its TTL,
 * so a farm of names costs about what IP literals do and a slow name delays only its own probes.
 */
import { lookup } from "node:dns/promises";
import { type Answer, DnsFailure, QueryQueue } from "./resolver-query.js";

/** 0 for either family, as dns.lookup takes it. */
export type AddressFamily = 0 | 4 | 6;

/** One address of `host` in `family`; rejects with a `dns` ProbeFailure or a lookup error. */
export type ResolveAddress = (host: string, family: AddressFamily) => Promise<string>;

/**
 * A resolver that may know the answer already: `cached` gives it without a promise, so a probe
 * of a cached name waits on nothing, as one of an IP literal does.
 */
export interface NameResolver {
  resolve: ResolveAddress;
  cached(host: string, family: AddressFamily): string | null;
}

/** The system's resolver: dns.lookup, the first address it returns; it caches nothing itself. */
export const systemResolve: ResolveAddress = async (host, family) =>
  (await lookup(host, { family })).address;

const SYSTEM: NameResolver = { resolve: systemResolve, cached: () => null };

export interface ResolverPolicy {
  /** c-ares' timeout per try, ms, until it has measured the server (then ≈ 5 × its latency, ≥ 250 ms). */
  timeoutMs: number;
  /** Tries per question: 2 asks once more after a timeout. */
  tries: number;
  /** Questions outstanding at the servers at once; more wait their turn in order. */
  maxQueries: number;
  /** An answer is kept at least this long, s (TTL 0 included), and at most `maxTtlS`. */
  minTtlS: number;
  maxTtlS: number;
  /** In the last fraction of its life, an answer used is also asked again in the background. */
  refreshAhead: number;
}

/**
 * 1 s per try (before c-ares adapts it) and one more try after a timeout: within a 2 s probe timeout.
 * 256 questions at once: unbound's own default is 1,024 per thread. TTLs are kept between 1 s
 * (a TTL 0 name shared by many targets is asked once a second, not once a probe) and one day
 * (unbound's cache-max-ttl). Refreshed in the last 10 % of their life, as unbound's `prefetch`.
 */
export const DEFAULT_POLICY: ResolverPolicy = {
  timeoutMs: 1000,
  tries: 2,
  maxQueries: 256,
  minTtlS: 1,
  maxTtlS: 86_400,
  refreshAhead: 0.1,
};

/** What the cache keeps of an answer: monotonic ms. */
interface CachedAnswer {
  address: string;
  /** From then on, a use also asks again in the background. */
  refreshAt: number;
  /** From then on, it is not used. */
  expiresAt: number;
}

/** Names kept at most (redirects can bring names the config never listed). */
const MAX_CACHED = 100_000;

/**
 * Asks `servers` (`127.0.0.1:5353`, `[::1]`) and caches each answer for its TTL (bounded by the
 * policy). Concurrent lookups of one name share one question; an answer in use is asked again
 * shortly before it expires, so a name probed steadily is never looked up on a probe's path.
 * Failures are not cached (the next probe asks again) and an expired answer is never served:
 * a resolver that stops answering fails the probes once their answers expire, as it would fail
 * the clients the monitor stands for. `any` asks for A records and, when the name has none, AAAA.
 */
export class CachingResolver implements NameResolver {
  readonly #queries: QueryQueue;
  readonly #now: () => number;
  readonly #policy: ResolverPolicy;
  readonly #cache = new Map<string, CachedAnswer>();
  readonly #pending = new Map<string, Promise<string>>();

  constructor(
    servers: readonly string[],
    now: () => number = () => performance.now(),
    policy: Partial<ResolverPolicy> = {},
  ) {
    this.#policy = { ...DEFAULT_POLICY, ...policy };
    this.#queries = new QueryQueue(servers, this.#policy);
    this.#now = now;
  }

  readonly cached = (host: string, family: AddressFamily): string | null => {
    const key = `${family}/${host}`;
    const entry = this.#cache.get(key);
    if (entry === undefined) return null;
    const now = this.#now();
    if (entry.expiresAt <= now) return null;
    if (entry.refreshAt <= now && !this.#pending.has(key)) {
      // the answer is still good: the question goes in the background, its failure dropped
      this.#ask(host, family, key).catch(ignore);
    }
    return entry.address;
  };

  readonly resolve: ResolveAddress = (host, family) => {
    const address = this.cached(host, family);
    if (address !== null) return Promise.resolve(address);
    const key = `${family}/${host}`;
    return this.#pending.get(key) ?? this.#ask(host, family, key);
  };

  /** Entries cached now (for tests and the bench). */
  get size(): number {
    return this.#cache.size;
  }

  /** Questions at the servers and waiting for a turn (for tests and the bench). */
  get load(): { active: number; waiting: number } {
    return this.#queries.load;
  }

  #ask(host: string, family: AddressFamily, key: string): Promise<string> {
    const pending = this.#query(host, family, key);
    this.#pending.set(key, pending);
    return pending;
  }

  async #query(host: string, family: AddressFamily, key: string): Promise<string> {
    try {
      const answer =
        family === 0 ? await this.#either(host) : await this.#queries.ask(host, family);
      this.#remember(key, answer);
      return answer.address;
    } finally {
      this.#pending.delete(key);
    }
  }

  async #either(host: string): Promise<Answer> {
    try {
      return await this.#queries.ask(host, 4);
    } catch (error) {
      // the name exists but has no A record: its AAAA then, as a dual-stack client would
      if (error instanceof DnsFailure && error.code === "ENODATA")
        return this.#queries.ask(host, 6);
      throw error;
    }
  }

  #remember(key: string, answer: Answer): void {
    const { minTtlS, maxTtlS, refreshAhead } = this.#policy;
    const lifeMs = Math.min(maxTtlS, Math.max(minTtlS, answer.ttl)) * 1000;
    if (lifeMs <= 0) return;
    if (this.#cache.size >= MAX_CACHED) this.#evictExpired();
    const now = this.#now();
    this.#cache.set(key, {
      address: answer.address,
      refreshAt: now + lifeMs * (1 - refreshAhead),
      expiresAt: now + lifeMs,
    });
  }

  #evictExpired(): void {
    const now = this.#now();
    for (const [key, answer] of this.#cache) if (answer.expiresAt <= now) this.#cache.delete(key);
    if (this.#cache.size >= MAX_CACHED) this.#cache.clear();
  }
}

function ignore(): void {}

/** One caching resolver per list of servers, for the life of the process (its cache with it). */
const resolvers = new Map<string, CachingResolver>();

/** The resolver for a configured server list; the system's when there is none. */
export function resolverFor(servers: readonly string[] | null | undefined): NameResolver {
  if (servers === null || servers === undefined || servers.length === 0) return SYSTEM;
  const key = servers.join(",");
  let resolver = resolvers.get(key);
  if (resolver === undefined) {
    resolver = new CachingResolver(servers);
    resolvers.set(key, resolver);
  }
  return resolver;
}
