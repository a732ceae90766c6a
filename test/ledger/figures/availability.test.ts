import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  computeReport,
  type Report,
  type TargetReport,
} from "../../../src/ledger/figures/availability.js";
import {
  listOutages,
  type OutageFacts,
  outagePages,
} from "../../../src/ledger/figures/outage-facts.js";
import {
  HEARTBEAT_STALE_MS,
  latestRunOfEachInstance,
} from "../../../src/ledger/figures/unwatched.js";
import type { Ledger, Run } from "../../../src/ledger/ledger.js";
import { openSqliteLedger } from "../../../src/ledger/sqlite.js";
import type { AvailabilitySummary } from "../../../src/ledger/window-summary.js";
import {
  buildIncidentLedger,
  INSTANCE,
  type IncidentLedger,
  m,
  transition,
} from "../../report/fixture.js";
import { ZERO } from "../../support/summaries.js";

const summary = (figures: Partial<AvailabilitySummary>): AvailabilitySummary => ({
  ...ZERO,
  ...figures,
});

/**
 * Figures over [m(0), m(60)) by hand. Every target loses the restart gap [m(20), m(25)) to
 * blind (300 s), so 3300 s are observed.
 */
const SIMKIM = summary({
  availability: 1800 / 3300, // up [0,10) and [40,60); down [10,40) minus the gap
  upSeconds: 1800,
  downSeconds: 1500,
  blindSeconds: 300,
  observedSeconds: 3300,
  outageCount: 1,
  startedOutageCount: 1,
  endedOutageCount: 1,
  endedOutageSeconds: 1800,
  totalOutageSeconds: 1800, // wall time: the gap inside the outage still counts
  longestOutageSeconds: 1800,
  mttrSeconds: 1800,
  mtbfSeconds: 1800,
});
const CGK = summary({
  availability: 2400 / 3300,
  upSeconds: 2400,
  downSeconds: 900,
  blindSeconds: 300,
  observedSeconds: 3300,
  outageCount: 1,
  startedOutageCount: 1,
  endedOutageCount: 1,
  endedOutageSeconds: 1200,
  totalOutageSeconds: 1200,
  longestOutageSeconds: 1200,
  mttrSeconds: 1200,
  mtbfSeconds: 2400,
});
const DPS = summary({
  availability: 600 / 3300, // down since m(-30): the state before the window is known
  degradedSeconds: 600,
  downSeconds: 2700,
  blindSeconds: 300,
  observedSeconds: 3300,
  outageCount: 1,
  startedOutageCount: 0,
  endedOutageCount: 1,
  endedOutageSeconds: 4800, // MTTR takes the whole outage, [m(-30), m(50))
  totalOutageSeconds: 3000, // clipped to the window
  longestOutageSeconds: 3000,
  mttrSeconds: 4800,
  mtbfSeconds: null,
});
const PORTAL = summary({
  availability: 3000 / 3300,
  upSeconds: 3000,
  downSeconds: 300,
  blindSeconds: 300,
  observedSeconds: 3300,
  outageCount: 1,
  startedOutageCount: 1,
  totalOutageSeconds: 300, // open: runs to the end of the window
  longestOutageSeconds: 300,
  mtbfSeconds: 3000,
});
const GATEWAY = summary({
  availability: 1,
  upSeconds: 3300,
  blindSeconds: 300,
  observedSeconds: 3300,
});

const row = (
  targetId: string,
  service: string,
  site: string,
  figures: AvailabilitySummary,
): TargetReport => ({ instance: INSTANCE, targetId, service, site, ...figures });

