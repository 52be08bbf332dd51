/* Retry-After, the retry bounds and the stoppable wait of the 429/503 back-off (console_busy.h). */
#include "console_busy.h"

#include "console.h"
#include "log.h"

static HANDLE g_stop;
static DWORD g_busy_budget_ms, g_busy_spent_ms; /* back-off after 429/503: allowed and used in this run */
static const char *g_peer = "";

void console_busy_init(HANDLE stop_event, DWORD budget_s, const char *peer)
{
    g_stop = stop_event;
    g_busy_budget_ms = budget_s * 1000u;
    g_busy_spent_ms = 0;
    g_peer = peer;
}

/* Retry-After as delta-seconds (RFC 9110 §10.2.3), clamped to CONSOLE_BUSY_MIN_S..MAX_S; missing or
 * anything else (an HTTP-date, a negative or fractional number) -> CONSOLE_BUSY_DEFAULT_S. */
static DWORD retry_after_s(HINTERNET req)
{
    wchar_t v[64];
    DWORD len = sizeof v, s = 0;
    const wchar_t *p = v;
    if (!WinHttpQueryHeaders(req, WINHTTP_QUERY_RETRY_AFTER, WINHTTP_HEADER_NAME_BY_INDEX, v, &len,
                             WINHTTP_NO_HEADER_INDEX))
        return CONSOLE_BUSY_DEFAULT_S;
    while (*p == L' ' || *p == L'\t') p++;
    if (*p < L'0' || *p > L'9') return CONSOLE_BUSY_DEFAULT_S;
    for (; *p >= L'0' && *p <= L'9'; p++)
        if (s < 100000) s = s * 10 + (DWORD)(*p - L'0');
    while (*p == L' ' || *p == L'\t') p++;
    if (*p != L'\0') return CONSOLE_BUSY_DEFAULT_S;
    return s < CONSOLE_BUSY_MIN_S ? CONSOLE_BUSY_MIN_S : s > CONSOLE_BUSY_MAX_S ? CONSOLE_BUSY_MAX_S : s;
}

/* After a 429/503 to the retry-th try (0 = the first) of verb path: 1 = wait secs and send it
 * again, 0 = give up (the bounds are spent). Logs either way. */
static int busy_back_off(DWORD status, DWORD secs, int retry, const wchar_t *verb, const wchar_t *path)
{
    char what[160];
    int n = WideCharToMultiByte(CP_UTF8, 0, verb, -1, what, 16, NULL, NULL);
    if (n <= 0) n = 1;
    what[n - 1] = ' ';
    utf8_from_wide(path, what + n, (int)sizeof what - n);
    if (retry >= CONSOLE_BUSY_RETRIES || g_busy_spent_ms + secs * 1000u > g_busy_budget_ms) {
        agent_log("console %s: the console kept refusing: %s (HTTP %lu to %s; %d retries, %lu of %lu s of back-off "
                  "used in this run, %lu s more asked)",
                  g_peer, status == 429 ? "rate limited" : "unavailable", (unsigned long)status, what, retry,
                  (unsigned long)(g_busy_spent_ms / 1000u), (unsigned long)(g_busy_budget_ms / 1000u),
                  (unsigned long)secs);
        return 0;
    }
    agent_log("console %s: %s answered HTTP %lu (%s): backing off %lu s (Retry-After), retry %d of %d", g_peer,
              what, (unsigned long)status, status == 429 ? "rate limited" : "unavailable", (unsigned long)secs,
              retry + 1, CONSOLE_BUSY_RETRIES);
    return 1;
}

int console_busy_refused(HINTERNET req, DWORD status, int retry, const wchar_t *verb, const wchar_t *path,
                         DWORD *busy_s)
{
    BYTE skip[512];
    DWORD got;
    if (status != 429 && status != 503) return 0;
    *busy_s = retry_after_s(req);
    /* retry < 0: the caller does not wait (console_fetch_once). */
    if (retry < 0 || !busy_back_off(status, *busy_s, retry, verb, path)) return 0;
    /* The short refusal body is read so the connection can be used again. */
    for (int i = 0; i < 16 && WinHttpReadData(req, skip, sizeof skip, &got) && got > 0; i++) {
    }
    return 1;
}

int console_busy_wait(DWORD secs)
{
    if (g_stop != NULL && WaitForSingleObject(g_stop, secs * 1000u) == WAIT_OBJECT_0) {
        agent_log("console %s: stop requested during the back-off", g_peer);
        return 0;
    }
    g_busy_spent_ms += secs * 1000u;
    return 1;
}
