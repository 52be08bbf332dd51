// The Packages tab's channels: the list, inspecting an MSI and its XML before creating a
// package, creating, duplicating and deleting one.
import { z } from 'zod';
import { FilePath, Id, IsoTime, NoRequest, type ChannelSpecs } from './common.js';

export const PackageSchema = z.object({
  id: Id,
  name: z.string(),
  msiFileName: z.string(),
  msiSize: z.number().int().nonnegative(),
  msiSha256: z.string(),
  productName: z.string().nullable(),
  productVersion: z.string().nullable(),
  manufacturer: z.string().nullable(),
  productCode: z.string().nullable(),
  configFileName: z.string().nullable(),
  parameters: z.string(),
  createdAt: IsoTime,
  /** How the package installs by default (a task may choose otherwise). */
  runAs: z.enum(['admin', 'system']).optional(),
  /** The MSI property that names the configuration file, when the XML is applied through one. */
  configProperty: z.string().nullable().optional(),
  /** How many tasks use it (a used package cannot be deleted). */
  usedByTasks: z.number().int().nonnegative().optional(),
});
export type Package = z.infer<typeof PackageSchema>;

/** A line the XML parser refused, where it is (1-based). */
export const XmlProblemSchema = z.object({ message: z.string(), line: z.number().int().nullable(), column: z.number().int().nullable() });
export type XmlProblem = z.infer<typeof XmlProblemSchema>;

/** What an .msi says about itself (its Property table). */
export const MsiInfoSchema = z.object({
  productName: z.string().nullable(),
  productVersion: z.string().nullable(),
  manufacturer: z.string().nullable(),
  productCode: z.string().nullable(),
  upgradeCode: z.string().nullable(),
  productLanguage: z.string().nullable(),
  propertyCount: z.number().int().nonnegative(),
});
export type MsiInfo = z.infer<typeof MsiInfoSchema>;

export const PackageInspectionSchema = z.object({
  msiFileName: z.string(),
  msiSize: z.number().int().nonnegative(),
  msi: MsiInfoSchema,
  config: z.object({ fileName: z.string(), size: z.number().int().nonnegative(), problem: XmlProblemSchema.nullable() }).nullable(),
});
export type PackageInspection = z.infer<typeof PackageInspectionSchema>;

export const packagesChannels = {
  'packages.list': { request: NoRequest, result: z.array(PackageSchema) },
  'packages.inspect': {
    request: z.object({ msiPath: FilePath, configPath: FilePath.optional() }).strict(),
    result: PackageInspectionSchema,
  },
  'packages.create': {
    request: z
      .object({
        name: z.string().trim().min(1).max(128),
        msiPath: FilePath,
        configPath: FilePath.optional(),
        /** The name the XML gets beside the MSI on the target (default cfg.xml). */
        configFileName: z.string().trim().regex(/^[A-Za-z0-9 _.-]{1,64}\.xml$/i).optional(),
        /** An MSI property that receives the configuration file's name (e.g. CONFIGFILE). */
        configProperty: z.string().trim().regex(/^[A-Za-z_][A-Za-z0-9_.]{0,71}$/).optional(),
        parameters: z.string().max(2048),
        runAs: z.enum(['admin', 'system']),
      })
      .strict(),
    result: PackageSchema,
  },
  'packages.duplicate': {
    request: z
      .object({ id: Id, name: z.string().trim().min(1).max(128), parameters: z.string().max(2048).optional(), runAs: z.enum(['admin', 'system']).optional() })
      .strict(),
    result: PackageSchema,
  },
  'packages.remove': { request: z.object({ id: Id }).strict(), result: z.object({ removed: z.boolean() }) },
} as const satisfies ChannelSpecs;
