/* Telling the console how the run goes: POST /v1/progress and POST /v1/result (agent/README.md,
 * "What the agent does", steps 3-8, and "A busy console"). */
#ifndef PUSHINSTALL_REPORT_H
#define PUSHINSTALL_REPORT_H

#include <windows.h>

#include "console.h"

typedef struct {
    console_t *con;
    ULONGLONG quiet_until; /* no download percent posts before this tick (a 429/503's Retry-After) */
} report_t;

/* POST /v1/progress {stage, percent} (percent < 0: null). The stage posts (connected, downloading 0
 * and 100, installing) wait out a 429/503 like every request. The download's percent posts in
 * between (once: 1) do not — the download must not stall for them, and the next one supersedes a
 * lost one: after a 429/503 they stay quiet for its Retry-After (report_quiet). Failures are
 * logged, never fatal. */
void report_progress(report_t *r, const char *stage, int percent, int once);

/* Whether the console asked for quiet (a percent post's 429/503) and it has not yet passed. */
int report_quiet(const report_t *r, ULONGLONG now);

/* POST /v1/result {exitCode, log}: the agent's log kept in memory, then the MSI log's tail when
 * msi_log is not NULL; up to 3 attempts. Failures are logged, never fatal. */
void report_result(report_t *r, DWORD result, const wchar_t *msi_log);

#endif
