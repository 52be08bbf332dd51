#include "report_file.h"

#include <string.h>

#include "files.h"

/* data into a new path (replacing an old .tmp), flushed to disk: 0 or a Win32 error. */
static DWORD write_whole(const wchar_t *path, const char *data, size_t len)
{
    HANDLE h = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    DWORD e = 0;
    if (h == INVALID_HANDLE_VALUE) return GetLastError();
    while (e == 0 && len > 0) {
        DWORD part = len > (1u << 20) ? (1u << 20) : (DWORD)len, done = 0;
        if (!WriteFile(h, data, part, &done, NULL) || done != part) e = GetLastError() ? GetLastError() : ERROR_WRITE_FAULT;
        data += done;
        len -= done;
    }
    if (e == 0 && !FlushFileBuffers(h)) e = GetLastError();
    CloseHandle(h);
    return e;
}

DWORD report_file_write(const wchar_t *suffix, const char *data, size_t len)
{
    wchar_t *final = exe_path_with_suffix(suffix), *tmp;
    size_t n;
    DWORD e;
    if (final == NULL) return ERROR_NOT_ENOUGH_MEMORY;
    n = wcslen(final);
    tmp = HeapAlloc(GetProcessHeap(), 0, (n + 5) * sizeof(wchar_t));
    if (tmp == NULL) {
        HeapFree(GetProcessHeap(), 0, final);
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    memcpy(tmp, final, n * sizeof(wchar_t));
    memcpy(tmp + n, L".tmp", 5 * sizeof(wchar_t));
    e = write_whole(tmp, data, len);
    if (e == 0 && !MoveFileExW(tmp, final, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) e = GetLastError();
    if (e != 0) DeleteFileW(tmp);
    HeapFree(GetProcessHeap(), 0, tmp);
    HeapFree(GetProcessHeap(), 0, final);
    return e;
}
