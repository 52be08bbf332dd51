// Main's side of the contract: every invocation, from Electron's ipcMain or from the browser
// bridge, goes through `dispatch`, which checks the sender, the channel and the payload before
// a handler runs, and parses the result so only declared fields leave the main process.
import {
  channels,
  isChannelName,
  type ChannelName,
  type Envelope,
  type ParsedRequestOf,
  type ResultOf,
} from './contract.js';
import { redact } from '../smb/auth/secretRegistry.js';
import { ConsoleError, toIpcError } from './errors.js';

export type Handlers = {
  [C in ChannelName]: (request: ParsedRequestOf<C>) => Promise<ResultOf<C>> | ResultOf<C>;
};

/** Who sent a request: the URL of the Electron frame, or the Origin of the browser page. */
export interface Sender {
  readonly shell: 'electron' | 'browser';
  readonly url: string;
}

export type SenderPolicy = (sender: Sender) => boolean;

export interface IpcRouter {
  dispatch(channel: unknown, payload: unknown, sender: Sender): Promise<Envelope<unknown>>;
}

export function createRouter(handlers: Handlers, isTrustedSender: SenderPolicy): IpcRouter {
  return {
    async dispatch(channel, payload, sender) {
      try {
        if (!isTrustedSender(sender)) {
          throw new ConsoleError(
            'ipc-sender',
            `Refused a request from an untrusted page (${sender.url || 'no URL'}).`,
            'Only the console\'s own window may call it. Close other pages that point at the console.',
          );
        }
        if (!isChannelName(channel)) {
          throw new ConsoleError(
            'ipc-contract',
            `Unknown channel: ${String(channel).slice(0, 100)}`,
            'The window and the console are from different versions. Restart the console.',
          );
        }
        const parsed = channels[channel].request.safeParse(payload);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
          throw new ConsoleError(
            'invalid-request',
            `Invalid request for ${channel}${where}: ${issue?.message ?? 'malformed'}`,
            'Check the values you entered and try again.',
          );
        }
        const handler = handlers[channel] as (request: unknown) => unknown;
        const result = await handler(parsed.data);
        return { ok: true, result: channels[channel].result.parse(result) };
      } catch (error) {
        // An error that echoes its input (a library's message, a path, a password) is
        // redacted of every secret this process has seen before it crosses IPC.
        const e = toIpcError(error);
        return { ok: false, error: { ...e, message: redact(e.message), advice: redact(e.advice) } };
      }
    },
  };
}

/** Electron: trust only frames showing the console's own renderer file. */
export function fileSenderPolicy(rendererIndexUrl: string): SenderPolicy {
  const expected = new URL(rendererIndexUrl);
  return (sender) => {
    if (sender.shell !== 'electron') return false;
    let actual: URL;
    try {
      actual = new URL(sender.url);
    } catch {
      return false;
    }
    return actual.protocol === 'file:' && actual.host === expected.host && actual.pathname === expected.pathname;
  };
}

/** Browser shell: trust only the exact origin the bridge serves (the bridge checks the token too). */
export function originSenderPolicy(origin: string): SenderPolicy {
  return (sender) => sender.shell === 'browser' && sender.url === origin;
}
