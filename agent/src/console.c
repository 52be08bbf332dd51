#include "console.h"

#include <stdio.h>
#include <stdlib.h>
#include <wincrypt.h>

#include "exitcodes.h"
#include "hash.h"
#include "log.h"

/* The requests in flight (a progress post may go out while a download is open), so a stop can
 * abort them from another thread (console_abort). */
#define MAX_IN_FLIGHT 4
static SRWLOCK g_lock = SRWLOCK_INIT;
static HINTERNET g_requests[MAX_IN_FLIGHT];
static int g_aborted;

static unsigned char g_pin[32];
static wchar_t g_auth[32 + JOB_MAX_TOKEN_CHARS];
static console_pin_failure_fn g_on_pin_failure;
static void *g_pin_ctx;
static volatile LONG g_pinned;
static char g_current[JOB_MAX_HOST_CHARS + 16]; /* "host:port" of the console being talked to */
static HANDLE g_stop;
static DWORD g_busy_budget_ms, g_busy_spent_ms; /* back-off after 429/503: allowed and used in this run */

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

long console_pinned_requests(void) { return g_pinned; }

void console_forget_token(void) { SecureZeroMemory(g_auth, sizeof g_auth); }

void console_init(const job_t *job, HANDLE stop_event, DWORD busy_budget_s, console_pin_failure_fn on_pin_failure,
                  void *pin_ctx)
{
    static const wchar_t head[] = L"Authorization: Bearer ";
    size_t n = sizeof head / sizeof head[0] - 1, i;
    g_stop = stop_event;
    g_busy_budget_ms = busy_budget_s * 1000u;
    g_busy_spent_ms = 0;
    memcpy(g_pin, job->fingerprint, sizeof g_pin);
    g_on_pin_failure = on_pin_failure;
    g_pin_ctx = pin_ctx;
    memcpy(g_auth, head, n * sizeof(wchar_t));
    /* The token is printable ASCII (jobfile.c checks it). */
    for (i = 0; job->token[i] != '\0'; i++) g_auth[n++] = (wchar_t)(unsigned char)job->token[i];
    g_auth[n++] = L'\r';
    g_auth[n++] = L'\n';
    g_auth[n] = L'\0';
}

/* SHA-256 of the server certificate (DER) of the connection the request is about to use. */
static int server_cert_hash(HINTERNET req, unsigned char out[32])
{
    PCCERT_CONTEXT cert = NULL;
    DWORD len = sizeof cert;
    int ok;
    if (!WinHttpQueryOption(req, WINHTTP_OPTION_SERVER_CERT_CONTEXT, &cert, &len) || cert == NULL) return 0;
    ok = sha256_of(cert->pbCertEncoded, cert->cbCertEncoded, out);
    CertFreeCertificateContext(cert);
    return ok;
}

/* WinHTTP calls this on the sending thread after the connection (and its TLS handshake) is up and
 * before the request's first byte goes out — for every request, on new and reused connections. */
static void CALLBACK status_callback(HINTERNET h, DWORD_PTR context, DWORD status, LPVOID info, DWORD info_len)
{
    unsigned char got[32];
    char got_hex[65], want_hex[65];
    (void)context;
    (void)info;
    (void)info_len;
    if (status != WINHTTP_CALLBACK_STATUS_SENDING_REQUEST) return;
    if (server_cert_hash(h, got) && memcmp(got, g_pin, sizeof got) == 0) {
        InterlockedIncrement(&g_pinned);
        return;
    }
    job_hex32(got, got_hex);
    job_hex32(g_pin, want_hex);
    agent_log("console %s: certificate SHA-256 %s does not match the job's %s: nothing is sent", g_current, got_hex,
              want_hex);
    g_on_pin_failure(g_pin_ctx); /* does not return */
    for (;;) Sleep(INFINITE);
}

static int begin_request(HINTERNET req)
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

/* Closes req unless console_abort already did. */
static void end_request(HINTERNET req)
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

