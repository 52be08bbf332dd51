// The Configuration tab's settings: each field's rule, the defaults, reading and changing them.
import { z } from 'zod';
import { NoRequest, type ChannelSpecs } from './common.js';

/** Remote Install settings (docs/ARCHITECTURE.md §11): each field's rule, without defaults. */
const settingsShape = {
  maxConcurrentPushes: z.number().int().min(1).max(200),
  connectTimeoutSeconds: z.number().int().min(1).max(60),
  agentCallbackTimeoutSeconds: z.number().int().min(10).max(3600),
  installTimeoutMinutes: z.number().int().min(1).max(720),
  packageServerPort: z.number().int().min(1).max(65535),
  callbackAddress: z.string().max(253),
  retryCount: z.number().int().min(0).max(20),
  retryIntervalMinutes: z.number().int().min(1).max(1440),
  logRetentionDays: z.number().int().min(1).max(3650),
  encryptWhenSupported: z.boolean(),
  /** The auto transport switches a computer to SMB when its agent has not called back this long after its service runs. */
  autoFallbackSeconds: z.number().int().min(5).max(600),
  /** SMB transport: package copies to computers at the same time (the console's uplink). */
  packageCopyConcurrency: z.number().int().min(1).max(100),
  /**
   * How the console logs on to computers: negotiate (Kerberos for a computer named by DNS name with a
   * domain credential, NTLMv2 otherwise or when Kerberos cannot be had), kerberos-only (never NTLM:
   * domains that block it), ntlm-only.
   */
  authentication: z.enum(['negotiate', 'kerberos-only', 'ntlm-only']),
  /** Kerberos KDCs (domain controllers), `host[:port]` separated by commas; empty: DNS SRV _kerberos._tcp.<realm>. */
  kdcAddresses: z.string().max(2000).regex(/^[\w.:\[\]\-,\s]*$/, 'host[:port] entries separated by commas'),
  /** NetBIOS domain → Kerberos realm, `CORP=CORP.EXAMPLE.COM` separated by commas (for DOMAIN\user credentials). */
  kerberosRealms: z.string().max(2000).regex(/^[\w.\-=,\s]*$/, 'DOMAIN=REALM pairs separated by commas'),
  /** Run the simulated lab of Windows hosts inside the console (the first-run demo). */
  simulatedLab: z.boolean(),
};
export const SettingsSchema = z.object(settingsShape);
export type Settings = z.infer<typeof SettingsSchema>;

/** What a console that was never configured uses; both shells agree because both read this. */
export const defaultSettings: Readonly<Settings> = Object.freeze({
  maxConcurrentPushes: 20,
  connectTimeoutSeconds: 5,
  agentCallbackTimeoutSeconds: 120,
  installTimeoutMinutes: 60,
  packageServerPort: 2224,
  callbackAddress: '',
  retryCount: 0,
  retryIntervalMinutes: 15,
  logRetentionDays: 90,
  encryptWhenSupported: true,
  autoFallbackSeconds: 20,
  packageCopyConcurrency: 10,
  authentication: 'negotiate',
  kdcAddresses: '',
  kerberosRealms: '',
  simulatedLab: true,
});

/** A change to some settings: only the keys sent, each by its rule (no defaults filled in). */
export const SettingsChangesSchema = SettingsSchema.partial().strict();

export const settingsChannels = {
  'settings.get': { request: NoRequest, result: SettingsSchema },
  'settings.update': {
    request: SettingsChangesSchema,
    result: SettingsSchema,
  },
} as const satisfies ChannelSpecs;
