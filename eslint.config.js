// Lint: typescript-eslint's recommended rules plus the project's import boundaries
// (DESIGN.md §5, STYLE.md): `electron` only where Electron is wired, raw ipcMain/ipcRenderer only
// in the two wiring files, and the renderer reaching into main/ only for the IPC contract.
import tseslint from 'typescript-eslint';

const ELECTRON_MESSAGE =
  'Only the Electron wiring (main/electron/, preload/) may import electron: engine, protocol, store and server code must run in plain Node.';
const RAW_IPC_MESSAGE =
  'Use the typed contract: main/electron/ipcWiring.ts is the only user of ipcMain, preload/preload.ts the only user of ipcRenderer.';

const noElectronSyntax = [
  { selector: "CallExpression[callee.name='require'][arguments.0.value=/^electron(\\/|$)/]", message: ELECTRON_MESSAGE },
  { selector: "ImportExpression[source.value=/^electron(\\/|$)/]", message: ELECTRON_MESSAGE },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-output/**', 'agent/**', 'test/fixtures/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx,js,mjs,cjs}'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'electron', message: ELECTRON_MESSAGE }], patterns: [{ group: ['electron/*'], message: ELECTRON_MESSAGE }] },
      ],
      'no-restricted-syntax': ['error', ...noElectronSyntax],
    },
  },
  {
    // The Electron wiring may import electron, but not the raw IPC objects.
    files: ['main/electron/**/*.ts', 'preload/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', importNames: ['ipcMain', 'ipcRenderer'], message: RAW_IPC_MESSAGE }] }],
      'no-restricted-syntax': ['error', { selector: 'MemberExpression[property.name=/^(ipcMain|ipcRenderer)$/]', message: RAW_IPC_MESSAGE }],
    },
  },
  {
    files: ['main/electron/ipcWiring.ts', 'preload/preload.ts'],
    rules: { 'no-restricted-imports': 'off', 'no-restricted-syntax': 'off' },
  },
  {
    // The renderer is browser code: no electron, and from main/ only the runtime-neutral IPC modules.
    files: ['renderer/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The renderer talks to main through window.pushConsole only.' }],
          patterns: [
            {
              regex: '^(\\.\\./)+main/(?!ipc/(contract|apiClient|errors|bridgeProtocol)(\\.js)?$)',
              message: 'The renderer may import from main/ only the IPC contract modules (main/ipc/contract, apiClient, errors, bridgeProtocol).',
            },
            { group: ['node:*'], message: 'The renderer runs in a browser: no Node modules.' },
          ],
        },
      ],
    },
  },
  {
    files: ['scripts/**/*.mjs', 'eslint.config.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
