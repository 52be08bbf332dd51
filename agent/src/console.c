/* The exchanges with the console over HTTPS (WinHTTP): opening a console= address with GET /v1/job,
 * one request's life (send, head, body into a sink) and the fetches built on it. The pin check
 * (console_pin.c), the 429/503 back-off (console_busy.c) and the registry of requests a stop can
 * abort (console_inflight.c) are kept in their own files; this one strings them together. */
#include "console.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console_busy.h"
#include "console_inflight.h"
#include "console_pin.h"
#include "exitcodes.h"
#include "log.h"

static wchar_t g_auth[32 + JOB_MAX_TOKEN_CHARS];
static char g_current[JOB_MAX_HOST_CHARS + 16]; /* "host:port" of the console being talked to */

void console_forget_token(void) { SecureZeroMemory(g_auth, sizeof g_auth); }

void console_init(const job_t *job, HANDLE stop_event, DWORD busy_budget_s, console_pin_failure_fn on_pin_failure,
                  void *pin_ctx)
{
    static const wchar_t head[] = L"Authorization: Bearer ";
    size_t n = sizeof head / sizeof head[0] - 1, i;
    console_busy_init(stop_event, busy_budget_s, g_current);
    console_pin_init(job->fingerprint, on_pin_failure, pin_ctx, g_current);
    memcpy(g_auth, head, n * sizeof(wchar_t));
    /* The token is printable ASCII (jobfile.c checks it). */
    for (i = 0; job->token[i] != '\0'; i++) g_auth[n++] = (wchar_t)(unsigned char)job->token[i];
    g_auth[n++] = L'\r';
    g_auth[n++] = L'\n';
    g_auth[n] = L'\0';
}

/* A request that failed: why (GetLastError, read first), and whether a stop (console_abort) caused it. */
static net_rc failed(DWORD *win_error)
{
    *win_error = GetLastError();
    return console_inflight_aborted() ? NET_STOPPED : NET_TRANSPORT;
}

/* Sets req up (pinned TLS, no redirects, the token, the extra headers), sends it and receives the
 * response head: 0 when a step failed (GetLastError says why). */
static int send_request(HINTERNET req, const wchar_t *headers, const void *body, DWORD body_len)
{
    /* The console's certificate is self-signed: trust comes from the pinned fingerprint (checked in
     * console_pin_check before the request is sent), not from a CA. */
    DWORD flags = SECURITY_FLAG_IGNORE_UNKNOWN_CA | SECURITY_FLAG_IGNORE_CERT_DATE_INVALID |
                  SECURITY_FLAG_IGNORE_CERT_CN_INVALID | SECURITY_FLAG_IGNORE_CERT_WRONG_USAGE;
    if (!WinHttpSetOption(req, WINHTTP_OPTION_SECURITY_FLAGS, &flags, sizeof flags)) return 0;
    flags = WINHTTP_OPTION_REDIRECT_POLICY_NEVER;
    WinHttpSetOption(req, WINHTTP_OPTION_REDIRECT_POLICY, &flags, sizeof flags);
    if (!WinHttpAddRequestHeaders(req, g_auth, (DWORD)-1L, WINHTTP_ADDREQ_FLAG_ADD | WINHTTP_ADDREQ_FLAG_REPLACE))
        return 0;
    if (headers != NULL &&
        !WinHttpAddRequestHeaders(req, headers, (DWORD)-1L, WINHTTP_ADDREQ_FLAG_ADD | WINHTTP_ADDREQ_FLAG_REPLACE))
        return 0;
    if (!WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, (LPVOID)body, body_len, body_len, 0)) return 0;
    return WinHttpReceiveResponse(req, NULL) ? 1 : 0;
}

/* The status, Content-Length and Content-Range of the response head into resp. */
static void read_head(HINTERNET req, console_response *resp)
{
    wchar_t num[32];
    DWORD len = sizeof resp->status;
    WinHttpQueryHeaders(req, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER, WINHTTP_HEADER_NAME_BY_INDEX,
                        &resp->status, &len, WINHTTP_NO_HEADER_INDEX);
    len = sizeof num;
    if (WinHttpQueryHeaders(req, WINHTTP_QUERY_CONTENT_LENGTH, WINHTTP_HEADER_NAME_BY_INDEX, num, &len,
                            WINHTTP_NO_HEADER_INDEX)) {
        wchar_t *end = NULL;
        unsigned long long v = _wcstoui64(num, &end, 10);
        if (end != num && end != NULL && *end == L'\0') resp->content_length = v;
    }
    len = sizeof resp->content_range;
    if (!WinHttpQueryHeaders(req, WINHTTP_QUERY_CONTENT_RANGE, WINHTTP_HEADER_NAME_BY_INDEX, resp->content_range, &len,
                             WINHTTP_NO_HEADER_INDEX))
        resp->content_range[0] = L'\0';
}

/* The body into the sink (NULL: discarded), 64 KiB at a time: NET_OK, NET_SINK when the sink asked
 * to stop, or a failure (failed()). */
static net_rc read_body(HINTERNET req, console_sink_fn sink, void *ctx, DWORD *win_error)
{
    enum { CHUNK = 64 * 1024 };
    BYTE *chunk = HeapAlloc(GetProcessHeap(), 0, CHUNK);
    DWORD got;
    net_rc rc = NET_OK;
    if (chunk == NULL) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return failed(win_error);
    }
    for (;;) {
        if (!WinHttpReadData(req, chunk, CHUNK, &got)) {
            rc = failed(win_error);
            break;
        }
        if (got == 0) break;
        if (sink != NULL && sink(ctx, chunk, got) != 0) {
            rc = NET_SINK;
            break;
        }
    }
    HeapFree(GetProcessHeap(), 0, chunk);
    return rc;
}

/* One try of a request (retry: see console_busy_refused). Once console_inflight_begin has registered
 * the handle for console_abort, every way out (fail, busy, head refused, sink stop, done) passes the
 * one console_inflight_end below, which another thread's abort may be racing. */
static net_rc exchange_once(console_t *c, const wchar_t *verb, const wchar_t *path, const wchar_t *headers,
                            const void *body, DWORD body_len, console_response *resp, console_head_fn on_head,
                            console_sink_fn sink, void *ctx, DWORD *win_error, int retry, DWORD *busy_s)
{
    HINTERNET req;
    net_rc rc;

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
    if (!console_inflight_begin(req)) {
        WinHttpCloseHandle(req);
        return NET_STOPPED;
    }
    if (!send_request(req, headers, body, body_len)) {
        rc = failed(win_error);
    } else {
        read_head(req, resp);
        if (console_busy_refused(req, resp->status, retry, verb, path, busy_s))
            rc = NET_BUSY;
        else if (on_head != NULL && on_head(ctx, resp) != 0)
            rc = NET_OK;
        else
            rc = read_body(req, sink, ctx, win_error);
    }
    console_inflight_end(req);
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
        if (!console_busy_wait(secs)) return NET_STOPPED;
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
    if (WinHttpSetStatusCallback(c->session, console_pin_check, WINHTTP_CALLBACK_FLAG_SEND_REQUEST, 0) ==
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
