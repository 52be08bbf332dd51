// Active Directory import (DESIGN.md §1.1) over LDAP or LDAPS with ldapts: bind with the given
// account, search the base DN (or an OU under it) for computer objects, and return their names,
// DNS names and operating systems. Bounded: 10 000 computers, a 15 s connect and search timeout.
// The filter is AD's (objectClass=computer); the test directory (test/support/slapd.ts) loads a
// minimal schema with AD's OIDs for computer, dNSHostName and operatingSystem, so the same query
// runs against both.
import { Client, InvalidCredentialsError, NoSuchObjectError } from 'ldapts';
import type { DirectoryComputer } from '../ipc/contract.js';
import { ConsoleError } from '../ipc/errors.js';

export const MAX_DIRECTORY_COMPUTERS = 10_000;

export interface DirectoryQuery {
  readonly url: string;
  readonly baseDn: string;
  readonly bindDn: string;
  readonly password: string;
  readonly ou?: string | undefined;
  readonly allowUntrusted?: boolean | undefined;
  readonly timeoutMs?: number;
}

function first(value: unknown): string | null {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v === null) return null;
  return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
}

function asConsoleError(error: unknown, q: DirectoryQuery): ConsoleError {
  if (error instanceof ConsoleError) return error;
  if (error instanceof InvalidCredentialsError) {
    return new ConsoleError('directory-logon', `The directory refused the bind account ${q.bindDn || '(anonymous)'}.`, 'Check the account (a DN, or user@domain for Active Directory) and its password.', 'LDAP 49');
  }
  if (error instanceof NoSuchObjectError) {
    return new ConsoleError('directory-base', `The directory has no entry ${q.ou || q.baseDn}.`, 'Check the base DN (e.g. DC=corp,DC=example) and the OU.', 'LDAP 32');
  }
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as NodeJS.ErrnoException).code ?? null;
  if (code === 'ECONNREFUSED' || code === 'ETIMEDOUT' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || /timeout/i.test(message)) {
    return new ConsoleError('directory-unreachable', `The directory server ${q.url} did not answer (${code ?? message}).`, 'Check the server name and port (389 for LDAP, 636 for LDAPS) and that a firewall lets the console reach it.', code);
  }
  if (/certificate|self[- ]signed|CERT_/i.test(message)) {
    return new ConsoleError('directory-tls', `The directory's certificate is not trusted: ${message}`, 'Install the directory\'s CA certificate on this computer, or allow an untrusted certificate for a lab directory.', code);
  }
  return new ConsoleError('directory', `The directory search failed: ${message}`, 'Check the server, the base DN and the bind account.', code);
}

export async function searchDirectoryComputers(q: DirectoryQuery): Promise<{ computers: DirectoryComputer[]; truncated: boolean }> {
  const timeout = q.timeoutMs ?? 15_000;
  const client = new Client({
    url: q.url,
    timeout,
    connectTimeout: timeout,
    ...(q.url.toLowerCase().startsWith('ldaps:') ? { tlsOptions: { rejectUnauthorized: !q.allowUntrusted } } : {}),
  });
  try {
    await client.bind(q.bindDn, q.password);
    const { searchEntries } = await client.search(q.ou?.trim() || q.baseDn, {
      scope: 'sub',
      filter: '(objectClass=computer)',
      attributes: ['cn', 'name', 'dNSHostName', 'operatingSystem', 'operatingSystemVersion'],
      sizeLimit: MAX_DIRECTORY_COMPUTERS + 1,
      paged: { pageSize: 500 },
    });
    const computers = searchEntries.slice(0, MAX_DIRECTORY_COMPUTERS).map((e) => {
      const dnsName = first(e.dNSHostName);
      const name = first(e.cn) ?? first(e.name) ?? dnsName?.split('.')[0] ?? e.dn;
      const os = [first(e.operatingSystem), first(e.operatingSystemVersion)].filter(Boolean).join(' ') || null;
      return { name, dnsName, os, dn: e.dn };
    });
    return { computers, truncated: searchEntries.length > MAX_DIRECTORY_COMPUTERS };
  } catch (error) {
    throw asConsoleError(error, q);
  } finally {
    await client.unbind().catch(() => undefined);
  }
}
