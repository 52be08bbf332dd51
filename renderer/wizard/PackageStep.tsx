// The wizard's Package step: the package to install, remove or repair (Create Package… makes one
// from an .msi), how each agent gets it (the transport), and the account msiexec runs as.
import { Alert, Box, Button, FormControlLabel, Radio, RadioGroup, Stack, Typography } from '@mui/material';
import { installsAs, type Package } from '../../main/ipc/contract';
import { DataTable, type Column } from '../components/DataTable';
import { formatBytes } from '../format';
import type { TaskDraft } from './draftProblem';
import type { ActionWords } from './taskWords';

const packageColumns: readonly Column<Package>[] = [
  { key: 'name', header: 'Package', width: '26%', render: (p) => p.name },
  { key: 'product', header: 'Product', render: (p) => [p.productName, p.productVersion].filter(Boolean).join(' ') || '—' },
  { key: 'manufacturer', header: 'Manufacturer', width: '18%', render: (p) => p.manufacturer ?? '—' },
  { key: 'msi', header: 'MSI', width: '22%', render: (p) => `${p.msiFileName} (${formatBytes(p.msiSize)})` },
  { key: 'config', header: 'Configuration', width: '12%', render: (p) => p.configFileName ?? 'none' },
];

export function PackageStep(props: { draft: TaskDraft; words: ActionWords; packages: readonly Package[]; onChange: (patch: Partial<TaskDraft>, clearProblem?: boolean) => void; onCreatePackage: () => void }) {
  const { draft, words, packages, onChange } = props;
  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', gap: 1, height: '100%' }}>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
        <Typography variant="subtitle2" sx={{ flex: 1 }} data-testid="wizard-package-title">
          {words.title}
        </Typography>
        <Button variant="outlined" onClick={props.onCreatePackage}>
          Create Package…
        </Button>
      </Stack>
      <DataTable
        label="Packages"
        testId="wizard-packages"
        columns={packageColumns}
        rows={packages}
        selected={draft.packageId === null ? [] : [draft.packageId]}
        multiSelect={false}
        onSelect={(ids) => {
          const id = ids[0] ?? null;
          onChange({ packageId: id, runAs: packages.find((p) => p.id === id)?.runAs ?? 'admin' }, true);
        }}
        empty="No packages yet. Create Package… from an .msi."
      />
      {draft.action !== 'install' && (
        <Typography variant="body2" color="text.secondary">
          The package's .msi is sent to each computer and checked as for an install: it names the product exactly.
        </Typography>
      )}
      <TransportChoice draft={draft} onChange={onChange} />
      <Typography variant="subtitle2">{words.runAs}</Typography>
      <RadioGroup row value={installsAs(draft.runAs, draft.transport)} onChange={(e) => onChange({ runAs: e.target.value as 'admin' | 'system' })}>
        <FormControlLabel value="admin" control={<Radio />} disabled={draft.transport === 'smb'} label="the administrator account of each computer's logon" />
        <FormControlLabel value="system" control={<Radio />} label="SYSTEM" />
      </RadioGroup>
    </Box>
  );
}

const TRANSPORT_HELP: Record<TaskDraft['transport'], string> = {
  auto: 'Each agent downloads the package from this console on the package server port; a computer whose agent cannot reach it gets the package copied over SMB instead.',
  callback: 'Each agent downloads the package from this console on the package server port (TCP 2224 by default) and reports back there.',
  smb: 'The package is copied to each computer\'s ADMIN$ share, and the agent installs it from there: only TCP 445 is needed.',
};

/** How agents get the package; the SMB transport installs as SYSTEM, which the wizard says where it matters. */
function TransportChoice(props: { draft: TaskDraft; onChange: (patch: Partial<TaskDraft>) => void }) {
  const { draft } = props;
  return (
    <>
      <Typography variant="subtitle2">Package delivery</Typography>
      <RadioGroup row value={draft.transport} onChange={(e) => props.onChange({ transport: e.target.value as TaskDraft['transport'] })} aria-label="Package delivery">
        <FormControlLabel value="auto" control={<Radio />} label="Automatic" />
        <FormControlLabel value="callback" control={<Radio />} label="Agent downloads from this console" />
        <FormControlLabel value="smb" control={<Radio />} label="Copy over SMB (ADMIN$)" />
      </RadioGroup>
      <Typography variant="body2" color="text.secondary" data-testid="wizard-transport-help">
        {TRANSPORT_HELP[draft.transport]}
      </Typography>
      {draft.runAs === 'admin' && draft.transport !== 'callback' && (
        <Alert severity="info" data-testid="wizard-transport-system">
          {draft.transport === 'smb'
            ? 'Copied over SMB, the package installs as SYSTEM: the account\'s password never travels in a file.'
            : 'A computer that gets its package over SMB installs it as SYSTEM (the account\'s password never travels in a file); the others install as the administrator account.'}
        </Alert>
      )}
    </>
  );
}
