// Sites (main/store/sitesRepo.ts) over the console's SQLite in memory: a computer goes to the site
// of its most specific CIDR range (longest prefix, RFC 4632; IPv6 ranges per RFC 4291), then of
// its AD site, else the default site (site_id NULL); one put in a site by hand stays there; a
// removed site's computers fall back; names, ranges and AD sites are checked (class invalid-site);
// a new task's targets record their computer's site.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../main/store/database.js';
import { ComputersRepo } from '../../main/store/computersRepo.js';
import { TasksRepo } from '../../main/store/tasksRepo.js';
import { PackagesRepo } from '../../main/store/packagesRepo.js';
import { InvalidSiteError, parseAddress, parseCidr, SitesRepo, type SiteCandidate } from '../../main/store/sitesRepo.js';
import { ConsoleError } from '../../main/ipc/errors.js';

function open(adSiteOf?: (c: SiteCandidate) => string | null) {
  const db = openDatabase({ location: ':memory:' });
  return { db, computers: new ComputersRepo(db), sites: new SitesRepo(db, adSiteOf ? { adSiteOf } : {}) };
}

/** name → site name ('' for the default site). */
function siteOfEach(computers: ComputersRepo): Record<string, string> {
  return Object.fromEntries(computers.list().map((c) => [c.name, c.siteName ?? '']));
}

test('CIDRs parse IPv4 and IPv6 to their canonical text; host bits, prefixes out of range and non-addresses are refused with advice', () => {
  assert.equal(parseCidr('10.1.0.0/16').text, '10.1.0.0/16');
  assert.equal(parseCidr(' 0.0.0.0/0 ').text, '0.0.0.0/0');
  assert.equal(parseCidr('2001:DB8:0:0::/32').text, '2001:db8::/32');
  assert.equal(parseCidr('2001:db8:0:1:0:0:0:0/64').text, '2001:db8:0:1::/64');
  assert.equal(parseCidr('::ffff:10.0.0.0/104').text, '::ffff:a00:0/104');
  assert.equal(parseCidr('fe80::1/128').text, 'fe80::1/128');
  for (const [bad, why] of [
    ['10.1.2.3/16', /host bits set: the \/16 network holding 10\.1\.2\.3 is 10\.1\.0\.0\/16/],
    ['10.1.0.0', /no \/prefix/],
    ['10.1.0.0/33', /prefix of an IPv4 range is 0 to 32/],
    ['2001:db8::/129', /prefix of an IPv6 range is 0 to 128/],
    ['10.1.0.256/24', /not an IPv4 or IPv6 address/],
    ['010.1.0.0/16', /not an IPv4 or IPv6 address/],
    ['2001:db8::1::/64', /not an IPv4 or IPv6 address/],
    ['pc01.corp/24', /not an IPv4 or IPv6 address/],
    ['10.0.0.0/ 8', /prefix/],
    ['2001:db8::1/64', /2001:db8::\/64/],
  ] as const) {
    assert.throws(() => parseCidr(bad), (e: unknown) => {
      assert.ok(e instanceof InvalidSiteError && e instanceof ConsoleError, bad);
      assert.equal(e.errorClass, 'invalid-site');
      assert.match(e.message, why, bad);
      assert.match(e.advice, /network\/prefix|Give/, bad);
      return true;
    });
  }
  assert.deepEqual(parseAddress('[2001:db8::5]'), { family: 6, value: 0x20010db8000000000000000000000005n });
  assert.deepEqual(parseAddress('::ffff:10.1.2.3'), parseAddress('10.1.2.3'), 'an IPv4-mapped address is its IPv4 address (RFC 4291 §2.5.5.2)');
  assert.equal(parseAddress('pc01'), null);
});

test('a computer goes to the site of its most specific range, by address or by a name that is an IP; a name without an address matches none', () => {
  const { computers, sites } = open();
  computers.addMany([
    { name: 'pc-a', address: '10.1.2.3' },
    { name: 'pc-b', address: '10.1.9.9' },
    { name: '10.2.0.5' },
    { name: 'pc-c' },
    { name: 'pc-d', address: '192.168.1.1' },
  ]);
  const wide = sites.add('Region', { cidrs: ['10.0.0.0/8'] });
  assert.equal(wide.computers, 3, 'the rules are applied when the site is added');
  const narrow = sites.add('Lyon office', { cidrs: ['10.1.2.0/24'] });
  // Added after the wider one, and still first: the longest prefix wins whatever the order.
  assert.deepEqual(siteOfEach(computers), { '10.2.0.5': 'Region', 'pc-a': 'Lyon office', 'pc-b': 'Region', 'pc-c': '', 'pc-d': '' });
  assert.deepEqual(sites.list().map((s) => [s.name, s.computers]), [['Lyon office', 1], ['Region', 2]]);
  // Changing a rule moves the computers with it.
  sites.update(narrow.id, { cidrs: ['10.1.0.0/16'] });
  assert.deepEqual(siteOfEach(computers), { '10.2.0.5': 'Region', 'pc-a': 'Lyon office', 'pc-b': 'Lyon office', 'pc-c': '', 'pc-d': '' });
  sites.update(wide.id, { cidrs: [] });
  assert.equal(siteOfEach(computers)['10.2.0.5'], '', 'no rule left: the default site');
  assert.equal(computers.list().find((c) => c.name === 'pc-b')!.siteId, narrow.id);
});

