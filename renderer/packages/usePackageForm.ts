// Create Package's form: its fields, the .msi (and .xml) inspected by main a moment after a path
// changes (the product names the package until the admin does), what keeps Create disabled, and Create.
import { useEffect, useState } from 'react';
import type { IpcError, Package, PackageInspection } from '../../main/ipc/contract';
import { reloadPackages, request } from '../state/actions';

export interface PackageFields {
  readonly msiPath: string;
  readonly configPath: string;
  readonly name: string;
  readonly configFileName: string;
  readonly useProperty: boolean;
  readonly property: string;
  readonly parameters: string;
  readonly runAs: 'admin' | 'system';
}

/** What main reads from the .msi (and checks in the .xml) while the paths are typed. */
function usePackageInspection(msiPath: string, configPath: string) {
  const [inspection, setInspection] = useState<PackageInspection | null>(null);
  const [inspectError, setInspectError] = useState<IpcError | null>(null);
  useEffect(() => {
    if (!msiPath.trim()) {
      setInspection(null);
      setInspectError(null);
      return;
    }
    let live = true;
    const timer = setTimeout(() => {
      void request('packages.inspect', { msiPath: msiPath.trim(), ...(configPath.trim() ? { configPath: configPath.trim() } : {}) }).then((r) => {
        if (!live) return;
        setInspection(r.ok ? r.result : null);
        setInspectError(r.ok ? null : r.error);
      });
    }, 250);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [msiPath, configPath]);
  return { inspection, inspectError };
}

export function usePackageForm(onCreated: (pkg: Package) => void) {
  const [fields, setFields] = useState<PackageFields>({ msiPath: '', configPath: '', name: '', configFileName: 'cfg.xml', useProperty: false, property: 'CONFIGFILE', parameters: '', runAs: 'admin' });
  const [nameEdited, setNameEdited] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);
  const [busy, setBusy] = useState(false);
  const { msiPath, configPath } = fields;
  const { inspection, inspectError } = usePackageInspection(msiPath, configPath);
  useEffect(() => setError(null), [msiPath, configPath, nameEdited]);
  // The product and its version name the package until the admin names it.
  useEffect(() => {
    if (inspection && !nameEdited) setFields((f) => ({ ...f, name: [inspection.msi.productName, inspection.msi.productVersion].filter(Boolean).join(' ') || inspection.msiFileName.replace(/\.msi$/i, '') }));
  }, [inspection, nameEdited]);

  const change = (patch: Partial<PackageFields>) => {
    if ('name' in patch) setNameEdited(true);
    setFields((f) => ({ ...f, ...patch }));
  };
  const create = async () => {
    setBusy(true);
    setError(null);
    const r = await request('packages.create', createRequest(fields));
    setBusy(false);
    if (!r.ok) return setError(r.error);
    await reloadPackages();
    onCreated(r.result);
  };
  return { fields, change, inspection, inspectError, error, busy, problems: packageProblems(fields), create };
}

function createRequest(f: PackageFields) {
  return {
    name: f.name.trim(),
    msiPath: f.msiPath.trim(),
    parameters: f.parameters.trim(),
    runAs: f.runAs,
    ...(f.configPath.trim() ? { configPath: f.configPath.trim(), configFileName: f.configFileName.trim() } : {}),
    ...(f.configPath.trim() && f.useProperty ? { configProperty: f.property.trim() } : {}),
  };
}

/** What keeps Create disabled, in words; the first is shown beside it. */
function packageProblems(f: PackageFields): string[] {
  const problems: string[] = [];
  if (!f.msiPath.trim()) problems.push('Choose the .msi file.');
  if (!f.name.trim()) problems.push('Name the package.');
  if (f.configPath.trim() && !/^[A-Za-z0-9 _.-]{1,64}\.xml$/i.test(f.configFileName.trim())) problems.push('The configuration file name must end in .xml (letters, digits, space, _ . -).');
  if (f.useProperty && !/^[A-Za-z_][A-Za-z0-9_.]{0,71}$/.test(f.property.trim())) problems.push('An MSI property name starts with a letter or _ (e.g. CONFIGFILE).');
  return problems;
}
