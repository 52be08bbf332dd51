// Test in the wizard's Logon step: per credential, in slices of 500 computers, what a push needs
// (logon, ADMIN$ writable, Service Control Manager access); each row shows "testing" until its answer.
import type { CredentialCheck } from '../../main/ipc/contract';
import { request } from '../state/actions';
import type { LogonRow } from './LogonStep';
import type { CheckState } from './logonColumns';

type ChecksUpdate = (update: (prev: Record<number, CheckState>) => Record<number, CheckState>) => void;

const SLICE = 500;

export async function testCredentials(rows: readonly LogonRow[], onChecks: ChecksUpdate): Promise<void> {
  const byCredential = new Map<number, number[]>();
  for (const r of rows) {
    if (r.credentialId === null) continue;
    const list = byCredential.get(r.credentialId) ?? [];
    list.push(r.computerId);
    byCredential.set(r.credentialId, list);
  }
  onChecks((prev) => {
    const next = { ...prev };
    for (const ids of byCredential.values()) for (const id of ids) next[id] = 'testing';
    return next;
  });
  await Promise.all(
    [...byCredential].flatMap(([credentialId, ids]) => {
      const chunks: number[][] = [];
      for (let i = 0; i < ids.length; i += SLICE) chunks.push(ids.slice(i, i + SLICE));
      return chunks.map(async (computerIds) => {
        const r = await request('credentials.test', { credentialId, computerIds });
        onChecks((prev) => {
          const next = { ...prev };
          for (const id of computerIds) {
            next[id] = r.ok ? (r.result.find((c) => c.computerId === id) ?? notAnswered(id, null)) : notAnswered(id, r.error);
          }
          return next;
        });
      });
    }),
  );
}

function notAnswered(computerId: number, error: CredentialCheck['error']): CredentialCheck {
  return { computerId, ok: false, logon: null, adminShareWritable: null, scmAccess: null, error };
}
