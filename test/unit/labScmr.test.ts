// The lab host's svcctl server driven by the console's own MS-SCMR client (main/rpc/scmr.ts and
// serviceLifecycle.ts) over an in-memory message-mode pipe: the push's whole service lifecycle,
// the Win32 codes Windows answers (1073, 1072, 1078, 1060, 1056, 1062, 5, 6, 2, 1053), the exit
// codes a stopped agent leaves, and context handle rundown when the pipe closes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ScmAccess, ScmrClient, ServiceControl, ServiceState } from '../../main/rpc/scmr.js';
import { checkScmAccess, createService, startAndWait, stopAndDelete } from '../../main/rpc/serviceLifecycle.js';
import { Win32, Win32Error } from '../../main/rpc/win32.js';
import type { LabHostState, LabService } from '../../main/lab/hostState.js';
import { createSvcctlEndpoint, svcctlPipeFactory, type SvcctlHooks } from '../../main/lab/rpc/svcctlServer.js';
import { reportServiceStopped } from '../../main/lab/rpc/serviceStatus.js';
import { EndpointPipe } from '../support/labPipe.js';
import { AGENT_BINARY_PATH, AGENT_PATH, labHostState, putAdminFile } from '../support/labHost.js';
import { expectClass } from '../support/expectError.js';

const fast = { pollIntervalMs: 1, startTimeoutMs: 2000, stopTimeoutMs: 2000 };

/** A stand-in agent: runs until stopped (then exit 14), or ends by itself with `result` after `afterMs`. */
function fakeAgent(state: LabHostState, options: { result?: number; afterMs?: number } = {}): SvcctlHooks & { started: LabService[] } {
  const started: LabService[] = [];
  return {
    started,
    startAgent: (service) => {
      started.push(service);
      state.agentsRunning++;
      let timer: NodeJS.Timeout | undefined;
      const end = (code: number) => {
        clearTimeout(timer);
        state.agentsRunning--;
        reportServiceStopped(state, service, code);
      };
      service.stop = () => setImmediate(() => end(14));
      if (options.result !== undefined) timer = setTimeout(() => end(options.result!), options.afterMs ?? 0);
    },
  };
}

async function connect(state: LabHostState, hooks: SvcctlHooks, maxFrag?: number): Promise<{ scmr: ScmrClient; pipe: EndpointPipe }> {
  const pipe = new EndpointPipe(createSvcctlEndpoint(state, hooks, { onInternalError: (e) => assert.fail(`internal error: ${String(e)}`) }));
  return { scmr: await ScmrClient.bind(pipe, maxFrag ? { maxFrag } : {}), pipe };
}

function withAgentFile<T extends LabHostState>(state: T): T {
  putAdminFile(state, AGENT_PATH, Buffer.from('MZ'));
  return state;
}

