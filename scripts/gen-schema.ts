// Regenerates the shipped JSON Schema: npx tsx scripts/gen-schema.ts > config/pantau.schema.json
import { configJsonSchema } from "../src/config/json-schema.js";

process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
