// parseComputerEntry: what an admin may type as a computer.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatComputerEntry, parseComputerEntry, parsePort, type ComputerEntry } from '../../main/engine/computerEntry.js';

function accepted(raw: string): { kind: string; name: string } {
  const parsed: ComputerEntry = parseComputerEntry(raw);
  if (!parsed.ok) assert.fail(`"${raw}" was refused: ${parsed.reason}`);
  return { kind: parsed.kind, name: parsed.name };
}

function refused(raw: string): string {
  const parsed = parseComputerEntry(raw);
  if (parsed.ok) assert.fail(`"${raw}" was accepted as ${parsed.kind} ${parsed.name}`);
  return parsed.reason;
}

describe('parseComputerEntry', () => {
  test('IPv4 addresses are accepted as ipv4, trimmed', () => {
    assert.deepEqual(accepted('192.168.1.10'), { kind: 'ipv4', name: '192.168.1.10' });
    assert.deepEqual(accepted('  10.0.0.1 '), { kind: 'ipv4', name: '10.0.0.1' });
    assert.deepEqual(accepted('255.255.255.255'), { kind: 'ipv4', name: '255.255.255.255' });
  });

  test('bad IPv4-looking entries (300.1.1.1, three octets, five octets) are refused as not valid IPv4', () => {
    for (const raw of ['300.1.1.1', '1.2.3', '1.2.3.4.5', '256.0.0.1', '1..2.3']) {
      assert.match(refused(raw), /IPv4/, raw);
    }
  });

  test('IPv6 addresses are accepted, bracketed or not, and lower-cased', () => {
    assert.deepEqual(accepted('fe80::1'), { kind: 'ipv6', name: 'fe80::1' });
    assert.deepEqual(accepted('[2001:DB8::1]'), { kind: 'ipv6', name: '2001:db8::1' });
    assert.deepEqual(accepted('2001:0DB8:0000:0000:0000:FF00:0042:8329'), { kind: 'ipv6', name: '2001:0db8:0000:0000:0000:ff00:0042:8329' });
    assert.deepEqual(accepted('::1'), { kind: 'ipv6', name: '::1' });
    refused('[2001:db8::1');
    refused('2001:db8:::1');
    refused('[not-an-address]');
  });

  test('DNS names are accepted and lower-cased; a trailing dot is dropped', () => {
    assert.deepEqual(accepted('PC01.Corp.Example'), { kind: 'dns', name: 'pc01.corp.example' });
    assert.deepEqual(accepted('pc-01.corp.example.'), { kind: 'dns', name: 'pc-01.corp.example' });
    assert.deepEqual(accepted('a.b'), { kind: 'dns', name: 'a.b' });
    const label63 = 'a'.repeat(63);
    assert.equal(accepted(`${label63}.example`).kind, 'dns');
  });

  test('DNS labels with a leading or trailing hyphen, empty labels, forbidden characters or over 63 characters are refused', () => {
    assert.match(refused('-pc01.corp.example'), /"-pc01" is not a valid DNS label/);
    assert.match(refused('pc01-.corp.example'), /"pc01-"/);
    assert.match(refused('pc01..example'), /not a valid DNS label/);
    assert.match(refused('pc_01.corp.example'), /"pc_01"/);
    assert.match(refused('pc 01.corp.example'), /not a valid DNS label/);
    assert.match(refused(`${'a'.repeat(64)}.example`), /not a valid DNS label/);
    assert.match(refused(`${'a.'.repeat(127)}ab`), /longer than 253/);
  });

  test('NetBIOS names are upper-cased; 15 characters is the limit and 16 is refused', () => {
    assert.deepEqual(accepted('pc01'), { kind: 'netbios', name: 'PC01' });
    assert.deepEqual(accepted('Finance-Laptop7'), { kind: 'netbios', name: 'FINANCE-LAPTOP7' });
    assert.deepEqual(accepted('a'.repeat(15)), { kind: 'netbios', name: 'A'.repeat(15) });
    assert.match(refused('a'.repeat(16)), /longer than 15/);
    assert.match(refused('ACCOUNTING-PC016'), /longer than 15/);
  });

  test('NetBIOS names with characters Windows forbids are refused', () => {
    // pc:01 is PC with port 1 now; two colons are neither a port nor an IPv6 address.
    for (const raw of ['pc\\01', 'pc/01', 'pc:01:02', 'pc*01', 'pc?01', 'pc"01', 'pc<01', 'pc>01', 'pc|01', 'pc 01', 'pc,01', 'pc;01', 'pc=01', 'pc+01', 'pc[01', 'pc]01']) {
      assert.match(refused(raw), /character Windows does not allow/, raw);
    }
  });

  test('an empty or blank entry is refused as empty', () => {
    assert.equal(refused(''), 'empty');
    assert.equal(refused('   \t '), 'empty');
  });

  test('entries without a port have port null', () => {
    for (const raw of ['10.0.0.1', 'fe80::1', '[fe80::1]', 'pc01.corp.example', 'PC01']) {
      const parsed = parseComputerEntry(raw);
      assert.ok(parsed.ok, raw);
      assert.equal(parsed.port, null, raw);
    }
  });
});

