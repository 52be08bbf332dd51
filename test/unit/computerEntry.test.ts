// parseComputerEntry: what an admin may type as a computer.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseComputerEntry, type ComputerEntry } from '../../main/engine/computerEntry.js';

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
    for (const raw of ['pc\\01', 'pc/01', 'pc:01', 'pc*01', 'pc?01', 'pc"01', 'pc<01', 'pc>01', 'pc|01', 'pc 01', 'pc,01', 'pc;01', 'pc=01', 'pc+01', 'pc[01', 'pc]01']) {
      assert.match(refused(raw), /character Windows does not allow/, raw);
    }
  });

  test('an empty or blank entry is refused as empty', () => {
    assert.equal(refused(''), 'empty');
    assert.equal(refused('   \t '), 'empty');
  });
});
