import { readFile } from "node:fs/promises";
import type { ConfigIssue } from "../fields/errors.js";
import type { Config } from "./types.js";

/**
 * The token the HTTP API asks for: `server.bearer_token`, or the first line of
 * `bearer_token_file` (read at start and at each reload, so a rotated file takes effect).
 * The issue never quotes the file's content.
 */
export async function readBearerToken(config: Config): Promise<string | null | ConfigIssue> {
  const { bearerToken, bearerTokenFile } = config.server;
  if (!bearerTokenFile) return bearerToken;
  const path = "server.bearer_token_file";
  try {
    const token = (await readFile(bearerTokenFile, "utf8")).split(/\r?\n/)[0]?.trim() ?? "";
    if (token) return token;
    return configReadIssue(config, path, `"${bearerTokenFile}" is empty`);
  } catch (error) {
    const code = error instanceof Error && "code" in error ? String(error.code) : String(error);
    return configReadIssue(config, path, `cannot read "${bearerTokenFile}" (${code})`);
  }
}

/** An issue about the file as a whole (no line of its own to point at). */
export function configReadIssue(config: Config, path: string, message: string): ConfigIssue {
  return { code: "CONFIG_READ", file: config.file, line: 1, col: 1, path, message };
}
