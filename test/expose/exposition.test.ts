import { describe, expect, it } from "vitest";
import {
  bucketBound,
  durationSeconds,
  familyHeader,
  formatValue,
  timestampSeconds,
} from "../../src/expose/exposition.js";

describe("formatValue", () => {
  it.each([
    [0, "0"],
    [1, "1"],
    [-3, "-3"],
    [1718845201, "1718845201"],
    [0.1 + 0.2, "0.3"],
    [0.3004129549999998, "0.300412955"],
    [1718845201.5, "1718845201.5"],
    [0.000001, "0.000001"],
    [1e-7, "1e-7"],
    [1.5e300, "1.5e+300"],
    [Number.NaN, "NaN"],
    [Number.POSITIVE_INFINITY, "+Inf"],
    [Number.NEGATIVE_INFINITY, "-Inf"],
  ])("%d → %s", (value, text) => {
    expect(formatValue(value)).toBe(text);
  });

  it("keeps every digit a double holds exactly (15 significant)", () => {
    expect(formatValue(0.123456789012345)).toBe("0.123456789012345");
    expect(formatValue(123456.789012345)).toBe("123456.789012345");
  });
});

describe("durationSeconds: milliseconds to seconds, to the microsecond", () => {
  it.each([
    // a monotonic difference with float noise, as a probe measured it
    [0.4129549999997835, 0.000413],
    [12.345678, 0.012346],
    [308.876, 0.308876],
    [0.001, 0.000001],
    [0.0004, 0],
    [9_500_000.0000001, 9500],
  ])("%d ms → %d s", (ms, seconds) => {
    expect(durationSeconds(ms)).toBe(seconds);
    expect(formatValue(durationSeconds(ms))).toBe(String(seconds));
  });
});

describe("timestampSeconds: wall ms to unix seconds, to the millisecond", () => {
  it.each([
    [1718845201500, "1718845201.5"],
    [1718845201500.4, "1718845201.5"],
    [1718845201999.9, "1718845202"],
  ])("%d → %s", (ms, text) => {
    expect(formatValue(timestampSeconds(ms))).toBe(text);
  });
});

describe("bucketBound", () => {
  // OpenMetrics' canonical numbers: Go's %g with .0 added (the spec's own examples)
  it.each([
    [0.005, "0.005"],
    [0.001, "0.001"],
    [0.1, "0.1"],
    [0.95, "0.95"],
    [1, "1.0"],
    [1.7, "1.7"],
    [2.5, "2.5"],
    [10, "10.0"],
    [60, "60.0"],
    [604800, "604800.0"],
    [100000, "100000.0"],
    [1e6, "1e+06"],
    [1e10, "1e+10"],
    [0.0001, "0.0001"],
    [1e-5, "1e-05"],
    [1e-10, "1e-10"],
    [0, "0.0"],
    [Number.POSITIVE_INFINITY, "+Inf"],
    ["+Inf", "+Inf"],
  ])("OpenMetrics: %s → %s", (bound, text) => {
    expect(bucketBound(bound, "openmetrics")).toBe(text);
  });

  it.each([
    [1, "1"],
    [0.005, "0.005"],
    [604800, "604800"],
    ["+Inf", "+Inf"],
  ])("0.0.4: %s stays %s, as prom-client writes it", (bound, text) => {
    expect(bucketBound(bound, "prometheus")).toBe(text);
  });
});

describe("familyHeader", () => {
  it("0.0.4: HELP then TYPE, under the sample name", () => {
    expect(
      familyHeader("pantau_probes_total", "counter", 'Probes\\by "result"', "prometheus"),
    ).toBe(
      '# HELP pantau_probes_total Probes\\\\by "result"\n# TYPE pantau_probes_total counter\n',
    );
  });

  it("OpenMetrics: TYPE, UNIT, HELP; a counter's family without _total; quotes escaped", () => {
    expect(
      familyHeader("pantau_probes_total", "counter", 'Probes by "result"', "openmetrics"),
    ).toBe('# TYPE pantau_probes counter\n# HELP pantau_probes Probes by \\"result\\"\n');
    expect(familyHeader("process_cpu_seconds_total", "counter", "CPU", "openmetrics")).toBe(
      "# TYPE process_cpu_seconds counter\n# UNIT process_cpu_seconds seconds\n# HELP process_cpu_seconds CPU\n",
    );
    expect(familyHeader("process_resident_memory_bytes", "gauge", "RSS", "openmetrics")).toBe(
      "# TYPE process_resident_memory_bytes gauge\n# UNIT process_resident_memory_bytes bytes\n# HELP process_resident_memory_bytes RSS\n",
    );
    expect(familyHeader("probe_ssl_earliest_cert_expiry", "gauge", "x", "openmetrics")).toBe(
      "# TYPE probe_ssl_earliest_cert_expiry gauge\n# HELP probe_ssl_earliest_cert_expiry x\n",
    );
  });
});
