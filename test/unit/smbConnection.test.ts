// SmbConnection against a scripted server on 127.0.0.1: STATUS_PENDING interim responses restart
// the wait (MS-SMB2 3.2.5.1.5), message ids advance by the credit charge of large requests
// (3.2.4.1.5), and a server that grants no credits ends in a typed error instead of a deadlock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { ConsoleError } from '../../main/ipc/errors.js';
import { SmbConnection } from '../../main/smb/connection.js';
import { Command, HeaderFlags, decodeHeader, encodeHeader } from '../../main/smb/codec/header.js';
import { encodeEmptyRequest } from '../../main/smb/codec/sessionSetup.js';
import { hex } from '../support/wire.js';

interface Seen { command: number; messageId: bigint; creditCharge: number }
type Script = (request: Seen, reply: (status: number, body: Buffer, opts?: { credits?: number; async?: boolean; delayMs?: number }) => void) => void;

function frame(message: Buffer): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(message.length);
  return Buffer.concat([prefix, message]);
}

/** A 2.1 NEGOTIATE response with LARGE_MTU, 8 MiB limits and no security buffer. */
const NEGOTIATE_21 = hex(`4100 0100 1002 0000 ${'ab'.repeat(16)} 04000000 00008000 00008000 00008000 0000000000000000 0000000000000000 8000 0000 00000000`);
const ECHO_RESPONSE = hex('0400 0000');

async function scriptedServer(script: Script): Promise<{ port: number; seen: Seen[]; close: () => void }> {
  const seen: Seen[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let buffered = Buffer.alloc(0);
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => {
      buffered = Buffer.concat([buffered, d]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32BE(0)) {
        const message = buffered.subarray(4, 4 + buffered.readUInt32BE(0));
        buffered = buffered.subarray(4 + message.length);
        const h = decodeHeader(Buffer.from(message));
        const request = { command: h.command, messageId: h.messageId, creditCharge: h.creditCharge };
        seen.push(request);
        script(request, (status, body, opts = {}) => {
          const send = () => {
            const header = encodeHeader({
              creditCharge: 1, status, command: h.command, credits: opts.credits ?? 64,
              flags: HeaderFlags.SERVER_TO_REDIR | (opts.async ? HeaderFlags.ASYNC_COMMAND : 0), nextCommand: 0,
              messageId: h.messageId, treeId: 0, asyncId: opts.async ? 9n : 0n, sessionId: 0n, signature: Buffer.alloc(16),
            });
            if (!socket.destroyed) socket.write(frame(Buffer.concat([header, body])));
          };
          if (opts.delayMs) setTimeout(send, opts.delayMs);
          else send();
        });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    seen,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

const negotiateThen = (rest: Script): Script => (request, reply) => {
  if (request.command === Command.NEGOTIATE) reply(0, NEGOTIATE_21);
  else rest(request, reply);
};

test('an interim STATUS_PENDING restarts the wait, so a slow final answer still arrives', async (t) => {
  const server = await scriptedServer(negotiateThen((_r, reply) => {
    reply(0x103, hex('0900 0000 00000000 00'), { async: true, delayMs: 200 });
    reply(0, ECHO_RESPONSE, { async: true, delayMs: 400 });
  }));
  t.after(server.close);
  const connection = await SmbConnection.connect({ host: '127.0.0.1', port: server.port, connectTimeoutMs: 1000, requestTimeoutMs: 300 });
  t.after(() => connection.close());
  const response = await connection.request(Command.ECHO, encodeEmptyRequest());
  assert.equal(response.header.status, 0);
});

test('without an interim response the same slow answer times out as a typed timeout', async (t) => {
  const server = await scriptedServer(negotiateThen((_r, reply) => reply(0, ECHO_RESPONSE, { delayMs: 400 })));
  t.after(server.close);
  const connection = await SmbConnection.connect({ host: '127.0.0.1', port: server.port, connectTimeoutMs: 1000, requestTimeoutMs: 300 });
  t.after(() => connection.close());
  await assert.rejects(connection.request(Command.ECHO, encodeEmptyRequest()), (e: unknown) => e instanceof ConsoleError && e.errorClass === 'timeout');
});

test('message ids advance by the credit charge of a large request', async (t) => {
  const server = await scriptedServer(negotiateThen((_r, reply) => reply(0, ECHO_RESPONSE)));
  t.after(server.close);
  const connection = await SmbConnection.connect({ host: '127.0.0.1', port: server.port, connectTimeoutMs: 1000 });
  t.after(() => connection.close());
  await connection.request(Command.ECHO, encodeEmptyRequest());
  await connection.request(Command.ECHO, encodeEmptyRequest(), { payloadSize: 200_000 });
  await connection.request(Command.ECHO, encodeEmptyRequest());
  assert.deepEqual(
    server.seen.map((s) => [s.messageId, s.creditCharge]),
    [[0n, 0], [1n, 1], [2n, 4], [6n, 1]],
  );
});

test('a server that grants no credits gets a typed error at once, not a deadlock', async (t) => {
  const server = await scriptedServer(negotiateThen((_r, reply) => reply(0, ECHO_RESPONSE, { credits: 0 })));
  t.after(server.close);
  const connection = await SmbConnection.connect({ host: '127.0.0.1', port: server.port, connectTimeoutMs: 1000 });
  t.after(() => connection.close());
  // NEGOTIATE granted 64; spend them all on answers that grant nothing back.
  for (let i = 0; i < 64; i++) await connection.request(Command.ECHO, encodeEmptyRequest());
  const started = Date.now();
  await assert.rejects(connection.request(Command.ECHO, encodeEmptyRequest()), (e: unknown) => e instanceof ConsoleError && e.errorClass === 'smb-protocol' && /credits/.test(e.message));
  assert.ok(Date.now() - started < 100);
});
