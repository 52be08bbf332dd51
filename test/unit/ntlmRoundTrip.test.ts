// The NTLM and SPNEGO codecs both ways, as the client and the lab's acceptor use them, against
// bytes from named sources: MS-NLMP 4.2.4 (the NTLMv2 example), the Windows 10 / Windows 8.1
// exchange of the Microsoft Open Specifications blog "SMB 2 and SMB 3 security in Windows 10: the
// anatomy of signing and cryptographic keys" (test/fixtures/windows/ms-anatomy-smb311-multichannel.txt),
// and a Samba 4.17 smbd NEGOTIATE response. Windows' own messages re-encoding byte for byte is
// windowsCorpus.test.ts; this file proves the directions that test does not: the lab's side.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeNegoexMessages, encodeNegoexExchange, encodeNegoexNego, NegoexMessageType, type NegoexExchange, type NegoexNego } from '../../main/smb/auth/negoex.js';
import { AvId, encodeAvPairs, readAvPairs } from '../../main/smb/auth/ntlm/avPairs.js';
import { computeNtlmV2Response, ntHash, ntowfV2 } from '../../main/smb/auth/ntlm/keys.js';
import { decodeAuthenticateMessage, decodeChallengeMessage, decodeNegotiateMessage, encodeAuthenticateMessage, encodeChallengeMessage, encodeNegotiateMessage } from '../../main/smb/auth/ntlm/messages.js';
import {
  NEGOEX_OID, NTLMSSP_OID, NegState, WINDOWS_HINT_NAME, decodeNegTokenInit, decodeNegTokenResp, encodeMechTypeList, encodeNegTokenInit2, ntlmMechListMic,
} from '../../main/smb/auth/spnego.js';
import { decodeNegotiateResponse } from '../../main/smb/codec/negotiate.js';
import { decodeSessionSetupRequest, decodeSessionSetupResponse } from '../../main/smb/codec/sessionSetup.js';
import { buildChallengeMessage, challengeFlags, verifyNtlmV2 } from '../../main/lab/smb/ntlmServer.js';
import { WINDOWS_NEGOEX_AUTH_SCHEME, decodeClientToken, encodeServerNegTokenResp, negotiateSecurityBuffer, windowsNegoexToken } from '../../main/lab/smb/spnegoServer.js';
import { Vectors } from '../support/windowsCorpus.js';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const utf16 = (text: string): Buffer => Buffer.from(text, 'utf16le');

// ---- MS-NLMP 4.2.4: User / Domain / Password, ServerChallenge 0123456789abcdef, ClientChallenge
// aa…aa, Time 0, RandomSessionKey 55…55, Workstation COMPUTER, flags 0xE28A8233 (4.2.4's list).
const SPEC_FLAGS = 0xe28a8233;
const SPEC_SERVER_CHALLENGE = hex('0123456789abcdef');
const SPEC_TARGET_INFO = encodeAvPairs([
  { id: AvId.NB_DOMAIN_NAME, value: utf16('Domain') },
  { id: AvId.NB_COMPUTER_NAME, value: utf16('Server') },
]);
/** MS-NLMP 4.2.4.3 CHALLENGE_MESSAGE. */
const SPEC_CHALLENGE = hex(`
  4e544c4d53535000020000000c000c003800000033828ae20123456789abcdef
  00000000000000002400240044000000060070170000000f5300650072007600
  6500720002000c0044006f006d00610069006e0001000c005300650072007600
  6500720000000000`);

function specAuthenticate(): Buffer {
  const responseKey = ntowfV2(ntHash('Password'), 'User', 'Domain');
  const nt = computeNtlmV2Response(responseKey, SPEC_SERVER_CHALLENGE, Buffer.alloc(8, 0xaa), 0n, SPEC_TARGET_INFO);
  return encodeAuthenticateMessage({
    // MS-NLMP 4.2.4.2.1 LMv2 response.
    lmChallengeResponse: hex('86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa'),
    ntChallengeResponse: nt.ntChallengeResponse,
    domain: 'Domain', user: 'User', workstation: 'COMPUTER',
    // MS-NLMP 4.2.4.2.3: RC4(SessionBaseKey 8de40cca…, 55…55).
    encryptedRandomSessionKey: hex('c5dad2544fc9799094ce1ce90bc9d03e'),
    negotiatedFlags: SPEC_FLAGS,
    version: { major: 6, minor: 0, build: 6000, ntlmRevision: 15 },
  });
}

