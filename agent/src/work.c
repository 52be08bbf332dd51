/* The agent's work, the same with and without the SCM (agent/README.md, "What the agent does"): job
 * file -> second-start guard -> the package, by the job's transport (agent/README.md, "Transports"):
 * callback (GET /v1/job, download into the work folder, credential; reports posted), smb (the
 * manifest <exe>.pkg and the files beside the exe, verified there; reports written beside the exe;
 * no WinHTTP) or auto (callback, then smb when no console answered) -> msiexec -> the restart, if
 * one is due, scheduled -> the result -> .done marker -> cleanup -> with a restart scheduled, the
 * wait for it (agent/README.md, "Restarts"). The steps come in that order; work_run, at the end,
 * strings them together. */
#include "work.h"

#include <stdio.h>
#include <string.h>

#include "console.h"
#include "credential.h"
#include "download.h"
#include "exitcodes.h"
#include "files.h"
#include "install.h"
#include "job_load.h"
#include "jobfile.h"
#include "jobresponse.h"
#include "local_package.h"
#include "log.h"
#include "report.h"
#include "restart.h"
#include "second_start.h"

/* Everything one run holds. */
typedef struct {
    const agent_options *opts;
    const service_ctl *svc;
    HANDLE stop_event;
    job_t job;
    wchar_t *job_path;
    console_t con;
    int con_open;
    int console_used; /* the callback was tried: the pinned requests are counted in the log */
    wchar_t work_dir[MAX_PATH];
    int have_work_dir;
    job_response jr;    /* the console's job, or the package manifest */
    report_t report;    /* progress and result: posted, or written beside the exe */
    download_t dl;      /* callback: the package files, and the handles that hold them */
    local_package_t lp; /* smb: the package files beside the exe, held the same way */
    credential_t cred;  /* runAs admin only: memory only, wiped right after the logon */
    restart_t restart;  /* what became of the restart: in the result, and waited for after it */
} work_ctx;

static int stop_requested(const work_ctx *w) { return WaitForSingleObject(w->stop_event, 0) == WAIT_OBJECT_0; }

/* The end of every run that got as far as the job file: what stays is for the console to delete by
 * name (the log, the package files it copied, the reports, the .done marker the caller writes). */
