// Which profile each simulated host gets, and what a push to it must end in. The
// `mixed` profile spreads the profiles over the hosts in fixed proportions (exact counts by
// largest remainder, then a seeded shuffle), so a lab of N hosts is the same lab every time.
import type { AgentTransport, PushAction } from '../server/agentProtocol.js';
import { LAB_PROFILES, type LabProfile } from './hostState.js';
import type { ErrorClass } from '../ipc/errorClasses.js';

/** Percent of hosts per profile in the `mixed` lab (sums to 100). */
export const MIXED_PROPORTIONS: Readonly<Record<LabProfile, number>> = {
  healthy: 55,
  'slow-link': 5,
  'reboot-required': 5,
  'offline-refused': 4,
  'offline-silent': 3,
  'wrong-credentials': 3,
  'uac-filtered': 3,
  'antivirus-blocks-copy': 3,
  'agent-no-callback': 3,
  'msi-1603': 3,
  'admin-share-missing': 2,
  'service-start-timeout': 2,
  'msi-1618': 3,
  'cut-mid-copy': 3,
  'already-installed': 3,
  // Not in the mixed lab's install figures (it would install like healthy); a profile file or
  // `--profile not-installed` gives hosts without the product, for uninstall and repair tasks.
  'not-installed': 0,
  // Installs like reboot-required but never comes back from a restart: only where a test asks for it.
  'never-back': 0,
  // A host that refuses NTLM: the lab has no KDC, so only where a test or a profile file asks for it.
  'ntlm-blocked': 0,
  // A host whose svcctl pipe instances are all taken: only where a test or a profile file asks for it.
  'pipe-busy': 0,
};

/** Profiles that differ only in what msiexec does. */
const MSIEXEC_PROFILES: ReadonlySet<LabProfile> = new Set<LabProfile>(['msi-1603', 'msi-1618', 'reboot-required', 'already-installed', 'not-installed', 'never-back']);

export interface ExpectedOutcome {
  readonly outcome: string;
  readonly errorClass: ErrorClass | null;
  readonly code?: string;
}

/** What the engine must report for an install on a (fresh) host of each profile: outcome, error class, code. */
export const EXPECTED_OUTCOME: Readonly<Record<LabProfile, { outcome: string; errorClass: ErrorClass | null; code?: string }>> = {
  healthy: { outcome: 'succeeded', errorClass: null },
  'slow-link': { outcome: 'succeeded', errorClass: null },
  'reboot-required': { outcome: 'succeeded-reboot-required', errorClass: null, code: 'MSI 3010' },
  'offline-refused': { outcome: 'failed', errorClass: 'port-blocked' },
  'offline-silent': { outcome: 'failed', errorClass: 'offline' },
  'wrong-credentials': { outcome: 'failed', errorClass: 'logon-failure' },
  'uac-filtered': { outcome: 'failed', errorClass: 'access-denied' },
  'antivirus-blocks-copy': { outcome: 'failed', errorClass: 'copy-blocked' },
  'agent-no-callback': { outcome: 'failed', errorClass: 'agent-no-callback' },
  'msi-1603': { outcome: 'failed', errorClass: 'msi-failed', code: 'MSI 1603' },
  'msi-1618': { outcome: 'failed', errorClass: 'msi-failed', code: 'MSI 1618' },
  'admin-share-missing': { outcome: 'failed', errorClass: 'admin-share-missing' },
  'service-start-timeout': { outcome: 'failed', errorClass: 'service-start' },
  'cut-mid-copy': { outcome: 'failed', errorClass: 'connection-lost' },
  'already-installed': { outcome: 'failed', errorClass: 'msi-failed', code: 'MSI 1638' },
  'not-installed': { outcome: 'succeeded', errorClass: null },
  'never-back': { outcome: 'succeeded-reboot-required', errorClass: null, code: 'MSI 3010' },
  'ntlm-blocked': { outcome: 'failed', errorClass: 'ntlm-blocked', code: 'STATUS_NTLM_BLOCKED' },
  'pipe-busy': { outcome: 'failed', errorClass: 'pipe-busy', code: 'STATUS_PIPE_BUSY' },
};

/**
 * What the engine must report for a task with this action on a fresh host of the profile (the
 * product there as the profile says: on every host but `not-installed` ones). Failures before
 * msiexec (network, logon, copy, service) do not depend on the action; msiexec's do:
 * - uninstall: already-installed hosts hold the product → removed; not-installed → 1605, which an
 *   uninstall counts as succeeded ("was not installed");
 * - repair: already-installed → repaired; not-installed → 1605, failed with class not-installed.
 * - restart: no msiexec, so msiexec's profiles end as healthy hosts do (exit code 0).
 * With the smb and auto transports an agent-no-callback host installs like a healthy one.
 */
