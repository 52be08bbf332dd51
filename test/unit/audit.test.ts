// The Push Install Server's audit trail (main/serverMode/audit.ts) on SQLite: rows recorded and
// listed newest first with their total, filtered by time, account, action and text (LIKE's
// wildcards taken literally); CSV by RFC 4180 with spreadsheet formulas neutralised; and the row
// each channel's call records — one for every change, none for a read, never a secret.
// test/interop/serverAccountsPg.test.ts runs the same repository on PostgreSQL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channelNames, defaultSettings, type ChannelName } from '../../main/ipc/contract.js';
import { openDatabase } from '../../main/store/database.js';
import { AuditRepo, auditEntryFor, csvField, isAudited, toCsv, type AuditRow } from '../../main/serverMode/audit.js';

function repo(): AuditRepo {
  return new AuditRepo(openDatabase({ location: ':memory:' }), () => new Date('2025-03-01T00:00:00.000Z'));
}

const at = (minute: number) => new Date(Date.UTC(2025, 1, 1, 0, minute));

test('record keeps when, who, where, what, the ids and the detail; list answers newest first with the total', () => {
  const audit = repo();
  const first = audit.record({ at: at(1), user: 'alice', address: '10.0.0.1', action: 'computers.add', ids: [3, 4], detail: { added: 2 } });
  audit.record({ at: at(2), user: 'bob', address: null, action: 'settings.update', ids: [], detail: { keys: ['retryCount'] } });
  audit.record({ user: 'carol', action: 'logon' });
  const { rows, total } = audit.list({ limit: 10 });
  assert.equal(total, 3);
  assert.deepEqual(rows.map((r) => [r.at, r.user, r.address, r.action, r.ids, r.detail]), [
    ['2025-03-01T00:00:00.000Z', 'carol', null, 'logon', [], null],
    ['2025-02-01T00:02:00.000Z', 'bob', null, 'settings.update', [], '{"keys":["retryCount"]}'],
    ['2025-02-01T00:01:00.000Z', 'alice', '10.0.0.1', 'computers.add', [3, 4], '{"added":2}'],
  ]);
  assert.equal(rows[2]!.id, first);
});

test('list filters by time (from inclusive, to exclusive), account in any case, action and text, and pages with the total of all that match', () => {
  const audit = repo();
  for (let m = 0; m < 30; m++) {
    audit.record({ at: at(m), user: m % 2 ? 'Alice' : 'bob', address: `10.0.0.${m}`, action: m % 3 ? 'tasks.create' : 'computers.remove', ids: [m], detail: { name: `Task ${m}` } });
  }
  const times = (q: Parameters<AuditRepo['list']>[0]) => audit.list(q).rows.map((r) => new Date(r.at).getUTCMinutes());
  assert.deepEqual(times({ from: at(10), to: at(13), limit: 100 }), [12, 11, 10]);
  assert.equal(audit.list({ user: 'alice', limit: 1 }).total, 15);
  assert.equal(audit.list({ action: 'computers.remove', limit: 1 }).total, 10);
  assert.deepEqual(times({ text: 'TASK 2', limit: 100 }), [29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 2]);
  assert.deepEqual(times({ text: '10.0.0.7', limit: 100 }), [7]);
  assert.deepEqual(times({ user: 'BOB', action: 'tasks.create', from: at(20), limit: 100 }), [28, 26, 22, 20]);
  const page = audit.list({ limit: 5, offset: 5 });
  assert.deepEqual([page.total, page.rows.map((r) => r.ids[0])], [30, [24, 23, 22, 21, 20]]);
});

test('text search takes % and _ literally', () => {
  const audit = repo();
  audit.record({ at: at(1), user: 'a', action: 'x', ids: [], detail: { note: '100% done' } });
  audit.record({ at: at(2), user: 'a', action: 'x', ids: [], detail: { note: '1000 done' } });
  audit.record({ at: at(3), user: 'a', action: 'x', ids: [], detail: { note: 'a_b' } });
  audit.record({ at: at(4), user: 'a', action: 'x', ids: [], detail: { note: 'axb' } });
  assert.equal(audit.list({ text: '0%', limit: 10 }).total, 1);
  assert.equal(audit.list({ text: 'a_b', limit: 10 }).total, 1);
  assert.equal(audit.list({ text: '!', limit: 10 }).total, 0);
});

