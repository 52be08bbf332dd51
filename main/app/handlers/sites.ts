// The sites' channels (main/ipc/contract/sites.ts): the list with each site's computers, adding,
// changing and removing a site (its computers move with the rules), Set Site… on computers, and
// the push workers that serve the sites (a read of the workers table).
// The rules and their checks are main/store/sitesRepo.ts's.
import { ConsoleError } from '../../ipc/errors.js';
import { activityLog, type DomainHandlers, type HandlerDeps } from './common.js';

export function createSitesHandlers(deps: HandlerDeps): DomainHandlers<'sites'> {
  const info = activityLog(deps);
  return {
    'sites.list': () => deps.sites.list(),
    'workers.list': () => deps.sites.workers(),
    'sites.add': ({ name, cidrs, adSite }) => {
      const site = deps.sites.add(name, { cidrs: cidrs ?? [], adSite: adSite ?? null });
      info(`Added the site "${site.name}" (${site.computers} computer(s)).`);
      return site;
    },
    'sites.update': ({ id, name, cidrs, adSite }) => {
      const site = deps.sites.update(id, { ...(name !== undefined ? { name } : {}), ...(cidrs !== undefined ? { cidrs } : {}), ...(adSite !== undefined ? { adSite } : {}) });
      info(`Changed the site "${site.name}" (${site.computers} computer(s)).`);
      return site;
    },
    'sites.remove': ({ id }) => {
      const name = deps.sites.get(id)?.name;
      const removed = deps.sites.remove(id);
      if (!removed) return { removed: false, computers: 0 };
      info(`Removed the site "${name ?? id}"; its ${removed.computers} computer(s) went back to the default site or the rules.`);
      return { removed: true, computers: removed.computers };
    },
    'computers.setSite': ({ ids, site }) => {
      if (site === 'rules') return { changed: deps.sites.releaseToRules(ids) };
      const siteId = site === 'default' ? null : site;
      if (siteId !== null && !deps.sites.get(siteId)) throw new ConsoleError('not-found', `There is no site ${siteId}.`, 'Refresh the list of sites: it may have been removed meanwhile.');
      return { changed: deps.sites.setSiteByHand(ids, siteId) };
    },
  };
}