export function expectedOutcome(profile: LabProfile, action: PushAction, transport: AgentTransport = 'callback'): ExpectedOutcome {
  // The agent that cannot call back gets its package over SMB with smb and auto (agentLocal.ts).
  if (profile === 'agent-no-callback' && transport !== 'callback') return EXPECTED_OUTCOME.healthy;
  if (action === 'install') return EXPECTED_OUTCOME[profile];
  if (action === 'restart') return MSIEXEC_PROFILES.has(profile) ? EXPECTED_OUTCOME.healthy : EXPECTED_OUTCOME[profile];
  if (profile === 'not-installed') {
    return action === 'uninstall' ? { outcome: 'succeeded', errorClass: null, code: 'MSI 1605' } : { outcome: 'failed', errorClass: 'not-installed', code: 'MSI 1605' };
  }
  if (profile === 'already-installed') return { outcome: 'succeeded', errorClass: null, code: '0' };
  return EXPECTED_OUTCOME[profile];
}

/** A profile file: `{"default": "healthy", "mix": {"healthy": 80, "msi-1603": 20}, "hosts": {"LAB-PC-003": "uac-filtered"}}`. */
export interface ProfileSpec {
  readonly default?: LabProfile;
  readonly mix?: Partial<Record<LabProfile, number>>;
  readonly hosts?: Readonly<Record<string, LabProfile>>;
}

export function isLabProfile(value: unknown): value is LabProfile {
  return typeof value === 'string' && (LAB_PROFILES as readonly string[]).includes(value);
}

/** Parses and checks a profile file's JSON; errors name the bad key. */
export function parseProfileSpec(text: string): ProfileSpec {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`the profile file is not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('the profile file must hold a JSON object');
  const spec = value as Record<string, unknown>;
  for (const key of Object.keys(spec)) if (!['default', 'mix', 'hosts'].includes(key)) throw new Error(`unknown key "${key}" (expected default, mix, hosts)`);
  if (spec.default !== undefined && !isLabProfile(spec.default)) throw new Error(`default: "${String(spec.default)}" is not a profile (${LAB_PROFILES.join(', ')})`);
  for (const field of ['mix', 'hosts'] as const) {
    const map = spec[field];
    if (map === undefined) continue;
    if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new Error(`${field} must be an object`);
    for (const [k, v] of Object.entries(map)) {
      if (field === 'mix' && (!isLabProfile(k) || typeof v !== 'number' || !(v >= 0))) throw new Error(`mix.${k}: expected a profile name with a number ≥ 0`);
      if (field === 'hosts' && !isLabProfile(v)) throw new Error(`hosts.${k}: "${String(v)}" is not a profile`);
    }
  }
  return spec as ProfileSpec;
}

/** A small seeded PRNG (mulberry32): the same lab for the same seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Exact counts per profile for n hosts (largest remainder), shuffled with the seed. */
export function spreadProfiles(n: number, weights: Partial<Record<LabProfile, number>>, seed = 7): LabProfile[] {
  const entries = Object.entries(weights).filter(([, w]) => (w ?? 0) > 0) as [LabProfile, number][];
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  if (total <= 0) return Array<LabProfile>(n).fill('healthy');
  const exact = entries.map(([p, w]) => ({ p, share: (w / total) * n }));
  const counts = exact.map((e) => ({ p: e.p, count: Math.floor(e.share), rest: e.share - Math.floor(e.share) }));
  let missing = n - counts.reduce((s, c) => s + c.count, 0);
  for (const c of [...counts].sort((a, b) => b.rest - a.rest)) {
    if (missing <= 0) break;
    c.count++;
    missing--;
  }
  const list = counts.flatMap((c) => Array<LabProfile>(c.count).fill(c.p));
  const random = prng(seed);
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  return list;
}

/** The profile of each host name, from 'healthy' / 'mixed' / a single profile / a profile file. */
export function assignProfiles(names: readonly string[], profile: 'mixed' | LabProfile | ProfileSpec, seed = 7): LabProfile[] {
  if (typeof profile === 'string') {
    if (profile === 'mixed') return spreadProfiles(names.length, MIXED_PROPORTIONS, seed);
    return names.map(() => profile);
  }
  const base = profile.mix ? spreadProfiles(names.length, profile.mix, seed) : names.map(() => profile.default ?? 'healthy');
  return names.map((name, i) => profile.hosts?.[name] ?? base[i]!);
}

/**
 * 127.0.10.1, 127.0.10.2, … 127.0.10.254, 127.0.11.1, … (no .0 or .255 host parts), crossing the
 * second and third octets as needed; the last usable one is 127.255.255.254.
 */
export function labAddresses(first: string, count: number): string[] {
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(first);
  if (!m) throw new Error(`--first must be a 127.x.y.z loopback address, not "${first}"`);
  let [b, c, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (b > 255 || c > 255 || d < 1 || d > 254) throw new Error(`--first ${first} is not a usable loopback host address`);
  const out: string[] = [];
  while (out.length < count) {
    if (b > 255) throw new Error(`not enough loopback addresses after ${first} for ${count} hosts (the last is 127.255.255.254)`);
    out.push(`127.${b}.${c}.${d}`);
    d++;
    if (d > 254) {
      d = 1;
      c++;
      if (c > 255) {
        c = 0;
        b++;
      }
    }
  }
  return out;
}
