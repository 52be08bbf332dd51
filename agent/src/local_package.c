#include "local_package.h"

#include <stdio.h>
#include <string.h>

#include "exitcodes.h"
#include "files.h"
#include "hash.h"
#include "log.h"

#define CHUNK (256u * 1024u)

static char g_manifest[LOCAL_PACKAGE_MAX_MANIFEST + 1]; /* one byte more: "too large" is detected */

/* <exe>.pkg into g_manifest: 0 with *len, ERROR_FILE_NOT_FOUND when it is not there, ERROR_FILE_TOO_LARGE,
 * or another Win32 error (e.g. a sharing violation while the console still writes it). */
static DWORD read_manifest(DWORD *len)
{
    wchar_t *path = exe_path_with_suffix(L".pkg");
    DWORD e;
    if (path == NULL) return ERROR_NOT_ENOUGH_MEMORY;
    e = read_file_prefix(path, g_manifest, (DWORD)sizeof g_manifest, len);
    HeapFree(GetProcessHeap(), 0, path);
    if (e == ERROR_PATH_NOT_FOUND) e = ERROR_FILE_NOT_FOUND;
    if (e == 0 && *len > LOCAL_PACKAGE_MAX_MANIFEST) e = ERROR_FILE_TOO_LARGE;
    return e;
}

int local_package_ready(const job_t *job)
{
    DWORD len = 0;
    return read_manifest(&len) == 0 && job_response_parses(g_manifest, len, job);
}

/* The manifest just read (len bytes): parsed, and runAs admin refused. */
static DWORD take_manifest(local_package_t *lp, DWORD len, const job_t *job, job_response *jr)
{
    DWORD r;
    lp->manifest_read = 1;
    r = job_response_parse(g_manifest, len, job, 1, jr);
    if (r == AGENT_EXIT_OK && jr->as_admin) {
        agent_log("the package manifest asks to install as the administrator: that needs the callback transport "
                  "(the password never travels in a file)");
        r = AGENT_EXIT_DOWNLOAD;
    }
    return r;
}

DWORD local_package_read(local_package_t *lp, const job_t *job, job_response *jr)
{
    DWORD len = 0, e = read_manifest(&len);
    if (e == 0) return take_manifest(lp, len, job, jr);
    if (e == ERROR_FILE_TOO_LARGE) {
        lp->manifest_read = 1;
        agent_log("the package manifest <exe>.pkg is larger than %u bytes", LOCAL_PACKAGE_MAX_MANIFEST);
    } else {
        agent_log("no package manifest beside the agent: cannot read <exe>.pkg (Win32 error %lu)", (unsigned long)e);
    }
    return AGENT_EXIT_DOWNLOAD;
}

DWORD local_package_wait(local_package_t *lp, const job_t *job, job_response *jr)
{
    ULONGLONG deadline = GetTickCount64() + (ULONGLONG)job->wait_s * 1000u;
    DWORD len = 0, e;
    int noted = 0;
    agent_log("no console answered: waiting up to %u s for the package over SMB (<exe>.pkg)", job->wait_s);
    for (;;) {
        e = read_manifest(&len);
        if (e == 0 && job_response_parses(g_manifest, len, job)) {
            agent_log("the package manifest arrived: going on as with transport=smb");
            return take_manifest(lp, len, job, jr);
        }
        if (e != ERROR_FILE_NOT_FOUND && !noted) {
            agent_log("a package manifest is there but is not complete yet (%s): waiting for it",
                      e == 0 ? "it does not parse" : "it cannot be read");
            noted = 1;
        }
        if (GetTickCount64() >= deadline) break;
        if (WaitForSingleObject(lp->stop_event, LOCAL_PACKAGE_POLL_MS) == WAIT_OBJECT_0) return AGENT_EXIT_STOPPED;
    }
    if (e == ERROR_FILE_NOT_FOUND) {
        agent_log("no console answered and no package arrived over SMB within %u s", job->wait_s);
        return AGENT_EXIT_UNREACHABLE;
    }
    if (e == 0) return take_manifest(lp, len, job, jr); /* logs why it is not understood */
    return local_package_read(lp, job, jr);
}

DWORD local_package_locate(local_package_t *lp)
{
    wchar_t *exe = exe_path_with_suffix(L""), *slash;
    int n = -1;
    if (exe != NULL && (slash = wcsrchr(exe, L'\\')) != NULL) {
        *slash = L'\0';
        n = _snwprintf(lp->dir, sizeof lp->dir / sizeof lp->dir[0], L"%ls\\package", exe);
    }
    if (exe != NULL) HeapFree(GetProcessHeap(), 0, exe);
    if (n < 0 || (size_t)n >= sizeof lp->dir / sizeof lp->dir[0]) {
        agent_log("cannot name the package folder beside the agent (path too long?)");
        return AGENT_EXIT_DOWNLOAD;
    }
    return AGENT_EXIT_OK;
}

