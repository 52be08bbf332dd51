/* Downloading and verifying the package files into the work folder (agent/README.md, "What the
 * agent does", step 5): GET /v1/files/<name>, resumed with Range after a cut, SHA-256 as it writes. */
#ifndef PUSHINSTALL_DOWNLOAD_H
#define PUSHINSTALL_DOWNLOAD_H

#include <windows.h>

#include "console.h"
#include "jobresponse.h"
#include "report.h"

#define DOWNLOAD_ATTEMPTS 6 /* per file: the first try and up to 5 resumes */

typedef struct {
    /* Set by the caller: */
    console_t *con;
    report_t *report;
    HANDLE stop_event;
    const wchar_t *work_dir;
    /* Kept by download_files: */
    unsigned long long total_bytes, done_bytes;
    ULONGLONG last_progress_tick;
    int last_progress_percent;
    HANDLE open_file;            /* the file being downloaded */
    HANDLE held[JOB_MAX_FILES];  /* read handles that keep writers out of the verified files */
} download_t;

/* Downloads every file of jr into dl->work_dir (setting each file's path) and verifies its size and
 * SHA-256, posting progress "downloading" 0..100. A verified file stays open for reading, sharing
 * read only, until download_close_files. Returns AGENT_EXIT_OK, AGENT_EXIT_INTEGRITY,
 * AGENT_EXIT_DOWNLOAD, AGENT_EXIT_TOKEN_REFUSED, AGENT_EXIT_INTERNAL or AGENT_EXIT_STOPPED. */
DWORD download_files(download_t *dl, job_response *jr);

/* Closes the file being written and the verified files' read handles (safe to call again). */
void download_close_files(download_t *dl);

#endif
