// Fuzz: the Kerberos decoders meet tens of thousands of mutated KDC replies (AS-REP, TGS-REP,
// KRB-ERROR with its METHOD-DATA and ETYPE-INFO2), AP-REPs (GSS-wrapped, and inside a SPNEGO
// NegTokenResp) and decrypted EncKDCRepPart / EncAPRepPart plaintexts — bit flips, truncations,
// changed length bytes, inserted, deleted and duplicated bytes. Each input either decodes or throws
// KerberosFormatError / SpnegoFormatError, within a time bound; a failure names seed and case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import {
  GssTokId,
  KerberosFormatError,
  KrbErrorCode,
  MessageType,
  PaType,
  decodeApRep,
  decodeEncApRepPart,
  decodeEncKdcRepPart,
  decodeEtypeInfo2,
  decodeKdcRep,
  decodeKrbError,
  decodeMethodData,
  peekMessageType,
  unwrapGssKrb5,
  wrapGssKrb5,
} from '../../main/smb/auth/kerberos/messages.js';
import { MS_KRB5_OID, NegState, SpnegoFormatError, decodeNegTokenResp, encodeNegTokenResp } from '../../main/smb/auth/spnego.js';
import * as mit from '../support/kerberosVectors.js';
import { encodeApRep, encodeEncApRepPart, encodeEncKdcRepPart, encodeEtypeInfo2, encodeKdcRep, encodeKrbError, encodePaDataList, encodeTicket } from '../support/kerberosReplies.js';
import { prng, deterministicRandom } from '../support/prng.js';

const SEED = Number(process.env.PIC_KERBEROS_FUZZ_SEED ?? 0x4b524235);
const KDC_RUNS = 12_000;
const AP_RUNS = 12_000;
const PLAIN_RUNS = 6_000;
/** One input's bound, and the whole test's. */
const CASE_MS = 50;
const TOTAL_MS = 20_000;

const realm = 'CORP.EXAMPLE.COM';
const krbtgt = { nameType: 2, nameString: ['krbtgt', realm] };
const cifs = { nameType: 2, nameString: ['cifs', 'fs01.corp.example.com'] };
const user = { nameType: 1, nameString: ['svc-push'] };
const time = new Date('2025-03-04T05:06:07Z');
const ticket = encodeTicket({ realm, sname: cifs, encPart: { etype: 18, kvno: 7, cipher: Buffer.alloc(900, 0x42) } });
const etypeInfo2 = encodeEtypeInfo2([{ etype: 18, salt: `${realm}svc-push` }, { etype: 17, salt: `${realm}svc-push`, s2kParams: Buffer.from('00001000', 'hex') }, { etype: 23 }]);

const KDC_REPLIES: Buffer[] = [
  mit.AS_REP, mit.TGS_REP, mit.AS_REP_MINIMAL, mit.KRB_ERROR, mit.KRB_ERROR_MINIMAL,
  encodeKdcRep({ msgType: 11, padata: [{ type: PaType.ETYPE_INFO2, value: etypeInfo2 }], crealm: realm, cname: user, ticket: encodeTicket({ realm, sname: krbtgt, encPart: { etype: 18, kvno: 2, cipher: Buffer.alloc(1000, 1) } }), encPart: { etype: 18, cipher: Buffer.alloc(320, 2) } }),
  encodeKdcRep({ msgType: 13, padata: [], crealm: realm, cname: user, ticket, encPart: { etype: 18, cipher: Buffer.alloc(200, 3) } }),
  encodeKrbError({
    errorCode: KrbErrorCode.KDC_ERR_PREAUTH_REQUIRED, stime: time, susec: 654321, realm, sname: krbtgt, cname: user, crealm: realm, eText: 'NEEDED_PREAUTH',
    eData: encodePaDataList([{ type: PaType.ETYPE_INFO2, value: etypeInfo2 }, { type: PaType.ENC_TIMESTAMP, value: Buffer.alloc(0) }, { type: 16, value: Buffer.alloc(0) }]),
  }),
];
const AP_REPS: Buffer[] = [mit.AP_REP, encodeApRep({ etype: 18, cipher: Buffer.alloc(110, 4) }), encodeApRep({ etype: 23, kvno: 0, cipher: Buffer.alloc(60, 5) })];
const AP_TOKENS: Buffer[] = [
  ...AP_REPS.map((rep) => wrapGssKrb5(GssTokId.AP_REP, rep)),
  wrapGssKrb5(GssTokId.KRB_ERROR, mit.KRB_ERROR, MS_KRB5_OID),
  ...AP_REPS.map((rep) => encodeNegTokenResp(wrapGssKrb5(GssTokId.AP_REP, rep, MS_KRB5_OID), undefined, NegState.ACCEPT_COMPLETED)),
];
const PLAINTEXTS: Buffer[] = [
  mit.ENC_KDC_REP_PART, mit.ENC_KDC_REP_PART_MINIMAL, mit.AP_REP_ENC_PART, mit.AP_REP_ENC_PART_MINIMAL,
  encodeEncKdcRepPart({ key: { etype: 18, value: Buffer.alloc(32, 6) }, nonce: 0x12345678, flags: 0x40e10000, authtime: time, starttime: time, endtime: time, renewTill: time, srealm: realm, sname: cifs }, 25, [{ type: 0, value: time }]),
  encodeEncApRepPart({ ctime: time, cusec: 999_999, subkey: { etype: 18, value: Buffer.alloc(32, 7) }, seqNumber: 0x89abcdef }),
];

type Rand = () => number;

