/* The smb transport's reports (agent/README.md, "Transports"): <exe>.progress and <exe>.result
 * beside the exe, each written whole to <name>.tmp and then renamed over <name>, so the console,
 * reading over SMB, never sees half a file. */
#ifndef PUSHINSTALL_REPORT_FILE_H
#define PUSHINSTALL_REPORT_FILE_H

#include <windows.h>

#include <stddef.h>

#define REPORT_FILE_PROGRESS L".progress"
#define REPORT_FILE_RESULT L".result"

/* Writes len bytes to "<exe><suffix>.tmp", flushes it, then
 * MoveFileExW(tmp, "<exe><suffix>", MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH).
 * 0 or a Win32 error (the .tmp is deleted then). */
DWORD report_file_write(const wchar_t *suffix, const char *data, size_t len);

#endif
