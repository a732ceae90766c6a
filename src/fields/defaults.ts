/**
 * Defaults as they would be written in the file: one list for the resolver, the JSON Schema and
 * the reference docs, so the three cannot drift.
 */
export const DEFAULTS = {
  interval: "30s",
  timeout: "10s",
  failureThreshold: 3,
  successThreshold: 2,
  degradedThreshold: 3,
  maxInFlight: 1000,
  listen: "0.0.0.0:9469",
  storagePath: "data/pantau.db",
  heartbeat: "5s",
  maxPending: 100_000,
  alertmanagerResend: "1m",
  method: "GET",
  followRedirects: true,
  maxRedirects: 10,
  maxBody: "1MiB",
  ipFamily: "any",
  httpVersion: "1.1",
  status: ["200-299"],
  pushGrace: "30s",
} as const;