/** Tag bytes the messages use: universal, [n] and [APPLICATION n]; the byte after one is a length. */
const TAGS = new Set([0x02, 0x03, 0x04, 0x06, 0x0a, 0x18, 0x1b, 0x30, ...Array.from({ length: 31 }, (_, n) => 0xa0 + n), ...Array.from({ length: 31 }, (_, n) => 0x60 + n)]);

function mutate(base: Buffer, r: Rand, random: (n: number) => Buffer): Buffer {
  const b = Buffer.from(base);
  const at = (): number => r() % b.length;
  switch (r() % 7) {
    case 0: // bit flips
      for (let i = 0, n = 1 + (r() % 4); i < n; i++) {
        const j = at();
        b[j] = b[j]! ^ (1 << (r() % 8));
      }
      return b;
    case 1: // truncated
      return b.subarray(0, r() % b.length);
    case 2: { // a length byte changed: the byte after a plausible tag, to an edge value or off by one
      const starts = [...b.keys()].filter((i) => i + 1 < b.length && TAGS.has(b[i]!));
      const j = (starts.length > 0 ? starts[r() % starts.length]! : at()) + 1;
      if (j < b.length) b[j] = [0x00, 0x01, 0x7f, 0x80, 0x81, 0x82, 0x84, 0x85, 0xff, (b[j]! + 1) & 0xff, (b[j]! - 1) & 0xff][r() % 11]!;
      return b;
    }
    case 3: { // bytes inserted
      const j = at();
      return Buffer.concat([b.subarray(0, j), random(1 + (r() % 8)), b.subarray(j)]);
    }
    case 4: { // bytes deleted
      const j = at();
      return Buffer.concat([b.subarray(0, j), b.subarray(Math.min(b.length, j + 1 + (r() % 8)))]);
    }
    case 5: { // a region duplicated
      const j = at();
      const k = Math.min(b.length, j + 1 + (r() % 40));
      return Buffer.concat([b.subarray(0, k), b.subarray(j, k), b.subarray(k)]);
    }
    default: // a random run overwritten
      for (let i = at(), n = 1 + (r() % 16); i < b.length && n > 0; i++, n--) b[i] = r() & 0xff;
      return b;
  }
}

/** What the client does with a KDC's reply: dispatch on the outer tag, then read PREAUTH_REQUIRED's e-data. */
function readKdcReply(bytes: Buffer): void {
  if (peekMessageType(bytes) !== MessageType.KRB_ERROR) {
    decodeKdcRep(bytes);
    return;
  }
  const error = decodeKrbError(bytes);
  if (!error.eData || error.errorCode !== KrbErrorCode.KDC_ERR_PREAUTH_REQUIRED) return;
  for (const pa of decodeMethodData(error.eData)) if (pa.type === PaType.ETYPE_INFO2) decodeEtypeInfo2(pa.value);
}

/** What the client does with the server's SESSION_SETUP token: SPNEGO, then GSS, then AP-REP or KRB-ERROR. */
function readApToken(bytes: Buffer): void {
  const gss = bytes[0] === 0xa1 ? decodeNegTokenResp(bytes).responseToken : bytes;
  if (!gss) return;
  const { tokId, body } = unwrapGssKrb5(gss);
  if (tokId === GssTokId.KRB_ERROR) decodeKrbError(body);
  else decodeApRep(body);
}

function readPlaintext(bytes: Buffer): void {
  if (bytes[0] === 0x7b) decodeEncApRepPart(bytes);
  else decodeEncKdcRepPart(bytes);
}

test(`${KDC_RUNS} mutated KDC replies, ${AP_RUNS} mutated AP-REP tokens and ${2 * PLAIN_RUNS} mutated plaintexts decode or throw a format error (seed ${SEED})`, () => {
  for (const [bases, read] of [[KDC_REPLIES, readKdcReply], [AP_TOKENS, readApToken], [PLAINTEXTS, readPlaintext]] as const) {
    for (const base of bases) assert.doesNotThrow(() => read(base), 'every unmutated input decodes');
  }
  const r = prng(SEED);
  const random = deterministicRandom(SEED ^ 0x5a5a5a5a);
  const batches: Array<[string, Buffer[], (b: Buffer) => void, number]> = [
    ['KDC reply', KDC_REPLIES, readKdcReply, KDC_RUNS],
    ['AP-REP token', AP_TOKENS, readApToken, AP_RUNS],
    ['plaintext', PLAINTEXTS, readPlaintext, 2 * PLAIN_RUNS],
  ];
  const started = performance.now();
  const outcomes = { decoded: 0, refused: 0 };
  for (const [kind, bases, read, runs] of batches) {
    for (let index = 0; index < runs; index++) {
      const input = mutate(bases[index % bases.length]!, r, random);
      const attempt = (): number => {
        const t0 = performance.now();
        try {
          read(input);
          outcomes.decoded++;
        } catch (error) {
          if (!(error instanceof KerberosFormatError || error instanceof SpnegoFormatError)) {
            assert.fail(`seed ${SEED}, ${kind} case ${index} (${input.toString('hex')}): ${error instanceof Error ? error.stack : String(error)}`);
          }
          outcomes.refused++;
        }
        return performance.now() - t0;
      };
      // A slow case is timed again, so that a GC pause or a busy machine is not blamed on the input.
      if (attempt() > CASE_MS) {
        const again = attempt();
        if (again > CASE_MS) assert.fail(`seed ${SEED}, ${kind} case ${index} took ${again.toFixed(1)} ms twice`);
      }
    }
  }
  const total = performance.now() - started;
  assert.ok(total < TOTAL_MS, `the batch took ${total.toFixed(0)} ms`);
  // Both outcomes occur: the mutations reach past the outer tag, and the decoders are not refusing everything.
  assert.ok(outcomes.decoded > 1000 && outcomes.refused > 10_000, JSON.stringify(outcomes));
});
