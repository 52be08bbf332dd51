#include "report.h"

#include <stdio.h>
#include <string.h>

#include "install.h"
#include "log.h"
#include "report_file.h"

/* The body, replacing <exe>.progress or <exe>.result (name: for the log). 0 or a Win32 error. */
static DWORD write_report_file(const wchar_t *suffix, const char *name, const char *body, size_t len)
{
    DWORD e = report_file_write(suffix, body, len);
    if (e != 0) agent_log("could not write <exe>%s: Win32 error %lu", name, (unsigned long)e);
    return e;
}

static void post_progress(report_t *r, const char *stage, int percent, int once, const char *body)
{
    buf_t out = {0};
    DWORD status = 0, e = 0, busy = 0;
    net_rc rc;
    out.limit = 4096;
    rc = once ? console_fetch_once(r->con, L"POST", L"/v1/progress", body, &status, &out, &e, &busy)
              : console_fetch(r->con, L"POST", L"/v1/progress", body, &status, &out, &e);
    if (busy > 0) {
        r->quiet_until = GetTickCount64() + busy * 1000ull;
        agent_log("progress '%s' %d%% refused (HTTP %lu): no progress posts for %lu s (Retry-After); the download goes on",
                  stage, percent, (unsigned long)status, (unsigned long)busy);
    } else if (rc != NET_OK || status != 200) {
        agent_log("progress '%s' not delivered (HTTP %lu, WinHTTP error %lu)", stage, (unsigned long)status, (unsigned long)e);
    }
    buf_free(&out);
}

void report_progress(report_t *r, const char *stage, int percent, int once)
{
    char body[96];
    if (percent >= 0) snprintf(body, sizeof body, "{\"stage\":\"%s\",\"percent\":%d}", stage, percent);
    else snprintf(body, sizeof body, "{\"stage\":\"%s\",\"percent\":null}", stage);
    if (!r->to_files) post_progress(r, stage, percent, once, body);
    else if (write_report_file(REPORT_FILE_PROGRESS, ".progress", body, strlen(body)) == 0)
        agent_log("progress '%s' written to <exe>.progress", stage);
}

int report_quiet(const report_t *r, ULONGLONG now) { return now < r->quiet_until; }

/* {"exitCode":<result>,"log":"<the agent's log>[<the MSI log's tail>]"[,"restart":{...}]} into body. */
static void build_result(DWORD result, const wchar_t *msi_log, const char *restart, buf_t *body)
{
    buf_t log = {0};
    char *mem = HeapAlloc(GetProcessHeap(), 0, LOG_MEMORY_BYTES);
    buf_adds(&log, "== PushInstallAgent log ==\n");
    if (mem != NULL) {
        size_t n = log_memory(mem, LOG_MEMORY_BYTES);
        buf_add(&log, mem, n);
        HeapFree(GetProcessHeap(), 0, mem);
    }
    if (msi_log != NULL) install_log_tail(msi_log, &log);
    buf_addf(body, "{\"exitCode\":%lu,\"log\":", (unsigned long)result);
    buf_add_json_string(body, log.p != NULL ? log.p : "", log.len);
    if (restart != NULL) buf_addf(body, ",\"restart\":%s", restart);
    buf_adds(body, "}");
    buf_free(&log);
}

/* POST /v1/result, up to 3 attempts. */
static void post_result(report_t *r, const buf_t *body)
{
    buf_t out = {0};
    for (int attempt = 1; attempt <= 3; attempt++) {
        DWORD status = 0, e = 0;
        net_rc rc;
        out.limit = 4096;
        out.len = 0;
        rc = console_fetch(r->con, L"POST", L"/v1/result", body->p, &status, &out, &e);
        if (rc == NET_OK && status == 200) {
            agent_log("result posted (%lu bytes)", (unsigned long)body->len);
            break;
        }
        agent_log("result not delivered (attempt %d of 3: HTTP %lu, WinHTTP error %lu)", attempt, (unsigned long)status,
                  (unsigned long)e);
        if (rc == NET_STOPPED || (rc == NET_OK && status != 200 && status < 500)) break;
        Sleep(1000u * (DWORD)attempt);
    }
    buf_free(&out);
}

void report_result(report_t *r, DWORD result, const wchar_t *msi_log, const char *restart)
{
    buf_t body = {0};

    if (r->to_files) agent_log("writing result %lu to <exe>.result", (unsigned long)result);
    else agent_log("posting result %lu to the console", (unsigned long)result);
    build_result(result, msi_log, restart, &body);
    if (body.failed) {
        agent_log("out of memory building the result");
    } else if (!r->to_files) {
        post_result(r, &body);
    } else if (write_report_file(REPORT_FILE_RESULT, ".result", body.p, body.len) == 0) {
        agent_log("result written to <exe>.result (%lu bytes)", (unsigned long)body.len);
    }
    buf_free(&body);
}
