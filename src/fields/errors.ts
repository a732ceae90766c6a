/** Stable codes: tests assert them and bad-config fixtures are named after them. */
export type ConfigErrorCode =
  | "CONFIG_READ"
  | "CONFIG_YAML"
  | "CONFIG_UNKNOWN_KEY"
  | "CONFIG_INVALID"
  | "CONFIG_ENV"
  | "CONFIG_DURATION"
  | "CONFIG_SIZE"
  | "CONFIG_DUPLICATE_ID"
  | "CONFIG_UNKNOWN_DEPENDENCY"
  | "CONFIG_DEPENDENCY_CYCLE"
  | "CONFIG_TIMEOUT"
  | "CONFIG_EACH"
  | "CONFIG_PROBER"
  | "CONFIG_URL"
  | "CONFIG_REGEX"
  | "CONFIG_SCHEDULE"
  | "CONFIG_TIMEZONE"
  | "CONFIG_UNKNOWN_CANARY"
  | "CONFIG_TLS"
  | "CONFIG_SOURCE_ADDRESS";

/** One problem in a config file, located as `FILE:LINE:COL: path.to.key: message`. */
export interface ConfigIssue {
  code: ConfigErrorCode;
  file: string;
  line: number;
  col: number;
  /** `targets[3].http.url`; empty for the document itself. */
  path: string;
  message: string;
}

export function formatConfigIssue(issue: ConfigIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.col}`;
  return issue.path ? `${where}: ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}
