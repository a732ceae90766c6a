/**
 * The one secret canary of the test suite. Tests put it wherever a config carries a secret (a
 * header value, a URL password, `server.bearer_token` or its file, the `storage.url` password);
 * it must never come out again: not in logs, API answers, metrics, reports, CLI output or errors.
 * secret-watch.ts (a vitest setup file) scans what every test file's processes print for it.
 */

/** Letters, digits and dashes only: valid as is in a URL password, a header and YAML. */
export const SECRET_CANARY = "cnry-7Kq2vX9d-pantau-secret";

// a leak may be the canary as is, or carried in an `Authorization: Basic` header (userinfo)
const BASE64_FORMS = [0, 1, 2].map((offset) => {
  // base64 of the canary at each alignment, less the characters its neighbours also decide
  const encoded = Buffer.from(`${"x".repeat(offset)}${SECRET_CANARY}`).toString("base64");
  const skip = offset === 0 ? 0 : offset + 1;
  const usable = Math.floor(((offset + SECRET_CANARY.length) * 4) / 3) - 1;
  return encoded.slice(skip, usable);
});

/** Every form in which the canary would be recognised: plain, and base64 at three alignments. */
export const CANARY_FORMS: readonly string[] = [SECRET_CANARY, ...BASE64_FORMS];

/** Longest form, for scanning a stream chunk by chunk with an overlap. */
export const LONGEST_FORM = Math.max(...CANARY_FORMS.map((form) => form.length));

/** Each place in `text` where a form of the canary occurs, with some context either side. */
export function findCanary(text: string): string[] {
  const found: string[] = [];
  for (const form of CANARY_FORMS) {
    for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, at + 1)) {
      found.push(text.slice(Math.max(0, at - 80), at + form.length + 80));
    }
  }
  return found;
}

// one list per process, whichever module instance records into it (the setup file's or a test's)
const LEAKS = Symbol.for("pantau.test.secretCanaryLeaks");
type LeakHolder = { [LEAKS]?: string[] };

/** Leaks recorded in this process so far (secret-watch.ts empties it after each test file). */
export function recordedLeaks(): string[] {
  const holder = globalThis as LeakHolder;
  holder[LEAKS] ??= [];
  return holder[LEAKS];
}

/** Scan one piece of output, naming where it came from; a hit fails the test file at its end. */
export function watchOutput(where: string, text: string): void {
  for (const excerpt of findCanary(text)) recordedLeaks().push(`${where}: …${excerpt}…`);
}
