// Bytes produced by real Windows, replayed through the console's own codecs and crypto. Every
// expected value below comes from the corpus in test/fixtures/windows/ (README.md there names each
// file's source, licence and Windows version); nothing is derived from our own output.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Vectors, readMessageList, readSmbCapture } from '../support/windowsCorpus.js';
import { handleNegotiate } from '../../main/lab/smb/negotiate.js';
import { HeaderFlags, SMB2_HEADER_SIZE, decodeHeader, encodeHeader } from '../../main/smb/codec/header.js';
import { ALL_DIALECTS, Cipher, Dialect, HASH_SHA512, decodeNegotiateRequest } from '../../main/smb/codec/negotiate.js';
import { decodeSessionSetupRequest, decodeSessionSetupResponse, encodeSessionSetupRequest, encodeSessionSetupResponse } from '../../main/smb/codec/sessionSetup.js';
import { decodeTreeConnectRequest, decodeTreeConnectResponse, encodeTreeConnectRequest, encodeTreeConnectResponse, ShareType } from '../../main/smb/codec/treeConnect.js';
import { decodeWriteRequest, decodeWriteResponse, decodeReadResponse, encodeWriteResponse } from '../../main/smb/codec/readWrite.js';
import { decodeCreateRequest, decodeCreateResponse } from '../../main/smb/codec/create.js';
import { decodeIoctlRequest, decodeIoctlResponse, encodeIoctlResponse, FSCTL_PIPE_TRANSCEIVE } from '../../main/smb/codec/ioctl.js';
import { decodeCloseRequest, encodeCloseRequest } from '../../main/smb/codec/close.js';
import { decryptMessage, encryptMessage, type CipherId } from '../../main/smb/crypto/encryption.js';
import { NDR20, PType, decodeBind, decodeBindAck, decodeCallPdu, decodeRequest, sameSyntax } from '../../main/rpc/pdu.js';
import {
  Opnum, SVCCTL, decodeCloseServiceHandle, decodeCreateService, decodeCreateServiceRequest, decodeHandleResponse, decodeOpenSCManagerRequest,
  decodeOpenServiceRequest, decodeReturnOnly, decodeStartServiceRequest, decodeStatusResponse, encodeOpenSCManager, encodeOpenService,
} from '../../main/rpc/scmr.js';
import { acceptNegotiateResponse, cipherOf, extendPreauthHash, signingAlgorithmOf } from '../../main/smb/negotiation.js';
import { deriveSmb3Keys, smb3Kdf } from '../../main/smb/crypto/kdf.js';
import { verifySignature } from '../../main/smb/crypto/signing.js';
import { decodeNegTokenInit, decodeNegTokenResp, NTLMSSP_OID } from '../../main/smb/auth/spnego.js';
import { decodeAuthenticateMessage, decodeChallengeMessage, decodeNegotiateMessage, encodeAuthenticateMessage, encodeChallengeMessage } from '../../main/smb/auth/ntlm/messages.js';
import { NegotiateFlag } from '../../main/smb/auth/ntlm/wire.js';
import {
  computeMic, computeNtlmV2Response, exchangeSessionKey, ntHash, ntlmMessageSignature, ntowfV2, recoverExportedSessionKey, sealKey, signKey,
} from '../../main/smb/auth/ntlm/keys.js';

const ANATOMY = new Vectors('ms-anatomy-smb311-multichannel.txt');

const ZERO_HASH: Buffer = Buffer.alloc(64);