describe("computeReport", () => {
  let fixture: IncidentLedger;
  let reader: Ledger;

  beforeEach(async () => {
    fixture = await buildIncidentLedger();
    // read as the CLI does: a second, read-only connection
    reader = openSqliteLedger(fixture.path, { readonly: true });
  });

  afterEach(async () => {
    await reader.close();
    await fixture.cleanup();
  });

  const hour = { since: m(0), until: m(60) };

  it("gives every target judged in the window, with exact figures", async () => {
    const report = await computeReport(reader, hour, m(60));
    expect(report.window).toEqual(hour);
    expect(report.targets).toEqual([
      row("autogate-cgk", "autogate", "cgk", CGK),
      row("autogate-dps", "autogate", "dps", DPS),
      row("portal", "immigration-portal", "jakarta", PORTAL),
      row("simkim-core", "immigration-core", "pdns2", SIMKIM),
      row("site-gateway", "", "", GATEWAY),
    ]);
  });

  it("rolls up per service and site from summed seconds", async () => {
    const report = await computeReport(reader, hour, m(60));
    expect(report.services.map((s) => [s.service, s.targetCount])).toEqual([
      ["", 1],
      ["autogate", 2],
      ["immigration-core", 1],
      ["immigration-portal", 1],
    ]);
    expect(report.services[1]).toEqual({
      service: "autogate",
      targetCount: 2,
      ...summary({
        availability: (2400 + 600) / 6600,
        upSeconds: 2400,
        degradedSeconds: 600,
        downSeconds: 3600,
        blindSeconds: 600,
        observedSeconds: 6600,
        outageCount: 2,
        startedOutageCount: 1,
        endedOutageCount: 2,
        endedOutageSeconds: 6000,
        totalOutageSeconds: 4200,
        longestOutageSeconds: 3000,
        mttrSeconds: 3000,
        mtbfSeconds: 3000,
      }),
    });
    expect(report.sites.map((s) => [s.site, s.targetCount])).toEqual([
      ["", 1],
      ["cgk", 1],
      ["dps", 1],
      ["jakarta", 1],
      ["pdns2", 1],
    ]);
    expect(report.sites[4]).toEqual({ site: "pdns2", targetCount: 1, ...SIMKIM });
  });

  it("totals every target", async () => {
    const { total } = await computeReport(reader, hour, m(60));
    const up = 1800 + 2400 + 3000 + 3300;
    expect(total).toEqual({
      targetCount: 5,
      ...summary({
        availability: (up + 600) / 16_500,
        upSeconds: up,
        degradedSeconds: 600,
        downSeconds: 1500 + 900 + 2700 + 300,
        blindSeconds: 1500,
        observedSeconds: 16_500,
        outageCount: 4,
        startedOutageCount: 3,
        endedOutageCount: 3,
        endedOutageSeconds: 1800 + 1200 + 4800,
        totalOutageSeconds: 1800 + 1200 + 3000 + 300,
        longestOutageSeconds: 3000,
        mttrSeconds: 7800 / 3,
        mtbfSeconds: (up + 600) / 3,
      }),
    });
  });

  it("clips to the window, taking the state from the last transition before it", async () => {
    const report = await computeReport(reader, { since: m(30), until: m(45) }, m(60));
    const simkim = report.targets.find((t) => t.targetId === "simkim-core");
    expect(simkim).toEqual(
      row(
        "simkim-core",
        "immigration-core",
        "pdns2",
        summary({
          availability: 300 / 900, // down [30,40), up [40,45)
          upSeconds: 300,
          downSeconds: 600,
          observedSeconds: 900,
          outageCount: 1,
          endedOutageCount: 1,
          endedOutageSeconds: 1800,
          totalOutageSeconds: 600,
          longestOutageSeconds: 600,
          mttrSeconds: 1800,
        }),
      ),
    );
    expect(report.targets.map((t) => t.targetId)).toEqual([
      "autogate-cgk",
      "autogate-dps",
      "portal",
      "simkim-core",
      "site-gateway",
    ]);
  });

  it("clamps a future until to now", async () => {
    const report = await computeReport(reader, { since: m(0), until: m(120) }, m(60));
    expect(report.window).toEqual(hour);
    expect(report.targets.find((t) => t.targetId === "portal")).toEqual(
      row("portal", "immigration-portal", "jakarta", PORTAL),
    );
  });

  it.each([
    [{ service: "autogate" }, ["autogate-cgk", "autogate-dps"]],
    [{ site: "pdns2" }, ["simkim-core"]],
    [{ targetId: "portal" }, ["portal"]],
    [{ service: "autogate", site: "cgk" }, ["autogate-cgk"]],
    [{ service: "nothing" }, []],
    [{ instance: "elsewhere" }, []],
  ])("filters by %j", async (filter, targets) => {
    const report = await computeReport(reader, { ...hour, ...filter }, m(60));
    expect(report.targets.map((t) => t.targetId)).toEqual(targets);
    expect(report.total.targetCount).toBe(targets.length);
  });

  it("keeps each instance's gaps to its own targets", async () => {
    const bali = (await fixture.ledger.startRun("bali-1", m(-120))).run.id;
    await fixture.ledger.commit(bali, [transition("simkim-core", "unknown", "up", -100)]);
    await fixture.ledger.heartbeat(bali, m(60));
    const report = await computeReport(reader, hour, m(60));
    const simkims = report.targets.filter((t) => t.targetId === "simkim-core");
    expect(simkims).toEqual([
      {
        ...row("simkim-core", "immigration-core", "pdns2", GATEWAY),
        instance: "bali-1",
        upSeconds: 3600,
        blindSeconds: 0,
        observedSeconds: 3600,
      },
      row("simkim-core", "immigration-core", "pdns2", SIMKIM),
    ]);
    const onlyBali = await computeReport(reader, { ...hour, instance: "bali-1" }, m(60));
    expect(onlyBali.targets.map((t) => [t.instance, t.targetId])).toEqual([
      ["bali-1", "simkim-core"],
    ]);
  });

  it("finds a target's state before the window when another instance moved it since", async () => {
    const bali = (await fixture.ledger.startRun("bali-1", m(-120))).run.id;
    await fixture.ledger.commit(bali, [
      transition("simkim-core", "unknown", "up", -100),
      transition("simkim-core", "up", "down", -90),
      transition("simkim-core", "down", "up", -80),
      transition("simkim-core", "up", "degraded", -20, { reason: "json" }),
    ]);
    await fixture.ledger.heartbeat(bali, m(60));
    const report = await computeReport(reader, { ...hour, targetId: "simkim-core" }, m(60));
    expect(report.targets).toEqual([
      {
        ...row("simkim-core", "immigration-core", "pdns2", GATEWAY),
        instance: "bali-1",
        availability: 1,
        upSeconds: 0,
        degradedSeconds: 3600,
        blindSeconds: 0,
        observedSeconds: 3600,
      },
      row("simkim-core", "immigration-core", "pdns2", SIMKIM),
    ]);
  });

  it("leaves maintenance out of availability, gaps first", async () => {
    // simkim-core: up [0,10), down [10,40), up [40,60); restart gap [20,25); window [10,30)
    const report = await computeReport(reader, hour, m(60), (target) =>
      target.targetId === "simkim-core" ? [{ start: m(10), end: m(30) }] : [],
    );
    const core = report.targets.find((t) => t.targetId === "simkim-core");
    expect(core).toMatchObject({
      upSeconds: 1800,
      downSeconds: 600,
      blindSeconds: 300,
      maintenanceSeconds: 900,
      availability: 0.75,
    });
    const cgk = report.targets.find((t) => t.targetId === "autogate-cgk");
    expect(cgk?.maintenanceSeconds).toBe(0);
  });

  it("counts the time since a daemon went silent as blind, not up", async () => {
    // run 2 heartbeated last at m(60); at m(90) it is long stale
    const report = await computeReport(reader, { since: m(0), until: m(90) }, m(90));
    const gateway = report.targets.find((t) => t.targetId === "site-gateway");
    expect(gateway).toMatchObject({ upSeconds: 3300, blindSeconds: 300 + 1800, availability: 1 });
  });

  it("is empty for a window before anything was recorded", async () => {
    const report = await computeReport(reader, { since: m(-500), until: m(-400) }, m(60));
    expect(report).toEqual<Report>({
      window: { since: m(-500), until: m(-400) },
      targets: [],
      services: [],
      sites: [],
      total: { targetCount: 0, ...ZERO },
    });
  });
});

