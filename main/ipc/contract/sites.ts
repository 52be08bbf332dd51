// Sites: where a push worker pushes, close to the computers of a branch office. A computer belongs
// to the site of the first rule that matches it — the most specific CIDR range of its address,
// then an AD site — or to the one it was put in by hand (Set Site…); none: the default site.
// main/store/sitesRepo.ts keeps them and checks the rules. The push workers that serve them
// (main/workers/leases.ts writes their rows) are listed here too.
import { z } from 'zod';
import { Id, IsoTime, MAX_BATCH, NoRequest, type ChannelSpecs } from './common.js';

export const SiteSchema = z.object({
  id: Id,
  name: z.string(),
  /** Canonical network/prefix text: "10.1.0.0/16", "2001:db8:1::/48". */
  cidrs: z.array(z.string()),
  adSite: z.string().nullable(),
  /** Computers in the site now, by rule or by hand. */
  computers: z.number().int().nonnegative(),
  /** Its push workers live now: not stopped, a heartbeat within the last 60 s (sitesRepo's LIVE_WORKER_MS). */
  liveWorkers: z.number().int().nonnegative(),
  createdAt: IsoTime,
});
export type Site = z.infer<typeof SiteSchema>;

/** A push worker: not stopped, its last heartbeat within a day; live when within the last 60 s. */
export const WorkerSchema = z.object({
  id: z.string(),
  /** null: the default site (computers in no site). */
  siteId: Id.nullable(),
  siteName: z.string().nullable(),
  /** Where its package server can be reached, if it said. */
  address: z.string().nullable(),
  version: z.string(),
  /** The database's clock. */
  startedAt: IsoTime,
  heartbeatAt: IsoTime,
  /** Pushes it was running at its last heartbeat. */
  inFlight: z.number().int().nonnegative(),
  live: z.boolean(),
});
export type PushWorker = z.infer<typeof WorkerSchema>;

/** main checks the names, ranges and AD site (class invalid-site); these bound only the sizes. */
const SiteName = z.string().max(200);
const SiteCidrs = z.array(z.string().max(64)).max(256);
const AdSite = z.string().max(200).nullable();

export const sitesChannels = {
  'sites.list': { request: NoRequest, result: z.array(SiteSchema) },
  /** The push workers, most recent heartbeat first; [] on a console's own store (no workers). The default site's live workers are those with siteId null and live. */
  'workers.list': { request: NoRequest, result: z.array(WorkerSchema) },
  'sites.add': {
    request: z.object({ name: SiteName, cidrs: SiteCidrs.optional(), adSite: AdSite.optional() }).strict(),
    result: SiteSchema,
  },
  /** What is not given stays; the computers move with the rules. */
  'sites.update': {
    request: z.object({ id: Id, name: SiteName.optional(), cidrs: SiteCidrs.optional(), adSite: AdSite.optional() }).strict(),
    result: SiteSchema,
  },
  /** Its computers fall back to the default site (those put there by hand too), then to what the other sites' rules say. */
  'sites.remove': {
    request: z.object({ id: Id }).strict(),
    result: z.object({ removed: z.boolean(), computers: z.number().int().nonnegative() }),
  },
  /** Set Site…: a site by hand (its id, or 'default'), which the rules no longer change; 'rules' gives the computers back to the rules. */
  'computers.setSite': {
    request: z.object({ ids: z.array(Id).min(1).max(MAX_BATCH), site: z.union([Id, z.literal('default'), z.literal('rules')]) }).strict(),
    result: z.object({ changed: z.number().int().nonnegative() }),
  },
} as const satisfies ChannelSpecs;
