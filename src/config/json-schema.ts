import * as z from "zod";
import { jsonSchemaShapes } from "../fields/values.js";
import { configSchema } from "./schema.js";

export const CONFIG_SCHEMA_ID = "urn:pantau:config";

// Keys a shape must not wipe: they come from `.meta()` on the field, not from its type.
const ANNOTATIONS = new Set(["description", "default", "examples", "title"]);

/**
 * The JSON Schema of the config file, for yaml-language-server and other editors: generated
 * from the validator's own definition. Draft 7, which editors support best.
 */
export function configJsonSchema(): Record<string, unknown> {
  const { $schema: _generatedDraft, ...generated } = z.toJSONSchema(configSchema, {
    io: "input",
    target: "draft-7",
    override: ({ zodSchema, jsonSchema }) => {
      const fields = jsonSchema as Record<string, unknown>;
      const shape = jsonSchemaShapes.get(zodSchema);
      if (shape !== undefined) {
        for (const key of Object.keys(fields)) if (!ANNOTATIONS.has(key)) delete fields[key];
        Object.assign(fields, shape);
      }
      // zod leaves out a meta default on fields that transform their input; editors want it.
      const fallback = z.globalRegistry.get(zodSchema)?.default;
      if (fallback !== undefined && fields.default === undefined) fields.default = fallback;
    },
  });
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: CONFIG_SCHEMA_ID,
    title: "pantau configuration",
    description:
      "Targets to probe and how the pantau daemon runs. Reference: docs/configuration.md",
    ...generated,
  };
}
