// NTLMv2 (MS-NLMP): the §4.2.4 known answers, a real Windows exchange, CHALLENGE decoding with
// bounds checks, and the AUTHENTICATE message's TargetInfo, keys and MIC.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import {
  AvId,
  NegotiateFlag,
  NtlmFormatError,
  buildAuthenticateMessage,
  computeMic,
  computeNtlmV2Response,
  decodeChallengeMessage,
  encodeNegotiateMessage,
  ntHash,
  ntlmMessageSignature,
  ntowfV2,
  parseUserName,
  authenticateDomain,
} from '../../main/smb/auth/ntlm/client.js';
import { rc4 } from '../../main/smb/crypto/rc4.js';

function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

function utf16(text: string): Buffer {
  return Buffer.from(text, 'utf16le');
}

// MS-NLMP 4.2.4.3: the NTLMv2 CHALLENGE_MESSAGE (target "Server", flags 0xE28A8233, Version
// 6.0.6000, TargetInfo = MsvAvNbDomainName "Domain", MsvAvNbComputerName "Server", MsvAvEOL).
const SPEC_CHALLENGE = hex(`
  4e544c4d53535000020000000c000c003800000033828ae20123456789abcdef
  00000000000000002400240044000000060070170000000f5300650072007600
  6500720002000c0044006f006d00610069006e0001000c005300650072007600
  6500720000000000`);
const SPEC_TARGET_INFO = SPEC_CHALLENGE.subarray(0x44);
// MS-NLMP 4.2.4.1.3: temp for the §4.2.4 inputs (Time = 0, ClientChallenge = aa…aa).
const SPEC_TEMP = hex(`
  01010000000000000000000000000000aaaaaaaaaaaaaaaa00000000
  02000c0044006f006d00610069006e0001000c005300650072007600650072000000000000000000`);

// A Windows 8.1 client authenticating as SUT311\administrator (password "Password01!") to
// Windows 10 build 10130: the NTLM tokens of the 3.1.1 example in the Microsoft Open
// Specifications blog "SMB 2 and SMB 3 security in Windows 10: the anatomy of signing and
// cryptographic keys" (SESSION_SETUP request 1, response 1 and request 2 of the master session).
const WINDOWS_NEGOTIATE = hex(`
  4e544c4d5353500001000000978208e200000000000000000000000000000000
  060380250000000f`);
const WINDOWS_CHALLENGE = hex(`
  4e544c4d53535000020000000c000c003800000015828ae20d1d8ba31179d008
  000000000000000050005000440000000a0092270000000f5300550054003300
  3100310002000c0053005500540033003100310001000c005300550054003300
  3100310004000c0053005500540033003100310003000c005300550054003300
  3100310007000800a1a1f5adcbaed00100000000`);
const WINDOWS_AUTHENTICATE = hex(`
  4e544c4d53535000030000001800180090000000ee00ee00a80000000c000c00
  580000001a001a0064000000120012007e0000001000100096010000158288e2
  060380250000000fecac77a5f385a8bf9c38c706eeeddcd35300550054003300
  31003100610064006d0069006e006900730074007200610074006f0072004400
  5200490056004500520033003100310000000000000000000000000000000000
  000000000000000063078eb639fe03e20a231c3ae3bf23080101000000000000
  a1a1f5adcbaed001bc4ad05f223cc90f0000000002000c005300550054003300
  3100310001000c0053005500540033003100310004000c005300550054003300
  3100310003000c0053005500540033003100310007000800a1a1f5adcbaed001
  06000400020000000800300030000000000000000000000000300000b61fefca
  a857ea57bf1edcebf8974b8e0eba5a6dfd9d07a31d11b548f8c9d0cc0a001000
  000000000000000000000000000000000900160063006900660073002f005300
  550054003300310031000000000000000000000000003b9bdff38f5ee8f9663f
  11a0f4c03a78`);
const WINDOWS_EXPORTED_SESSION_KEY = hex('270E1BA896585EEB7AF3472D3B4C75A7');

/** A security-buffer field of an NTLM message. */
function field(message: Buffer, at: number): Buffer {
  const length = message.readUInt16LE(at);
  const offset = message.readUInt32LE(at + 4);
  return message.subarray(offset, offset + length);
}

