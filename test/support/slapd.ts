// A real directory server for the Active Directory import tests: Debian's OpenLDAP slapd in a
// temp folder, on a 127.x loopback address and free high ports (LDAP and LDAPS with a
// self-signed certificate), loaded with slapadd before it starts, run in the foreground and
// stopped by its PID. AD's computer objects need AD's schema; a minimal one is written here with
// AD's own OIDs and names — objectClass computer (1.2.840.113556.1.3.30) with dNSHostName
// (1.2.840.113556.1.4.619), operatingSystem (…4.363) and operatingSystemVersion (…4.365) — so the
// console's query, (objectClass=computer), is the one it sends to a real domain controller.
// The LAPS attributes come with Microsoft's OIDs too (MS-ADA2 2.64–2.71; Microsoft's "Windows LAPS
// schema extensions reference"), with sAMAccountName (…4.221), and an ACL that hides the password
// attributes, not their expiration times, from LAPS_DENIED_DN, as AD hides a confidential attribute.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { makeTempDir, removeDir } from './tempDir.js';

export const SLAPD = '/usr/sbin/slapd';
export const BASE_DN = 'dc=corp,dc=example';
export const ADMIN_DN = `cn=admin,${BASE_DN}`;
export const ADMIN_PASSWORD = 'directory-admin-pw';
export const READER_DN = `cn=reader,ou=Service Accounts,${BASE_DN}`;
export const READER_PASSWORD = 'reader-pw-42';
/** An account that sees computer objects and their LAPS expiration times, not their LAPS passwords. */
export const LAPS_DENIED_DN = `cn=helpdesk,ou=Service Accounts,${BASE_DN}`;
export const LAPS_DENIED_PASSWORD = 'helpdesk-pw-7';

const AD_COMPUTER_SCHEMA = `
attributetype ( 1.2.840.113556.1.4.619 NAME 'dNSHostName'
  EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.363 NAME 'operatingSystem'
  EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.365 NAME 'operatingSystemVersion'
  EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.221 NAME 'sAMAccountName'
  EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.6.44.1.1 NAME 'msLAPS-PasswordExpirationTime'
  EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.6.44.1.2 NAME 'msLAPS-Password'
  EQUALITY caseExactIA5Match SYNTAX 1.3.6.1.4.1.1466.115.121.1.26 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.6.44.1.3 NAME 'msLAPS-EncryptedPassword'
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.8000.2554.50051.45980.28112.18903.35903.6685103.1224907.2.1 NAME 'ms-Mcs-AdmPwd'
  EQUALITY caseExactIA5Match SYNTAX 1.3.6.1.4.1.1466.115.121.1.26 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.8000.2554.50051.45980.28112.18903.35903.6685103.1224907.2.2 NAME 'ms-Mcs-AdmPwdExpirationTime'
  EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
objectclass ( 1.2.840.113556.1.3.30 NAME 'computer' SUP top STRUCTURAL
  MUST cn MAY ( dNSHostName $ operatingSystem $ operatingSystemVersion $ description $ sAMAccountName $
    msLAPS-PasswordExpirationTime $ msLAPS-Password $ msLAPS-EncryptedPassword $ ms-Mcs-AdmPwd $ ms-Mcs-AdmPwdExpirationTime ) )
`;

export interface DirectoryComputerSeed {
  readonly cn: string;
  readonly ou: string;
  readonly dnsName?: string;
  readonly os?: string;
  readonly osVersion?: string;
  readonly sAMAccountName?: string;
  /** More attributes (LAPS's): a Buffer, or a string LDIF cannot hold as it is, goes base64. */
  readonly attributes?: Readonly<Record<string, string | Buffer>>;
}

export interface RunningSlapd {
  readonly host: string;
  readonly ldapUrl: string;
  readonly ldapsUrl: string;
  /** The server's self-signed certificate (PEM; names dc01.corp.example and the host's address): the CA to trust. */
  readonly certificatePem: string;
  readonly pid: number;
  stop(): Promise<void>;
}

