#include "install.h"

#include <stdio.h>
#include <userenv.h>

#include "exitcodes.h"
#include "log.h"

const char *install_action_name(install_action a)
{
    return a == INSTALL_ACTION_UNINSTALL ? "uninstall" : a == INSTALL_ACTION_REPAIR ? "repair" : "install";
}

/* /x removes the product the package names (its ProductCode, read from the verified MSI itself).
 * /fvomus is msiexec's documented default repair list ("omus") plus v: o = reinstall a file that is
 * missing or older, m/u = rewrite the machine/user registry entries, s = overwrite shortcuts,
 * v = run from the source (the package just downloaded and verified) and re-cache it, so a
 * damaged or missing cached copy in C:\Windows\Installer does not fail the repair. */
const wchar_t *install_action_switch(install_action a)
{
    return a == INSTALL_ACTION_UNINSTALL ? L"/x" : a == INSTALL_ACTION_REPAIR ? L"/fvomus" : L"/i";
}

/* What an msiexec exit code means, for the log (the console's results.ts has the full table). */
static void msi_code_meaning(DWORD code, install_action a, char *out, size_t cap)
{
    const char *done = a == INSTALL_ACTION_UNINSTALL ? "removed" : a == INSTALL_ACTION_REPAIR ? "repaired" : "installed";
    const char *m = NULL;
    switch (code) {
    case 0: m = done; break;
    case 1602: m = "cancelled"; break;
    case 1603: m = "fatal error during the operation"; break;
    case 1605: m = a == INSTALL_ACTION_UNINSTALL ? "the product is not installed: nothing to remove" : "the product is not installed"; break;
    case 1618: m = "another installation is in progress"; break;
    case 1619: m = "the package could not be opened"; break;
    case 1620: m = "the package is invalid"; break;
    case 1627: m = "function failed"; break;
    case 1638: m = "another version of this product is already installed"; break;
    case 1639: m = "invalid command line"; break;
    default: break;
    }
    if (code == 3010 || code == 1641) _snprintf(out, cap, " (%s; %s)", done, code == 3010 ? "a reboot is required" : "a restart was started");
    else if (m != NULL) _snprintf(out, cap, " (%s)", m);
    else out[0] = '\0';
    out[cap - 1] = '\0';
}

static void wipe_w(wchar_t *s)
{
    if (s != NULL) SecureZeroMemory(s, wcslen(s) * sizeof(wchar_t));
}

/* LOGON32_LOGON_BATCH: a logon of the kind scheduled tasks use. Administrators hold the batch
 * logon right by default, and UAC does not split a batch logon's token, so msiexec gets the full
 * administrator token. Should a policy still hand out a filtered token (TokenElevationTypeLimited),
 * its linked full token is used: as SYSTEM (SeTcbPrivilege) that is a primary token. */
static HANDLE logon(install_spec *s, DWORD *err)
{
    HANDLE tok = NULL, linked;
    TOKEN_ELEVATION_TYPE type;
    TOKEN_LINKED_TOKEN lt;
    DWORD len;
    char user8[256], domain8[256];
    const wchar_t *domain = s->domain != NULL && s->domain[0] != L'\0' ? s->domain : NULL;

    /* No domain: a local account ("."), unless the user name is a UPN (user@domain). */
    if (domain == NULL && wcschr(s->user, L'@') == NULL) domain = L".";
    utf8_from_wide(s->user, user8, sizeof user8);
    utf8_from_wide(domain != NULL ? domain : L"", domain8, sizeof domain8);
    if (!LogonUserW(s->user, domain, s->password, LOGON32_LOGON_BATCH, LOGON32_PROVIDER_DEFAULT, &tok)) {
        *err = GetLastError();
        agent_log("LogonUserW(%s%s%s, batch) failed: Win32 error %lu", domain8, domain8[0] ? "\\" : "", user8,
                  (unsigned long)*err);
        tok = NULL;
    } else {
        agent_log("LogonUserW(%s%s%s, batch) ok", domain8, domain8[0] ? "\\" : "", user8);
    }
    wipe_w(s->password);
    if (tok == NULL) return NULL;
    if (GetTokenInformation(tok, TokenElevationType, &type, sizeof type, &len) && type == TokenElevationTypeLimited) {
        if (GetTokenInformation(tok, TokenLinkedToken, &lt, sizeof lt, &len)) {
            linked = lt.LinkedToken;
            CloseHandle(tok);
            tok = linked;
            agent_log("the logon token was UAC-filtered: using its linked full token");
        } else {
            agent_log("the logon token is UAC-filtered and its linked token is not available (error %lu)",
                      (unsigned long)GetLastError());
        }
    }
    return tok;
}

