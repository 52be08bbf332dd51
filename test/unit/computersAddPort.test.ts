// computers.add with a port: host:port, [IPv6]:port and a bare IPv6 address reach Computers with
// their SMB port (null = 445), host:445 and host are one computer, and a bad port is refused with its reason.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createConsoleServices, type ConsoleServices } from '../../main/app/services.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';

let dir = '';
let services: ConsoleServices;
before(() => {
  dir = makeTempDir('pic-add-port-');
  services = createConsoleServices({ dataDir: path.join(dir, 'data'), shell: 'electron' });
});
after(() => {
  services?.close();
  removeDir(dir);
});

test('computers.add stores host:port, [IPv6]:port and a bare IPv6 address with their ports; :445 is null; a bad port is invalid', async () => {
  const result = await services.handlers['computers.add']({
    entries: ['127.0.10.1:10445', 'srv01.corp.example:10445', 'SRV02:10445', '[::1]:10445', 'fe80::1', 'pc03:445', 'pc04:0'],
  });
  assert.deepEqual(result.invalid, [{ entry: 'pc04:0', reason: 'port must be 1..65535' }]);
  const byName = new Map((await services.handlers['computers.list']({})).map((c) => [c.name, [c.address, c.port]]));
  assert.deepEqual(Object.fromEntries(byName), {
    '127.0.10.1': ['127.0.10.1', 10445],
    'srv01.corp.example': [null, 10445],
    SRV02: [null, 10445],
    '::1': ['::1', 10445],
    'fe80::1': ['fe80::1', null],
    PC03: [null, null],
  });
  // The same computer with or without its port is a duplicate, in one request and against Computers.
  const again = await services.handlers['computers.add']({ entries: ['pc05:10445', 'PC05', 'pc03', '127.0.10.1:445'] });
  assert.deepEqual(again.added.map((c) => [c.name, c.port]), [['PC05', 10445]]);
  assert.deepEqual(again.duplicates, ['PC05', 'PC03', '127.0.10.1']);
});
