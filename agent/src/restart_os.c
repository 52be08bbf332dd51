/* The Windows calls behind a restart, and their test hook (restart_os.h). wtsapi32 is loaded from
 * System32 when first needed rather than imported: the agent's import list stays what the build
 * and its tests allow, and a Windows without Remote Desktop Services' API still installs. */
#include "restart_os.h"

#include <stdio.h>
#include <string.h>
#include <reason.h>
#include <winreg.h>
#include <wtsapi32.h>

#include "buf.h"
#include "log.h"

/* InitiateShutdownW (https://learn.microsoft.com/en-us/windows/win32/api/winreg/nf-winreg-initiateshutdownw):
 * SHUTDOWN_RESTART restarts; SHUTDOWN_FORCE_OTHERS logs the other sessions off instead of failing
 * with ERROR_SHUTDOWN_USERS_LOGGED_ON; the reason is a planned application installation (never 0,
 * which records an unplanned shutdown). */
#define RESTART_FLAGS (SHUTDOWN_RESTART | SHUTDOWN_FORCE_OTHERS)
#define RESTART_REASON (SHTDN_REASON_MAJOR_APPLICATION | SHTDN_REASON_MINOR_INSTALLATION | SHTDN_REASON_FLAG_PLANNED)
#define ASK_STYLE (MB_YESNO | MB_ICONQUESTION)

static restart_test_hooks g_hooks;
static const wchar_t *g_next_answer;

typedef BOOL(WINAPI *enumerate_fn)(HANDLE, DWORD, DWORD, PWTS_SESSION_INFOW *, DWORD *);
typedef BOOL(WINAPI *query_fn)(HANDLE, DWORD, WTS_INFO_CLASS, LPWSTR *, DWORD *);
typedef BOOL(WINAPI *send_fn)(HANDLE, DWORD, LPWSTR, DWORD, LPWSTR, DWORD, DWORD, DWORD, DWORD *, BOOL);
typedef void(WINAPI *free_fn)(PVOID);

static struct {
    int tried;
    enumerate_fn enumerate;
    query_fn query;
    send_fn send;
    free_fn free;
} g_wts;

void restart_os_set_test_hooks(const restart_test_hooks *h)
{
    g_hooks = *h;
    g_next_answer = h->answers;
}

/* ---- the test hook: one line per call, appended to --test-shutdown-log ------------------------- */

/* w as a quoted string: UTF-8, with \ " CR LF escaped. */
static void add_quoted(buf_t *b, const wchar_t *w)
{
    int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
    char *u = n > 0 ? HeapAlloc(GetProcessHeap(), 0, (size_t)n) : NULL;
    buf_adds(b, "\"");
    if (u != NULL && WideCharToMultiByte(CP_UTF8, 0, w, -1, u, n, NULL, NULL) > 0)
        for (const char *c = u; *c != '\0'; c++) {
            if (*c == '\n') buf_adds(b, "\\n");
            else if (*c == '\r') buf_adds(b, "\\r");
            else if (*c == '"' || *c == '\\') buf_addf(b, "\\%c", *c);
            else buf_add(b, c, 1);
        }
    if (u != NULL) HeapFree(GetProcessHeap(), 0, u);
    buf_adds(b, "\"");
}

static void hook_write(buf_t *b)
{
    HANDLE h = CreateFileW(g_hooks.log_path, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_ALWAYS,
                           FILE_ATTRIBUTE_NORMAL, NULL);
    DWORD done = 0;
    buf_adds(b, "\n");
    if (h == INVALID_HANDLE_VALUE || b->failed || !WriteFile(h, b->p, (DWORD)b->len, &done, NULL))
        agent_log("--test-shutdown-log: cannot append to it (Win32 error %lu)", (unsigned long)GetLastError());
    if (h != INVALID_HANDLE_VALUE) CloseHandle(h);
    buf_free(b);
}

/* The next --test-ask-answer (yes|no|timeout, comma-separated; the last one repeats). */
static DWORD hook_answer(void)
{
    const wchar_t *a = g_next_answer != NULL ? g_next_answer : L"timeout";
    const wchar_t *comma = wcschr(a, L',');
    DWORD r = wcsncmp(a, L"yes", 3) == 0 ? IDYES : wcsncmp(a, L"no", 2) == 0 ? IDNO : IDTIMEOUT;
    if (comma != NULL) g_next_answer = comma + 1;
    return r;
}

