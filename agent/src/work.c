/* The agent's work, the same with and without the SCM (agent/README.md, "What the agent does"):
 * job file -> second-start guard -> GET /v1/job -> work folder -> download + verify every file ->
 * credential (runAs admin) -> msiexec -> POST /v1/result -> .done marker -> cleanup.
 * The steps below come in that order; work_run, at the end, strings them together. */
#include "work.h"

#include <stdio.h>
#include <string.h>

#include "console.h"
#include "credential.h"
#include "download.h"
#include "exitcodes.h"
#include "files.h"
#include "install.h"
#include "jobfile.h"
#include "jobresponse.h"
#include "log.h"
#include "report.h"

/* Everything one run holds. */
typedef struct {
    const agent_options *opts;
    const service_ctl *svc;
    HANDLE stop_event;
    job_t job;
    wchar_t *job_path;
    console_t con;
    int con_open;
    wchar_t work_dir[MAX_PATH];
    int have_work_dir;
    job_response jr;   /* the console's job */
    report_t report;   /* progress and result posts */
    download_t dl;     /* the package files, and the handles that hold them */
    credential_t cred; /* runAs admin only: memory only, wiped right after the logon */
} work_ctx;

static int stop_requested(const work_ctx *w) { return WaitForSingleObject(w->stop_event, 0) == WAIT_OBJECT_0; }

/* The end of every run that got as far as the job file: nothing of the work stays behind but the
 * agent's log (and the .done marker, written by the caller). */
static void cleanup(work_ctx *w)
{
    download_close_files(&w->dl);
    credential_wipe(&w->cred);
    console_forget_token();
    if (w->have_work_dir) {
        DWORD e = delete_tree(w->work_dir);
        if (e != 0) agent_log("could not delete the work folder completely: Win32 error %lu", (unsigned long)e);
        else agent_log("work folder deleted");
        w->have_work_dir = 0;
    }
    if (w->job_path != NULL) {
        if (DeleteFileW(w->job_path)) agent_log("job file deleted");
        else if (GetLastError() != ERROR_FILE_NOT_FOUND)
            agent_log("could not delete the job file: Win32 error %lu", (unsigned long)GetLastError());
    }
    SecureZeroMemory(&w->job, sizeof w->job);
}

/* console_pin_failure_fn, from the WinHTTP status callback on the worker thread, before a request
 * is sent to a console whose certificate does not match: clean up and end the worker there. */
static void on_pin_failure(void *ctx)
{
    work_ctx *w = ctx;
    agent_log("result %u: the console's certificate does not match; the token was not sent", AGENT_EXIT_FINGERPRINT);
    cleanup(w);
    w->svc->abandon_work(w->svc->ctx, AGENT_EXIT_FINGERPRINT);
}

/* ---- 1. the job file ---------------------------------------------------------------------------- */

/* --job <path>, or <exe>.job; HeapAlloc'ed, or NULL. */
static wchar_t *job_file_path(const agent_options *opts)
{
    wchar_t *p;
    size_t n;
    if (opts->job_path == NULL) return exe_path_with_suffix(L".job");
    n = wcslen(opts->job_path) + 1;
    p = HeapAlloc(GetProcessHeap(), 0, n * sizeof(wchar_t));
    if (p != NULL) memcpy(p, opts->job_path, n * sizeof(wchar_t));
    return p;
}

static void log_job_file(const job_t *job)
{
    char fp[65], sha[65];
    job_hex32(job->fingerprint, fp);
    job_hex32(job->sha256, sha);
    agent_log("job: run=%s package=%s size=%llu sha256=%s fingerprint=%s consoles=%d", job->run, job->package,
              job->size, sha, fp, job->console_count);
    for (int i = 0; i < job->console_count; i++)
        agent_log("job: console %d: %s%s%s:%u", i + 1, job->consoles[i].is_ipv6 ? "[" : "", job->consoles[i].host,
                  job->consoles[i].is_ipv6 ? "]" : "", (unsigned)job->consoles[i].port);
}

/* Reads and validates the job file into w->job. AGENT_EXIT_OK, AGENT_EXIT_INTERNAL (no path) or
 * AGENT_EXIT_BAD_JOB: a job file that cannot be read is left alone; one that is read but invalid
 * is deleted (cleanup). */
static DWORD read_job_file(work_ctx *w)
{
    static char data[JOB_MAX_FILE_BYTES + 1]; /* one byte more than allowed: "too large" is detected */
    char err[320], path8[1024];
    DWORD len = 0, rc;

    w->job_path = job_file_path(w->opts);
    if (w->job_path == NULL) {
        agent_log("cannot determine the job file's path (error %lu)", (unsigned long)GetLastError());
        return AGENT_EXIT_INTERNAL;
    }
    utf8_from_wide(w->job_path, path8, (int)sizeof path8);
    agent_log("job file: %s", path8);
    rc = read_file_prefix(w->job_path, data, (DWORD)sizeof data, &len);
    if (rc != ERROR_SUCCESS) {
        agent_log("bad job file: cannot read it (Win32 error %lu)", (unsigned long)rc);
        return AGENT_EXIT_BAD_JOB;
    }
    if (job_parse(data, len, &w->job, err, sizeof err) != 0) {
        SecureZeroMemory(data, sizeof data);
        agent_log("bad job file: %s", err);
        cleanup(w);
        return AGENT_EXIT_BAD_JOB;
    }
    SecureZeroMemory(data, sizeof data);
    log_job_file(&w->job);
    return AGENT_EXIT_OK;
}