function avPairList(bytes: Buffer): Array<{ id: number; value: Buffer }> {
  const pairs: Array<{ id: number; value: Buffer }> = [];
  for (let at = 0; ; ) {
    const id = bytes.readUInt16LE(at);
    const length = bytes.readUInt16LE(at + 2);
    pairs.push({ id, value: bytes.subarray(at + 4, at + 4 + length) });
    at += 4 + length;
    if (id === AvId.EOL) return pairs;
  }
}

describe('NTLM hashes (MS-NLMP 3.3, 4.2)', () => {
  test('ntHash("Password") is a4f49c406510bdcab6824ee7c30fd852 (MS-NLMP 4.2.2.1.2)', () => {
    assert.equal(ntHash('Password').toString('hex'), 'a4f49c406510bdcab6824ee7c30fd852');
    assert.equal(ntHash('Password01!').toString('hex'), '7c4fe5eada682714a036e39378362bab');
  });

  test('NTOWFv2(User, Domain, Password) is 0c868a403bfd7a93a3001ef22ef02e3f (MS-NLMP 4.2.4.1.1); the user is upper-cased, the domain is not', () => {
    const hash = ntHash('Password');
    assert.equal(ntowfV2(hash, 'User', 'Domain').toString('hex'), '0c868a403bfd7a93a3001ef22ef02e3f');
    assert.deepEqual(ntowfV2(hash, 'user', 'Domain'), ntowfV2(hash, 'USER', 'Domain'));
    assert.notDeepEqual(ntowfV2(hash, 'User', 'domain'), ntowfV2(hash, 'User', 'Domain'));
    assert.equal(ntowfV2(ntHash('Password01!'), 'administrator', 'SUT311').toString('hex'), 'aee3959b44a815f1eb28c9511b4f533b');
  });
});

describe('NTLMv2 response known answers', () => {
  test('MS-NLMP 4.2.4: NTProofStr 68cd0ab8…, NtChallengeResponse = NTProofStr ‖ temp of 4.2.4.1.3, SessionBaseKey 8de40cca…', () => {
    const responseKey = ntowfV2(ntHash('Password'), 'User', 'Domain');
    const result = computeNtlmV2Response(responseKey, hex('0123456789abcdef'), hex('aaaaaaaaaaaaaaaa'), 0n, SPEC_TARGET_INFO);
    assert.equal(result.ntProofStr.toString('hex'), '68cd0ab851e51c96aabc927bebef6a1c');
    assert.deepEqual(result.ntChallengeResponse, Buffer.concat([result.ntProofStr, SPEC_TEMP]));
    assert.equal(result.sessionBaseKey.toString('hex'), '8de40ccadbc14a82f15cb0ad0de95ca3');
  });

  test('MS-NLMP 4.2.4: EncryptedRandomSessionKey = RC4(SessionBaseKey, 55…55) = c5dad2544fc9799094ce1ce90bc9d03e', () => {
    assert.equal(rc4(hex('8de40ccadbc14a82f15cb0ad0de95ca3'), Buffer.alloc(16, 0x55)).toString('hex'), 'c5dad2544fc9799094ce1ce90bc9d03e');
  });

  test('reproduces Windows\' NTProofStr, SessionBaseKey and ExportedSessionKey from the captured temp', () => {
    const nt = field(WINDOWS_AUTHENTICATE, 20);
    const temp = nt.subarray(16);
    const responseKey = ntowfV2(ntHash('Password01!'), 'ADMINISTRATOR', 'SUT311');
    const result = computeNtlmV2Response(responseKey, hex('0D1D8BA31179D008'), temp.subarray(16, 24), temp.readBigUInt64LE(8), temp.subarray(28, temp.length - 4));
    assert.deepEqual(result.ntChallengeResponse, nt);
    assert.equal(result.ntProofStr.toString('hex').toUpperCase(), '63078EB639FE03E20A231C3AE3BF2308');
    assert.equal(result.sessionBaseKey.toString('hex').toUpperCase(), 'B4CF22566926B1C069ACD80E4D73C814');
    assert.deepEqual(rc4(result.sessionBaseKey, field(WINDOWS_AUTHENTICATE, 52)), WINDOWS_EXPORTED_SESSION_KEY);
  });

  test('computeMic reproduces the MIC of the captured Windows AUTHENTICATE (ECAC77A5…)', () => {
    const mic = computeMic(WINDOWS_EXPORTED_SESSION_KEY, WINDOWS_NEGOTIATE, WINDOWS_CHALLENGE, WINDOWS_AUTHENTICATE);
    assert.equal(mic.toString('hex').toUpperCase(), 'ECAC77A5F385A8BF9C38C706EEEDDCD3');
    assert.deepEqual(mic, WINDOWS_AUTHENTICATE.subarray(72, 88));
  });

  test('ntlmMessageSignature over the DER MechTypeList reproduces the client\'s and the server\'s captured mechListMIC', () => {
    const mechTypeList = hex('300c060a2b06010401823702020a');
    const client = ntlmMessageSignature(WINDOWS_EXPORTED_SESSION_KEY, mechTypeList, { sender: 'client', keyExchange: true });
    const server = ntlmMessageSignature(WINDOWS_EXPORTED_SESSION_KEY, mechTypeList, { sender: 'server', keyExchange: true });
    assert.equal(client.toString('hex'), '0100000063775a9a5fd97f0600000000');
    assert.equal(server.toString('hex'), '010000003b453cdc3524164200000000');
  });
});

