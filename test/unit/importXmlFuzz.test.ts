// Bounded fuzz campaigns for the computer-list import (paste, CSV, ranges, CIDR) and the
// configuration-XML checker. 10 000 inputs each, generated from a seed (replayable): every input
// ends in a result or a typed ConsoleError (the checker: a result, never a throw), each within
// a per-input bound, with the process's memory bounded over the campaign.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { checkXml } from '../../main/app/packageService.js';
import { MAX_IMPORT_ENTRIES, previewComputerList } from '../../main/import/computerList.js';
import { ConsoleError } from '../../main/ipc/errors.js';
import { REPO_ROOT } from '../support/childProcess.js';
import { prng } from '../support/prng.js';

const INPUTS = 10_000;
const PER_INPUT_MS = 1000;
const MEMORY_MIB = 384;

function memoryWatch() {
  const before = process.memoryUsage.rss();
  let peak = before;
  return {
    sample: () => void (peak = Math.max(peak, process.memoryUsage.rss())),
    grownMiB: () => (peak - before) / 2 ** 20,
  };
}

function picker(next: () => number) {
  return {
    int: (n: number) => next() % n,
    pick: <T>(items: readonly T[]): T => items[next() % items.length]!,
  };
}

const NAME_PARTS = ['pc', 'PC-01', 'srv-db', 'ws', 'host.corp.example', 'München-PC', 'a'.repeat(15), 'b'.repeat(16), '-lead', 'trail-', 'x..y', 'café', '名前', '', ' ', '*', '\\\\pc', 'pc$', '%00'];
const ADDRESS_PARTS = ['10.0.0.1', '10.0.0.1-10.0.0.40', '10.0.0.1-40', '192.168.1.0/24', '10.0.0.0/8', '0.0.0.0/0', '10.0.0.9-10.0.0.1', '1.2.3.4/33', '1.2.3.256', '255.255.255.255/32', '::1', 'fe80::1%eth0', '2001:db8::/64', '1.2.3', '01.02.03.04', '10.0.0.1-10.0.15.255', '4294967296'];
const SEPARATORS = [',', ';', '\t', ' ', '  ', ',,', '"', "'"];
const HEADERS = ['name', 'Name,IP', '"Computer Name";"Address"', 'hostname\tip', 'dns,name,os', 'ip', '"name', 'Name,Name'];

function csvInput(next: () => number): string {
  const { int, pick } = picker(next);
  const lines: string[] = [];
  if (int(3) === 0) lines.push(pick(HEADERS));
  const count = int(100) === 0 ? 100 + int(400) : 1 + int(12);
  for (let i = 0; i < count; i++) {
    const cells = Array.from({ length: 1 + int(4) }, () => {
      const kind = int(10);
      let cell = kind < 4 ? pick(NAME_PARTS) : kind < 8 ? pick(ADDRESS_PARTS) : String.fromCharCode(...Array.from({ length: int(40) }, () => int(0x3000)));
      if (int(5) === 0) cell = `"${cell.replace(/"/g, '""')}${int(2) ? '' : '"'}`;
      if (int(200) === 0) cell = cell.repeat(1 + int(500));
      return cell;
    });
    let line = cells.join(pick(SEPARATORS));
    if (int(20) === 0) line = `# ${line}`;
    lines.push(line);
  }
  const eol = pick(['\n', '\r\n', '\r', '\n\n']);
  return (int(10) === 0 ? '\uFEFF' : '') + lines.join(eol);
}

test(`fuzz: ${INPUTS} computer lists (paste, CSV, ranges, CIDR) end in a preview or a ConsoleError, each within ${PER_INPUT_MS} ms`, { timeout: 120_000 }, () => {
  const next = prng(0x1c5f);
  const memory = memoryWatch();
  let previews = 0;
  let refused = 0;
  let slowest = 0;
  const started = Date.now();
  for (let i = 0; i < INPUTS; i++) {
    const text = csvInput(next);
    const t0 = performance.now();
    try {
      const preview = previewComputerList(text, new Set(['pc', 'host.corp.example']));
      previews += 1;
      assert.ok(preview.entries.length <= MAX_IMPORT_ENTRIES);
      for (const e of [...preview.entries, ...preview.invalid, ...preview.duplicates]) assert.ok(e.line >= 1 && e.line <= preview.lines, `input ${i}: line ${e.line} of ${preview.lines}`);
    } catch (error) {
      assert.ok(error instanceof ConsoleError, `input ${i} threw ${String(error)}`);
      refused += 1;
    }
    const ms = performance.now() - t0;
    slowest = Math.max(slowest, ms);
    assert.ok(ms < PER_INPUT_MS, `input ${i} took ${ms.toFixed(0)} ms`);
    if (i % 128 === 0) memory.sample();
  }
  // The bounds themselves: the largest accepted list and expansions, in one input each.
  for (const text of ['10.0.0.0/20\n'.repeat(3), Array.from({ length: 10_000 }, (_, i) => `pc-${i}`).join('\n'), '10.0.0.0/8', `${'a,'.repeat(200_000)}a`]) {
    const t0 = performance.now();
    try {
      previewComputerList(text);
    } catch (error) {
      assert.ok(error instanceof ConsoleError, String(error));
    }
    assert.ok(performance.now() - t0 < 5 * PER_INPUT_MS);
  }
  memory.sample();
  assert.ok(memory.grownMiB() < MEMORY_MIB, `memory grew ${memory.grownMiB().toFixed(0)} MiB`);
  assert.ok(previews > 1000 && refused >= 0);
  console.log(`import fuzz: ${previews} previews, ${refused} refused in ${((Date.now() - started) / 1000).toFixed(1)} s; slowest ${slowest.toFixed(1)} ms; RSS +${memory.grownMiB().toFixed(0)} MiB`);
});

