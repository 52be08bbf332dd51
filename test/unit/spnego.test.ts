// SPNEGO (RFC 4178, MS-SPNG) DER around NTLMSSP: byte-exact against a captured Windows exchange,
// round trips, and bounds-checked decoding of every truncation.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  NTLMSSP_OID,
  NegState,
  SpnegoFormatError,
  decodeNegTokenInit,
  decodeNegTokenResp,
  encodeMechTypeList,
  encodeNegTokenInit,
  encodeNegTokenResp,
} from '../../main/smb/auth/spnego.js';

function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

// Security buffers of the SMB 3.1.1 example (master session) in the Microsoft Open Specifications
// blog "SMB 2 and SMB 3 security in Windows 10: the anatomy of signing and cryptographic keys":
// a Windows 8.1 client and a Windows 10 (build 10130) server.
/** NEGOTIATE response: the server's NegTokenInit2 offering NEGOEX and NTLMSSP, with a NEGOEX token. */
const SERVER_NEG_TOKEN_INIT2 = hex(`
  6082013c06062b0601050502a08201303082012ca01a3018060a2b0601040182
  3702021e060a2b06010401823702020aa282010c048201084e45474f45585453
  010000000000000060000000700000007c7cc0fd06d6362d02dde1cf343bfe29
  2900f49750b4aa97934d9c4296b26e51fd370471b235e15a50dae15bd5489c87
  0000000000000000600000000100000000000000000000005c33530deaf90d4d
  b2ec4ae3786ec3084e45474f4558545303000000010000004000000098000000
  7c7cc0fd06d6362d02dde1cf343bfe295c33530deaf90d4db2ec4ae3786ec308
  40000000580000003056a05430523027802530233121301f0603550403131854
  6f6b656e205369676e696e67205075626c6963204b6579302780253023312130
  1f06035504031318546f6b656e205369676e696e67205075626c6963204b6579`);
/** SESSION_SETUP request 1: NegTokenInit carrying the NTLM NEGOTIATE. */
const CLIENT_NEG_TOKEN_INIT = hex(`
  604806062b0601050502a03e303ca00e300c060a2b06010401823702020aa22a
  04284e544c4d5353500001000000978208e20000000000000000000000000000
  0000060380250000000f`);
/** SESSION_SETUP response 1: NegTokenResp accept-incomplete, NTLMSSP, the CHALLENGE. */
const SERVER_NEG_TOKEN_RESP = hex(`
  a181b03081ada0030a0101a10c060a2b06010401823702020aa281970481944e
  544c4d53535000020000000c000c003800000015828ae20d1d8ba31179d00800
  0000000000000050005000440000000a0092270000000f530055005400330031
  00310002000c0053005500540033003100310001000c00530055005400330031
  00310004000c0053005500540033003100310003000c00530055005400330031
  00310007000800a1a1f5adcbaed00100000000`);
/** SESSION_SETUP request 2: NegTokenResp accept-incomplete, the AUTHENTICATE and a mechListMIC. */
const CLIENT_NEG_TOKEN_RESP = hex(`
  a18201cb308201c7a0030a0101a28201aa048201a64e544c4d53535000030000
  001800180090000000ee00ee00a80000000c000c00580000001a001a00640000
  00120012007e0000001000100096010000158288e2060380250000000fecac77
  a5f385a8bf9c38c706eeeddcd3530055005400330031003100610064006d0069
  006e006900730074007200610074006f00720044005200490056004500520033
  003100310000000000000000000000000000000000000000000000000063078e
  b639fe03e20a231c3ae3bf23080101000000000000a1a1f5adcbaed001bc4ad0
  5f223cc90f0000000002000c0053005500540033003100310001000c00530055
  00540033003100310004000c0053005500540033003100310003000c00530055
  00540033003100310007000800a1a1f5adcbaed0010600040002000000080030
  0030000000000000000000000000300000b61fefcaa857ea57bf1edcebf8974b
  8e0eba5a6dfd9d07a31d11b548f8c9d0cc0a0010000000000000000000000000
  00000000000900160063006900660073002f0053005500540033003100310000
  00000000000000000000003b9bdff38f5ee8f9663f11a0f4c03a78a312041001
  00000063775a9a5fd97f0600000000`);