static HANDLE own_token_copy(void)
{
    HANDLE self = NULL, dup = NULL;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_ALL_ACCESS, &self)) return NULL;
    if (!DuplicateTokenEx(self, TOKEN_ALL_ACCESS, NULL, SecurityImpersonation, TokenPrimary, &dup)) dup = NULL;
    CloseHandle(self);
    return dup;
}

/* What an msiexec started with another account's token holds until it is done. */
typedef struct {
    HANDLE tok;
    void *env;
    PROFILEINFOW profile;
    int profile_loaded;
} logon_session;

/* runAs admin: LogonUserW (logon() above), the user's profile and environment, then
 * CreateProcessAsUserW. On failure pi->hProcess stays NULL; what was acquired stays in ls. */
static void start_as_admin(install_spec *s, wchar_t *cmd, const char *cmd8, logon_session *ls, PROCESS_INFORMATION *pi)
{
    STARTUPINFOW si;
    DWORD e = 0;
    ls->tok = logon(s, &e);
    if (ls->tok == NULL) return;
    if (s->test_self_token) {
        HANDLE self = own_token_copy();
        agent_log("--test-self-token: launching with a copy of the agent's own token instead of the logon token%s",
                  self == NULL ? " (failed)" : "");
        if (self != NULL) {
            CloseHandle(ls->tok);
            ls->tok = self;
        }
    }
    memset(&ls->profile, 0, sizeof ls->profile);
    ls->profile.dwSize = sizeof ls->profile;
    ls->profile.dwFlags = PI_NOUI;
    ls->profile.lpUserName = s->user;
    if (LoadUserProfileW(ls->tok, &ls->profile)) ls->profile_loaded = 1;
    else agent_log("LoadUserProfileW failed (error %lu): msiexec runs without the user's profile",
                   (unsigned long)GetLastError());
    if (!CreateEnvironmentBlock(&ls->env, ls->tok, FALSE)) {
        agent_log("CreateEnvironmentBlock failed (error %lu): msiexec inherits the agent's environment",
                  (unsigned long)GetLastError());
        ls->env = NULL;
    }
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    /* "": the process gets the window station and desktop of its own logon session (created if
     * needed) instead of the service's, which another user may not open (0xC0000142). */
    si.lpDesktop = (LPWSTR)L"";
    agent_log("starting as the administrator: %s", cmd8);
    if (!CreateProcessAsUserW(ls->tok, NULL, cmd, NULL, NULL, FALSE, CREATE_UNICODE_ENVIRONMENT | CREATE_NO_WINDOW,
                              ls->env, s->work_dir, &si, pi))
        agent_log("CreateProcessAsUserW failed: Win32 error %lu", (unsigned long)GetLastError());
}

/* runAs system: msiexec runs as the agent (LocalSystem). */
static void start_as_system(const install_spec *s, wchar_t *cmd, const char *cmd8, PROCESS_INFORMATION *pi)
{
    STARTUPINFOW si;
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    agent_log("starting as SYSTEM: %s", cmd8);
    if (!CreateProcessW(NULL, cmd, NULL, NULL, FALSE, CREATE_NO_WINDOW, NULL, s->work_dir, &si, pi))
        agent_log("CreateProcessW failed: Win32 error %lu", (unsigned long)GetLastError());
}