describe('NTLM messages both ways against MS-NLMP 4.2.4', () => {
  test('the 4.2.4.3 CHALLENGE decodes (target Server, flags E28A8233, Version 6.0.6000) and re-encodes byte for byte', () => {
    const challenge = decodeChallengeMessage(SPEC_CHALLENGE);
    assert.equal(challenge.flags >>> 0, SPEC_FLAGS);
    assert.equal(challenge.targetName, 'Server');
    assert.deepEqual(challenge.serverChallenge, SPEC_SERVER_CHALLENGE);
    assert.deepEqual(challenge.targetInfo, SPEC_TARGET_INFO);
    assert.deepEqual(challenge.version, { major: 6, minor: 0, build: 6000, ntlmRevision: 15 });
    const { avPairs: _pairs, ...fields } = challenge;
    assert.deepEqual(encodeChallengeMessage(fields), SPEC_CHALLENGE);
  });

  test('an AUTHENTICATE of the 4.2.4 values decodes back to them: names, LMv2, NTProofStr 68cd0ab8…, encrypted key c5dad254…', () => {
    const auth = decodeAuthenticateMessage(specAuthenticate());
    assert.deepEqual([auth.domain, auth.user, auth.workstation], ['Domain', 'User', 'COMPUTER']);
    assert.equal(auth.negotiatedFlags >>> 0, SPEC_FLAGS);
    assert.equal(auth.ntChallengeResponse.subarray(0, 16).toString('hex'), '68cd0ab851e51c96aabc927bebef6a1c');
    assert.equal(auth.lmChallengeResponse.toString('hex'), '86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa');
    assert.equal(auth.encryptedRandomSessionKey.toString('hex'), 'c5dad2544fc9799094ce1ce90bc9d03e');
    assert.deepEqual(auth.version, { major: 6, minor: 0, build: 6000, ntlmRevision: 15 });
    assert.deepEqual(auth.mic, Buffer.alloc(16), 'the MIC field is present and zero until the caller fills it');
  });

  test('the lab accepts the 4.2.4 AUTHENTICATE with Password and recovers the RandomSessionKey 55…55; a wrong password is refused', () => {
    const authMessage = specAuthenticate();
    const common = { auth: decodeAuthenticateMessage(authMessage), authMessage, negotiateMessage: encodeNegotiateMessage(), challengeMessage: SPEC_CHALLENGE, serverChallenge: SPEC_SERVER_CHALLENGE };
    assert.deepEqual(verifyNtlmV2({ ...common, ntHash: ntHash('Password') }), { exportedSessionKey: Buffer.alloc(16, 0x55), keyExchange: true });
    assert.equal(verifyNtlmV2({ ...common, ntHash: ntHash('password') }), null);
  });

  test('a NEGOTIATE re-encodes from its decoded flags and Version; a 16-byte one is read as flags alone', () => {
    const flags = 0xe2088297;
    const version = { major: 6, minor: 3, build: 9600, ntlmRevision: 15 };
    const message = encodeNegotiateMessage(flags, version);
    assert.deepEqual(decodeNegotiateMessage(message), { flags, domain: '', workstation: '', version });
    assert.deepEqual(decodeNegotiateMessage(message.subarray(0, 16)), { flags, domain: '', workstation: '' });
  });
});

// ---- The blog's Windows 8.1 → Windows 10 exchange ----
const ANATOMY = new Vectors('ms-anatomy-smb311-multichannel.txt');
const serverInit = decodeNegotiateResponse(ANATOMY.hex('master.negotiate_response')).securityBuffer;
const clientInit = decodeSessionSetupRequest(ANATOMY.hex('master.session_setup_request_1')).securityBuffer;
const serverResp1 = decodeSessionSetupResponse(ANATOMY.hex('master.session_setup_response_1')).securityBuffer;
const clientResp = decodeSessionSetupRequest(ANATOMY.hex('master.session_setup_request_2')).securityBuffer;
const serverResp2 = decodeSessionSetupResponse(ANATOMY.hex('master.session_setup_response_2')).securityBuffer;
const SESSION_KEY = ANATOMY.hex('ntlm.exported_session_key');

