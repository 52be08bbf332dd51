// The events main pushes to the renderer: a target's progress, activity-log lines, a network
// scan's progress and the application menu's commands.
import { z } from 'zod';
import { Id, IsoTime, OutcomeSchema, TargetStateSchema } from './common.js';
import { ScanId } from './app.js';

export const MenuCommandSchema = z.enum([
  'tab.computers',
  'tab.history',
  'tab.packages',
  'tab.configuration',
  'properties',
  /** The Leftovers window: what pushes left on computers. */
  'leftovers',
]);
export type MenuCommand = z.infer<typeof MenuCommandSchema>;

export const eventChannels = {
  /** A target moved on: state, copy/download percentage. */
  'task.progress': z.object({
    taskId: Id,
    targetId: Id,
    state: TargetStateSchema,
    outcome: OutcomeSchema.nullable(),
    progress: z.number().min(0).max(100).nullable(),
  }),
  /** A line for the console's activity log (and, with a target, its step log). */
  'log.line': z.object({
    at: IsoTime,
    level: z.enum(['info', 'warning', 'error']),
    message: z.string(),
    taskId: Id.optional(),
    targetId: Id.optional(),
  }),
  /** A network scan moved on; `found` are the addresses that answered since the last event. */
  'scan.progress': z.object({
    scanId: ScanId,
    done: z.number().int().nonnegative(),
    total: z.number().int().positive(),
    found: z.array(z.string()),
    finished: z.boolean(),
    cancelled: z.boolean(),
  }),
  /** The application menu (Electron) asks the renderer to act: switch tab, open Properties. */
  'menu.command': z.object({ command: MenuCommandSchema }),
} as const satisfies Record<string, z.ZodType>;
