// One credential's Kerberos tickets, in the console's memory only: one TGT per realm and service
// tickets per target (`cifs/<host>`), each reused until five minutes before it ends, never written
// to disk or logs. Concurrent pushes of one task share one AS exchange (the cache holds the
// promise). The password stays in the vault's closure: asked for when an AS exchange needs it.
// Which realm: `user@realm`, else `DOMAIN\user` through the configured domain → realm map, else
// a dotted DOMAIN itself, else the target's DNS suffix (MS-KILE 3.1.5.1.1: the client's realm is
// its logon domain's DNS name).
import { isIP } from 'node:net';
import { KerberosError } from './errors.js';
import { requestServiceTicket, requestTgt, type Credential, type ExchangeContext } from './exchanges.js';
import { initiateContext, type KerberosContext } from './initiator.js';
import { locateKdcs, type KdcAddress } from './kdcTransport.js';
import { Etype } from './crypto.js';

/** Tickets are renewed this long before they end (the target's clock may run ahead of ours). */
const EXPIRY_MARGIN_MS = 5 * 60_000;

export interface KerberosSettings {
  /** Configured KDCs for every realm (empty: DNS SRV per realm). */
  readonly kdcs: readonly KdcAddress[];
  /** NetBIOS domain (upper case) → realm, e.g. PUSH → PUSH.TEST. */
  readonly realms: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** The clock (tests inject a skewed one). */
  readonly now?: () => number;
  readonly random?: (n: number) => Buffer;
  /** Etypes offered, best first; default AES-256 then AES-128 (never RC4). */
  readonly etypes?: readonly number[];
  readonly resolveSrv?: Parameters<typeof locateKdcs>[1]['resolveSrv'];
}

/** "PUSH=PUSH.TEST, CORP=CORP.EXAMPLE.COM" → { PUSH: 'PUSH.TEST', … }. */
export function parseRealmMap(text: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const pair of text.split(/[,;\s]+/).filter(Boolean)) {
    const [domain, realm] = pair.split('=');
    if (domain && realm) map[domain.toUpperCase()] = realm.toUpperCase();
  }
  return map;
}

/** Whether a target named so can have an SPN: a name, not an IP address (Windows without IP SPNs). */
export function hasSpnName(host: string): boolean {
  return isIP(host.replace(/^\[|\]$/g, '')) === 0 && host.length > 0;
}

/** The account and realm of `user@realm` / `DOMAIN\user`, or null for a local account (`.\user`, bare user). */
export function kerberosPrincipal(userSpec: string, settings: Pick<KerberosSettings, 'realms'>, targetHost: string): { user: string; realm: string } | null {
  const slash = userSpec.indexOf('\\');
  if (slash >= 0) {
    const domain = userSpec.slice(0, slash);
    const user = userSpec.slice(slash + 1);
    if (domain === '' || domain === '.' || user === '') return null;
    const realm = settings.realms[domain.toUpperCase()] ?? (domain.includes('.') ? domain.toUpperCase() : dnsSuffixRealm(targetHost, domain));
    return realm ? { user, realm } : null;
  }
  const at = userSpec.lastIndexOf('@');
  if (at > 0 && at < userSpec.length - 1) return { user: userSpec.slice(0, at), realm: (settings.realms[userSpec.slice(at + 1).toUpperCase()] ?? userSpec.slice(at + 1)).toUpperCase() };
  return null;
}

/**
 * `CORP\user` pushing to pc1.corp.example.com: the realm CORP.EXAMPLE.COM, but only when the
 * suffix's first label is the NetBIOS domain — `PC1\Administrator` (a local account named by its
 * computer) must never be tried against the domain's KDC, where a wrong guess counts against a
 * domain account of the same name. Other domains need the realm map.
 */
function dnsSuffixRealm(host: string, netbiosDomain: string): string | null {
  if (!hasSpnName(host)) return null;
  const dot = host.indexOf('.');
  if (dot <= 0 || dot === host.length - 1) return null;
  const suffix = host.slice(dot + 1);
  return suffix.split('.')[0]!.toUpperCase() === netbiosDomain.toUpperCase() ? suffix.toUpperCase() : null;
}

/** A credential's Kerberos identity with its ticket cache. */
export class KerberosLogon {
  private readonly tgts = new Map<string, Promise<Credential>>();
  private readonly services = new Map<string, Promise<Credential>>();
  /** When a kept kdc-unreachable answer may be asked again, per cache key. */
  private readonly retryAt = new Map<string, number>();
  private readonly kdcsByRealm = new Map<string, Promise<KdcAddress[]>>();
  /** Requests sent to KDCs, by kind (tests count them; no secret in them). */
  readonly requests = { 'AS-REQ': 0, 'TGS-REQ': 0 };
  /** The encryption type of the last TGT's and service ticket's session keys (what the KDC chose; no key material). */
  readonly lastEtypes: { tgt: number | null; service: number | null } = { tgt: null, service: null };

