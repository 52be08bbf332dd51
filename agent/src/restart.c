/* What the agent does about a restart (agent/README.md, "Restarts"): only after msiexec's 3010 (or
 * for the console's "restart" action), never after 1641 (msiexec restarts itself), per the policy:
 * now, when-idle (now when nobody is logged on, else ask) or ask (the forced deadline scheduled
 * first, then the user asked again and again until they say yes or the deadline comes). */
#include "restart.h"

#include <stdio.h>
#include <string.h>

#include "exitcodes.h"
#include "log.h"
#include "restart_os.h"

#define DEFAULT_MESSAGE L"Software your administrator installed needs this computer to restart."
#define ASK_TITLE L"Restart required"

static const wchar_t *message_of(const restart_spec *s) { return s->message[0] != L'\0' ? s->message : DEFAULT_MESSAGE; }

/* The latest restart is seconds from now. */
static void set_at(restart_t *rs, DWORD seconds)
{
    FILETIME now;
    ULARGE_INTEGER u;
    GetSystemTimeAsFileTime(&now);
    u.LowPart = now.dwLowDateTime;
    u.HighPart = now.dwHighDateTime;
    u.QuadPart += (ULONGLONG)seconds * 10000000ull;
    rs->at.dwLowDateTime = u.LowPart;
    rs->at.dwHighDateTime = u.HighPart;
    rs->deadline_tick = GetTickCount64() + (ULONGLONG)seconds * 1000ull;
}

static const char *shutdown_error_meaning(DWORD e)
{
    return e == ERROR_SHUTDOWN_IN_PROGRESS ? " (a shutdown is already in progress)"
           : e == ERROR_PRIVILEGE_NOT_HELD ? " (the shutdown privilege is not held)"
           : e == ERROR_ACCESS_DENIED      ? " (access denied)"
                                           : "";
}

/* InitiateShutdownW for a restart in seconds: scheduled (1), or refused with its error (0). */
static int schedule(restart_t *rs, DWORD seconds, const char *what)
{
    DWORD e = restart_os_initiate(seconds, message_of(&rs->spec));
    if (e != ERROR_SUCCESS) {
        rs->state = RESTART_STATE_REFUSED;
        rs->win32 = e;
        agent_log("InitiateShutdownW (%s, in %lu s) failed: Win32 error %lu%s: no restart scheduled; the result stands",
                  what, (unsigned long)seconds, (unsigned long)e, shutdown_error_meaning(e));
        return 0;
    }
    rs->state = RESTART_STATE_SCHEDULED;
    set_at(rs, seconds);
    agent_log("restart scheduled with InitiateShutdownW (%s): in %lu s at the latest", what, (unsigned long)seconds);
    return 1;
}

void restart_begin(restart_t *rs, const restart_spec *spec, DWORD result, int needed)
{
    restart_sessions ss;
    DWORD e;
    memset(rs, 0, sizeof *rs);
    rs->spec = *spec;
    if (result == AGENT_EXIT_MSI_BASE + 1641) {
        rs->state = RESTART_STATE_LEFT_TO_MSIEXEC;
        agent_log("msiexec started a restart itself (1641): left to it");
        return;
    }
    needed = needed || result == AGENT_EXIT_MSI_BASE + 3010;
    if (!needed || spec->policy == RESTART_POLICY_NONE) {
        rs->state = RESTART_STATE_NOT_NEEDED;
        if (needed) agent_log("a restart is required, but the restart policy is none: not restarting");
        return;
    }
    agent_log("a restart is required: policy %s, grace %lu s, forced after %lu s", restart_policy_name(spec->policy),
              (unsigned long)spec->grace_s, (unsigned long)spec->force_after_s);
    e = restart_os_enable_privilege();
    if (e != 0) agent_log("could not enable SeShutdownPrivilege: Win32 error %lu", (unsigned long)e);
    if (spec->policy == RESTART_POLICY_WHEN_IDLE) {
        restart_os_sessions(&ss);
        agent_log("when-idle: %s", ss.user_logged_on ? "a user is logged on: asking, as with ask" : "nobody is logged on: restarting, as with now");
        if (!ss.user_logged_on) {
            schedule(rs, spec->grace_s, "nobody logged on");
            return;
        }
    }
    if (spec->policy == RESTART_POLICY_NOW) schedule(rs, spec->grace_s, "now");
    else if (schedule(rs, spec->force_after_s, "the deadline; the user is asked before")) rs->asked = 1;
}

