/**
 * The one place portable SQL (`?` placeholders, as in statements.ts and queries.ts) becomes
 * PostgreSQL's numbered `$1…$n`. A `?` inside a quoted literal or identifier is left alone.
 */
export function toPostgresPlaceholders(sql: string): string {
  let out = "";
  let n = 0;
  let quote: string | null = null;
  for (const char of sql) {
    if (quote !== null) {
      if (char === quote) quote = null;
      out += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      out += char;
    } else if (char === "?") {
      n += 1;
      out += `$${n}`;
    } else {
      out += char;
    }
  }
  return out;
}

const converted = new Map<string, string>();

/** As toPostgresPlaceholders, memoised: the statements and query shapes are few and fixed. */
export function postgresSql(sql: string): string {
  let text = converted.get(sql);
  if (text === undefined) {
    text = toPostgresPlaceholders(sql);
    converted.set(sql, text);
  }
  return text;
}
