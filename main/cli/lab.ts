// `pushctl lab`: starts a simulated lab of Windows hosts on loopback addresses and
// keeps it running until Ctrl+C, so the console (or `pushctl push`) can push to it.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { LAB_PROFILES, type LabProfile } from '../lab/hostState.js';
import { startLab } from '../lab/lab.js';
import { MAX_LAB_HOSTS, SHARED_ABOVE_HOSTS } from '../lab/labListeners.js';
import { isLabProfile, parseProfileSpec, type ProfileSpec } from '../lab/profiles.js';

export const LAB_USAGE = `  lab --hosts N [--first 127.0.10.1] [--profile mixed|healthy|<profile>|FILE.json] [--port 445]
      [--listen auto|shared|per-host] [--refused-port PORT+1] [--install-ms 3000]
      [--personality windows|samba] [--password-env VAR] [--json]
      Starts N (1..${MAX_LAB_HOSTS}) simulated Windows hosts, each on its own loopback address, speaking
      SMB2/3 (signing required), MS-SCMR and the agent protocol. Up to ${SHARED_ABOVE_HOSTS} hosts (--listen
      auto) each has its own listener; above, one listener on 0.0.0.0:PORT serves them all (loopback
      clients only) and offline-refused hosts are on --refused-port, where nothing listens. Prints
      the start-up time and the process's RSS. Runs until Ctrl+C. Port 445 needs root; any port
      works. Each host behaves as its profile says (profiles:
      ${LAB_PROFILES.join(', ')}), and answers as Windows does
      (--personality windows, the default) or as Samba does (samba): docs/TESTING.md §4.1.
      --password-env VAR: the administrator's password on every host is read from that
      environment variable (default the lab's fixed one).
`;

export async function runLab(args: string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      hosts: { type: 'string' },
      first: { type: 'string', default: '127.0.10.1' },
      profile: { type: 'string', default: 'mixed' },
      port: { type: 'string', default: '445' },
      listen: { type: 'string', default: 'auto' },
      'refused-port': { type: 'string' },
      'install-ms': { type: 'string', default: '3000' },
      personality: { type: 'string', default: 'windows' },
      'password-env': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const hosts = Number(values.hosts);
  const port = Number(values.port);
  const installTimeMs = Number(values['install-ms']);
  const refusedPort = values['refused-port'] === undefined ? undefined : Number(values['refused-port']);
  const listen = values.listen;
  if (!Number.isInteger(hosts) || hosts < 1 || hosts > MAX_LAB_HOSTS) return (err.write(`pushctl lab: --hosts must be 1..${MAX_LAB_HOSTS}\n`), 2);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return (err.write('pushctl lab: --port must be 1..65535\n'), 2);
  if (refusedPort !== undefined && (!Number.isInteger(refusedPort) || refusedPort < 1 || refusedPort > 65535 || refusedPort === port)) return (err.write('pushctl lab: --refused-port must be 1..65535 and not --port\n'), 2);
  if (listen !== 'auto' && listen !== 'shared' && listen !== 'per-host') return (err.write('pushctl lab: --listen must be auto, shared or per-host\n'), 2);
  if (!Number.isInteger(installTimeMs) || installTimeMs < 0) return (err.write('pushctl lab: --install-ms must be a whole number of ms\n'), 2);
  const personality = values.personality;
  if (personality !== 'windows' && personality !== 'samba') return (err.write('pushctl lab: --personality must be windows or samba\n'), 2);
  const passwordEnv = values['password-env'];
  const password = passwordEnv === undefined ? undefined : process.env[passwordEnv];
  if (passwordEnv !== undefined && !password) return (err.write(`pushctl lab: the environment variable ${passwordEnv} (--password-env) is empty or not set\n`), 2);
  let profile: 'mixed' | LabProfile | ProfileSpec;
  if (values.profile === 'mixed' || isLabProfile(values.profile)) profile = values.profile;
  else if (fs.existsSync(values.profile)) {
    try {
      profile = parseProfileSpec(fs.readFileSync(values.profile, 'utf8'));
    } catch (error) {
      return (err.write(`pushctl lab: ${values.profile}: ${(error as Error).message}\n`), 2);
    }
  } else return (err.write(`pushctl lab: --profile "${values.profile}" is neither mixed, a profile (${LAB_PROFILES.join(', ')}) nor a file\n`), 2);

  let lab;
  const t0 = performance.now();
  try {
    lab = await startLab({ hosts, first: values.first, port, profile, installTimeMs, listen, personality, ...(password !== undefined ? { password } : {}), ...(refusedPort !== undefined ? { refusedPort } : {}) });
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const hint = e.code === 'EACCES' ? ' (ports below 1024 need root: use --port 10445)' : e.code === 'EADDRINUSE' ? ' (another server listens there: pick another --first or --port)' : '';
    return (err.write(`pushctl lab: ${e.message}${hint}\n`), 1);
  }
  const startMs = Math.round(performance.now() - t0);
  const rssMiB = Math.round((process.memoryUsage.rss() / 2 ** 20) * 10) / 10;
  const counts = new Map<string, number>();
  for (const h of lab.hosts) counts.set(h.config.profile, (counts.get(h.config.profile) ?? 0) + 1);
  if (values.json) {
    const account = { user: `LAB\\${lab.account.user}`, password: lab.account.password };
    const list = lab.hosts.map((h) => ({ name: h.config.name, address: h.config.address, port: h.config.port, profile: h.config.profile }));
    out.write(JSON.stringify({ port, listen: lab.listen, refusedPort: lab.refusedPort, startMs, rssMiB, account, hosts: list }) + '\n');
  } else {
    const listening = lab.listen === 'shared' ? `one shared listener${lab.refusedPort !== null ? `, offline-refused hosts on port ${lab.refusedPort}` : ''}` : 'a listener per host';
    out.write(`Simulated lab: ${hosts} hosts from ${lab.hosts[0]!.config.address} to ${lab.hosts.at(-1)!.config.address}, SMB port ${port} (${listening}); started in ${startMs} ms, RSS ${rssMiB} MiB.\n`);
    out.write(`Administrator account: LAB\\${lab.account.user} / ${lab.account.password}\n`);
    out.write(`Profiles: ${[...counts].map(([p, n]) => `${p} ${n}`).join(', ')}\n`);
    out.write('Press Ctrl+C to stop.\n');
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await lab.close();
  return 0;
}
