/* The second-start guard (agent/README.md, "What the agent does", step 2): one agent per run at a
 * time (a named mutex), and never again after a finished run (the marker <exe>.done). */
#ifndef PUSHINSTALL_SECOND_START_H
#define PUSHINSTALL_SECOND_START_H

#include <windows.h>

#include "jobfile.h"

/* AGENT_EXIT_OK, or AGENT_EXIT_ALREADY_RAN (touching nothing; job is wiped) when another agent
 * process holds the run's mutex Global\PushInstallAgent-run-<run> or <exe>.done names the run.
 * The mutex stays held until the process ends. */
DWORD second_start_guard(job_t *job);

/* Writes <exe>.done: "run=<run>" and "result=<result>", or "result=installing" for -1 (while
 * msiexec runs, so even a crash cannot lead to a second install). */
void second_start_mark(const char *run, long result);

#endif
