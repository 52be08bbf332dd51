// SMB crypto primitives against published known answers: MD4 (RFC 1320), RC4 (RFC 6229),
// AES-CMAC (RFC 4493), the SMB 3.x KDF (SP 800-108, Microsoft's key-derivation examples),
// signing (MS-SMB2 3.1.4.1) and TRANSFORM_HEADER encryption (MS-SMB2 2.2.41, 3.1.4.3).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { md4 } from '../../main/smb/crypto/md4.js';
import { rc4 } from '../../main/smb/crypto/rc4.js';
import { aesCmac } from '../../main/smb/crypto/aesCmac.js';
import { deriveSmb3Keys, smb3Kdf } from '../../main/smb/crypto/kdf.js';
import { computeSignature, signMessage, verifySignature, type SigningAlgorithm } from '../../main/smb/crypto/signing.js';
import { createNonceSource, decryptMessage, encryptMessage, type CipherId } from '../../main/smb/crypto/encryption.js';
import { SmbIntegrityError } from '../../main/smb/crypto/errors.js';

function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

function ascii(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

describe('md4 (RFC 1320)', () => {
  test('matches the seven digests of the RFC 1320 appendix A.5 test suite', () => {
    const suite: Array<[string, string]> = [
      ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
      ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
      ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
      ['message digest', 'd9130a8164549fe818874806e1c7014b'],
      ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
      ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', '043f8582f241db351ce627e153e7f0e4'],
      ['1234567890'.repeat(8), 'e33b4ddc9c38f2199c3e7b164fcc0536'],
    ];
    for (const [input, digest] of suite) assert.equal(md4(ascii(input)).toString('hex'), digest, JSON.stringify(input));
  });

  test('hashes a Uint8Array view at a non-zero offset the same as a copy', () => {
    const backing = ascii('xxabcxx');
    assert.equal(md4(new Uint8Array(backing.buffer, backing.byteOffset + 2, 3)).toString('hex'), 'a448017aaf21d8525fc10ae87aa6729d');
  });
});

describe('rc4 (RFC 6229 §2)', () => {
  // RFC 6229 §2 keystream bytes: key → { offset: 16 bytes }.
  const vectors: Array<[string, Record<number, string>]> = [
    [
      '0102030405',
      {
        0: 'b2396305f03dc027ccc3524a0a1118a8',
        16: '6982944f18fc82d589c403a47a0d0919',
        240: '28cb1132c96ce286421dcaadb8b69eae',
        256: '1cfcf62b03eddb641d77dfcf7f8d8c93',
        1520: '3294f744d8f9790507e70f62e5bbceea',
        1536: 'd8729db41882259bee4f825325f5a130',
        4080: '068326a2118416d21f9d04b2cd1ca050',
        4096: 'ff25b58995996707e51fbdf08b34d875',
      },
    ],
    ['01020304050607', { 0: '293f02d47f37c9b633f2af5285feb46b', 16: 'e620f1390d19bd84e2e0fd752031afc1' }],
    ['0102030405060708', { 0: '97ab8a1bf0afb96132f2f67258da15a8', 16: '8263efdb45c4a18684ef87e6b19e5b09' }],
    [
      '0102030405060708090a0b0c0d0e0f10',
      {
        0: '9ac7cc9a609d1ef7b2932899cde41b97',
        16: '5248c4959014126a6e8a84f11d1a9e1c',
        240: '065902e4b620f6cc36c8589f66432f2b',
        256: 'd39d566bc6bce3010768151549f3873f',
        1520: 'b40110c4190b5622a96116b0017ed297',
        1536: 'ffa0b514647ec04f6306b892ae661181',
        4080: 'ff38265c1642c1abe8d3c2fe5e572bf8',
        4096: 'a36a4c301ae8ac13610ccbc12256cacc',
      },
    ],
    [
      '0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20',
      {
        0: 'eaa6bd25880bf93d3f5d1e4ca2611d91',
        16: 'cfa45c9f7e714b54bdfa80027cb14380',
        240: '114ae344ded71b35f2e60febad727fd8',
        256: '02e1e7056b0f623900496422943e97b6',
      },
    ],
  ];

  test('the keystream (RC4 of zeros) matches RFC 6229 for 40- to 256-bit keys at offsets up to 4096', () => {
    for (const [key, offsets] of vectors) {
      const keystream = rc4(hex(key), Buffer.alloc(4112));
      for (const [offset, expected] of Object.entries(offsets)) {
        const at = Number(offset);
        assert.equal(keystream.subarray(at, at + 16).toString('hex'), expected, `key ${key} offset ${offset}`);
      }
    }
  });

  test('applying RC4 twice with the same key restores the data', () => {
    const data = randomBytes(1000);
    const key = hex('0102030405');
    assert.deepEqual(rc4(key, rc4(key, data)), data);
  });

  test('an empty key is refused', () => {
    assert.throws(() => rc4(Buffer.alloc(0), Buffer.alloc(1)), RangeError);
  });
});

describe('aesCmac (RFC 4493 §4)', () => {
  const key = hex('2b7e151628aed2a6abf7158809cf4f3c');
  const m64 = hex(`6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51
                   30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710`);

  test('examples 1-4: empty, 16-, 40- and 64-byte messages give the published MACs', () => {
    assert.equal(aesCmac(key, Buffer.alloc(0)).toString('hex'), 'bb1d6929e95937287fa37d129b756746');
    assert.equal(aesCmac(key, m64.subarray(0, 16)).toString('hex'), '070a16b46b4d4144f79bdd9dd04a287c');
    assert.equal(aesCmac(key, m64.subarray(0, 40)).toString('hex'), 'dfa66747de9ae63030ca32611497c827');
    assert.equal(aesCmac(key, m64).toString('hex'), '51f0bebf7e3b9d92fc49741779363cfe');
  });

  test('a key that is not 16 bytes is refused', () => {
    assert.throws(() => aesCmac(Buffer.alloc(32), Buffer.alloc(0)), RangeError);
  });
});

// Microsoft Open Specifications blog, "SMB 2 and SMB 3 security in Windows 10: the anatomy of
// signing and cryptographic keys", Appendix "Key derivation examples" (SMB 3.0 and 3.1.1
// multichannel), and "Encryption in SMB 3.0: A protocol perspective", section "Test vector".
const PREAUTH_MASTER = hex(`0DD13628CC3ED218EF9DF9772D436D0887AB9814BFAE63A80AA845F36909DB79
                            28622DDDAD522D9751640A459762C5A9D6BB084CBB3CE6BDADEF5D5BCE3C6C01`);
const PREAUTH_BOUND = hex(`EA3BF912B11CBFEC5B1889E8209614218687F82FA5294521AD3063425E49E88A
                           10BD022124CE25123BC9111F52D9566BA88BF46344E6063DC5E3FF0389026F6C`);

describe('SMB 3.x key derivation (SP 800-108 counter mode, MS-SMB2 3.1.4.2 / 3.2.5.3.1)', () => {
  function keysHex(keys: { signingKey: Buffer; encryptionKey: Buffer; decryptionKey: Buffer }): string[] {
    return [keys.signingKey, keys.encryptionKey, keys.decryptionKey].map((k) => k.toString('hex').toUpperCase());
  }

  test('dialect 3.0 reproduces both channels of Microsoft\'s SMB 3.0 multichannel example', () => {
    const master = deriveSmb3Keys({ dialect: 0x0300, sessionKey: hex('7CD451825D0450D235424E44BA6E78CC'), cipherKeyBits: 128 });
    assert.deepEqual(keysHex(master), ['0B7E9C5CAC36C0F6EA9AB275298CEDCE', 'FAD27796665B313EBB578F388632B4F7', 'B0F0427F7CEB416D1D9DCC0CD4F99447']);
    const bound = deriveSmb3Keys({ dialect: 0x0302, sessionKey: hex('4E01A2B313BCF660CC250BEF021AEDE6'), cipherKeyBits: 128 });
    assert.equal(bound.signingKey.toString('hex').toUpperCase(), 'BA1A17DBBFEC349BCA105563D598952F');
  });

  test('dialect 3.0 reproduces the keys of the "Encryption in SMB 3.0" test vector', () => {
    const keys = deriveSmb3Keys({ dialect: 0x0300, sessionKey: hex('B4546771B515F766A86735532DD6C4F0'), cipherKeyBits: 128 });
    assert.deepEqual(keysHex(keys), ['F773CD23C18FD1E08EE510CADA7CF852', '261B72350558F2E9DCF613070383EDBF', '8FE2B57EC34D2DB5B1A9727F526BBDB5']);
  });

  test('dialect 3.1.1 reproduces Microsoft\'s example from the preauth integrity hash, for both channels', () => {
    const master = deriveSmb3Keys({ dialect: 0x0311, sessionKey: hex('270E1BA896585EEB7AF3472D3B4C75A7'), preauthHash: PREAUTH_MASTER, cipherKeyBits: 128 });
    assert.deepEqual(keysHex(master), ['73FE7A9A77BEF0BDE49C650D8CCB5F76', '629BCBC54422A0F572B97F45989B6073', 'E2AF0DCEFAC68DA71A0DFBD0D1350D74']);
    const bound = deriveSmb3Keys({ dialect: 0x0311, sessionKey: hex('84B9DBB730116A8FA6E9889555C265F9'), preauthHash: PREAUTH_BOUND, cipherKeyBits: 128 });
    assert.equal(bound.signingKey.toString('hex').toUpperCase(), 'C962BCA1A9DD1697B030644199705431');
  });

  test('smb3Kdf is HMAC-SHA256(Ki, [1]32BE ‖ Label ‖ 0x00 ‖ Context ‖ [L]32BE) truncated to L bits', () => {
    const key = hex('270E1BA896585EEB7AF3472D3B4C75A7');
    const label = ascii('SMBC2SCipherKey\0');
    for (const bits of [128, 256] as const) {
      const length = Buffer.alloc(4);
      length.writeUInt32BE(bits);
      const input = Buffer.concat([hex('00000001'), label, Buffer.of(0), PREAUTH_MASTER, length]);
      const expected = createHmac('sha256', key).update(input).digest().subarray(0, bits / 8);
      assert.deepEqual(smb3Kdf(key, label, PREAUTH_MASTER, bits), expected);
    }
    assert.notDeepEqual(smb3Kdf(key, label, PREAUTH_MASTER, 256).subarray(0, 16), smb3Kdf(key, label, PREAUTH_MASTER, 128));
  });

  test('AES-256 cipher keys come from the full session key and the signing key from its first 16 bytes', () => {
    const full = hex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
    const keys = deriveSmb3Keys({ dialect: 0x0311, sessionKey: full, preauthHash: PREAUTH_MASTER, cipherKeyBits: 256 });
    assert.deepEqual(keys.signingKey, smb3Kdf(full.subarray(0, 16), ascii('SMBSigningKey\0'), PREAUTH_MASTER, 128));
    assert.deepEqual(keys.encryptionKey, smb3Kdf(full, ascii('SMBC2SCipherKey\0'), PREAUTH_MASTER, 256));
    assert.deepEqual(keys.decryptionKey, smb3Kdf(full, ascii('SMBS2CCipherKey\0'), PREAUTH_MASTER, 256));
    assert.equal(keys.encryptionKey.length, 32);
  });

  test('a 16-byte NTLM session key gives the same AES-256 keys whichever way it is read', () => {
    const sessionKey = hex('270E1BA896585EEB7AF3472D3B4C75A7');
    const keys = deriveSmb3Keys({ dialect: 0x0311, sessionKey, preauthHash: PREAUTH_MASTER, cipherKeyBits: 256 });
    assert.deepEqual(keys.encryptionKey, smb3Kdf(sessionKey, ascii('SMBC2SCipherKey\0'), PREAUTH_MASTER, 256));
    assert.equal(keys.signingKey.toString('hex').toUpperCase(), '73FE7A9A77BEF0BDE49C650D8CCB5F76');
  });

  test('3.1.1 without a 64-byte preauth hash, and AES-256 with 3.0, are refused', () => {
    const sessionKey = Buffer.alloc(16, 1);
    assert.throws(() => deriveSmb3Keys({ dialect: 0x0311, sessionKey, cipherKeyBits: 128 }), /preauth/);
    assert.throws(() => deriveSmb3Keys({ dialect: 0x0311, sessionKey, preauthHash: Buffer.alloc(32), cipherKeyBits: 128 }), /preauth/);
    assert.throws(() => deriveSmb3Keys({ dialect: 0x0300, sessionKey, cipherKeyBits: 256 }), /AES-128-CCM/);
  });
});

// The signed final SESSION_SETUP response of the 3.1.1 example in "SMB 2 and SMB 3 security in
// Windows 10: the anatomy of signing and cryptographic keys" (SessionId 0x100000000019).
const SIGNED_SESSION_SETUP_RESPONSE = hex(`
  fe534d4240000100000000000100800009000000000000000300000000000000
  fffe0000000000001900000000100000ebe146da120ba25fc3376a49dfe31bc1
  0900000048001d00a11b3019a0030a0100a3120410010000003b453cdc352416
  4200000000`);

function smb2Message(options: { command?: number; flags?: number; messageId?: bigint; body?: Buffer } = {}): Buffer {
  const header = Buffer.alloc(64);
  header.write('\xfeSMB', 0, 'latin1');
  header.writeUInt16LE(64, 4);
  header.writeUInt16LE(options.command ?? 0x0008, 12);
  header.writeUInt32LE(options.flags ?? 0, 16);
  header.writeBigUInt64LE(options.messageId ?? 7n, 24);
  header.writeBigUInt64LE(0x100000000019n, 40);
  return Buffer.concat([header, options.body ?? Buffer.from('read request body, forty-nine bytes long, padded!')]);
}

describe('SMB2 signing (MS-SMB2 3.1.4.1, 3.1.5.1)', () => {
  const algorithms: SigningAlgorithm[] = ['hmac-sha256', 'aes-cmac', 'aes-gmac'];
  const key = hex('73FE7A9A77BEF0BDE49C650D8CCB5F76');

  test('AES-CMAC verifies Windows\' signed SESSION_SETUP response and signing it again gives EBE146DA…', () => {
    assert.equal(verifySignature('aes-cmac', key, SIGNED_SESSION_SETUP_RESPONSE), true);
    const copy = Buffer.from(SIGNED_SESSION_SETUP_RESPONSE);
    copy.fill(0, 48, 64);
    signMessage('aes-cmac', key, copy);
    assert.deepEqual(copy, SIGNED_SESSION_SETUP_RESPONSE);
    assert.equal(copy.subarray(48, 64).toString('hex').toUpperCase(), 'EBE146DA120BA25FC3376A49DFE31BC1');
  });

  test('sign then verify round-trips for HMAC-SHA256, AES-CMAC and AES-GMAC, and sets SMB2_FLAGS_SIGNED only', () => {
    for (const alg of algorithms) {
      const message = smb2Message({ flags: 0x0000_0004 });
      signMessage(alg, key, message);
      assert.equal(message.readUInt32LE(16), 0x0000_000c, alg);
      assert.notDeepEqual(message.subarray(48, 64), Buffer.alloc(16), alg);
      assert.equal(verifySignature(alg, key, message), true, alg);
    }
  });

  test('flipping any single byte (header, signature or body) makes verification fail', () => {
    for (const alg of algorithms) {
      const message = smb2Message();
      signMessage(alg, key, message);
      for (let i = 0; i < message.length; i++) {
        const tampered = Buffer.from(message);
        tampered[i] = (tampered[i] ?? 0) ^ 0x01;
        assert.equal(verifySignature(alg, key, tampered), false, `${alg}: byte ${i}`);
      }
      assert.equal(verifySignature(alg, Buffer.alloc(16, 9), message), false, `${alg}: wrong key`);
    }
  });

  test('verifySignature does not modify the caller\'s buffer', () => {
    const message = smb2Message();
    signMessage('aes-cmac', key, message);
    const before = Buffer.from(message);
    verifySignature('aes-cmac', key, message);
    verifySignature('aes-cmac', key, Buffer.concat([message, Buffer.of(1)]));
    assert.deepEqual(message, before);
  });

  test('HMAC-SHA256 signing is HMAC-SHA256 of the zeroed message, first 16 bytes', () => {
    const message = smb2Message();
    signMessage('hmac-sha256', key, message);
    const zeroed = Buffer.from(message);
    zeroed.fill(0, 48, 64);
    assert.deepEqual(message.subarray(48, 64), createHmac('sha256', key).update(zeroed).digest().subarray(0, 16));
  });

  test('AES-GMAC uses the nonce MessageId (8 bytes LE) ‖ flags with bit 0 = server sender and bit 1 = CANCEL', () => {
    const gmac = (message: Buffer, nonce: Buffer): Buffer => {
      const gcm = createCipheriv('aes-128-gcm', key, nonce);
      gcm.setAAD(message);
      gcm.final();
      return gcm.getAuthTag();
    };
    const cases = [
      { flags: 0, command: 0x0008, nonce: '2301000000000000 00000000' },
      { flags: 0x1, command: 0x0008, nonce: '2301000000000000 01000000' },
      { flags: 0, command: 0x000c, nonce: '2301000000000000 02000000' },
      { flags: 0x1, command: 0x000c, nonce: '2301000000000000 03000000' },
    ];
    for (const c of cases) {
      const message = smb2Message({ flags: c.flags, command: c.command, messageId: 0x123n });
      signMessage('aes-gmac', key, message);
      const zeroed = Buffer.from(message);
      zeroed.fill(0, 48, 64);
      assert.deepEqual(message.subarray(48, 64), gmac(zeroed, hex(c.nonce)), JSON.stringify(c));
      const direct = computeSignature('aes-gmac', key, zeroed, { messageId: 0x123n, isResponse: (c.flags & 1) === 1, isCancel: c.command === 0x000c });
      assert.deepEqual(direct, message.subarray(48, 64));
    }
  });

  test('AES-GMAC needs nonce input, AES signing needs a 16-byte key, and short messages never verify', () => {
    assert.throws(() => computeSignature('aes-gmac', key, smb2Message()), TypeError);
    assert.throws(() => computeSignature('aes-cmac', Buffer.alloc(32), smb2Message()), RangeError);
    assert.throws(() => signMessage('aes-cmac', key, Buffer.alloc(63)), RangeError);
    assert.equal(verifySignature('aes-cmac', key, Buffer.alloc(63)), false);
  });
});

// "Encryption in SMB 3.0: A protocol perspective" (Microsoft Open Specifications blog, 2012),
// section "Test vector": the WRITE request and READ response, AES-128-CCM, SessionId 0x8e40014000011.
const SESSION_30 = 0x8e40014000011n;
const CCM_CLIENT_KEY = hex('261B72350558F2E9DCF613070383EDBF');
const CCM_SERVER_KEY = hex('8FE2B57EC34D2DB5B1A9727F526BBDB5');
const CCM_WRITE_PLAIN = hex(`
  FE534D4240000100000000000900400008000000000000000400000000000000
  FFFE0000010000001100001400E4080000000000000000000000000000000000
  3100700017000000000000000000000015010000390000020100000039020000
  00000000000000007000000000000000536D623320656E6372797074696F6E20
  74657374696E67`);
const CCM_WRITE_TRANSFORMED = hex(`
  FD534D4281A286535415445DAE393921E44FA42E66E69A111892584FB5ED524A
  744DA3EE87000000000001001100001400E4080025C8FEE16605A437832D1CD5
  2DA9F4645333482A175FE5384563F45FCDAFAEF38BC62BA4D5C62897996625A4
  4C29BE5658DE2E6117585779E7B59FFD971278D08580D7FA899E410E910EABF5
  AA1DB43050B33B49182637759AC15D84BFCDF5B6B238993C0F4CF4D6012023F6
  C627297075D84B7803912D0A9639634453595EF3E33FFE4E7AC2AB`);
const CCM_READ_RESPONSE_TRANSFORMED = hex(`
  FD534D42ABD518B68C2F04D7879F482B689EB83F870000000000000011000014
  00E4080067000000000001001100001400E40800493D6FE2BDBEB435CF5F5469
  70C7BB57BF20E713C75A3D045507E0D68E5C0346659D6FFB8AC1504A786CA2BB
  89C9E7FE4F313E910A04180D2D0EA7DF636329E5A3285984500EF86FE9D55DA4
  FAB9531CFDD4C551D47F3C73124BB4590A45052B694048B991CCF5`);
const CCM_READ_RESPONSE_PLAIN = hex(`
  FE534D4240000100000000000800210009000000000000000500000000000000
  FFFE0000010000001100001400E4080000000000000000000000000000000000
  11005000170000000000000000000000536D623320656E6372797074696F6E20
  74657374696E67`);

// "SMB 3.1.1 Encryption in Windows 10" (Microsoft Open Specifications blog, 2015), the AES-128-GCM
// WRITE request; transcribed from that blog by the test suite of a public Java SMB server
// (MessageEncryptorTest.testMsSmb2Aes128GcmWriteVector). Matching its 16-byte tag confirms the copy.
const GCM_KEY = hex('A2F5E80E5D59103034F32E52F698E5EC');
const GCM_WRITE_PLAIN = hex(`
  FE534D4240000100000000000900010008000000000000000500000000000000FFFE000001000000
  25000000001000000000000000000000000000000000000031007000170000000000000000000000
  0600000004000000010000000400000000000000000000007000000000000000536D623320656E63
  72797074696F6E2074657374696E67`);
const GCM_WRITE_TRANSFORMED = hex(`
  FD534D42BD73D97D2BC9001BCAFAC0FDFF5FEEBCC7D6822D269CAF48904C664C0000000087000000
  0000010025000000001000006ECDD2A7AFC7B47763057A041B8FD4DAFFE990B70C9E09D36C084E02
  D14EF247F8BDE38ACF6256F8B1D3B56F77FBDEB312FEA5E92CBCC1ED8FB2EBBFAA75E49A4A394BB4
  4576545567C24D4C014D47C9FBDFDAFD2C4F9B72F8D256452620A299F48E29E53D6B61D1C13A19E9
  1AF013F00D17E3ABC2FC3D36C8C1B6B93973253852DBD442E46EE8`);

const ALL_CIPHERS: Array<[CipherId, number, number]> = [
  [0x0001, 16, 11],
  [0x0002, 16, 12],
  [0x0003, 32, 11],
  [0x0004, 32, 12],
];

describe('SMB3 encryption (MS-SMB2 2.2.41 TRANSFORM_HEADER, 3.1.4.3)', () => {
  test('AES-128-CCM reproduces the "Encryption in SMB 3.0" WRITE request byte for byte', () => {
    // Windows 8 filled all 16 Nonce bytes; the cipher uses 11 of them, the AAD all 16.
    const nonceField = CCM_WRITE_TRANSFORMED.subarray(20, 36);
    assert.deepEqual(encryptMessage(0x0001, CCM_CLIENT_KEY, SESSION_30, nonceField, CCM_WRITE_PLAIN), CCM_WRITE_TRANSFORMED);
  });

  test('AES-128-CCM decrypts that blog\'s WRITE request and READ response', () => {
    assert.deepEqual(decryptMessage(0x0001, CCM_CLIENT_KEY, CCM_WRITE_TRANSFORMED), { sessionId: SESSION_30, message: CCM_WRITE_PLAIN });
    assert.deepEqual(decryptMessage(0x0001, CCM_SERVER_KEY, CCM_READ_RESPONSE_TRANSFORMED), { sessionId: SESSION_30, message: CCM_READ_RESPONSE_PLAIN });
  });

  test('AES-128-GCM reproduces the "SMB 3.1.1 Encryption in Windows 10" WRITE request and decrypts it', () => {
    const nonce = GCM_WRITE_TRANSFORMED.subarray(20, 32);
    assert.deepEqual(encryptMessage(0x0002, GCM_KEY, 0x0000100000000025n, nonce, GCM_WRITE_PLAIN), GCM_WRITE_TRANSFORMED);
    assert.deepEqual(decryptMessage(0x0002, GCM_KEY, GCM_WRITE_TRANSFORMED).message, GCM_WRITE_PLAIN);
  });

  test('all four ciphers round-trip and lay out the header as MS-SMB2 2.2.41 says', () => {
    for (const [cipher, keyBytes, nonceBytes] of ALL_CIPHERS) {
      const key = randomBytes(keyBytes);
      const nonce = randomBytes(nonceBytes);
      const message = smb2Message();
      const transformed = encryptMessage(cipher, key, 0x1122334455667788n, nonce, message);
      assert.equal(transformed.length, 52 + message.length);
      assert.equal(transformed.subarray(0, 4).toString('hex'), 'fd534d42');
      assert.deepEqual(transformed.subarray(20, 20 + nonceBytes), nonce);
      assert.deepEqual(transformed.subarray(20 + nonceBytes, 36), Buffer.alloc(16 - nonceBytes));
      assert.equal(transformed.readUInt32LE(36), message.length);
      assert.equal(transformed.readUInt16LE(40), 0);
      assert.equal(transformed.readUInt16LE(42), 0x0001);
      assert.equal(transformed.readBigUInt64LE(44), 0x1122334455667788n);
      assert.notDeepEqual(transformed.subarray(52), message);
      assert.deepEqual(decryptMessage(cipher, key, transformed), { sessionId: 0x1122334455667788n, message });
    }
  });

  test('a tampered tag, ciphertext, nonce, size or SessionId (all authenticated) throws SmbIntegrityError', () => {
    for (const [cipher, keyBytes, nonceBytes] of ALL_CIPHERS) {
      const key = randomBytes(keyBytes);
      const transformed = encryptMessage(cipher, key, 5n, randomBytes(nonceBytes), smb2Message());
      for (const at of [4, 19, 20, 20 + nonceBytes - 1, 35, 44, 51, 52, transformed.length - 1]) {
        const tampered = Buffer.from(transformed);
        tampered[at] = (tampered[at] ?? 0) ^ 0x80;
        assert.throws(() => decryptMessage(cipher, key, tampered), SmbIntegrityError, `cipher ${cipher} byte ${at}`);
      }
      assert.throws(() => decryptMessage(cipher, randomBytes(keyBytes), transformed), SmbIntegrityError, 'wrong key');
    }
  });

  test('every truncation of a transformed message throws SmbIntegrityError, never RangeError', () => {
    for (let length = 0; length < GCM_WRITE_TRANSFORMED.length; length++) {
      assert.throws(() => decryptMessage(0x0002, GCM_KEY, GCM_WRITE_TRANSFORMED.subarray(0, length)), SmbIntegrityError, `length ${length}`);
    }
  });

  test('a wrong ProtocolId, Flags or OriginalMessageSize is refused before decrypting', () => {
    const cases: Array<[string, (b: Buffer) => void]> = [
      ['ProtocolId FE S M B', (b) => b.writeUInt8(0xfe, 0)],
      ['Flags 0', (b) => b.writeUInt16LE(0, 42)],
      ['OriginalMessageSize + 1', (b) => b.writeUInt32LE(b.readUInt32LE(36) + 1, 36)],
      ['OriginalMessageSize 0xFFFFFFFF', (b) => b.writeUInt32LE(0xffffffff, 36)],
    ];
    for (const [name, mutate] of cases) {
      const copy = Buffer.from(GCM_WRITE_TRANSFORMED);
      mutate(copy);
      assert.throws(() => decryptMessage(0x0002, GCM_KEY, copy), SmbIntegrityError, name);
    }
    assert.throws(() => decryptMessage(0x0002, GCM_KEY, Buffer.concat([GCM_WRITE_TRANSFORMED, Buffer.of(0)])), SmbIntegrityError, 'trailing byte');
  });

  test('wrong key or nonce lengths for the cipher are programming errors (RangeError)', () => {
    assert.throws(() => encryptMessage(0x0001, Buffer.alloc(32), 1n, Buffer.alloc(11), smb2Message()), RangeError);
    assert.throws(() => encryptMessage(0x0004, Buffer.alloc(16), 1n, Buffer.alloc(12), smb2Message()), RangeError);
    assert.throws(() => encryptMessage(0x0001, Buffer.alloc(16), 1n, Buffer.alloc(12), smb2Message()), RangeError);
    assert.throws(() => encryptMessage(0x0002, Buffer.alloc(16), 1n, Buffer.alloc(11), smb2Message()), RangeError);
    assert.throws(() => decryptMessage(0x0003, Buffer.alloc(16), GCM_WRITE_TRANSFORMED), RangeError);
  });
});

describe('createNonceSource', () => {
  test('100 000 GCM nonces never repeat, share the random prefix and carry the counter LE in the low 8 bytes', () => {
    const next = createNonceSource(0x0002, () => hex('a1b2c3d4'));
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) {
      const nonce = next();
      assert.equal(nonce.length, 12);
      if (i % 9973 === 0) {
        assert.deepEqual(nonce.subarray(0, 4), hex('a1b2c3d4'));
        assert.equal(nonce.readBigUInt64LE(4), BigInt(i));
      }
      seen.add(nonce.toString('hex'));
    }
    assert.equal(seen.size, 100_000);
  });

  test('CCM nonces are 11 bytes: a 3-byte prefix and the counter', () => {
    const requested: number[] = [];
    const next = createNonceSource(0x0003, (n) => {
      requested.push(n);
      return Buffer.alloc(n, 0xee);
    });
    assert.deepEqual(requested, [3]);
    assert.equal(next().toString('hex'), 'eeeeee0000000000000000');
    assert.equal(next().toString('hex'), 'eeeeee0100000000000000');
  });

  test('the source throws instead of wrapping after counter 2^64 - 1', () => {
    const next = createNonceSource(0x0001, (n) => Buffer.alloc(n), 0xffff_ffff_ffff_fffen);
    assert.equal(next().readBigUInt64LE(3), 0xffff_ffff_ffff_fffen);
    assert.equal(next().readBigUInt64LE(3), 0xffff_ffff_ffff_ffffn);
    assert.throws(() => next(), /exhausted/);
  });

  test('a random source that returns the wrong length is refused', () => {
    assert.throws(() => createNonceSource(0x0002, () => Buffer.alloc(2)), RangeError);
  });
});
