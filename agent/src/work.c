/* The agent's work, the same with and without the SCM (agent/README.md, "What the agent does"):
 * job file -> second-start guard -> GET /v1/job -> work folder -> download + verify every file ->
 * credential (runAs admin) -> msiexec -> POST /v1/result -> .done marker -> cleanup. */
#include "work.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "exitcodes.h"
#include "files.h"
#include "hash.h"
#include "install.h"
#include "jobfile.h"
#include "json.h"
#include "log.h"
#include "main.h"

#define MAX_FILES 8
#define MAX_PARAMETERS 8192
#define DOWNLOAD_ATTEMPTS 6 /* per file: the first try and up to 5 resumes */
#define MSI_LOG_NAME L"PushInstall-msi.log"
#define MAX_CRED_CHARS 256
/* In the msiexec parameters, replaced by the work folder (agent/README.md, "The package server
 * protocol"): lets a property carry the full path of cfg.xml, which custom actions running in the
 * Windows Installer service (current directory System32) could not find by its bare name. */
#define WORK_DIR_PLACEHOLDER L"%PUSHINSTALL_DIR%"
#define WORK_DIR_PLACEHOLDER_CHARS 17

typedef struct {
    char name[128];
    unsigned long long size;
    unsigned char sha256[32];
    int is_msi;
    wchar_t path[MAX_PATH + 160];
} pkg_file;

/* Everything the work holds; static so the pin-failure path (a WinHTTP callback) can clean up. */
static struct {
    job_t job;
    wchar_t *job_path;
    console_t con;
    int con_open;
    wchar_t work_dir[MAX_PATH];
    int have_work_dir;
    pkg_file files[MAX_FILES];
    int file_count;
    HANDLE open_file;        /* the file being downloaded */
    HANDLE held[MAX_FILES];  /* read handles that keep writers out of the verified files */
    char params[MAX_PARAMETERS];
    wchar_t params_w[MAX_PARAMETERS];
    int as_admin;
    install_action action;
    unsigned long long total_bytes, done_bytes;
    ULONGLONG last_progress_tick;
    ULONGLONG progress_quiet_until; /* no download progress posts before this tick (a 429/503's Retry-After) */
    int last_progress_percent;
    HANDLE stop_event;
} W;

/* The install credential: memory only (locked against paging), wiped right after the logon. */
static struct {
    char user8[MAX_CRED_CHARS * 4], domain8[MAX_CRED_CHARS * 4], password8[MAX_CRED_CHARS * 4];
    wchar_t user[MAX_CRED_CHARS + 1], domain[MAX_CRED_CHARS + 1], password[MAX_CRED_CHARS + 1];
} C;

static void wipe_credential(void) { SecureZeroMemory(&C, sizeof C); }

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

/* Reads the whole job file (at most JOB_MAX_FILE_BYTES + 1 bytes, so "too large" is detected). */
static DWORD read_job_file(const wchar_t *path, char *buf, DWORD cap, DWORD *len)
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

static int stop_requested(void) { return WaitForSingleObject(W.stop_event, 0) == WAIT_OBJECT_0; }

static void close_files(void)
{
    if (W.open_file != NULL && W.open_file != INVALID_HANDLE_VALUE) CloseHandle(W.open_file);
    W.open_file = NULL;
    for (int i = 0; i < MAX_FILES; i++) {
        if (W.held[i] != NULL && W.held[i] != INVALID_HANDLE_VALUE) CloseHandle(W.held[i]);
        W.held[i] = NULL;
    }
}

/* The end of every run that got as far as the job file: nothing of the work stays behind but the
 * agent's log (and the .done marker, written by the caller). */
static void cleanup(void)
{
    close_files();
    wipe_credential();
    console_forget_token();
    if (W.have_work_dir) {
        DWORD e = delete_tree(W.work_dir);
        if (e != 0) agent_log("could not delete the work folder completely: Win32 error %lu", (unsigned long)e);
        else agent_log("work folder deleted");
        W.have_work_dir = 0;
    }
    if (W.job_path != NULL) {
        if (DeleteFileW(W.job_path)) agent_log("job file deleted");
        else if (GetLastError() != ERROR_FILE_NOT_FOUND)
            agent_log("could not delete the job file: Win32 error %lu", (unsigned long)GetLastError());
    }
    SecureZeroMemory(&W.job, sizeof W.job);
}

/* From the WinHTTP status callback, on the worker thread, before a request is sent to a console
 * whose certificate does not match: clean up and end the worker there. */
static void on_pin_failure(void)
{
    agent_log("result %u: the console's certificate does not match; the token was not sent", AGENT_EXIT_FINGERPRINT);
    cleanup();
    agent_abandon_work(AGENT_EXIT_FINGERPRINT);
}

/* ---- the job from the console ----------------------------------------------------------------- */

