// SmbConnection against a scripted server on 127.0.0.1: STATUS_PENDING interim responses restart
// the wait (MS-SMB2 3.2.5.1.5), message ids advance by the credit charge of large requests
// (3.2.4.1.5), a server that grants no credits ends in a typed error instead of a deadlock, and
// compounded requests (3.2.4.1.4) go as one message whose responses may come joined or apart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { ConsoleError } from '../../main/ipc/errors.js';
import { SmbConnection } from '../../main/smb/connection.js';
import { responseIntegrityProblem } from '../../main/smb/messageSecurity.js';
import { Command, HeaderFlags, decodeHeader, encodeHeader } from '../../main/smb/codec/header.js';
import { encodeEmptyBody } from '../../main/smb/codec/errorBody.js';
import { hex } from '../support/wire.js';

interface Seen { command: number; messageId: bigint; creditCharge: number }
type Script = (request: Seen, reply: (status: number, body: Buffer, opts?: { credits?: number; async?: boolean; delayMs?: number; nextCommand?: number }) => void) => void;

function frame(message: Buffer): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(message.length);
  return Buffer.concat([prefix, message]);
}

/** A 2.1 NEGOTIATE response with LARGE_MTU, 8 MiB limits and no security buffer. */
const NEGOTIATE_21 = hex(`4100 0100 1002 0000 ${'ab'.repeat(16)} 04000000 00008000 00008000 00008000 0000000000000000 0000000000000000 8000 0000 00000000`);
const ECHO_RESPONSE = hex('0400 0000');

