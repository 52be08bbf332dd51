#include "work.h"

#include "console.h"
#include "exitcodes.h"
#include "jobfile.h"
#include "log.h"

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

static int stop_requested(HANDLE stop_event)
{
    return WaitForSingleObject(stop_event, 0) == WAIT_OBJECT_0;
}

DWORD work_run(const agent_options *opts, HANDLE stop_event)
{
    static char data[JOB_MAX_FILE_BYTES + 1];
    static job_t job;
    char err[320], path8[1024], fp[65], sha[65];
    wchar_t *own_path = NULL;
    const wchar_t *job_path = opts->job_path;
    DWORD len = 0, rc, result;
    int i;

    if (job_path == NULL) {
        own_path = exe_path_with_suffix(L".job");
        if (own_path == NULL) {
            agent_log("cannot determine the agent's own path (error %lu)", (unsigned long)GetLastError());
            return AGENT_EXIT_INTERNAL;
        }
        job_path = own_path;
    }
    utf8_from_wide(job_path, path8, (int)sizeof path8);
    agent_log("job file: %s", path8);

    rc = read_job_file(job_path, data, (DWORD)sizeof data, &len);
    if (own_path != NULL) HeapFree(GetProcessHeap(), 0, own_path);
    if (rc != ERROR_SUCCESS) {
        agent_log("bad job file: cannot read it (Win32 error %lu)", (unsigned long)rc);
        return AGENT_EXIT_BAD_JOB;
    }
    if (job_parse(data, len, &job, err, sizeof err) != 0) {
        SecureZeroMemory(data, sizeof data);
        agent_log("bad job file: %s", err);
        return AGENT_EXIT_BAD_JOB;
    }
    SecureZeroMemory(data, sizeof data);

    job_hex32(job.fingerprint, fp);
    job_hex32(job.sha256, sha);
    agent_log("job: run=%s package=%s size=%llu sha256=%s fingerprint=%s consoles=%d", job.run, job.package,
              job.size, sha, fp, job.console_count);
    for (i = 0; i < job.console_count; i++)
        agent_log("job: console %d: %s%s%s:%u", i + 1, job.consoles[i].is_ipv6 ? "[" : "", job.consoles[i].host,
                  job.consoles[i].is_ipv6 ? "]" : "", (unsigned)job.consoles[i].port);

    result = AGENT_EXIT_OK;
    if (stop_requested(stop_event)) {
        result = AGENT_EXIT_STOPPED;
    } else if ((result = console_hello(&job, stop_event, &i)) != AGENT_EXIT_OK) {
        /* unreachable, fingerprint mismatch or stopped: result says which */
    } else if (opts->test_hold_ms > 0) {
        /* Placeholder for connect/download/install (later slices): wait, stoppable. */
        agent_log("holding for %lu ms (--test-hold-ms)", (unsigned long)opts->test_hold_ms);
        if (WaitForSingleObject(stop_event, opts->test_hold_ms) == WAIT_OBJECT_0) result = AGENT_EXIT_STOPPED;
    }
    SecureZeroMemory(&job, sizeof job);
    if (result == AGENT_EXIT_STOPPED) agent_log("stop requested: ending the work");
    return result;
}
