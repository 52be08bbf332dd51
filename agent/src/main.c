/* PushInstallAgent.exe: wmain, the service plumbing and --console mode.
 *
 * As a service: wmain -> StartServiceCtrlDispatcherW -> service_main, which registers the control
 * handler, reports SERVICE_RUNNING at once, runs work_run() on a worker thread, and reports
 * SERVICE_STOPPED with the result (exitcodes.h). SERVICE_CONTROL_STOP / SHUTDOWN set the stop event
 * at any point; the worker is given STOP_GRACE_MS (longer while msiexec runs) to finish, after
 * which the service reports STOPPED (AGENT_EXIT_STOPPED) regardless. */
#include <windows.h>

#include <stdio.h>

#include "console.h"
#include "exitcodes.h"
#include "files.h"
#include "log.h"
#include "restart_os.h"
#include "service_ctl.h"
#include "work.h"

#define STOP_GRACE_MS 10000u

static agent_options g_opts;
static HANDLE g_stop_event;
static SERVICE_STATUS_HANDLE g_status_handle;
static SERVICE_STATUS g_status;
static CRITICAL_SECTION g_status_lock;
static volatile DWORD g_work_result = AGENT_EXIT_INTERNAL;
static volatile LONG g_grace_ms = STOP_GRACE_MS;
static DWORD g_worker_tid;
static HANDLE g_abandon_event; /* set by abandon_work on a thread other than the worker */
static volatile LONG g_stop_is_cancel = 1; /* 0 once the stop came from Windows shutting down */

/* service_ctl.set_stop_grace */
static void set_stop_grace(void *ctx, DWORD ms)
{
    (void)ctx;
    InterlockedExchange(&g_grace_ms, (LONG)(ms == 0 ? STOP_GRACE_MS : ms));
}

/* service_ctl.abandon_work */
__attribute__((noreturn)) static void abandon_work(void *ctx, DWORD result)
{
    (void)ctx;
    g_work_result = result;
    if (GetCurrentThreadId() == g_worker_tid) ExitThread(0);
    SetEvent(g_abandon_event);
    for (;;) Sleep(INFINITE);
}

/* service_ctl.stop_is_cancel */
static int stop_is_cancel(void *ctx)
{
    (void)ctx;
    return InterlockedCompareExchange(&g_stop_is_cancel, 0, 0) != 0;
}

/* What the work may ask of the service plumbing (service_ctl.h); the state is this file's. */
static const service_ctl g_service_ctl = {set_stop_grace, abandon_work, stop_is_cancel, NULL};

static void report_status(DWORD state, DWORD result, DWORD wait_hint)
{
    EnterCriticalSection(&g_status_lock);
    if (g_status.dwCurrentState == SERVICE_STOPPED && state != SERVICE_STOPPED && g_status.dwServiceType != 0) {
        LeaveCriticalSection(&g_status_lock);
        return;
    }
    g_status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
    g_status.dwCurrentState = state;
    g_status.dwControlsAccepted = state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN : 0;
    if (state == SERVICE_STOPPED && result != AGENT_EXIT_OK) {
        g_status.dwWin32ExitCode = ERROR_SERVICE_SPECIFIC_ERROR;
        g_status.dwServiceSpecificExitCode = result;
    } else {
        g_status.dwWin32ExitCode = NO_ERROR;
        g_status.dwServiceSpecificExitCode = 0;
    }
    g_status.dwCheckPoint = (state == SERVICE_START_PENDING || state == SERVICE_STOP_PENDING) ? g_status.dwCheckPoint + 1 : 0;
    g_status.dwWaitHint = wait_hint;
    if (g_status_handle != NULL && !SetServiceStatus(g_status_handle, &g_status))
        agent_log("SetServiceStatus(%lu) failed: %lu", (unsigned long)state, (unsigned long)GetLastError());
    LeaveCriticalSection(&g_status_lock);
}

static DWORD WINAPI control_handler(DWORD control, DWORD event_type, LPVOID event_data, LPVOID context)
{
    (void)event_type;
    (void)event_data;
    (void)context;
    switch (control) {
    case SERVICE_CONTROL_STOP:
    case SERVICE_CONTROL_SHUTDOWN:
        agent_log("control %lu: stopping", (unsigned long)control);
        if (control == SERVICE_CONTROL_SHUTDOWN) InterlockedExchange(&g_stop_is_cancel, 0);
        SetEvent(g_stop_event);
        EnterCriticalSection(&g_status_lock);
        if (g_status.dwCurrentState == SERVICE_RUNNING) report_status(SERVICE_STOP_PENDING, 0, (DWORD)g_grace_ms + 2000u);
        LeaveCriticalSection(&g_status_lock);
        return NO_ERROR;
    case SERVICE_CONTROL_INTERROGATE:
        return NO_ERROR;
    default:
        return ERROR_CALL_NOT_IMPLEMENTED;
    }
}

