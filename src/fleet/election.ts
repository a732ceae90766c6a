import pg from "pg";

/**
 * Leader election of an HA group: a session-level PostgreSQL advisory lock, keyed by
 * the group and shard, held on a dedicated connection. When the leader's process dies its
 * connection closes and the server releases the lock, so a standby trying every heartbeat wins
 * within one. Losing the connection means losing the lock: the holder must stop writing.
 */

/** Namespace of the election locks (startRun/commit use 7_242_014, migrations 7_242_013). */
const ELECTION_LOCK = 7_242_015;
/**
 * The lock's queries never wait on the server (a try-lock, SELECT 1), so 10 s without an answer
 * is a hung backend or a cut network, which keepalives do not see while the peer's kernel still
 * acknowledges: the HA round would wait on it for ever. A timed-out connection is dropped.
 */
const LOCK_QUERY_TIMEOUT_MS = 10_000;

export interface ElectionOptions {
  url: string;
  /** The group's name with its shard (`haGroupName`): one lock per pair. */
  haGroup: string;
  /** Server-side TCP keepalive, so a vanished leader host releases its lock too (seconds). */
  keepaliveSeconds: number;
  /** For tests: how long a lock query may go unanswered (default 10 s). */
  queryTimeoutMs?: number;
}

export type ElectionState = "holding" | "not_holding";

export class LeaderElection {
  private client: pg.Client | null = null;
  private holding = false;
  private lost = false;

  constructor(
    private readonly options: ElectionOptions,
    /** Called once when a held lock's connection breaks (the lock is gone with it). */
    private readonly onLost: (reason: string) => void,
  ) {}

  get key(): string {
    return this.options.haGroup;
  }

  get isHolding(): boolean {
    return this.holding;
  }

  /** One attempt: true when this member holds the lock (now or already). Throws on I/O errors. */
  async tryAcquire(): Promise<boolean> {
    if (this.holding) return this.check();
    const client = await this.connect();
    try {
      const result = await client.query<{ locked: boolean }>(
        "SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked",
        [ELECTION_LOCK, this.key],
      );
      this.holding = result.rows[0]?.locked === true;
    } catch (error) {
      // the next attempt connects afresh: after a timeout this client is half-open
      this.connectionLost(error);
      throw error;
    }
    return this.holding;
  }

  /** While holding: whether the lock connection still answers (it holds the lock while it lives). */
  async check(): Promise<boolean> {
    if (!this.holding || this.client === null || this.lost) return false;
    try {
      await this.client.query("SELECT 1");
      return true;
    } catch (error) {
      this.connectionLost(error);
      return false;
    }
  }

  /** Releases the lock by closing its connection. */
  async release(): Promise<void> {
    const client = this.client;
    this.client = null;
    this.holding = false;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<pg.Client> {
    if (this.client !== null && !this.lost) return this.client;
    await this.release();
    this.lost = false;
    const client = new pg.Client({
      connectionString: this.options.url,
      connectionTimeoutMillis: 10_000,
      query_timeout: this.options.queryTimeoutMs ?? LOCK_QUERY_TIMEOUT_MS,
      keepAlive: true,
    });
    client.on("error", (error) => this.connectionLost(error));
    client.on("end", () => this.connectionLost(new Error("connection ended")));
    try {
      await client.connect();
      const seconds = Math.max(1, Math.round(this.options.keepaliveSeconds));
      // a leader host that vanishes without closing its socket releases the lock after ~3 probes
      await client.query(
        `SET tcp_keepalives_idle = ${seconds}; SET tcp_keepalives_interval = ${seconds}; SET tcp_keepalives_count = 3`,
      );
    } catch (error) {
      // not kept, so closed here: a half-open client would otherwise hold its socket for ever
      await client.end().catch(() => undefined);
      throw error;
    }
    this.client = client;
    return client;
  }

  private connectionLost(error: unknown): void {
    if (this.lost || this.client === null) return;
    this.lost = true;
    const wasHolding = this.holding;
    this.holding = false;
    if (wasHolding) this.onLost(error instanceof Error ? error.message : String(error));
  }
}