/* ---- after the result: waiting for the restart -------------------------------------------------- */

/* A stop while the restart is pending: the admin's cancel (STOP, Ctrl+C), or Windows shutting down. */
static DWORD on_stop(const service_ctl *svc, DWORD result)
{
    DWORD e;
    if (!svc->stop_is_cancel(svc->ctx)) {
        agent_log("Windows is shutting down: the agent ends (result %lu)", (unsigned long)result);
        return result;
    }
    e = restart_os_abort();
    if (e != 0) {
        agent_log("the pending restart could not be cancelled: AbortSystemShutdownW failed with Win32 error %lu", (unsigned long)e);
        return result;
    }
    agent_log("pending restart cancelled (AbortSystemShutdownW)");
    return AGENT_EXIT_RESTART_CANCELLED;
}

static DWORD wait_for_stop(HANDLE stop_event, const service_ctl *svc, DWORD result)
{
    WaitForSingleObject(stop_event, INFINITE);
    return on_stop(svc, result);
}

/* The restart moved to seconds from now (the user said yes; when-idle and nobody is logged on any
 * more). Should the new one be refused, the old deadline is set again. */
static void bring_forward(restart_t *rs, DWORD seconds)
{
    ULONGLONG now = GetTickCount64();
    DWORD left = rs->deadline_tick > now ? (DWORD)((rs->deadline_tick - now + 999) / 1000) : 0;
    DWORD e = restart_os_abort();
    if (e != 0) agent_log("AbortSystemShutdownW failed: Win32 error %lu", (unsigned long)e);
    e = restart_os_initiate(seconds, message_of(&rs->spec));
    if (e == 0) {
        set_at(rs, seconds);
        agent_log("restart in %lu s (InitiateShutdownW)", (unsigned long)seconds);
        return;
    }
    agent_log("InitiateShutdownW (in %lu s) failed: Win32 error %lu; the deadline is set again", (unsigned long)seconds, (unsigned long)e);
    if (restart_os_initiate(left, message_of(&rs->spec)) != 0) agent_log("the deadline could not be set again");
}

/* The question: the console's message, when asked again, and the deadline in local time. */
static void question(const restart_t *rs, DWORD interval_s, wchar_t *out, size_t cap)
{
    FILETIME local, now_utc, now_local;
    SYSTEMTIME at, today;
    DWORD n = interval_s < 60 ? interval_s : (interval_s + 59) / 60;
    const wchar_t *unit = interval_s < 60 ? L"second" : L"minute";
    wchar_t when[40];
    GetSystemTimeAsFileTime(&now_utc);
    FileTimeToLocalFileTime(&rs->at, &local);
    FileTimeToLocalFileTime(&now_utc, &now_local);
    FileTimeToSystemTime(&local, &at);
    FileTimeToSystemTime(&now_local, &today);
    if (at.wYear == today.wYear && at.wMonth == today.wMonth && at.wDay == today.wDay)
        _snwprintf(when, 40, L"%02u:%02u", at.wHour, at.wMinute);
    else
        _snwprintf(when, 40, L"%02u:%02u on %04u-%02u-%02u", at.wHour, at.wMinute, at.wYear, at.wMonth, at.wDay);
    when[39] = L'\0';
    _snwprintf(out, cap, L"%ls\n\nRestart now? (No: you are asked again in %lu %ls%ls; the computer restarts at %ls at the latest)",
               message_of(&rs->spec), (unsigned long)n, unit, n == 1 ? L"" : L"s", when);
    out[cap - 1] = L'\0';
}

/* One question, on a thread of its own (WTSSendMessageW blocks until the answer or its timeout,
 * and a stop must not wait for it). Static: a stop leaves it behind, still waiting. */