/** SESSION_SETUP response 2: accept-completed with the server's mechListMIC. */
const SERVER_FINAL_NEG_TOKEN_RESP = hex('a11b3019a0030a0100a3120410010000003b453cdc3524164200000000');

const NTLM_NEGOTIATE = CLIENT_NEG_TOKEN_INIT.subarray(CLIENT_NEG_TOKEN_INIT.length - 40);
const NTLM_AUTHENTICATE = CLIENT_NEG_TOKEN_RESP.subarray(21, 21 + 422);
const CLIENT_MECH_LIST_MIC = hex('0100000063775a9a5fd97f0600000000');
const NEGOEX_OID = '1.3.6.1.4.1.311.2.2.30';

describe('SPNEGO encoding matches a Windows client byte for byte', () => {
  test('encodeNegTokenInit(NEGOTIATE) equals the Windows 8.1 SESSION_SETUP token', () => {
    assert.deepEqual(encodeNegTokenInit(NTLM_NEGOTIATE), CLIENT_NEG_TOKEN_INIT);
  });

  test('encodeNegTokenResp(AUTHENTICATE, mechListMIC, accept-incomplete) equals the Windows token (long-form lengths)', () => {
    assert.deepEqual(encodeNegTokenResp(NTLM_AUTHENTICATE, CLIENT_MECH_LIST_MIC, NegState.ACCEPT_INCOMPLETE), CLIENT_NEG_TOKEN_RESP);
  });

  test('encodeMechTypeList is the DER SEQUENCE { 1.3.6.1.4.1.311.2.2.10 } a mechListMIC covers', () => {
    assert.equal(encodeMechTypeList().toString('hex'), '300c060a2b06010401823702020a');
  });
});

describe('SPNEGO decoding of the captured server tokens', () => {
  test('the NEGOTIATE NegTokenInit2 offers NEGOEX then NTLMSSP and carries a NEGOEX mechToken', () => {
    const init = decodeNegTokenInit(SERVER_NEG_TOKEN_INIT2);
    assert.deepEqual(init.mechTypes, [NEGOEX_OID, NTLMSSP_OID]);
    assert.equal(init.mechToken?.length, 0x108);
    assert.equal(init.mechToken?.subarray(0, 8).toString('latin1'), 'NEGOEXTS');
  });

  test('the first SESSION_SETUP response is accept-incomplete, NTLMSSP, with the 148-byte CHALLENGE', () => {
    const resp = decodeNegTokenResp(SERVER_NEG_TOKEN_RESP);
    assert.equal(resp.negState, NegState.ACCEPT_INCOMPLETE);
    assert.equal(resp.supportedMech, NTLMSSP_OID);
    assert.equal(resp.responseToken?.length, 148);
    assert.equal(resp.responseToken?.subarray(0, 12).toString('hex'), '4e544c4d5353500002000000');
    assert.equal(resp.mechListMic, undefined);
  });

  test('the final response is accept-completed with the server\'s mechListMIC and no token', () => {
    assert.deepEqual(decodeNegTokenResp(SERVER_FINAL_NEG_TOKEN_RESP), {
      negState: NegState.ACCEPT_COMPLETED,
      mechListMic: hex('010000003b453cdc3524164200000000'),
    });
  });

  test('the client\'s own tokens decode back to their parts', () => {
    // mechTypesDer: the list exactly as sent, which the server's mechListMIC covers.
    assert.deepEqual(decodeNegTokenInit(CLIENT_NEG_TOKEN_INIT), { mechTypes: [NTLMSSP_OID], mechToken: NTLM_NEGOTIATE, mechTypesDer: encodeMechTypeList() });
    assert.deepEqual(decodeNegTokenResp(CLIENT_NEG_TOKEN_RESP), {
      negState: NegState.ACCEPT_INCOMPLETE,
      responseToken: NTLM_AUTHENTICATE,
      mechListMic: CLIENT_MECH_LIST_MIC,
    });
  });
});

