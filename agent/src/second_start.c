#include "second_start.h"

#include <stdio.h>
#include <string.h>

#include "exitcodes.h"
#include "files.h"
#include "log.h"

static int already_done(const char *run)
{
    char text[256], want[JOB_MAX_ID_CHARS + 8];
    wchar_t *p = exe_path_with_suffix(L".done");
    int done = 0;
    if (p == NULL) return 0;
    snprintf(want, sizeof want, "run=%s\r\n", run);
    if (read_small_file(p, text, sizeof text) == 0 && strncmp(text, want, strlen(want)) == 0) done = 1;
    HeapFree(GetProcessHeap(), 0, p);
    return done;
}

void second_start_mark(const char *run, long result)
{
    char text[160];
    wchar_t *p = exe_path_with_suffix(L".done");
    DWORD e;
    if (p == NULL) return;
    if (result < 0) snprintf(text, sizeof text, "run=%s\r\nresult=installing\r\n", run);
    else snprintf(text, sizeof text, "run=%s\r\nresult=%ld\r\n", run, result);
    e = write_small_file(p, text);
    if (e != 0) agent_log("could not write the .done marker: Win32 error %lu", (unsigned long)e);
    HeapFree(GetProcessHeap(), 0, p);
}

DWORD second_start_guard(job_t *job)
{
    wchar_t mutex_name[96];
    HANDLE mutex;
    _snwprintf(mutex_name, 96, L"Global\\PushInstallAgent-run-%hs", job->run);
    mutex_name[95] = L'\0';
    mutex = CreateMutexW(NULL, FALSE, mutex_name);
    if (mutex != NULL && GetLastError() == ERROR_ALREADY_EXISTS) {
        agent_log("run %s is being handled by another agent process: nothing to do", job->run);
        SecureZeroMemory(job, sizeof *job);
        return AGENT_EXIT_ALREADY_RAN;
    }
    if (already_done(job->run)) {
        agent_log("run %s already finished on this machine (.done marker): nothing installed again", job->run);
        SecureZeroMemory(job, sizeof *job);
        return AGENT_EXIT_ALREADY_RAN;
    }
    return AGENT_EXIT_OK;
}
