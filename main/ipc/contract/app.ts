// The console itself and what it reaches on its own computer and network: About (app.info), this
// computer's addresses (Configuration's callback address), the server-side file chooser, and the
// two ways of finding computers before adding them — a network scan and Active Directory (the
// Computers tab's Scan Network… and Import from Active Directory…, which then call computers.add).
import { z } from 'zod';
import { FilePath, NoRequest, type ChannelSpecs } from './common.js';
import { ServerAccountSchema } from './server.js';

export const AppInfoSchema = z.object({
  productName: z.string(),
  version: z.string(),
  shell: z.enum(['electron', 'browser']),
  dataDir: z.string(),
  databaseSchemaVersion: z.number().int(),
  /** The simulated lab when it runs: its hosts and its (simulated, not secret) administrator account. */
  lab: z
    .object({ hosts: z.number().int(), group: z.string(), user: z.string(), password: z.string(), port: z.number().int() })
    .nullable()
    .optional(),
  /** Where remembered credentials go: the OS keychain, or memory only (and why). */
  credentialStorage: z.object({ storage: z.enum(['keychain', 'memory']), problem: z.string().nullable() }).optional(),
  /** The Push Install Server this console is connected to and as whom; null when it works on its own store. */
  server: ServerAccountSchema.nullable().optional(),
});
export type AppInfo = z.infer<typeof AppInfoSchema>;

/** A folder's entries for the server-side file chooser: names and sizes, never contents. */
export const FolderListingSchema = z.object({
  path: z.string(),
  parent: z.string().nullable(),
  entries: z.array(z.object({ name: z.string(), kind: z.enum(['file', 'folder']), size: z.number().int().nonnegative().nullable() })),
  places: z.array(z.object({ label: z.string(), path: z.string() })),
  truncated: z.boolean(),
});
export type FolderListing = z.infer<typeof FolderListingSchema>;

/** A computer found in the directory (Active Directory import). */
export const DirectoryComputerSchema = z.object({
  name: z.string(),
  dnsName: z.string().nullable(),
  os: z.string().nullable(),
  dn: z.string(),
});
export type DirectoryComputer = z.infer<typeof DirectoryComputerSchema>;

export const ScanId = z.string().regex(/^[a-z0-9-]{1,40}$/);

export const appChannels = {
  'app.info': { request: NoRequest, result: AppInfoSchema },
  /** This computer's network addresses, for the agents' callback address (Configuration). */
  'app.networkAddresses': {
    request: NoRequest,
    result: z.array(z.object({ interface: z.string(), address: z.string(), family: z.enum(['IPv4', 'IPv6']), internal: z.boolean() })),
  },
  'files.list': {
    request: z.object({ path: FilePath.optional(), extensions: z.array(z.string().regex(/^[a-z0-9]{1,8}$/i)).max(8).optional() }).strict(),
    result: FolderListingSchema,
  },
  /** Electron's open dialog where the shell has one; `supported: false` in the browser shell. */
  'files.chooseNative': {
    request: z.object({ title: z.string().max(128), extensions: z.array(z.string().regex(/^[a-z0-9]{1,8}$/i)).max(8) }).strict(),
    result: z.object({ supported: z.boolean(), path: z.string().nullable() }),
  },
  /** A TCP 445 probe of a range; progress arrives as scan.progress events. */
  'scan.start': {
    request: z.object({ range: z.string().trim().min(1).max(200), port: z.number().int().min(1).max(65535).optional() }).strict(),
    result: z.object({ scanId: ScanId, total: z.number().int().positive() }),
  },
  'scan.cancel': { request: z.object({ scanId: ScanId }).strict(), result: z.object({ ok: z.boolean() }) },
  'directory.search': {
    request: z
      .object({
        /** ldap://host:port or ldaps://host:port */
        url: z.string().trim().regex(/^ldaps?:\/\/[^\s/]+\/?$/i),
        baseDn: z.string().trim().min(1).max(1024),
        bindDn: z.string().trim().max(1024),
        password: z.string().max(256),
        /** An OU (DN) under the base to search instead, optional. */
        ou: z.string().trim().max(1024).optional(),
        /** LDAPS: accept a self-signed certificate (lab directories). */
        allowUntrusted: z.boolean().optional(),
      })
      .strict(),
    result: z.object({ computers: z.array(DirectoryComputerSchema), truncated: z.boolean() }),
  },
} as const satisfies ChannelSpecs;