/* --test-shutdown-fail: a Win32 error, 1..65535. */
static int error_arg(const wchar_t *s, DWORD *out)
{
    wchar_t *end = NULL;
    unsigned long v = wcstoul(s, &end, 10);
    if (s[0] < L'0' || s[0] > L'9' || end == NULL || *end != L'\0' || v < 1 || v > 0xFFFFul) return -1;
    *out = (DWORD)v;
    return 0;
}

/* --test-ask-answer: yes|no|timeout, comma-separated. */
static int answers_arg(const wchar_t *s)
{
    for (;;) {
        size_t n = wcscspn(s, L",");
        if (!((n == 3 && wcsncmp(s, L"yes", 3) == 0) || (n == 2 && wcsncmp(s, L"no", 2) == 0) ||
              (n == 7 && wcsncmp(s, L"timeout", 7) == 0)))
            return -1;
        if (s[n] == L'\0') return 0;
        s += n + 1;
    }
}

int restart_os_test_arg(int argc, wchar_t **argv, int *i, restart_test_hooks *h)
{
    static const wchar_t *const names[] = {L"--test-shutdown-log", L"--test-sessions", L"--test-ask-answer",
                                           L"--test-shutdown-fail"};
    const wchar_t *v;
    int which = -1, ok;
    for (int k = 0; k < 4; k++)
        if (wcscmp(argv[*i], names[k]) == 0) which = k;
    if (which < 0) return 0;
    if (*i + 1 >= argc) return -1;
    v = argv[++*i];
    if (which == 0) h->log_path = v;
    if (which == 1) h->sessions = wcscmp(v, L"none") == 0 ? RESTART_TEST_SESSIONS_NONE : RESTART_TEST_SESSIONS_USER;
    if (which == 2) h->answers = v;
    ok = which == 0 || (which == 1 && (wcscmp(v, L"none") == 0 || wcscmp(v, L"user") == 0)) ||
         (which == 2 && answers_arg(v) == 0) || (which == 3 && error_arg(v, &h->fail) == 0);
    return ok ? 1 : -1;
}

/* ---- the calls ---------------------------------------------------------------------------------- */

DWORD restart_os_enable_privilege(void)
{
    HANDLE tok;
    TOKEN_PRIVILEGES tp;
    DWORD e;
    BOOL ok;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY, &tok)) return GetLastError();
    memset(&tp, 0, sizeof tp);
    tp.PrivilegeCount = 1;
    tp.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
    if (!LookupPrivilegeValueW(NULL, SE_SHUTDOWN_NAME, &tp.Privileges[0].Luid)) {
        e = GetLastError();
    } else {
        ok = AdjustTokenPrivileges(tok, FALSE, &tp, 0, NULL, NULL);
        e = GetLastError(); /* ERROR_NOT_ALL_ASSIGNED even when ok: the token does not hold it */
        if (!ok && e == 0) e = ERROR_GEN_FAILURE;
    }
    CloseHandle(tok);
    return e;
}

DWORD restart_os_initiate(DWORD grace_s, const wchar_t *message)
{
    if (g_hooks.log_path != NULL) {
        buf_t b = {0};
        buf_addf(&b, "InitiateShutdownW grace=%lu flags=0x%lx reason=0x%lx message=", (unsigned long)grace_s,
                 (unsigned long)RESTART_FLAGS, (unsigned long)RESTART_REASON);
        add_quoted(&b, message);
        if (g_hooks.fail != 0) buf_addf(&b, " -> %lu", (unsigned long)g_hooks.fail);
        hook_write(&b);
        return g_hooks.fail;
    }
    return InitiateShutdownW(NULL, (LPWSTR)message, grace_s, RESTART_FLAGS, RESTART_REASON);
}

DWORD restart_os_abort(void)
{
    if (g_hooks.log_path != NULL) {
        buf_t b = {0};
        buf_adds(&b, "AbortSystemShutdownW machine=NULL");
        hook_write(&b);
        return 0;
    }
    return AbortSystemShutdownW(NULL) ? 0 : GetLastError();
}