static int aborted(void)
{
    int a;
    AcquireSRWLockShared(&g_lock);
    a = g_aborted;
    ReleaseSRWLockShared(&g_lock);
    return a;
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
                  g_current, status == 429 ? "rate limited" : "unavailable", (unsigned long)status, what, retry,
                  (unsigned long)(g_busy_spent_ms / 1000u), (unsigned long)(g_busy_budget_ms / 1000u),
                  (unsigned long)secs);
        return 0;
    }
    agent_log("console %s: %s answered HTTP %lu (%s): backing off %lu s (Retry-After), retry %d of %d", g_current,
              what, (unsigned long)status, status == 429 ? "rate limited" : "unavailable", (unsigned long)secs,
              retry + 1, CONSOLE_BUSY_RETRIES);
    return 1;
}

/* One request's whole life, kept in one function on purpose (~95 lines): once begin_request has
 * registered the handle for console_abort, every way out (fail, busy, head refused, sink stop, done)
 * passes the one end_request below, which another thread's abort may be racing. */
static net_rc exchange_once(console_t *c, const wchar_t *verb, const wchar_t *path, const wchar_t *headers,
                            const void *body, DWORD body_len, console_response *resp, console_head_fn on_head,
                            console_sink_fn sink, void *ctx, DWORD *win_error, int retry, DWORD *busy_s)
{
    enum { CHUNK = 64 * 1024 };
    BYTE *chunk = NULL;
    HINTERNET req;
    DWORD flags, len, got;
    net_rc rc = NET_TRANSPORT;

    *win_error = 0;
    resp->status = 0;
    resp->content_length = ~0ull;
    resp->content_range[0] = L'\0';
    req = WinHttpOpenRequest(c->connect, verb, path, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                             WINHTTP_FLAG_SECURE);
    if (req == NULL) {
        *win_error = GetLastError();
        return NET_TRANSPORT;
    }
    if (!begin_request(req)) {
        WinHttpCloseHandle(req);
        return NET_STOPPED;
    }
    /* The console's certificate is self-signed: trust comes from the pinned fingerprint (checked in
     * status_callback before the request is sent), not from a CA. */
    flags = SECURITY_FLAG_IGNORE_UNKNOWN_CA | SECURITY_FLAG_IGNORE_CERT_DATE_INVALID |
            SECURITY_FLAG_IGNORE_CERT_CN_INVALID | SECURITY_FLAG_IGNORE_CERT_WRONG_USAGE;
    if (!WinHttpSetOption(req, WINHTTP_OPTION_SECURITY_FLAGS, &flags, sizeof flags)) goto fail;
    flags = WINHTTP_OPTION_REDIRECT_POLICY_NEVER;
    WinHttpSetOption(req, WINHTTP_OPTION_REDIRECT_POLICY, &flags, sizeof flags);
    if (!WinHttpAddRequestHeaders(req, g_auth, (DWORD)-1L, WINHTTP_ADDREQ_FLAG_ADD | WINHTTP_ADDREQ_FLAG_REPLACE))
        goto fail;
    if (headers != NULL &&
        !WinHttpAddRequestHeaders(req, headers, (DWORD)-1L, WINHTTP_ADDREQ_FLAG_ADD | WINHTTP_ADDREQ_FLAG_REPLACE))
        goto fail;
    if (!WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, (LPVOID)body, body_len, body_len, 0)) goto fail;
    if (!WinHttpReceiveResponse(req, NULL)) goto fail;

    len = sizeof resp->status;
    WinHttpQueryHeaders(req, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER, WINHTTP_HEADER_NAME_BY_INDEX,
                        &resp->status, &len, WINHTTP_NO_HEADER_INDEX);
    {
        wchar_t num[32];
        len = sizeof num;
        if (WinHttpQueryHeaders(req, WINHTTP_QUERY_CONTENT_LENGTH, WINHTTP_HEADER_NAME_BY_INDEX, num, &len,
                                WINHTTP_NO_HEADER_INDEX)) {
            wchar_t *end = NULL;
            unsigned long long v = _wcstoui64(num, &end, 10);
            if (end != num && end != NULL && *end == L'\0') resp->content_length = v;
        }
    }
    len = sizeof resp->content_range;
    if (!WinHttpQueryHeaders(req, WINHTTP_QUERY_CONTENT_RANGE, WINHTTP_HEADER_NAME_BY_INDEX, resp->content_range, &len,
                             WINHTTP_NO_HEADER_INDEX))
        resp->content_range[0] = L'\0';
    if (resp->status == 429 || resp->status == 503) {
        *busy_s = retry_after_s(req);
        /* retry < 0: the caller does not wait (console_fetch_once). */
        if (retry >= 0 && busy_back_off(resp->status, *busy_s, retry, verb, path)) {
            BYTE skip[512];
            /* The short refusal body is read so the connection can be used again. */
            for (int i = 0; i < 16 && WinHttpReadData(req, skip, sizeof skip, &got) && got > 0; i++) {
            }
            rc = NET_BUSY;
            goto done;
        }
    }
    if (on_head != NULL && on_head(ctx, resp) != 0) {
        rc = NET_OK;
        goto done;
    }
    chunk = HeapAlloc(GetProcessHeap(), 0, CHUNK);
    if (chunk == NULL) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        goto fail;
    }
    for (;;) {
        if (!WinHttpReadData(req, chunk, CHUNK, &got)) goto fail;
        if (got == 0) break;
        if (sink != NULL && sink(ctx, chunk, got) != 0) {
            rc = NET_SINK;
            goto done;
        }
    }
    rc = NET_OK;
    goto done;

