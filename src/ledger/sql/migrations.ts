/**
 * The ledger schema as ordered migration steps, one source for every store. The SQL is portable:
 * plain tables, epoch-ms times as BIGINT (INTEGER affinity in SQLite), booleans as 0/1 integers,
 * TEXT. The only dialect difference is the auto-increment key, written `{{id}}` below.
 * Applied versions are recorded in `schema_migrations(version, name, applied_at)`.
 * Never edit a released step: append a new one.
 */

export type SqlDialect = "sqlite" | "postgres";

export interface Migration {
  version: number;
  name: string;
  /** Statements run in order inside one transaction, with `{{id}}` still in them. */
  statements: readonly string[];
}

const ID_COLUMN: Record<SqlDialect, string> = {
  // exactly this spelling makes the column SQLite's rowid alias
  sqlite: "INTEGER PRIMARY KEY",
  postgres: "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
};

const STATE_CHECK = "IN ('unknown', 'up', 'degraded', 'down')";

export const SCHEMA_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version BIGINT NOT NULL PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at BIGINT NOT NULL
)`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "runs, transitions, outages, gaps, target_states",
    statements: [
      `CREATE TABLE runs (
        id {{id}},
        instance TEXT NOT NULL,
        started_at BIGINT NOT NULL,
        last_heartbeat BIGINT NOT NULL,
        stopped_at BIGINT
      )`,
      "CREATE INDEX runs_instance_id ON runs (instance, id)",
      "CREATE INDEX runs_started_at ON runs (started_at)",
      `CREATE TABLE transitions (
        id {{id}},
        run_id BIGINT NOT NULL REFERENCES runs (id),
        instance TEXT NOT NULL,
        target_id TEXT NOT NULL,
        service TEXT NOT NULL,
        site TEXT NOT NULL,
        from_state TEXT NOT NULL CHECK (from_state ${STATE_CHECK}),
        to_state TEXT NOT NULL CHECK (to_state ${STATE_CHECK}),
        at BIGINT NOT NULL,
        detected_at BIGINT NOT NULL,
        reason TEXT,
        detail TEXT,
        blocked_by TEXT,
        maintenance INTEGER NOT NULL CHECK (maintenance IN (0, 1)),
        CHECK (from_state <> to_state)
      )`,
      "CREATE INDEX transitions_target_at ON transitions (target_id, at, id)",
      "CREATE INDEX transitions_instance_at ON transitions (instance, at, id)",
      "CREATE INDEX transitions_instance_target_at ON transitions (instance, target_id, at, id)",
      "CREATE INDEX transitions_at ON transitions (at, id)",
      `CREATE TABLE outages (
        id {{id}},
        instance TEXT NOT NULL,
        target_id TEXT NOT NULL,
        service TEXT NOT NULL,
        site TEXT NOT NULL,
        start_at BIGINT NOT NULL,
        end_at BIGINT,
        detected_at BIGINT NOT NULL,
        reason TEXT,
        detail TEXT,
        blocked_by TEXT,
        blocked_until BIGINT,
        maintenance INTEGER NOT NULL CHECK (maintenance IN (0, 1)),
        end_reason TEXT,
        open_transition_id BIGINT NOT NULL REFERENCES transitions (id),
        close_transition_id BIGINT REFERENCES transitions (id)
      )`,
      // at most one open outage per target and instance; also the index for `open` queries
      "CREATE UNIQUE INDEX outages_open ON outages (instance, target_id) WHERE end_at IS NULL",
      "CREATE INDEX outages_target_start ON outages (target_id, start_at)",
      "CREATE INDEX outages_start ON outages (start_at)",
      "CREATE INDEX outages_end ON outages (end_at)",
      `CREATE TABLE gaps (
        id {{id}},
        instance TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('restart', 'blind')),
        start_at BIGINT NOT NULL,
        end_at BIGINT
      )`,
      "CREATE INDEX gaps_instance_start ON gaps (instance, start_at)",
      // last state per target, updated in the commit transaction: restoring 10,000 targets reads
      // 10,000 rows instead of searching a million transitions for each target's latest
      `CREATE TABLE target_states (
        instance TEXT NOT NULL,
        target_id TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state ${STATE_CHECK}),
        at BIGINT NOT NULL,
        transition_id BIGINT NOT NULL REFERENCES transitions (id),
        PRIMARY KEY (instance, target_id)
      )`,
    ],
  },
  {
    version: 2,
    name: "high-availability groups: runs.ha_group, leaders",
    statements: [
      // a run in a group writes its transitions, outages and gaps under the group's name;
      // runs.instance stays the daemon's own, so run_id tells which member wrote each row
      "ALTER TABLE runs ADD COLUMN ha_group TEXT",
      "CREATE INDEX runs_ha_group ON runs (ha_group, last_heartbeat)",
      // the group's elected writer: a new leader bumps the epoch and names its run; every
      // commit of a group member checks it is that run (a fence against a stale leader)
      `CREATE TABLE leaders (
        ha_group TEXT NOT NULL PRIMARY KEY,
        epoch BIGINT NOT NULL,
        run_id BIGINT NOT NULL REFERENCES runs (id),
        since BIGINT NOT NULL
      )`,
    ],
  },
  {
    version: 3,
    name: "transitions_target_states: each target's history from the index alone",
    statements: [
      // the (instance, target_id, at, id) index plus the state: a report reads each target's
      // window from the index without a table lookup per row (a million rows: 1.25 s → 0.2 s
      // in SQLite); it serves every use of the index it replaces, so commits write no more
      "DROP INDEX transitions_instance_target_at",
      "CREATE INDEX transitions_target_states ON transitions (instance, target_id, at, id, to_state)",
    ],
  },
  {
    version: 4,
    name: "sampling bounds: transitions.previous_probe_at, outages.last_ok_at and last_failed_at",
    statements: [
      // a probe tells when a change was seen, not when it happened: it happened after the
      // probe before the streak (docs/states-and-outages.md); null where no earlier probe was seen (and for rows
      // written before this step)
      "ALTER TABLE transitions ADD COLUMN previous_probe_at BIGINT",
      "ALTER TABLE outages ADD COLUMN last_ok_at BIGINT",
      "ALTER TABLE outages ADD COLUMN last_failed_at BIGINT",
    ],
  },
  {
    version: 5,
    name: "push targets: last_pushes, each target's last push",
    statements: [
      // a push target's deadline runs from its last push: kept here, a restart computes it
      // from that push and not from the restart (docs/states-and-outages.md#push-targets)
      `CREATE TABLE last_pushes (
        instance TEXT NOT NULL,
        target_id TEXT NOT NULL,
        pushed_at BIGINT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('ok', 'fail')),
        message TEXT NOT NULL,
        PRIMARY KEY (instance, target_id)
      )`,
    ],
  },
  {
    version: 6,
    name: "quorum groups: runs.quorum_group, outages.page_settled_at, quorum_votes",
    statements: [
      // a vantage's runs name its quorum group: the decider finds the group's vantages here
      "ALTER TABLE runs ADD COLUMN quorum_group TEXT",
      "CREATE INDEX runs_quorum_group ON runs (quorum_group, instance, id)",
      // the decider reads each vantage's transitions in commit order, after the last it read
      "CREATE INDEX transitions_instance_id ON transitions (instance, id)",
      // when the outage's page stopped waiting for an upstream's verdict (paged or blocked);
      // null while it waits, and for rows written before this step
      "ALTER TABLE outages ADD COLUMN page_settled_at BIGINT",
      // which vantages saw a quorum transition, and from when (docs/quorum.md)
      `CREATE TABLE quorum_votes (
        transition_id BIGINT NOT NULL REFERENCES transitions (id),
        vantage TEXT NOT NULL,
        vote TEXT NOT NULL CHECK (vote IN ('unknown', 'up', 'degraded', 'down', 'blind', 'dead')),
        since BIGINT,
        PRIMARY KEY (transition_id, vantage)
      )`,
    ],
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);

/** The statements of one step for `dialect`. */
export function migrationStatements(migration: Migration, dialect: SqlDialect): string[] {
  return migration.statements.map((sql) => sql.replaceAll("{{id}}", ID_COLUMN[dialect]));
}
