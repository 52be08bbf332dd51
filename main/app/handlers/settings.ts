// The Configuration tab's settings (services.ts wraps settings.update to start or stop the lab).
import { activityLog, type DomainHandlers, type HandlerDeps } from './common.js';

export function createSettingsHandlers(deps: HandlerDeps): DomainHandlers<'settings'> {
  const info = activityLog(deps);
  return {
    'settings.get': () => deps.settings.get(),
    'settings.update': (changes) => {
      const next = deps.settings.update(changes);
      info(`Settings saved (${Object.keys(changes).join(', ') || 'no changes'}).`);
      return next;
    },
  };
}
