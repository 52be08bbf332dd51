// A lab host's state for unit tests: one simulated Windows host with a profile, an administrator
// account and, optionally, the agent and its job file already on ADMIN$.
import { LabHostState, labPathKey, type LabHostConfig, type LabProfile } from '../../main/lab/hostState.js';

/** Lab host n of a test: LAB-PC-00n at <prefix>.n, in the LAB domain, Windows 11 24H2, healthy. */
export function labHostConfig(n: number, prefix: string, overrides: Partial<LabHostConfig> = {}): LabHostConfig {
  return {
    name: `LAB-PC-${String(n).padStart(3, '0')}`,
    address: `${prefix}.${n}`,
    port: 445,
    domain: 'LAB',
    dnsDomain: 'lab.example',
    osVersion: { major: 10, minor: 0, build: 26100 },
    accounts: [{ user: 'Administrator', password: 'P@ssw0rd!', domain: '' }],
    profile: 'healthy',
    installTimeMs: 0,
    ...overrides,
  };
}

export function labHostState(profile: LabProfile = 'healthy', overrides: Partial<LabHostConfig> = {}): LabHostState & { changes: number } {
  const config = labHostConfig(1, '127.0.56', { profile, ...overrides });
  const state = new LabHostState(config, () => {
    state.changes++;
  }) as LabHostState & { changes: number };
  state.changes = 0;
  return state;
}

/** Puts a file on the host's ADMIN$ as the SMB server would (key lower case, original name kept). */
export function putAdminFile(state: LabHostState, path: string, data: Buffer): void {
  const key = labPathKey(path);
  state.files.set(key, data);
  state.names.set(key, path);
}

export const AGENT_PATH = 'PushInstall\\r-1\\PushInstallAgent.exe';
export const AGENT_BINARY_PATH = `%SystemRoot%\\${AGENT_PATH}`;
