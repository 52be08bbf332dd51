// Regenerates test/fixtures/kerberos/*.hex: one real exchange of MIT krb5's kinit and kvno with
// the Samba AD DC fixture, recorded by the KDC proxy. Run by hand (as root), not by the suite:
//
//   node --import tsx test/support/captureKerberos.ts [out-dir]
//
// Writes each message (without the 4-byte TCP length prefix) as lowercase hex, one file each:
//   as-req-1.hex                     AS-REQ without pre-authentication
//   krb-error-preauth-required.hex   KRB-ERROR 25 KDC_ERR_PREAUTH_REQUIRED with ETYPE-INFO2
//   as-req-2.hex                     AS-REQ with PA-ENC-TIMESTAMP
//   as-rep.hex                       AS-REP (enc-part under pushadmin's key from the password)
//   tgs-req.hex                      TGS-REQ for cifs/dc1.push.test (kvno)
//   tgs-rep.hex                      TGS-REP (enc-part under the TGT session key from as-rep)
//   krb-error-preauth-failed.hex     KRB-ERROR 24 KDC_ERR_PREAUTH_FAILED (kinit, wrong password)
// and capture.json (versions, time, principal). The README says how to read them.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startKdcProxy, type KdcFrame, type KdcProxy } from './kdcProxy.js';
import { findBinary, kinit, run, startSambaAdDc } from './sambaAdDc.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DEFAULT_OUT = path.join(HERE, '..', 'fixtures', 'kerberos');
const PRINCIPAL = 'pushadmin@PUSH.TEST';
const PASSWORD = 'Push-Pa55word!';
const SERVICE = 'cifs/dc1.push.test@PUSH.TEST';

function describeFrames(frames: readonly KdcFrame[]): string {
  return frames.map((f) => `${f.connection} ${f.direction} ${f.type}${f.errorCode !== undefined ? ` ${f.errorCode}` : ''}${f.serviceName !== undefined ? ` ${f.serviceName}` : ''}`).join('\n');
}

/** The frames of the proxy since the last reset, checked against the expected sequence of types (and error codes). */
function expectFrames(proxy: KdcProxy, expected: readonly string[]): KdcFrame[] {
  const frames = proxy.frames();
  const got = frames.map((f) => `${f.type}${f.errorCode !== undefined ? ` ${f.errorCode}` : ''}`);
  if (JSON.stringify(got) !== JSON.stringify(expected)) throw new Error(`expected ${expected.join(', ')}; got:\n${describeFrames(frames)}`);
  return frames;
}

async function packageVersion(name: string): Promise<string> {
  const r = await run('dpkg-query', ['-W', '-f=${Version}', name]);
  return r.code === 0 ? r.stdout.trim() : 'unknown';
}

async function main(): Promise<void> {
  const out = path.resolve(process.argv[2] ?? DEFAULT_OUT);
  const kvno = findBinary('kvno');
  if (kvno === null) throw new Error('kvno is missing: scripts/setup.sh installs krb5-user');
  const dc = await startSambaAdDc();
  try {
    const proxy = await startKdcProxy(dc);
    try {
      const env = proxy.env();
      const got = await kinit(PRINCIPAL, PASSWORD, env);
      if (got.code !== 0) throw new Error(`kinit failed: ${got.stderr}`);
      const [asReq1, preauthRequired, asReq2, asRep] = expectFrames(proxy, ['AS-REQ', 'KRB-ERROR 25', 'AS-REQ', 'AS-REP']);

      proxy.reset();
      const ticket = await run(kvno, [SERVICE], { env: { ...process.env, ...env } });
      if (ticket.code !== 0) throw new Error(`kvno failed: ${ticket.stderr}`);
      const [tgsReq, tgsRep] = expectFrames(proxy, ['TGS-REQ', 'TGS-REP']);

      proxy.reset();
      const wrong = await kinit(PRINCIPAL, 'Wrong-Pa55word!', proxy.env('wrong'));
      if (wrong.code === 0) throw new Error('kinit with a wrong password succeeded');
      const failed = expectFrames(proxy, ['AS-REQ', 'KRB-ERROR 25', 'AS-REQ', 'KRB-ERROR 24'])[3];

      const files: [string, KdcFrame | undefined][] = [
        ['as-req-1.hex', asReq1],
        ['krb-error-preauth-required.hex', preauthRequired],
        ['as-req-2.hex', asReq2],
        ['as-rep.hex', asRep],
        ['tgs-req.hex', tgsReq],
        ['tgs-rep.hex', tgsRep],
        ['krb-error-preauth-failed.hex', failed],
      ];
      fs.mkdirSync(out, { recursive: true });
      for (const [name, frame] of files) {
        if (frame === undefined) throw new Error(`no frame for ${name}`);
        fs.writeFileSync(path.join(out, name), `${frame.message.toString('hex')}\n`);
      }
      const info = {
        captured: new Date().toISOString(),
        samba: await packageVersion('samba'),
        krb5User: await packageVersion('krb5-user'),
        realm: dc.realm,
        principal: PRINCIPAL,
        password: PASSWORD,
        service: SERVICE,
        kdc: `${dc.address}:${dc.kdcPort} (through test/support/kdcProxy.ts)`,
        commands: [`kinit ${PRINCIPAL}`, `kvno ${SERVICE}`, `kinit ${PRINCIPAL} (password Wrong-Pa55word!)`],
      };
      fs.writeFileSync(path.join(out, 'capture.json'), `${JSON.stringify(info, null, 2)}\n`);
      process.stdout.write(`wrote ${files.length} messages to ${out}\n${JSON.stringify(info, null, 2)}\n`);
    } finally {
      await proxy.stop();
    }
  } finally {
    await dc.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