static int parse_hex32(const char *s, unsigned char out[32])
{
    for (int i = 0; i < 32; i++) {
        unsigned v = 0;
        for (int k = 0; k < 2; k++) {
            char c = s[2 * i + k];
            v <<= 4;
            if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
            else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
            else return -1;
        }
        out[i] = (unsigned char)v;
    }
    return s[64] == '\0' ? 0 : -1;
}

static int to_wide(const char *utf8, wchar_t *out, int cap)
{
    int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, -1, out, cap);
    return n > 0;
}

/* Parses GET /v1/job: {runId, action?, parameters, runAs, files: [{name, size, sha256, role}]}. */
static DWORD parse_job_json(const buf_t *b)
{
    static json_tok t[160];
    char s[256];
    int n = json_parse(b->p, b->len, t, (int)(sizeof t / sizeof t[0])), v, files, msi = -1;
    const char *why = NULL;
    unsigned long long total = 0;

    if (n < 0 || t[0].type != JSON_OBJECT) {
        why = "not a JSON object";
        goto bad;
    }
    if (json_string(b->p, t, json_get(b->p, t, 0, "runId"), s, sizeof s) < 0 || strcmp(s, W.job.run) != 0) {
        why = "runId is missing or differs from the job file's run";
        goto bad;
    }
    v = json_get(b->p, t, 0, "parameters");
    if (v >= 0 && t[v].type != JSON_NULL) {
        if (json_string(b->p, t, v, W.params, sizeof W.params) < 0) {
            why = "parameters: not a string, or longer than 8 KiB";
            goto bad;
        }
        for (const char *c = W.params; *c; c++)
            if ((unsigned char)*c < 0x20) {
                why = "parameters: control characters";
                goto bad;
            }
        if (!to_wide(W.params, W.params_w, MAX_PARAMETERS)) {
            why = "parameters: not UTF-8";
            goto bad;
        }
    }
    if (json_string(b->p, t, json_get(b->p, t, 0, "runAs"), s, sizeof s) < 0 ||
        (strcmp(s, "admin") != 0 && strcmp(s, "system") != 0)) {
        why = "runAs must be \"admin\" or \"system\"";
        goto bad;
    }
    W.as_admin = strcmp(s, "admin") == 0;
    /* action: absent or null = install (a console from before the action existed). */
    W.action = INSTALL_ACTION_INSTALL;
    v = json_get(b->p, t, 0, "action");
    if (v >= 0 && t[v].type != JSON_NULL) {
        if (json_string(b->p, t, v, s, sizeof s) < 0) {
            why = "action must be \"install\", \"uninstall\" or \"repair\"";
            goto bad;
        }
        if (strcmp(s, "uninstall") == 0) W.action = INSTALL_ACTION_UNINSTALL;
        else if (strcmp(s, "repair") == 0) W.action = INSTALL_ACTION_REPAIR;
        else if (strcmp(s, "install") != 0) {
            why = "action must be \"install\", \"uninstall\" or \"repair\"";
            goto bad;
        }
    }
    files = json_get(b->p, t, 0, "files");
    if (files < 0 || t[files].type != JSON_ARRAY || t[files].count < 1 || t[files].count > MAX_FILES) {
        why = "files: expected an array of 1 to 8 files";
        goto bad;
    }
    W.file_count = 0;
    for (int f = files + 1, k = 0; k < t[files].count; k++, f = t[f].next) {
        pkg_file *pf = &W.files[W.file_count];
        unsigned long long size;
        char hex[80];
        if (t[f].type != JSON_OBJECT || json_string(b->p, t, json_get(b->p, t, f, "name"), pf->name, sizeof pf->name) < 0 ||
            !safe_file_name(pf->name)) {
            why = "files: a name is missing or not a plain file name";
            goto bad;
        }
        for (int j = 0; j < W.file_count; j++)
            if (_stricmp(W.files[j].name, pf->name) == 0) {
                why = "files: a name is given twice";
                goto bad;
            }
        if (_stricmp(pf->name, "PushInstall-msi.log") == 0) {
            why = "files: PushInstall-msi.log is the agent's own MSI log name";
            goto bad;
        }
        if (json_uint(b->p, t, json_get(b->p, t, f, "size"), &size) != 0) {
            why = "files: a size is missing or not a whole number of bytes";
            goto bad;
        }
        pf->size = size;
        if (json_string(b->p, t, json_get(b->p, t, f, "sha256"), hex, sizeof hex) != 64 || parse_hex32(hex, pf->sha256) != 0) {
            why = "files: a sha256 is not 64 hex digits";
            goto bad;
        }
        if (json_string(b->p, t, json_get(b->p, t, f, "role"), s, sizeof s) < 0 ||
            (strcmp(s, "msi") != 0 && strcmp(s, "config") != 0)) {
            why = "files: role must be \"msi\" or \"config\"";
            goto bad;
        }
        pf->is_msi = strcmp(s, "msi") == 0;
        if (pf->is_msi) {
            if (msi >= 0) {
                why = "files: more than one msi";
                goto bad;
            }
            msi = W.file_count;
        }
        total += size;
        W.file_count++;
    }
    if (msi < 0) {
        why = "files: no msi";
        goto bad;
    }
    W.total_bytes = total;
    for (int i = 0; i < W.file_count; i++) {
        char hex[65];
        job_hex32(W.files[i].sha256, hex);
        agent_log("package file %d: %s (%s, %llu bytes, sha256 %s)", i + 1, W.files[i].name,
                  W.files[i].is_msi ? "msi" : "config", W.files[i].size, hex);
    }
    agent_log("action: %s (msiexec %ls); run as %s; msiexec parameters: %s", install_action_name(W.action),
              install_action_switch(W.action), W.as_admin ? "the administrator (runAs admin)" : "SYSTEM",
              W.params[0] ? W.params : "(none)");
    /* The job file (written over SMB) and the console's job must name the same MSI. */
    if (W.files[msi].size != W.job.size || memcmp(W.files[msi].sha256, W.job.sha256, 32) != 0) {
        agent_log("the console's msi (%llu bytes) is not the package the job file names (%llu bytes, its sha256): "
                  "nothing is downloaded",
                  W.files[msi].size, W.job.size);
        return AGENT_EXIT_INTEGRITY;
    }
    return AGENT_EXIT_OK;
bad:
    agent_log("the console's job is not understood: %s", why);
    return AGENT_EXIT_DOWNLOAD;
}

