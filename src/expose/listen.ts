/** `host:port`, `[::1]:9469` or `:9469` (all interfaces) → host and port. */
export interface ListenAddress {
  host: string;
  port: number;
}

export function parseListenAddress(value: string): ListenAddress | string {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port > 65_535) {
    return `listen address "${value}" is not HOST:PORT (e.g. 0.0.0.0:9469, [::1]:9469, :9469)`;
  }
  return { host: match[1] ?? (match[2] || "0.0.0.0"), port };
}
