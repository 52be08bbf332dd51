// What each role of a Push Install Server account may call (main/serverMode/roles.ts): every
// channel of the contract has a role (the compiler checks the table is exhaustive; this checks
// it at run time too), the roles are ordered, a viewer only reads, an operator changes computers,
// credentials, packages and tasks but not settings or accounts, and an unknown name is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channelNames, type ChannelName } from '../../main/ipc/contract.js';
import { forbiddenError, mayCall, requiredRole, roleFor, serverActionRole, type ServerAction } from '../../main/serverMode/roles.js';
import { isAudited } from '../../main/serverMode/audit.js';
import { ROLES } from '../../main/serverMode/users.js';

test('every channel of the contract, and nothing else, has a role', () => {
  assert.deepEqual(Object.keys(requiredRole).sort(), [...channelNames].sort());
  for (const role of Object.values(requiredRole)) assert.ok(ROLES.includes(role));
});

test('a viewer may call exactly the reads: lists, a task\'s targets, logs, leftovers, settings and the history exports (and a console\'s own server.*, which a server refuses to everyone)', () => {
  const viewer = channelNames.filter((c) => mayCall('viewer', c)).sort();
  assert.deepEqual(viewer, [
    'app.info',
    'computers.list',
    'credentials.list',
    'history.exportCsv',
    'history.exportLogs',
    'leftovers.list',
    'packages.list',
    'server.connect',
    'server.disconnect',
    'server.status',
    'settings.get',
    'sites.list',
    'targets.log',
    'targets.msiLog',
    'tasks.list',
    'tasks.targets',
    'tasks.targetsById',
    'workers.list',
  ]);
});

test('nothing a viewer may call changes anything: no channel the audit trail records is a viewer\'s', () => {
  for (const c of channelNames) if (isAudited(c)) assert.notEqual(requiredRole[c], 'viewer', c);
});

test('an operator may change computers, credentials, packages and tasks, scan and diagnose, but not settings, accounts or the audit trail', () => {
  const operator: ChannelName[] = [
    'computers.add', 'computers.remove', 'computers.setGroup', 'computers.diagnose', 'computers.removeLeftovers',
    'credentials.set', 'credentials.setLaps', 'credentials.remove', 'credentials.test', 'credentials.rebind',
    'packages.inspect', 'packages.create', 'packages.duplicate', 'packages.remove',
    'tasks.create', 'tasks.cancel', 'tasks.retryFailed', 'tasks.redeploy', 'tasks.restartComputers',
    'targets.cancel', 'targets.cancelRestart', 'targets.removeLeftovers', 'scan.start', 'scan.cancel', 'directory.search',
    'computers.setSite',
  ];
  for (const c of operator) {
    assert.equal(mayCall('operator', c), true, c);
    assert.equal(mayCall('viewer', c), false, c);
  }
  assert.deepEqual(channelNames.filter((c) => !mayCall('operator', c)).sort(), ['app.networkAddresses', 'audit.exportCsv', 'audit.list', 'settings.update', 'sites.add', 'sites.remove', 'sites.update']);
  for (const a of Object.keys(serverActionRole) as ServerAction[]) assert.equal(mayCall('operator', a), false, a);
});

test('an administrator may call everything, the server\'s account and audit actions too', () => {
  for (const c of channelNames) assert.equal(mayCall('administrator', c), true, c);
  for (const a of ['users.add', 'users.remove', 'users.setRole', 'audit.list'] as const) assert.equal(mayCall('administrator', a), true, a);
});

test('a name that is neither a channel nor a server action, or a role that is not one, may call nothing', () => {
  assert.equal(mayCall('administrator', 'toString' as ChannelName), false);
  assert.equal(mayCall('administrator', 'users.drop' as ChannelName), false);
  assert.equal(mayCall('root' as never, 'app.info'), false);
  assert.equal(roleFor('__proto__'), null);
});

test('a forbidden call answers forbidden, naming the role it needs', () => {
  const e = forbiddenError('viewer', 'settings.update');
  assert.equal(e.errorClass, 'forbidden');
  assert.match(e.message, /viewer may not call settings\.update: it needs the role administrator/);
  assert.match(e.advice, /administrator/);
});