test('CSV: a header, CRLF line ends, quoted fields where RFC 4180 needs them, and formulas (= + - @, tab, CR) made text with an apostrophe', () => {
  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('two\nlines'), '"two\nlines"');
  assert.equal(csvField('=HYPERLINK("http://x")'), '"\'=HYPERLINK(""http://x"")"');
  for (const start of ['+', '-', '@', '\t']) assert.equal(csvField(`${start}1`), `'${start}1`);
  assert.equal(csvField('\r1'), '"\'\r1"');
  const row: AuditRow = { id: 1, at: '2025-02-01T00:00:00.000Z', user: '-admin', address: null, action: 'credentials.set', ids: [5, 6], detail: '{"label":"=1+1","user":"x"}' };
  assert.equal(toCsv([row]), 'at,user,address,action,ids,detail\r\n2025-02-01T00:00:00.000Z,\'-admin,,credentials.set,5 6,"{""label"":""=1+1"",""user"":""x""}"\r\n');
  assert.equal(toCsv([]), 'at,user,address,action,ids,detail\r\n');
});

test('every mutating channel records one row with the ids it changed; reads record none', () => {
  const computer = { id: 7, name: 'PC', address: null, port: null, domain: null, os: null, groupName: null, lastResult: null, createdAt: 'x', siteId: null, siteName: null, sitePinned: false };
  const site = { id: 5, name: 'Lyon', cidrs: ['10.1.0.0/16'], adSite: null, computers: 3, liveWorkers: 0, createdAt: 'x' };
  const credential = { id: 9, label: 'Domain admin', user: 'admin', domain: 'CORP', available: true, storage: 'memory', keeps: 'password' } as const;
  const pkg = { id: 11, name: 'App', msiFileName: 'app.msi', msiSize: 1, msiSha256: 'ab', productName: 'App', productVersion: '1', manufacturer: null, productCode: null, configFileName: null, parameters: 'PASSWORD=hunter2', createdAt: 'x', runAs: 'admin' } as const;
  const reboot = { policy: 'ask', graceMinutes: 5, forceAfterMinutes: 60, message: 'Restarting' } as const;
  const cases: [ChannelName, unknown, unknown, string, number[]][] = [
    ['computers.add', { entries: ['PC', 'PC', 'bad name'], groupName: 'Lab' }, { added: [computer], duplicates: ['PC'], invalid: [{ entry: 'bad name', reason: 'r' }] }, 'computers.add', [7]],
    ['computers.remove', { ids: [1, 2] }, { removed: 2 }, 'computers.remove', [1, 2]],
    ['computers.setGroup', { ids: [3], groupName: null }, { changed: 1 }, 'computers.setGroup', [3]],
    ['computers.removeLeftovers', { ids: [4] }, { targets: 1, cleaned: 1, remaining: 0, noCredentials: 0 }, 'computers.removeLeftovers', [4]],
    ['credentials.set', { label: 'Domain admin', user: 'CORP\\admin', password: 'hunter2-secret', remember: true }, credential, 'credentials.set', [9]],
    ['credentials.setLaps', { url: 'ldaps://dc1', baseDn: 'DC=corp', startTls: false, allowUntrusted: false, bindDn: 'reader@corp', password: 'hunter2-secret', remember: false }, { ...credential, laps: { url: 'ldaps://dc1', baseDn: 'DC=corp', startTls: false, allowUntrusted: false, ca: false, bindDn: 'reader@corp' } }, 'credentials.setLaps', [9]],
    ['credentials.remove', { id: 9 }, { removed: true }, 'credentials.remove', [9]],
    ['credentials.rebind', { credentialId: 9, taskId: 21 }, { rebound: 3, resumed: 2, cleaning: 1 }, 'credentials.rebind', [21]],
    ['credentials.rebind', { credentialId: 9, targetIds: [31, 32] }, { rebound: 2, resumed: 2, cleaning: 0 }, 'credentials.rebind', [31, 32]],
    ['packages.create', { name: 'App', msiPath: '/x/app.msi', parameters: 'PASSWORD=hunter2', runAs: 'admin' }, pkg, 'packages.create', [11]],
    ['packages.duplicate', { id: 11, name: 'App 2', parameters: 'PASSWORD=hunter3' }, { ...pkg, id: 12, name: 'App 2' }, 'packages.duplicate', [12]],
    ['packages.remove', { id: 11 }, { removed: true }, 'packages.remove', [11]],
    ['tasks.create', { name: 'T', packageId: 11, scheduledAt: null, runAs: 'admin', targets: [{ computerId: 7, credentialId: 9 }] }, { taskId: 21 }, 'tasks.create', [21]],
    ['tasks.cancel', { taskId: 21 }, { ok: true }, 'tasks.cancel', [21]],
    ['tasks.retryFailed', { taskId: 21 }, { taskId: 22 }, 'tasks.retryFailed', [21]],
    ['tasks.redeploy', { taskId: 21 }, { taskId: null }, 'tasks.redeploy', [21]],
    ['tasks.restartComputers', { taskId: 21, reboot }, { taskId: 23 }, 'tasks.restartComputers', [21]],
    ['targets.cancel', { targetId: 31 }, { ok: true }, 'targets.cancel', [31]],
    ['targets.cancelRestart', { targetId: 31 }, { ok: false }, 'targets.cancelRestart', [31]],
    ['targets.removeLeftovers', { targetId: 31 }, { remaining: null }, 'targets.removeLeftovers', [31]],
    ['settings.update', { retryCount: 2, callbackAddress: '10.0.0.1' }, { ...defaultSettings, retryCount: 2, callbackAddress: '10.0.0.1' }, 'settings.update', []],
    ['sites.add', { name: 'Lyon', cidrs: ['10.1.0.0/16'] }, site, 'sites.add', [5]],
    ['sites.update', { id: 5, adSite: 'Lyon-AD' }, { ...site, adSite: 'Lyon-AD' }, 'sites.update', [5]],
    ['sites.remove', { id: 5 }, { removed: true, computers: 3 }, 'sites.remove', [5]],
    ['computers.setSite', { ids: [7, 8], site: 5 }, { changed: 2 }, 'computers.setSite', [7, 8]],
  ];
  for (const [channel, request, result, action, ids] of cases) {
    const e = auditEntryFor(channel, request, result);
    assert.ok(e, channel);
    assert.deepEqual([e.action, e.ids], [action, ids], channel);
    assert.doesNotMatch(JSON.stringify(e.detail), /hunter|PASSWORD|msiPath/, `${channel}: no secret, no parameters`);
  }
  const audited = new Set(cases.map(([c]) => c));
  assert.deepEqual(channelNames.filter(isAudited).sort(), [...audited].sort(), 'the list above is every audited channel');
  for (const c of channelNames.filter((x) => !audited.has(x))) assert.equal(auditEntryFor(c, {}, {}), null, c);
});

test('a credential\'s row says only its label, user and domain; settings.update only which keys changed', () => {
  const credential = { id: 9, label: 'Domain admin', user: 'admin', domain: 'CORP', available: true, storage: 'memory', keeps: 'nt-hash' };
  assert.deepEqual(auditEntryFor('credentials.set', { user: 'CORP\\admin', password: 'hunter2', remember: false, keep: 'nt-hash' }, credential)?.detail, { label: 'Domain admin', user: 'admin', domain: 'CORP' });
  assert.deepEqual(auditEntryFor('settings.update', { kdcAddresses: 'dc1', retryCount: 1 }, { ...defaultSettings, kdcAddresses: 'dc1', retryCount: 1 })?.detail, { keys: ['kdcAddresses', 'retryCount'] });
});

test('a change whose request or result is not in the contract\'s shape is still recorded, without ids', () => {
  assert.deepEqual(auditEntryFor('computers.remove', { ids: 'all' }, { removed: 1 }), { action: 'computers.remove', ids: [], detail: { unreadable: 'request' } });
  assert.deepEqual(auditEntryFor('tasks.cancel', { taskId: 1 }, null), { action: 'tasks.cancel', ids: [], detail: { unreadable: 'result' } });
});
