// The events main pushes to the renderer: a target's progress, activity-log lines, a network
// scan's progress, the application menu's commands, and the connection to a Push Install Server.
import { z } from 'zod';
import { Id, IsoTime, OutcomeSchema, TargetStateSchema } from './common.js';
import { ScanId } from './app.js';
import { ServerStatusSchema } from './server.js';

export const MenuCommandSchema = z.enum([
  'tab.computers',
  'tab.history',
  'tab.packages',
  'tab.configuration',
  'properties',
  /** The Leftovers window: what pushes left on computers. */
  'leftovers',
  /** File → Connect to Server…, Disconnect from Server. */
  'server.connect',
  'server.disconnect',
  /** The Audit Trail window (a Push Install Server's administrators). */
  'audit',
  /** The Sites window: the sites computers belong to, and their rules. */
  'sites',
  /** The Workers window: the push workers, their site and heartbeat. */
  'workers',
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
  /** The connection to a Push Install Server changed: connected, lost (reconnecting), failed, back to local. */
  'server.status': ServerStatusSchema,
  /**
   * What the windows list now comes from another store (connected, reconnected after a loss,
   * disconnected): every list is read again and what was selected or cached is dropped.
   */
  'data.reload': z.object({ reason: z.enum(['connected', 'reconnected', 'disconnected']) }),
  /** A Push Install Server's lists another console changed (computers added, a credential set…): read them again. */
  'data.changed': z.object({ lists: z.array(z.enum(['computers', 'credentials', 'packages', 'tasks', 'settings', 'sites'])).min(1) }),
} as const satisfies Record<string, z.ZodType>;
