// Benchmark (not a test): copy one large file to the same Samba share with the console's SMB
// client and with Samba's own smbclient, same dialect, signing and encryption, several rounds
// alternating, in one run; print both throughputs and their ratio.
//   npx tsx bench/smbCopy.ts [--mb 1024] [--rounds 3] [--encrypt] [--protocol SMB3_11]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SmbConnection } from '../main/smb/connection.js';
import { SmbSession } from '../main/smb/session.js';
import { SmbTree } from '../main/smb/tree.js';
import { smbclient, startSamba } from '../test/support/samba.js';
import { writeRandomFile } from '../test/support/payload.js';

const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '1024' },
    rounds: { type: 'string', default: '3' },
    encrypt: { type: 'boolean', default: false },
    protocol: { type: 'string', default: 'SMB3_11' },
  },
});
const bytes = Number(values.mb) * 1024 * 1024;
const rounds = Number(values.rounds);
const protocol = values.protocol as 'SMB3_11';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mbps = (seconds: number) => bytes / 1024 / 1024 / seconds;

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pic-bench-'));
const local = path.join(work, 'payload.bin');
writeRandomFile(local, bytes);
const server = await startSamba({ address: '127.0.0.60', maxProtocol: protocol, signing: 'mandatory', encrypt: values.encrypt ? 'required' : 'off' });
const remote = path.join(server.shareDir('ADMIN$'), 'payload.bin');
const ours: number[] = [];
const theirs: number[] = [];
try {
  console.log(`copy ${values.mb} MiB to //${server.address}/ADMIN$ — ${protocol}, signing required, encryption ${values.encrypt ? 'required' : 'off'}, ${rounds} rounds`);
  for (let round = 1; round <= rounds; round++) {
    {
      const started = process.hrtime.bigint();
      const connection = await SmbConnection.connect({ host: server.address, port: server.port, connectTimeoutMs: 3000 });
      const session = await SmbSession.setup(connection, { user: server.users[0]!.name, password: server.users[0]!.password }, { targetHost: server.address, encryptWhenSupported: values.encrypt });
      const tree = await SmbTree.connect(session, server.address, 'ADMIN$');
      await tree.writeFile('payload.bin', { path: local });
      await session.logoff();
      connection.close();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (fs.statSync(remote).size !== bytes) throw new Error('our copy is incomplete');
      fs.rmSync(remote);
      ours.push(seconds);
    }
    {
      const started = process.hrtime.bigint();
      const result = await smbclient(server, {
        share: 'ADMIN$',
        commands: `put ${local} payload.bin`,
        maxProtocol: protocol,
        signing: 'required',
        encrypt: values.encrypt ? 'required' : 'off',
        timeoutMs: 600_000,
      });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (result.code !== 0 || fs.statSync(remote).size !== bytes) throw new Error(`smbclient failed: ${result.stderr}${result.stdout}`);
      fs.rmSync(remote);
      theirs.push(seconds);
    }
    console.log(`round ${round}: pushctl ${mbps(ours.at(-1)!).toFixed(0)} MiB/s   smbclient ${mbps(theirs.at(-1)!).toFixed(0)} MiB/s`);
  }
  const a = mbps(median(ours));
  const b = mbps(median(theirs));
  console.log(`median: pushctl ${a.toFixed(0)} MiB/s, smbclient ${b.toFixed(0)} MiB/s, ratio ${(a / b).toFixed(2)}x`);
} finally {
  await server.stop();
  fs.rmSync(work, { recursive: true, force: true });
}
