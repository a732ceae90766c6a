/**
 * What the simulator serves: the immigration estate of config/pantau.yaml (same ids), or N
 * generic endpoints. Plain data; the monitor config for it is rendered from the same plan.
 */
export type EndpointKind = "core" | "portal" | "service" | "autogate" | "generic";

export interface EndpointPlan {
  id: string;
  kind: EndpointKind;
  /** The path a monitor requests; the endpoint answers every path alike. */
  path: string;
  name: string;
  service: string;
  site: string;
  dependsOn: string[];
}

export const CORE_ID = "simkim-core";

export const AIRPORTS: readonly { site: string; airport: string }[] = [
  { site: "cgk", airport: "Soekarno-Hatta, Jakarta" },
  { site: "dps", airport: "I Gusti Ngurah Rai, Bali" },
  { site: "kno", airport: "Kualanamu, Medan" },
  { site: "sub", airport: "Juanda, Surabaya" },
  { site: "yia", airport: "Yogyakarta International" },
  { site: "upg", airport: "Sultan Hasanuddin, Makassar" },
  { site: "bth", airport: "Hang Nadim, Batam" },
  { site: "mdc", airport: "Sam Ratulangi, Manado" },
];

/** The estate in the order of config/pantau.yaml: core, public services, one autogate per airport. */
export function immigrationEstatePlan(): EndpointPlan[] {
  const dependsOn = [CORE_ID];
  return [
    {
      id: CORE_ID,
      kind: "core",
      path: "/health",
      name: "SIMKIM core API",
      service: "immigration-core",
      site: "pdns2",
      dependsOn: [],
    },
    {
      id: "portal-imigrasi",
      kind: "portal",
      path: "/",
      name: "Portal Imigrasi",
      service: "immigration-portal",
      site: "jakarta",
      dependsOn,
    },
    service("evisa", "e-Visa"),
    service("m-paspor", "M-Paspor"),
    ...AIRPORTS.map(({ site, airport }) => ({
      id: `autogate-${site}`,
      kind: "autogate" as const,
      path: "/health",
      name: `Autogate ${airport}`,
      service: "autogate",
      site,
      dependsOn,
    })),
  ];
}

function service(id: string, name: string): EndpointPlan {
  const base = { kind: "service" as const, path: "/api/health", site: "jakarta" };
  return { id, name, service: id, dependsOn: [CORE_ID], ...base };
}

/** `gen-0000` … : independent endpoints for tests and benchmarks. */
export function genericPlan(count: number): EndpointPlan[] {
  const width = Math.max(4, String(count - 1).length);
  return Array.from({ length: count }, (_, index) => ({
    id: `gen-${String(index).padStart(width, "0")}`,
    kind: "generic" as const,
    path: "/health",
    name: `Generic endpoint ${index}`,
    service: "generic",
    site: "",
    dependsOn: [],
  }));
}