static struct {
    DWORD session, timeout_s, response, error;
    wchar_t text[2 * RESTART_MESSAGE_MAX_CHARS + 256];
} g_ask;

static DWORD WINAPI ask_thread(LPVOID arg)
{
    (void)arg;
    g_ask.error = restart_os_ask(g_ask.session, ASK_TITLE, g_ask.text, g_ask.timeout_s, &g_ask.response);
    return 0;
}

/* Asks the user of session: IDYES, IDNO, IDTIMEOUT, 0 (the question failed), or -1 when stopped. */
static long ask(const restart_t *rs, DWORD session, DWORD interval_s, DWORD timeout_s, HANDLE stop_event)
{
    HANDLE waits[2], thread;
    DWORD w;
    g_ask.session = session;
    g_ask.timeout_s = timeout_s;
    g_ask.response = 0;
    question(rs, interval_s, g_ask.text, sizeof g_ask.text / sizeof g_ask.text[0]);
    agent_log("asking the user of session %lu to restart now (no answer within %lu s counts as no)", (unsigned long)session,
              (unsigned long)timeout_s);
    thread = CreateThread(NULL, 0, ask_thread, NULL, 0, NULL);
    if (thread == NULL) return 0;
    waits[0] = thread;
    waits[1] = stop_event;
    w = WaitForMultipleObjects(2, waits, FALSE, INFINITE);
    CloseHandle(thread);
    if (w != WAIT_OBJECT_0) return -1;
    if (g_ask.error != 0) agent_log("WTSSendMessageW failed: Win32 error %lu", (unsigned long)g_ask.error);
    return g_ask.error != 0 ? 0 : (long)g_ask.response;
}

/* ask and when-idle: the question again every interval until yes, the deadline, or a stop. */
static DWORD ask_until_restart(restart_t *rs, HANDLE stop_event, const service_ctl *svc, DWORD result)
{
    DWORD interval = rs->spec.grace_s > 0 ? rs->spec.grace_s : RESTART_MIN_ASK_INTERVAL_S;
    for (;;) {
        restart_sessions ss;
        ULONGLONG now = GetTickCount64();
        DWORD left = rs->deadline_tick > now ? (DWORD)((rs->deadline_tick - now + 999) / 1000) : 0;
        long answer = 0;
        if (left == 0) {
            agent_log("the deadline has come: Windows restarts the computer");
            return wait_for_stop(stop_event, svc, result);
        }
        restart_os_sessions(&ss);
        if (rs->spec.policy == RESTART_POLICY_WHEN_IDLE && !ss.user_logged_on) {
            agent_log("when-idle: nobody is logged on any more: restarting");
            bring_forward(rs, rs->spec.grace_s);
            return wait_for_stop(stop_event, svc, result);
        }
        if (ss.can_ask) answer = ask(rs, ss.ask_session, interval, interval < left ? interval : left, stop_event);
        if (answer < 0) return on_stop(svc, result);
        if (answer == IDYES) {
            agent_log("the user answered yes: restarting in %u s", RESTART_YES_GRACE_S);
            bring_forward(rs, RESTART_YES_GRACE_S);
            return wait_for_stop(stop_event, svc, result);
        }
        agent_log("%s: asking again in %lu s", !ss.can_ask ? "nobody to ask (no active session with a user)"
                                               : answer == IDNO ? "the user answered no"
                                               : answer == 0    ? "the question could not be shown"
                                                                : "no answer",
                  (unsigned long)interval);
        if (WaitForSingleObject(stop_event, (interval < left ? interval : left) * 1000u) == WAIT_OBJECT_0)
            return on_stop(svc, result);
    }
}

DWORD restart_wait(restart_t *rs, HANDLE stop_event, const service_ctl *svc, DWORD result)
{
    if (rs->state != RESTART_STATE_SCHEDULED) return result;
    agent_log("waiting for the restart: the service keeps running until Windows stops it (a stop cancels the restart)");
    if (!rs->asked) return wait_for_stop(stop_event, svc, result);
    return ask_until_restart(rs, stop_event, svc, result);
}