static void cleanup(work_ctx *w)
{
    download_close_files(&w->dl);
    local_package_close(&w->lp);
    credential_wipe(&w->cred);
    console_forget_token();
    if (w->have_work_dir) {
        DWORD e = delete_tree(w->work_dir);
        if (e != 0) agent_log("could not delete the work folder completely: Win32 error %lu", (unsigned long)e);
        else agent_log("work folder deleted");
        w->have_work_dir = 0;
    }
    if (w->job_path != NULL) job_load_remove(w->job_path);
    local_package_remove_manifest();
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

/* Reads and validates the job file into w->job (job_load.c). AGENT_EXIT_OK, AGENT_EXIT_INTERNAL (no
 * path) or AGENT_EXIT_BAD_JOB: one that cannot be read is left alone; one that is read but invalid
 * is deleted (cleanup). */
static DWORD read_job_file(work_ctx *w)
{
    int invalid = 0;
    DWORD r;
    w->job_path = job_load_path(w->opts->job_path);
    if (w->job_path == NULL) {
        agent_log("cannot determine the job file's path (error %lu)", (unsigned long)GetLastError());
        return AGENT_EXIT_INTERNAL;
    }
    r = job_load(w->job_path, &w->job, &invalid);
    if (invalid) cleanup(w);
    return r;
}

/* ---- 2. second-start guard: second_start.c; 3. the job, from the console (callback) ------------- */

/* GET /v1/job (console.c), the first console= address that answers staying open in w->con, and its
 * answer read into w->jr (jobresponse.c). */
static DWORD fetch_job(work_ctx *w)
{
    DWORD budget_s = w->opts->test_busy_budget_s > 0 ? w->opts->test_busy_budget_s : CONSOLE_BUSY_BUDGET_S;
    buf_t answer = {0};
    DWORD r;
    w->console_used = 1;
    console_init(&w->job, w->stop_event, budget_s, on_pin_failure, w);
    r = console_open(&w->job, w->stop_event, &w->con, &answer);
    if (r == AGENT_EXIT_OK) {
        w->con_open = 1;
        r = job_response_parse(answer.p, answer.len, &w->job, 0, &w->jr);
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

/* ---- 4. the work folder, and %PUSHINSTALL_DIR% ------------------------------------------------- */

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

/* %PUSHINSTALL_DIR% in the msiexec parameters becomes dir: the folder the package files are in
 * (what: "work" or "package", for the log). */
static DWORD expand_parameters(work_ctx *w, const wchar_t *dir, const char *what)
{
    int n = job_response_expand_work_dir(&w->jr, dir);
    if (n < 0) {
        agent_log("the %s is not understood: parameters: longer than 8 KiB once %%PUSHINSTALL_DIR%% is expanded to the %s "
                  "folder", w->report.to_files ? "package manifest" : "console's job", what);
        return AGENT_EXIT_DOWNLOAD;
    }
    if (n > 0)
        agent_log("msiexec parameters with %%PUSHINSTALL_DIR%% expanded (%d occurrence%s): %s", n, n == 1 ? "" : "s",
                  w->jr.params);
    return AGENT_EXIT_OK;
}

/* ---- 5..6. from the job to msiexec ------------------------------------------------------------ */

/* callback: the work folder, the download into it, the credential. */
static DWORD prepare_callback(work_ctx *w)
{
    DWORD r;
    report_progress(&w->report, "connected", -1, 0);
    r = test_hold(w);
    if (r != AGENT_EXIT_OK) return r;
    if (stop_requested(w)) return AGENT_EXIT_STOPPED;
    r = create_work_folder(w);
    if (r == AGENT_EXIT_OK) r = expand_parameters(w, w->work_dir, "work");
    if (r == AGENT_EXIT_OK) r = download_files(&w->dl, &w->jr);
    if (r != AGENT_EXIT_OK) return r;
    if (stop_requested(w)) return AGENT_EXIT_STOPPED;
    return w->jr.as_admin ? credential_fetch(&w->cred, &w->con) : AGENT_EXIT_OK;
}

/* smb: the work folder (for the MSI log), then the files beside the exe verified where they are. */
static DWORD prepare_smb(work_ctx *w)
{
    DWORD r = create_work_folder(w);
    if (r == AGENT_EXIT_OK) r = local_package_locate(&w->lp);
    if (r == AGENT_EXIT_OK) r = expand_parameters(w, w->lp.dir, "package");
    if (r != AGENT_EXIT_OK) return r;
    report_progress(&w->report, "verifying", -1, 0);
    r = local_package_verify(&w->lp, &w->jr);
    if (r == AGENT_EXIT_OK && stop_requested(w)) r = AGENT_EXIT_STOPPED;
    return r;
}

/* ---- 7..8. msiexec, then its result ------------------------------------------------------------- */

/* The result, once the job was understood with what became of the restart: decided (and scheduled)
 * first, so the console hears of it before the agent waits. needed: the action "restart". */
static void report(work_ctx *w, DWORD r, const wchar_t *msi_log, int needed)
{
    buf_t member = {0};
    if (w->jr.understood) restart_begin(&w->restart, &w->jr.restart, r, needed);
    restart_json(&w->restart, &member);
    report_result(&w->report, r, msi_log, member.len > 0 ? member.p : NULL);
    buf_free(&member);
}

static DWORD install(work_ctx *w, int *installed_or_reported)
{
    wchar_t msi_log[MAX_PATH + 32];
    install_spec spec = {.action = w->jr.action, .work_dir = w->work_dir, .msi_path = w->jr.files[w->jr.msi].path,
                         .log_path = msi_log, .parameters = w->jr.params_w, .as_admin = w->jr.as_admin,
                         .user = w->cred.user, .domain = w->cred.domain, .password = w->cred.password,
                         .test_self_token = w->opts->test_self_token};
    DWORD r;

    _snwprintf(msi_log, sizeof msi_log / sizeof msi_log[0], L"%ls\\" INSTALL_MSI_LOG_NAME, w->work_dir);
    msi_log[sizeof msi_log / sizeof msi_log[0] - 1] = L'\0';
    report_progress(&w->report, "installing", -1, 0);
    /* From here on this run counts as done on this machine: a second start will not install again. */
    second_start_mark(w->job.run, -1);
    *installed_or_reported = 1;
    r = install_run(&spec, w->stop_event, w->svc);
    credential_wipe(&w->cred);
    download_close_files(&w->dl);
    local_package_close(&w->lp);
    if (r == AGENT_EXIT_STOPPED) return r;
    console_allow_requests(); /* a stop during msiexec: the install ended within the bound; report it */
    report(w, r, msi_log, 0);
    return r;
}

/* The action "restart": no package, no msiexec; the policy as after a 3010, and the result 0. */
static DWORD restart_only(work_ctx *w, int *installed_or_reported)
{
    agent_log("action restart: nothing to download or install");
    if (!w->report.to_files) report_progress(&w->report, "connected", -1, 0);
    *installed_or_reported = 1;
    report(w, AGENT_EXIT_OK, NULL, 1);
    return AGENT_EXIT_OK;
}

/* ---- the transports ----------------------------------------------------------------------------- */

/* After the job was read (r: its verdict): prepare, install, report; a failure is reported alike. */
static DWORD finish(work_ctx *w, DWORD r, int *installed_or_reported)
{
    if (r == AGENT_EXIT_OK && w->jr.restart_action) return restart_only(w, installed_or_reported);
    if (r == AGENT_EXIT_OK) r = w->report.to_files ? prepare_smb(w) : prepare_callback(w);
    if (r == AGENT_EXIT_STOPPED) return r;
    if (r != AGENT_EXIT_OK) {
        report(w, r, NULL, 0);
        *installed_or_reported = 1;
        return r;
    }
    return install(w, installed_or_reported);
}

static DWORD run_callback(work_ctx *w, int *installed_or_reported)
{
    DWORD r = fetch_job(w);
    if (!w->con_open) return r; /* no console to tell */
    return finish(w, r, installed_or_reported);
}

/* smb: r is what reading the manifest gave (local_package_read or _wait). From the moment it was
 * read the result goes to <exe>.result; before, there is nobody to tell but the service status. */
static DWORD run_smb(work_ctx *w, DWORD r, int *installed_or_reported)
{
    w->report.to_files = 1;
    return w->lp.manifest_read ? finish(w, r, installed_or_reported) : r;
}

/* auto: smb at once when the manifest is already here; else the callback, and when no console
 * answered (11 only), waiting for the manifest. */
static DWORD run_auto(work_ctx *w, int *installed_or_reported)
{
    DWORD r;
    if (local_package_ready(&w->job)) {
        agent_log("the package manifest is already here: going the smb way");
        return run_smb(w, local_package_read(&w->lp, &w->job, &w->jr), installed_or_reported);
    }
    r = run_callback(w, installed_or_reported);
    if (r != AGENT_EXIT_UNREACHABLE) return r;
    console_forget_token();
    w->report.to_files = 1;
    report_progress(&w->report, "waiting-for-package", -1, 0);
    return run_smb(w, local_package_wait(&w->lp, &w->job, &w->jr), installed_or_reported);
}

/* From a valid job file to the end, by the job's transport. *installed_or_reported: msiexec was
 * started or the result was reported (the .done marker then gets the result). */
static DWORD run_job(work_ctx *w, int *installed_or_reported)
{
    if (w->job.transport == JOB_TRANSPORT_AUTO) return run_auto(w, installed_or_reported);
    if (w->job.transport == JOB_TRANSPORT_CALLBACK) return run_callback(w, installed_or_reported);
    return run_smb(w, local_package_read(&w->lp, &w->job, &w->jr), installed_or_reported);
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
    w.lp.stop_event = stop_event;

    result = read_job_file(&w);
    if (result == AGENT_EXIT_OK) result = second_start_guard(&w.job);
    if (result != AGENT_EXIT_OK) return result;

    result = stop_requested(&w) ? AGENT_EXIT_STOPPED : run_job(&w, &finished);
    if (finished && result != AGENT_EXIT_STOPPED) second_start_mark(w.job.run, (long)result);
    if (w.con_open) console_close(&w.con);
    if (w.console_used)
        agent_log("%lu requests sent to the console, each after its certificate matched the fingerprint",
                  (unsigned long)console_pinned_requests());
    if (result == AGENT_EXIT_STOPPED) agent_log("stop requested: ending the work");
    cleanup(&w);
    return restart_wait(&w.restart, stop_event, svc, result);
}
