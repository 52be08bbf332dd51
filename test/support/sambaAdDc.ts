// A real Samba Active Directory domain controller on a loopback address (docs/TESTING.md §4):
// the KDC and the SMB server the console's Kerberos client is tested against. Realm PUSH.TEST,
// NetBIOS domain PUSH, the DC dc1.push.test on 127.0.204.1 (its block, §6); ports 88 (KDC, TCP
// and UDP), 445 (SMB), 389 (LDAP), 135 and 49152+ (RPC), all bound to that address only.
//
// Provisioning (`samba-tool domain provision`, about 4–5 s, and the users, about 4 s more) is done
// once per test process into a template folder; every instance is a `cp -a` of it (xattrs — the
// sysvol NT ACLs — included) into its own temp folder with its own smb.conf and krb5.conf, so an
// instance starts in about 2 s. Two instances are clones of one domain (same SID, same keys).
//
// `samba` runs in the foreground under a python3 subreaper (as smbd does in samba.ts) so the
// smbd, winbindd, samba-dcerpcd and rpcd_* processes it forks or daemonises are ours to reap and
// stop by PID. The reaper also gives samba a private mount namespace with the instance's own
// folders bound over /run/samba and /var/log/samba: smbd finds winbindd only at libwbclient's
// compiled-in socket folder /run/samba/winbindd (the `winbindd socket directory` parameter is
// winbindd's side only), and without winbindd every session setup ends in
// NT_STATUS_INTERNAL_ERROR. So the fixture needs root (samba's AD DC needs it anyway).
// Samba missing is an error, never a skip.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { findBinary, instanceProcs, killAtExit, requireBinary as requireBinaryOr, run as runCommand, signal, tcpAccepts, type ProcInfo, type RunOptions, type RunResult } from './processes.js';

export { findBinary, type RunResult } from './processes.js';

export const SAMBA_AD_DC_MISSING_MESSAGE =
  'the Samba AD DC is not installed: scripts/setup.sh installs samba-ad-dc, winbind and krb5-user (scripts/debian-packages.txt)';

export const REALM = 'PUSH.TEST';
export const DOMAIN = 'PUSH';
export const DC_HOST_NAME = 'dc1.push.test';
export const DC_NETBIOS_NAME = 'DC1';
export const ADMINISTRATOR_PASSWORD = 'Admin-Pa55word!';

/** msDS-SupportedEncryptionTypes bits (MS-KILE 2.2.7). */
export const ENCTYPE_BITS = { rc4: 0x04, aes128: 0x08, aes256: 0x10 } as const;

export interface AdDcUser {
  /** sAMAccountName. */
  name: string;
  password: string;
  /** name@PUSH.TEST */
  principal: string;
  domainAdmin: boolean;
  /**
   * msDS-SupportedEncryptionTypes when set (0x08 AES-128 only, 0x10 AES-256 only). Samba 4.17
   * applies it to tickets issued TO the account; it does not restrict the user's own AS exchange:
   * the account has AES-256, AES-128 and RC4 keys, ETYPE-INFO2 offers the strongest the client
   * asked for, and the AS-REP's enc-part follows the client's etype list (sambaAdDcFixture proves
   * it). A client that offers only aes128-cts-hmac-sha1-96 gets an etype 17 reply.
   */
  supportedEncryptionTypes?: number;
}

export interface AddUserOptions {
  /** Member of Domain Admins. */
  domainAdmin?: boolean;
  /** msDS-SupportedEncryptionTypes, e.g. ENCTYPE_BITS.aes128. */
  supportedEncryptionTypes?: number;
}

/** The users every instance has (created in the template). */
export const DEFAULT_AD_USERS: readonly { name: string; password: string; options: AddUserOptions }[] = [
  { name: 'pushadmin', password: 'Push-Pa55word!', options: { domainAdmin: true } },
  { name: 'aes128user', password: 'Aes128-Pa55word!', options: { supportedEncryptionTypes: ENCTYPE_BITS.aes128 } },
  { name: 'aes256user', password: 'Aes256-Pa55word!', options: { supportedEncryptionTypes: ENCTYPE_BITS.aes256 } },
];

