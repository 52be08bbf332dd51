/* The smb transport's package (agent/README.md, "Transports"): the manifest <exe>.pkg — the body
 * GET /v1/job answers — and the files the console copied into <exe dir>\package\, verified and held
 * against writers until msiexec is done. No console, no WinHTTP. */
#ifndef PUSHINSTALL_LOCAL_PACKAGE_H
#define PUSHINSTALL_LOCAL_PACKAGE_H

#include <windows.h>

#include "jobfile.h"
#include "jobresponse.h"

#define LOCAL_PACKAGE_MAX_MANIFEST (64u * 1024u) /* as GET /v1/job's answer */
#define LOCAL_PACKAGE_POLL_MS 1000u              /* auto: how often <exe>.pkg is looked for */

typedef struct {
    HANDLE stop_event;           /* set by the caller */
    int manifest_read;           /* its bytes were read: from here on the result goes to <exe>.result */
    wchar_t dir[MAX_PATH + 16];  /* <exe dir>\package, no trailing backslash (local_package_verify) */
    HANDLE held[JOB_MAX_FILES];  /* read handles, sharing read only: writers stay out */
} local_package_t;

/* Whether <exe>.pkg is there and understood (auto at start), logging nothing. */
int local_package_ready(const job_t *job);

/* Reads <exe>.pkg into jr (job_response_parse). AGENT_EXIT_OK; AGENT_EXIT_INTEGRITY (its msi is not
 * the job file's); AGENT_EXIT_DOWNLOAD: missing, unreadable, over 64 KiB, not understood, or runAs
 * admin (the password never travels in a file: that needs the callback transport). */
DWORD local_package_read(local_package_t *lp, const job_t *job, job_response *jr);

/* auto, once no console answered: looks for <exe>.pkg every second for job->wait_s seconds; one
 * that is there but not understood yet may be mid-write and is waited for. Then as
 * local_package_read. AGENT_EXIT_UNREACHABLE when none came; AGENT_EXIT_DOWNLOAD with the reason
 * when one is there at the deadline but still not understood; AGENT_EXIT_STOPPED on a stop. */
DWORD local_package_wait(local_package_t *lp, const job_t *job, job_response *jr);

/* Sets lp->dir to <exe dir>\package. AGENT_EXIT_OK or AGENT_EXIT_DOWNLOAD. */
DWORD local_package_locate(local_package_t *lp);

/* Opens every file of jr in lp->dir (setting its path), keeps it open sharing read only, and checks
 * its size and SHA-256 against jr. AGENT_EXIT_OK; AGENT_EXIT_INTEGRITY (nothing installed; the file
 * and both hashes logged); AGENT_EXIT_DOWNLOAD (missing or unreadable); AGENT_EXIT_STOPPED;
 * AGENT_EXIT_INTERNAL. */
DWORD local_package_verify(local_package_t *lp, job_response *jr);

/* Closes the held files (safe to call again). */
void local_package_close(local_package_t *lp);

/* Deletes <exe>.pkg if it is there (the end of every run). */
void local_package_remove_manifest(void);

#endif