async function freePort(host: string): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitForPort(host: string, port: number, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`slapd exited with ${child.exitCode}:\n${output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host, port }, () => (s.destroy(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`slapd did not listen on ${host}:${port} within ${timeoutMs} ms:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** RFC 2849: a value that is not a SAFE-STRING (or is binary) is written base64 after '::'. */
function ldifLine(name: string, value: string | Buffer): string {
  if (typeof value === 'string' && /^[\x01-\x09\x0b\x0c\x0e-\x1f\x21-\x39\x3b\x3d-\x7f][\x01-\x09\x0b\x0c\x0e-\x7f]*$/.test(value) && !value.endsWith(' ')) return `${name}: ${value}`;
  return `${name}:: ${Buffer.from(value).toString('base64')}`;
}

function ldif(computers: readonly DirectoryComputerSeed[]): string {
  const ous = [...new Set(['Service Accounts', ...computers.map((c) => c.ou)])];
  const entries = [
    `dn: ${BASE_DN}\nobjectClass: dcObject\nobjectClass: organization\ndc: corp\no: Corp Example`,
    ...ous.map((ou) => `dn: ou=${ou},${BASE_DN}\nobjectClass: organizationalUnit\nou: ${ou}`),
    `dn: ${READER_DN}\nobjectClass: person\ncn: reader\nsn: Reader\nuserPassword: ${READER_PASSWORD}`,
    `dn: cn=Ann User,ou=Service Accounts,${BASE_DN}\nobjectClass: person\ncn: Ann User\nsn: User`,
    `dn: ${LAPS_DENIED_DN}\nobjectClass: person\ncn: helpdesk\nsn: Helpdesk\nuserPassword: ${LAPS_DENIED_PASSWORD}`,
    ...computers.map((c) =>
      [
        `dn: cn=${c.cn},ou=${c.ou},${BASE_DN}`,
        'objectClass: computer',
        `cn: ${c.cn}`,
        c.dnsName && `dNSHostName: ${c.dnsName}`,
        c.os && `operatingSystem: ${c.os}`,
        c.osVersion && `operatingSystemVersion: ${c.osVersion}`,
        c.sAMAccountName && `sAMAccountName: ${c.sAMAccountName}`,
        ...Object.entries(c.attributes ?? {}).map(([name, value]) => ldifLine(name, value)),
      ]
        .filter(Boolean)
        .join('\n'),
    ),
  ];
  return `${entries.join('\n\n')}\n`;
}

/** `ports`: LDAP and LDAPS on these (a test's own block, docs/TESTING.md); default free ones the kernel picks. */
export async function startSlapd(computers: readonly DirectoryComputerSeed[], host = '127.0.44.1', ports?: { readonly ldap: number; readonly ldaps: number }): Promise<RunningSlapd> {
  if (!fs.existsSync(SLAPD)) throw new Error(`${SLAPD} is missing: scripts/setup.sh installs Debian's slapd and ldap-utils`);
  const dir = makeTempDir('pic-slapd-');
  const db = path.join(dir, 'db');
  fs.mkdirSync(db);
  fs.writeFileSync(path.join(dir, 'ad-computer.schema'), AD_COMPUTER_SCHEMA);
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=dc01.corp.example', '-addext', `subjectAltName=DNS:dc01.corp.example,IP:${host}`, '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')],
    { stdio: 'ignore' },
  );
  const certificatePem = fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8');
  fs.writeFileSync(
    path.join(dir, 'slapd.conf'),
    [
      'include /etc/ldap/schema/core.schema',
      `include ${path.join(dir, 'ad-computer.schema')}`,
      `pidfile ${path.join(dir, 'slapd.pid')}`,
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      `TLSCertificateFile ${path.join(dir, 'cert.pem')}`,
      `TLSCertificateKeyFile ${path.join(dir, 'key.pem')}`,
      'sizelimit unlimited',
      'database mdb',
      `suffix "${BASE_DN}"`,
      `rootdn "${ADMIN_DN}"`,
      `rootpw ${ADMIN_PASSWORD}`,
      `directory ${db}`,
      'maxsize 33554432',
      'access to attrs=userPassword by anonymous auth by * none',
      // slapd leaves out of an entry the attributes the reader may not read, as AD does a confidential one.
      `access to attrs=msLAPS-Password,msLAPS-EncryptedPassword,ms-Mcs-AdmPwd by dn.exact="${LAPS_DENIED_DN}" none by users read by * none`,
      'access to * by users read by * none',
      '',
    ].join('\n'),
  );
  fs.writeFileSync(path.join(dir, 'data.ldif'), ldif(computers));
  execFileSync('/usr/sbin/slapadd', ['-f', path.join(dir, 'slapd.conf'), '-l', path.join(dir, 'data.ldif')], { stdio: 'pipe' });
  const ldapPort = ports?.ldap ?? (await freePort(host));
  const ldapsPort = ports?.ldaps ?? (await freePort(host));
  const ldapUrl = `ldap://${host}:${ldapPort}`;
  const ldapsUrl = `ldaps://${host}:${ldapsPort}`;
  // -d 0: stay in the foreground (its PID is ours to stop), log nothing.
  const child = spawn(SLAPD, ['-f', path.join(dir, 'slapd.conf'), '-h', `${ldapUrl}/ ${ldapsUrl}/`, '-d', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(child.pid!, 'SIGTERM');
      const timer = setTimeout(() => child.exitCode === null && child.signalCode === null && process.kill(child.pid!, 'SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    removeDir(dir);
  };
  try {
    await waitForPort(host, ldapPort, child, () => output, 10_000);
    await waitForPort(host, ldapsPort, child, () => output, 10_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { host, ldapUrl, ldapsUrl, certificatePem, pid: child.pid!, stop };
}