describe('parseComputerEntry with a port', () => {
  const withPort = (raw: string) => {
    const parsed = parseComputerEntry(raw);
    if (!parsed.ok) assert.fail(`"${raw}" was refused: ${parsed.reason}`);
    return { kind: parsed.kind, name: parsed.name, port: parsed.port };
  };

  test('host:port is accepted for IPv4 addresses, DNS names and NetBIOS names', () => {
    assert.deepEqual(withPort('127.0.10.1:10445'), { kind: 'ipv4', name: '127.0.10.1', port: 10445 });
    assert.deepEqual(withPort('srv01.corp.example:10445'), { kind: 'dns', name: 'srv01.corp.example', port: 10445 });
    assert.deepEqual(withPort('SRV01:10445'), { kind: 'netbios', name: 'SRV01', port: 10445 });
    assert.deepEqual(withPort(' srv01 : 1 '), { kind: 'netbios', name: 'SRV01', port: 1 });
    assert.deepEqual(withPort('Pc01.Corp.Example.:65535'), { kind: 'dns', name: 'pc01.corp.example', port: 65535 });
  });

  test('[IPv6]:port is accepted; a bare IPv6 address keeps its colons and has no port', () => {
    assert.deepEqual(withPort('[::1]:10445'), { kind: 'ipv6', name: '::1', port: 10445 });
    assert.deepEqual(withPort('[FE80::1]:1445'), { kind: 'ipv6', name: 'fe80::1', port: 1445 });
    assert.deepEqual(withPort('fe80::1'), { kind: 'ipv6', name: 'fe80::1', port: null });
    assert.deepEqual(withPort('2001:db8::10:445'), { kind: 'ipv6', name: '2001:db8::10:445', port: null });
    assert.deepEqual(withPort('::ffff:10.0.0.1'), { kind: 'ipv6', name: '::ffff:10.0.0.1', port: null });
  });

  test('port 445 given explicitly is stored as null, so host:445 and host are the same computer', () => {
    assert.deepEqual(withPort('127.0.10.1:445'), { kind: 'ipv4', name: '127.0.10.1', port: null });
    assert.deepEqual(withPort('[fe80::1]:445'), { kind: 'ipv6', name: 'fe80::1', port: null });
    assert.deepEqual(withPort('srv01:445'), withPort('SRV01'));
  });

  test('a bad port is refused with "port must be 1..65535"', () => {
    for (const raw of ['pc01:0', 'pc01:65536', 'pc01:99999999', 'pc01:', 'pc01:abc', 'pc01:-1', 'pc01:1.5', '10.0.0.1:0x1bd', '[::1]:0', '[::1]:', '[::1]:port', 'srv.corp.example:70000']) {
      assert.equal(refused(raw), 'port must be 1..65535', raw);
    }
  });

  test('a bad host before a good port keeps the host reason; a missing host or a non-IPv6 in brackets says so', () => {
    assert.match(refused('300.1.1.1:10445'), /not a valid IPv4 address/);
    assert.match(refused('pc_01.corp.example:10445'), /"pc_01" is not a valid DNS label/);
    assert.match(refused('this-is-too-long-x:10445'), /longer than 15/);
    assert.equal(refused(':10445'), 'no computer name before the port');
    assert.equal(refused('[pc01]:10445'), 'not a valid IPv6 address');
    assert.equal(refused('[10.0.0.1]:10445'), 'not a valid IPv6 address');
  });

  test('parsePort and formatComputerEntry round-trip with parseComputerEntry', () => {
    assert.deepEqual(parsePort('10445'), { ok: true, port: 10445 });
    assert.deepEqual(parsePort(' 445 '), { ok: true, port: null });
    assert.deepEqual(parsePort(''), { ok: false, reason: 'port must be 1..65535' });
    assert.equal(formatComputerEntry('fe80::1', 10445), '[fe80::1]:10445');
    assert.equal(formatComputerEntry('PC01', 10445), 'PC01:10445');
    assert.equal(formatComputerEntry('PC01', null), 'PC01');
    assert.equal(formatComputerEntry('PC01', 445), 'PC01');
    for (const [name, port] of [['fe80::1', 10445], ['10.0.0.1', 2], ['pc.corp.example', null]] as const) {
      assert.deepEqual(withPort(formatComputerEntry(name, port)), { ...withPort(name), port });
    }
  });
});
