// `pushctl diagnose`: the pre-flight checks (docs/WINDOWS-TARGETS.md §9) for one computer, without installing:
// reachable on 445, dialect, signing, encryption, names, OS version (credential-free), then with
// credentials: authentication and whether ADMIN$ is writable (a probe file written and deleted).
import crypto from 'node:crypto';
import { ConsoleError, toIpcError } from '../ipc/errors.js';
import type { IpcError } from '../ipc/contract.js';
import { SmbConnection } from '../smb/connection.js';
import { getHostInfo, type HostInfo } from '../smb/hostInfo.js';
import { SmbSession, type AuthMechanism, type AuthPolicy, type SmbCredentials } from '../smb/session.js';
import { SmbTree } from '../smb/tree.js';
import { ScmrClient } from '../rpc/scmr.js';
import { checkScmAccess } from '../rpc/serviceLifecycle.js';

export interface DiagnoseTarget {
  readonly host: string;
  /** The computer's name when it is listed by one and connected to by address (the Kerberos SPN's name). */
  readonly logonName?: string;
  readonly port: number;
}

export interface DiagnoseOptions {
  readonly credentials?: SmbCredentials;
  readonly connectTimeoutMs: number;
  readonly encryptWhenSupported: boolean;
  /** Which mechanisms the logon may use; default negotiate. */
  readonly auth?: AuthPolicy;
}

export interface DiagnoseReport {
  target: string;
  reachable: boolean;
  dialect: string | null;
  signingRequired: boolean | null;
  /** The cipher the server shares, and whether the authenticated session used it. */
  cipher: string | null;
  sessionEncrypted: boolean | null;
  serverName: string | null;
  domain: string | null;
  dnsName: string | null;
  osVersion: string | null;
  authentication: 'ok' | 'failed' | 'not-checked';
  /** Which mechanism logged on (kerberos, ntlm); null when none did. */
  authMechanism: AuthMechanism | null;
  /** Why negotiate did not use Kerberos where it tried it (it fell back to NTLM). */
  kerberosFallback: string | null;
  adminShareWritable: boolean | null;
  /** OpenSCManager with SC_MANAGER_CREATE_SERVICE over \pipe\svcctl: what the push needs next. */
  scmAccess: boolean | null;
  /** Whether the computer can reach the console's package server (TCP 2224) is only known once an agent runs there. */
  callback: 'untestable-until-an-agent-runs';
  errors: (IpcError & { step: string })[];
  ok: boolean;
}

export function parseTarget(spec: string, defaultPort = 445): DiagnoseTarget {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(spec);
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2] ? Number(bracketed[2]) : defaultPort };
  const parts = spec.split(':');
  if (parts.length === 2 && /^\d+$/.test(parts[1]!)) return { host: parts[0]!, port: Number(parts[1]) };
  if (parts.length > 2) return { host: spec, port: defaultPort }; // a bare IPv6 address
  return { host: spec, port: defaultPort };
}

export async function diagnose(target: DiagnoseTarget, options: DiagnoseOptions): Promise<DiagnoseReport> {
  const report = emptyReport(target);
  const fail: FailStep = (step, error) => report.errors.push({ step, ...toIpcError(error) });
  const connectionOptions = { host: target.host, port: target.port, connectTimeoutMs: options.connectTimeoutMs };

  let info: HostInfo;
  try {
    info = await getHostInfo(connectionOptions);
  } catch (error) {
    fail('probe', error);
    report.reachable = error instanceof ConsoleError && !['offline', 'port-blocked', 'name-not-resolved'].includes(error.errorClass);
    return report;
  }
  report.reachable = true;
  report.dialect = info.dialect;
  report.signingRequired = info.signingRequired;
  report.cipher = info.cipher;
  report.serverName = info.netbiosName;
  report.domain = info.netbiosDomain;
  report.dnsName = info.dnsName;
  report.osVersion = info.osVersion;

  if (options.credentials) await checkWithCredentials(target, options, options.credentials, report, fail);
  report.ok = report.errors.length === 0;
  return report;
}

type FailStep = (step: string, error: unknown) => void;

/** A report with nothing checked yet. */
function emptyReport(target: DiagnoseTarget): DiagnoseReport {
  return {
    target: `${target.host}:${target.port}`,
    reachable: false,
    dialect: null,
    signingRequired: null,
    cipher: null,
    sessionEncrypted: null,
    serverName: null,
    domain: null,
    dnsName: null,
    osVersion: null,
    authentication: 'not-checked',
    authMechanism: null,
    kerberosFallback: null,
    adminShareWritable: null,
    scmAccess: null,
    callback: 'untestable-until-an-agent-runs',
    errors: [],
    ok: false,
  };
}

/** The checks that take credentials: logon, then ADMIN$ writable and SCM access on that session. */
async function checkWithCredentials(target: DiagnoseTarget, options: DiagnoseOptions, credentials: SmbCredentials, report: DiagnoseReport, fail: FailStep): Promise<void> {
  let connection: SmbConnection | null = null;
  try {
    connection = await SmbConnection.connect({ host: target.host, port: target.port, connectTimeoutMs: options.connectTimeoutMs });
    const session = await SmbSession.setup(connection, credentials, { targetHost: target.logonName ?? target.host, encryptWhenSupported: options.encryptWhenSupported, ...(options.auth ? { auth: options.auth } : {}) });
    report.authentication = 'ok';
    report.authMechanism = session.mechanism;
    report.kerberosFallback = session.fallback;
    report.sessionEncrypted = session.encrypted;
    try {
      await probeAdminShare(session, target.host);
      report.adminShareWritable = true;
    } catch (error) {
      report.adminShareWritable = false;
      fail('admin-share', error);
    }
    try {
      await probeScmAccess(session, target.host);
      report.scmAccess = true;
    } catch (error) {
      report.scmAccess = false;
      fail('scm-access', error);
    }
    await session.logoff().catch(() => undefined);
  } catch (error) {
    if (report.authentication === 'not-checked') report.authentication = 'failed';
    fail('authentication', error);
  } finally {
    connection?.close();
  }
}

/** Writes and deletes a probe file on ADMIN$; throws when the share refuses. */
async function probeAdminShare(session: SmbSession, host: string): Promise<void> {
  const tree = await SmbTree.connect(session, host, 'ADMIN$');
  const probe = `PushInstall-probe-${crypto.randomBytes(6).toString('hex')}.tmp`;
  await tree.writeFile(probe, Buffer.from('Push Install Console write probe; safe to delete.\r\n'));
  await tree.delete(probe);
  await tree.disconnect();
}

/** Opens the Service Control Manager with the rights a push needs over \pipe\svcctl; throws when refused. */
async function probeScmAccess(session: SmbSession, host: string): Promise<void> {
  const ipc = await SmbTree.connect(session, host, 'IPC$');
  const pipe = await ipc.openPipe('svcctl');
  try {
    await checkScmAccess(await ScmrClient.bind(pipe));
  } finally {
    await pipe.close().catch(() => undefined);
  }
}