static DWORD WINAPI worker_thread(LPVOID arg)
{
    (void)arg;
    g_work_result = work_run(&g_opts, g_stop_event, &g_service_ctl);
    return 0;
}

/* Runs the work on a worker thread; returns its result, or AGENT_EXIT_STOPPED if a stop was asked
 * and the worker did not finish within the grace time (STOP_GRACE_MS, longer while msiexec runs). */
static DWORD run_work_bounded(void)
{
    HANDLE thread, waits[3];
    DWORD w, result, waited = 0;

    g_abandon_event = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (g_abandon_event == NULL) return AGENT_EXIT_INTERNAL;
    thread = CreateThread(NULL, 0, worker_thread, NULL, CREATE_SUSPENDED, &g_worker_tid);
    if (thread == NULL) {
        agent_log("CreateThread failed: %lu", (unsigned long)GetLastError());
        return AGENT_EXIT_INTERNAL;
    }
    ResumeThread(thread);
    waits[0] = thread;
    waits[1] = g_abandon_event;
    waits[2] = g_stop_event;
    w = WaitForMultipleObjects(3, waits, FALSE, INFINITE);
    if (w == WAIT_OBJECT_0 || w == WAIT_OBJECT_0 + 1) {
        result = g_work_result;
    } else {
        console_abort();
        /* Wait for the worker in slices: the grace may grow while we wait (msiexec running). */
        for (;;) {
            w = WaitForMultipleObjects(2, waits, FALSE, 250);
            if (w == WAIT_OBJECT_0 || w == WAIT_OBJECT_0 + 1) {
                result = g_work_result;
                break;
            }
            waited += 250;
            /* Still stopping: a fresh checkpoint and wait hint every 2 s, so the SCM sees progress. */
            if (waited % 2000 == 0 && g_status_handle != NULL)
                report_status(SERVICE_STOP_PENDING, 0, (DWORD)g_grace_ms - (waited < (DWORD)g_grace_ms ? waited : 0) + 2000u);
            if (waited >= (DWORD)g_grace_ms) {
                agent_log("the work did not end within %lu ms of the stop request", (unsigned long)waited);
                result = AGENT_EXIT_STOPPED;
                break;
            }
        }
    }
    CloseHandle(thread);
    return result;
}

static void WINAPI service_main(DWORD argc, LPWSTR *argv)
{
    const wchar_t *name = (argc > 0 && argv != NULL && argv[0] != NULL) ? argv[0] : L"";
    char name8[256];
    DWORD result;

    g_status_handle = RegisterServiceCtrlHandlerExW(name, control_handler, NULL);
    if (g_status_handle == NULL) {
        agent_log("RegisterServiceCtrlHandlerExW failed: %lu", (unsigned long)GetLastError());
        return;
    }
    report_status(SERVICE_RUNNING, 0, 0);
    utf8_from_wide(name, name8, (int)sizeof name8);
    agent_log("service '%s' running (pid %lu)", name8, (unsigned long)GetCurrentProcessId());
    result = run_work_bounded();
    agent_log("service stopping with result %lu", (unsigned long)result);
    log_close();
    report_status(SERVICE_STOPPED, result, 0);
}

static BOOL WINAPI console_ctrl(DWORD type)
{
    if (type == CTRL_SHUTDOWN_EVENT || type == CTRL_LOGOFF_EVENT) InterlockedExchange(&g_stop_is_cancel, 0);
    SetEvent(g_stop_event);
    return TRUE;
}

