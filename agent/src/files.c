#include "files.h"

#include <sddl.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static size_t wlen(const wchar_t *s) { return wcslen(s); }

DWORD workdir_create(const char *run, wchar_t *out, DWORD cap)
{
    wchar_t win[MAX_PATH];
    SECURITY_ATTRIBUTES sa;
    PSECURITY_DESCRIPTOR sd = NULL;
    UINT n = GetWindowsDirectoryW(win, MAX_PATH);
    DWORD e;
    int m;
    if (n == 0 || n >= MAX_PATH) return GetLastError() ? GetLastError() : ERROR_BUFFER_OVERFLOW;
    m = _snwprintf(out, cap, L"%ls\\Temp\\PushInstall-", win);
    if (m < 0 || (DWORD)m + strlen(run) + 1 > cap) return ERROR_BUFFER_OVERFLOW;
    /* run is [A-Za-z0-9_-] (jobfile.c): a plain folder name. */
    for (size_t i = 0; run[i] != '\0'; i++) out[m + i] = (wchar_t)(unsigned char)run[i];
    out[m + strlen(run)] = L'\0';

    if (GetFileAttributesW(out) != INVALID_FILE_ATTRIBUTES) {
        agent_log("work folder exists already (an earlier attempt?): deleting it");
        if ((e = delete_tree(out)) != 0) return e;
    }
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(WORK_DIR_SDDL, SDDL_REVISION_1, &sd, NULL))
        return GetLastError();
    {
        LPWSTR back = NULL;
        char back8[256];
        if (ConvertSecurityDescriptorToStringSecurityDescriptorW(sd, SDDL_REVISION_1, DACL_SECURITY_INFORMATION, &back,
                                                                 NULL)) {
            utf8_from_wide(back, back8, sizeof back8);
            agent_log("work folder DACL asked for: %s", back8);
            LocalFree(back);
        }
    }
    sa.nLength = sizeof sa;
    sa.lpSecurityDescriptor = sd;
    sa.bInheritHandle = FALSE;
    e = CreateDirectoryW(out, &sa) ? 0 : GetLastError();
    LocalFree(sd);
    return e;
}

void workdir_describe(const wchar_t *dir, char *out, int cap)
{
    BYTE sdbuf[1024];
    DWORD need = 0;
    LPWSTR sddl = NULL;
    if (!GetFileSecurityW(dir, DACL_SECURITY_INFORMATION, (PSECURITY_DESCRIPTOR)sdbuf, sizeof sdbuf, &need)) {
        snprintf(out, (size_t)cap, "(unreadable: error %lu)", (unsigned long)GetLastError());
        return;
    }
    if (!ConvertSecurityDescriptorToStringSecurityDescriptorW((PSECURITY_DESCRIPTOR)sdbuf, SDDL_REVISION_1,
                                                              DACL_SECURITY_INFORMATION, &sddl, NULL)) {
        snprintf(out, (size_t)cap, "(unreadable: error %lu)", (unsigned long)GetLastError());
        return;
    }
    utf8_from_wide(sddl, out, cap);
    LocalFree(sddl);
}

DWORD delete_tree(const wchar_t *dir)
{
    WIN32_FIND_DATAW fd;
    HANDLE h;
    size_t n = wlen(dir);
    wchar_t *pattern, *child;
    DWORD first = 0, attrs = GetFileAttributesW(dir);

    if (attrs == INVALID_FILE_ATTRIBUTES) return 0;
    if (attrs & FILE_ATTRIBUTE_REPARSE_POINT) return RemoveDirectoryW(dir) ? 0 : GetLastError();
    pattern = HeapAlloc(GetProcessHeap(), 0, (n + 3) * sizeof(wchar_t));
    child = HeapAlloc(GetProcessHeap(), 0, (n + 2 + MAX_PATH) * sizeof(wchar_t));
    if (pattern == NULL || child == NULL) {
        if (pattern) HeapFree(GetProcessHeap(), 0, pattern);
        if (child) HeapFree(GetProcessHeap(), 0, child);
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    memcpy(pattern, dir, n * sizeof(wchar_t));
    memcpy(pattern + n, L"\\*", 3 * sizeof(wchar_t));
    h = FindFirstFileW(pattern, &fd);
    if (h != INVALID_HANDLE_VALUE) {
        do {
            DWORD e = 0;
            if (wcscmp(fd.cFileName, L".") == 0 || wcscmp(fd.cFileName, L"..") == 0) continue;
            _snwprintf(child, n + 2 + MAX_PATH, L"%ls\\%ls", dir, fd.cFileName);
            child[n + 1 + MAX_PATH] = L'\0';
            if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) {
                /* A junction or symbolic link to a folder: remove the link, not what it points to. */
                if (fd.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)
                    e = RemoveDirectoryW(child) ? 0 : GetLastError();
                else
                    e = delete_tree(child);
            } else {
                if (fd.dwFileAttributes & FILE_ATTRIBUTE_READONLY)
                    SetFileAttributesW(child, fd.dwFileAttributes & ~(DWORD)FILE_ATTRIBUTE_READONLY);
                e = DeleteFileW(child) ? 0 : GetLastError();
            }
            if (e != 0 && first == 0) first = e;
        } while (FindNextFileW(h, &fd));
        FindClose(h);
    }
    HeapFree(GetProcessHeap(), 0, pattern);
    HeapFree(GetProcessHeap(), 0, child);
    if (!RemoveDirectoryW(dir) && first == 0) first = GetLastError();
    return first;
}