export interface SambaAdDcOptions {
  /** 127.0.204.x (the fixture's block); default 127.0.204.1. */
  address?: string;
  /**
   * Put nothing of Samba's behind \pipe\svcctl: `rpc start on demand helpers = no`, so smbd
   * connects every open of the pipe to the socket at `svcctlSocketPath` (<ncalrpc dir>/np/svcctl),
   * where a test puts its own server (the impacket peer, test/support/scmrPeer/svcctl_peer.py).
   * The AD pipes (lsarpc, samr, netlogon, …) are served by samba's own rpc task either way;
   * srvsvc, winreg, spoolss and the other samba-dcerpcd pipes are then not served at all.
   */
  svcctlSocket?: boolean;
  /** Extra [global] parameters, written last. */
  globalOptions?: Record<string, string>;
  /** `log level`, default '1 auth_audit:2 kerberos:3' (3 logs every KDC request). */
  logLevel?: string;
}

export interface SambaAdDc {
  readonly address: string;
  readonly realm: 'PUSH.TEST';
  readonly domain: 'PUSH';
  readonly dcHostName: 'dc1.push.test';
  readonly netbiosName: 'DC1';
  readonly kdcPort: 88;
  readonly smbPort: 445;
  readonly ldapPort: 389;
  /** pushadmin (Domain Admins), aes128user, aes256user, then those addUser() added. */
  readonly users: AdDcUser[];
  readonly administratorPassword: string;
  /** The instance's temp folder; removed by stop(). */
  readonly dir: string;
  readonly configPath: string;
  /** [libdefaults] without DNS, [realms] PUSH.TEST = { kdc = <address> }. */
  readonly krb5ConfigPath: string;
  /** PID of the main `samba` process (its parent is the reaper). */
  readonly pid: number;
  /** <ncalrpc dir>/np/svcctl when started with svcctlSocket, else null. */
  readonly svcctlSocketPath: string | null;
  user(name: string): AdDcUser;
  /** The folder behind ADMIN$ or pushshare. */
  shareDir(name: string): string;
  /** Creates a user with `samba-tool user create` (and group / enctype changes) on the running DC. */
  addUser(name: string, password: string, options?: AddUserOptions): Promise<AdDcUser>;
  /** samba's output (every process logs to stdout) and the log files, for failure messages. */
  logs(): string;
  /** Live PIDs of this instance: the reaper and every process under it. */
  processes(): number[];
  /** { KRB5_CONFIG, KRB5CCNAME } for reference clients; the ccache file is inside the folder. */
  env(ccacheName?: string): { KRB5_CONFIG: string; KRB5CCNAME: string };
  /** Ends every process (SIGTERM, then SIGKILL) by PID and removes the folder. Safe to call twice. */
  stop(): Promise<void>;
}

const ADDRESS_BLOCK = /^127\.0\.204\.(\d{1,3})$/;
const START_TIMEOUT_MS = 45_000;
const COMMAND_TIMEOUT_MS = 60_000;
const MAX_LOG_CHARS = 2_000_000;
const TEMPLATE_PROVISION_ADDRESS = '127.0.204.1';

// ---------------------------------------------------------------------------------------------
// Processes

/** Runs a command to completion with a hard timeout (SIGKILL by PID, then rejects). */
/**
 * argv: the samba command line; env PIC_BINDS: JSON [[source, target], …]. Becomes a child
 * subreaper, asks for SIGTERM when the test process dies, enters a private mount namespace and
 * bind-mounts each source over its target there (exit 97 if it cannot), runs samba, forwards
 * SIGTERM to it and reaps everything reparented to it. Once samba has exited it terminates the
 * orphans it inherited (SIGTERM, SIGKILL after 2 s) and exits when nothing is left.
 */
