/* The job file on disk (agent/README.md, "What the agent does", step 1): where it is, reading it,
 * and logging what it says; its format is jobfile.c's. */
#ifndef PUSHINSTALL_JOB_LOAD_H
#define PUSHINSTALL_JOB_LOAD_H

#include <windows.h>

#include "jobfile.h"

/* --job <path> (opt_path), or <exe>.job: HeapAlloc'ed, or NULL. */
wchar_t *job_load_path(const wchar_t *opt_path);

/* Reads and validates the job file at path into job and logs it. AGENT_EXIT_OK, or
 * AGENT_EXIT_BAD_JOB with the reason logged; *invalid is set when the file was read but is not a
 * valid job (the caller deletes it then; one that cannot be read is left alone). */
DWORD job_load(const wchar_t *path, job_t *job, int *invalid);

/* Deletes the job file (the end of every run that read it). */
void job_load_remove(const wchar_t *path);

#endif