describe('parseUserName', () => {
  test('DOMAIN\\user, user@domain, a bare user and .\\user', () => {
    assert.deepEqual(parseUserName('CORP\\alice'), { user: 'alice', domain: 'CORP' });
    assert.deepEqual(parseUserName('alice@corp.example.com'), { user: 'alice', domain: 'corp.example.com' });
    assert.deepEqual(parseUserName('Administrator'), { user: 'Administrator', domain: '' });
    assert.deepEqual(parseUserName('.\\Administrator'), { user: 'Administrator', domain: '' });
    assert.deepEqual(parseUserName('CORP\\first@last'), { user: 'first@last', domain: 'CORP' });
  });

  test('the domain sent: .\\user is the server\'s own NetBIOS name from its CHALLENGE (a local account); others as parsed', () => {
    const challenge = { avPairs: { netbiosComputerName: 'WS-042', netbiosDomainName: 'CORP' } };
    assert.equal(authenticateDomain('.\\Administrator', challenge), 'WS-042');
    assert.equal(authenticateDomain('.\\Administrator', { avPairs: {} }), '');
    assert.equal(authenticateDomain('Administrator', challenge), '');
    assert.equal(authenticateDomain('CORP\\alice', challenge), 'CORP');
    assert.equal(authenticateDomain('WS-042\\Administrator', challenge), 'WS-042');
  });
});

describe('encodeNegotiateMessage (MS-NLMP 2.2.1.1)', () => {
  test('sends NTLMSSP type 1 with UNICODE, REQUEST_TARGET, SIGN, SEAL, NTLM, ALWAYS_SIGN, ESS, TARGET_INFO, VERSION, 128, KEY_EXCH, 56 and a Version', () => {
    const message = encodeNegotiateMessage();
    assert.equal(message.length, 40);
    assert.equal(message.subarray(0, 8).toString('latin1'), 'NTLMSSP\0');
    assert.equal(message.readUInt32LE(8), 1);
    assert.equal(message.readUInt32LE(12), 0xe2888235);
    assert.deepEqual(message.subarray(16, 32), Buffer.alloc(16));
    assert.equal(message.readUInt8(32), 10);
    assert.equal(message.readUInt8(39), 0x0f);
  });
});

/** A CHALLENGE_MESSAGE with the given TargetInfo and a Version, laid out as Windows does. */
function buildChallenge(targetInfo: Buffer, flags = 0xe28a8215): Buffer {
  const name = utf16('HOST');
  const header = Buffer.alloc(56);
  header.write('NTLMSSP\0', 0, 'latin1');
  header.writeUInt32LE(2, 8);
  header.writeUInt16LE(name.length, 12);
  header.writeUInt16LE(name.length, 14);
  header.writeUInt32LE(56, 16);
  header.writeUInt32LE(flags, 20);
  hex('1122334455667788').copy(header, 24);
  header.writeUInt16LE(targetInfo.length, 40);
  header.writeUInt16LE(targetInfo.length, 42);
  header.writeUInt32LE(56 + name.length, 44);
  hex('0a00f4650000000f').copy(header, 48);
  return Buffer.concat([header, name, targetInfo]);
}

function avPair(id: number, value: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt16LE(id, 0);
  header.writeUInt16LE(value.length, 2);
  return Buffer.concat([header, value]);
}

