#include "download.h"

#include <stdio.h>
#include <string.h>

#include "exitcodes.h"
#include "hash.h"
#include "log.h"

#define URL_CHARS 300

/* One file's download, across its attempts. */
typedef struct {
    download_t *dl;
    pkg_file *f;
    sha256_ctx sha;
    unsigned long long offset; /* bytes written and hashed */
    unsigned long long base;   /* dl->done_bytes before this file */
    DWORD verdict;             /* != 0: give up with this result */
    int restart;               /* start over from byte 0 on the next attempt */
    int complete;              /* 416 at offset == size: nothing more to fetch */
} file_dl;

static int stop_requested(const download_t *dl) { return WaitForSingleObject(dl->stop_event, 0) == WAIT_OBJECT_0; }

/* During the download: at most once a second, not while the console asked for quiet; 100 % is
 * download_files'. */
static void post_percent(download_t *dl)
{
    ULONGLONG now = GetTickCount64();
    int percent = dl->total_bytes == 0 ? 100 : (int)(dl->done_bytes * 100 / dl->total_bytes);
    if (percent == dl->last_progress_percent || percent == 100 || now - dl->last_progress_tick < 1000 ||
        report_quiet(dl->report, now))
        return;
    dl->last_progress_tick = now;
    dl->last_progress_percent = percent;
    report_progress(dl->report, "downloading", percent, 1);
}

