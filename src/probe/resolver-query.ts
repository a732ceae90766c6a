/**
 * One question to the configured name servers, for resolver.ts: an A or AAAA query through
 * c-ares (on the event loop, no thread held), at most `maxQueries` of them outstanding at once
 * (the rest wait their turn, first come first served), asked once more after a timeout. Answers
 * come back with their TTL; failures as `dns` ProbeFailures carrying c-ares' code.
 */
import { Resolver } from "node:dns/promises";
import { ProbeFailure } from "./failure.js";

export interface Answer {
  address: string;
  /** Seconds, the shortest of the records'. */
  ttl: number;
}

export interface QueryPolicy {
  /** c-ares' timeout per try, ms, until it has measured the server (then ≈ 5 × its latency, ≥ 250 ms). */
  timeoutMs: number;
  /** Tries per question: 2 asks once more after a timeout, and only after one. */
  tries: number;
  /** Questions outstanding at the servers at once. */
  maxQueries: number;
}

/** A resolver's failure: reason `dns`, and c-ares' code for the code that reads it. */
export class DnsFailure extends ProbeFailure {
  constructor(
    detail: string,
    readonly code: string,
  ) {
    super("dns", detail);
  }
}

export class QueryQueue {
  readonly #resolver: Resolver;
  readonly #policy: QueryPolicy;
  #active = 0;
  /** Waiting questions, oldest first (`#head` is the next to go). */
  #waiting: (() => void)[] = [];
  #head = 0;

  constructor(servers: readonly string[], policy: QueryPolicy) {
    // the retry is ours (after a timeout only): c-ares makes one try per question
    this.#resolver = new Resolver({ timeout: policy.timeoutMs, tries: 1 });
    this.#resolver.setServers([...servers]);
    this.#policy = policy;
  }

  /** Questions outstanding at the servers now, and waiting for a turn (for tests and the bench). */
  get load(): { active: number; waiting: number } {
    return { active: this.#active, waiting: this.#waiting.length - this.#head };
  }

  /** The first address of `host`'s A (4) or AAAA (6) records, with their TTL. */
  async ask(host: string, family: 4 | 6): Promise<Answer> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#inTurn(() => this.#once(host, family));
      } catch (error) {
        const timedOut = error instanceof DnsFailure && error.code === "ETIMEOUT";
        if (!timedOut || attempt >= this.#policy.tries) throw error;
      }
    }
  }

  async #inTurn<T>(question: () => Promise<T>): Promise<T> {
    if (this.#active >= this.#policy.maxQueries) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#active++;
    }
    try {
      return await question();
    } finally {
      this.#next();
    }
  }

  /** Hands the finished question's place to the oldest waiting one (or frees it). */
  #next(): void {
    const wake = this.#waiting[this.#head];
    if (wake === undefined) {
      this.#active--;
      return;
    }
    this.#head++;
    // drop the woken prefix now and then: the array does not grow for ever
    if (this.#head >= 1024 && this.#head * 2 >= this.#waiting.length) {
      this.#waiting = this.#waiting.slice(this.#head);
      this.#head = 0;
    }
    wake();
  }

  async #once(host: string, family: 4 | 6): Promise<Answer> {
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
      throw new DnsFailure(
        `${family === 4 ? "A" : "AAAA"} ${host}: no record of that type`,
        "ENODATA",
      );
    }
    // the answer lives as long as its shortest-lived record
    return { address: first.address, ttl: Math.min(...records.map((record) => record.ttl)) };
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

function resolverFailure(host: string, family: 4 | 6, error: unknown): DnsFailure {
  const code =
    error instanceof Error && typeof (error as { code?: unknown }).code === "string"
      ? String((error as { code?: unknown }).code)
      : "";
  const words = CODE_WORDS[code] ?? (error instanceof Error ? error.message : String(error));
  const type = family === 4 ? "A" : "AAAA";
  return new DnsFailure(`${type} ${host}: ${words}`, code);
}