/* Replaces every %PUSHINSTALL_DIR% (ASCII case-insensitive) in the parameters with the work
 * folder (no trailing backslash). The result must still fit the parameters' limits: fewer than
 * MAX_PARAMETERS characters, and fewer than MAX_PARAMETERS bytes as UTF-8 (the same 8 KiB the job's
 * parameters are held to). Returns the number of occurrences replaced, or -1 when too long (the
 * parameters are left as they were). */
static int expand_work_dir(void)
{
    static wchar_t out[MAX_PARAMETERS];
    static char out8[MAX_PARAMETERS];
    size_t dlen = wcslen(W.work_dir), o = 0;
    int count = 0, n;
    for (const wchar_t *p = W.params_w; *p != L'\0';) {
        if (_wcsnicmp(p, WORK_DIR_PLACEHOLDER, WORK_DIR_PLACEHOLDER_CHARS) == 0) {
            if (o + dlen >= MAX_PARAMETERS) return -1;
            memcpy(out + o, W.work_dir, dlen * sizeof(wchar_t));
            o += dlen;
            p += WORK_DIR_PLACEHOLDER_CHARS;
            count++;
        } else {
            if (o + 1 >= MAX_PARAMETERS) return -1;
            out[o++] = *p++;
        }
    }
    if (count == 0) return 0;
    out[o] = L'\0';
    n = WideCharToMultiByte(CP_UTF8, 0, out, -1, out8, MAX_PARAMETERS, NULL, NULL);
    if (n <= 0) return -1;
    memcpy(W.params_w, out, (o + 1) * sizeof(wchar_t));
    memcpy(W.params, out8, (size_t)n);
    return count;
}

/* ---- progress ----------------------------------------------------------------------------------- */

/* Stage posts (connected, downloading 0 and 100, installing) wait out a 429/503 like every request.
 * The download's percent posts in between (once: 1) do not — the download must not stall for them,
 * and the next one supersedes a lost one: after a 429/503 they stay quiet for its Retry-After. */
static void post_progress(const char *stage, int percent, int once)
{
    char body[96];
    buf_t out = {0};
    DWORD status = 0, e = 0, busy = 0;
    net_rc rc;
    if (percent >= 0) snprintf(body, sizeof body, "{\"stage\":\"%s\",\"percent\":%d}", stage, percent);
    else snprintf(body, sizeof body, "{\"stage\":\"%s\",\"percent\":null}", stage);
    out.limit = 4096;
    rc = once ? console_fetch_once(&W.con, L"POST", L"/v1/progress", body, &status, &out, &e, &busy)
              : console_fetch(&W.con, L"POST", L"/v1/progress", body, &status, &out, &e);
    if (busy > 0) {
        W.progress_quiet_until = GetTickCount64() + busy * 1000ull;
        agent_log("progress '%s' %d%% refused (HTTP %lu): no progress posts for %lu s (Retry-After); the download goes on",
                  stage, percent, (unsigned long)status, (unsigned long)busy);
    } else if (rc != NET_OK || status != 200) {
        agent_log("progress '%s' not delivered (HTTP %lu, WinHTTP error %lu)", stage, (unsigned long)status, (unsigned long)e);
    }
    buf_free(&out);
}

