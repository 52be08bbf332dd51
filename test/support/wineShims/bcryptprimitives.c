/*
 * TEST-ONLY Wine shim — never built into, shipped with or loaded by the console.
 *
 * @napi-rs/keyring's win32 build (keyring.win32-x64-msvc.node, Rust std) imports ProcessPrng from
 * bcryptprimitives.dll, which every Windows 10/11 has but Debian 12's Wine 8 does not: without this
 * file beside the .node, LoadLibrary fails and node.exe cannot load the keychain binding at all.
 * test/windows/keychainOnWindows.test.ts builds it with mingw-w64 into its temp folder (see
 * index.ts) and puts it next to the .node inside a throwaway Wine prefix.
 *
 * ProcessPrng fills the buffer from the system CSPRNG and always returns TRUE (its documented
 * contract); here that is advapi32's RtlGenRandom (exported as SystemFunction036), which Wine has.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
  while (length > 0) {
    ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
    if (!SystemFunction036(data, chunk)) return FALSE;
    data += chunk;
    length -= chunk;
  }
  return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved) {
  (void)instance;
  (void)reason;
  (void)reserved;
  return TRUE;
}
