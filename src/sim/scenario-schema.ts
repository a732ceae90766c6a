import * as z from "zod";
import { duration } from "../fields/values.js";

/**
 * A scenario file as written. zod checks the shape (strict: unknown keys are errors);
 * scenario-checks.ts checks what spans keys: behaviour and mode, offsets and their order,
 * endpoint ids. docs/scenarios.md describes every key.
 */

export const writtenSwitch = z.strictObject({
  behaviour: z.enum(["up", "down", "degraded"]),
  // `mode: 503` is a number in YAML, `mode: refused` a string: both are checked by name later.
  mode: z.union([z.string(), z.number()], { error: "expected a string" }).optional(),
  delay: duration().optional(),
});

export const writtenStep = z.strictObject({
  // A string or the number 0; its grammar is checked with the order of the steps.
  at: z.unknown(),
  note: z.string().min(1),
  set: z.record(z.string(), writtenSwitch).optional(),
});

export const writtenScenario = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  speed: z.number().optional(),
  // RFC 3339 with an offset; checked with the rest in scenario-checks.ts
  start: z.string().optional(),
  steps: z.array(writtenStep).min(1),
});

export type WrittenSwitch = z.infer<typeof writtenSwitch>;
export type WrittenStep = z.infer<typeof writtenStep>;
export type WrittenScenario = z.infer<typeof writtenScenario>;