/* During the download: at most once a second, not while the console asked for quiet; 100 % is
 * download_all's. */
static void download_progress(void)
{
    ULONGLONG now = GetTickCount64();
    int percent = W.total_bytes == 0 ? 100 : (int)(W.done_bytes * 100 / W.total_bytes);
    if (percent == W.last_progress_percent || percent == 100 || now - W.last_progress_tick < 1000 ||
        now < W.progress_quiet_until)
        return;
    W.last_progress_tick = now;
    W.last_progress_percent = percent;
    post_progress("downloading", percent, 1);
}

/* ---- download ----------------------------------------------------------------------------------- */

typedef struct {
    pkg_file *f;
    sha256_ctx sha;
    unsigned long long offset; /* bytes written and hashed */
    unsigned long long base;   /* W.done_bytes before this file */
    DWORD verdict;             /* != 0: give up with this result */
    int restart;               /* start over from byte 0 on the next attempt */
    int complete;              /* 416 at offset == size: nothing more to fetch */
} dl_ctx;

static int restart_file(dl_ctx *d)
{
    LARGE_INTEGER zero = {0};
    sha256_drop(&d->sha);
    d->offset = 0;
    W.done_bytes = d->base;
    if (!SetFilePointerEx(W.open_file, zero, NULL, FILE_BEGIN) || !SetEndOfFile(W.open_file) || !sha256_begin(&d->sha)) {
        d->verdict = AGENT_EXIT_DOWNLOAD;
        return 0;
    }
    return 1;
}

/* "bytes S-E/T" */
static int parse_content_range(const wchar_t *s, unsigned long long *start, unsigned long long *total)
{
    wchar_t *end = NULL;
    if (wcsncmp(s, L"bytes ", 6) != 0) return -1;
    *start = _wcstoui64(s + 6, &end, 10);
    if (end == NULL || *end != L'-') return -1;
    _wcstoui64(end + 1, &end, 10);
    if (end == NULL || *end != L'/') return -1;
    *total = _wcstoui64(end + 1, &end, 10);
    return end != NULL && *end == L'\0' ? 0 : -1;
}

static int dl_head(void *ctx, const console_response *r)
{
    dl_ctx *d = ctx;
    unsigned long long start = 0, total = 0;
    switch (r->status) {
    case 200:
        if (d->offset != 0) {
            agent_log("%s: the console sent the whole file instead of the range: starting over", d->f->name);
            if (!restart_file(d)) return 1;
        }
        if (r->content_length != ~0ull && r->content_length != d->f->size) {
            agent_log("%s: the console serves %llu bytes, the job says %llu: nothing installed", d->f->name,
                      r->content_length, d->f->size);
            d->verdict = AGENT_EXIT_INTEGRITY;
            return 1;
        }
        return 0;
    case 206:
        if (parse_content_range(r->content_range, &start, &total) != 0 || start != d->offset) {
            agent_log("%s: unexpected Content-Range for bytes=%llu-: starting over", d->f->name, d->offset);
            d->restart = 1;
            return 1;
        }
        if (total != d->f->size) {
            agent_log("%s: the console's file has %llu bytes, the job says %llu: nothing installed", d->f->name, total,
                      d->f->size);
            d->verdict = AGENT_EXIT_INTEGRITY;
            return 1;
        }
        return 0;
    case 416:
        if (d->offset == d->f->size) d->complete = 1;
        else d->restart = 1;
        return 1;
    case 401:
    case 403:
        agent_log("%s: the token was refused (HTTP %lu)", d->f->name, (unsigned long)r->status);
        d->verdict = AGENT_EXIT_TOKEN_REFUSED;
        return 1;
    default:
        agent_log("%s: the console answered HTTP %lu", d->f->name, (unsigned long)r->status);
        d->verdict = AGENT_EXIT_DOWNLOAD;
        return 1;
    }
}

static int dl_sink(void *ctx, const BYTE *data, DWORD n)
{
    dl_ctx *d = ctx;
    DWORD written = 0;
    if (d->offset + n > d->f->size) {
        agent_log("%s: the console sends more than the job's %llu bytes: nothing installed", d->f->name, d->f->size);
        d->verdict = AGENT_EXIT_INTEGRITY;
        return 1;
    }
    if (!WriteFile(W.open_file, data, n, &written, NULL) || written != n) {
        agent_log("%s: cannot write to the work folder: Win32 error %lu", d->f->name, (unsigned long)GetLastError());
        d->verdict = AGENT_EXIT_DOWNLOAD;
        return 1;
    }
    if (!sha256_update(&d->sha, data, n)) {
        d->verdict = AGENT_EXIT_INTERNAL;
        return 1;
    }
    d->offset += n;
    W.done_bytes = d->base + d->offset;
    if (stop_requested()) {
        d->verdict = AGENT_EXIT_STOPPED;
        return 1;
    }
    download_progress();
    return 0;
}

