// Records a real LDAP conversation for the hostile server's seed (test/support/ldapHostile.ts):
// a TCP proxy between the console's directory client and slapd that keeps every byte slapd sends,
// then splits it into the BindResponse and the search's answers (entries, then the done).
import net from 'node:net';
import { searchDirectoryComputers, type DirectoryQuery } from '../../main/import/directoryImport.js';
import { parseMessage, splitMessages, type LdapSeed } from './ldapHostile.js';

export async function recordLdapConversation(upstreamUrl: string, query: Omit<DirectoryQuery, 'url'>, host = '127.0.76.3'): Promise<LdapSeed> {
  const upstream = new URL(upstreamUrl);
  const fromServer: Buffer[] = [];
  const open = new Set<net.Socket>();
  const proxy = net.createServer((client) => {
    const server = net.connect(Number(upstream.port), upstream.hostname);
    open.add(client).add(server);
    client.pipe(server);
    server.on('data', (d: Buffer) => {
      fromServer.push(d);
      client.write(d);
    });
    for (const s of [client, server]) {
      s.on('error', () => undefined);
      s.on('close', () => (client.destroy(), server.destroy(), open.delete(s)));
    }
  });
  await new Promise<void>((resolve) => proxy.listen(0, host, resolve));
  try {
    const { port } = proxy.address() as net.AddressInfo;
    await searchDirectoryComputers({ ...query, url: `ldap://${host}:${port}` });
  } finally {
    for (const s of open) s.destroy();
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
  }
  const messages = splitMessages(Buffer.concat(fromServer));
  const bind = messages.find((m) => parseMessage(m)?.op === 0x61);
  const search = messages.filter((m) => [0x64, 0x65, 0x73].includes(parseMessage(m)?.op ?? -1));
  if (!bind || search.at(-1) === undefined || parseMessage(search.at(-1)!)?.op !== 0x65) {
    throw new Error(`the recorded conversation is not bind + search: ${messages.map((m) => parseMessage(m)?.op.toString(16)).join(' ')}`);
  }
  return { bind, search };
}
