// The History tab's exports: a task's results as CSV, its step and MSI logs as a ZIP.
import { z } from 'zod';
import { Id, MAX_BATCH, type ChannelSpecs } from './common.js';

export const historyChannels = {
  'history.exportCsv': {
    request: z.object({ taskId: Id }).strict(),
    result: z.object({ fileName: z.string(), text: z.string() }),
  },
  /** A ZIP of the step logs and MSI logs of a task's targets (or the chosen ones). */
  'history.exportLogs': {
    request: z.object({ taskId: Id, targetIds: z.array(Id).max(MAX_BATCH).optional() }).strict(),
    result: z.object({ fileName: z.string(), base64: z.string(), bytes: z.number().int().nonnegative(), entries: z.number().int().nonnegative() }),
  },
} as const satisfies ChannelSpecs;
