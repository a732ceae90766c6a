/**
 * Code-unit order of two strings: the same on every machine and locale (unlike localeCompare),
 * so that reports and listings sort identically everywhere.
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