/* ---- 2. second-start guard: <exe>.done and a named mutex ------------------------------------------ */

static wchar_t *done_path(void) { return exe_path_with_suffix(L".done"); }

static int already_done(const work_ctx *w)
{
    char text[256], want[JOB_MAX_ID_CHARS + 8];
    wchar_t *p = done_path();
    int done = 0;
    if (p == NULL) return 0;
    snprintf(want, sizeof want, "run=%s\r\n", w->job.run);
    if (read_small_file(p, text, sizeof text) == 0 && strncmp(text, want, strlen(want)) == 0) done = 1;
    HeapFree(GetProcessHeap(), 0, p);
    return done;
}

/* result: the agent's result, or -1 while msiexec runs ("result=installing"). */
static void mark_done(const work_ctx *w, long result)
{
    char text[160];
    wchar_t *p = done_path();
    DWORD e;
    if (p == NULL) return;
    if (result < 0) snprintf(text, sizeof text, "run=%s\r\nresult=installing\r\n", w->job.run);
    else snprintf(text, sizeof text, "run=%s\r\nresult=%ld\r\n", w->job.run, result);
    e = write_small_file(p, text);
    if (e != 0) agent_log("could not write the .done marker: Win32 error %lu", (unsigned long)e);
    HeapFree(GetProcessHeap(), 0, p);
}

/* One agent per run at a time (a named mutex, released when the process ends), and never again
 * after a finished run (<exe>.done names it): AGENT_EXIT_ALREADY_RAN, touching nothing. */
static DWORD second_start_guard(work_ctx *w)
{
    wchar_t mutex_name[96];
    HANDLE mutex;
    _snwprintf(mutex_name, 96, L"Global\\PushInstallAgent-run-%hs", w->job.run);
    mutex_name[95] = L'\0';
    mutex = CreateMutexW(NULL, FALSE, mutex_name);
    if (mutex != NULL && GetLastError() == ERROR_ALREADY_EXISTS) {
        agent_log("run %s is being handled by another agent process: nothing to do", w->job.run);
        SecureZeroMemory(&w->job, sizeof w->job);
        return AGENT_EXIT_ALREADY_RAN;
    }
    if (already_done(w)) {
        agent_log("run %s already finished on this machine (.done marker): nothing installed again", w->job.run);
        SecureZeroMemory(&w->job, sizeof w->job);
        return AGENT_EXIT_ALREADY_RAN;
    }
    return AGENT_EXIT_OK;
}

/* ---- 3. the console and its job --------------------------------------------------------------- */

/* GET /v1/job (console.c), the first console= address that answers staying open in w->con, and its
 * answer read into w->jr (jobresponse.c). */
static DWORD fetch_job(work_ctx *w)
{
    DWORD budget_s = w->opts->test_busy_budget_s > 0 ? w->opts->test_busy_budget_s : CONSOLE_BUSY_BUDGET_S;
    buf_t answer = {0};
    DWORD r;
    console_init(&w->job, w->stop_event, budget_s, on_pin_failure, w);
    r = console_open(&w->job, w->stop_event, &w->con, &answer);
    if (r == AGENT_EXIT_OK) {
        w->con_open = 1;
        r = job_response_parse(answer.p, answer.len, &w->job, &w->jr);
    }
    buf_free(&answer);
    return r;
}

/* --test-hold-ms: after the job is fetched, wait or until stopped. */
static DWORD test_hold(const work_ctx *w)
{
    if (w->opts->test_hold_ms == 0) return AGENT_EXIT_OK;
    agent_log("holding for %lu ms (--test-hold-ms)", (unsigned long)w->opts->test_hold_ms);
    return WaitForSingleObject(w->stop_event, w->opts->test_hold_ms) == WAIT_OBJECT_0 ? AGENT_EXIT_STOPPED : AGENT_EXIT_OK;
}

/* ---- 4. the work folder ------------------------------------------------------------------------- */

static DWORD create_work_folder(work_ctx *w)
{
    char dir8[MAX_PATH * 3], dacl[256];
    DWORD e = workdir_create(w->job.run, w->work_dir, MAX_PATH);
    if (e != 0) {
        agent_log("cannot create the work folder: Win32 error %lu", (unsigned long)e);
        return AGENT_EXIT_DOWNLOAD;
    }
    w->have_work_dir = 1;
    utf8_from_wide(w->work_dir, dir8, sizeof dir8);
    workdir_describe(w->work_dir, dacl, sizeof dacl);
    agent_log("work folder %s created; its DACL read back: %s", dir8, dacl);
    return AGENT_EXIT_OK;
}