/* Reads h to its end into a SHA-256: AGENT_EXIT_OK with *bytes and got, or a failure. */
static DWORD hash_file(local_package_t *lp, HANDLE h, const pkg_file *f, unsigned long long *bytes, unsigned char got[32])
{
    BYTE *chunk = HeapAlloc(GetProcessHeap(), 0, CHUNK);
    sha256_ctx sha;
    DWORD n = 0, r = AGENT_EXIT_OK;
    if (chunk == NULL || !sha256_begin(&sha)) {
        if (chunk != NULL) HeapFree(GetProcessHeap(), 0, chunk);
        return AGENT_EXIT_INTERNAL;
    }
    for (*bytes = 0;; *bytes += n) {
        if (WaitForSingleObject(lp->stop_event, 0) == WAIT_OBJECT_0) r = AGENT_EXIT_STOPPED;
        else if (!ReadFile(h, chunk, CHUNK, &n, NULL)) r = AGENT_EXIT_DOWNLOAD;
        else if (n > 0 && !sha256_update(&sha, chunk, n)) r = AGENT_EXIT_INTERNAL;
        if (r != AGENT_EXIT_OK || n == 0) break;
    }
    if (r == AGENT_EXIT_DOWNLOAD) agent_log("%s: cannot read it: Win32 error %lu", f->name, (unsigned long)GetLastError());
    if (r == AGENT_EXIT_OK && !sha256_end(&sha, got)) r = AGENT_EXIT_INTERNAL;
    sha256_drop(&sha);
    HeapFree(GetProcessHeap(), 0, chunk);
    return r;
}

/* One file: <dir>\<name> opened and held (lp->held[i]), then its size and SHA-256 against the manifest's. */
static DWORD verify_one(local_package_t *lp, int i, pkg_file *f)
{
    const size_t cap = sizeof f->path / sizeof f->path[0];
    wchar_t wname[128];
    char path8[MAX_PATH * 3], got_hex[65], want_hex[65];
    unsigned char got[32];
    unsigned long long bytes = 0;
    DWORD r;
    int n = wide_from_utf8(f->name, wname, 128) ? _snwprintf(f->path, cap, L"%ls\\%ls", lp->dir, wname) : -1;
    if (n < 0 || (size_t)n >= cap) {
        agent_log("%s: cannot name it in the package folder", f->name);
        return AGENT_EXIT_DOWNLOAD;
    }
    utf8_from_wide(f->path, path8, sizeof path8);
    lp->held[i] = CreateFileW(f->path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
                              FILE_ATTRIBUTE_NORMAL | FILE_FLAG_SEQUENTIAL_SCAN, NULL);
    if (lp->held[i] == INVALID_HANDLE_VALUE) {
        lp->held[i] = NULL;
        agent_log("%s: cannot open %s: Win32 error %lu", f->name, path8, (unsigned long)GetLastError());
        return AGENT_EXIT_DOWNLOAD;
    }
    r = hash_file(lp, lp->held[i], f, &bytes, got);
    if (r != AGENT_EXIT_OK) return r;
    job_hex32(got, got_hex);
    job_hex32(f->sha256, want_hex);
    if (bytes != f->size || memcmp(got, f->sha256, 32) != 0) {
        agent_log("%s: %s has %llu bytes with SHA-256 %s; the manifest says %llu bytes with %s: nothing installed",
                  f->name, path8, bytes, got_hex, f->size, want_hex);
        return AGENT_EXIT_INTEGRITY;
    }
    agent_log("%s: %llu bytes, SHA-256 %s verified in the package folder", f->name, bytes, got_hex);
    return AGENT_EXIT_OK;
}

DWORD local_package_verify(local_package_t *lp, job_response *jr)
{
    for (int i = 0; i < jr->file_count; i++) {
        DWORD r = verify_one(lp, i, &jr->files[i]);
        if (r != AGENT_EXIT_OK) return r;
    }
    return AGENT_EXIT_OK;
}

void local_package_close(local_package_t *lp)
{
    for (int i = 0; i < JOB_MAX_FILES; i++) {
        if (lp->held[i] != NULL && lp->held[i] != INVALID_HANDLE_VALUE) CloseHandle(lp->held[i]);
        lp->held[i] = NULL;
    }
}

void local_package_remove_manifest(void)
{
    wchar_t *path = exe_path_with_suffix(L".pkg");
    if (path == NULL) return;
    if (DeleteFileW(path)) agent_log("package manifest deleted");
    else if (GetLastError() != ERROR_FILE_NOT_FOUND)
        agent_log("could not delete the package manifest: Win32 error %lu", (unsigned long)GetLastError());
    HeapFree(GetProcessHeap(), 0, path);
}