static void usage(void)
{
    fputws(L"PushInstallAgent - the Push Install Console's agent, a Windows service.\n"
           L"usage: PushInstallAgent.exe [--console] [--job <path>] [--log <path>] [--test-hold-ms <n>] [--test-self-token]\n"
           L"       [--test-busy-budget-s <n>] [--test-shutdown-log <path> [--test-sessions none|user]\n"
           L"       [--test-ask-answer yes|no|timeout[,...]] [--test-shutdown-fail <win32 error>]]\n"
           L"  (no --console)  run as a service; must be started by the Service Control Manager\n"
           L"  --console       run the same work without the SCM; the result is the exit code\n"
           L"  --job <path>    the job file (default: <this exe's path>.job)\n"
           L"  --log <path>    append the log here (default: <exe>.log as a service, stderr with --console)\n"
           L"  --test-hold-ms  after fetching the job, wait n ms or until stopped (tests only)\n"
           L"  --test-self-token  run as admin with the agent's own token after LogonUserW (tests only: Wine)\n"
           L"  --test-busy-budget-s  the back-off budget after HTTP 429/503, 1..300 s (tests only; default 300)\n"
           L"  --test-shutdown-log  log the restart's shutdown, session and message calls there instead of making\n"
           L"                  them; --test-sessions, --test-ask-answer, --test-shutdown-fail: what they return (tests only)\n"
           L"exit codes: agent/README.md\n",
           stderr);
}

/* A decimal number lo..hi, whole: 0 into *out, or -1. */
static int number_arg(const wchar_t *s, unsigned long lo, unsigned long hi, DWORD *out)
{
    wchar_t *end = NULL;
    unsigned long v = wcstoul(s, &end, 10);
    if (s[0] < L'0' || s[0] > L'9' || end == NULL || *end != L'\0' || v < lo || v > hi) return -1;
    *out = (DWORD)v;
    return 0;
}

static int parse_args(int argc, wchar_t **argv)
{
    restart_test_hooks hooks = {0};
    int hook_options = 0;
    for (int i = 1; i < argc; i++) {
        const wchar_t *a = argv[i];
        int r = restart_os_test_arg(argc, argv, &i, &hooks);
        if (r < 0) return -1;
        if (r > 0) {
            hook_options += wcscmp(a, L"--test-shutdown-log") != 0;
        } else if (wcscmp(a, L"--console") == 0) {
            g_opts.console_mode = 1;
        } else if (wcscmp(a, L"--job") == 0 && i + 1 < argc) {
            g_opts.job_path = argv[++i];
        } else if (wcscmp(a, L"--log") == 0 && i + 1 < argc) {
            g_opts.log_path = argv[++i];
        } else if (wcscmp(a, L"--test-hold-ms") == 0 && i + 1 < argc) {
            if (number_arg(argv[++i], 0, 3600000ul, &g_opts.test_hold_ms) != 0) return -1;
        } else if (wcscmp(a, L"--test-busy-budget-s") == 0 && i + 1 < argc) {
            if (number_arg(argv[++i], 1, 300, &g_opts.test_busy_budget_s) != 0) return -1;
        } else if (wcscmp(a, L"--test-self-token") == 0) {
            g_opts.test_self_token = 1;
        } else {
            return -1;
        }
    }
    if (hook_options > 0 && hooks.log_path == NULL) return -1; /* they only make sense with the hook */
    restart_os_set_test_hooks(&hooks);
    return 0;
}

int wmain(int argc, wchar_t **argv)
{
    static SERVICE_TABLE_ENTRYW table[] = {{(LPWSTR)L"", service_main}, {NULL, NULL}};
    DWORD result;

    if (parse_args(argc, argv) != 0) {
        usage();
        return (int)AGENT_EXIT_USAGE;
    }
    InitializeCriticalSection(&g_status_lock);
    g_stop_event = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (g_stop_event == NULL) return (int)AGENT_EXIT_INTERNAL;

    if (g_opts.log_path != NULL) {
        log_to_file(g_opts.log_path);
    } else if (!g_opts.console_mode) {
        wchar_t *p = exe_path_with_suffix(L".log");
        if (p != NULL) {
            log_to_file(p);
            HeapFree(GetProcessHeap(), 0, p);
        }
    }

    if (g_opts.console_mode) {
        log_to_stderr(1);
        SetConsoleCtrlHandler(console_ctrl, TRUE);
        agent_log("console mode (pid %lu)", (unsigned long)GetCurrentProcessId());
        result = run_work_bounded();
        agent_log("result %lu", (unsigned long)result);
        log_close();
        return (int)result;
    }

    if (!StartServiceCtrlDispatcherW(table)) {
        DWORD e = GetLastError();
        agent_log("StartServiceCtrlDispatcherW failed: %lu", (unsigned long)e);
        log_close();
        if (e == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
            log_to_stderr(1);
            usage();
        }
        return (int)AGENT_EXIT_USAGE;
    }
    log_close();
    return 0;
}