static DWORD download_one(pkg_file *f)
{
    dl_ctx d;
    wchar_t url[300], wname[128], range[64];
    unsigned char got[32];
    char got_hex[65], want_hex[65];
    int i, u = 0;

    memset(&d, 0, sizeof d);
    d.f = f;
    d.base = W.done_bytes;
    if (!to_wide(f->name, wname, 128)) return AGENT_EXIT_DOWNLOAD;
    _snwprintf(f->path, sizeof f->path / sizeof f->path[0], L"%ls\\%ls", W.work_dir, wname);
    f->path[sizeof f->path / sizeof f->path[0] - 1] = L'\0';
    /* /v1/files/<name>, percent-encoded (names are plain ASCII: see safe_file_name). */
    u = _snwprintf(url, 300, L"/v1/files/");
    for (i = 0; f->name[i] != '\0' && u < 290; i++) {
        char c = f->name[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_')
            url[u++] = (wchar_t)c;
        else
            u += _snwprintf(url + u, 4, L"%%%02X", (unsigned)(unsigned char)c);
    }
    url[u] = L'\0';

    W.open_file = CreateFileW(f->path, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ, NULL, CREATE_NEW,
                              FILE_ATTRIBUTE_NORMAL, NULL);
    if (W.open_file == INVALID_HANDLE_VALUE) {
        W.open_file = NULL;
        agent_log("%s: cannot create it in the work folder: Win32 error %lu", f->name, (unsigned long)GetLastError());
        return AGENT_EXIT_DOWNLOAD;
    }
    if (!sha256_begin(&d.sha)) return AGENT_EXIT_INTERNAL;

    for (int attempt = 1;; attempt++) {
        console_response r;
        DWORD e = 0;
        net_rc rc;
        if (d.restart) {
            d.restart = 0;
            if (!restart_file(&d)) break;
        }
        if (d.offset > 0) _snwprintf(range, 64, L"Range: bytes=%llu-\r\n", d.offset);
        if (d.offset > 0) agent_log("%s: resuming at byte %llu of %llu (Range)", f->name, d.offset, f->size);
        rc = console_exchange(&W.con, L"GET", url, d.offset > 0 ? range : NULL, NULL, 0, &r, dl_head, dl_sink, &d, &e);
        if (d.verdict != 0) break;
        if (rc == NET_STOPPED || stop_requested()) {
            d.verdict = AGENT_EXIT_STOPPED;
            break;
        }
        if (d.complete || (rc == NET_OK && d.offset == f->size && !d.restart)) break;
        if (attempt >= DOWNLOAD_ATTEMPTS) {
            agent_log("%s: download failed after %d attempts (%llu of %llu bytes)", f->name, attempt, d.offset, f->size);
            d.verdict = AGENT_EXIT_DOWNLOAD;
            break;
        }
        if (rc == NET_TRANSPORT)
            agent_log("%s: download interrupted at byte %llu of %llu (WinHTTP error %lu); attempt %d of %d next", f->name,
                      d.offset, f->size, (unsigned long)e, attempt + 1, DOWNLOAD_ATTEMPTS);
        else if (!d.restart)
            agent_log("%s: the response ended at byte %llu of %llu; attempt %d of %d next", f->name, d.offset, f->size,
                      attempt + 1, DOWNLOAD_ATTEMPTS);
        if (WaitForSingleObject(W.stop_event, 500u * (DWORD)attempt) == WAIT_OBJECT_0) {
            d.verdict = AGENT_EXIT_STOPPED;
            break;
        }
    }
    if (d.verdict != 0) {
        sha256_drop(&d.sha);
        return d.verdict;
    }
    if (!sha256_end(&d.sha, got)) return AGENT_EXIT_INTERNAL;
    job_hex32(got, got_hex);
    job_hex32(f->sha256, want_hex);
    if (d.offset != f->size || memcmp(got, f->sha256, 32) != 0) {
        agent_log("%s: %llu bytes with SHA-256 %s; the job says %llu bytes with %s: nothing installed", f->name, d.offset,
                  got_hex, f->size, want_hex);
        return AGENT_EXIT_INTEGRITY;
    }
    agent_log("%s: %llu bytes, SHA-256 %s verified", f->name, d.offset, got_hex);
    return AGENT_EXIT_OK;
}

static DWORD download_all(void)
{
    W.last_progress_percent = -1;
    W.done_bytes = 0;
    post_progress("downloading", 0, 0);
    W.last_progress_percent = 0;
    W.last_progress_tick = GetTickCount64();
    for (int i = 0; i < W.file_count; i++) {
        DWORD r = download_one(&W.files[i]);
        if (W.open_file != NULL) CloseHandle(W.open_file);
        W.open_file = NULL;
        if (r != AGENT_EXIT_OK) return r;
        /* From here until msiexec is done nobody else may write the verified file. */
        W.held[i] = CreateFileW(W.files[i].path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL,
                                NULL);
        if (W.held[i] == INVALID_HANDLE_VALUE) {
            W.held[i] = NULL;
            agent_log("%s: cannot hold it against writers: Win32 error %lu", W.files[i].name, (unsigned long)GetLastError());
            return AGENT_EXIT_DOWNLOAD;
        }
    }
    W.last_progress_percent = 100;
    post_progress("downloading", 100, 0);
    return AGENT_EXIT_OK;
}

/* ---- credential, install, result ------------------------------------------------------------- */

static DWORD fetch_credential(void)
{
    static json_tok t[16];
    buf_t out = {0};
    DWORD status = 0, e = 0, result = AGENT_EXIT_MSIEXEC_LAUNCH;
    net_rc rc;
    int n;
    out.limit = 8192;
    VirtualLock(&C, sizeof C);
    rc = console_fetch(&W.con, L"GET", L"/v1/credential", NULL, &status, &out, &e);
    if (rc == NET_STOPPED) {
        result = AGENT_EXIT_STOPPED;
    } else if (rc != NET_OK) {
        agent_log("GET /v1/credential failed (WinHTTP error %lu)", (unsigned long)e);
    } else if (status == 401 || status == 403) {
        agent_log("GET /v1/credential: the token was refused (HTTP %lu)", (unsigned long)status);
        result = AGENT_EXIT_TOKEN_REFUSED;
    } else if (status != 200) {
        agent_log("GET /v1/credential answered HTTP %lu: no credential to install with", (unsigned long)status);
    } else if ((n = json_parse(out.p, out.len, t, 16)) < 0 || t[0].type != JSON_OBJECT ||
               json_string(out.p, t, json_get(out.p, t, 0, "user"), C.user8, sizeof C.user8) <= 0 ||
               json_string(out.p, t, json_get(out.p, t, 0, "password"), C.password8, sizeof C.password8) < 0 ||
               (json_get(out.p, t, 0, "domain") >= 0 &&
                t[json_get(out.p, t, 0, "domain")].type != JSON_NULL &&
                json_string(out.p, t, json_get(out.p, t, 0, "domain"), C.domain8, sizeof C.domain8) < 0) ||
               !to_wide(C.user8, C.user, MAX_CRED_CHARS + 1) || !to_wide(C.domain8, C.domain, MAX_CRED_CHARS + 1) ||
               !to_wide(C.password8, C.password, MAX_CRED_CHARS + 1)) {
        agent_log("GET /v1/credential: the answer is not {user, domain, password} within %d characters each", MAX_CRED_CHARS);
    } else {
        agent_log("install credential received for %s%s%s (kept in memory only)", C.domain8, C.domain8[0] ? "\\" : "",
                  C.user8);
        result = AGENT_EXIT_OK;
    }
    SecureZeroMemory(C.user8, sizeof C.user8);
    SecureZeroMemory(C.domain8, sizeof C.domain8);
    SecureZeroMemory(C.password8, sizeof C.password8);
    buf_free(&out); /* wipes the JSON that held the password */
    if (result != AGENT_EXIT_OK) wipe_credential();
    return result;
}

static void post_result(DWORD result, const wchar_t *msi_log)
{
    buf_t log = {0}, body = {0}, out = {0};
    char *mem = HeapAlloc(GetProcessHeap(), 0, LOG_MEMORY_BYTES);
    size_t n;

    agent_log("posting result %lu to the console", (unsigned long)result);
    buf_adds(&log, "== PushInstallAgent log ==\n");
    if (mem != NULL) {
        n = log_memory(mem, LOG_MEMORY_BYTES);
        buf_add(&log, mem, n);
        HeapFree(GetProcessHeap(), 0, mem);
    }
    if (msi_log != NULL) install_log_tail(msi_log, &log);
    buf_addf(&body, "{\"exitCode\":%lu,\"log\":", (unsigned long)result);
    buf_add_json_string(&body, log.p != NULL ? log.p : "", log.len);
    buf_adds(&body, "}");
    buf_free(&log);
    if (body.failed) {
        agent_log("out of memory building the result");
        buf_free(&body);
        return;
    }
    for (int attempt = 1; attempt <= 3; attempt++) {
        DWORD status = 0, e = 0;
        net_rc rc;
        out.limit = 4096;
        out.len = 0;
        rc = console_fetch(&W.con, L"POST", L"/v1/result", body.p, &status, &out, &e);
        if (rc == NET_OK && status == 200) {
            agent_log("result posted (%lu bytes)", (unsigned long)body.len);
            break;
        }
        agent_log("result not delivered (attempt %d of 3: HTTP %lu, WinHTTP error %lu)", attempt, (unsigned long)status,
                  (unsigned long)e);
        if (rc == NET_STOPPED || (rc == NET_OK && status != 200 && status < 500)) break;
        Sleep(1000u * (DWORD)attempt);
    }
    buf_free(&out);
    buf_free(&body);
}

/* ---- second-start guard ----------------------------------------------------------------------- */

static wchar_t *done_path(void) { return exe_path_with_suffix(L".done"); }

static int already_done(void)
{
    char text[256], want[JOB_MAX_ID_CHARS + 8];
    wchar_t *p = done_path();
    int done = 0;
    if (p == NULL) return 0;
    snprintf(want, sizeof want, "run=%s\r\n", W.job.run);
    if (read_small_file(p, text, sizeof text) == 0 && strncmp(text, want, strlen(want)) == 0) done = 1;
    HeapFree(GetProcessHeap(), 0, p);
    return done;
}

/* result: the agent's result, or -1 while msiexec runs ("result=installing"). */
static void mark_done(long result)
{
    char text[160];
    wchar_t *p = done_path();
    DWORD e;
    if (p == NULL) return;
    if (result < 0) snprintf(text, sizeof text, "run=%s\r\nresult=installing\r\n", W.job.run);
    else snprintf(text, sizeof text, "run=%s\r\nresult=%ld\r\n", W.job.run, result);
    e = write_small_file(p, text);
    if (e != 0) agent_log("could not write the .done marker: Win32 error %lu", (unsigned long)e);
    HeapFree(GetProcessHeap(), 0, p);
}

/* ---- the work --------------------------------------------------------------------------------- */

/* From a valid job file to the end. */
static DWORD run_job(const agent_options *opts, int *installed_or_reported)
{
    buf_t jobjson = {0};
    char dacl[256];
    wchar_t msi_log[MAX_PATH + 32];
    const pkg_file *msi = NULL;
    install_spec spec;
    DWORD r, e;

    console_init(&W.job, W.stop_event, opts->test_busy_budget_s > 0 ? opts->test_busy_budget_s : CONSOLE_BUSY_BUDGET_S,
                 on_pin_failure);
    r = console_open(&W.job, W.stop_event, &W.con, &jobjson);
    if (r != AGENT_EXIT_OK) {
        buf_free(&jobjson);
        return r;
    }
    W.con_open = 1;
    r = parse_job_json(&jobjson);
    buf_free(&jobjson);
    if (r != AGENT_EXIT_OK) goto report;
    post_progress("connected", -1, 0);

    if (opts->test_hold_ms > 0) {
        agent_log("holding for %lu ms (--test-hold-ms)", (unsigned long)opts->test_hold_ms);
        if (WaitForSingleObject(W.stop_event, opts->test_hold_ms) == WAIT_OBJECT_0) return AGENT_EXIT_STOPPED;
    }
    if (stop_requested()) return AGENT_EXIT_STOPPED;

    e = workdir_create(W.job.run, W.work_dir, MAX_PATH);
    if (e != 0) {
        agent_log("cannot create the work folder: Win32 error %lu", (unsigned long)e);
        r = AGENT_EXIT_DOWNLOAD;
        goto report;
    }
    W.have_work_dir = 1;
    {
        char dir8[MAX_PATH * 3];
        utf8_from_wide(W.work_dir, dir8, sizeof dir8);
        workdir_describe(W.work_dir, dacl, sizeof dacl);
        agent_log("work folder %s created; its DACL read back: %s", dir8, dacl);
    }
    {
        int n = expand_work_dir();
        if (n < 0) {
            agent_log("the console's job is not understood: parameters: longer than 8 KiB once %%PUSHINSTALL_DIR%% is "
                      "expanded to the work folder");
            r = AGENT_EXIT_DOWNLOAD;
            goto report;
        }
        if (n > 0)
            agent_log("msiexec parameters with %%PUSHINSTALL_DIR%% expanded (%d occurrence%s): %s", n, n == 1 ? "" : "s",
                      W.params);
    }

    r = download_all();
    if (r == AGENT_EXIT_STOPPED) return r;
    if (r != AGENT_EXIT_OK) goto report;
    if (stop_requested()) return AGENT_EXIT_STOPPED;

    for (int i = 0; i < W.file_count; i++)
        if (W.files[i].is_msi) msi = &W.files[i];
    if (W.as_admin) {
        r = fetch_credential();
        if (r == AGENT_EXIT_STOPPED) return r;
        if (r != AGENT_EXIT_OK) goto report;
    }
    _snwprintf(msi_log, sizeof msi_log / sizeof msi_log[0], L"%ls\\%ls", W.work_dir, MSI_LOG_NAME);
    msi_log[sizeof msi_log / sizeof msi_log[0] - 1] = L'\0';
    post_progress("installing", -1, 0);
    memset(&spec, 0, sizeof spec);
    spec.action = W.action;
    spec.work_dir = W.work_dir;
    spec.msi_path = msi->path;
    spec.log_path = msi_log;
    spec.parameters = W.params_w;
    spec.as_admin = W.as_admin;
    spec.user = C.user;
    spec.domain = C.domain;
    spec.password = C.password;
    spec.test_self_token = opts->test_self_token;
    /* From here on this run counts as done on this machine: a second start will not install again. */
    mark_done(-1);
    *installed_or_reported = 1;
    r = install_run(&spec, W.stop_event);
    wipe_credential();
    close_files();
    if (r == AGENT_EXIT_STOPPED) return r;
    console_allow_requests(); /* a stop during msiexec: the install ended within the bound; report it */
    post_result(r, msi_log);
    return r;

report:
    /* Failures after the console answered: tell it why. */
    post_result(r, NULL);
    *installed_or_reported = 1;
    return r;
}

DWORD work_run(const agent_options *opts, HANDLE stop_event)
{
    static char data[JOB_MAX_FILE_BYTES + 1];
    char err[320], path8[1024], fp[65], sha[65];
    wchar_t mutex_name[96];
    HANDLE mutex;
    DWORD len = 0, rc, result;
    int i, finished = 0;

    memset(&W, 0, sizeof W);
    W.stop_event = stop_event;
    if (opts->job_path != NULL) {
        size_t n = wcslen(opts->job_path) + 1;
        W.job_path = HeapAlloc(GetProcessHeap(), 0, n * sizeof(wchar_t));
        if (W.job_path != NULL) memcpy(W.job_path, opts->job_path, n * sizeof(wchar_t));
    } else {
        W.job_path = exe_path_with_suffix(L".job");
    }
    if (W.job_path == NULL) {
        agent_log("cannot determine the job file's path (error %lu)", (unsigned long)GetLastError());
        return AGENT_EXIT_INTERNAL;
    }
    utf8_from_wide(W.job_path, path8, (int)sizeof path8);
    agent_log("job file: %s", path8);

    rc = read_job_file(W.job_path, data, (DWORD)sizeof data, &len);
    if (rc != ERROR_SUCCESS) {
        agent_log("bad job file: cannot read it (Win32 error %lu)", (unsigned long)rc);
        return AGENT_EXIT_BAD_JOB;
    }
    if (job_parse(data, len, &W.job, err, sizeof err) != 0) {
        SecureZeroMemory(data, sizeof data);
        agent_log("bad job file: %s", err);
        cleanup();
        return AGENT_EXIT_BAD_JOB;
    }
    SecureZeroMemory(data, sizeof data);

    job_hex32(W.job.fingerprint, fp);
    job_hex32(W.job.sha256, sha);
    agent_log("job: run=%s package=%s size=%llu sha256=%s fingerprint=%s consoles=%d", W.job.run, W.job.package,
              W.job.size, sha, fp, W.job.console_count);
    for (i = 0; i < W.job.console_count; i++)
        agent_log("job: console %d: %s%s%s:%u", i + 1, W.job.consoles[i].is_ipv6 ? "[" : "", W.job.consoles[i].host,
                  W.job.consoles[i].is_ipv6 ? "]" : "", (unsigned)W.job.consoles[i].port);

    /* Second-start guard: one agent per run at a time (a named mutex, released when the process
     * ends), and never again after a finished run (<exe>.done names it). */
    _snwprintf(mutex_name, 96, L"Global\\PushInstallAgent-run-%hs", W.job.run);
    mutex_name[95] = L'\0';
    mutex = CreateMutexW(NULL, FALSE, mutex_name);
    if (mutex != NULL && GetLastError() == ERROR_ALREADY_EXISTS) {
        agent_log("run %s is being handled by another agent process: nothing to do", W.job.run);
        SecureZeroMemory(&W.job, sizeof W.job);
        return AGENT_EXIT_ALREADY_RAN;
    }
    if (already_done()) {
        agent_log("run %s already finished on this machine (.done marker): nothing installed again", W.job.run);
        SecureZeroMemory(&W.job, sizeof W.job);
        return AGENT_EXIT_ALREADY_RAN;
    }

    result = stop_requested() ? AGENT_EXIT_STOPPED : run_job(opts, &finished);
    if (finished && result != AGENT_EXIT_STOPPED) mark_done((long)result);
    if (W.con_open) console_close(&W.con);
    agent_log("%lu requests sent to the console, each after its certificate matched the fingerprint",
              (unsigned long)console_pinned_requests());
    if (result == AGENT_EXIT_STOPPED) agent_log("stop requested: ending the work");
    cleanup();
    return result;
}
