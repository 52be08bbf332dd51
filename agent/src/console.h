/* Talking to the console's package server over HTTPS (WinHTTP), with the console's certificate
 * pinned by SHA-256 before EVERY request is sent (agent/README.md, "Reaching the console"). */
#ifndef PUSHINSTALL_CONSOLE_H
#define PUSHINSTALL_CONSOLE_H

#include <windows.h>

#include <winhttp.h>

#include "buf.h"
#include "jobfile.h"

#define CONSOLE_ROUNDS 3                /* passes over every console= address */
#define CONSOLE_CONNECT_TIMEOUT_MS 5000 /* name resolution and TCP connect, each */
#define CONSOLE_SEND_TIMEOUT_MS 15000
#define CONSOLE_RECEIVE_TIMEOUT_MS 30000 /* per read: the longest silence tolerated */

/* HTTP 429 (the package server's per-address rate limit) or 503 from the console: wait
 * Retry-After and send the same request again (agent/README.md, "A busy console"). The simulated
 * agent uses the same numbers: main/server/agentProtocol.ts (AGENT_BUSY_RETRY). */
#define CONSOLE_BUSY_RETRIES 5    /* retries per request after a 429/503 */
#define CONSOLE_BUSY_BUDGET_S 300 /* back-off per run, all requests together */
#define CONSOLE_BUSY_DEFAULT_S 5  /* Retry-After missing or not delta-seconds (an HTTP-date, say) */
#define CONSOLE_BUSY_MIN_S 1      /* Retry-After is clamped to MIN..MAX seconds */
#define CONSOLE_BUSY_MAX_S 60

typedef struct {
    HINTERNET session;
    HINTERNET connect;
    int index; /* the console= address that answered */
} console_t;

typedef struct {
    DWORD status;
    unsigned long long content_length; /* ~0ull when the server sent none */
    wchar_t content_range[96];         /* empty when none */
} console_response;

typedef enum {
    NET_OK = 0,    /* a response was received (any HTTP status) and its body read */
    NET_TRANSPORT, /* connect / TLS / send / receive failed; win_error says why */
    NET_STOPPED,   /* a stop was asked (console_abort) */
    NET_SINK,      /* the sink asked to stop reading */
    NET_BUSY       /* inside console.c/console_busy.c only: a 429/503 to be retried after Retry-After */
} net_rc;

/* Called with the head of the response; return 0 to read the body into the sink, 1 to skip it. */
typedef int (*console_head_fn)(void *ctx, const console_response *r);
/* Called with each piece of the body; return 0 to go on. */
typedef int (*console_sink_fn)(void *ctx, const BYTE *data, DWORD n);

/* What to do when a certificate does not match: must not return (the agent ends the worker
 * thread there, so the request, and the token in it, are never sent). ctx: console_init's. */
typedef void (*console_pin_failure_fn)(void *ctx);

/* Remembers the fingerprint and the token (as the Authorization header) for every request, the stop
 * event (a back-off ends at a stop), the run's back-off budget in seconds, and what to call (with
 * pin_ctx) on a certificate mismatch. */
void console_init(const job_t *job, HANDLE stop_event, DWORD busy_budget_s, console_pin_failure_fn on_pin_failure,
                  void *pin_ctx);

/* Tries each console= address in order, CONSOLE_ROUNDS times with a stoppable back-off, with
 * GET /v1/job. Returns AGENT_EXIT_OK with c open and the job's JSON in body;
 * AGENT_EXIT_TOKEN_REFUSED (401/403), AGENT_EXIT_DOWNLOAD (another HTTP status or a body over
 * 64 KiB), AGENT_EXIT_UNREACHABLE, or AGENT_EXIT_STOPPED. A certificate mismatch never returns:
 * see console_init. */
DWORD console_open(const job_t *job, HANDLE stop_event, console_t *c, buf_t *body);

/* One request on c. headers: extra request headers ("Name: value\r\n"...), or NULL. With a NULL
 * sink the body is discarded. A 429 or 503 is not handed to on_head or the sink: the request is
 * sent again after Retry-After (stoppable: NET_STOPPED), at most CONSOLE_BUSY_RETRIES times and
 * within the run's back-off budget; after that the 429/503 is the answer, logged as "the console
 * kept refusing". */
net_rc console_exchange(console_t *c, const wchar_t *verb, const wchar_t *path, const wchar_t *headers,
                        const void *body, DWORD body_len, console_response *resp, console_head_fn on_head,
                        console_sink_fn sink, void *ctx, DWORD *win_error);

/* A request whose answer (at most limit bytes) is collected into out. */
net_rc console_fetch(console_t *c, const wchar_t *verb, const wchar_t *path, const char *json_body, DWORD *status,
                     buf_t *out, DWORD *win_error);

/* console_fetch without the back-off, for requests a later one supersedes (download progress): a
 * 429/503 is the answer, and *busy_s its Retry-After in seconds (clamped; 0 for other answers). */
net_rc console_fetch_once(console_t *c, const wchar_t *verb, const wchar_t *path, const char *json_body, DWORD *status,
                          buf_t *out, DWORD *win_error, DWORD *busy_s);

void console_close(console_t *c);

/* From another thread, after a stop: closes the request in flight so a blocked WinHTTP call
 * returns, and refuses new requests until console_allow_requests(). */
void console_abort(void);
/* After a stop, lets the work send its last request (the result) if there is time. */
void console_allow_requests(void);

/* Requests whose certificate was checked (and matched) before they were sent. */
long console_pinned_requests(void);

/* Wipes the token kept for the Authorization header. */
void console_forget_token(void);

#endif
