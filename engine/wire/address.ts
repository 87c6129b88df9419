/** Engine addresses as they travel and are stored: `host:port`, or `[v6]:port`. */

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Parses `host:port` or `[v6]:port` (port 0 asks a listener for an ephemeral port); throws on anything else. */
export function parseHostPort(text: string): HostPort {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = match === null ? Number.NaN : Number(match[3]);
  if (match === null || port > 65_535) throw new Error(`listen address must be host:port, got ${JSON.stringify(text)}`);
  return { host: match[1] ?? match[2]!, port };
}

/** `host:port`, bracketing an IPv6 host. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
