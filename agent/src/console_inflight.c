/* The registry of console requests in flight and the abort that closes them (console_inflight.h).
 * A progress post may go out while a download is open, hence room for more than one. */
#include "console_inflight.h"

#include "console.h"

#define MAX_IN_FLIGHT 4
static SRWLOCK g_lock = SRWLOCK_INIT;
static HINTERNET g_requests[MAX_IN_FLIGHT];
static int g_aborted;

void console_abort(void)
{
    AcquireSRWLockExclusive(&g_lock);
    g_aborted = 1;
    for (int i = 0; i < MAX_IN_FLIGHT; i++) {
        if (g_requests[i] != NULL) WinHttpCloseHandle(g_requests[i]);
        g_requests[i] = NULL;
    }
    ReleaseSRWLockExclusive(&g_lock);
}

void console_allow_requests(void)
{
    AcquireSRWLockExclusive(&g_lock);
    g_aborted = 0;
    ReleaseSRWLockExclusive(&g_lock);
}

int console_inflight_begin(HINTERNET req)
{
    int ok = 0;
    AcquireSRWLockExclusive(&g_lock);
    for (int i = 0; !g_aborted && i < MAX_IN_FLIGHT; i++) {
        if (g_requests[i] == NULL) {
            g_requests[i] = req;
            ok = 1;
            break;
        }
    }
    ReleaseSRWLockExclusive(&g_lock);
    return ok;
}

void console_inflight_end(HINTERNET req)
{
    AcquireSRWLockExclusive(&g_lock);
    for (int i = 0; i < MAX_IN_FLIGHT; i++) {
        if (g_requests[i] == req) {
            WinHttpCloseHandle(req);
            g_requests[i] = NULL;
        }
    }
    ReleaseSRWLockExclusive(&g_lock);
}

int console_inflight_aborted(void)
{
    int a;
    AcquireSRWLockShared(&g_lock);
    a = g_aborted;
    ReleaseSRWLockShared(&g_lock);
    return a;
}