/* Waits for the started msiexec; a stop does not cut it off mid-transaction (agent/README.md). */
static DWORD wait_for_msiexec(const install_spec *s, PROCESS_INFORMATION *pi, HANDLE stop_event,
                              const service_ctl *svc)
{
    HANDLE waits[2];
    DWORD w, code = 0, result;
    CloseHandle(pi->hThread);
    agent_log("msiexec running (pid %lu)", (unsigned long)pi->dwProcessId);

    /* A stop now must not cut msiexec off mid-transaction: the service is given time to wait. */
    svc->set_stop_grace(svc->ctx, INSTALL_STOP_WAIT_MS + 15000u);
    waits[0] = pi->hProcess;
    waits[1] = stop_event;
    w = WaitForMultipleObjects(2, waits, FALSE, INFINITE);
    if (w != WAIT_OBJECT_0) {
        agent_log("stop requested while msiexec runs: waiting up to %u s for it to finish", INSTALL_STOP_WAIT_MS / 1000);
        w = WaitForSingleObject(pi->hProcess, INSTALL_STOP_WAIT_MS);
    }
    if (w == WAIT_OBJECT_0 && GetExitCodeProcess(pi->hProcess, &code)) {
        char meaning[96];
        msi_code_meaning(code, s->action, meaning, sizeof meaning);
        agent_log("msiexec exited with %lu%s [%s]", (unsigned long)code, meaning, install_action_name(s->action));
        result = code == 0 ? AGENT_EXIT_OK : AGENT_EXIT_MSI_BASE + code;
    } else {
        agent_log("msiexec (pid %lu) still runs; the agent stops without its result", (unsigned long)pi->dwProcessId);
        result = AGENT_EXIT_STOPPED;
    }
    CloseHandle(pi->hProcess);
    svc->set_stop_grace(svc->ctx, 0);
    return result;
}

DWORD install_run(install_spec *s, HANDLE stop_event, const service_ctl *svc)
{
    wchar_t sys[MAX_PATH], *cmd;
    size_t cap;
    PROCESS_INFORMATION pi;
    logon_session ls;
    DWORD result;
    char cmd8[2048];

    if (GetSystemDirectoryW(sys, MAX_PATH) == 0) return AGENT_EXIT_MSIEXEC_LAUNCH;
    cap = wcslen(sys) + wcslen(s->msi_path) + wcslen(s->log_path) + wcslen(s->parameters) + 96;
    cmd = HeapAlloc(GetProcessHeap(), 0, cap * sizeof(wchar_t));
    if (cmd == NULL) return AGENT_EXIT_INTERNAL;
    _snwprintf(cmd, cap, L"\"%ls\\msiexec.exe\" %ls \"%ls\" /qn /norestart /l*v \"%ls\"%ls%ls", sys,
               install_action_switch(s->action), s->msi_path, s->log_path, s->parameters[0] ? L" " : L"", s->parameters);
    cmd[cap - 1] = L'\0';
    utf8_from_wide(cmd, cmd8, sizeof cmd8);

    memset(&pi, 0, sizeof pi);
    memset(&ls, 0, sizeof ls);
    if (s->as_admin) start_as_admin(s, cmd, cmd8, &ls, &pi);
    else start_as_system(s, cmd, cmd8, &pi);
    HeapFree(GetProcessHeap(), 0, cmd);
    result = pi.hProcess == NULL ? AGENT_EXIT_MSIEXEC_LAUNCH : wait_for_msiexec(s, &pi, stop_event, svc);

    wipe_w(s->password);
    wipe_w(s->user);
    wipe_w(s->domain);
    if (ls.env != NULL) DestroyEnvironmentBlock(ls.env);
    if (ls.profile_loaded) UnloadUserProfile(ls.tok, ls.profile.hProfile);
    if (ls.tok != NULL) CloseHandle(ls.tok);
    return result;
}

