// Builds the two TEST-ONLY Wine shims of this folder (see the comment in each source) with
// mingw-w64, for test/windows/keychainOnWindows.test.ts: @napi-rs/keyring's win32 .node imports
// bcryptprimitives.dll (ProcessPrng) and api-ms-win-core-synch-l1-2-0.dll (WaitOnAddress,
// WakeByAddressSingle, WakeByAddressAll), which Debian 12's Wine 8 lacks. Placed beside the .node
// in a throwaway prefix, they let it load. They are built into the test's temp folder, never into
// dist/ or a package: the console never ships or loads them (on Windows both DLLs are the system's).
//
//   const dlls = buildWineShims(dir);   // ~0.3 s; throws with gcc's output when it cannot build
//   for (const dll of dlls) fs.copyFileSync(dll, path.join(bindingDir, path.basename(dll)));
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireTools } from '../wine.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CC = 'x86_64-w64-mingw32-gcc';

/** The shims: the DLL each source becomes, and what it is linked with. */
const SHIMS = [
  // ProcessPrng over advapi32's RtlGenRandom (SystemFunction036); no C runtime, DllMain the entry.
  { dll: 'bcryptprimitives.dll', args: ['-Os', '-Wall', '-Wextra', '-Werror', '-Wl,-e,DllMain', 'bcryptprimitives.c', '-ladvapi32'] },
  // Exports only, forwarded to kernelbase: no code, no entry point.
  { dll: 'api-ms-win-core-synch-l1-2-0.dll', args: ['-Wl,-e,0', 'api-ms-win-core-synch-l1-2-0.def'] },
] as const;

/** Builds every shim into outDir; returns their paths. Throws (never skips) when mingw-w64 is missing or fails. */
export function buildWineShims(outDir: string): string[] {
  requireTools([CC]);
  return SHIMS.map(({ dll, args }) => {
    const out = path.join(outDir, dll);
    const r = spawnSync(CC, ['-shared', '-s', '-nostdlib', '-o', out, ...args], { cwd: here, encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`${CC} could not build the Wine shim ${dll} (exit ${r.status} ${r.signal ?? ''}):\n${r.stdout}${r.stderr}${r.error ? String(r.error) : ''}`);
    return out;
  });
}
