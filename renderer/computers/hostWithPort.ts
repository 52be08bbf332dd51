// How a computer's address is written where a port other than SMB's 445 is possible.

/** host:port, [IPv6]:port, or just the host when the port is the default (null). */
export function hostWithPort(host: string, port: number | null): string {
  return port === null ? host : `${host.includes(':') ? `[${host}]` : host}:${port}`;
}