describe('SPNEGO round trips', () => {
  test('NegTokenInit and NegTokenResp round-trip tokens of 0, 127, 128, 255, 256 and 70 000 bytes', () => {
    for (const size of [0, 127, 128, 255, 256, 70_000]) {
      const token = Buffer.alloc(size, 0x5a);
      assert.deepEqual(decodeNegTokenInit(encodeNegTokenInit(token)), { mechTypes: [NTLMSSP_OID], mechToken: token, mechTypesDer: encodeMechTypeList() }, `init ${size}`);
      assert.deepEqual(decodeNegTokenResp(encodeNegTokenResp(token)), { responseToken: token }, `resp ${size}`);
      assert.deepEqual(decodeNegTokenResp(encodeNegTokenResp(token, Buffer.alloc(16, 1), NegState.REQUEST_MIC)), {
        negState: NegState.REQUEST_MIC,
        responseToken: token,
        mechListMic: Buffer.alloc(16, 1),
      });
    }
  });

  test('a raw NTLMSSP token sent unwrapped is accepted by both decoders', () => {
    const challenge = decodeNegTokenResp(SERVER_NEG_TOKEN_RESP).responseToken ?? Buffer.alloc(0);
    assert.deepEqual(decodeNegTokenResp(challenge), { responseToken: challenge });
    assert.deepEqual(decodeNegTokenInit(NTLM_NEGOTIATE), { mechTypes: [NTLMSSP_OID], mechToken: NTLM_NEGOTIATE });
  });

  test('an empty NEGOTIATE security buffer offers no mechanisms', () => {
    assert.deepEqual(decodeNegTokenInit(Buffer.alloc(0)), { mechTypes: [] });
  });

  test('decoders read a Uint8Array view that starts inside a larger buffer', () => {
    const backing = Buffer.concat([Buffer.from([0xff, 0xff]), SERVER_FINAL_NEG_TOKEN_RESP]);
    const view = new Uint8Array(backing.buffer, backing.byteOffset + 2, SERVER_FINAL_NEG_TOKEN_RESP.length);
    assert.equal(decodeNegTokenResp(view).negState, NegState.ACCEPT_COMPLETED);
  });
});

describe('SPNEGO decoders refuse malformed DER with SpnegoFormatError', () => {
  test('every truncation of every valid token throws SpnegoFormatError, never RangeError', () => {
    const resp = [SERVER_NEG_TOKEN_RESP, CLIENT_NEG_TOKEN_RESP, SERVER_FINAL_NEG_TOKEN_RESP];
    const init = [SERVER_NEG_TOKEN_INIT2, CLIENT_NEG_TOKEN_INIT];
    for (const token of resp) {
      for (let length = 0; length < token.length; length++) {
        assert.throws(() => decodeNegTokenResp(token.subarray(0, length)), SpnegoFormatError, `resp length ${length}`);
      }
    }
    for (const token of init) {
      for (let length = 1; length < token.length; length++) {
        assert.throws(() => decodeNegTokenInit(token.subarray(0, length)), SpnegoFormatError, `init length ${length}`);
      }
    }
  });

  test('indefinite or oversized lengths, wrong tags, a foreign mechanism and broken OIDs are refused', () => {
    const cases: Array<[string, () => unknown]> = [
      ['indefinite length', () => decodeNegTokenResp(hex('a180300000'))],
      ['5-byte length', () => decodeNegTokenResp(hex('a1850000000001ff'))],
      ['length beyond the buffer', () => decodeNegTokenResp(hex('a1ff'))],
      ['NegTokenInit given to the NegTokenResp decoder', () => decodeNegTokenResp(CLIENT_NEG_TOKEN_INIT)],
      ['NegTokenResp given to the NegTokenInit decoder', () => decodeNegTokenInit(SERVER_NEG_TOKEN_RESP)],
      ['Kerberos, not SPNEGO', () => decodeNegTokenInit(hex('600b06092a864886f712010202'))],
      ['OID ending inside an arc', () => decodeNegTokenResp(hex('a1083006a10406022b86'))],
      ['empty OID', () => decodeNegTokenResp(hex('a1063004a1020600'))],
      ['two-byte negState', () => decodeNegTokenResp(hex('a1083006a0040a020001'))],
      ['negState that is not ENUMERATED', () => decodeNegTokenResp(hex('a1073005a0030201 01'))],
      ['trailing bytes inside an explicit tag', () => decodeNegTokenResp(hex('a1083006a0040a010100'))],
      ['multi-byte tag', () => decodeNegTokenResp(hex('bf01020000'))],
      ['a mechTypes entry that is not an OID', () => decodeNegTokenInit(hex('a00a3008a0063004040200 00'))],
    ];
    for (const [name, decode] of cases) assert.throws(decode, SpnegoFormatError, name);
  });
});