fail:
    *win_error = GetLastError();
    rc = aborted() ? NET_STOPPED : NET_TRANSPORT;
done:
    if (chunk != NULL) HeapFree(GetProcessHeap(), 0, chunk);
    end_request(req);
    return rc;
}

net_rc console_exchange(console_t *c, const wchar_t *verb, const wchar_t *path, const wchar_t *headers,
                        const void *body, DWORD body_len, console_response *resp, console_head_fn on_head,
                        console_sink_fn sink, void *ctx, DWORD *win_error)
{
    for (int retry = 0;; retry++) {
        DWORD secs = 0;
        net_rc rc = exchange_once(c, verb, path, headers, body, body_len, resp, on_head, sink, ctx, win_error, retry,
                                  &secs);
        if (rc != NET_BUSY) return rc;
        if (g_stop != NULL && WaitForSingleObject(g_stop, secs * 1000u) == WAIT_OBJECT_0) {
            agent_log("console %s: stop requested during the back-off", g_current);
            return NET_STOPPED;
        }
        g_busy_spent_ms += secs * 1000u;
    }
}

typedef struct {
    buf_t *out;
} collect_ctx;

static int collect(void *ctx, const BYTE *data, DWORD n)
{
    collect_ctx *cc = ctx;
    buf_add(cc->out, data, n);
    return cc->out->failed ? 1 : 0;
}

static net_rc fetch(console_t *c, const wchar_t *verb, const wchar_t *path, const char *json_body, DWORD *status,
                    buf_t *out, DWORD *win_error, DWORD *busy_s)
{
    console_response r;
    collect_ctx cc = {out};
    const wchar_t *h = json_body != NULL ? L"Content-Type: application/json\r\n" : NULL;
    DWORD n = json_body != NULL ? (DWORD)strlen(json_body) : 0;
    net_rc rc = busy_s != NULL ? exchange_once(c, verb, path, h, json_body, n, &r, NULL, collect, &cc, win_error, -1, busy_s)
                               : console_exchange(c, verb, path, h, json_body, n, &r, NULL, collect, &cc, win_error);
    *status = r.status;
    return rc;
}

net_rc console_fetch(console_t *c, const wchar_t *verb, const wchar_t *path, const char *json_body, DWORD *status,
                     buf_t *out, DWORD *win_error)
{
    return fetch(c, verb, path, json_body, status, out, win_error, NULL);
}

net_rc console_fetch_once(console_t *c, const wchar_t *verb, const wchar_t *path, const char *json_body, DWORD *status,
                          buf_t *out, DWORD *win_error, DWORD *busy_s)
{
    *busy_s = 0;
    return fetch(c, verb, path, json_body, status, out, win_error, busy_s);
}

