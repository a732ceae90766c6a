/**
 * Metric families a live run shows only with what it is configured with: a quorum group (on
 * PostgreSQL, with vantages), push targets, DNS and gRPC targets. Tests that ask every panel of
 * the shipped dashboards for data leave out panels that query only these when their run has
 * none; each family is shown with data by its own end-to-end test.
 */
export const QUORUM_FAMILY = /^pantau_quorum_/;
export const KIND_FAMILIES = [/^pantau_push_/, /^probe_dns_/, /^probe_grpc_/];

/** Whether every name is one of `families` (and there is at least one). */
export function onlyOf(names: readonly string[], families: readonly RegExp[]): boolean {
  return names.length > 0 && names.every((name) => families.some((f) => f.test(name)));
}