describe('lab svcctl: the push lifecycle with our ScmrClient', () => {
  test('create, start, query RUNNING, stop, delete: the service is gone, counters and change notices follow', async () => {
    const state = withAgentFile(labHostState());
    const agent = fakeAgent(state);
    const { scmr, pipe } = await connect(state, agent);
    const scm = await scmr.openSCManager();
    const installed = await createService(scmr, scm, { name: 'PushInstallAgent-r1-aa', displayName: 'Push Install Agent', binaryPath: AGENT_BINARY_PATH });
    assert.deepEqual(installed.skippedNames, []);
    const service = state.services.get('pushinstallagent-r1-aa');
    assert.ok(service);
    assert.equal(service.displayName, 'Push Install Agent (PushInstallAgent-r1-aa)');
    assert.equal(service.binaryPath, AGENT_BINARY_PATH);
    assert.equal(service.win32ExitCode, 1077, 'a never-started service reports ERROR_SERVICE_NEVER_STARTED');
    assert.equal(state.counters.servicesCreated, 1);
    const changesAfterCreate = state.changes;
    assert.ok(changesAfterCreate >= 1);

    const running = await startAndWait(scmr, installed.service, installed.name, fast);
    assert.equal(running.currentState, ServiceState.RUNNING);
    assert.equal(running.controlsAccepted, 0x5, 'STOP and SHUTDOWN, as the real agent accepts');
    assert.equal(agent.started.length, 1);
    assert.equal(state.agentsRunning, 1);

    await stopAndDelete(scmr, installed.service, installed.name, fast);
    assert.equal(state.services.size, 0, 'stopped, deleted and its last handle closed: gone');
    assert.equal(state.counters.servicesDeleted, 1);
    assert.equal(state.agentsRunning, 0);
    assert.ok(state.changes > changesAfterCreate);
    await scmr.closeServiceHandle(scm);
    pipe.close();
  });

  test('an agent that ends by itself leaves STOPPED with 0, or 1066 and its own code', async () => {
    for (const result of [0, 101603, 13]) {
      const state = withAgentFile(labHostState());
      const { scmr } = await connect(state, fakeAgent(state, { result, afterMs: 5 }));
      const scm = await scmr.openSCManager();
      const installed = await createService(scmr, scm, { name: 'PushInstallAgent-x', displayName: 'd', binaryPath: AGENT_BINARY_PATH });
      await scmr.startService(installed.service);
      let status = await scmr.queryServiceStatus(installed.service);
      for (let i = 0; i < 200 && status.currentState !== ServiceState.STOPPED; i++) {
        await new Promise((r) => setTimeout(r, 2));
        status = await scmr.queryServiceStatus(installed.service);
      }
      assert.equal(status.currentState, ServiceState.STOPPED);
      assert.equal(status.win32ExitCode, result === 0 ? 0 : 1066);
      assert.equal(status.serviceSpecificExitCode, result);
      assert.equal(status.controlsAccepted, 0);
      // STOP on a stopped service: ERROR_SERVICE_NOT_ACTIVE, with the status.
      const { code, status: after } = await scmr.controlService(installed.service, ServiceControl.STOP);
      assert.equal(code, Win32.SERVICE_NOT_ACTIVE);
      assert.equal(after.currentState, ServiceState.STOPPED);
      await stopAndDelete(scmr, installed.service, installed.name, fast);
      assert.equal(state.services.size, 0);
    }
  });

  test('1073 for an existing name, 1078 for a taken display name, 1060 for an unknown one', async () => {
    const state = withAgentFile(labHostState());
    const { scmr } = await connect(state, fakeAgent(state));
    const scm = await scmr.openSCManager();
    const first = await scmr.createService({ scm, serviceName: 'Svc', displayName: 'Shown', binaryPath: AGENT_BINARY_PATH });
    assert.ok(first.handle);
    assert.deepEqual(await scmr.createService({ scm, serviceName: 'SVC', displayName: 'Other', binaryPath: AGENT_BINARY_PATH }), { handle: null, code: Win32.SERVICE_EXISTS });
    assert.deepEqual(await scmr.createService({ scm, serviceName: 'Svc2', displayName: 'shown', binaryPath: AGENT_BINARY_PATH }), { handle: null, code: Win32.DUPLICATE_SERVICE_NAME });
    assert.deepEqual(await scmr.createService({ scm, serviceName: 'Svc3', displayName: 'svc', binaryPath: AGENT_BINARY_PATH }), { handle: null, code: Win32.DUPLICATE_SERVICE_NAME });
    assert.equal(await scmr.openService(scm, 'NoSuchService'), null);
    const reopened = await scmr.openService(scm, 'sVc');
    assert.ok(reopened, 'names are case-insensitive');
    await scmr.closeServiceHandle(first.handle);
    await scmr.closeServiceHandle(reopened);
    // The lifecycle's answer to 1073: stop and delete the old one, then create again under its name.
    const installed = await createService(scmr, scm, { name: 'Svc', displayName: 'Again', binaryPath: AGENT_BINARY_PATH }, fast);
    assert.equal(installed.name, 'Svc');
    assert.deepEqual(installed.skippedNames, []);
    assert.equal(state.services.get('svc')?.displayName, 'Again (Svc)');
  });

  test('1072: a deleted service stays while another handle is open; it goes with the last handle', async () => {
    const state = withAgentFile(labHostState());
    const { scmr } = await connect(state, fakeAgent(state));
    const scm = await scmr.openSCManager();
    const { handle } = await scmr.createService({ scm, serviceName: 'Held', displayName: 'Held', binaryPath: AGENT_BINARY_PATH });
    assert.ok(handle);
    const other = await scmr.openService(scm, 'Held');
    assert.ok(other);
    assert.equal(await scmr.deleteService(handle), Win32.SUCCESS);
    assert.equal(await scmr.deleteService(other), Win32.SERVICE_MARKED_FOR_DELETE);
    await scmr.closeServiceHandle(handle);
    assert.ok(state.services.get('held')?.markedForDelete, 'still there: one handle is open');
    assert.deepEqual(await scmr.createService({ scm, serviceName: 'Held', displayName: 'Held', binaryPath: AGENT_BINARY_PATH }), { handle: null, code: Win32.SERVICE_MARKED_FOR_DELETE });
    await expectClass(scmr.startService(other), 'service-start', 'ERROR_SERVICE_MARKED_FOR_DELETE');
    // The lifecycle names around a marked service.
    const installed = await createService(scmr, scm, { name: 'Held', displayName: 'Held', binaryPath: AGENT_BINARY_PATH }, { random: () => Buffer.from([0xab, 0xcd]) });
    assert.equal(installed.name, 'Held-abcd');
    assert.deepEqual(installed.skippedNames, ['Held']);
    await scmr.closeServiceHandle(other);
    assert.equal(state.services.has('held'), false, 'gone with its last handle');
    assert.equal(state.counters.servicesDeleted, 1);
  });

  test('1056 for a second start, 1061 for STOP while stop-pending, INTERROGATE on a running service', async () => {
    const state = withAgentFile(labHostState());
    const hooks: SvcctlHooks = { startAgent: (service) => (service.stop = () => undefined) }; // an agent slow to stop
    const { scmr } = await connect(state, hooks);
    const scm = await scmr.openSCManager();
    const { handle } = await scmr.createService({ scm, serviceName: 'S', displayName: 'S', binaryPath: AGENT_BINARY_PATH });
    assert.ok(handle);
    assert.equal(await scmr.startService(handle), Win32.SUCCESS);
    assert.equal(await scmr.startService(handle), Win32.SERVICE_ALREADY_RUNNING);
    assert.equal((await scmr.controlService(handle, ServiceControl.INTERROGATE)).code, Win32.SUCCESS);
    const stop = await scmr.controlService(handle, ServiceControl.STOP);
    assert.equal(stop.code, Win32.SUCCESS);
    assert.equal(stop.status.currentState, ServiceState.STOP_PENDING);
    assert.equal((await scmr.controlService(handle, ServiceControl.STOP)).code, Win32.SERVICE_CANNOT_ACCEPT_CTRL);
    assert.equal((await scmr.controlService(handle, 0x80)).code, 1052, 'a user control the service does not accept');
  });

  test('5 on a UAC-filtered host: ROpenSCManagerW with CREATE_SERVICE is denied, read access is not', async () => {
    const state = labHostState('uac-filtered');
    const { scmr } = await connect(state, fakeAgent(state));
    await expectClass(checkScmAccess(scmr), 'access-denied', 'ERROR_ACCESS_DENIED');
    await expectClass(scmr.openSCManager(ScmAccess.ALL_ACCESS), 'access-denied');
    const readOnly = await scmr.openSCManager(ScmAccess.CONNECT);
    assert.equal(readOnly.length, 20);
    const created = scmr.createService({ scm: readOnly, serviceName: 'S', displayName: 'S', binaryPath: AGENT_BINARY_PATH });
    await expectClass(created, 'access-denied');
    assert.equal(state.services.size, 0);
  });

  test('2 when the binary is not on ADMIN$ (quarantined, never copied, or outside %SystemRoot%)', async () => {
    const state = labHostState();
    const agent = fakeAgent(state);
    const { scmr } = await connect(state, agent);
    const scm = await scmr.openSCManager();
    for (const binaryPath of [AGENT_BINARY_PATH, 'C:\\Program Files\\x.exe']) {
      const name = `S${binaryPath.length}`;
      const { handle } = await scmr.createService({ scm, serviceName: name, displayName: name, binaryPath });
      assert.ok(handle);
      const error = await expectClass(scmr.startService(handle), 'service-start', 'ERROR_FILE_NOT_FOUND');
      assert.ok(error instanceof Win32Error && error.win32 === 2);
      assert.equal((await scmr.queryServiceStatus(handle)).currentState, ServiceState.STOPPED);
    }
    assert.equal(agent.started.length, 0);
  });

  test('1053 after the start timeout on a service-start-timeout host; the service stays STOPPED, no agent runs', async () => {
    const state = withAgentFile(labHostState('service-start-timeout', { startTimeoutMs: 150 }));
    const agent = fakeAgent(state);
    const { scmr } = await connect(state, agent);
    const scm = await scmr.openSCManager();
    const installed = await createService(scmr, scm, { name: 'Slow', displayName: 'Slow', binaryPath: AGENT_BINARY_PATH });
    const t0 = Date.now();
    const error = await expectClass(startAndWait(scmr, installed.service, installed.name, fast), 'service-start', 'ERROR_SERVICE_REQUEST_TIMEOUT');
    assert.ok(error instanceof Win32Error && error.win32 === 1053);
    assert.ok(Date.now() - t0 >= 140, `answered after ${Date.now() - t0} ms`);
    const status = await scmr.queryServiceStatus(installed.service);
    assert.equal(status.currentState, ServiceState.STOPPED);
    assert.equal(agent.started.length, 0);
    await stopAndDelete(scmr, installed.service, installed.name, fast);
    assert.equal(state.services.size, 0);
  });

  test('6 for a handle that was closed, belongs to another pipe, or is of the wrong kind', async () => {
    const state = withAgentFile(labHostState());
    const { scmr } = await connect(state, fakeAgent(state));
    const { scmr: other } = await connect(state, fakeAgent(state));
    const scm = await scmr.openSCManager();
    const { handle } = await scmr.createService({ scm, serviceName: 'S', displayName: 'S', binaryPath: AGENT_BINARY_PATH });
    assert.ok(handle);
    await expectClass(other.queryServiceStatus(handle), 'service-start', 'ERROR_INVALID_HANDLE');
    await expectClass(scmr.queryServiceStatus(scm), 'service-start', 'ERROR_INVALID_HANDLE');
    await scmr.closeServiceHandle(handle);
    await expectClass(scmr.closeServiceHandle(handle), 'cleanup', 'ERROR_INVALID_HANDLE');
    assert.equal(await scmr.deleteService(handle), Win32.INVALID_HANDLE);
  });

  test('closing the pipe runs its handles down: a service deleted through it goes, an open one is released', async () => {
    const state = withAgentFile(labHostState());
    const { scmr, pipe } = await connect(state, fakeAgent(state));
    const scm = await scmr.openSCManager();
    const { handle } = await scmr.createService({ scm, serviceName: 'Left', displayName: 'Left', binaryPath: AGENT_BINARY_PATH });
    const { handle: kept } = await scmr.createService({ scm, serviceName: 'Kept', displayName: 'Kept', binaryPath: AGENT_BINARY_PATH });
    assert.ok(handle && kept);
    assert.equal(await scmr.deleteService(handle), Win32.SUCCESS);
    assert.equal(state.services.get('left')?.openHandles, 1);
    pipe.close();
    assert.equal(state.services.has('left'), false);
    assert.equal(state.services.get('kept')?.openHandles, 0, 'not deleted, only released');
  });

  test('the pipe factory serves svcctl and nothing else', () => {
    const state = labHostState();
    const factory = svcctlPipeFactory(() => fakeAgent(state));
    assert.ok(factory('svcctl', state, { user: 'Administrator', domain: '' }));
    assert.ok(factory('SVCCTL', state, { user: 'Administrator', domain: '' }));
    assert.equal(factory('srvsvc', state, { user: 'Administrator', domain: '' }), null);
    assert.equal(factory('lsarpc', state, { user: 'Administrator', domain: '' }), null);
  });
});
