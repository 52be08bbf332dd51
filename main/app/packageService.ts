// Installation packages (docs/ARCHITECTURE.md §11, Packages): inspect an .msi and its optional .xml
// configuration, create a package (files copied into the data folder with their SHA-256),
// duplicate one with other parameters, delete one no task uses. The per-package options the
// packages table has no column for (run as, the configuration's MSI property) are kept in
// package-options.json in the data folder.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import xml2js from 'xml2js';
import type { Package, PackageInspection, XmlProblem } from '../ipc/contract.js';
import { ConsoleError } from '../ipc/errors.js';
import { readMsiInfo } from '../msi/msiInfo.js';
import type { PackagesRepo } from '../store/packagesRepo.js';

export const MAX_CONFIG_BYTES = 1024 * 1024;
export const DEFAULT_CONFIG_FILE_NAME = 'cfg.xml';
/** The agent replaces it in the msiexec parameters with its work folder on the target, where the
 * MSI and the configuration are downloaded (agent/README.md, "The msiexec parameters"). */
export const AGENT_WORK_DIR_PLACEHOLDER = '%PUSHINSTALL_DIR%';

/** `PROP="%PUSHINSTALL_DIR%\cfg.xml"`: the configuration's full path on the target, not its bare
 * name — custom actions run in the Windows Installer service, whose current folder is System32. */
export function configPropertyParameter(property: string, configFileName: string): string {
  return `${property}="${AGENT_WORK_DIR_PLACEHOLDER}\\${configFileName}"`;
}

interface PackageOptions {
  runAs: 'admin' | 'system';
  configProperty: string | null;
}

/** Checks an XML configuration is well-formed; null when it is, else where it is not (1-based). */
export async function checkXml(text: string): Promise<XmlProblem | null> {
  if (text.trim() === '') return { message: 'The file is empty.', line: null, column: null };
  try {
    await new xml2js.Parser({ strict: true }).parseStringPromise(text);
    return null;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const line = /Line: (\d+)/.exec(message);
    const column = /Column: (\d+)/.exec(message);
    return {
      message: message.split('\n')[0] ?? message,
      line: line ? Number(line[1]) + 1 : null,
      column: column ? Number(column[1]) : null,
    };
  }
}

function fileProblem(what: string, file: string, error: unknown): ConsoleError {
  const code = (error as NodeJS.ErrnoException).code ?? null;
  return new ConsoleError(
    'file',
    `The ${what} ${file} cannot be read${code ? ` (${code})` : ''}.`,
    code === 'ENOENT' ? 'Check the path: the file is not there (any more).' : 'Check that the console may read the file, then try again.',
    code,
  );
}

function regularFile(what: string, file: string): fs.Stats {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    throw fileProblem(what, file, error);
  }
  if (!stat.isFile()) throw new ConsoleError('file', `${file} is not a file.`, `Choose the ${what} itself, not a folder.`);
  return stat;
}