static int restart_file(file_dl *d)
{
    LARGE_INTEGER zero = {0};
    sha256_drop(&d->sha);
    d->offset = 0;
    d->dl->done_bytes = d->base;
    if (!SetFilePointerEx(d->dl->open_file, zero, NULL, FILE_BEGIN) || !SetEndOfFile(d->dl->open_file) ||
        !sha256_begin(&d->sha)) {
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

/* console_head_fn: whether the answer continues the file at d->offset (200 from 0, 206 at offset,
 * 416 when it is complete), else what to do next time (restart) or the verdict. */
static int on_head(void *ctx, const console_response *r)
{
    file_dl *d = ctx;
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

/* console_sink_fn: writes and hashes a piece of the body. */
static int on_data(void *ctx, const BYTE *data, DWORD n)
{
    file_dl *d = ctx;
    DWORD written = 0;
    if (d->offset + n > d->f->size) {
        agent_log("%s: the console sends more than the job's %llu bytes: nothing installed", d->f->name, d->f->size);
        d->verdict = AGENT_EXIT_INTEGRITY;
        return 1;
    }
    if (!WriteFile(d->dl->open_file, data, n, &written, NULL) || written != n) {
        agent_log("%s: cannot write to the work folder: Win32 error %lu", d->f->name, (unsigned long)GetLastError());
        d->verdict = AGENT_EXIT_DOWNLOAD;
        return 1;
    }
    if (!sha256_update(&d->sha, data, n)) {
        d->verdict = AGENT_EXIT_INTERNAL;
        return 1;
    }
    d->offset += n;
    d->dl->done_bytes = d->base + d->offset;
    if (stop_requested(d->dl)) {
        d->verdict = AGENT_EXIT_STOPPED;
        return 1;
    }
    post_percent(d->dl);
    return 0;
}

/* /v1/files/<name>, percent-encoded (names are plain ASCII: see safe_file_name). */
static void file_url(const char *name, wchar_t url[URL_CHARS])
{
    int u = _snwprintf(url, URL_CHARS, L"/v1/files/");
    for (int i = 0; name[i] != '\0' && u < URL_CHARS - 10; i++) {
        char c = name[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_')
            url[u++] = (wchar_t)c;
        else
            u += _snwprintf(url + u, 4, L"%%%02X", (unsigned)(unsigned char)c);
    }
    url[u] = L'\0';
}

/* Sets f->path to <work folder>\<name> and creates the file there (it must not exist yet). */
static DWORD create_file(download_t *dl, pkg_file *f)
{
    wchar_t wname[128];
    if (!wide_from_utf8(f->name, wname, 128)) return AGENT_EXIT_DOWNLOAD;
    _snwprintf(f->path, sizeof f->path / sizeof f->path[0], L"%ls\\%ls", dl->work_dir, wname);
    f->path[sizeof f->path / sizeof f->path[0] - 1] = L'\0';
    dl->open_file = CreateFileW(f->path, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ, NULL, CREATE_NEW,
                                FILE_ATTRIBUTE_NORMAL, NULL);
    if (dl->open_file == INVALID_HANDLE_VALUE) {
        dl->open_file = NULL;
        agent_log("%s: cannot create it in the work folder: Win32 error %lu", f->name, (unsigned long)GetLastError());
        return AGENT_EXIT_DOWNLOAD;
    }
    return AGENT_EXIT_OK;
}

/* GET the file until all of it is written: a cut connection resumes with Range after a stoppable
 * pause, at most DOWNLOAD_ATTEMPTS attempts. Ends with d->verdict set, or with the file complete. */
static void fetch_with_resume(file_dl *d, const wchar_t *url)
{
    download_t *dl = d->dl;
    const pkg_file *f = d->f;
    wchar_t range[64];
    for (int attempt = 1;; attempt++) {
        console_response r;
        DWORD e = 0;
        net_rc rc;
        if (d->restart) {
            d->restart = 0;
            if (!restart_file(d)) return;
        }
        if (d->offset > 0) _snwprintf(range, 64, L"Range: bytes=%llu-\r\n", d->offset);
        if (d->offset > 0) agent_log("%s: resuming at byte %llu of %llu (Range)", f->name, d->offset, f->size);
        rc = console_exchange(dl->con, L"GET", url, d->offset > 0 ? range : NULL, NULL, 0, &r, on_head, on_data, d, &e);
        if (d->verdict != 0) return;
        if (rc == NET_STOPPED || stop_requested(dl)) {
            d->verdict = AGENT_EXIT_STOPPED;
            return;
        }
        if (d->complete || (rc == NET_OK && d->offset == f->size && !d->restart)) return;
        if (attempt >= DOWNLOAD_ATTEMPTS) {
            agent_log("%s: download failed after %d attempts (%llu of %llu bytes)", f->name, attempt, d->offset, f->size);
            d->verdict = AGENT_EXIT_DOWNLOAD;
            return;
        }
        if (rc == NET_TRANSPORT)
            agent_log("%s: download interrupted at byte %llu of %llu (WinHTTP error %lu); attempt %d of %d next", f->name,
                      d->offset, f->size, (unsigned long)e, attempt + 1, DOWNLOAD_ATTEMPTS);
        else if (!d->restart)
            agent_log("%s: the response ended at byte %llu of %llu; attempt %d of %d next", f->name, d->offset, f->size,
                      attempt + 1, DOWNLOAD_ATTEMPTS);
        if (WaitForSingleObject(dl->stop_event, 500u * (DWORD)attempt) == WAIT_OBJECT_0) {
            d->verdict = AGENT_EXIT_STOPPED;
            return;
        }
    }
}

/* The bytes written must be the job's size and SHA-256. */
static DWORD verify(file_dl *d)
{
    unsigned char got[32];
    char got_hex[65], want_hex[65];
    if (!sha256_end(&d->sha, got)) return AGENT_EXIT_INTERNAL;
    job_hex32(got, got_hex);
    job_hex32(d->f->sha256, want_hex);
    if (d->offset != d->f->size || memcmp(got, d->f->sha256, 32) != 0) {
        agent_log("%s: %llu bytes with SHA-256 %s; the job says %llu bytes with %s: nothing installed", d->f->name,
                  d->offset, got_hex, d->f->size, want_hex);
        return AGENT_EXIT_INTEGRITY;
    }
    agent_log("%s: %llu bytes, SHA-256 %s verified", d->f->name, d->offset, got_hex);
    return AGENT_EXIT_OK;
}

static DWORD download_one(download_t *dl, pkg_file *f)
{
    file_dl d;
    wchar_t url[URL_CHARS];
    DWORD r;

    memset(&d, 0, sizeof d);
    d.dl = dl;
    d.f = f;
    d.base = dl->done_bytes;
    r = create_file(dl, f);
    if (r != AGENT_EXIT_OK) return r;
    file_url(f->name, url);
    if (!sha256_begin(&d.sha)) return AGENT_EXIT_INTERNAL;
    fetch_with_resume(&d, url);
    if (d.verdict != 0) {
        sha256_drop(&d.sha);
        return d.verdict;
    }
    return verify(&d);
}

DWORD download_files(download_t *dl, job_response *jr)
{
    dl->total_bytes = jr->total_bytes;
    dl->last_progress_percent = -1;
    dl->done_bytes = 0;
    report_progress(dl->report, "downloading", 0, 0);
    dl->last_progress_percent = 0;
    dl->last_progress_tick = GetTickCount64();
    for (int i = 0; i < jr->file_count; i++) {
        pkg_file *f = &jr->files[i];
        DWORD r = download_one(dl, f);
        if (dl->open_file != NULL) CloseHandle(dl->open_file);
        dl->open_file = NULL;
        if (r != AGENT_EXIT_OK) return r;
        /* From here until msiexec is done nobody else may write the verified file. */
        dl->held[i] = CreateFileW(f->path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
        if (dl->held[i] == INVALID_HANDLE_VALUE) {
            dl->held[i] = NULL;
            agent_log("%s: cannot hold it against writers: Win32 error %lu", f->name, (unsigned long)GetLastError());
            return AGENT_EXIT_DOWNLOAD;
        }
    }
    dl->last_progress_percent = 100;
    report_progress(dl->report, "downloading", 100, 0);
    return AGENT_EXIT_OK;
}

void download_close_files(download_t *dl)
{
    if (dl->open_file != NULL && dl->open_file != INVALID_HANDLE_VALUE) CloseHandle(dl->open_file);
    dl->open_file = NULL;
    for (int i = 0; i < JOB_MAX_FILES; i++) {
        if (dl->held[i] != NULL && dl->held[i] != INVALID_HANDLE_VALUE) CloseHandle(dl->held[i]);
        dl->held[i] = NULL;
    }
}