/* wtsapi32.dll from System32 (never from the exe's folder or the path): 1 when all four are there. */
static int wts_load(void)
{
    wchar_t path[MAX_PATH + 16];
    UINT n;
    HMODULE m;
    if (g_wts.tried) return g_wts.free != NULL;
    g_wts.tried = 1;
    n = GetSystemDirectoryW(path, MAX_PATH);
    if (n == 0 || n >= MAX_PATH) return 0;
    wcscpy(path + n, L"\\wtsapi32.dll");
    m = LoadLibraryW(path);
    if (m == NULL) {
        agent_log("cannot load wtsapi32.dll: Win32 error %lu", (unsigned long)GetLastError());
        return 0;
    }
    g_wts.enumerate = (enumerate_fn)(void (*)(void))GetProcAddress(m, "WTSEnumerateSessionsW");
    g_wts.query = (query_fn)(void (*)(void))GetProcAddress(m, "WTSQuerySessionInformationW");
    g_wts.send = (send_fn)(void (*)(void))GetProcAddress(m, "WTSSendMessageW");
    g_wts.free = (free_fn)(void (*)(void))GetProcAddress(m, "WTSFreeMemory");
    if (g_wts.enumerate == NULL || g_wts.query == NULL || g_wts.send == NULL || g_wts.free == NULL) {
        agent_log("wtsapi32.dll lacks a session function");
        g_wts.free = NULL;
    }
    return g_wts.free != NULL;
}

static int has_user(DWORD session)
{
    LPWSTR name = NULL;
    DWORD bytes = 0;
    int yes = 0;
    if (g_wts.query(WTS_CURRENT_SERVER_HANDLE, session, WTSUserName, &name, &bytes) && name != NULL) yes = name[0] != L'\0';
    if (name != NULL) g_wts.free(name);
    return yes;
}

void restart_os_sessions(restart_sessions *out)
{
    PWTS_SESSION_INFOW info = NULL;
    DWORD count = 0, console;
    memset(out, 0, sizeof *out);
    if (g_hooks.log_path != NULL) {
        buf_t b = {0};
        int user = g_hooks.sessions == RESTART_TEST_SESSIONS_USER;
        buf_addf(&b, "WTSEnumerateSessionsW -> %s", user ? "user" : "none");
        hook_write(&b);
        out->user_logged_on = out->can_ask = user;
        out->ask_session = user ? 1 : 0;
        return;
    }
    if (!wts_load() || !g_wts.enumerate(WTS_CURRENT_SERVER_HANDLE, 0, 1, &info, &count)) {
        agent_log("cannot enumerate the sessions (Win32 error %lu): counted as a user logged on", (unsigned long)GetLastError());
        out->user_logged_on = 1;
        return;
    }
    console = WTSGetActiveConsoleSessionId();
    for (DWORD i = 0; i < count; i++) {
        int active = info[i].State == WTSActive;
        if ((!active && info[i].State != WTSDisconnected) || !has_user(info[i].SessionId)) continue;
        out->user_logged_on = 1;
        if (active && (!out->can_ask || info[i].SessionId == console)) {
            out->can_ask = 1;
            out->ask_session = info[i].SessionId;
        }
    }
    if (info != NULL) g_wts.free(info);
}

DWORD restart_os_ask(DWORD session, const wchar_t *title, const wchar_t *text, DWORD timeout_s, DWORD *response)
{
    *response = 0;
    if (g_hooks.log_path != NULL) {
        buf_t b = {0};
        *response = hook_answer();
        buf_addf(&b, "WTSSendMessageW session=%lu style=0x%lx timeout=%lu wait=1 title=", (unsigned long)session,
                 (unsigned long)ASK_STYLE, (unsigned long)timeout_s);
        add_quoted(&b, title);
        buf_adds(&b, " message=");
        add_quoted(&b, text);
        buf_addf(&b, " -> %s", *response == IDYES ? "IDYES" : *response == IDNO ? "IDNO" : "IDTIMEOUT");
        hook_write(&b);
        return 0;
    }
    if (!wts_load()) return ERROR_PROC_NOT_FOUND;
    if (!g_wts.send(WTS_CURRENT_SERVER_HANDLE, session, (LPWSTR)title, (DWORD)(wcslen(title) * sizeof(wchar_t)), (LPWSTR)text,
                    (DWORD)(wcslen(text) * sizeof(wchar_t)), ASK_STYLE, timeout_s, response, TRUE)) {
        DWORD e = GetLastError();
        return e != 0 ? e : ERROR_GEN_FAILURE;
    }
    return 0;
}