/** A server on 127.0.0.1 that hands each direct-TCP message it receives to `onMessage`. */
async function framedServer(onMessage: (message: Buffer, socket: net.Socket) => void): Promise<{ port: number; close: () => void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let buffered = Buffer.alloc(0);
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => {
      buffered = Buffer.concat([buffered, d]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32BE(0)) {
        const message = Buffer.from(buffered.subarray(4, 4 + buffered.readUInt32BE(0)));
        buffered = buffered.subarray(4 + message.length);
        onMessage(message, socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

async function scriptedServer(script: Script): Promise<{ port: number; seen: Seen[]; close: () => void }> {
  const seen: Seen[] = [];
  const server = await framedServer((message, socket) => {
    const h = decodeHeader(message);
    const request = { command: h.command, messageId: h.messageId, creditCharge: h.creditCharge };
    seen.push(request);
    script(request, (status, body, opts = {}) => {
      const send = () => {
        const header = encodeHeader({
          creditCharge: 1, status, command: h.command, credits: opts.credits ?? 64,
          flags: HeaderFlags.SERVER_TO_REDIR | (opts.async ? HeaderFlags.ASYNC_COMMAND : 0), nextCommand: opts.nextCommand ?? 0,
          messageId: h.messageId, treeId: 0, asyncId: opts.async ? 9n : 0n, sessionId: 0n, signature: Buffer.alloc(16),
        });
        if (!socket.destroyed) socket.write(frame(Buffer.concat([header, body])));
      };
      if (opts.delayMs) setTimeout(send, opts.delayMs);
      else send();
    });
  });
  return { ...server, seen };
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
  const response = await connection.request(Command.ECHO, encodeEmptyBody());
  assert.equal(response.header.status, 0);
});

test('without an interim response the same slow answer times out as a typed timeout', async (t) => {
  const server = await scriptedServer(negotiateThen((_r, reply) => reply(0, ECHO_RESPONSE, { delayMs: 400 })));
  t.after(server.close);
  const connection = await SmbConnection.connect({ host: '127.0.0.1', port: server.port, connectTimeoutMs: 1000, requestTimeoutMs: 300 });
  t.after(() => connection.close());
  await assert.rejects(connection.request(Command.ECHO, encodeEmptyBody()), (e: unknown) => e instanceof ConsoleError && e.errorClass === 'timeout');
});

test('once an interim STATUS_PENDING accepted a request, its final answer may take the accepted bound, longer than the request bound (an SCM start wait)', async (t) => {
  const server = await scriptedServer(negotiateThen((_r, reply) => {
    reply(0x103, hex('0900 0000 00000000 00'), { async: true, delayMs: 20 });
    reply(0, ECHO_RESPONSE, { async: true, delayMs: 700 });
  }));
  t.after(server.close);
  const connection = await SmbConnection.connect({ host: '127.0.0.1', port: server.port, connectTimeoutMs: 1000, requestTimeoutMs: 300 });
  t.after(() => connection.close());
  const response = await connection.request(Command.ECHO, encodeEmptyBody(), { acceptedTimeoutMs: 2000 });
  assert.equal(response.header.status, 0);
  assert.equal(connection.interimResponses, 1);
  // Without a longer accepted bound the wait after the interim is the request bound, and says what happened.
  await assert.rejects(
    connection.request(Command.ECHO, encodeEmptyBody()),
    (e: unknown) => e instanceof ConsoleError && e.errorClass === 'timeout' && /accepted a request \(STATUS_PENDING\)/.test(e.message),
  );
});

test('where signing is required, an unsigned STATUS_USER_SESSION_DELETED or NETWORK_SESSION_EXPIRED is the session ending, not tampering; an unsigned success still is', async (t) => {
  const statuses = [0xc0000203, 0xc000035c, 0];
  const server = await scriptedServer(negotiateThen((_r, reply) => {
    const status = statuses.shift()!;
    reply(status, status === 0 ? ECHO_RESPONSE : hex('0900 0000 00000000 00'));
  }));
  t.after(server.close);
  const connection = await SmbConnection.connect({ host: '127.0.0.1', port: server.port, connectTimeoutMs: 1000 });
  t.after(() => connection.close());
  const session = { sessionId: 0n, signingKey: Buffer.alloc(16, 7), signingAlgorithm: 'hmac-sha256' as const, signingRequired: true, encryptData: false, encryptionKey: null, decryptionKey: null };
  assert.equal((await connection.request(Command.ECHO, encodeEmptyBody(), { session })).header.status, 0xc0000203);
  assert.equal((await connection.request(Command.ECHO, encodeEmptyBody(), { session })).header.status, 0xc000035c);
  await assert.rejects(connection.request(Command.ECHO, encodeEmptyBody(), { session }), (e: unknown) => e instanceof ConsoleError && e.errorClass === 'smb-integrity');
});

test('an unsigned final SESSION_SETUP of a guest logon passes the signature check, so the session layer can refuse it as a guest logon', () => {
  const session = { sessionId: 5n, signingKey: Buffer.alloc(16, 7), signingAlgorithm: 'hmac-sha256' as const, signingRequired: true, encryptData: false, encryptionKey: null, decryptionKey: null };
  const response = (sessionFlags: number) => {
    const header = { creditCharge: 1, status: 0, command: Command.SESSION_SETUP, credits: 1, flags: HeaderFlags.SERVER_TO_REDIR, nextCommand: 0, messageId: 2n, treeId: 0, asyncId: 0n, sessionId: 5n, signature: Buffer.alloc(16) };
    const body = Buffer.alloc(9);
    body.writeUInt16LE(9, 0);
    body.writeUInt16LE(sessionFlags, 2);
    return { header, message: Buffer.concat([encodeHeader(header), body]) };
  };
  const sent = { command: Command.SESSION_SETUP, session, encrypted: false };
  const guest = response(0x0001);
  assert.equal(responseIntegrityProblem(sent, new Map(), guest.header, guest.message, false), null);
  const user = response(0);
  assert.equal((responseIntegrityProblem(sent, new Map(), user.header, user.message, false) as ConsoleError).errorClass, 'smb-integrity');
});

test('message ids advance by the credit charge of a large request', async (t) => {
  const server = await scriptedServer(negotiateThen((_r, reply) => reply(0, ECHO_RESPONSE)));
  t.after(server.close);
  const connection = await SmbConnection.connect({ host: '127.0.0.1', port: server.port, connectTimeoutMs: 1000 });
  t.after(() => connection.close());
  await connection.request(Command.ECHO, encodeEmptyBody());
  await connection.request(Command.ECHO, encodeEmptyBody(), { payloadSize: 200_000 });
  await connection.request(Command.ECHO, encodeEmptyBody());
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
  for (let i = 0; i < 64; i++) await connection.request(Command.ECHO, encodeEmptyBody());
  const started = Date.now();
  await assert.rejects(connection.request(Command.ECHO, encodeEmptyBody()), (e: unknown) => e instanceof ConsoleError && e.errorClass === 'smb-protocol' && /credits/.test(e.message));
  assert.ok(Date.now() - started < 100);
});

/** A server that reads one compounded message and answers its requests as `answer` says: joined into one message, or apart in reverse order. */
async function chainServer(answer: 'joined' | 'apart'): Promise<{ port: number; chains: Buffer[]; close: () => void }> {
  const chains: Buffer[] = [];
  const response = (h: ReturnType<typeof decodeHeader>, nextCommand: number) => {
    const body = h.command === Command.NEGOTIATE ? NEGOTIATE_21 : ECHO_RESPONSE;
    const message = Buffer.concat([
      encodeHeader({ creditCharge: 1, status: 0, command: h.command, credits: 64, flags: HeaderFlags.SERVER_TO_REDIR, nextCommand, messageId: h.messageId, treeId: 0, asyncId: 0n, sessionId: 0n, signature: Buffer.alloc(16) }),
      body,
    ]);
    return nextCommand ? Buffer.concat([message, Buffer.alloc(nextCommand - message.length)]) : message;
  };
  const server = await framedServer((message, socket) => {
    const headers = [];
    for (let at = 0; ; ) {
      const h = decodeHeader(message.subarray(at));
      headers.push(h);
      if (h.nextCommand === 0) break;
      at += h.nextCommand;
    }
    if (headers[0]!.command !== Command.NEGOTIATE) chains.push(message);
    if (answer === 'joined') {
      const pieces = headers.map((h, i) => response(h, i < headers.length - 1 ? 72 : 0));
      socket.write(frame(Buffer.concat(pieces)));
    } else {
      for (const h of [...headers].reverse()) socket.write(frame(response(h, 0)));
    }
  });
  return { ...server, chains };
}

for (const answer of ['joined', 'apart'] as const) {
  test(`a compounded request goes as one message of related requests, and its responses ${answer === 'joined' ? 'joined in one message' : 'sent apart in reverse order'} each resolve their own request`, async (t) => {
    const server = await chainServer(answer);
    t.after(server.close);
    const connection = await SmbConnection.connect({ host: '127.0.0.1', port: server.port, connectTimeoutMs: 1000, requestTimeoutMs: 1000 });
    t.after(() => connection.close());
    const sent = connection.messagesSent;
    // Bodies of 4, 5 and 4 bytes: the first two are padded to 8-byte boundaries (MS-SMB2 3.2.4.1.4).
    const responses = await connection.compound([
      { command: Command.ECHO, body: encodeEmptyBody() },
      { command: Command.ECHO, body: Buffer.from([4, 0, 0, 0, 0]) },
      { command: Command.ECHO, body: encodeEmptyBody() },
    ]);
    assert.equal(connection.messagesSent - sent, 1, 'one message on the wire');
    assert.deepEqual(responses.map((r) => r.header.messageId), [1n, 2n, 3n], 'each request has its own response');
    const [chain] = server.chains;
    const first = decodeHeader(chain!);
    const second = decodeHeader(chain!.subarray(first.nextCommand));
    const third = decodeHeader(chain!.subarray(first.nextCommand + second.nextCommand));
    assert.deepEqual([first.nextCommand, second.nextCommand, third.nextCommand], [72, 72, 0], 'NextCommand is each request padded to 8 bytes; 0 on the last');
    assert.deepEqual([first.flags, second.flags, third.flags].map((f) => (f & HeaderFlags.RELATED_OPERATIONS) !== 0), [false, true, true], 'every request after the first is related');
    assert.equal(chain!.length, 72 + 72 + 68);
  });
}

test('a compounded response whose NextCommand points past its end ends the connection with a typed error', async (t) => {
  const server = await scriptedServer(negotiateThen((_r, reply) => reply(0, ECHO_RESPONSE, { nextCommand: 4096 })));
  t.after(server.close);
  const connection = await SmbConnection.connect({ host: '127.0.0.1', port: server.port, connectTimeoutMs: 1000, requestTimeoutMs: 1000 });
  t.after(() => connection.close());
  await assert.rejects(connection.request(Command.ECHO, encodeEmptyBody()), (e: unknown) => e instanceof ConsoleError && e.errorClass === 'smb-protocol' && /NextCommand 4096/.test(e.message));
});
