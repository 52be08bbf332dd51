#include "job_load.h"

#include <string.h>

#include "exitcodes.h"
#include "files.h"
#include "log.h"

wchar_t *job_load_path(const wchar_t *opt_path)
{
    wchar_t *p;
    size_t n;
    if (opt_path == NULL) return exe_path_with_suffix(L".job");
    n = wcslen(opt_path) + 1;
    p = HeapAlloc(GetProcessHeap(), 0, n * sizeof(wchar_t));
    if (p != NULL) memcpy(p, opt_path, n * sizeof(wchar_t));
    return p;
}

static void log_job(const job_t *job)
{
    char fp[65], sha[65];
    job_hex32(job->sha256, sha);
    if (job->transport == JOB_TRANSPORT_SMB) {
        agent_log("job: run=%s package=%s size=%llu sha256=%s transport=smb", job->run, job->package, job->size, sha);
        return;
    }
    job_hex32(job->fingerprint, fp);
    agent_log("job: run=%s package=%s size=%llu sha256=%s fingerprint=%s consoles=%d transport=%s", job->run,
              job->package, job->size, sha, fp, job->console_count, job_transport_name(job->transport));
    if (job->transport == JOB_TRANSPORT_AUTO) agent_log("job: wait=%u s for the package over SMB", job->wait_s);
    for (int i = 0; i < job->console_count; i++)
        agent_log("job: console %d: %s%s%s:%u", i + 1, job->consoles[i].is_ipv6 ? "[" : "", job->consoles[i].host,
                  job->consoles[i].is_ipv6 ? "]" : "", (unsigned)job->consoles[i].port);
}

DWORD job_load(const wchar_t *path, job_t *job, int *invalid)
{
    static char data[JOB_MAX_FILE_BYTES + 1]; /* one byte more than allowed: "too large" is detected */
    char err[320], path8[1024];
    DWORD len = 0, rc;

    *invalid = 0;
    utf8_from_wide(path, path8, (int)sizeof path8);
    agent_log("job file: %s", path8);
    rc = read_file_prefix(path, data, (DWORD)sizeof data, &len);
    if (rc != ERROR_SUCCESS) {
        agent_log("bad job file: cannot read it (Win32 error %lu)", (unsigned long)rc);
        return AGENT_EXIT_BAD_JOB;
    }
    rc = job_parse(data, len, job, err, sizeof err) == 0 ? AGENT_EXIT_OK : AGENT_EXIT_BAD_JOB;
    SecureZeroMemory(data, sizeof data);
    if (rc != AGENT_EXIT_OK) {
        agent_log("bad job file: %s", err);
        *invalid = 1;
        return rc;
    }
    log_job(job);
    return AGENT_EXIT_OK;
}

void job_load_remove(const wchar_t *path)
{
    if (DeleteFileW(path)) agent_log("job file deleted");
    else if (GetLastError() != ERROR_FILE_NOT_FOUND)
        agent_log("could not delete the job file: Win32 error %lu", (unsigned long)GetLastError());
}
