/* Telling the console how the run goes: POST /v1/progress and POST /v1/result (agent/README.md,
 * "What the agent does", steps 3-8, and "A busy console"), or with the smb transport the same
 * bodies in <exe>.progress and <exe>.result (report_file.c; agent/README.md, "Transports"). */
#ifndef PUSHINSTALL_REPORT_H
#define PUSHINSTALL_REPORT_H

#include <windows.h>

#include "console.h"

typedef struct {
    console_t *con; /* the callback transport: posted to the console */
    int to_files;   /* the smb transport: written beside the exe instead (no console, no WinHTTP) */
    ULONGLONG quiet_until; /* no download percent posts before this tick (a 429/503's Retry-After) */
} report_t;

/* POST /v1/progress {stage, percent} (percent < 0: null). The stage posts (connected, downloading 0
 * and 100, installing) wait out a 429/503 like every request. The download's percent posts in
 * between (once: 1) do not — the download must not stall for them, and the next one supersedes a
 * lost one: after a 429/503 they stay quiet for its Retry-After (report_quiet). to_files: the body
 * replaces <exe>.progress instead. Failures are logged, never fatal. */
void report_progress(report_t *r, const char *stage, int percent, int once);

/* Whether the console asked for quiet (a percent post's 429/503) and it has not yet passed. */
int report_quiet(const report_t *r, ULONGLONG now);

/* {exitCode, log[, restart]}: the agent's log kept in memory, then the MSI log's tail when msi_log is
 * not NULL; restart: the "restart" member's JSON object (restart_json) or NULL for none. POST
 * /v1/result (up to 3 attempts), or to_files: written to <exe>.result. Failures are logged, never
 * fatal. */
void report_result(report_t *r, DWORD result, const wchar_t *msi_log, const char *restart);

#endif