describe('the lab as acceptor of the Windows 8.1 client\'s logon', () => {
  const init = decodeClientToken(clientInit);
  const resp = decodeClientToken(clientResp);
  assert.ok(init.kind === 'init' && resp.kind === 'resp' && init.ntlm && resp.ntlm);
  const challenge = decodeNegTokenResp(serverResp1).responseToken!;
  const verify = (authMessage: Buffer, password: string) =>
    verifyNtlmV2({ auth: decodeAuthenticateMessage(authMessage), authMessage, negotiateMessage: init.ntlm!, challengeMessage: challenge, serverChallenge: ANATOMY.hex('ntlm.server_challenge'), ntHash: ntHash(password) });

  test('decodeClientToken finds the NEGOTIATE in the NegTokenInit and the AUTHENTICATE and mechListMIC in the NegTokenResp', () => {
    assert.deepEqual(init.mechTypes, [NTLMSSP_OID]);
    assert.deepEqual(init.mechTypesDer, encodeMechTypeList([NTLMSSP_OID]));
    assert.equal(decodeNegotiateMessage(init.ntlm!).flags >>> 0, 0xe2088297);
    assert.equal(decodeAuthenticateMessage(resp.ntlm!).user, 'administrator');
    assert.equal(resp.mechListMic?.toString('hex'), '0100000063775a9a5fd97f0600000000');
  });

  test('verifyNtlmV2 accepts Windows\' AUTHENTICATE (its MIC included) with Password01! and recovers the session key 270E1BA8…', () => {
    assert.deepEqual(verify(resp.ntlm!, ANATOMY.text('ntlm.password')), { exportedSessionKey: SESSION_KEY, keyExchange: true });
    assert.equal(verify(resp.ntlm!, 'Password02!'), null, 'another password');
    const badMic = Buffer.from(resp.ntlm!);
    badMic.writeUInt8(badMic.readUInt8(80) ^ 1, 80);
    assert.equal(verify(badMic, ANATOMY.text('ntlm.password')), null, 'a MIC off by one bit');
  });

  test('the mechListMIC covers the client\'s mechTypes: the client\'s MIC checks, the server\'s is Windows\' 3b453cdc…, a NEGOEX-first list gives neither', () => {
    const clientMechs = init.mechTypesDer!;
    assert.deepEqual(ntlmMechListMic(SESSION_KEY, clientMechs, 'client', true), resp.mechListMic);
    assert.deepEqual(ntlmMechListMic(SESSION_KEY, clientMechs, 'server', true), decodeNegTokenResp(serverResp2).mechListMic);
    const serverMechs = encodeMechTypeList(decodeNegTokenInit(serverInit).mechTypes);
    assert.notDeepEqual(ntlmMechListMic(SESSION_KEY, serverMechs, 'client', true), resp.mechListMic);
  });

  test('the lab\'s NegTokenResp answers equal Windows\' byte for byte: accept-incomplete + NTLMSSP + CHALLENGE, then accept-completed + mechListMIC', () => {
    assert.deepEqual(encodeServerNegTokenResp({ negState: NegState.ACCEPT_INCOMPLETE, supportedMech: true, responseToken: challenge }), serverResp1);
    const serverMic = ntlmMechListMic(SESSION_KEY, init.mechTypesDer!, 'server', true);
    assert.deepEqual(encodeServerNegTokenResp({ negState: NegState.ACCEPT_COMPLETED, mechListMic: serverMic }), serverResp2);
  });

  test('the lab\'s CHALLENGE to this NEGOTIATE carries Windows\' flags E28A8215 and its TargetInfo order (a workgroup host: no tree name)', () => {
    const windows = decodeChallengeMessage(challenge);
    assert.equal(challengeFlags(decodeNegotiateMessage(init.ntlm!).flags), windows.flags);
    const id = { netbiosComputer: 'SUT311', netbiosDomain: 'SUT311', dnsComputer: 'SUT311', dnsDomain: '', version: { major: 10, minor: 0, build: 10130 } };
    const lab = decodeChallengeMessage(buildChallengeMessage(0xe2088297, windows.serverChallenge, windows.avPairs.timestamp!, id));
    assert.equal(lab.flags, windows.flags);
    assert.deepEqual(lab.version, windows.version);
    assert.deepEqual(readAvPairs(lab.targetInfo).map((p) => p.id), readAvPairs(windows.targetInfo).map((p) => p.id));
  });
});