/* Converts wide text to UTF-8 and appends it. */
static void add_wide(buf_t *out, const wchar_t *w, int n)
{
    int need;
    char *tmp;
    if (n <= 0) return;
    need = WideCharToMultiByte(CP_UTF8, 0, w, n, NULL, 0, NULL, NULL);
    if (need <= 0) return;
    tmp = HeapAlloc(GetProcessHeap(), 0, (size_t)need);
    if (tmp == NULL) return;
    WideCharToMultiByte(CP_UTF8, 0, w, n, tmp, need, NULL, NULL);
    buf_add(out, tmp, (size_t)need);
    HeapFree(GetProcessHeap(), 0, tmp);
}

void install_log_tail(const wchar_t *log_path, buf_t *out)
{
    HANDLE h = CreateFileW(log_path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                           OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    LARGE_INTEGER size, at;
    BYTE head[4] = {0};
    DWORD got = 0, want;
    int utf16;
    BYTE *raw;
    buf_t text = {0};
    size_t from = 0;

    if (h == INVALID_HANDLE_VALUE) {
        buf_addf(out, "== MSI log: none (cannot open it: Win32 error %lu) ==\n", (unsigned long)GetLastError());
        return;
    }
    if (!GetFileSizeEx(h, &size)) size.QuadPart = 0;
    ReadFile(h, head, sizeof head, &got, NULL);
    /* Windows Installer writes UTF-16LE (with a BOM); Wine's msi writes ANSI. */
    utf16 = got >= 2 && ((head[0] == 0xFF && head[1] == 0xFE) || (got == 4 && head[1] == 0 && head[3] == 0));
    want = MSI_LOG_TAIL_BYTES * (utf16 ? 2u : 1u);
    at.QuadPart = size.QuadPart > (LONGLONG)want ? size.QuadPart - (LONGLONG)want : 0;
    if (utf16 && at.QuadPart < 2 && head[0] == 0xFF) at.QuadPart = 2; /* skip the BOM */
    if (utf16) at.QuadPart &= ~(LONGLONG)1;
    raw = HeapAlloc(GetProcessHeap(), 0, want + 2);
    got = 0;
    if (raw != NULL && SetFilePointerEx(h, at, NULL, FILE_BEGIN)) ReadFile(h, raw, want, &got, NULL);
    CloseHandle(h);
    if (raw == NULL) return;

    text.limit = MSI_LOG_TAIL_BYTES * 4;
    if (utf16) {
        const wchar_t *w = (const wchar_t *)raw;
        int n = (int)(got / 2);
        if (n > 0 && w[0] >= 0xDC00 && w[0] <= 0xDFFF) { /* the tail began inside a surrogate pair */
            w++;
            n--;
        }
        add_wide(&text, w, n);
    } else if (got > 0) {
        int n = MultiByteToWideChar(CP_ACP, 0, (const char *)raw, (int)got, NULL, 0);
        wchar_t *w = n > 0 ? HeapAlloc(GetProcessHeap(), 0, (size_t)n * sizeof(wchar_t)) : NULL;
        if (w != NULL) {
            MultiByteToWideChar(CP_ACP, 0, (const char *)raw, (int)got, w, n);
            add_wide(&text, w, n);
            HeapFree(GetProcessHeap(), 0, w);
        }
    }
    HeapFree(GetProcessHeap(), 0, raw);
    if (text.len > MSI_LOG_TAIL_BYTES) {
        from = text.len - MSI_LOG_TAIL_BYTES;
        while (from < text.len && (text.p[from] & 0xC0) == 0x80) from++; /* a UTF-8 character boundary */
    }
    buf_addf(out, "== MSI log (%s, %lld bytes on disk%s) ==\n", utf16 ? "UTF-16LE" : "ANSI", (long long)size.QuadPart,
             at.QuadPart > 2 || from > 0 ? "; its tail" : "");
    if (text.len > from) buf_add(out, text.p + from, text.len - from);
    buf_free(&text);
}
