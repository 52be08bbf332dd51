// What an admin may type as a computer: an IPv4/IPv6 address, a DNS name, or a NetBIOS name,
// optionally with an SMB port: host:port, or [IPv6]:port (a bare IPv6 address has no port: its
// colons are the address's). Pure; the Computers tab, the CLI and imports all go through it.
import net from 'node:net';

/** The SMB port a computer has when none is given; stored as null. */
export const DEFAULT_SMB_PORT = 445;
export const BAD_PORT_REASON = 'port must be 1..65535';

export type ComputerEntry =
  | { readonly ok: true; readonly kind: 'ipv4' | 'ipv6' | 'dns' | 'netbios'; readonly name: string; readonly port: number | null }
  | { readonly ok: false; readonly reason: string };

/** A port as typed (a suffix or a CSV cell): null for 445 (the default), or why it is not a port. */
export function parsePort(text: string): { ok: true; port: number | null } | { ok: false; reason: string } {
  const trimmed = text.trim();
  const port = /^\d{1,5}$/.test(trimmed) ? Number(trimmed) : NaN;
  if (!(port >= 1 && port <= 65535)) return { ok: false, reason: BAD_PORT_REASON };
  return { ok: true, port: port === DEFAULT_SMB_PORT ? null : port };
}

/** host:port for display and for computers.add; [v6]:port for IPv6; just the host without a port. */
export function formatComputerEntry(name: string, port: number | null): string {
  if (port === null || port === DEFAULT_SMB_PORT) return name;
  return `${name.includes(':') ? `[${name}]` : name}:${port}`;
}

const DNS_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;
// MS: NetBIOS computer names may not contain \ / : * ? " < > | and are at most 15 characters.
const NETBIOS_FORBIDDEN = /[\\/:*?"<>|.\s,;=+[\]]/;

export function parseComputerEntry(raw: string): ComputerEntry {
  const entry = raw.trim();
  if (entry.length === 0) return { ok: false, reason: 'empty' };
  // [IPv6]:port
  const bracketed = /^\[([^\]]*)\]:(.*)$/.exec(entry);
  if (bracketed) {
    const [, address, portText] = bracketed as unknown as [string, string, string];
    if (!net.isIPv6(address)) return { ok: false, reason: 'not a valid IPv6 address' };
    const port = parsePort(portText);
    return port.ok ? { ok: true, kind: 'ipv6', name: address.toLowerCase(), port: port.port } : port;
  }
  // host:port (one colon: two or more are an IPv6 address, or not a computer at all).
  const colon = entry.indexOf(':');
  if (colon >= 0 && colon === entry.lastIndexOf(':')) {
    const host = entry.slice(0, colon).trim();
    if (host === '') return { ok: false, reason: 'no computer name before the port' };
    const port = parsePort(entry.slice(colon + 1));
    if (!port.ok) return port;
    const parsed = parseHost(host);
    return parsed.ok ? { ...parsed, port: port.port } : parsed;
  }
  return parseHost(entry);
}

function parseHost(entry: string): ComputerEntry {
  if (net.isIPv4(entry)) return { ok: true, kind: 'ipv4', name: entry, port: null };
  const unbracketed = entry.startsWith('[') && entry.endsWith(']') ? entry.slice(1, -1) : entry;
  if (net.isIPv6(unbracketed)) return { ok: true, kind: 'ipv6', name: unbracketed.toLowerCase(), port: null };
  if (/^[0-9.]+$/.test(entry)) return { ok: false, reason: 'not a valid IPv4 address' };
  if (entry.includes('.')) {
    const name = entry.endsWith('.') ? entry.slice(0, -1) : entry;
    if (name.length > 253) return { ok: false, reason: 'DNS name longer than 253 characters' };
    const bad = name.split('.').find((label) => !DNS_LABEL.test(label));
    if (bad !== undefined) return { ok: false, reason: `"${bad}" is not a valid DNS label` };
    return { ok: true, kind: 'dns', name: name.toLowerCase(), port: null };
  }
  if (entry.length > 15) return { ok: false, reason: 'NetBIOS name longer than 15 characters' };
  if (NETBIOS_FORBIDDEN.test(entry)) return { ok: false, reason: 'contains a character Windows does not allow in a computer name' };
  return { ok: true, kind: 'netbios', name: entry.toUpperCase(), port: null };
}
