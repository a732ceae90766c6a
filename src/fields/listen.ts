/** Where the HTTP server listens. */
export interface ListenAddress {
  host: string;
  port: number;
}

/** `host:port`, `[::1]:9469` or `:9469` (all interfaces); null when it is none of these. */
export function parseListenAddress(value: string): ListenAddress | null {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]*)):(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || port > 65_535) return null;
  return { host: match[1] ?? (match[2] || "0.0.0.0"), port };
}

export function listenAddressProblem(value: string): string {
  return `"${value}" is not a listen address (use host:port, e.g. 0.0.0.0:9469)`;
}
