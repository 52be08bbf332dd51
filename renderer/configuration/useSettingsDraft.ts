// The Configuration tab's draft of the settings: loaded from main's, edited as text, what differs
// from what is saved (numbers compared as numbers), Save and Revert.
import { useEffect, useState } from 'react';
import type { Settings } from '../../main/ipc/contract';
import { saveSettings } from '../state/actions';

/** A setting as its field holds it: text for numbers, a boolean for switches. */
export type SettingsDraft = Record<string, string | boolean>;

function toDraft(settings: Settings): SettingsDraft {
  return Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, typeof v === 'boolean' ? v : String(v)]));
}

/** What the draft changes, typed as the settings are (an empty number is NaN: main refuses it with advice). */
function changesOf(settings: Settings, draft: SettingsDraft): Partial<Settings> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(draft)) {
    const current = settings[key as keyof Settings];
    const next = typeof current === 'number' ? (String(value).trim() === '' ? NaN : Number(value)) : value;
    if (next !== current) out[key] = next;
  }
  return out as Partial<Settings>;
}

export function useSettingsDraft(settings: Settings | null) {
  const [draft, setDraft] = useState<SettingsDraft>({});
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (!settings) return;
    setDraft(toDraft(settings));
  }, [settings]);

  const dirty = settings !== null && Object.keys(changesOf(settings, draft)).length > 0;
  return {
    draft,
    saved,
    dirty,
    /** A field changed: "Settings saved." goes until the next Save. */
    edit: (patch: SettingsDraft) => {
      setSaved(false);
      setDraft((d) => ({ ...d, ...patch }));
    },
    /** A choice changed (callback address, switches): the saved notice stays until Save. */
    set: (patch: SettingsDraft) => setDraft((d) => ({ ...d, ...patch })),
    save: async () => {
      if (!settings) return;
      setSaved(false);
      if (await saveSettings(changesOf(settings, draft))) setSaved(true);
    },
    revert: () => settings && setDraft(toDraft(settings)),
  };
}
