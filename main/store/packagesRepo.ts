// Installation packages (docs/ARCHITECTURE.md §11, Packages). Creating one from an .msi is
// main/app/packageService.ts's job; this is storage.
import type { Package } from '../ipc/contract.js';
import type { Db } from './database.js';
import { compareBinary } from './computersRepo.js';

interface PackageRow {
  id: number;
  name: string;
  msi_file_name: string;
  msi_path: string;
  msi_size: number;
  msi_sha256: string;
  product_name: string | null;
  product_version: string | null;
  manufacturer: string | null;
  product_code: string | null;
  config_file_name: string | null;
  config_path: string | null;
  parameters: string;
  created_at: string;
}

export interface NewPackage {
  readonly name: string;
  readonly msiFileName: string;
  readonly msiPath: string;
  readonly msiSize: number;
  readonly msiSha256: string;
  readonly productName?: string | null;
  readonly productVersion?: string | null;
  readonly manufacturer?: string | null;
  readonly productCode?: string | null;
  readonly configFileName?: string | null;
  readonly configPath?: string | null;
  readonly parameters?: string;
}

function toPackage(row: PackageRow): Package {
  return {
    id: row.id,
    name: row.name,
    msiFileName: row.msi_file_name,
    msiSize: row.msi_size,
    msiSha256: row.msi_sha256,
    productName: row.product_name,
    productVersion: row.product_version,
    manufacturer: row.manufacturer,
    productCode: row.product_code,
    configFileName: row.config_file_name,
    parameters: row.parameters,
    createdAt: row.created_at,
  };
}

export class PackagesRepo {
  constructor(private readonly db: Db, private readonly now: () => Date = () => new Date()) {}

  /** By name in SQLite's byte order, then id, on both stores (PostgreSQL's collation may order names otherwise). */
  list(): Package[] {
    const rows = this.db.prepare('SELECT * FROM packages ORDER BY name, id').all() as PackageRow[];
    return rows.sort((a, b) => compareBinary(a.name, b.name) || a.id - b.id).map(toPackage);
  }

  add(p: NewPackage): Package {
    const row = this.db
      .prepare(
        `INSERT INTO packages (name, msi_file_name, msi_path, msi_size, msi_sha256, product_name, product_version,
           manufacturer, product_code, config_file_name, config_path, parameters, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
      )
      .get(
        p.name, p.msiFileName, p.msiPath, p.msiSize, p.msiSha256, p.productName ?? null, p.productVersion ?? null,
        p.manufacturer ?? null, p.productCode ?? null, p.configFileName ?? null, p.configPath ?? null,
        p.parameters ?? '', this.now().toISOString(),
      ) as PackageRow;
    return toPackage(row);
  }

  /** The files behind a package, for the package server (paths never leave main). */
  source(id: number): { msiFileName: string; msiPath: string; msiSize: number; msiSha256: string; configFileName: string | null; configPath: string | null; parameters: string; name: string } | undefined {
    const row = this.db.prepare('SELECT * FROM packages WHERE id = ?').get(id) as PackageRow | undefined;
    if (!row) return undefined;
    return {
      name: row.name, msiFileName: row.msi_file_name, msiPath: row.msi_path, msiSize: row.msi_size, msiSha256: row.msi_sha256,
      configFileName: row.config_file_name, configPath: row.config_path, parameters: row.parameters,
    };
  }

  /** How many tasks refer to each package. */
  usage(): Map<number, number> {
    const rows = this.db.prepare('SELECT package_id AS id, COUNT(*) AS n FROM tasks WHERE package_id IS NOT NULL GROUP BY package_id').all() as { id: number; n: number }[];
    return new Map(rows.map((r) => [r.id, r.n]));
  }

  /** Removes a package no task uses; returns false when it does not exist. */
  remove(id: number): boolean {
    return this.db.prepare('DELETE FROM packages WHERE id = ?').run(id).changes > 0;
  }

  /** How many packages share a stored file (duplicates share their files). */
  filesInUse(path: string): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM packages WHERE msi_path = ? OR config_path = ?').get(path, path) as { n: number }).n;
  }
}
