/* The agent's work, the same with and without the SCM. */
#ifndef PUSHINSTALL_WORK_H
#define PUSHINSTALL_WORK_H

#include <windows.h>

#include "service_ctl.h"

typedef struct {
    int console_mode;         /* --console: run without the SCM, result = process exit code */
    const wchar_t *job_path;  /* --job <path>; NULL -> "<exe path>.job" */
    const wchar_t *log_path;  /* --log <path>; NULL -> "<exe path>.log" as a service, stderr with --console */
    DWORD test_hold_ms;       /* --test-hold-ms <n>: after the job is fetched, wait n ms or until stopped */
    int test_self_token;      /* --test-self-token: see install.h (tests only: Wine's LogonUserW is a stub) */
    DWORD test_busy_budget_s; /* --test-busy-budget-s <n>: the run's 429/503 back-off budget (tests only); 0 = 300 s */
} agent_options;

/* Runs the work on the calling thread. stop_event is set when the SCM (or Ctrl+C) asks to stop;
 * the work checks it at every step and returns AGENT_EXIT_STOPPED promptly. svc: what the work
 * calls back up for (the stop grace while msiexec runs; ending the worker on a pin failure). */
DWORD work_run(const agent_options *opts, HANDLE stop_event, const service_ctl *svc);

#endif
