// Pasted and imported computer lists: names, addresses, ranges, CIDR blocks, CSV with a header,
// duplicates (in the list and already listed), invalid lines with their line numbers, and the
// 10 000-line bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConsoleError } from '../../main/ipc/errors.js';
import { expandRange, previewComputerList } from '../../main/import/computerList.js';

test('a paste of names and addresses several to a line keeps each with its line number', () => {
  const p = previewComputerList('pc01, 10.0.0.5\nfileserver.corp.example; ws-02\n\n# a comment\n[fe80::1]');
  assert.deepEqual(p.entries.map((e) => [e.line, e.name, e.address]), [
    [1, 'PC01', null], [1, '10.0.0.5', '10.0.0.5'], [2, 'fileserver.corp.example', null], [2, 'WS-02', null], [5, 'fe80::1', 'fe80::1'],
  ]);
  assert.deepEqual(p.invalid, []);
  assert.equal(p.lines, 5);
});

test('IPv4 ranges (full and short form) and CIDR blocks expand; network and broadcast are left out', () => {
  assert.deepEqual(previewComputerList('10.1.1.1-10.1.1.3').entries.map((e) => e.name), ['10.1.1.1', '10.1.1.2', '10.1.1.3']);
  assert.deepEqual(previewComputerList('10.1.1.250 - 252').entries.map((e) => e.name), ['10.1.1.250', '10.1.1.251', '10.1.1.252']);
  const block = previewComputerList('192.168.7.0/29').entries.map((e) => e.name);
  assert.deepEqual(block, ['192.168.7.1', '192.168.7.2', '192.168.7.3', '192.168.7.4', '192.168.7.5', '192.168.7.6']);
  assert.deepEqual(previewComputerList('10.9.9.9/32').entries.map((e) => e.name), ['10.9.9.9']);
  assert.equal(previewComputerList('10.0.0.0/20').entries.length, 4094);
  // Crossing an octet boundary.
  assert.deepEqual(expandRange('10.0.0.255-10.0.1.1'), { ok: true, addresses: ['10.0.0.255', '10.0.1.0', '10.0.1.1'] });
});

test('ranges that are too large, reversed or malformed are invalid with a reason, the rest still imports', () => {
  const p = previewComputerList('10.0.0.0/8\n10.0.0.9-10.0.0.1\n10.0.0.1/33\npc01\n10.0.0.300-301');
  assert.deepEqual(p.entries.map((e) => e.name), ['PC01']);
  assert.deepEqual(p.invalid.map((i) => i.line), [1, 2, 3, 5]);
  assert.match(p.invalid[0]!.reason, /16777214 addresses; at most 4096/);
  assert.match(p.invalid[1]!.reason, /ends before it starts/);
});

test('a CSV with a header takes the named column, quoted cells included, and reports rows without a name', () => {
  const csv = 'Location;"Host Name";Owner\nHQ;"ws-acct-01";Ann\nHQ;ws-acct-02;"Smith; Bob"\nBranch;;Carl\n';
  const p = previewComputerList(csv);
  assert.deepEqual(p.entries.map((e) => [e.line, e.name]), [[2, 'WS-ACCT-01'], [3, 'WS-ACCT-02']]);
  assert.deepEqual(p.invalid.map((i) => [i.line, i.reason]), [[4, 'no computer name in this row']]);
  const ad = previewComputerList('dNSHostName,operatingSystem\r\npc1.corp.example,Windows 11\r\npc2.corp.example,Windows 10\r\n');
  assert.deepEqual(ad.entries.map((e) => e.name), ['pc1.corp.example', 'pc2.corp.example']);
});

test('duplicates within the list and names already in Computers are reported, not added twice', () => {
  const p = previewComputerList('PC01\npc01\n10.0.0.1-10.0.0.2\n10.0.0.2\nws-99', new Set(['ws-99']));
  assert.deepEqual(p.entries.map((e) => e.name), ['PC01', '10.0.0.1', '10.0.0.2']);
  assert.deepEqual(p.duplicates, [
    { line: 2, entry: 'PC01', existing: false },
    { line: 4, entry: '10.0.0.2', existing: false },
    { line: 5, entry: 'WS-99', existing: true },
  ]);
});

test('invalid names carry the line and the reason', () => {
  const p = previewComputerList('good-pc\n300.1.2.3\nbad|name\nthis-name-is-far-too-long-for-netbios');
  assert.deepEqual(p.invalid.map((i) => [i.line, i.entry]), [[2, '300.1.2.3'], [3, 'bad|name'], [4, 'this-name-is-far-too-long-for-netbios']]);
  assert.match(p.invalid[2]!.reason, /longer than 15/);
});