/** msiexec parameters: one line, balanced quotes, and no switches that change what msiexec does. */
export function checkParameters(parameters: string): void {
  if (/[\r\n\0]/.test(parameters)) throw new ConsoleError('invalid-parameters', 'The parameters contain a line break.', 'Write every PROPERTY=value on one line, separated by spaces.');
  if ((parameters.match(/"/g)?.length ?? 0) % 2 !== 0) throw new ConsoleError('invalid-parameters', 'The parameters have an unmatched double quote.', 'Quote values with spaces like INSTALLDIR="C:\\Program Files\\App".');
  const sw = /(^|\s)\/(i|x|a|j|f|p|l|log|package|uninstall|quiet|passive|qn|qb|q)\b/i.exec(parameters);
  if (sw) throw new ConsoleError('invalid-parameters', `The parameters contain the msiexec switch ${sw[0].trim()}.`, 'The console runs msiexec /i … /qn /norestart /l*v itself; give only PROPERTY=value pairs.');
}

export class PackageService {
  private readonly optionsFile: string;

  constructor(private readonly dataDir: string, private readonly repo: PackagesRepo) {
    this.optionsFile = path.join(dataDir, 'package-options.json');
  }

  private readOptions(): Record<string, PackageOptions> {
    try {
      return JSON.parse(fs.readFileSync(this.optionsFile, 'utf8')) as Record<string, PackageOptions>;
    } catch {
      return {};
    }
  }

  private writeOptions(all: Record<string, PackageOptions>): void {
    const tmp = `${this.optionsFile}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(all, null, 2));
    fs.renameSync(tmp, this.optionsFile);
  }

  list(): Package[] {
    const options = this.readOptions();
    const usage = this.repo.usage();
    return this.repo.list().map((p) => ({
      ...p,
      runAs: options[p.id]?.runAs ?? 'admin',
      configProperty: options[p.id]?.configProperty ?? null,
      usedByTasks: usage.get(p.id) ?? 0,
    }));
  }

  private get(id: number): Package {
    const found = this.list().find((p) => p.id === id);
    if (!found) throw new ConsoleError('not-found', `Package ${id} does not exist.`, 'Refresh the Packages tab.');
    return found;
  }

  async inspect(msiPath: string, configPath?: string): Promise<PackageInspection> {
    const stat = regularFile('installer package', msiPath);
    const msi = readMsiInfo(msiPath);
    let config: PackageInspection['config'] = null;
    if (configPath) {
      const cfg = regularFile('configuration file', configPath);
      if (cfg.size > MAX_CONFIG_BYTES) throw new ConsoleError('config-xml', `The configuration file is ${cfg.size} bytes; at most 1 MB is accepted.`, 'Choose the product\'s XML configuration, not another file.');
      config = { fileName: path.basename(configPath), size: cfg.size, problem: await checkXml(fs.readFileSync(configPath, 'utf8')) };
    }
    return { msiFileName: path.basename(msiPath), msiSize: stat.size, msi, config };
  }

  async create(request: {
    name: string; msiPath: string; configPath?: string | undefined; configFileName?: string | undefined; configProperty?: string | undefined;
    parameters: string; runAs: 'admin' | 'system';
  }): Promise<Package> {
    checkParameters(request.parameters);
    const inspection = await this.inspect(request.msiPath, request.configPath);
    if (inspection.config?.problem) {
      const p = inspection.config.problem;
      throw new ConsoleError(
        'config-xml',
        `The configuration file ${inspection.config.fileName} is not well-formed XML${p.line !== null ? ` (line ${p.line}, column ${p.column ?? '?'})` : ''}: ${p.message}`,
        'Fix the XML (or export it again from the product\'s configuration editor) and choose it again.',
      );
    }
    if (request.configProperty && !request.configPath) throw new ConsoleError('invalid-request', 'An MSI property for the configuration was given, but no configuration file.', 'Choose the .xml file, or leave the property empty.');
    const folder = path.join(this.dataDir, 'packages', `pkg-${Date.now().toString(36)}-${crypto.randomBytes(4).toString('hex')}`);
    fs.mkdirSync(folder, { recursive: true });
    try {
      const msiTarget = path.join(folder, inspection.msiFileName);
      const hash = crypto.createHash('sha256');
      await pipeline(fs.createReadStream(request.msiPath), async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          hash.update(chunk);
          yield chunk;
        }
      }, fs.createWriteStream(msiTarget, { flags: 'wx' }));
      let configFileName: string | null = null;
      let configTarget: string | null = null;
      if (request.configPath) {
        configFileName = request.configFileName ?? DEFAULT_CONFIG_FILE_NAME;
        if (configFileName.toLowerCase() === inspection.msiFileName.toLowerCase()) throw new ConsoleError('invalid-request', 'The configuration file cannot have the MSI\'s name.', 'Name it cfg.xml or after the product.');
        configTarget = path.join(folder, configFileName);
        fs.copyFileSync(request.configPath, configTarget, fs.constants.COPYFILE_EXCL);
      }
      const parameters = [request.parameters.trim(), request.configProperty && configFileName ? configPropertyParameter(request.configProperty, configFileName) : '']
        .filter(Boolean)
        .join(' ');
      const stored = this.repo.add({
        name: request.name,
        msiFileName: inspection.msiFileName,
        msiPath: msiTarget,
        msiSize: fs.statSync(msiTarget).size,
        msiSha256: hash.digest('hex'),
        productName: inspection.msi.productName,
        productVersion: inspection.msi.productVersion,
        manufacturer: inspection.msi.manufacturer,
        productCode: inspection.msi.productCode,
        configFileName,
        configPath: configTarget,
        parameters,
      });
      const all = this.readOptions();
      all[stored.id] = { runAs: request.runAs, configProperty: request.configProperty ?? null };
      this.writeOptions(all);
      return this.get(stored.id);
    } catch (error) {
      fs.rmSync(folder, { recursive: true, force: true });
      throw error;
    }
  }

  /** A new package over the same stored files (they are immutable), with its own name and options. */
  duplicate(request: { id: number; name: string; parameters?: string | undefined; runAs?: 'admin' | 'system' | undefined }): Package {
    const original = this.get(request.id);
    const source = this.repo.source(request.id)!;
    const parameters = request.parameters ?? original.parameters;
    checkParameters(parameters);
    const stored = this.repo.add({
      name: request.name,
      msiFileName: source.msiFileName,
      msiPath: source.msiPath,
      msiSize: source.msiSize,
      msiSha256: source.msiSha256,
      productName: original.productName,
      productVersion: original.productVersion,
      manufacturer: original.manufacturer,
      productCode: original.productCode,
      configFileName: source.configFileName,
      configPath: source.configPath,
      parameters,
    });
    const all = this.readOptions();
    all[stored.id] = { runAs: request.runAs ?? original.runAs ?? 'admin', configProperty: original.configProperty ?? null };
    this.writeOptions(all);
    return this.get(stored.id);
  }

  /** Deletes a package no task uses; its files go when no other package shares them. */
  remove(id: number): boolean {
    const pkg = this.get(id);
    if ((pkg.usedByTasks ?? 0) > 0) {
      throw new ConsoleError(
        'package-in-use',
        `"${pkg.name}" is used by ${pkg.usedByTasks} task(s) and cannot be deleted.`,
        'Installation History keeps what each task installed. Duplicate the package to change it; delete it once its tasks are gone.',
      );
    }
    const source = this.repo.source(id)!;
    this.repo.remove(id);
    const all = this.readOptions();
    delete all[id];
    this.writeOptions(all);
    const packagesRoot = path.join(this.dataDir, 'packages');
    const folder = path.dirname(source.msiPath);
    if (this.repo.filesInUse(source.msiPath) === 0 && path.dirname(folder) === packagesRoot) fs.rmSync(folder, { recursive: true, force: true });
    return true;
  }
}
