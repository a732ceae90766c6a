import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { configJsonSchema } from "../../src/config/json-schema.js";

const SHIPPED = "config/pantau.schema.json";

type Schema = {
  properties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
  [key: string]: unknown;
};

describe("config JSON Schema", () => {
  it("the shipped file matches the validator's definition", () => {
    const shipped: unknown = JSON.parse(readFileSync(SHIPPED, "utf8"));
    expect(shipped, `${SHIPPED} is stale: run npx tsx scripts/gen-schema.ts > ${SHIPPED}`).toEqual(
      configJsonSchema(),
    );
  });

  it("names itself and forbids unknown keys, as the loader does", () => {
    const schema = configJsonSchema() as Schema;
    expect(schema).toMatchObject({
      $id: "urn:pantau:config",
      title: "pantau configuration",
      additionalProperties: false,
    });
    expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
    const target = schema.properties?.targets?.items;
    expect(target?.additionalProperties).toBe(false);
    expect(Object.keys(target?.properties ?? {})).toContain("each");
  });

  it("shows durations and sizes as the text the file holds, with their defaults", () => {
    const schema = configJsonSchema() as Schema;
    const global = schema.properties?.global?.anyOf?.[0];
    const interval = global?.properties?.interval;
    expect(interval).toMatchObject({ type: "string", default: "30s" });
    const pattern = new RegExp(String(interval?.pattern));
    for (const good of ["500ms", "15s", "1m", "2h", "1d", "1h30m"]) expect(good).toMatch(pattern);
    for (const bad of ["", "5x", "15", "1m2h"]) expect(bad).not.toMatch(pattern);
    const http = schema.properties?.targets?.items?.properties?.http;
    expect(http?.properties?.max_body?.default).toBe("1MiB");
  });

  it("lets target ids carry each placeholders, which the loader checks after expansion", () => {
    const schema = configJsonSchema() as Schema;
    const id = new RegExp(String(schema.properties?.targets?.items?.properties?.id?.pattern));
    expect("autogate-{site}").toMatch(id);
    expect("simkim-core").toMatch(id);
    expect("Autogate").not.toMatch(id);
  });
});