const HAND_BUILT_TARGET_INFO = Buffer.concat([
  avPair(AvId.NB_DOMAIN_NAME, utf16('CORP')),
  avPair(AvId.NB_COMPUTER_NAME, utf16('HOST')),
  avPair(AvId.DNS_DOMAIN_NAME, utf16('corp.example.com')),
  avPair(AvId.DNS_COMPUTER_NAME, utf16('host.corp.example.com')),
  avPair(AvId.DNS_TREE_NAME, utf16('example.com')),
  avPair(AvId.FLAGS, hex('01000000')),
  avPair(AvId.TIMESTAMP, hex('00d3a1c4a65adb01')),
  avPair(AvId.EOL, Buffer.alloc(0)),
]);

describe('decodeChallengeMessage (MS-NLMP 2.2.1.2)', () => {
  test('reads a hand-built challenge: names, flags, timestamp, version and the raw TargetInfo', () => {
    const challenge = decodeChallengeMessage(buildChallenge(HAND_BUILT_TARGET_INFO));
    assert.equal(challenge.flags, 0xe28a8215);
    assert.equal(challenge.serverChallenge.toString('hex'), '1122334455667788');
    assert.equal(challenge.targetName, 'HOST');
    assert.deepEqual(challenge.targetInfo, HAND_BUILT_TARGET_INFO);
    assert.deepEqual(challenge.avPairs, {
      netbiosDomainName: 'CORP',
      netbiosComputerName: 'HOST',
      dnsDomainName: 'corp.example.com',
      dnsComputerName: 'host.corp.example.com',
      dnsTreeName: 'example.com',
      flags: 1,
      timestamp: 0x01db5aa6c4a1d300n,
    });
    assert.deepEqual(challenge.version, { major: 10, minor: 0, build: 26100, ntlmRevision: 15 });
  });

  test('reads the captured Windows 10 challenge (SUT311, build 10130, server time 2015-06-24 22:18:21)', () => {
    const challenge = decodeChallengeMessage(WINDOWS_CHALLENGE);
    assert.equal(challenge.flags, 0xe28a8215);
    assert.equal(challenge.targetName, 'SUT311');
    assert.equal(challenge.serverChallenge.toString('hex').toUpperCase(), '0D1D8BA31179D008');
    assert.deepEqual(challenge.avPairs, {
      netbiosDomainName: 'SUT311',
      netbiosComputerName: 'SUT311',
      dnsDomainName: 'SUT311',
      dnsComputerName: 'SUT311',
      timestamp: 0x01d0aecbadf5a1a1n,
    });
    assert.deepEqual(challenge.version, { major: 10, minor: 0, build: 10130, ntlmRevision: 15 });
    const unixMs = Number((challenge.avPairs.timestamp ?? 0n) / 10_000n - 11_644_473_600_000n);
    assert.equal(new Date(unixMs).toISOString().slice(0, 19), '2015-06-24T22:18:21');
  });

  test('reads the MS-NLMP 4.2.4.3 challenge: target "Server", no timestamp, Version 6.0.6000', () => {
    const challenge = decodeChallengeMessage(SPEC_CHALLENGE);
    assert.equal(challenge.targetName, 'Server');
    assert.equal(challenge.flags, 0xe28a8233);
    assert.deepEqual(challenge.avPairs, { netbiosDomainName: 'Domain', netbiosComputerName: 'Server' });
    assert.deepEqual(challenge.version, { major: 6, minor: 0, build: 6000, ntlmRevision: 15 });
  });

  test('no Version is reported when the payload starts at offset 48', () => {
    const info = avPair(AvId.EOL, Buffer.alloc(0));
    const message = Buffer.alloc(48);
    message.write('NTLMSSP\0', 0, 'latin1');
    message.writeUInt32LE(2, 8);
    message.writeUInt32LE(48, 16);
    message.writeUInt32LE(NegotiateFlag.UNICODE | NegotiateFlag.VERSION, 20);
    message.writeUInt16LE(info.length, 40);
    message.writeUInt16LE(info.length, 42);
    message.writeUInt32LE(48, 44);
    assert.equal(decodeChallengeMessage(Buffer.concat([message, info])).version, undefined);
  });

  test('every truncation of a valid challenge throws NtlmFormatError, never RangeError', () => {
    for (const valid of [WINDOWS_CHALLENGE, SPEC_CHALLENGE, buildChallenge(HAND_BUILT_TARGET_INFO)]) {
      for (let length = 0; length < valid.length; length++) {
        assert.throws(() => decodeChallengeMessage(valid.subarray(0, length)), NtlmFormatError, `length ${length}`);
      }
    }
  });

  test('oversized offsets and lengths, a bad signature or type, and broken AV pairs throw NtlmFormatError', () => {
    const mutations: Array<[string, (b: Buffer) => void]> = [
      ['TargetName offset past the end', (b) => b.writeUInt32LE(0xffffffff, 16)],
      ['TargetName length past the end', (b) => b.writeUInt16LE(0xffff, 12)],
      ['TargetInfo offset past the end', (b) => b.writeUInt32LE(b.length + 1, 44)],
      ['TargetInfo length past the end', (b) => b.writeUInt16LE(b.readUInt16LE(40) + 1, 40)],
      ['signature', (b) => b.write('NTLMSSX', 0, 'latin1')],
      ['message type 3', (b) => b.writeUInt32LE(3, 8)],
      ['odd TargetName length', (b) => b.writeUInt16LE(7, 12)],
      ['AV pair longer than TargetInfo', (b) => b.writeUInt16LE(0x7fff, 68 + 2)],
    ];
    for (const [name, mutate] of mutations) {
      const copy = Buffer.from(WINDOWS_CHALLENGE);
      mutate(copy);
      assert.throws(() => decodeChallengeMessage(copy), NtlmFormatError, name);
    }
    const withoutEol = Buffer.concat([avPair(AvId.NB_COMPUTER_NAME, utf16('HOST'))]);
    assert.throws(() => decodeChallengeMessage(buildChallenge(withoutEol)), /MsvAvEOL/);
    const shortTimestamp = Buffer.concat([avPair(AvId.TIMESTAMP, Buffer.alloc(4)), avPair(AvId.EOL, Buffer.alloc(0))]);
    assert.throws(() => decodeChallengeMessage(buildChallenge(shortTimestamp)), NtlmFormatError);
    const oddName = Buffer.concat([avPair(AvId.NB_COMPUTER_NAME, Buffer.alloc(3)), avPair(AvId.EOL, Buffer.alloc(0))]);
    assert.throws(() => decodeChallengeMessage(buildChallenge(oddName)), NtlmFormatError);
  });
});

