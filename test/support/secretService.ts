// A private Secret Service for tests: Debian's dbus-daemon (a session bus of its own)
// and gnome-keyring-daemon, unlocked with a throwaway password, in a throwaway HOME and XDG
// folders — started here and stopped by PID. Missing tools are an error, never a skip.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { makeTempDir, removeDir } from './tempDir.js';

export interface SecretService {
  /** The environment a process needs to reach it (HOME, XDG_*, DBUS_SESSION_BUS_ADDRESS). */
  readonly env: NodeJS.ProcessEnv;
  readonly home: string;
  /** Locks the login collection (Secret Service Lock), as a screen lock would. */
  lock(): void;
  /** Unlocks it again, as a new login would: the daemon restarts and unlocks the stored keyring. */
  unlock(): Promise<void>;
  close(): Promise<void>;
}

function need(tool: string): string {
  const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
  if (!found) throw new Error(`${tool} is missing: install the Debian packages in scripts/debian-packages.txt (bash scripts/setup.sh)`);
  return found;
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      try { process.kill(child.pid!, 'SIGKILL'); } catch { /* gone */ }
    }, 3000);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    try { process.kill(child.pid!, 'SIGTERM'); } catch { clearTimeout(timer); resolve(); }
  });
}

export async function startSecretService(password = 'PASS'): Promise<SecretService> {
  const dbusDaemon = need('dbus-daemon');
  const keyringDaemon = need('gnome-keyring-daemon');
  const dbusSend = need('dbus-send');
  const home = makeTempDir('pic-keyring-');
  const dirs = { XDG_DATA_HOME: 'data', XDG_CONFIG_HOME: 'config', XDG_CACHE_HOME: 'cache', XDG_RUNTIME_DIR: 'run' };
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  for (const [name, sub] of Object.entries(dirs)) {
    const dir = path.join(home, sub);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    env[name] = dir;
  }
  const children: ChildProcess[] = [];
  const close = async () => {
    for (const child of children.reverse()) await stop(child);
    removeDir(home);
  };
  try {
    const socket = path.join(home, 'run', 'bus');
    const bus = spawn(dbusDaemon, ['--session', '--nofork', '--nopidfile', `--address=unix:path=${socket}`, '--print-address=1'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(bus);
    const address = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('dbus-daemon printed no address in 10 s')), 10_000);
      bus.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('\n')) { clearTimeout(timer); resolve(out.split('\n')[0]!.trim()); }
      });
      bus.once('exit', (code) => { clearTimeout(timer); reject(new Error(`dbus-daemon exited (${code})`)); });
    });
    env.DBUS_SESSION_BUS_ADDRESS = address;
    // gnome-keyring-daemon, unlocked with the password, once it owns org.freedesktop.secrets
    // (else the bus would activate another daemon).
    let keyring: ChildProcess;
    const startKeyring = async () => {
      keyring = spawn(keyringDaemon, ['--foreground', '--unlock', '--components=secrets'], { env, stdio: ['pipe', 'ignore', 'pipe'] });
      children.push(keyring);
      keyring.stdin!.end(password);
      const deadline = Date.now() + 15_000;
      for (;;) {
        const owner = spawnSync(dbusSend, ['--session', '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.NameHasOwner', 'string:org.freedesktop.secrets'], { env, encoding: 'utf8', timeout: 5000 });
        if (/boolean true/.test(owner.stdout)) break;
        if (keyring.exitCode !== null) throw new Error(`gnome-keyring-daemon exited (${keyring.exitCode})`);
        if (Date.now() > deadline) throw new Error('gnome-keyring-daemon did not take org.freedesktop.secrets in 15 s');
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await startKeyring();
    const lock = () => {
      const r = spawnSync(dbusSend, ['--session', '--print-reply', '--dest=org.freedesktop.secrets', '/org/freedesktop/secrets', 'org.freedesktop.Secret.Service.Lock', 'array:objpath:/org/freedesktop/secrets/collection/login'], { env, encoding: 'utf8', timeout: 10_000 });
      if (r.status !== 0 || !/collection\/login/.test(r.stdout)) throw new Error(`locking the keyring failed: ${r.stderr || r.stdout}`);
    };
    // As after a new login: the daemon is restarted and unlocks the stored login keyring.
    const unlock = async () => {
      await stop(keyring);
      children.splice(children.indexOf(keyring), 1);
      await startKeyring();
    };
    return { env, home, lock, unlock, close };
  } catch (error) {
    await close();
    throw error;
  }
}