describe("listOutages", () => {
  let fixture: IncidentLedger;

  beforeEach(async () => {
    fixture = await buildIncidentLedger();
  });

  afterEach(async () => {
    await fixture.cleanup();
  });

  const hour = { since: m(0), until: m(60) };
  const figures = async (query: object, now: number) =>
    (await listOutages(fixture.ledger, { ...hour, ...query }, now)).map((o) => [
      o.targetId,
      o.durationSeconds,
      o.blindSeconds,
    ]);

  it("pages through the same outages, page by page, as listOutages in one list", async () => {
    const whole = await listOutages(fixture.ledger, { since: m(-200), until: m(200) }, m(60));
    expect(whole.length).toBeGreaterThan(3);
    for (const pageSize of [1, 2, 3]) {
      const pages: OutageFacts[][] = [];
      for await (const page of outagePages(
        fixture.ledger,
        { since: m(-200), until: m(200) },
        m(60),
        pageSize,
      )) {
        pages.push(page);
      }
      expect(pages.every((page) => page.length <= pageSize)).toBe(true);
      expect(pages.flat()).toEqual(whole);
    }
  });

  it("gives whole durations and the blind seconds inside each outage", async () => {
    expect(await figures({}, m(60))).toEqual([
      ["autogate-dps", 4800, 300],
      ["simkim-core", 1800, 300],
      ["autogate-cgk", 1200, 300],
      ["portal", 300, 0],
    ]);
  });

  it.each([
    [{ open: true }, ["portal"]],
    [{ open: false }, ["autogate-dps", "simkim-core", "autogate-cgk"]],
    [{ targetId: "simkim-core" }, ["simkim-core"]],
    [{ service: "autogate" }, ["autogate-dps", "autogate-cgk"]],
  ])("filters by %j", async (query, targets) => {
    expect((await figures(query, m(60))).map(([target]) => target)).toEqual(targets);
  });

  it("selects outages overlapping the range", async () => {
    const overlapping = await figures({ since: m(36), until: m(54) }, m(60));
    expect(overlapping.map(([target]) => target)).toEqual(["autogate-dps", "simkim-core"]);
  });

  it("runs an open outage to now; a fresh heartbeat means the daemon still watches", async () => {
    const now = m(60) + HEARTBEAT_STALE_MS;
    expect(await figures({ open: true }, now)).toEqual([["portal", 360, 0]]);
  });

  it("counts a stale daemon's silence as blind", async () => {
    const now = m(60) + HEARTBEAT_STALE_MS + 1;
    expect(await figures({ open: true }, now)).toEqual([["portal", 360.001, 60.001]]);
  });

  it("counts the time since a clean stop as blind", async () => {
    await fixture.ledger.stopRun(fixture.runIds.second, m(60));
    expect(await figures({ open: true }, m(61))).toEqual([["portal", 360, 60]]);
  });
});

describe("latestRunOfEachInstance", () => {
  const run = (id: number, instance: string, startedAt: number): Run => ({
    id,
    instance,
    startedAt,
    lastHeartbeat: startedAt,
    stoppedAt: null,
  });

  it("picks the latest start, then the highest id", () => {
    const runs = [
      run(1, "a", 10),
      run(2, "b", 5),
      run(3, "a", 30),
      run(4, "a", 30),
      run(5, "a", 20),
    ];
    expect(latestRunOfEachInstance(runs).map((r) => r.id)).toEqual([4, 2]);
  });
});