const REAPER_SCRIPT = `
import ctypes, json, os, signal, sys, time
libc, parent = ctypes.CDLL(None, use_errno=True), os.getppid()
if libc.prctl(36, 1, 0, 0, 0) != 0:
    sys.exit("prctl(PR_SET_CHILD_SUBREAPER) failed")
libc.prctl(1, signal.SIGTERM, 0, 0, 0)
if os.getppid() != parent:
    sys.exit("the test process is gone")
def fail(what):
    e = ctypes.get_errno()
    sys.stderr.write("reaper: %s failed: %s\\n" % (what, os.strerror(e)))
    sys.exit(97)
if libc.unshare(0x00020000) != 0:
    fail("unshare(CLONE_NEWNS)")
if libc.mount(b"none", b"/", None, 16384 | 262144, None) != 0:
    fail("mount --make-rprivate /")
for source, target in json.loads(os.environ.pop("PIC_BINDS", "[]")):
    os.makedirs(target, exist_ok=True)
    if libc.mount(source.encode(), target.encode(), None, 4096, None) != 0:
        fail("mount --bind %s %s" % (source, target))
main = os.fork()
if main == 0:
    os.execv(sys.argv[1], sys.argv[1:])
main_done = False
def forward(*_):
    if not main_done:
        try:
            os.kill(main, signal.SIGTERM)
        except OSError:
            pass
signal.signal(signal.SIGTERM, forward)
def orphans():
    me, found = os.getpid(), []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    st = f.read()
                if int(st[st.rindex(")") + 2:].split()[1]) == me:
                    found.append(int(d))
            except (OSError, ValueError):
                pass
    return found
status, since = 1, None
while True:
    try:
        pid, raw = os.waitpid(-1, os.WNOHANG if main_done else 0)
    except ChildProcessError:
        break
    if pid == main:
        main_done, since = True, time.monotonic()
        code = os.waitstatus_to_exitcode(raw)
        status = code if code >= 0 else 128 - code
    if main_done and pid == 0:
        sig = signal.SIGKILL if time.monotonic() - since > 2 else signal.SIGTERM
        for orphan in orphans():
            try:
                os.kill(orphan, sig)
            except OSError:
                pass
        time.sleep(0.05)
sys.exit(status)
`;

/** Sets msDS-SupportedEncryptionTypes through Samba's python bindings (ldbmodify is in ldb-tools, not installed). */
const SET_ENCTYPES_SCRIPT = `
import sys, ldb
from samba.auth import system_session
from samba.param import LoadParm
from samba.samdb import SamDB
conf, name, value = sys.argv[1:4]
lp = LoadParm()
lp.load(conf)
db = SamDB(url=lp.private_path("sam.ldb"), session_info=system_session(), lp=lp)
res = db.search(base=db.domain_dn(), scope=ldb.SCOPE_SUBTREE, expression="(sAMAccountName=%s)" % ldb.binary_encode(name), attrs=["msDS-SupportedEncryptionTypes"])
if len(res) != 1:
    sys.exit("no such user: %s" % name)
m = ldb.Message(res[0].dn)
m["e"] = ldb.MessageElement(value, ldb.FLAG_MOD_REPLACE, "msDS-SupportedEncryptionTypes")
db.modify(m)
`;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A command run to completion; samba-tool may take a minute (default 60 s). */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return runCommand(command, args, { timeoutMs: COMMAND_TIMEOUT_MS, ...options });
}

function requireBinary(name: string): string {
  return requireBinaryOr(name, `${name} is missing: ${SAMBA_AD_DC_MISSING_MESSAGE}`);
}

const isAlive = (p: ProcInfo) => p.state !== 'Z' && p.state !== 'X';