function ascii(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

/** A copy of `message` with one bit of byte `at` flipped: what a check that can fail must reject. */
function flipped(message: Buffer, at: number): Buffer {
  const copy = Buffer.from(message);
  copy[at] = copy[at]! ^ 0x01;
  return copy;
}

function body(message: Buffer): Buffer {
  return message.subarray(SMB2_HEADER_SIZE);
}

/** The 64-byte header, Reserved field included: Windows writes 0x0000FEFF there and Smb2Header keeps it (processId). */
function headerBytes(message: Buffer): Buffer {
  return message.subarray(0, SMB2_HEADER_SIZE);
}

/** A SESSION_SETUP request's security buffer, read with the lab's server-side decoder. */
function requestToken(message: Buffer): Buffer {
  return decodeSessionSetupRequest(message).securityBuffer;
}

// ---- Microsoft's "anatomy of signing and cryptographic keys" exchange (Windows 10 build 10130) ----

describe('Windows 10 SMB 3.1.1 multichannel exchange (MS Open Specifications blog, "anatomy of signing and cryptographic keys")', () => {
  for (const channel of ['master', 'bound'] as const) {
    test(`${channel} channel: extendPreauthHash over Windows' NEGOTIATE and SESSION_SETUP messages gives each published PreauthIntegrityHashValue`, () => {
      const steps: Array<[string, string, Buffer]> = [
        ['negotiate_request', 'hash_after_negotiate_request', ZERO_HASH],
        ['negotiate_response', 'hash_after_negotiate_response', ANATOMY.hex(`${channel}.hash_after_negotiate_request`)],
        ['session_setup_request_1', 'hash_after_session_setup_request_1', ANATOMY.hex(`${channel}.hash_after_negotiate_response`)],
        ['session_setup_response_1', 'hash_after_session_setup_response_1', ANATOMY.hex(`${channel}.hash_after_session_setup_request_1`)],
        ['session_setup_request_2', 'hash_after_session_setup_request_2', ANATOMY.hex(`${channel}.hash_after_session_setup_response_1`)],
      ];
      let chained = ZERO_HASH;
      for (const [message, expected, published] of steps) {
        // Each step from the published previous value, and the whole chain from zero.
        assert.equal(extendPreauthHash(published, ANATOMY.hex(`${channel}.${message}`)).toString('hex'), ANATOMY.hex(`${channel}.${expected}`).toString('hex'), message);
        chained = extendPreauthHash(chained, ANATOMY.hex(`${channel}.${message}`));
      }
      assert.deepEqual(chained, ANATOMY.hex(`${channel}.hash_after_session_setup_request_2`));
      assert.notDeepEqual(extendPreauthHash(ZERO_HASH, flipped(ANATOMY.hex(`${channel}.negotiate_request`), 70)), ANATOMY.hex(`${channel}.hash_after_negotiate_request`));
    });
  }

  test('deriveSmb3Keys (3.1.1) from the session key 270E1BA8… and our preauth hash gives the published Signing/Encryption/DecryptionKey', () => {
    let preauth = ZERO_HASH;
    for (const m of ['negotiate_request', 'negotiate_response', 'session_setup_request_1', 'session_setup_response_1', 'session_setup_request_2']) {
      preauth = extendPreauthHash(preauth, ANATOMY.hex(`master.${m}`));
    }
    assert.equal(ANATOMY.hex('master.cipher_id').readUInt16BE(0), Cipher.AES128_GCM);
    const keys = deriveSmb3Keys({ dialect: 0x0311, sessionKey: ANATOMY.hex('master.session_key'), preauthHash: preauth, cipherKeyBits: 128 });
    assert.deepEqual(keys.signingKey, ANATOMY.hex('master.signing_key'));
    assert.deepEqual(keys.encryptionKey, ANATOMY.hex('master.encryption_key'));
    assert.deepEqual(keys.decryptionKey, ANATOMY.hex('master.decryption_key'));
  });

  test('bound channel: deriveSmb3Keys from its own session key and preauth hash gives the published Channel.SigningKey C962BCA1…', () => {
    const keys = deriveSmb3Keys({
      dialect: 0x0311, sessionKey: ANATOMY.hex('bound.session_key'), preauthHash: ANATOMY.hex('bound.hash_after_session_setup_request_2'), cipherKeyBits: 128,
    });
    assert.deepEqual(keys.signingKey, ANATOMY.hex('bound.signing_key'));
  });

  test('deriveSmb3Keys (3.0) reproduces both channels of the SMB 3.0 multichannel example', () => {
    const master = deriveSmb3Keys({ dialect: 0x0300, sessionKey: ANATOMY.hex('smb30.master.session_key'), cipherKeyBits: 128 });
    assert.deepEqual(master.signingKey, ANATOMY.hex('smb30.master.signing_key'));
    assert.deepEqual(master.encryptionKey, ANATOMY.hex('smb30.master.encryption_key'));
    assert.deepEqual(master.decryptionKey, ANATOMY.hex('smb30.master.decryption_key'));
    const bound = deriveSmb3Keys({ dialect: 0x0300, sessionKey: ANATOMY.hex('smb30.bound.session_key'), cipherKeyBits: 128 });
    assert.deepEqual(bound.signingKey, ANATOMY.hex('smb30.bound.signing_key'));
  });

  test('ApplicationKey (no function of ours derives it): smb3Kdf with the MS-SMB2 3.2.5.3.1 labels gives the published 3.0 and 3.1.1 values', () => {
    assert.deepEqual(smb3Kdf(ANATOMY.hex('smb30.master.session_key'), ascii('SMB2APP\0'), ascii('SmbRpc\0'), 128), ANATOMY.hex('smb30.master.application_key'));
    assert.deepEqual(
      smb3Kdf(ANATOMY.hex('master.session_key'), ascii('SMBAppKey\0'), ANATOMY.hex('master.hash_after_session_setup_request_2'), 128),
      ANATOMY.hex('master.application_key'),
    );
  });

  test('Windows\' signed final SESSION_SETUP responses verify with AES-CMAC under the derived signing keys, and fail when a bit changes', () => {
    const master = ANATOMY.hex('master.session_setup_response_2');
    assert.ok(decodeHeader(master).flags & HeaderFlags.SIGNED);
    assert.equal(verifySignature('aes-cmac', ANATOMY.hex('master.signing_key'), master), true);
    assert.equal(verifySignature('aes-cmac', ANATOMY.hex('master.signing_key'), flipped(master, 70)), false);
    const bound = ANATOMY.hex('bound.session_setup_response_2');
    assert.equal(verifySignature('aes-cmac', ANATOMY.hex('bound.signing_key'), bound), true);
    assert.equal(verifySignature('aes-cmac', ANATOMY.hex('master.signing_key'), bound), false);
  });

  test('the bound channel\'s signed binding messages verify with AES-CMAC under the master session\'s SigningKey (MS-SMB2 3.2.4.2.3, 3.3.5.5.3)', () => {
    for (const m of ['session_setup_request_1', 'session_setup_response_1', 'session_setup_request_2']) {
      const message = ANATOMY.hex(`bound.${m}`);
      assert.ok(decodeHeader(message).flags & HeaderFlags.SIGNED, m);
      assert.equal(verifySignature('aes-cmac', ANATOMY.hex('master.signing_key'), message), true, m);
    }
  });

  test('every message decodes: NEGOTIATE response (3.1.1, SHA-512, AES-128-GCM), SESSION_SETUP responses, and headers re-encode byte for byte', () => {
    for (const channel of ['master', 'bound'] as const) {
      const response = ANATOMY.hex(`${channel}.negotiate_response`);
      const negotiated = acceptNegotiateResponse(decodeHeader(response), response, ALL_DIALECTS);
      assert.equal(negotiated.dialect, Dialect.SMB311);
      assert.equal(negotiated.preauthHashAlgorithm, HASH_SHA512);
      assert.equal(negotiated.cipher, Cipher.AES128_GCM);
      assert.equal(negotiated.signingAlgorithm, null);
      assert.equal(signingAlgorithmOf(negotiated), 'aes-cmac');
      assert.equal(cipherOf(negotiated), Cipher.AES128_GCM);
      assert.deepEqual(decodeNegTokenInit(negotiated.securityBuffer).mechTypes.slice(0, 2), ['1.3.6.1.4.1.311.2.2.30', NTLMSSP_OID]);

      const request = decodeNegotiateRequest(ANATOMY.hex(`${channel}.negotiate_request`));
      assert.deepEqual(request.dialects, [0x0202, 0x0210, 0x0300, 0x0302, 0x0311]);
      assert.deepEqual(request.preauthHashes, [HASH_SHA512]);
      assert.deepEqual(request.ciphers, [Cipher.AES128_GCM, Cipher.AES128_CCM]);
      assert.equal(request.signingAlgorithms, null);

      for (const m of ['negotiate_request', 'negotiate_response', 'session_setup_request_1', 'session_setup_response_1', 'session_setup_request_2', 'session_setup_response_2']) {
        const message = ANATOMY.hex(`${channel}.${m}`);
        assert.deepEqual(encodeHeader(decodeHeader(message)), headerBytes(message), `${channel} ${m} header`);
      }
      for (const m of ['session_setup_response_1', 'session_setup_response_2']) {
        const message = ANATOMY.hex(`${channel}.${m}`);
        const decoded = decodeSessionSetupResponse(message);
        assert.deepEqual(encodeSessionSetupResponse(decoded), body(message), `${channel} ${m} re-encoded by the lab`);
      }
    }
  });

  test('both channels\' SESSION_SETUP requests (plain and binding) decode and re-encode byte for byte with encodeSessionSetupRequest', () => {
    for (const channel of ['master', 'bound'] as const) {
      for (const m of ['session_setup_request_1', 'session_setup_request_2']) {
        const message = ANATOMY.hex(`${channel}.${m}`);
        const decoded = decodeSessionSetupRequest(message);
        assert.equal(decoded.flags, channel === 'bound' ? 0x01 : 0, `${channel} ${m} Flags (SMB2_SESSION_FLAG_BINDING)`);
        assert.deepEqual(encodeSessionSetupRequest(decoded), body(message), `${channel} ${m}`);
      }
    }
  });
});

describe('Windows 10 NTLMv2 logon of that exchange (the blog\'s "NTLMv2 SessionKey calculation example")', () => {
  const negotiateToken = decodeNegTokenInit(requestToken(ANATOMY.hex('master.session_setup_request_1')));
  const challengeResp = decodeNegTokenResp(decodeSessionSetupResponse(ANATOMY.hex('master.session_setup_response_1')).securityBuffer);
  const authenticateResp = decodeNegTokenResp(requestToken(ANATOMY.hex('master.session_setup_request_2')));
  const finalResp = decodeNegTokenResp(decodeSessionSetupResponse(ANATOMY.hex('master.session_setup_response_2')).securityBuffer);
  const negotiate = negotiateToken.mechToken!;
  const challengeBytes = challengeResp.responseToken!;
  const authenticateBytes = authenticateResp.responseToken!;

  test('decodeNegotiateMessage reads the Windows client\'s NEGOTIATE (flags 0xE2088297, Version 6.3 build 9600)', () => {
    const message = decodeNegotiateMessage(negotiate);
    assert.equal(message.flags >>> 0, 0xe2088297);
    assert.deepEqual(message.version, { major: 6, minor: 3, build: 9600, ntlmRevision: 15 });
  });

  test('decodeChallengeMessage reads Windows\' CHALLENGE (ServerChallenge 0D1D8BA3…, target SUT311, Version 10.0 build 10130) and encodeChallengeMessage rebuilds it byte for byte', () => {
    const challenge = decodeChallengeMessage(challengeBytes);
    assert.deepEqual(challenge.serverChallenge, ANATOMY.hex('ntlm.server_challenge'));
    assert.equal(challenge.targetName, ANATOMY.text('ntlm.domain'));
    assert.deepEqual(challenge.version, { major: 10, minor: 0, build: 10130, ntlmRevision: 15 });
    assert.equal(challenge.avPairs.netbiosComputerName, 'SUT311');
    assert.ok(challenge.avPairs.timestamp !== undefined);
    const { avPairs: _avPairs, ...fields } = challenge;
    assert.deepEqual(encodeChallengeMessage(fields), challengeBytes);
  });

  test('decodeAuthenticateMessage reads Windows\' AUTHENTICATE (administrator / SUT311 / DRIVER311) and encodeAuthenticateMessage rebuilds it byte for byte (MIC zeroed)', () => {
    const message = decodeAuthenticateMessage(authenticateBytes);
    assert.equal(message.user, ANATOMY.text('ntlm.user'));
    assert.equal(message.domain, ANATOMY.text('ntlm.domain'));
    assert.equal(message.workstation, 'DRIVER311');
    assert.deepEqual(message.mic, ANATOMY.hex('ntlm.mic'));
    assert.deepEqual(message.encryptedRandomSessionKey, ANATOMY.hex('ntlm.encrypted_random_session_key'));
    const { mic: _mic, ...fields } = message;
    const zeroedMic = Buffer.from(authenticateBytes);
    zeroedMic.fill(0, 72, 88);
    assert.deepEqual(encodeAuthenticateMessage(fields), zeroedMic);
  });

  test('ntHash and ntowfV2 give the published NtHash 7C4FE5EA… and NTOWFv2 AEE3959B… for administrator / SUT311 / Password01!', () => {
    const hash = ntHash(ANATOMY.text('ntlm.password'));
    assert.deepEqual(hash, ANATOMY.hex('ntlm.nt_hash'));
    assert.deepEqual(ntowfV2(hash, ANATOMY.text('ntlm.user'), ANATOMY.text('ntlm.domain')), ANATOMY.hex('ntlm.ntowfv2'));
  });

  test('computeNtlmV2Response rebuilds Windows\' NtChallengeResponse byte for byte; NTProofStr and SessionBaseKey are the published values', () => {
    const nt = decodeAuthenticateMessage(authenticateBytes).ntChallengeResponse;
    const temp = nt.subarray(16);
    const timestamp = temp.readBigUInt64LE(8);
    const clientChallenge = temp.subarray(16, 24);
    const avPairs = temp.subarray(28, temp.length - 4);
    const result = computeNtlmV2Response(ANATOMY.hex('ntlm.ntowfv2'), ANATOMY.hex('ntlm.server_challenge'), clientChallenge, timestamp, avPairs);
    assert.deepEqual(result.ntProofStr, ANATOMY.hex('ntlm.nt_proof_str'));
    assert.deepEqual(result.ntChallengeResponse, nt);
    assert.deepEqual(result.sessionBaseKey, ANATOMY.hex('ntlm.key_exchange_key'));
  });

  test('key exchange: RC4 of Windows\' EncryptedRandomSessionKey under the SessionBaseKey is the ExportedSessionKey 270E1BA8…, both ways', () => {
    const message = decodeAuthenticateMessage(authenticateBytes);
    assert.ok(message.negotiatedFlags & NegotiateFlag.KEY_EXCH);
    const kxkey = ANATOMY.hex('ntlm.key_exchange_key');
    const recovered = recoverExportedSessionKey(message.negotiatedFlags, kxkey, message.encryptedRandomSessionKey);
    assert.deepEqual(recovered.exportedSessionKey, ANATOMY.hex('ntlm.exported_session_key'));
    assert.deepEqual(recovered.exportedSessionKey, ANATOMY.hex('master.session_key'));
    const exchanged = exchangeSessionKey(message.negotiatedFlags, kxkey, ANATOMY.hex('ntlm.exported_session_key'));
    assert.deepEqual(exchanged.encryptedRandomSessionKey, message.encryptedRandomSessionKey);
  });

  test('signKey and sealKey give the published client/server signing and sealing keys', () => {
    const key = ANATOMY.hex('ntlm.exported_session_key');
    assert.deepEqual(signKey(key, 'client'), ANATOMY.hex('ntlm.client_signing_key'));
    assert.deepEqual(signKey(key, 'server'), ANATOMY.hex('ntlm.server_signing_key'));
    assert.deepEqual(sealKey(key, 'client'), ANATOMY.hex('ntlm.client_sealing_key'));
    assert.deepEqual(sealKey(key, 'server'), ANATOMY.hex('ntlm.server_sealing_key'));
  });

  test('computeMic over Windows\' NEGOTIATE, CHALLENGE and AUTHENTICATE gives the MIC Windows sent (ECAC77A5…)', () => {
    assert.deepEqual(computeMic(ANATOMY.hex('ntlm.exported_session_key'), negotiate, challengeBytes, authenticateBytes), ANATOMY.hex('ntlm.mic'));
    assert.notDeepEqual(computeMic(ANATOMY.hex('ntlm.exported_session_key'), negotiate, flipped(challengeBytes, 30), authenticateBytes), ANATOMY.hex('ntlm.mic'));
  });

  test('ntlmMessageSignature over the MechTypeList gives the mechListMIC the Windows client and the Windows server sent', () => {
    const mechTypes = negotiateToken.mechTypesDer!;
    const key = ANATOMY.hex('ntlm.exported_session_key');
    assert.ok(authenticateResp.mechListMic && finalResp.mechListMic);
    assert.deepEqual(ntlmMessageSignature(key, mechTypes, { sender: 'client', keyExchange: true, seqNum: 0 }), authenticateResp.mechListMic);
    assert.deepEqual(ntlmMessageSignature(key, mechTypes, { sender: 'server', keyExchange: true, seqNum: 0 }), finalResp.mechListMic);
  });
});

// ---- Microsoft's SMB 3.0 / 3.1.1 encryption vectors (Windows Server 2012; Windows 10 TP3) ----

describe('Windows\' encrypted WRITE exchanges ("Encryption in SMB 3.0", "SMB 3.1.1 Encryption in Windows 10")', () => {
  const BLOG = new Vectors('ms-blog-smb3-encryption.txt');
  const cases: Array<[string, 0x0300 | 0x0311, CipherId]> = [['smb30', 0x0300, Cipher.AES128_CCM], ['smb311', 0x0311, Cipher.AES128_GCM]];
  for (const [name, dialect, cipher] of cases) {
    test(`${name}: deriveSmb3Keys gives the published keys; encryptMessage reproduces Windows' WRITE request and decryptMessage opens its WRITE response`, () => {
      const keys = deriveSmb3Keys({
        dialect, sessionKey: BLOG.hex(`${name}.session_key`), cipherKeyBits: 128, ...(dialect === 0x0311 ? { preauthHash: BLOG.hex(`${name}.preauth_hash`) } : {}),
      });
      assert.deepEqual(keys.encryptionKey, BLOG.hex(`${name}.encryption_key`));
      assert.deepEqual(keys.decryptionKey, BLOG.hex(`${name}.decryption_key`));
      const sessionId = BLOG.hex(`${name}.session_id`).readBigUInt64BE(0);
      const request = BLOG.hex(`${name}.write_request.plain`);
      assert.deepEqual(encryptMessage(cipher, keys.encryptionKey, sessionId, BLOG.hex(`${name}.write_request.nonce`), request), BLOG.hex(`${name}.write_request.transformed`));
      const opened = decryptMessage(cipher, keys.decryptionKey, BLOG.hex(`${name}.write_response.transformed`));
      assert.equal(opened.sessionId, sessionId);
      assert.deepEqual(opened.message, BLOG.hex(`${name}.write_response.plain`));
      assert.throws(() => decryptMessage(cipher, keys.decryptionKey, flipped(BLOG.hex(`${name}.write_response.transformed`), 60)));
      // The plaintexts decode: 23 bytes of "Smb3 encryption testing" written, 23 acknowledged.
      assert.equal(decodeWriteRequest(request).data.toString('latin1'), 'Smb3 encryption testing');
      assert.equal(decodeWriteResponse(opened.message).count, 23);
      assert.equal(body(opened.message).length, 16);
    });
  }

  test('encodeWriteResponse rebuilds Windows\' 16-byte WRITE response body (StructureSize 17, no Buffer byte)', () => {
    for (const name of ['smb30', 'smb311']) {
      const plain = BLOG.hex(`${name}.write_response.plain`);
      assert.deepEqual(encodeWriteResponse(decodeWriteResponse(plain)), body(plain));
    }
  });
});

// ---- Wireshark's captures against Windows Server 2016 (build 14393) ----

describe('Wireshark\'s SMB3 captures against Windows Server 2016: keys, signature and encrypted TREE_CONNECT', () => {
  const KEYS = new Vectors('wireshark-smb3-keys.txt');
  const captures: Array<[string, number, CipherId]> = [
    ['smb300-aes-128-ccm', Dialect.SMB300, Cipher.AES128_CCM],
    ['smb311-aes-128-ccm', Dialect.SMB311, Cipher.AES128_CCM],
    ['smb311-aes-128-gcm', Dialect.SMB311, Cipher.AES128_GCM],
  ];
  for (const [name, dialect, cipher] of captures) {
    test(`${name}: the NEGOTIATE response decodes, our keys equal Wireshark's, Windows' signature verifies, and its encrypted TREE_CONNECT response decrypts and re-encrypts byte for byte`, () => {
      const messages = readSmbCapture(`${name}.pcap.gz`);
      assert.deepEqual(messages.map((m) => m.direction), ['client', 'server', 'client', 'server', 'client', 'server', 'client', 'server']);
      const [negReq, negResp, ss1Req, ss1Resp, ss2Req, ss2Resp, treeReq, treeResp] = messages.map((m) => m.bytes) as [Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer];
      const negotiated = acceptNegotiateResponse(decodeHeader(negResp), negResp, ALL_DIALECTS);
      assert.equal(negotiated.dialect, dialect);
      assert.equal(cipherOf(negotiated), cipher);
      for (const m of [negResp, ss1Resp, ss2Resp]) assert.deepEqual(encodeHeader(decodeHeader(m)), headerBytes(m));
      const challenge = decodeChallengeMessage(decodeNegTokenResp(decodeSessionSetupResponse(ss1Resp).securityBuffer).responseToken!);
      assert.deepEqual(challenge.version, { major: 10, minor: 0, build: 14393, ntlmRevision: 15 });

      let preauth = ZERO_HASH;
      for (const m of [negReq, negResp, ss1Req, ss1Resp, ss2Req]) preauth = extendPreauthHash(preauth, m);
      const keys = deriveSmb3Keys({
        dialect: dialect as 0x0300 | 0x0311, sessionKey: KEYS.hex(`${name}.session_key`), cipherKeyBits: 128, ...(dialect === Dialect.SMB311 ? { preauthHash: preauth } : {}),
      });
      assert.deepEqual(keys.encryptionKey, KEYS.hex(`${name}.c2s_key`));
      assert.deepEqual(keys.decryptionKey, KEYS.hex(`${name}.s2c_key`));

      assert.ok(decodeHeader(ss2Resp).flags & HeaderFlags.SIGNED);
      assert.equal(verifySignature(signingAlgorithmOf(negotiated), keys.signingKey, ss2Resp), true);
      assert.equal(verifySignature(signingAlgorithmOf(negotiated), keys.signingKey, flipped(ss2Resp, 66)), false);

      const sessionId = KEYS.hex(`${name}.session_id_wire`).readBigUInt64LE(0);
      const request = decryptMessage(cipher, keys.encryptionKey, treeReq);
      assert.equal(request.sessionId, sessionId);
      assert.equal(decodeTreeConnectRequest(request.message).path, '\\\\dfsroot1.foo.test\\IPC$');
      const response = decryptMessage(cipher, keys.decryptionKey, treeResp);
      assert.equal(response.sessionId, sessionId);
      const tree = decodeTreeConnectResponse(response.message);
      assert.equal(tree.shareType, ShareType.PIPE);
      assert.deepEqual(encodeTreeConnectResponse(tree), body(response.message));
      assert.deepEqual(encryptMessage(cipher, keys.decryptionKey, sessionId, treeResp.subarray(20, 36), response.message), treeResp);
    });
  }
});

// ---- A Windows PsExec run against Windows over SMB 2.1 (Suricata-Verify) ----

describe('A Windows PsExec connection over SMB 2.1: every SMB2 message and svcctl PDU decodes', () => {
  const messages = readMessageList('suricata-psexec-smb21-svcctl.txt');
  const client = messages.filter((m) => m.direction === 'client').map((m) => m.bytes);
  const server = messages.filter((m) => m.direction === 'server').map((m) => m.bytes);
  const byMessageId = (list: Buffer[]) => new Map(list.map((m) => [decodeHeader(m).messageId, m]));
  const requests = byMessageId(client);

  test('every header decodes and re-encodes byte for byte (Reserved aside); the NEGOTIATE response is dialect 2.1 with HMAC-SHA256 signing', () => {
    for (const m of [...client, ...server]) assert.deepEqual(encodeHeader(decodeHeader(m)), headerBytes(m));
    const negResp = server.find((m) => decodeHeader(m).command === 0)!;
    const negotiated = acceptNegotiateResponse(decodeHeader(negResp), negResp, ALL_DIALECTS);
    assert.equal(negotiated.dialect, Dialect.SMB210);
    assert.equal(signingAlgorithmOf(negotiated), 'hmac-sha256');
    assert.equal(cipherOf(negotiated), null);
  });

  test('TREE_CONNECT, CREATE, WRITE, READ and IOCTL: Windows\' requests decode (and re-encode where we have the encoder), Windows\' responses decode and re-encode', () => {
    const seen = new Set<number>();
    for (const response of server) {
      const header = decodeHeader(response);
      if (header.status !== 0) continue;
      const request = requests.get(header.messageId);
      if (request === undefined) continue; // its request is one of the two omitted PsExec payload messages
      seen.add(header.command);
      switch (header.command) {
        case 3: {
          const req = decodeTreeConnectRequest(request);
          assert.match(req.path, /^\\\\[^\\]+\\(IPC|ADMIN)\$$/);
          assert.deepEqual(encodeTreeConnectRequest(req), body(request));
          const res = decodeTreeConnectResponse(response);
          assert.equal(res.shareType, req.path.endsWith('IPC$') ? ShareType.PIPE : ShareType.DISK);
          assert.deepEqual(encodeTreeConnectResponse(res), body(response));
          break;
        }
        case 5: {
          decodeCreateRequest(request);
          decodeCreateResponse(response);
          break;
        }
        case 6: {
          assert.deepEqual(encodeCloseRequest(decodeCloseRequest(request)), body(request));
          break;
        }
        case 9: {
          assert.equal(decodeWriteResponse(response).count, decodeWriteRequest(request).data.length);
          assert.equal(body(response).length, 16);
          break;
        }
        case 8: {
          decodeReadResponse(response);
          break;
        }
        case 11: {
          const req = decodeIoctlRequest(request);
          const res = decodeIoctlResponse(response);
          assert.equal(res.ctlCode, req.ctlCode);
          assert.deepEqual(encodeIoctlResponse(res), body(response));
          break;
        }
      }
    }
    for (const command of [3, 5, 6, 8, 9, 11]) assert.ok(seen.has(command), `command ${command} seen`);
  });

  test('encodeIoctlResponse rebuilds Windows\' FSCTL_PIPE_WAIT responses (no output, OutputOffset 0x70 all the same)', () => {
    for (const response of server) {
      const header = decodeHeader(response);
      if (header.command !== 11 || header.status !== 0) continue;
      const res = decodeIoctlResponse(response);
      if (res.output.length === 0) assert.deepEqual(encodeIoctlResponse(res), body(response));
    }
  });

  test('svcctl: Windows\' bind and bind_ack decode (SVCCTL v2.0 over NDR 2.0 accepted) and every MS-SCMR request and response stub decodes', () => {
    // The bind goes out in a WRITE on the svcctl pipe, the bind_ack comes back in the READ after it.
    const binds = client.filter((m) => decodeHeader(m).command === 9).map((m) => decodeWriteRequest(m).data).filter((d) => d[0] === 5 && d[1] === 0 && d[2] === PType.BIND);
    assert.ok(binds.length >= 1);
    for (const bind of binds) assert.ok(decodeBind(bind).contexts.some((c) => sameSyntax(c.abstract, SVCCTL) && c.transfers.some((t) => sameSyntax(t, NDR20))));
    const acks = server.filter((m) => decodeHeader(m).command === 8 && decodeHeader(m).status === 0).map((m) => decodeReadResponse(m).data).filter((d) => d[0] === 5 && d[1] === 0 && d[2] === PType.BIND_ACK);
    assert.equal(acks.length, binds.length);
    for (const ack of acks) assert.ok(decodeBindAck(ack).results.some((r) => r.result === 0 && r.transfer !== null && sameSyntax(r.transfer, NDR20)));

    // The svcctl opens' FileIds, from Windows' CREATE responses to CREATE "svcctl" (the PsExec pipes carry PsExec's own protocol).
    const svcctl = new Set<bigint>();
    for (const response of server) {
      const header = decodeHeader(response);
      const request = requests.get(header.messageId);
      if (header.command === 5 && header.status === 0 && request && decodeCreateRequest(request).name === 'svcctl') svcctl.add(decodeCreateResponse(response).fileId.volatile);
    }
    assert.equal(svcctl.size, 2);
    const opnums: number[] = [];
    for (const response of server) {
      const header = decodeHeader(response);
      if (header.command !== 11 || header.status !== 0) continue;
      const ioctl = decodeIoctlRequest(requests.get(header.messageId)!);
      if (ioctl.ctlCode !== FSCTL_PIPE_TRANSCEIVE || !svcctl.has(ioctl.fileId.volatile)) continue;
      const call = decodeRequest(ioctl.input);
      const reply = decodeCallPdu(decodeIoctlResponse(response).output);
      assert.equal(reply.kind, 'response');
      if (reply.kind !== 'response') continue;
      opnums.push(call.opnum);
      switch (call.opnum) {
        case Opnum.ROpenSCManagerW: {
          const req = decodeOpenSCManagerRequest(call.stub);
          assert.deepEqual(encodeOpenSCManager(req), call.stub);
          assert.equal(decodeHandleResponse(reply.stub, 'ROpenSCManagerW').code, 0);
          break;
        }
        case Opnum.ROpenServiceW: {
          const req = decodeOpenServiceRequest(call.stub);
          assert.deepEqual(encodeOpenService(req), call.stub);
          decodeHandleResponse(reply.stub, 'ROpenServiceW');
          break;
        }
        case Opnum.RCreateServiceW:
          decodeCreateServiceRequest(call.stub);
          assert.equal(decodeCreateService(reply.stub).code, 0);
          break;
        case Opnum.RStartServiceW:
          decodeStartServiceRequest(call.stub);
          decodeReturnOnly(reply.stub, 'RStartServiceW');
          break;
        case Opnum.RQueryServiceStatus:
        case Opnum.RControlService:
          decodeStatusResponse(reply.stub, 'status');
          break;
        case Opnum.RDeleteService:
          decodeReturnOnly(reply.stub, 'RDeleteService');
          break;
        case Opnum.RCloseServiceHandle:
          assert.equal(decodeCloseServiceHandle(reply.stub).code, 0);
          break;
      }
    }
    assert.ok(opnums.includes(Opnum.ROpenSCManagerW) && opnums.includes(Opnum.RCloseServiceHandle), `opnums seen: ${opnums.join(', ')}`);
  });
});

// ---- the lab's windows personality against the same recordings ----

describe('the lab\'s windows personality answers a recorded Windows client as Windows answered it', () => {
  const recorded = (messages: { direction: string; bytes: Buffer }[]) => {
    const negotiate = (direction: string) => messages.find((m) => m.direction === direction && decodeHeader(m.bytes).command === 0)!.bytes;
    return { request: negotiate('client'), response: negotiate('server') };
  };
  const cases: Array<[string, { request: Buffer; response: Buffer }]> = [
    ['Windows Server 2016 at 3.0 (Wireshark smb300-aes-128-ccm)', recorded(readSmbCapture('smb300-aes-128-ccm.pcap.gz'))],
    ['Windows Server 2016 at 3.1.1 (Wireshark smb311-aes-128-ccm)', recorded(readSmbCapture('smb311-aes-128-ccm.pcap.gz'))],
    ['Windows at 2.1 (the PsExec recording)', recorded(readMessageList('suricata-psexec-smb21-svcctl.txt'))],
  ];
  for (const [name, { request, response }] of cases) {
    test(`${name}: the same dialect and capabilities; a samba-personality host answers with fewer`, () => {
      const want = { dialect: response.readUInt16LE(SMB2_HEADER_SIZE + 4), capabilities: response.readUInt32LE(SMB2_HEADER_SIZE + 24) };
      const answer = (personality: 'windows' | 'samba') => {
        const result = handleNegotiate(request, { serverGuid: Buffer.alloc(16, 1), personality }, () => undefined);
        assert.ok('body' in result && result.body, `${personality}: an answer`);
        return { dialect: result.body.readUInt16LE(4), capabilities: result.body.readUInt32LE(24) };
      };
      assert.deepEqual(answer('windows'), want);
      const samba = answer('samba');
      assert.equal(samba.dialect, want.dialect);
      assert.notEqual(samba.capabilities, want.capabilities);
    });
  }
});
