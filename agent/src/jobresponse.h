/* The console's job: the answer to GET /v1/job (agent/README.md, "What the agent does", step 3),
 * read with json.c into what the rest of the work needs. */
#ifndef PUSHINSTALL_JOBRESPONSE_H
#define PUSHINSTALL_JOBRESPONSE_H

#include <windows.h>

#include <stddef.h>

#include "install.h"
#include "jobfile.h"
#include "restart.h"

#define JOB_MAX_FILES 8
#define JOB_MAX_PARAMETERS 8192 /* bytes of UTF-8 and characters of UTF-16, NUL included */

typedef struct {
    char name[128];
    unsigned long long size;
    unsigned char sha256[32];
    int is_msi;
    wchar_t path[MAX_PATH + 160]; /* <work folder>\<name>, set by the download */
} pkg_file;

typedef struct {
    pkg_file files[JOB_MAX_FILES];
    int file_count;
    int msi;                         /* index of the one role "msi" file */
    unsigned long long total_bytes;  /* all files together */
    char params[JOB_MAX_PARAMETERS]; /* msiexec parameters as UTF-8 ("" when none) */
    wchar_t params_w[JOB_MAX_PARAMETERS];
    int as_admin; /* runAs "admin" (else "system") */
    install_action action;
    int restart_action;   /* action "restart": no package, no msiexec; the restart policy as after a 3010 */
    restart_spec restart; /* the "restart" member (absent or null: policy none) */
    int understood;       /* read whole (the result then says what became of the restart) */
} job_response;

/* Reads {runId, action?, parameters, runAs, files: [{name, size, sha256, role}], restart?} for job's run into
 * out (zeroed first) and logs it: GET /v1/job's answer, or from_manifest the package manifest
 * <exe>.pkg (the smb transport; the same shape). Returns AGENT_EXIT_OK; AGENT_EXIT_DOWNLOAD when it
 * is not understood ("the console's job is not understood: <why>", "the package manifest is not
 * understood: <why>"); AGENT_EXIT_INTEGRITY when its msi is not the package the job file names
 * (nothing may be downloaded or installed then). With action "restart" files may be empty and its
 * msi is not compared with the job file's. */
DWORD job_response_parse(const char *text, size_t len, const job_t *job, int from_manifest, job_response *out);

/* Whether job_response_parse would understand the text (its msi not checked), logging nothing: a
 * manifest that is still being written is waited for quietly. */
int job_response_parses(const char *text, size_t len, const job_t *job);

/* Replaces every %PUSHINSTALL_DIR% (ASCII case-insensitive) in the parameters with work_dir (no
 * trailing backslash). The result must still fit the parameters' limits: fewer than
 * JOB_MAX_PARAMETERS characters, and fewer than JOB_MAX_PARAMETERS bytes as UTF-8 (the same 8 KiB
 * the job's parameters are held to). Returns the number of occurrences replaced, or -1 when too
 * long (the parameters are left as they were). */
int job_response_expand_work_dir(job_response *jr, const wchar_t *work_dir);

#endif