test('more than 50 000 lines is refused whole with a clear error; exactly 50 000 is accepted', () => {
  const lines = (n: number) => Array.from({ length: n }, (_, i) => `pc-${i}`).join('\n');
  assert.equal(previewComputerList(lines(50_000)).entries.length, 50_000);
  assert.throws(() => previewComputerList(lines(50_001)), (e: unknown) => e instanceof ConsoleError && e.errorClass === 'import-too-large' && /50001 lines/.test(e.message));
  // 13 blocks of /20: 53 222 addresses, more than 50 000 computers.
  const blocks = Array.from({ length: 13 }, (_, i) => `10.${i}.0.0/20`).join('\n');
  assert.throws(() => previewComputerList(blocks), (e: unknown) => e instanceof ConsoleError && e.errorClass === 'import-too-large');
});

test('host:port and [IPv6]:port in a paste carry the port; a bare IPv6 address has none; :445 is stored as null', () => {
  const p = previewComputerList('127.0.10.1:10445, srv01.corp.example:10445\nSRV02:10445 [::1]:10445\nfe80::1\n[fe80::2]:445 pc03:445');
  assert.deepEqual(p.entries.map((e) => [e.line, e.name, e.address, e.port]), [
    [1, '127.0.10.1', '127.0.10.1', 10445],
    [1, 'srv01.corp.example', null, 10445],
    [2, 'SRV02', null, 10445],
    [2, '::1', '::1', 10445],
    [3, 'fe80::1', 'fe80::1', null],
    [4, 'fe80::2', 'fe80::2', null],
    [4, 'PC03', null, null],
  ]);
  assert.deepEqual(p.invalid, []);
  assert.equal(previewComputerList('pc01').entries[0]!.port, null);
});

test('a bad port in a paste makes that entry invalid with "port must be 1..65535"; the rest imports', () => {
  const p = previewComputerList('pc01:0\npc02:65536\n[::1]:x\npc04:10445');
  assert.deepEqual(p.entries.map((e) => [e.name, e.port]), [['PC04', 10445]]);
  assert.deepEqual(p.invalid.map((i) => [i.line, i.entry, i.reason]), [
    [1, 'pc01:0', 'port must be 1..65535'],
    [2, 'pc02:65536', 'port must be 1..65535'],
    [3, '[::1]:x', 'port must be 1..65535'],
  ]);
});

test('a CSV port column (port, SMB Port, smbport) gives each row its port; empty is 445; a bad one makes the row invalid', () => {
  const csv = 'Name,Port,Owner\npc01,10445,Ann\npc02,,Bob\npc03,445,Carl\npc04,0,Dan\npc05,70000,Eve\npc06,abc,Fay\n[::1],2445,Gus\n';
  const p = previewComputerList(csv);
  assert.deepEqual(p.entries.map((e) => [e.line, e.name, e.port]), [[2, 'PC01', 10445], [3, 'PC02', null], [4, 'PC03', null], [8, '::1', 2445]]);
  assert.deepEqual(p.invalid.map((i) => [i.line, i.reason]), [[5, 'port must be 1..65535'], [6, 'port must be 1..65535'], [7, 'port must be 1..65535']]);
  assert.match(p.invalid[0]!.entry, /pc04/);
  for (const header of ['SMB Port', 'smbport', 'PORT']) {
    const q = previewComputerList(`Host;${header}\nsrv01.corp.example;10445\n`);
    assert.deepEqual(q.entries.map((e) => [e.name, e.port]), [['srv01.corp.example', 10445]], header);
  }
  // Without a port column, a name cell may carry its own :port.
  assert.deepEqual(previewComputerList('Name,Owner\npc01:10445,Ann\n').entries.map((e) => [e.name, e.port]), [['PC01', 10445]]);
});

test('a :port after an IPv4 range or CIDR block applies to every address; a bad one makes it invalid', () => {
  assert.deepEqual(previewComputerList('127.0.10.1-3:10445').entries.map((e) => [e.name, e.port]), [['127.0.10.1', 10445], ['127.0.10.2', 10445], ['127.0.10.3', 10445]]);
  assert.deepEqual(previewComputerList('10.0.0.0/30:10445').entries.map((e) => [e.name, e.port]), [['10.0.0.1', 10445], ['10.0.0.2', 10445]]);
  assert.deepEqual(previewComputerList('10.0.0.1 - 2:445').entries.map((e) => [e.name, e.port]), [['10.0.0.1', null], ['10.0.0.2', null]]);
  assert.deepEqual(previewComputerList('10.0.0.1-2:0').invalid.map((i) => i.reason), ['port must be 1..65535']);
});

test('duplicates are found by name with and without a port: pc01, PC01:10445 and pc01:445 are one computer', () => {
  const p = previewComputerList('pc01:10445\npc01\nPC01:445\n10.0.0.1\n10.0.0.1:10445\n[::1]:10445\n::1\nws-99:10445', new Set(['ws-99']));
  assert.deepEqual(p.entries.map((e) => [e.name, e.port]), [['PC01', 10445], ['10.0.0.1', null], ['::1', 10445]]);
  assert.deepEqual(p.duplicates, [
    { line: 2, entry: 'PC01', existing: false },
    { line: 3, entry: 'PC01', existing: false },
    { line: 5, entry: '10.0.0.1', existing: false },
    { line: 7, entry: '::1', existing: false },
    { line: 8, entry: 'WS-99', existing: true },
  ]);
});