function describeRun(what: string, result: RunResult): string {
  return `${what} exited ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
}

// ---------------------------------------------------------------------------------------------
// The template: one provisioned domain per test process

interface Template {
  dir: string;
  provisionMs: number;
  usersMs: number;
}

let templatePromise: Promise<Template> | null = null;

/** How long the template took (provision, then the default users), once it exists. */
export async function templateTimings(): Promise<{ provisionMs: number; usersMs: number }> {
  const t = await provisionTemplate();
  return { provisionMs: t.provisionMs, usersMs: t.usersMs };
}

function provisionTemplate(): Promise<Template> {
  templatePromise ??= (async () => {
    const sambaTool = requireBinary('samba-tool');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pic-addc-template-'));
    const removeTemplate = () => fs.rmSync(dir, { recursive: true, force: true });
    const unhookTemplate = killAtExit(removeTemplate);
    try {
      // An empty config of our own, so /etc/samba/smb.conf (Debian's defaults) is not read.
      const emptyConf = path.join(dir, 'provision-empty.conf');
      fs.writeFileSync(emptyConf, '[global]\n');
      const started = Date.now();
      const provision = await run(sambaTool, [
        'domain', 'provision',
        '-s', emptyConf,
        '--targetdir', dir,
        '--server-role=dc',
        '--dns-backend=NONE',
        `--realm=${REALM}`,
        `--domain=${DOMAIN}`,
        `--adminpass=${ADMINISTRATOR_PASSWORD}`,
        '--host-name=dc1',
        `--host-ip=${TEMPLATE_PROVISION_ADDRESS}`,
        `--option=interfaces = ${TEMPLATE_PROVISION_ADDRESS}/8`,
        '--option=bind interfaces only = yes',
      ], { cwd: dir, timeoutMs: 120_000 });
      if (provision.code !== 0) throw new Error(`samba-tool domain provision failed:\n${describeRun('samba-tool', provision)}`);
      const provisionMs = Date.now() - started;
      const conf = path.join(dir, 'etc', 'smb.conf');
      const usersStarted = Date.now();
      // No expiry (kinit would warn "Your password will expire in 41 days"), changes allowed at once.
      const settings = await run(sambaTool, ['domain', 'passwordsettings', 'set', '-s', conf, '--max-pwd-age=0', '--min-pwd-age=0', '--complexity=on']);
      if (settings.code !== 0) throw new Error(describeRun('samba-tool domain passwordsettings set', settings));
      for (const u of DEFAULT_AD_USERS) await createUser(conf, u.name, u.password, u.options);
      return { dir, provisionMs, usersMs: Date.now() - usersStarted };
    } catch (error) {
      removeTemplate();
      unhookTemplate();
      templatePromise = null;
      throw error;
    }
  })();
  return templatePromise;
}

async function createUser(conf: string, name: string, password: string, options: AddUserOptions): Promise<void> {
  const sambaTool = requireBinary('samba-tool');
  const created = await run(sambaTool, ['user', 'create', name, password, '-s', conf]);
  if (created.code !== 0) throw new Error(describeRun(`samba-tool user create ${name}`, created));
  if (options.domainAdmin === true) {
    const added = await run(sambaTool, ['group', 'addmembers', 'Domain Admins', name, '-s', conf]);
    if (added.code !== 0) throw new Error(describeRun(`samba-tool group addmembers "Domain Admins" ${name}`, added));
  }
  if (options.supportedEncryptionTypes !== undefined) {
    const python = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : requireBinary('python3');
    const set = await run(python, ['-c', SET_ENCTYPES_SCRIPT, conf, name, String(options.supportedEncryptionTypes)]);
    if (set.code !== 0) throw new Error(describeRun(`setting msDS-SupportedEncryptionTypes of ${name}`, set));
  }
}

// ---------------------------------------------------------------------------------------------
// Configuration

/** enctypes: MIT names for default_tkt_enctypes/default_tgs_enctypes/permitted_enctypes, e.g. 'aes128-cts-hmac-sha1-96'. */
export function renderKrb5Conf(kdc: string, options: { enctypes?: string } = {}): string {
  const enctypes = options.enctypes === undefined ? [] : ['default_tkt_enctypes', 'default_tgs_enctypes', 'permitted_enctypes'].map((k) => `\t${k} = ${options.enctypes ?? ''}`);
  return [
    '# Generated by test/support/sambaAdDc.ts: no DNS, the KDC by address.',
    '[libdefaults]',
    `\tdefault_realm = ${REALM}`,
    ...enctypes,
    '\tdns_lookup_kdc = false',
    '\tdns_lookup_realm = false',
    '\trdns = false',
    '\tdns_canonicalize_hostname = false',
    // TCP only: one code path for the console's client and for the KDC proxy (kdcProxy.ts).
    '\tudp_preference_limit = 1',
    '[realms]',
    `\t${REALM} = {`,
    `\t\tkdc = ${kdc}`,
    '\t}',
    '[domain_realm]',
    `\t.push.test = ${REALM}`,
    `\tpush.test = ${REALM}`,
    '',
  ].join('\n');
}

function renderSmbConf(p: { dir: string; address: string; logLevel: string; svcctlSocket: boolean; globalOptions: Record<string, string> }): string {
  const d = p.dir;
  const g: [string, string][] = [
    ['server role', 'active directory domain controller'],
    ['realm', REALM],
    ['workgroup', DOMAIN],
    ['netbios name', DC_NETBIOS_NAME],
    ['server string', 'push-install-console test DC'],
    // Samba ignores a bare 127.x address that is not an interface address; with a mask it binds it.
    ['interfaces', `${p.address}/8`],
    ['bind interfaces only', 'yes'],
    // No DNS (provisioned with --dns-backend=NONE), NetBIOS, WINS, replication or time signing.
    ['server services', 's3fs, rpc, ldap, cldap, kdc, winbindd'],
    ['disable netbios', 'yes'],
    ['smb ports', '445'],
    // No LDAPS: a first start would generate a self-signed certificate (slow), and nothing needs it.
    ['tls enabled', 'no'],
    ['server min protocol', 'SMB2_02'],
    ['server max protocol', 'SMB3_11'],
    ['server signing', 'mandatory'],
    ['private dir', `${d}/private`],
    ['lock directory', `${d}/lock`],
    ['state directory', `${d}/state`],
    ['cache directory', `${d}/cache`],
    ['pid directory', `${d}/run`],
    ['ncalrpc dir', `${d}/ncalrpc`],
    ['binddns dir', `${d}/bind-dns`],
    // Bound over /run/samba in samba's mount namespace: the same folder as /run/samba/winbindd there.
    ['winbindd socket directory', `${d}/run-samba/winbindd`],
    ['ntp signd socket directory', `${d}/ntp_signd`],
    ['log file', `${d}/log/samba.log`],
    ['max log size', '0'],
    ['log level', p.logLevel],
    ['load printers', 'no'],
    ['printing', 'bsd'],
    ['printcap name', '/dev/null'],
    ['disable spoolss', 'yes'],
    ['panic action', ''],
  ];
  if (p.svcctlSocket) g.push(['rpc start on demand helpers', 'no']);
  for (const [k, v] of Object.entries(p.globalOptions)) g.push([k, v]);
  const lines = ['# Generated by test/support/sambaAdDc.ts for one test instance.', '[global]'];
  for (const [k, v] of g) {
    if (/[\r\n\0]/.test(k) || /[\r\n\0]/.test(v)) throw new Error(`startSambaAdDc: ${JSON.stringify(k)} may not contain line breaks`);
    lines.push(`\t${k} = ${v}`);
  }
  lines.push(
    '',
    '[sysvol]',
    `\tpath = ${d}/state/sysvol`,
    '\tread only = no',
    '',
    '[netlogon]',
    `\tpath = ${d}/state/sysvol/push.test/scripts`,
    '\tread only = no',
    '',
    // Like a Windows ADMIN$: Domain Admins only (others: NT_STATUS_ACCESS_DENIED at tree connect).
    '[ADMIN$]',
    `\tpath = ${d}/shares/admin`,
    '\tread only = no',
    `\tvalid users = "@${DOMAIN}\\Domain Admins"`,
    '',
    '[pushshare]',
    `\tpath = ${d}/shares/pushshare`,
    '\tread only = no',
    '\tserver smb encrypt = required',
    '',
  );
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------

export async function startSambaAdDc(options: SambaAdDcOptions = {}): Promise<SambaAdDc> {
  const samba = findBinary('samba');
  if (samba === null || findBinary('samba-tool') === null) throw new Error(SAMBA_AD_DC_MISSING_MESSAGE);
  const python = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : findBinary('python3');
  if (python === null) throw new Error(`python3 is missing: ${SAMBA_AD_DC_MISSING_MESSAGE}`);
  if (process.getuid?.() !== 0) throw new Error('startSambaAdDc needs root: samba runs an AD DC only as root, and the fixture binds folders over /run/samba in a mount namespace');

  const address = options.address ?? '127.0.204.1';
  const m = ADDRESS_BLOCK.exec(address);
  if (m === null || Number(m[1]) < 1 || Number(m[1]) > 254) throw new Error(`startSambaAdDc: address must be in 127.0.204.0/24 (docs/TESTING.md §6), got ${JSON.stringify(address)}`);

  // The readiness check below asks whether the ports accept: another listener there would fool it.
  for (const port of [88, 445, 389]) {
    if (await tcpAccepts(address, port, 500)) throw new Error(`startSambaAdDc: something already listens on ${address}:${port} (another DC on this address?)`);
  }
  const template = await provisionTemplate();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pic-addc-'));
  fs.chmodSync(dir, 0o755);
  const copied = await run('cp', ['-a', `${template.dir}/private`, `${template.dir}/state`, `${template.dir}/bind-dns`, dir]);
  if (copied.code !== 0) throw new Error(describeRun('cp -a (the provisioned template)', copied));
  for (const sub of ['lock', 'cache', 'run', 'ncalrpc', 'run-samba', 'log', 'ntp_signd', 'shares']) fs.mkdirSync(path.join(dir, sub), { recursive: true, mode: 0o755 });
  const shareDirs: Record<string, string> = { admin$: path.join(dir, 'shares', 'admin'), pushshare: path.join(dir, 'shares', 'pushshare') };
  for (const share of Object.values(shareDirs)) {
    fs.mkdirSync(share);
    // Samba decides who may connect and write (valid users, NT ACLs from acl_xattr); POSIX must not get in the way.
    fs.chmodSync(share, 0o777);
  }
  const configPath = path.join(dir, 'smb.conf');
  // Also where Samba itself looks (krb5.conf beside smb.conf), and KRB5_CONFIG for its processes.
  const krb5ConfigPath = path.join(dir, 'krb5.conf');
  fs.writeFileSync(krb5ConfigPath, renderKrb5Conf(address));
  fs.writeFileSync(
    configPath,
    renderSmbConf({
      dir,
      address,
      logLevel: options.logLevel ?? '1 auth_audit:2 kerberos:3',
      svcctlSocket: options.svcctlSocket === true,
      globalOptions: options.globalOptions ?? {},
    }),
  );
  const users: AdDcUser[] = DEFAULT_AD_USERS.map((u) => ({
    name: u.name,
    password: u.password,
    principal: `${u.name}@${REALM}`,
    domainAdmin: u.options.domainAdmin === true,
    ...(u.options.supportedEncryptionTypes !== undefined ? { supportedEncryptionTypes: u.options.supportedEncryptionTypes } : {}),
  }));

  let output = '';
  const appendOutput = (text: string) => {
    output += text;
    if (output.length > MAX_LOG_CHARS) output = output.slice(output.length - MAX_LOG_CHARS);
  };
  const readLogFiles = (): string => {
    let text = '';
    try {
      for (const f of fs.readdirSync(path.join(dir, 'log')).sort()) {
        text += `\n--- log/${f} ---\n${fs.readFileSync(path.join(dir, 'log', f), 'utf8').slice(-MAX_LOG_CHARS)}`;
      }
    } catch {
      // folder removed
    }
    return text;
  };
  let finalLogFiles: string | null = null;
  const logs = () => `--- samba output ---\n${output}${finalLogFiles ?? readLogFiles()}`;

  let rootPid = 0;
  let exitInfo: string | null = null;
  let exited: Promise<void> = Promise.resolve();

  const killNow = () => {
    if (rootPid !== 0) for (const p of instanceProcs(rootPid, configPath)) if (p.pid !== rootPid) signal(p.pid, 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const unhook = killAtExit(killNow);

  const waitFor = async (cond: () => boolean, ms: number, tick?: () => void): Promise<boolean> => {
    const deadline = Date.now() + ms;
    while (!cond() && Date.now() < deadline) {
      tick?.();
      await sleep(25);
    }
    return cond();
  };

  const terminate = async (): Promise<void> => {
    if (rootPid === 0) return;
    const others = () => instanceProcs(rootPid, configPath).filter((p) => p.pid !== rootPid && isAlive(p));
    const reaperGone = () => exitInfo !== null;
    // SIGTERM to the reaper (forwarded to samba, which stops its tasks, smbd and winbindd) and to
    // everything of the instance, including what appears while they shut down.
    const seen = new Set<number>();
    const termNew = () => {
      for (const p of others()) {
        if (!seen.has(p.pid)) {
          seen.add(p.pid);
          signal(p.pid, 'SIGTERM');
        }
      }
    };
    if (!reaperGone()) signal(rootPid, 'SIGTERM');
    termNew();
    let done = await waitFor(reaperGone, 8_000, termNew);
    for (let round = 0; round < 3 && !done; round++) {
      for (const p of others()) signal(p.pid, 'SIGKILL');
      done = await waitFor(reaperGone, 2_000);
    }
    if (!done) {
      signal(rootPid, 'SIGKILL');
      await waitFor(reaperGone, 2_000);
    }
    const left = others();
    if (left.length > 0) throw new Error(`samba processes survived SIGKILL: ${left.map((p) => `${p.pid} ${p.args.join(' ')}`).join('; ')}`);
  };

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      try {
        await terminate();
        await exited;
      } finally {
        finalLogFiles = readLogFiles();
        fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
        unhook();
      }
    })();
    return stopping;
  };

  const findMain = (): ProcInfo | undefined =>
    instanceProcs(rootPid, configPath).find((p) => p.ppid === rootPid && isAlive(p) && p.args.some((a) => a.startsWith('samba')));

  let mainPid = 0;
  try {
    const sambaArgs = [samba, '--foreground', '--no-process-group', '--debug-stdout', '-s', configPath];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      KRB5_CONFIG: krb5ConfigPath,
      KRB5CCNAME: `FILE:${dir}/samba.ccache`,
      PIC_BINDS: JSON.stringify([
        [path.join(dir, 'run-samba'), '/run/samba'],
        [path.join(dir, 'log'), '/var/log/samba'],
      ]),
    };
    const spawned = spawn(python, ['-c', REAPER_SCRIPT, ...sambaArgs], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env, cwd: dir });
    exited = new Promise<void>((resolve) => {
      spawned.on('exit', (code, sig) => {
        exitInfo = sig ? `signal ${sig}` : `code ${code}`;
        resolve();
      });
      spawned.on('error', (error) => {
        exitInfo = `spawn error: ${error.message}`;
        resolve();
      });
    });
    rootPid = spawned.pid ?? 0;
    for (const stream of [spawned.stdout, spawned.stderr]) {
      stream.setEncoding('utf8');
      stream.on('data', appendOutput);
      // A forgotten stop() must not keep the test process alive: the exit hook kills samba.
      (stream as unknown as net.Socket).unref();
    }
    spawned.unref();
    if (rootPid === 0) {
      await exited;
      throw new Error(`could not start ${python} (the samba reaper): ${exitInfo ?? ''}`);
    }

    const winbindPipe = path.join(dir, 'run-samba', 'winbindd', 'pipe');
    const deadline = Date.now() + START_TIMEOUT_MS;
    let ready = false;
    while (Date.now() < deadline && exitInfo === null) {
      const main = findMain();
      if (main && fs.existsSync(winbindPipe)) {
        const [kdc, smb, ldap] = await Promise.all([88, 445, 389].map((port) => tcpAccepts(address, port, 500)));
        if (kdc === true && smb === true && ldap === true) {
          mainPid = main.pid;
          ready = true;
          break;
        }
      }
      await sleep(50);
    }
    if (!ready) {
      const why = exitInfo !== null ? `it exited (${exitInfo})` : `ports 88, 445, 389 on ${address} and winbindd were not all up within ${START_TIMEOUT_MS} ms`;
      throw new Error(`samba (AD DC) did not start: ${why}\n${logs()}`);
    }
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }

  const svcctlSocketPath = options.svcctlSocket === true ? path.join(dir, 'ncalrpc', 'np', 'svcctl') : null;
  if (svcctlSocketPath !== null) fs.mkdirSync(path.dirname(svcctlSocketPath), { recursive: true, mode: 0o700 });

  return {
    address,
    realm: REALM,
    domain: DOMAIN,
    dcHostName: DC_HOST_NAME,
    netbiosName: DC_NETBIOS_NAME,
    kdcPort: 88,
    smbPort: 445,
    ldapPort: 389,
    users,
    administratorPassword: ADMINISTRATOR_PASSWORD,
    dir,
    configPath,
    krb5ConfigPath,
    pid: mainPid,
    svcctlSocketPath,
    user(name: string): AdDcUser {
      const found = users.find((u) => u.name.toLowerCase() === name.toLowerCase());
      if (!found) throw new Error(`no user ${name} on this DC (users: ${users.map((u) => u.name).join(', ')})`);
      return found;
    },
    shareDir(name: string): string {
      const found = shareDirs[name.toLowerCase()];
      if (found === undefined) throw new Error(`no share ${name} on this DC (ADMIN$, pushshare)`);
      return found;
    },
    async addUser(name: string, password: string, opts: AddUserOptions = {}): Promise<AdDcUser> {
      if (stopping !== null) throw new Error('addUser after stop()');
      await createUser(configPath, name, password, opts);
      const user: AdDcUser = {
        name,
        password,
        principal: `${name}@${REALM}`,
        domainAdmin: opts.domainAdmin === true,
        ...(opts.supportedEncryptionTypes !== undefined ? { supportedEncryptionTypes: opts.supportedEncryptionTypes } : {}),
      };
      users.push(user);
      return user;
    },
    logs,
    processes: () => (rootPid === 0 ? [] : instanceProcs(rootPid, configPath).filter(isAlive).map((p) => p.pid)),
    env: (ccacheName = 'ccache') => ({ KRB5_CONFIG: krb5ConfigPath, KRB5CCNAME: `FILE:${path.join(dir, ccacheName)}` }),
    stop,
  };
}

// ---------------------------------------------------------------------------------------------
// Reference clients

/** MIT kinit (krb5-user), the password on stdin. env: at least KRB5_CONFIG and KRB5CCNAME. */
export function kinit(principal: string, password: string, env: { KRB5_CONFIG: string; KRB5CCNAME: string }, extraArgs: readonly string[] = []): Promise<RunResult> {
  const binary = findBinary('kinit');
  if (binary === null) throw new Error(`kinit is missing: ${SAMBA_AD_DC_MISSING_MESSAGE}`);
  return run(binary, [...extraArgs, principal], { input: `${password}\n`, env: { ...process.env, ...env }, timeoutMs: 30_000 });
}

export interface AdSmbclientArgs {
  /** The //server part: 'dc1.push.test' (an SPN exists) or the address (none). */
  server: string;
  share: string;
  commands: string;
  /** { KRB5_CONFIG, KRB5CCNAME } with a TGT in the ccache. */
  env: { KRB5_CONFIG: string; KRB5CCNAME: string };
  /** e.g. ['--client-protection=encrypt', '-m', 'SMB3_11']. */
  extraArgs?: readonly string[];
}

/**
 * Debian's smbclient with Kerberos only (--use-kerberos=required) from the ccache, connecting to
 * the DC's address (-I) whatever the name, with a throwaway client config. Delegation is off
 * (gensec_gssapi:delegation = no): otherwise the client asks the KDC for a forwarded TGT too,
 * as the DC is trusted for delegation.
 */
export async function adSmbclient(dc: SambaAdDc, args: AdSmbclientArgs): Promise<RunResult> {
  const binary = findBinary('smbclient');
  if (binary === null) throw new Error('smbclient is not installed: scripts/setup.sh installs it (scripts/debian-packages.txt)');
  const clientDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pic-adsmbclient-'));
  try {
    const conf = path.join(clientDir, 'client.conf');
    fs.writeFileSync(
      conf,
      [
        '[global]',
        `\tlock directory = ${clientDir}`,
        `\tstate directory = ${clientDir}`,
        `\tcache directory = ${clientDir}`,
        `\tprivate dir = ${clientDir}`,
        `\trealm = ${REALM}`,
        `\tworkgroup = ${DOMAIN}`,
        '\tclient min protocol = SMB2_02',
        '\tgensec_gssapi:delegation = no',
        '',
      ].join('\n'),
    );
    const argv = [
      `//${args.server}/${args.share}`,
      '-s', conf,
      '-I', dc.address,
      '-t', '10',
      '--use-kerberos=required',
      `--use-krb5-ccache=${args.env.KRB5CCNAME}`,
      ...(args.extraArgs ?? []),
      '-c', args.commands,
    ];
    return await run(binary, argv, { env: { ...process.env, ...args.env }, timeoutMs: 60_000 });
  } finally {
    fs.rmSync(clientDir, { recursive: true, force: true });
  }
}
