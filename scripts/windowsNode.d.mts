/** The npm package of the Windows Node the tests run under Wine (see windowsNode.mjs). */
export const WINDOWS_NODE_PACKAGE: string;
/** Its version: NODE_VERSION of scripts/supportedNode.mjs, the project's one Node version. */
export const WINDOWS_NODE_VERSION: string;
/** The cache folder scripts/setup.sh extracts node.exe into. */
export function windowsNodeDir(): string;
/** node.exe's path in that folder (it may not be there yet). */
export function windowsNodeExe(): string;