void console_close(console_t *c)
{
    if (c->connect != NULL) WinHttpCloseHandle(c->connect);
    if (c->session != NULL) WinHttpCloseHandle(c->session);
    c->connect = c->session = NULL;
}

static int open_one(const job_console *jc, console_t *c)
{
    wchar_t host[JOB_MAX_HOST_CHARS + 3];
    int n;
    c->session = c->connect = NULL;
    /* WinHTTP takes an IPv6 literal in brackets, as in a URL. */
    n = MultiByteToWideChar(CP_UTF8, 0, jc->host, -1, host + (jc->is_ipv6 ? 1 : 0), JOB_MAX_HOST_CHARS + 1);
    if (n <= 0) return 0;
    if (jc->is_ipv6) {
        host[0] = L'[';
        host[n] = L']';
        host[n + 1] = L'\0';
    }
    c->session = WinHttpOpen(L"PushInstallAgent/1", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                             WINHTTP_NO_PROXY_BYPASS, 0);
    if (c->session == NULL) return 0;
    WinHttpSetTimeouts(c->session, CONSOLE_CONNECT_TIMEOUT_MS, CONSOLE_CONNECT_TIMEOUT_MS, CONSOLE_SEND_TIMEOUT_MS,
                       CONSOLE_RECEIVE_TIMEOUT_MS);
    if (WinHttpSetStatusCallback(c->session, status_callback, WINHTTP_CALLBACK_FLAG_SEND_REQUEST, 0) ==
        WINHTTP_INVALID_STATUS_CALLBACK)
        return 0;
    c->connect = WinHttpConnect(c->session, host, jc->port, 0);
    return c->connect != NULL;
}

DWORD console_open(const job_t *job, HANDLE stop_event, console_t *c, buf_t *body)
{
    for (int round = 0; round < CONSOLE_ROUNDS; round++) {
        for (int i = 0; i < job->console_count; i++) {
            const job_console *jc = &job->consoles[i];
            DWORD status = 0, e = 0;
            net_rc rc;
            if (WaitForSingleObject(stop_event, 0) == WAIT_OBJECT_0) return AGENT_EXIT_STOPPED;
            snprintf(g_current, sizeof g_current, "%s%s%s:%u", jc->is_ipv6 ? "[" : "", jc->host, jc->is_ipv6 ? "]" : "",
                     (unsigned)jc->port);
            if (!open_one(jc, c)) {
                agent_log("console %s: cannot set up WinHTTP (error %lu)", g_current, (unsigned long)GetLastError());
                console_close(c);
                continue;
            }
            body->len = 0;
            body->failed = 0;
            body->limit = 64 * 1024;
            rc = console_fetch(c, L"GET", L"/v1/job", NULL, &status, body, &e);
            if (rc == NET_STOPPED) {
                console_close(c);
                return AGENT_EXIT_STOPPED;
            }
            if (rc == NET_TRANSPORT) {
                agent_log("console %s: not reached (WinHTTP error %lu)", g_current, (unsigned long)e);
                console_close(c);
                continue;
            }
            if (status == 401 || status == 403) {
                agent_log("console %s: certificate matches; the token was refused (HTTP %lu)", g_current,
                          (unsigned long)status);
                console_close(c);
                return AGENT_EXIT_TOKEN_REFUSED;
            }
            if (rc != NET_OK || status != 200) {
                agent_log("console %s: GET /v1/job answered HTTP %lu%s", g_current, (unsigned long)status,
                          rc == NET_SINK ? " with a body over 64 KiB" : "");
                console_close(c);
                return AGENT_EXIT_DOWNLOAD;
            }
            c->index = i;
            agent_log("console %s: TLS ok, certificate matches the job's fingerprint, token accepted, job fetched (%lu bytes)",
                      g_current, (unsigned long)body->len);
            return AGENT_EXIT_OK;
        }
        if (round + 1 < CONSOLE_ROUNDS && WaitForSingleObject(stop_event, 1000u << round) == WAIT_OBJECT_0)
            return AGENT_EXIT_STOPPED;
    }
    agent_log("no console answered after %d rounds", CONSOLE_ROUNDS);
    return AGENT_EXIT_UNREACHABLE;
}
