// Lint: typescript-eslint's recommended rules plus the project's import boundaries
// (docs/ARCHITECTURE.md §9): `electron` only where Electron is wired, raw ipcMain/ipcRenderer only
// in the two wiring files, the renderer reaching into main/ only for the IPC contract, and the
// layering inside main/ (protocol < engine < app < shells; nothing but the lab imports the lab).
import tseslint from 'typescript-eslint';

const ELECTRON_MESSAGE =
  'Only the Electron wiring (main/electron/, preload/) may import electron: engine, protocol, store and server code must run in plain Node.';
const RAW_IPC_MESSAGE =
  'Use the typed contract: main/electron/ipcWiring.ts is the only user of ipcMain, preload/preload.ts the only user of ipcRenderer.';

const noElectronSyntax = [
  { selector: "CallExpression[callee.name='require'][arguments.0.value=/^electron(\\/|$)/]", message: ELECTRON_MESSAGE },
  { selector: "ImportExpression[source.value=/^electron(\\/|$)/]", message: ELECTRON_MESSAGE },
];
const noElectronImports = {
  paths: [{ name: 'electron', message: ELECTRON_MESSAGE }],
  patterns: [{ group: ['electron/*'], message: ELECTRON_MESSAGE }],
};

// Layering inside main/, lowest first:
//   protocol (smb/, rpc/, msi/)  <  engine/  <  app/  <  the shells (browser/, electron/, cli/)
// and the simulated lab (lab/) beside them: the lab may import protocol and engine code, never the
// reverse. A layer may import the layers below it, never those above. main/ipc/ is not a layer
// here: its errors module is the shared leaf every layer may import (ipc/contract is types).
//
// The rules match relative specifiers that climb to main/ and enter a layer's folder
// ('../engine/x.js' from main/smb/, '../../engine/x.js' from main/smb/codec/); they assume no
// folder of a restricted layer has a subfolder named like a layer (true today: smb/{auth,codec,crypto}).
// Static imports, `export … from` and `import x = require()` go through no-restricted-imports
// (type-only imports too: a type is a dependency), import() and require() through no-restricted-syntax.
const SRC = '{ts,tsx,js,mjs,cjs}';
const PROTOCOL_FILES = [`main/smb/**/*.${SRC}`, `main/rpc/**/*.${SRC}`, `main/msi/**/*.${SRC}`];

/** Layers (folders of main/) a rule forbids, and the one message that explains it. */
const PROTOCOL_UP = {
  layers: ['engine', 'app', 'store', 'server', 'browser', 'electron', 'cli'],
  message: 'Protocol code (main/smb, main/rpc, main/msi) is the lowest layer: it may import protocol code, main/ipc/errors and Node, not main/engine, app, store, server or the shells (browser, electron, cli).',
};
const ENGINE_UP = {
  layers: ['app', 'browser', 'electron', 'cli'],
  message: 'main/engine sits below main/app and the shells: it must not import main/app, browser, electron or cli.',
};
const APP_UP = {
  layers: ['browser', 'electron', 'cli'],
  message: 'main/app is shared by the shells: it must not import a shell (main/browser, main/electron, main/cli).',
};
const NO_LAB = {
  layers: ['lab'],
  message: 'The simulated lab imports protocol and engine code, not the reverse: protocol code and main/engine must not import main/lab.',
};

/** The regex for a relative specifier into one of `layers`, except the main/-relative `allowed` modules. */
function layerRegex({ layers }, allowed = []) {
  const escaped = allowed.map((m) => m.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  const except = escaped.length ? `(?!(?:${escaped.join('|')})(?:\\.[cm]?[jt]sx?)?$)` : '';
  return `^(?:\\.\\/)?(?:\\.\\.\\/)+${except}(?:${layers.join('|')})(?:\\/|$)`;
}

/**
 * The no-restricted-imports and no-restricted-syntax settings that enforce `rules` (layer rules
 * above, each optionally with `allowed` exceptions). A later config object replaces a rule's whole
 * setting, so the electron restriction every file has is restated here.
 */
function layerRules(rules) {
  const forbidden = rules.map((r) => ({ regex: layerRegex(r, r.allowed), message: r.message }));
  return {
    'no-restricted-imports': ['error', { ...noElectronImports, patterns: [...noElectronImports.patterns, ...forbidden] }],
    'no-restricted-syntax': [
      'error',
      ...noElectronSyntax,
      ...forbidden.flatMap(({ regex, message }) => [
        { selector: `ImportExpression[source.value=/${regex}/]`, message },
        { selector: `CallExpression[callee.name='require'][arguments.0.value=/${regex}/]`, message },
      ]),
    ],
  };
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-output/**', 'agent/**', 'test/fixtures/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx,js,mjs,cjs}'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', noElectronImports],
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
  // Layering inside main/ (see "Layering inside main/" above).
  { files: PROTOCOL_FILES, rules: layerRules([PROTOCOL_UP, NO_LAB]) },
  { files: [`main/engine/**/*.${SRC}`], rules: layerRules([ENGINE_UP, NO_LAB]) },
  { files: [`main/app/**/*.${SRC}`], rules: layerRules([APP_UP]) },
  {
    // The lab's SMB and RPC servers speak the wire through the codecs that serve both directions
    // (main/smb/codec, main/smb/auth, main/rpc/pdu, main/rpc/scmr): they may not lay out bytes
    // themselves, with Buffer's fixed-width reads and writes or the codecs' Reader and Writer.
    files: [`main/lab/smb/**/*.${SRC}`, `main/lab/rpc/**/*.${SRC}`],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...noElectronSyntax,
        {
          selector: 'CallExpression[callee.property.name=/^(read|write)(Big)?U?Int(8|16|32|64)?(LE|BE)?$/]',
          message: 'The lab defines no wire layout of its own: encode and decode with the codec (main/smb/codec, main/smb/auth, main/rpc), adding the field there for both directions.',
        },
        {
          selector: "NewExpression[callee.name=/^(Reader|Writer|NdrReader|NdrWriter)$/]",
          message: 'The lab defines no wire layout of its own: encode and decode with the codec (main/smb/codec, main/smb/auth, main/rpc), adding the field there for both directions.',
        },
      ],
    },
  },
  {
    files: ['scripts/**/*.mjs', 'eslint.config.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
