// The console's own TLS certificate for the package server: made on first run, kept in
// the data folder (key readable by the console's user only), and pinned by SHA-256 fingerprint in
// every job file — agents check the fingerprint, not a CA chain.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import selfsigned from 'selfsigned';

export interface ConsoleCertificate {
  readonly key: string;
  readonly cert: string;
  /** SHA-256 of the DER certificate, lower-case hex without separators (the job file's form). */
  readonly fingerprint: string;
}

export function certificateFingerprint(certPem: string): string {
  return new crypto.X509Certificate(certPem).fingerprint256.replace(/:/g, '').toLowerCase();
}

export async function loadOrCreateCertificate(dataDir: string, now: () => Date = () => new Date()): Promise<ConsoleCertificate> {
  const dir = path.join(dataDir, 'tls');
  const keyFile = path.join(dir, 'console-key.pem');
  const certFile = path.join(dir, 'console-cert.pem');
  if (fs.existsSync(keyFile) && fs.existsSync(certFile)) {
    const cert = fs.readFileSync(certFile, 'utf8');
    const x509 = new crypto.X509Certificate(cert);
    // Renew a month before expiry; agents of running tasks keep the fingerprint they were given.
    if (new Date(x509.validTo).getTime() - now().getTime() > 30 * 86_400_000) {
      return { key: fs.readFileSync(keyFile, 'utf8'), cert, fingerprint: certificateFingerprint(cert) };
    }
  }
  const notBeforeDate = now();
  const notAfterDate = new Date(notBeforeDate.getTime() + 5 * 365 * 86_400_000);
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'Push Install Console package server' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
  });
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(keyFile, pems.private, { mode: 0o600 });
  fs.writeFileSync(certFile, pems.cert);
  return { key: pems.private, cert: pems.cert, fingerprint: certificateFingerprint(pems.cert) };
}