function xmlInput(next: () => number, seed: string): string {
  const { int, pick } = picker(next);
  const kind = int(8);
  if (kind === 0) {
    // Mutations of a real configuration file.
    const bytes = Buffer.from(seed, 'utf8');
    for (let n = 0; n < 1 + int(6); n++) bytes[int(bytes.length)] = pick([0x3c, 0x3e, 0x2f, 0x22, 0x26, 0x3d, 0x00, 0xff, int(256)]);
    return bytes.toString('utf8');
  }
  if (kind === 1) return seed.slice(0, int(seed.length));
  if (kind === 2) {
    // Deep nesting, closed or not.
    const depth = 1 + int(int(20) === 0 ? 20_000 : 300);
    return `${'<a>'.repeat(depth)}${int(2) ? '</a>'.repeat(depth) : ''}`;
  }
  if (kind === 3) {
    // Entities: a DTD bomb, undefined and numeric ones.
    return pick([
      '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><l>&c;&c;&c;</l>',
      '<x>&undefined;</x>', '<x>&#0;</x>', '<x>&#x110000;</x>', '<x>&#99999999999;</x>', '<!DOCTYPE x SYSTEM "file:///etc/passwd"><x/>',
      '<x a="1" a="2"/>', '<x>]]></x>', '<![CDATA[', '<?xml version="1.0" encoding="UTF-7"?><x/>', '<x xmlns:a="u"><a:b/><c:d/></x>',
    ]);
  }
  if (kind === 4) return `<config>${Array.from({ length: int(300) }, (_, i) => `<item id="${i}" v="${'x'.repeat(int(50))}"/>`).join('')}</config>`;
  if (kind === 5) return `<x ${Array.from({ length: int(300) }, (_, i) => `a${i}="${i}"`).join(' ')}/>`;
  if (kind === 6) return String.fromCharCode(...Array.from({ length: int(400) }, () => int(0x10000)));
  return `<${'n'.repeat(1 + int(int(20) === 0 ? 100_000 : 200))}/>`;
}

test(`fuzz: ${INPUTS} configuration XML files each end in "well-formed" or a problem with a message, each within ${PER_INPUT_MS} ms`, { timeout: 120_000 }, async () => {
  const seed = fs.readFileSync(path.join(REPO_ROOT, 'assets', 'demo', 'demo.cfg.xml'), 'utf8');
  assert.equal(await checkXml(seed), null);
  const next = prng(0x3a11);
  const memory = memoryWatch();
  let wellFormed = 0;
  let problems = 0;
  let slowest = 0;
  const started = Date.now();
  for (let i = 0; i < INPUTS; i++) {
    const text = xmlInput(next, seed);
    const t0 = performance.now();
    const problem = await checkXml(text);
    const ms = performance.now() - t0;
    slowest = Math.max(slowest, ms);
    assert.ok(ms < PER_INPUT_MS, `input ${i} took ${ms.toFixed(0)} ms`);
    if (problem === null) wellFormed += 1;
    else {
      problems += 1;
      assert.equal(typeof problem.message, 'string');
      assert.ok(problem.message.length > 0 && problem.message.length < 2000, `input ${i}: message of ${problem.message.length} characters`);
    }
    if (i % 128 === 0) memory.sample();
  }
  memory.sample();
  assert.ok(memory.grownMiB() < MEMORY_MIB, `memory grew ${memory.grownMiB().toFixed(0)} MiB`);
  assert.ok(problems > 1000 && wellFormed > 100, `${wellFormed} well-formed, ${problems} problems`);
  console.log(`xml fuzz: ${wellFormed} well-formed, ${problems} problems in ${((Date.now() - started) / 1000).toFixed(1)} s; slowest ${slowest.toFixed(1)} ms; RSS +${memory.grownMiB().toFixed(0)} MiB`);
});
