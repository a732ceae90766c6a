/**
 * An outage's or transition's cause, said once: the detail alone when it already begins with
 * the reason (`status 503 not in 200-299`, not `status: status 503…`), else `reason: detail`;
 * "" when neither is known.
 */
export function causeText(reason: string | null, detail: string | null): string {
  if (reason === null || reason === "") return detail ?? "";
  if (detail === null || detail === "") return reason;
  return startsWithWord(detail, reason) ? detail : `${reason}: ${detail}`;
}

/** Whether `text` begins with `word` as a whole word (`cert_expired` also as `cert expired`). */
function startsWithWord(text: string, word: string): boolean {
  const head = text.slice(0, word.length).toLowerCase();
  if (head !== word.toLowerCase() && head !== word.toLowerCase().replace(/_/g, " ")) return false;
  return !/[\p{L}\p{N}_]/u.test(text.charAt(word.length));
}
