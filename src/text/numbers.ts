/** Numbers for people: availability as a percentage, large counts with separators. */

/**
 * Three decimals, never rounded up: 99.9996 % is not 100 %. The epsilon keeps float noise
 * (0.29 * 1e5 = 28999.999…) from cutting a digit off.
 */
export function percent(availability: number | null): string {
  if (availability === null) return "n/a";
  return `${(Math.floor(availability * 100_000 + 1e-6) / 1000).toFixed(3)}%`;
}

/** 1,000,000: counts large enough to need reading aids. */
export function count(value: number): string {
  // whole numbers by hand, as en-US groups them: toLocaleString's first call loads ICU's
  // locale data, ≈ 10 ms of a report
  if (!Number.isSafeInteger(value)) return value.toLocaleString("en-US");
  const digits = String(Math.abs(value));
  let grouped = digits.slice(0, digits.length % 3 || 3);
  for (let i = grouped.length; i < digits.length; i += 3) grouped += `,${digits.slice(i, i + 3)}`;
  return value < 0 ? `-${grouped}` : grouped;
}
