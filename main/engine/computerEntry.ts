// What an admin may type as a computer: an IPv4/IPv6 address, a DNS name, or a NetBIOS name.
// Pure; the Computers tab, the CLI and imports all go through it.
import net from 'node:net';

export type ComputerEntry =
  | { readonly ok: true; readonly kind: 'ipv4' | 'ipv6' | 'dns' | 'netbios'; readonly name: string }
  | { readonly ok: false; readonly reason: string };

const DNS_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;
// MS: NetBIOS computer names may not contain \ / : * ? " < > | and are at most 15 characters.
const NETBIOS_FORBIDDEN = /[\\/:*?"<>|.\s,;=+[\]]/;

export function parseComputerEntry(raw: string): ComputerEntry {
  const entry = raw.trim();
  if (entry.length === 0) return { ok: false, reason: 'empty' };
  if (net.isIPv4(entry)) return { ok: true, kind: 'ipv4', name: entry };
  const unbracketed = entry.startsWith('[') && entry.endsWith(']') ? entry.slice(1, -1) : entry;
  if (net.isIPv6(unbracketed)) return { ok: true, kind: 'ipv6', name: unbracketed.toLowerCase() };
  if (/^[0-9.]+$/.test(entry)) return { ok: false, reason: 'not a valid IPv4 address' };
  if (entry.includes('.')) {
    const name = entry.endsWith('.') ? entry.slice(0, -1) : entry;
    if (name.length > 253) return { ok: false, reason: 'DNS name longer than 253 characters' };
    const bad = name.split('.').find((label) => !DNS_LABEL.test(label));
    if (bad !== undefined) return { ok: false, reason: `"${bad}" is not a valid DNS label` };
    return { ok: true, kind: 'dns', name: name.toLowerCase() };
  }
  if (entry.length > 15) return { ok: false, reason: 'NetBIOS name longer than 15 characters' };
  if (NETBIOS_FORBIDDEN.test(entry)) return { ok: false, reason: 'contains a character Windows does not allow in a computer name' };
  return { ok: true, kind: 'netbios', name: entry.toUpperCase() };
}
