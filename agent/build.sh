#!/usr/bin/env bash
# Cross-compiles the agent into agent/dist/PushInstallAgent.exe with mingw-w64
# (Debian: gcc-mingw-w64-x86-64-win32) and checks its size and imported DLLs.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CC="${CC:-x86_64-w64-mingw32-gcc}"
OBJDUMP="${OBJDUMP:-x86_64-w64-mingw32-objdump}"
out="$here/dist/PushInstallAgent.exe"
max_bytes=$((200 * 1024))
# Windows system DLLs the agent may import (msvcrt.dll is the mingw-w64 C runtime, part of Windows).
allowed='^(advapi32|kernel32|msvcrt|winhttp|ws2_32|bcrypt|crypt32|userenv)\.dll$'

mkdir -p "$here/dist"
# No -fdata-sections: with it mingw-w64's gcc puts zero-initialised statics into .data$name
# sections that take room in the file (the agent's 64 KiB log buffer alone would).
"$CC" -std=c11 -municode -Os -s -Wall -Wextra -Werror \
  -D_WIN32_WINNT=0x0601 -DWIN32_LEAN_AND_MEAN -DUNICODE -D_UNICODE \
  -ffunction-sections -Wl,--gc-sections \
  -Wl,--dynamicbase -Wl,--nxcompat -Wl,--high-entropy-va \
  -o "$out.tmp" "$here"/src/*.c -lwinhttp -lcrypt32 -lbcrypt -luserenv -ladvapi32 -lkernel32
mv -f "$out.tmp" "$out"

size=$(stat -c %s "$out")
dlls=$("$OBJDUMP" -p "$out" | sed -n 's/^[[:space:]]*DLL Name: //p' | tr 'A-Z' 'a-z' | sort -u)
echo "built $out: $size bytes"
echo "imports: $(echo $dlls)"
if [ "$size" -gt "$max_bytes" ]; then
  echo "error: $size bytes > $max_bytes" >&2
  exit 1
fi
for d in $dlls; do
  if ! [[ "$d" =~ $allowed ]]; then
    echo "error: imports a non-system DLL: $d" >&2
    exit 1
  fi
done
