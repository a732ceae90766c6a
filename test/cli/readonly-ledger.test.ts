/**
 * `outages` and `report` read a SQLite ledger where nothing may be written beside it: a
 * directory the user cannot write to (or a read-only filesystem: test/e2e/readonly-ledger).
 * They open it immutable there, and write nothing — no -wal, -shm or lock file, the file's
 * mtime unchanged. Root writes where chmod says not to, so the chmod case runs as others only;
 * the immutable open itself runs for everyone, chosen as for an unwritable directory.
 */
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LedgerLocation } from "../../src/cli/offline-ledger.js";
import { outagesCommand } from "../../src/cli/outages.js";
import { reportCommand } from "../../src/cli/report.js";
import { openReadOnlyLedger } from "../../src/ledger/open.js";
import { buildIncidentLedger, m } from "../report/fixture.js";
import { type InProcessRun, runInProcess } from "../support/cli.js";

const NOW = m(60);
const RANGE = ["--since", "2024-06-19T00:00:00Z", "--until", "2024-06-20T01:00:00Z"];
const isRoot = process.getuid?.() === 0;

const TABLE = [
  "target       service  site  start       end         duration reason  blocked_by",
  "autogate-dps autogate dps   06-19 23:30 06-20 00:50   1h 20m refused -",
  "simkim-core  immigra… pdns2 06-20 00:10 06-20 00:40      30m timeout -",
  "autogate-cgk autogate cgk   06-20 00:15 06-20 00:35      20m timeout simkim-core",
  "portal       immigra… jaka… 06-20 00:55 open              5m status  -",
  "4 outages in 2024-06-19T00:00:00.000Z .. 2024-06-20T01:00:00.000Z, times UTC",
  "",
].join("\n");

type Open = (location: LedgerLocation) => Promise<import("../../src/ledger/ledger.js").Ledger>;
/** As for a directory SQLite cannot create files in: a read-only filesystem, a chmod. */
const asUnwritable: Open = (location) =>
  openReadOnlyLedger(location, { directoryWritable: () => false });

const outages = (args: string[], openLedger?: Open): Promise<InProcessRun> =>
  runInProcess(
    "outages",
    (io) => outagesCommand({ io, now: () => NOW, ...(openLedger ? { openLedger } : {}) }),
    args,
  );
const report = (args: string[], openLedger?: Open): Promise<InProcessRun> =>
  runInProcess(
    "report",
    (io) => reportCommand({ io, now: () => NOW, ...(openLedger ? { openLedger } : {}) }),
    args,
  );

let root: string;
/** The fixture's ledger after a clean stop: one file, no -wal. */
let clean: string;
/** Its ledger and -wal as a daemon killed mid-run leaves them, without the -shm. */
let unclean: string;
let expectedReport: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "pantau-readonly-"));
  const fixture = await buildIncidentLedger();
  unclean = join(root, "unclean");
  mkdirSync(unclean);
  copyFileSync(fixture.path, join(unclean, "pantau.db"));
  copyFileSync(`${fixture.path}-wal`, join(unclean, "pantau.db-wal"));
  await fixture.ledger.close();
  clean = join(root, "clean");
  mkdirSync(clean);
  copyFileSync(fixture.path, join(clean, "pantau.db"));
  // the report as read from the original, writable place
  const original = await report(["--db", fixture.path, ...RANGE]);
  expect(original.code).toBe(0);
  expectedReport = original.out;
  rmSync(fixture.path.replace(/pantau\.db$/, ""), { recursive: true, force: true });
});

afterAll(() => {
  chmodSync(clean, 0o755);
  rmSync(root, { recursive: true, force: true });
});

/** What is in the directory, and the ledger's size and mtime: must not change. */
function footprint(dir: string): { files: string[]; size: number; mtimeMs: number } {
  const { size, mtimeMs } = statSync(join(dir, "pantau.db"));
  return { files: readdirSync(dir).sort(), size, mtimeMs };
}

describe("outages and report on a ledger nothing may be written beside", () => {
  it("open it immutable: exact output, and no -wal, -shm or lock file, mtime unchanged", async () => {
    const before = footprint(clean);
    expect(before.files).toEqual(["pantau.db"]);
    const db = ["--db", join(clean, "pantau.db")];
    expect(await outages([...db, ...RANGE], asUnwritable)).toEqual({
      code: 0,
      out: TABLE,
      err: "",
    });
    expect(await report([...db, ...RANGE], asUnwritable)).toEqual({
      code: 0,
      out: expectedReport,
      err: "",
    });
    expect(footprint(clean)).toEqual(before);
  });

  it.skipIf(isRoot)("read a ledger in a directory chmod'ed read-only", async () => {
    chmodSync(join(clean, "pantau.db"), 0o444);
    chmodSync(clean, 0o555);
    try {
      const before = footprint(clean);
      const db = ["--db", join(clean, "pantau.db")];
      expect(await outages([...db, ...RANGE])).toEqual({ code: 0, out: TABLE, err: "" });
      expect(await report([...db, ...RANGE])).toEqual({ code: 0, out: expectedReport, err: "" });
      expect(footprint(clean)).toEqual(before);
    } finally {
      chmodSync(clean, 0o755);
    }
  });

  it("read a -wal's commits not yet in the file, never skip them as immutable would", async () => {
    expect(statSync(join(unclean, "pantau.db-wal")).size).toBeGreaterThan(0);
    const db = ["--db", join(unclean, "pantau.db")];
    // here a -shm can be made; where none can, the reader refuses (test/e2e/readonly-ledger)
    expect(await outages([...db, ...RANGE], asUnwritable)).toEqual({
      code: 0,
      out: TABLE,
      err: "",
    });
  });
});