test('IPv6 ranges match IPv6 addresses, longest prefix first; IPv4 ranges never match IPv6 addresses, but an IPv4-mapped one matches its IPv4 range', () => {
  const { computers, sites } = open();
  computers.addMany([
    { name: 'v6-a', address: '2001:db8:1:2::10' },
    { name: 'v6-b', address: '2001:db8:9::1' },
    { name: '2001:db8:1:2::99' },
    { name: 'mapped', address: '::ffff:10.1.0.7' },
    { name: 'v6-other', address: 'fd00::1' },
  ]);
  sites.add('Campus', { cidrs: ['2001:db8::/32'] });
  sites.add('Lab floor', { cidrs: ['2001:db8:1:2::/64', '10.1.0.0/16'] });
  assert.deepEqual(siteOfEach(computers), { '2001:db8:1:2::99': 'Lab floor', mapped: 'Lab floor', 'v6-a': 'Lab floor', 'v6-b': 'Campus', 'v6-other': '' });
});

test('the AD site is tried after the ranges, when the computer\'s domain information carries one', () => {
  const known = new Map([['pc-ad', 'Paris-Site'], ['pc-both', 'Paris-Site']]);
  const { computers, sites } = open((c) => known.get(c.name) ?? null);
  computers.addMany([{ name: 'pc-ad' }, { name: 'pc-both', address: '10.9.0.1' }, { name: 'pc-none' }]);
  sites.add('Paris', { adSite: 'paris-site' });
  sites.add('Range', { cidrs: ['10.9.0.0/16'] });
  assert.deepEqual(siteOfEach(computers), { 'pc-ad': 'Paris', 'pc-both': 'Range', 'pc-none': '' });
  // Without any source of AD sites (the default), an AD-site rule matches nothing.
  const plain = open();
  plain.computers.addMany([{ name: 'pc-ad' }]);
  plain.sites.add('Paris', { adSite: 'Paris-Site' });
  assert.equal(plain.computers.list()[0]!.siteId, null);
});

test('a computer put in a site by hand stays there whatever the rules; the default site can be chosen by hand; releaseToRules gives it back', () => {
  const { computers, sites } = open();
  const { added } = computers.addMany([{ name: 'pc-1', address: '10.1.0.1' }, { name: 'pc-2', address: '10.1.0.2' }, { name: 'pc-3', address: '10.1.0.3' }]);
  const a = sites.add('A', { cidrs: ['10.1.0.0/16'] });
  const b = sites.add('B', { cidrs: ['172.16.0.0/12'] });
  assert.equal(sites.setSiteByHand([added[0]!.id], b.id), 1);
  assert.equal(sites.setSiteByHand([added[1]!.id], null), 1);
  sites.update(a.id, { cidrs: ['10.1.0.0/24'] });
  sites.assign();
  const byName = new Map(computers.list().map((c) => [c.name, c]));
  assert.deepEqual([byName.get('pc-1')!.siteName, byName.get('pc-1')!.sitePinned], ['B', true]);
  assert.deepEqual([byName.get('pc-2')!.siteId, byName.get('pc-2')!.sitePinned], [null, true], 'pinned to the default site');
  assert.deepEqual([byName.get('pc-3')!.siteName, byName.get('pc-3')!.sitePinned], ['A', false]);
  assert.equal(sites.releaseToRules([added[0]!.id, added[1]!.id]), 2);
  assert.deepEqual(siteOfEach(computers), { 'pc-1': 'A', 'pc-2': 'A', 'pc-3': 'A' });
  assert.throws(() => sites.setSiteByHand([added[0]!.id], 9999), (e: unknown) => e instanceof ConsoleError && e.errorClass === 'not-found');
});

test('removing a site sends its computers to the default site (those pinned there too), or to what the other rules say', () => {
  const { computers, sites } = open();
  const { added } = computers.addMany([{ name: 'pc-1', address: '10.1.0.1' }, { name: 'pc-2', address: '10.2.0.1' }, { name: 'pc-3', address: '10.3.0.1' }]);
  const a = sites.add('A', { cidrs: ['10.1.0.0/16'] });
  sites.add('Wide', { cidrs: ['10.2.0.0/16'] });
  const c = sites.add('C', { cidrs: ['10.3.0.0/16'] });
  sites.setSiteByHand([added[1]!.id], a.id);
  assert.deepEqual(sites.remove(a.id), { computers: 2 });
  assert.deepEqual(siteOfEach(computers), { 'pc-1': '', 'pc-2': 'Wide', 'pc-3': 'C' });
  assert.equal(computers.list().find((x) => x.name === 'pc-2')!.sitePinned, false, 'no longer pinned: the rules place it');
  sites.update(c.id, { cidrs: ['10.0.0.0/8'] });
  assert.deepEqual(sites.remove(c.id), { computers: 2 });
  assert.deepEqual(siteOfEach(computers), { 'pc-1': '', 'pc-2': 'Wide', 'pc-3': '' });
  assert.equal(sites.remove(c.id), null, 'a site already gone');
  assert.deepEqual(sites.list().map((s) => s.name), ['Wide']);
});

