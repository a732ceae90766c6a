import { Writable } from "node:stream";
import { createLogger, type Logger } from "../../src/log/logger.js";
import { watchOutput } from "./secret-canary.js";

/** A JSON logger whose lines are kept in memory, for tests that read what was logged. */
export function memoryLogger(level = "debug"): {
  logger: Logger;
  lines: Record<string, unknown>[];
  text: () => string;
} {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const text = chunk.toString("utf8");
      watchOutput("an in-process logger", text);
      chunks.push(text);
      callback();
    },
  });
  const logger = createLogger({ level, destination, pretty: false });
  const text = () => chunks.join("");
  return {
    logger,
    text,
    get lines() {
      return text()
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    },
  };
}
