// The first-run demo: with no Windows network at hand, the console runs a simulated
// lab of 50 hosts (mixed profiles) inside its own process, lists them in the Computers tab under
// the "Simulated lab" group, offers a demo package and the lab's administrator credential, so a
// newcomer can push at once. The `simulatedLab` setting turns it on and off.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLab, type Lab } from '../lab/lab.js';
import type { ComputersRepo } from '../store/computersRepo.js';
import type { CredentialVault } from '../engine/credentials.js';
import type { PackageService } from './packageService.js';

export const LAB_GROUP = 'Simulated lab';
export const DEMO_PACKAGE_NAME = 'Push Install Demo Agent (simulated lab)';
const LAB_CREDENTIAL_LABEL = 'Simulated lab administrator';

export interface LabDemoDeps {
  readonly computers: ComputersRepo;
  readonly packages: PackageService;
  readonly vault: CredentialVault;
  readonly log: (line: string) => void;
}

export interface LabDemoOptions {
  readonly hosts?: number;
  readonly first?: string;
  readonly port?: number;
  readonly installTimeMs?: number;
}

/** assets/demo beside the sources (main/app) and the bundles (dist/<shell>). */
function demoAsset(name: string): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return path.resolve(here, '..', '..', 'assets', 'demo', name);
}

export async function startLabDemo(deps: LabDemoDeps, options: LabDemoOptions = {}): Promise<Lab> {
  const lab = await startLab({
    hosts: options.hosts ?? Number(process.env.PUSHCONSOLE_LAB_HOSTS ?? 50),
    first: options.first ?? process.env.PUSHCONSOLE_LAB_FIRST ?? '127.0.10.1',
    port: options.port ?? Number(process.env.PUSHCONSOLE_LAB_PORT ?? 10445),
    profile: 'mixed',
    installTimeMs: options.installTimeMs ?? 4000,
  });
  try {
    const { added } = deps.computers.addMany(lab.hosts.map((h) => ({ name: h.config.name, address: h.config.address, port: h.config.port, groupName: LAB_GROUP })));
    if (added.length) deps.log(`Simulated lab: added ${added.length} computers to the "${LAB_GROUP}" group.`);
    if (!deps.packages.list().some((p) => p.name === DEMO_PACKAGE_NAME)) {
      const msiPath = demoAsset('PushInstallDemo.msi');
      if (fs.existsSync(msiPath)) {
        await deps.packages.create({ name: DEMO_PACKAGE_NAME, msiPath, configPath: demoAsset('demo.cfg.xml'), configFileName: 'cfg.xml', parameters: '', runAs: 'admin' });
        deps.log(`Simulated lab: added the demo package "${DEMO_PACKAGE_NAME}".`);
      }
    }
    if (!deps.vault.list().some((c) => c.label === LAB_CREDENTIAL_LABEL && c.available)) {
      // The lab's simulated account stays out of the admin's real keychain.
      deps.vault.put(LAB_CREDENTIAL_LABEL, `LAB\\${lab.account.user}`, lab.account.password, { remember: false });
    }
    deps.log(`Simulated lab running: ${lab.hosts.length} hosts from ${lab.hosts[0]!.config.address} (SMB port ${lab.port}); administrator LAB\\${lab.account.user}.`);
    return lab;
  } catch (error) {
    await lab.close();
    throw error;
  }
}