test('names are unique whatever their case; a range or an AD site belongs to one site; bad names and AD sites are refused (invalid-site)', () => {
  const { sites } = open();
  const lyon = sites.add('  Lyon  ', { cidrs: ['10.1.0.0/16', '10.1.0.0/16', '2001:DB8::/32'], adSite: 'Lyon-Site' });
  assert.deepEqual([lyon.name, lyon.cidrs, lyon.adSite], ['Lyon', ['10.1.0.0/16', '2001:db8::/32'], 'Lyon-Site'], 'trimmed, canonical, without repeats');
  const refused = (fn: () => unknown, message: RegExp) =>
    assert.throws(fn, (e: unknown) => e instanceof InvalidSiteError && e.errorClass === 'invalid-site' && message.test(e.message) && e.advice.length > 0);
  refused(() => sites.add('LYON'), /already a site named "Lyon"/);
  refused(() => sites.add('Other', { cidrs: ['10.1.0.0/16'] }), /10\.1\.0\.0\/16 is already a rule of the site "Lyon"/);
  refused(() => sites.add('Other', { cidrs: ['2001:db8:0::/32'] }), /2001:db8::\/32 is already a rule/);
  refused(() => sites.add('Other', { adSite: 'lyon-site' }), /AD site Lyon-Site is already the rule/);
  refused(() => sites.add('   '), /needs a name/);
  refused(() => sites.add('x'.repeat(65)), /at most 64/);
  refused(() => sites.add('a\tb'), /control characters/);
  refused(() => sites.add('Default'), /default/i);
  refused(() => sites.add('Other', { adSite: 'Has space' }), /not an Active Directory site name/);
  refused(() => sites.add('Other', { cidrs: Array.from({ length: 257 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`) }), /at most 256/);
  refused(() => sites.add('Other', { cidrs: ['10.1.2.3/16'] }), /host bits/);
  // A narrower range inside another site's is allowed: the longest prefix decides.
  assert.deepEqual(sites.add('Lyon lab', { cidrs: ['10.1.5.0/24'] }).cidrs, ['10.1.5.0/24']);
  // Renaming to its own name in another case is not a clash with itself.
  assert.equal(sites.update(lyon.id, { name: 'LYON' }).name, 'LYON');
  refused(() => sites.update(lyon.id, { name: 'lyon LAB' }), /already a site named "Lyon lab"/);
  assert.throws(() => sites.update(9999, { name: 'X' }), (e: unknown) => e instanceof ConsoleError && e.errorClass === 'not-found');
  assert.deepEqual(sites.list().map((s) => s.name), ['LYON', 'Lyon lab']);
  assert.equal(sites.byName('lyon lab')?.cidrs[0], '10.1.5.0/24');
});

test('assign answers the computers that moved and only touches those asked, and a new task\'s targets record their computer\'s site', () => {
  const { db, computers, sites } = open();
  const site = sites.add('Branch', { cidrs: ['10.5.0.0/16'] });
  const { added } = computers.addMany([{ name: 'pc-1', address: '10.5.0.1' }, { name: 'pc-2', address: '10.5.0.2' }, { name: 'pc-3', address: '10.6.0.3' }]);
  assert.equal(added[0]!.siteId, null, 'not placed until assign runs');
  const moved = sites.assign([added[0]!.id, added[2]!.id]);
  assert.deepEqual([...moved], [[added[0]!.id, { siteId: site.id, siteName: 'Branch' }]]);
  assert.equal(computers.byIds([added[1]!.id])[0]!.siteId, null, 'not asked: not moved');
  assert.equal(sites.assign().size, 1);
  assert.equal(sites.assign().size, 0, 'nothing left to move');

  const packageId = new PackagesRepo(db).add({ name: 'App', msiFileName: 'app.msi', msiPath: '/store/app.msi', msiSize: 1, msiSha256: 'ab'.repeat(32) }).id;
  const tasks = new TasksRepo(db);
  const { targetIds } = tasks.create({
    name: 'T', packageId, scheduledAt: null,
    targets: [...added.map((c) => ({ computerId: c.id, computerName: c.name })), { computerId: null, computerName: 'gone' }],
  });
  const siteIds = targetIds.map((id) => db.prepare('SELECT site_id FROM task_targets WHERE id = ?').pluck().get(id));
  assert.deepEqual(siteIds, [site.id, site.id, null, null]);
});