  constructor(
    readonly userSpec: string,
    private readonly password: () => string | null,
    private readonly settings: KerberosSettings,
  ) {}

  /** Whether the account is a domain account whose realm is known for this target (not `.\\user`, not a bare name). */
  isDomainAccount(targetHost: string): boolean {
    return kerberosPrincipal(this.userSpec, this.settings, targetHost) !== null;
  }

  /** Whether the password is held (an NT-hash-only credential has no AES key to give). */
  hasKey(): boolean {
    return this.password() !== null;
  }

  /** The AP-REQ for `cifs/<host>`, from cached tickets where they are still good. */
  async initiate(targetHost: string, service = 'cifs'): Promise<KerberosContext> {
    const principal = kerberosPrincipal(this.userSpec, this.settings, targetHost);
    if (!principal) throw new KerberosError('kerberos-principal-unknown', `${this.userSpec} is not a domain account Kerberos can use.`, 'Use user@domain.fqdn or DOMAIN\\user (with the domain\'s realm in Configuration → Authentication).', null);
    const now = this.now();
    const ctx = this.context(principal.realm);
    const tgt = await this.cached(this.tgts, principal.realm, now, () => {
      const password = this.password();
      if (password === null) throw new KerberosError('credentials-missing', `The password of ${this.userSpec} is not held, and Kerberos needs it.`, 'Set the credentials again (Set Credentials…), keeping the password.', null);
      return requestTgt(ctx, principal.user, password);
    });
    const host = targetHost.toLowerCase();
    const ticket = await this.cached(this.services, `${service}/${host}@${principal.realm}`, now, () => requestServiceTicket(ctx, tgt, service, host));
    this.lastEtypes.tgt = tgt.key.etype;
    this.lastEtypes.service = ticket.key.etype;
    return initiateContext(ticket, this.now(), this.settings.random);
  }

  /** Forgets every ticket (a changed password, the end of the task). */
  clear(): void {
    this.tgts.clear();
    this.services.clear();
    this.retryAt.clear();
    this.kdcsByRealm.clear();
  }

  private now(): number {
    return (this.settings.now ?? Date.now)();
  }

  private context(realm: string): ExchangeContext {
    return {
      realm,
      kdcs: (r) => this.kdcsOf(r),
      timeoutMs: this.settings.timeoutMs,
      etypes: this.settings.etypes ?? [Etype.AES256_CTS_HMAC_SHA1_96, Etype.AES128_CTS_HMAC_SHA1_96],
      now: () => this.now(),
      onRequest: (kind) => this.requests[kind]++,
    };
  }

  /** A realm's KDCs, looked up once per logon (an AS exchange is two requests, then a TGS per computer); a failed lookup is not kept. */
  private kdcsOf(realm: string): Promise<KdcAddress[]> {
    let found = this.kdcsByRealm.get(realm);
    if (!found) {
      found = locateKdcs(realm, { kdcs: this.settings.kdcs, timeoutMs: this.settings.timeoutMs, ...(this.settings.resolveSrv ? { resolveSrv: this.settings.resolveSrv } : {}) });
      this.kdcsByRealm.set(realm, found);
      found.catch(() => this.kdcsByRealm.delete(realm));
    }
    return found;
  }

  private async cached(map: Map<string, Promise<Credential>>, key: string, now: number, fetch: () => Promise<Credential>): Promise<Credential> {
    const held = map.get(key);
    const retryAt = this.retryAt.get(key);
    if (held && retryAt !== undefined && now >= retryAt) {
      map.delete(key);
      this.retryAt.delete(key);
      return this.cached(map, key, now, fetch);
    }
    if (held) {
      const credential = await held; // a refusal kept (below) is the answer for every later target too
      if (credential.part.endtime.getTime() - EXPIRY_MARGIN_MS > now) return credential;
      if (map.get(key) === held) map.delete(key);
      return this.cached(map, key, now, fetch);
    }
    const fresh = fetch();
    map.set(key, fresh);
    // A wrong password or an unknown account stays the answer for this logon: asking the KDC again
    // for each of a task's computers would lock the account out. What may pass (no KDC answered) is asked again.
    // No KDC answering is kept a short while: the task's next computers fall back to NTLM at once
    // (negotiate) instead of each waiting out the KDC bound; then the KDCs are asked again.
    fresh.catch((error: unknown) => {
      if (map.get(key) !== fresh || (error instanceof KerberosError && KEPT_REFUSALS.has(error.errorClass))) return;
      if (error instanceof KerberosError && error.errorClass === 'kdc-unreachable') this.retryAt.set(key, this.now() + UNREACHABLE_KEPT_MS);
      else map.delete(key);
    });
    return fresh;
  }
}

const KEPT_REFUSALS = new Set<string>(['logon-failure', 'kerberos-principal-unknown', 'kerberos-etype']);
/** How long "no KDC answered" stands for the next computers of the task. */
export const UNREACHABLE_KEPT_MS = 30_000;