describe('NEGOTIATE negTokenInit as Windows and Samba send it', () => {
  const windows = decodeNegTokenInit(serverInit);
  const messages = decodeNegoexMessages(windows.mechToken!);
  const [nego, meta] = messages as [NegoexNego, NegoexExchange];

  test('Windows 10\'s NEGOEX token: ACCEPTOR_NEGO (one auth scheme 5c33530d…, no extensions) then ACCEPTOR_META_DATA, one ConversationId', () => {
    assert.deepEqual(messages.map((m) => [m.kind, m.type, m.sequenceNum]), [['nego', NegoexMessageType.ACCEPTOR_NEGO, 0], ['exchange', NegoexMessageType.ACCEPTOR_META_DATA, 1]]);
    assert.deepEqual(nego.authSchemes, [WINDOWS_NEGOEX_AUTH_SCHEME]);
    assert.deepEqual([nego.protocolVersion, nego.extensionTypes], [0n, []]);
    assert.deepEqual(meta.conversationId, nego.conversationId);
    assert.deepEqual(meta.authScheme, WINDOWS_NEGOEX_AUTH_SCHEME);
    assert.match(meta.exchange.toString('latin1'), /Token Signing Public Key/);
  });

  test('encodeNegoexNego / encodeNegoexExchange and encodeNegTokenInit2 rebuild Windows\' security buffer byte for byte', () => {
    const token = Buffer.concat([encodeNegoexNego(nego), encodeNegoexExchange(meta)]);
    assert.deepEqual(token, windows.mechToken);
    assert.deepEqual(encodeNegTokenInit2({ mechTypes: windows.mechTypes, mechToken: token }), serverInit);
  });

  test('windowsNegoexToken with Windows\' ConversationId and Random is Windows\' token: only those two differ between responses', () => {
    const randoms = [nego.conversationId, nego.random];
    assert.deepEqual(windowsNegoexToken(() => randoms.shift()!), windows.mechToken);
  });

  test('the windows personality: NEGOEX first, then NTLMSSP (the lab offers no Kerberos), a 264-byte NEGOEX token, negHints please_ignore', () => {
    const init = decodeNegTokenInit(negotiateSecurityBuffer('windows'));
    assert.deepEqual(init.mechTypes, [NEGOEX_OID, NTLMSSP_OID]);
    assert.equal(init.hintName, WINDOWS_HINT_NAME);
    assert.equal(init.mechToken?.length, 264);
    assert.deepEqual(decodeNegoexMessages(init.mechToken!).map((m) => m.type), [NegoexMessageType.ACCEPTOR_NEGO, NegoexMessageType.ACCEPTOR_META_DATA]);
    assert.deepEqual(decodeNegTokenInit(negotiateSecurityBuffer(undefined)).mechTypes, init.mechTypes, 'undefined means windows');
    assert.notDeepEqual(negotiateSecurityBuffer('windows'), negotiateSecurityBuffer('windows'), 'a fresh ConversationId and Random each time');
  });

  test('the samba personality sends Samba 4.17 smbd\'s negTokenInit byte for byte: NTLMSSP and negHints, no mechToken', () => {
    const samba = hex(`
      604806062b0601050502a03e303ca00e300c060a2b06010401823702020aa32a3028a0261b246e6f745f646566696e65645f696e5f
      5246433431373840706c656173655f69676e6f7265`);
    assert.deepEqual(negotiateSecurityBuffer('samba'), samba);
    assert.deepEqual(decodeNegTokenInit(samba), { mechTypes: [NTLMSSP_OID], mechTypesDer: encodeMechTypeList(), hintName: WINDOWS_HINT_NAME });
  });

  test('NegTokenInit2 without and with every optional field round-trips through decodeNegTokenInit', () => {
    for (const init of [{ mechTypes: [NTLMSSP_OID] }, { mechTypes: [NEGOEX_OID, NTLMSSP_OID], mechToken: Buffer.alloc(300, 7), hintName: 'x@y' }]) {
      const { mechTypesDer: _der, ...decoded } = decodeNegTokenInit(encodeNegTokenInit2(init));
      assert.deepEqual(decoded, init);
    }
  });
});
