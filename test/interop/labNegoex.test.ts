// The NEGOTIATE response's negTokenInit per lab personality, over TCP, and the console's client
// logging on through it: a 'windows' host lists NEGOEX first with a NEGOEX mechToken (as Windows
// Server 2016+ does, MS-SPNG 2.2.1, MS-NEGOEX 2.2.6), a 'samba' host only NTLMSSP; the client
// ignores NEGOEX, logs on with NTLMv2 and its mechListMIC (over its own mechTypes) checks both ways.
// Lab hosts on 127.0.150.x, port 14500.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startLab } from '../../main/lab/lab.js';
import { decodeNegoexMessages, NegoexMessageType } from '../../main/smb/auth/negoex.js';
import { NEGOEX_OID, NTLMSSP_OID, WINDOWS_HINT_NAME, decodeNegTokenInit } from '../../main/smb/auth/spnego.js';
import { Command } from '../../main/smb/codec/header.js';
import { Capabilities, SecurityMode, decodeNegotiateResponse, encodeNegotiateRequest } from '../../main/smb/codec/negotiate.js';
import { SmbConnection } from '../../main/smb/connection.js';
import { SmbSession } from '../../main/smb/session.js';
import { RawSmb } from '../support/labSmbRaw.js';

const PORT = 14500;

async function negotiateSecurityBuffer(address: string): Promise<Buffer> {
  const raw = await RawSmb.connect(address, PORT);
  try {
    const response = await raw.request({
      command: Command.NEGOTIATE,
      body: encodeNegotiateRequest({ dialects: [0x0202, 0x0210], securityMode: SecurityMode.SIGNING_ENABLED, capabilities: Capabilities.LARGE_MTU, clientGuid: crypto.randomBytes(16), preauthSalt: Buffer.alloc(32), ciphers: [], signingAlgorithms: [] }),
    });
    assert.ok(response && response.header.status === 0, 'NEGOTIATE answered');
    return decodeNegotiateResponse(response.message).securityBuffer;
  } finally {
    raw.close();
  }
}

test('a windows host offers NEGOEX first with a NEGOEX token, a samba host NTLMSSP alone; the client logs on to both with NTLMv2', async (t) => {
  const lab = await startLab({
    hosts: 2, first: '127.0.150.1', port: PORT, profile: 'healthy', installTimeMs: 0, logonFailureDelayMs: 50,
    personality: (name) => (name.endsWith('1') ? 'windows' : 'samba'),
  });
  t.after(() => lab.close());
  const [windowsHost, sambaHost] = lab.hosts as [(typeof lab.hosts)[0], (typeof lab.hosts)[0]];
  assert.deepEqual([windowsHost.config.personality, sambaHost.config.personality], ['windows', 'samba']);

  const windows = decodeNegTokenInit(await negotiateSecurityBuffer(windowsHost.config.address));
  assert.deepEqual(windows.mechTypes, [NEGOEX_OID, NTLMSSP_OID]);
  assert.equal(windows.hintName, WINDOWS_HINT_NAME);
  assert.deepEqual(decodeNegoexMessages(windows.mechToken!).map((m) => m.type), [NegoexMessageType.ACCEPTOR_NEGO, NegoexMessageType.ACCEPTOR_META_DATA]);
  const samba = decodeNegTokenInit(await negotiateSecurityBuffer(sambaHost.config.address));
  assert.deepEqual([samba.mechTypes, samba.mechToken, samba.hintName], [[NTLMSSP_OID], undefined, WINDOWS_HINT_NAME]);

  for (const host of [windowsHost, sambaHost]) {
    for (const dialects of [[0x0210], [0x0311]]) {
      const connection = await SmbConnection.connect({ host: host.config.address, port: PORT, connectTimeoutMs: 3000, requestTimeoutMs: 10_000, dialects });
      try {
        const session = await SmbSession.setup(connection, { user: `LAB\\${lab.account.user}`, password: lab.account.password }, { targetHost: host.config.address });
        assert.equal(session.mechanism, 'ntlm', `${host.config.name} ${dialects}`);
        await session.logoff();
      } finally {
        connection.close();
      }
    }
    assert.deepEqual([host.counters.logons, host.counters.logonFailures], [2, 0], `${host.config.name}: both logons verified, the client's mechListMIC included`);
  }
});
