// The Push Install Servers this console trusts, each pinned to the SHA-256 fingerprint of its
// certificate — the console's known_hosts (as OpenSSH's ssh(1) keeps host keys in
// ~/.ssh/known_hosts): <data folder>/known-servers.json. A server is pinned once, when the admin
// confirms the fingerprint shown at the first connection, and a certificate other than the pinned
// one is refused from then on (serverClient.ts checks it before anything is sent). Nothing secret
// is kept here: addresses, fingerprints and when each was pinned. A damaged file is not read as
// "no server known" (that would trust whatever answers next): it is an error until it is fixed.
import fs from 'node:fs';
import path from 'node:path';
import { ConsoleError } from '../ipc/errors.js';
import { normaliseFingerprint } from '../serverMode/serverClient.js';

export const KNOWN_SERVERS_FILE = 'known-servers.json';

export interface KnownServer {
  /** lower-case hex, no separators */
  readonly fingerprint: string;
  /** ISO 8601 */
  readonly pinnedAt: string;
}

interface FileShape {
  version: 1;
  servers: Record<string, KnownServer>;
}

/** The key a server is known by: its origin (https://host:port, lower-case host, the port always said). */
export function serverKey(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConsoleError('invalid-request', `Not a server address: ${url.slice(0, 200)}`, 'Enter the address the server printed at start, such as https://pushserver.corp.example:8443.');
  }
  if (u.protocol !== 'https:') throw new ConsoleError('invalid-request', `The server address must start with https:// (${url.slice(0, 200)}).`, 'Use the address the server printed at start, PUSHSERVER_URL.');
  return `https://${u.hostname.toLowerCase()}:${u.port || '443'}`;
}

export class KnownServers {
  readonly file: string;

  constructor(dataDir: string, private readonly now: () => Date = () => new Date()) {
    this.file = path.join(dataDir, KNOWN_SERVERS_FILE);
  }

  private read(): FileShape {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, servers: {} };
      throw error;
    }
    const damaged = (why: string) =>
      new ConsoleError('file', `${this.file} is damaged (${why}); no server is trusted until it is fixed.`, `Fix the file, or remove it and confirm each server's fingerprint again at its next connection.`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw damaged('not JSON');
    }
    const shape = parsed as Partial<FileShape> | null;
    if (!shape || shape.version !== 1 || typeof shape.servers !== 'object' || shape.servers === null) throw damaged('not a list of servers');
    const servers: Record<string, KnownServer> = {};
    for (const [key, value] of Object.entries(shape.servers)) {
      const fp = typeof value?.fingerprint === 'string' ? normaliseFingerprint(value.fingerprint) : '';
      if (!/^[0-9a-f]{64}$/.test(fp)) throw damaged(`the fingerprint of ${key.slice(0, 100)} is not a SHA-256`);
      servers[key] = { fingerprint: fp, pinnedAt: typeof value.pinnedAt === 'string' ? value.pinnedAt : '' };
    }
    return { version: 1, servers };
  }

  /** The pin of a server, or null when it was never confirmed. */
  get(url: string): KnownServer | null {
    const key = serverKey(url);
    const servers = this.read().servers;
    return Object.prototype.hasOwnProperty.call(servers, key) ? servers[key]! : null;
  }

  /** Every pinned server, by address. */
  list(): Record<string, KnownServer> {
    return this.read().servers;
  }

  /** Pins a server to a fingerprint (written to a temporary file, then renamed over the old one). */
  pin(url: string, fingerprint: string): KnownServer {
    const fp = normaliseFingerprint(fingerprint);
    if (!/^[0-9a-f]{64}$/.test(fp)) throw new ConsoleError('invalid-request', 'Not a SHA-256 fingerprint (64 hexadecimal digits).');
    const data = this.read();
    const pinned: KnownServer = { fingerprint: fp, pinnedAt: this.now().toISOString() };
    data.servers[serverKey(url)] = pinned;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(temp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
    fs.renameSync(temp, this.file);
    return pinned;
  }
}