int safe_file_name(const char *name)
{
    static const char *devices[] = {"CON", "PRN", "AUX", "NUL", "COM", "LPT", "CONIN$", "CONOUT$"};
    size_t n = strlen(name), base = 0, i;
    if (n < 1 || n > 100 || name[0] == '.' || name[0] == ' ' || name[n - 1] == '.' || name[n - 1] == ' ') return 0;
    for (i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr(" ._()+-", c) != NULL))
            return 0;
    }
    while (base < n && name[base] != '.') base++;
    for (i = 0; i < sizeof devices / sizeof devices[0]; i++) {
        size_t dn = strlen(devices[i]);
        if (base < dn || _strnicmp(name, devices[i], dn) != 0) continue;
        if (base == dn) return 0;
        if (dn == 3 && base == 4 && name[3] >= '0' && name[3] <= '9') return 0; /* COM1, LPT9 */
    }
    return 1;
}

DWORD write_small_file(const wchar_t *path, const char *text)
{
    HANDLE h = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    DWORD n = (DWORD)strlen(text), done = 0, e = 0;
    if (h == INVALID_HANDLE_VALUE) return GetLastError();
    if (!WriteFile(h, text, n, &done, NULL) || done != n) e = GetLastError() ? GetLastError() : ERROR_WRITE_FAULT;
    CloseHandle(h);
    return e;
}

DWORD read_small_file(const wchar_t *path, char *out, DWORD cap)
{
    HANDLE h = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                           OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    DWORD got = 0, e = 0;
    out[0] = '\0';
    if (h == INVALID_HANDLE_VALUE) return GetLastError();
    if (!ReadFile(h, out, cap - 1, &got, NULL)) e = GetLastError();
    out[e == 0 ? got : 0] = '\0';
    CloseHandle(h);
    return e;
}

DWORD read_file_prefix(const wchar_t *path, char *buf, DWORD cap, DWORD *len)
{
    HANDLE h = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    DWORD total = 0, got;
    if (h == INVALID_HANDLE_VALUE) return GetLastError();
    while (total < cap) {
        if (!ReadFile(h, buf + total, cap - total, &got, NULL)) {
            DWORD e = GetLastError();
            CloseHandle(h);
            return e;
        }
        if (got == 0) break;
        total += got;
    }
    CloseHandle(h);
    *len = total;
    return ERROR_SUCCESS;
}

wchar_t *exe_path_with_suffix(const wchar_t *suffix)
{
    DWORD cap = MAX_PATH;
    size_t slen = wcslen(suffix);
    for (;;) {
        wchar_t *buf = HeapAlloc(GetProcessHeap(), 0, (cap + slen + 1) * sizeof(wchar_t));
        DWORD n;
        if (buf == NULL) return NULL;
        n = GetModuleFileNameW(NULL, buf, cap);
        if (n == 0) {
            HeapFree(GetProcessHeap(), 0, buf);
            return NULL;
        }
        if (n < cap) {
            memcpy(buf + n, suffix, (slen + 1) * sizeof(wchar_t));
            return buf;
        }
        HeapFree(GetProcessHeap(), 0, buf);
        if (cap >= 32768) return NULL;
        cap *= 2;
    }
}
