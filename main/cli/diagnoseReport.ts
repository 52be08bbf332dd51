// A `pushctl diagnose` report as text (one block per computer), shared by the local command
// (main/cli/pushctl.ts) and the one through a Push Install Server (main/cli/remote.ts).
import type { DiagnoseReport } from '../engine/diagnose.js';
import type { LapsFound } from '../ipc/contract.js';

/** A diagnose report, and with --laps what the LAPS read found (never the password). */
export type CliReport = DiagnoseReport & { laps?: LapsFound | null };

export function diagnoseReportText(report: CliReport): string {
  const out: string[] = [];
  const head = [report.target, report.reachable ? 'reachable' : 'NOT reachable'];
  if (report.dialect) head.push(`SMB ${report.dialect}`);
  if (report.signingRequired !== null) head.push(report.signingRequired ? 'signing required' : 'signing enabled');
  if (report.cipher) head.push(`cipher ${report.cipher}${report.sessionEncrypted ? ' (session encrypted)' : ''}`);
  out.push(head.join('  '));
  if (report.serverName || report.osVersion) {
    out.push(`  server ${report.serverName ?? '?'}  domain ${report.domain ?? '?'}  dns ${report.dnsName ?? '?'}  OS version ${report.osVersion ?? '?'}`);
  }
  if (report.authentication !== 'not-checked') {
    out.push(
      `  authentication ${report.authentication}${report.authMechanism ? ` with ${report.authMechanism === 'kerberos' ? 'Kerberos' : 'NTLMv2'}` : ''}` +
        (report.adminShareWritable === null ? '' : `; ADMIN$ ${report.adminShareWritable ? 'writable' : 'NOT writable'}`) +
        (report.scmAccess === null ? '' : `; Service Control Manager ${report.scmAccess ? 'may create services' : 'NOT available'}`),
    );
  }
  if (report.kerberosFallback) out.push(`  Kerberos not used (NTLM instead): ${report.kerberosFallback}`);
  if (report.laps) out.push(`  LAPS ${report.laps.attribute}, account .\\${report.laps.account}${report.laps.expired ? ' (EXPIRED: it may be stale)' : ''}, found ${report.laps.lookedUp}`);
  out.push('  callback to the console (TCP 2224): untestable until an agent runs on the computer');
  for (const e of report.errors) out.push(`  ✗ ${e.step}: ${e.class}${e.code ? ` [${e.code}]` : ''} ${e.message}\n    → ${e.advice}`);
  out.push(report.ok ? '  ✓ all checks passed' : '  ✗ some checks failed');
  return out.join('\n');
}