/* %PUSHINSTALL_DIR% in the msiexec parameters becomes the work folder. */
static DWORD expand_parameters(work_ctx *w)
{
    int n = job_response_expand_work_dir(&w->jr, w->work_dir);
    if (n < 0) {
        agent_log("the console's job is not understood: parameters: longer than 8 KiB once %%PUSHINSTALL_DIR%% is "
                  "expanded to the work folder");
        return AGENT_EXIT_DOWNLOAD;
    }
    if (n > 0)
        agent_log("msiexec parameters with %%PUSHINSTALL_DIR%% expanded (%d occurrence%s): %s", n, n == 1 ? "" : "s",
                  w->jr.params);
    return AGENT_EXIT_OK;
}

/* ---- from the job to msiexec ------------------------------------------------------------------ */

/* 3..6: everything between the console's job and msiexec. */
static DWORD prepare(work_ctx *w)
{
    DWORD r;
    report_progress(&w->report, "connected", -1, 0);
    r = test_hold(w);
    if (r != AGENT_EXIT_OK) return r;
    if (stop_requested(w)) return AGENT_EXIT_STOPPED;
    r = create_work_folder(w);
    if (r == AGENT_EXIT_OK) r = expand_parameters(w);
    if (r == AGENT_EXIT_OK) r = download_files(&w->dl, &w->jr);
    if (r != AGENT_EXIT_OK) return r;
    if (stop_requested(w)) return AGENT_EXIT_STOPPED;
    return w->jr.as_admin ? credential_fetch(&w->cred, &w->con) : AGENT_EXIT_OK;
}

/* 7..8: msiexec, then its result to the console. */
static DWORD install(work_ctx *w, int *installed_or_reported)
{
    wchar_t msi_log[MAX_PATH + 32];
    install_spec spec;
    DWORD r;

    _snwprintf(msi_log, sizeof msi_log / sizeof msi_log[0], L"%ls\\" INSTALL_MSI_LOG_NAME, w->work_dir);
    msi_log[sizeof msi_log / sizeof msi_log[0] - 1] = L'\0';
    report_progress(&w->report, "installing", -1, 0);
    memset(&spec, 0, sizeof spec);
    spec.action = w->jr.action;
    spec.work_dir = w->work_dir;
    spec.msi_path = w->jr.files[w->jr.msi].path;
    spec.log_path = msi_log;
    spec.parameters = w->jr.params_w;
    spec.as_admin = w->jr.as_admin;
    spec.user = w->cred.user;
    spec.domain = w->cred.domain;
    spec.password = w->cred.password;
    spec.test_self_token = w->opts->test_self_token;
    /* From here on this run counts as done on this machine: a second start will not install again. */
    mark_done(w, -1);
    *installed_or_reported = 1;
    r = install_run(&spec, w->stop_event, w->svc);
    credential_wipe(&w->cred);
    download_close_files(&w->dl);
    if (r == AGENT_EXIT_STOPPED) return r;
    console_allow_requests(); /* a stop during msiexec: the install ended within the bound; report it */
    report_result(&w->report, r, msi_log);
    return r;
}

/* From a valid job file to the end. *installed_or_reported: msiexec was started or the console was
 * told the result (the .done marker then gets the result). */
static DWORD run_job(work_ctx *w, int *installed_or_reported)
{
    DWORD r = fetch_job(w);
    if (!w->con_open) return r; /* no console to tell */
    if (r == AGENT_EXIT_OK) r = prepare(w);
    if (r == AGENT_EXIT_STOPPED) return r;
    if (r != AGENT_EXIT_OK) {
        /* Failures after the console answered: tell it why. */
        report_result(&w->report, r, NULL);
        *installed_or_reported = 1;
        return r;
    }
    return install(w, installed_or_reported);
}

DWORD work_run(const agent_options *opts, HANDLE stop_event, const service_ctl *svc)
{
    /* Static: large (the job's parameters twice, eight file paths), and one run per process. */
    static work_ctx w;
    DWORD result;
    int finished = 0;

    memset(&w, 0, sizeof w);
    w.opts = opts;
    w.svc = svc;
    w.stop_event = stop_event;
    w.report.con = &w.con;
    w.dl.con = &w.con;
    w.dl.report = &w.report;
    w.dl.stop_event = stop_event;
    w.dl.work_dir = w.work_dir;

    result = read_job_file(&w);
    if (result == AGENT_EXIT_OK) result = second_start_guard(&w);
    if (result != AGENT_EXIT_OK) return result;

    result = stop_requested(&w) ? AGENT_EXIT_STOPPED : run_job(&w, &finished);
    if (finished && result != AGENT_EXIT_STOPPED) mark_done(&w, (long)result);
    if (w.con_open) console_close(&w.con);
    agent_log("%lu requests sent to the console, each after its certificate matched the fingerprint",
              (unsigned long)console_pinned_requests());
    if (result == AGENT_EXIT_STOPPED) agent_log("stop requested: ending the work");
    cleanup(&w);
    return result;
}
