/**
 * PURE parts of the DNS kind: records in zone-file form (as blackbox_exporter's miekg/dns prints
 * them, so one pattern works in both), the verdict of valid_rcodes and validate_*_rrs in
 * blackbox_exporter's order, the `server` value and /etc/resolv.conf.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Answer } from "dns-packet";
import { describe, expect, it } from "vitest";
import {
  type AnswerRules,
  judgeAnswer,
  type RecordRules,
  recordText,
} from "../../src/probe/dns-records.js";
import { firstNameserver, parseServer, SystemResolver } from "../../src/probe/dns-server.js";
import { ProbeFailure } from "../../src/probe/failure.js";

const base = { name: "zoo.example", ttl: 300, class: "IN" as const };

describe("recordText", () => {
  it.each<[string, Answer, string]>([
    ["A", { ...base, type: "A", data: "192.0.2.1" }, "zoo.example.\t300\tIN\tA\t192.0.2.1"],
    [
      "AAAA",
      { ...base, type: "AAAA", data: "2001:db8::1" },
      "zoo.example.\t300\tIN\tAAAA\t2001:db8::1",
    ],
    [
      "CNAME",
      { ...base, type: "CNAME", data: "www.zoo.example" },
      "zoo.example.\t300\tIN\tCNAME\twww.zoo.example.",
    ],
    [
      "MX",
      { ...base, type: "MX", data: { preference: 10, exchange: "mail.zoo.example" } },
      "zoo.example.\t300\tIN\tMX\t10 mail.zoo.example.",
    ],
    [
      "TXT, quotes escaped",
      { ...base, type: "TXT", data: [Buffer.from("v=spf1 -all"), Buffer.from('say "hi"\\')] },
      'zoo.example.\t300\tIN\tTXT\t"v=spf1 -all" "say \\"hi\\"\\\\"',
    ],
    [
      "TXT, bytes outside ASCII as \\DDD",
      { ...base, type: "TXT", data: [Buffer.from([0x61, 0x09, 0xc3])] },
      'zoo.example.\t300\tIN\tTXT\t"a\\009\\195"',
    ],
    [
      "NS",
      { ...base, type: "NS", data: "ns.zoo.example" },
      "zoo.example.\t300\tIN\tNS\tns.zoo.example.",
    ],
    [
      "SOA",
      {
        ...base,
        type: "SOA",
        data: {
          mname: "ns.zoo.example",
          rname: "hostmaster.zoo.example",
          serial: 2024062001,
          refresh: 3600,
          retry: 600,
          expire: 86400,
          minimum: 300,
        },
      },
      "zoo.example.\t300\tIN\tSOA\tns.zoo.example. hostmaster.zoo.example. 2024062001 3600 600 86400 300",
    ],
    [
      "SRV",
      {
        ...base,
        name: "_grpc._tcp.zoo.example",
        type: "SRV",
        data: { priority: 0, weight: 5, port: 50051, target: "www.zoo.example" },
      },
      "_grpc._tcp.zoo.example.\t300\tIN\tSRV\t0 5 50051 www.zoo.example.",
    ],
    [
      "the root",
      { ...base, name: ".", type: "NS", data: "a.root-servers.net" },
      ".\t300\tIN\tNS\ta.root-servers.net.",
    ],
    [
      "another type, in RFC 3597's form",
      { ...base, type: "NULL", data: Buffer.from([0xc0, 0x00, 0x02, 0x01]) },
      "zoo.example.\t300\tIN\tNULL\t\\# 4 c0000201",
    ],
  ])("%s", (_name, record, text) => {
    expect(recordText(record)).toBe(text);
  });
});

const NONE: RecordRules = {
  failIfMatches: [],
  failIfAllMatch: [],
  failIfNotMatches: [],
  failIfNoneMatches: [],
};

function rules(answer: Partial<RecordRules> = {}, validRcodes = ["NOERROR"]): AnswerRules {
  return {
    validRcodes,
    sections: { answer: { ...NONE, ...answer }, authority: NONE, additional: NONE },
  };
}

const A1 = "zoo.example.\t300\tIN\tA\t192.0.2.1";
const A2 = "zoo.example.\t300\tIN\tA\t192.0.2.2";
const seen = (answer: string[], rcode = "NOERROR") => ({
  rcode,
  records: { answer, authority: [], additional: [] },
});

describe("judgeAnswer: blackbox_exporter's rules, in its order", () => {
  it.each<[string, ReturnType<typeof seen>, AnswerRules, string | null]>([
    ["NOERROR, no rules", seen([A1]), rules(), null],
    ["an rcode not listed", seen([], "SERVFAIL"), rules(), "rcode: rcode SERVFAIL not in NOERROR"],
    [
      "the rcode before the records",
      seen([A1], "NXDOMAIN"),
      rules({ failIfMatches: ["."] }),
      "rcode: rcode NXDOMAIN not in NOERROR",
    ],
    ["fail_if_matches: none matches", seen([A1, A2]), rules({ failIfMatches: ["\\.9$"] }), null],
    [
      "fail_if_matches: one matches",
      seen([A1, A2]),
      rules({ failIfMatches: ["\\.2$"] }),
      "records: answer: zoo.example. 300 IN A 192.0.2.2 matches /\\.2$/ (fail_if_matches_regexp)",
    ],
    ["fail_if_matches: no records", seen([]), rules({ failIfMatches: ["."] }), null],
    [
      "fail_if_all_match: every record matches",
      seen([A1, A2]),
      rules({ failIfAllMatch: ["192\\.0\\.2\\."] }),
      null,
    ],
    [
      "fail_if_all_match: one does not (blackbox_exporter fails then, whatever the name says)",
      seen([A1, A2]),
      rules({ failIfAllMatch: ["\\.1$"] }),
      "records: answer: not every record matches /\\.1$/ (fail_if_all_match_regexp); got zoo.example. 300 IN A 192.0.2.1 (+1 more)",
    ],
    ["fail_if_all_match: no records", seen([]), rules({ failIfAllMatch: ["."] }), null],
    [
      "fail_if_not_matches: every record matches",
      seen([A1, A2]),
      rules({ failIfNotMatches: ["IN\tA\t"] }),
      null,
    ],
    [
      "fail_if_not_matches: one does not",
      seen([A1, A2]),
      rules({ failIfNotMatches: ["\\.1$"] }),
      "records: answer: zoo.example. 300 IN A 192.0.2.2 does not match /\\.1$/ (fail_if_not_matches_regexp)",
    ],
    [
      "fail_if_not_matches: no records",
      seen([]),
      rules({ failIfNotMatches: ["."] }),
      "records: answer: no records to match /./ (fail_if_not_matches_regexp)",
    ],
    [
      "fail_if_none_matches: one matches",
      seen([A1, A2]),
      rules({ failIfNoneMatches: ["\\.9$", "\\.2$"] }),
      null,
    ],
    [
      "fail_if_none_matches: none does",
      seen([A1]),
      rules({ failIfNoneMatches: ["\\.9$", "\\.8$"] }),
      "records: answer: no record matches /\\.9$/, /\\.8$/ (fail_if_none_matches_regexp); got zoo.example. 300 IN A 192.0.2.1",
    ],
    [
      "fail_if_none_matches: no records",
      seen([]),
      rules({ failIfNoneMatches: ["."] }),
      "records: answer: no records to match /./ (fail_if_none_matches_regexp)",
    ],
  ])("%s", (_name, answer, answerRules, want) => {
    const verdict = judgeAnswer(answer, answerRules);
    expect(verdict === null ? null : `${verdict.reason}: ${verdict.detail}`).toBe(want);
    if (verdict !== null) expect(verdict.result).toBe("failed");
  });

  it("judges the authority and additional sections after the answer", () => {
    const all: AnswerRules = {
      validRcodes: ["NOERROR"],
      sections: {
        answer: NONE,
        authority: { ...NONE, failIfNoneMatches: ["SOA"] },
        additional: { ...NONE, failIfMatches: ["."] },
      },
    };
    const verdict = judgeAnswer(
      { rcode: "NOERROR", records: { answer: [A1], authority: [], additional: [A2] } },
      all,
    );
    expect(verdict?.detail).toBe(
      "authority: no records to match /SOA/ (fail_if_none_matches_regexp)",
    );
  });
});

describe("the server value", () => {
  it.each([
    ["10.0.0.53", { host: "10.0.0.53", port: 53 }],
    ["10.0.0.53:5353", { host: "10.0.0.53", port: 5353 }],
    ["ns1.imigrasi.example", { host: "ns1.imigrasi.example", port: 53 }],
    ["ns1.imigrasi.example:53", { host: "ns1.imigrasi.example", port: 53 }],
    ["[::1]:5353", { host: "::1", port: 5353 }],
    ["[::1]", { host: "::1", port: 53 }],
    ["2001:db8::53", { host: "2001:db8::53", port: 53 }],
    ["10.0.0.53:0", null],
    ["10.0.0.53:65536", null],
    ["10.0.0.53:", null],
    ["dns://10.0.0.53", null],
    ["ns 1", null],
    ["", null],
  ])("%j", (text, want) => {
    expect(parseServer(text)).toEqual(want);
  });
});

describe("the system resolver", () => {
  it.each([
    ["nameserver 10.255.255.53\n", "10.255.255.53"],
    ["# local\nsearch example\n  nameserver   ::1\nnameserver 10.0.0.1\n", "::1"],
    ["nameserver fe80::1%eth0\n", "fe80::1%eth0"],
    ["nameserver not-an-address\nnameserver 10.0.0.2\n", "10.0.0.2"],
    ["search example\n", null],
  ])("%j → %s", (text, want) => {
    expect(firstNameserver(text)).toBe(want);
  });

  it("reads the file at most every five seconds", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "pantau-resolv-")), "resolv.conf");
    writeFileSync(file, "nameserver 10.0.0.1\n");
    const resolver = new SystemResolver(file);
    expect(await resolver.server(1_000)).toEqual({ host: "10.0.0.1", port: 53 });
    writeFileSync(file, "nameserver 10.0.0.2\n");
    expect(await resolver.server(5_999)).toEqual({ host: "10.0.0.1", port: 53 });
    expect(await resolver.server(6_000)).toEqual({ host: "10.0.0.2", port: 53 });
  });

  it.each([
    [
      "a file without a nameserver",
      "search example\n",
      "no system resolver: no nameserver in FILE",
    ],
    ["no file", null, "no system resolver: cannot read FILE (ENOENT)"],
  ])("%s is a dns failure", async (_name, text, detail) => {
    const file = join(mkdtempSync(join(tmpdir(), "pantau-resolv-")), "resolv.conf");
    if (text !== null) writeFileSync(file, text);
    const failure = await new SystemResolver(file).server(0).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProbeFailure);
    expect(failure).toMatchObject({ reason: "dns", detail: detail.replace("FILE", file) });
  });
});
