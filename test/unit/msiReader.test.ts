// The MSI reader (main/msi) against real packages built by Debian's wixl at test time, checked
// against msitools' msiinfo, and a bounded fuzz: every mutated file ends in a typed error or a
// result, never a RangeError and never a hang.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { bufferSource, CompoundFile } from '../../main/msi/compoundFile.js';
import { MsiFormatError } from '../../main/msi/errors.js';
import { decodeStreamName, MsiDatabase } from '../../main/msi/msiDatabase.js';
import { msiInfoFromBytes, readMsiInfo, readMsiProperties } from '../../main/msi/msiInfo.js';
import { prng } from '../support/prng.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';
import { buildMsi, msiinfoProperties } from '../support/wixl.js';

describe('MSI reader', () => {
  let dir: string;
  let small: string;
  let many: string;
  let large: string;

  before(() => {
    dir = makeTempDir('pic-msi-');
    small = buildMsi(dir, 'small.msi', { name: 'Endpoint Agent Ünïcode', version: '11.0.2044', manufacturer: 'Example Security', productCode: '{6F1C3A52-1111-4C1D-9A3E-1234567890AB}' });
    // 400 properties: the string pool and the Property table outgrow the 4 KB mini stream cutoff.
    const properties = Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`PROP_${i}`, `value number ${i} ${'x'.repeat(i % 40)}`]));
    many = buildMsi(dir, 'many.msi', { name: 'Many Properties', version: '1.2.3.4', manufacturer: 'Props & Co', productCode: '{11111111-2222-3333-4444-555555555555}', properties });
    // 9 MB of payload: more than 109 FAT sectors, so the FAT is listed through DIFAT sectors too.
    const payload = Buffer.alloc(9 * 1024 * 1024);
    const next = prng(7);
    for (let i = 0; i < payload.length; i += 4) payload.writeUInt32LE(next(), i);
    large = buildMsi(dir, 'large.msi', { name: 'Large Payload', version: '2.0.0', manufacturer: 'Big Files Ltd', productCode: '{22222222-3333-4444-5555-666666666666}', payload });
    process.on('exit', () => removeDir(dir));
  });

  test('reads ProductName (non-ASCII), ProductVersion, Manufacturer and ProductCode of a wixl package', () => {
    const info = readMsiInfo(small);
    assert.equal(info.productName, 'Endpoint Agent Ünïcode');
    assert.equal(info.productVersion, '11.0.2044');
    assert.equal(info.manufacturer, 'Example Security');
    assert.equal(info.productCode, '{6F1C3A52-1111-4C1D-9A3E-1234567890AB}');
    assert.equal(info.productLanguage, '1033');
  });

  test('every Property row equals what msitools\' msiinfo exports, for small, many-property and DIFAT-sized packages', () => {
    for (const file of [small, many, large]) {
      const expected = msiinfoProperties(file);
      assert.ok(expected, 'msiinfo (msitools) is installed');
      const actual = readMsiProperties(fs.readFileSync(file));
      assert.deepEqual(new Map([...actual].sort()), new Map([...expected].sort()), path.basename(file));
    }
    assert.equal(readMsiProperties(fs.readFileSync(many)).get('PROP_399'), `value number 399 ${'x'.repeat(399 % 40)}`);
  });

  test('the large package really uses DIFAT sectors and a FAT-chained Property table is read', () => {
    const bytes = fs.readFileSync(large);
    assert.ok(bytes.readUInt32LE(0x2c) > 109, 'more FAT sectors than the header lists');
    assert.equal(msiInfoFromBytes(bytes).manufacturer, 'Big Files Ltd');
    assert.equal(readMsiInfo(large).manufacturer, 'Big Files Ltd', 'read from the file, sector by sector');
    const db = new MsiDatabase(new CompoundFile(bufferSource(fs.readFileSync(many))));
    assert.ok((db.stream('_StringData')?.length ?? 0) >= 4096, 'string data lives outside the mini stream');
  });

  test('stream names decode from MSI\'s packed form', () => {
    const db = new MsiDatabase(new CompoundFile(bufferSource(fs.readFileSync(small))));
    for (const name of ['!_StringPool', '!_StringData', '!Property', '!_Tables', '!_Columns']) assert.ok(db.streamNames.includes(name), name);
    // "Pr" packed: P=25, r=53 → 0x3800 + 25 + (53 << 6).
    assert.equal(decodeStreamName(String.fromCharCode(0x3800 + 25 + (53 << 6))), 'Pr');
    assert.equal(decodeStreamName(String.fromCharCode(0x4800 + 63)), '_');
  });

  test('a file that is not a compound file, and a compound file that is not an MSI, are told apart', () => {
    const notCfb = (() => {
      try {
        msiInfoFromBytes(Buffer.from('MZ\x90\x00 this is an exe'.padEnd(600, '\0')));
      } catch (e) {
        return e;
      }
    })();
    assert.ok(notCfb instanceof MsiFormatError && notCfb.kind === 'not-a-compound-file');
    assert.equal(notCfb.errorClass, 'msi-format');
    assert.match(notCfb.advice, /Windows Installer package/);
    // A compound file whose root has no string pool: the small MSI with its stream names renamed.
    const bytes = Buffer.from(fs.readFileSync(small));
    const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._';
    const packed = '_StringPool'.match(/.{1,2}/g)!.map((pair) =>
      String.fromCharCode(pair.length === 2 ? 0x3800 + alphabet.indexOf(pair[0]!) + (alphabet.indexOf(pair[1]!) << 6) : 0x4800 + alphabet.indexOf(pair)),
    );
    const renamed = Buffer.from(`\u4840${packed.join('')}`, 'utf16le');
    const at = bytes.indexOf(renamed);
    assert.ok(at > 0, 'the packed name of !_StringPool is in the directory');
    bytes.write('X', at + 2, 'utf16le');
    assert.throws(() => msiInfoFromBytes(bytes), (e: unknown) => e instanceof MsiFormatError && e.kind === 'not-an-msi');
  });

  test('fuzz: 10 000 mutated packages each end in a result or a MsiFormatError, each within 500 ms, memory bounded, within 30 s in all', () => {
    const seeds = [fs.readFileSync(small), fs.readFileSync(many)];
    const next = prng(0x8f00d);
    const started = Date.now();
    let typed = 0;
    let parsed = 0;
    let slowest = 0;
    const rssBefore = process.memoryUsage.rss();
    let rssPeak = rssBefore;
    for (let i = 0; i < 10_000; i++) {
      const base = seeds[i % seeds.length]!;
      let bytes = Buffer.from(base);
      const kind = next() % 5;
      if (kind === 0) {
        for (let n = 0; n < 1 + (next() % 8); n++) bytes[next() % bytes.length] = next() & 0xff;
      } else if (kind === 1) {
        bytes = bytes.subarray(0, next() % bytes.length);
      } else if (kind === 2) {
        // Header fields: sector shift, FAT count, directory start, mini FAT, DIFAT.
        const field = [0x1e, 0x2c, 0x30, 0x3c, 0x40, 0x44, 0x48, 0x4c][next() % 8]!;
        bytes.writeUInt32LE(next(), field);
      } else if (kind === 3) {
        // A FAT or directory entry pointer somewhere in the first sectors.
        const at = 512 + ((next() % Math.max(1, (bytes.length - 516) / 4)) * 4);
        bytes.writeUInt32LE([0xfffffffe, 0xffffffff, next() % 64, next()][next() % 4]!, Math.min(at, bytes.length - 4));
      } else {
        for (let n = 0; n < 64; n++) bytes[512 + (next() % (bytes.length - 512))] = next() & 0xff;
      }
      const t0 = performance.now();
      try {
        msiInfoFromBytes(bytes);
        parsed += 1;
      } catch (error) {
        assert.ok(error instanceof MsiFormatError, `mutation ${i} (kind ${kind}) threw ${String(error)}`);
        typed += 1;
      }
      const ms = performance.now() - t0;
      slowest = Math.max(slowest, ms);
      assert.ok(ms < 500, `mutation ${i} (kind ${kind}) took ${ms.toFixed(0)} ms`);
      if (i % 256 === 0) rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
    }
    const seconds = (Date.now() - started) / 1000;
    assert.ok(seconds < 30, `took ${seconds} s`);
    assert.ok(typed > 2000, `${typed} typed errors`);
    const grownMiB = (rssPeak - rssBefore) / 2 ** 20;
    assert.ok(grownMiB < 256, `memory grew ${grownMiB.toFixed(0)} MiB`);
    console.log(`fuzz: ${parsed} parsed, ${typed} typed errors in ${seconds.toFixed(1)} s; slowest ${slowest.toFixed(1)} ms; RSS +${grownMiB.toFixed(0)} MiB`);
  });
});