describe('buildAuthenticateMessage (MS-NLMP 2.2.1.3, 3.1.5.1.2)', () => {
  const negotiateMessage = encodeNegotiateMessage();
  const clientChallenge = hex('bc4ad05f223cc90f');
  const exportedSessionKey = hex('55555555555555555555555555555555');
  const build = (challengeMessage: Buffer, extra: { timestamp?: bigint; targetSpn?: string } = {}) =>
    buildAuthenticateMessage({
      negotiateMessage,
      challengeMessage,
      challenge: decodeChallengeMessage(challengeMessage),
      user: 'administrator',
      domain: 'SUT311',
      workstation: 'CONSOLE',
      ntHash: ntHash('Password01!'),
      clientChallenge,
      exportedSessionKey,
      ...extra,
    });

  test('echoes the server\'s AV pairs, then MsvAvFlags = 0x2, MsvAvTargetName, zero MsvAvChannelBindings, MsvAvEOL', () => {
    const { message } = build(WINDOWS_CHALLENGE, { targetSpn: 'cifs/SUT311' });
    const temp = field(message, 20).subarray(16);
    const pairs = avPairList(temp.subarray(28));
    const server = avPairList(decodeChallengeMessage(WINDOWS_CHALLENGE).targetInfo).filter((p) => p.id !== AvId.EOL);
    assert.deepEqual(pairs.slice(0, server.length), server);
    assert.deepEqual(
      pairs.slice(server.length).map((p) => [p.id, p.value.toString('hex')]),
      [
        [AvId.FLAGS, '02000000'],
        [AvId.TARGET_NAME, utf16('cifs/SUT311').toString('hex')],
        [AvId.CHANNEL_BINDINGS, '00'.repeat(16)],
        [AvId.EOL, ''],
      ],
    );
    assert.deepEqual(temp.subarray(temp.length - 4), Buffer.alloc(4));
  });

  test('uses the server\'s MsvAvTimestamp and sends a zero LM response when the server sent one', () => {
    const { message } = build(WINDOWS_CHALLENGE, { targetSpn: 'cifs/SUT311' });
    const temp = field(message, 20).subarray(16);
    assert.equal(temp.subarray(0, 8).toString('hex'), '0101000000000000');
    assert.equal(temp.readBigUInt64LE(8), 0x01d0aecbadf5a1a1n);
    assert.deepEqual(temp.subarray(16, 24), clientChallenge);
    assert.deepEqual(field(message, 12), Buffer.alloc(24));
    const overridden = build(WINDOWS_CHALLENGE, { timestamp: 42n }).message;
    assert.equal(field(overridden, 20).subarray(16).readBigUInt64LE(8), 42n);
  });

  test('the NTLMv2 response, session base key, key exchange and names are consistent', () => {
    const result = build(WINDOWS_CHALLENGE, { targetSpn: 'cifs/SUT311' });
    const { message } = result;
    const nt = field(message, 20);
    const responseKey = ntowfV2(ntHash('Password01!'), 'administrator', 'SUT311');
    const proof = createHmac('md5', responseKey).update(hex('0D1D8BA31179D008')).update(nt.subarray(16)).digest();
    assert.deepEqual(nt.subarray(0, 16), proof);
    assert.deepEqual(result.sessionBaseKey, createHmac('md5', responseKey).update(proof).digest());
    assert.deepEqual(result.exportedSessionKey, exportedSessionKey);
    assert.deepEqual(field(message, 52), rc4(result.sessionBaseKey, exportedSessionKey));
    assert.equal(field(message, 28).toString('utf16le'), 'SUT311');
    assert.equal(field(message, 36).toString('utf16le'), 'administrator');
    assert.equal(field(message, 44).toString('utf16le'), 'CONSOLE');
    assert.equal(message.readUInt32LE(60), 0xe2888215);
    assert.equal(result.negotiatedFlags, 0xe2888215);
    assert.equal(message.readUInt32LE(8), 3);
  });

  test('the MIC at offset 72 verifies when recomputed over NEGOTIATE ‖ CHALLENGE ‖ AUTHENTICATE with a zero MIC', () => {
    const { message, exportedSessionKey: key } = build(WINDOWS_CHALLENGE, { targetSpn: 'cifs/SUT311' });
    const zeroed = Buffer.from(message);
    zeroed.fill(0, 72, 88);
    const expected = createHmac('md5', key).update(negotiateMessage).update(WINDOWS_CHALLENGE).update(zeroed).digest();
    assert.deepEqual(message.subarray(72, 88), expected);
    assert.notDeepEqual(expected, Buffer.alloc(16));
  });

  test('without MsvAvTimestamp (MS-NLMP 4.2.4.3) the LM response is LMv2: 86c35097… ‖ ClientChallenge', () => {
    const result = buildAuthenticateMessage({
      negotiateMessage,
      challengeMessage: SPEC_CHALLENGE,
      challenge: decodeChallengeMessage(SPEC_CHALLENGE),
      user: 'User',
      domain: 'Domain',
      workstation: 'COMPUTER',
      ntHash: ntHash('Password'),
      clientChallenge: hex('aaaaaaaaaaaaaaaa'),
      exportedSessionKey,
      timestamp: 0n,
    });
    assert.equal(field(result.message, 12).toString('hex'), '86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa');
    assert.deepEqual(field(result.message, 52), rc4(result.sessionBaseKey, exportedSessionKey));
  });

  test('without KEY_EXCH the exported key is the session base key and EncryptedRandomSessionKey is empty', () => {
    const challenge = buildChallenge(HAND_BUILT_TARGET_INFO, (0xe28a8215 & ~NegotiateFlag.KEY_EXCH) >>> 0);
    const result = build(challenge);
    assert.deepEqual(result.exportedSessionKey, result.sessionBaseKey);
    assert.equal(field(result.message, 52).length, 0);
    const pairs = avPairList(field(result.message, 20).subarray(16 + 28));
    assert.deepEqual(pairs.find((p) => p.id === AvId.FLAGS)?.value, hex('03000000'), 'server MsvAvFlags 0x1 merged with MIC 0x2');
    assert.equal(pairs.filter((p) => p.id === AvId.FLAGS).length, 1);
    assert.equal(pairs.some((p) => p.id === AvId.TARGET_NAME), false, 'no SPN given');
  });
});
