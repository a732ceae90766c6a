/**
 * `outages` and `report` (the built CLI) on a ledger mounted read-only — a bind mount remounted
 * `ro` in a private mount namespace (`unshare -m`, root only) — where SQLite can create no -wal
 * or -shm: after a clean stop they read it (immutable), exactly as from a writable place;
 * beside a -wal a killed daemon left they read it through its -shm, and without one they refuse
 * saying why, never skipping its commits. Nothing is written: the source directory is unchanged.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildIncidentLedger } from "../report/fixture.js";
import { pantauMain } from "../support/built-cli.js";

// before the fixture's one open outage: nothing printed depends on the time the test runs
const RANGE = ["--since", "2024-06-19T00:00:00Z", "--until", "2024-06-20T00:54:00Z"];
const canMount = process.getuid?.() === 0 && spawnSync("unshare", ["-m", "true"]).status === 0;

const TABLE = [
  "target       service  site  start       end         duration reason  blocked_by",
  "autogate-dps autogate dps   06-19 23:30 06-20 00:50   1h 20m refused -",
  "simkim-core  immigra… pdns2 06-20 00:10 06-20 00:40      30m timeout -",
  "autogate-cgk autogate cgk   06-20 00:15 06-20 00:35      20m timeout simkim-core",
  "3 outages in 2024-06-19T00:00:00.000Z .. 2024-06-20T00:54:00.000Z, times UTC",
  "",
].join("\n");

let root: string;
let original: string;

/** `pantau ARGS` with `source` mounted read-only at `mount` (ARGS name the ledger under it). */
function readOnly(source: string, args: string[]) {
  const mount = join(root, "mnt");
  mkdirSync(mount, { recursive: true });
  const quote = (word: string) => `'${word.replace(/'/g, "'\\''")}'`;
  const command = [process.execPath, pantauMain(), ...args].map(quote).join(" ");
  const script = `mount --bind ${quote(source)} ${quote(mount)} && mount -o remount,ro,bind ${quote(mount)} && ${command}`;
  const run = spawnSync("unshare", ["-m", "sh", "-c", script], { encoding: "utf8" });
  return { code: run.status, out: run.stdout, err: run.stderr, db: join(mount, "pantau.db") };
}

/** The files in `dir` with their sizes and mtimes: nothing may change them. */
function footprint(dir: string) {
  return readdirSync(dir)
    .sort()
    .map((name) => {
      const { size, mtimeMs } = statSync(join(dir, name));
      return { name, size, mtimeMs };
    });
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "pantau-ro-mount-"));
  const fixture = await buildIncidentLedger();
  const unclean = join(root, "unclean");
  mkdirSync(unclean);
  for (const suffix of ["", "-wal", "-shm"]) {
    copyFileSync(`${fixture.path}${suffix}`, join(unclean, `pantau.db${suffix}`));
  }
  await fixture.ledger.close();
  const clean = join(root, "clean");
  mkdirSync(clean);
  copyFileSync(fixture.path, join(clean, "pantau.db"));
  original = fixture.path;
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.skipIf(!canMount)("outages and report on a read-only filesystem", () => {
  it("read a cleanly stopped ledger exactly as from a writable place, writing nothing", () => {
    const clean = join(root, "clean");
    const before = footprint(clean);
    const outages = readOnly(clean, ["outages", "--db", join(root, "mnt", "pantau.db"), ...RANGE]);
    expect(outages).toMatchObject({ code: 0, out: TABLE, err: "" });
    const expected = spawnSync(
      process.execPath,
      [pantauMain(), "report", "--db", original, ...RANGE],
      { encoding: "utf8" },
    );
    expect(expected.status).toBe(0);
    const report = readOnly(clean, ["report", "--db", join(root, "mnt", "pantau.db"), ...RANGE]);
    // the one line that says when it was made
    const generated = (text: string) => text.replace(/Generated \S+Z/, "Generated (now)");
    expect({ ...report, out: generated(report.out) }).toMatchObject({
      code: 0,
      out: generated(expected.stdout),
      err: "",
    });
    expect(footprint(clean)).toEqual(before);
  });

  it("read the commits of a killed daemon's -wal through its -shm", () => {
    const unclean = join(root, "unclean");
    const before = footprint(unclean);
    const run = readOnly(unclean, ["outages", "--db", join(root, "mnt", "pantau.db"), ...RANGE]);
    expect(run).toMatchObject({ code: 0, out: TABLE, err: "" });
    expect(footprint(unclean)).toEqual(before);
  });

  it("refuse, saying why, a -wal with commits not in the file when there is no -shm", () => {
    const noShm = join(root, "no-shm");
    mkdirSync(noShm);
    for (const suffix of ["", "-wal"]) {
      copyFileSync(join(root, "unclean", `pantau.db${suffix}`), join(noShm, `pantau.db${suffix}`));
    }
    const run = readOnly(noShm, ["outages", "--db", join(root, "mnt", "pantau.db"), ...RANGE]);
    expect(run).toMatchObject({
      code: 1,
      out: "",
      err: `pantau outages: LEDGER_OPEN: cannot read ledger ${run.db}: its directory is read-only and its write-ahead log ${run.db}-wal holds commits not yet in the file (the daemon did not stop cleanly); copy the ledger with its -wal file to a writable directory and read the copy\n`,
    });
  });
});
