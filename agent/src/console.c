#include "console.h"

#include <wincrypt.h>
#include <winhttp.h>

#include "exitcodes.h"
#include "log.h"

/* The request in flight, so a stop can abort it from another thread (console_abort). */
static SRWLOCK g_lock = SRWLOCK_INIT;
static HINTERNET g_request;
static int g_aborted;

void console_abort(void)
{
    AcquireSRWLockExclusive(&g_lock);
    g_aborted = 1;
    if (g_request != NULL) {
        WinHttpCloseHandle(g_request);
        g_request = NULL;
    }
    ReleaseSRWLockExclusive(&g_lock);
}

typedef enum { TRY_OK, TRY_UNREACHABLE, TRY_MISMATCH } try_result;

static try_result try_one(const job_t *job, const job_console *c)
{
    wchar_t host[JOB_MAX_HOST_CHARS + 3];
    char fp_got[65], fp_want[65];
    HINTERNET session = NULL, conn = NULL, req = NULL;
    PCCERT_CONTEXT cert = NULL;
    DWORD flags, len, status = 0, e;
    BYTE hash[32];
    try_result r = TRY_UNREACHABLE;
    int n;

    /* WinHTTP takes an IPv6 literal in brackets, as in a URL. */
    n = MultiByteToWideChar(CP_UTF8, 0, c->host, -1, host + (c->is_ipv6 ? 1 : 0), JOB_MAX_HOST_CHARS + 1);
    if (n <= 0) return TRY_UNREACHABLE;
    if (c->is_ipv6) {
        host[0] = L'[';
        host[n] = L']';
        host[n + 1] = L'\0';
    }

    session = WinHttpOpen(L"PushInstallAgent/0.1", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                          WINHTTP_NO_PROXY_BYPASS, 0);
    if (session == NULL) goto fail;
    WinHttpSetTimeouts(session, CONSOLE_TIMEOUT_MS, CONSOLE_TIMEOUT_MS, CONSOLE_TIMEOUT_MS, CONSOLE_TIMEOUT_MS);
    conn = WinHttpConnect(session, host, c->port, 0);
    if (conn == NULL) goto fail;
    req = WinHttpOpenRequest(conn, L"GET", L"/agent/v1/hello", NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                             WINHTTP_FLAG_SECURE);
    if (req == NULL) goto fail;
    AcquireSRWLockExclusive(&g_lock);
    if (g_aborted) {
        WinHttpCloseHandle(req);
        req = NULL;
    } else {
        g_request = req;
    }
    ReleaseSRWLockExclusive(&g_lock);
    if (req == NULL) goto fail;
    /* The console's certificate is self-signed: trust comes from the pinned fingerprint, not a CA. */
    flags = SECURITY_FLAG_IGNORE_UNKNOWN_CA | SECURITY_FLAG_IGNORE_CERT_DATE_INVALID |
            SECURITY_FLAG_IGNORE_CERT_CN_INVALID | SECURITY_FLAG_IGNORE_CERT_WRONG_USAGE;
    if (!WinHttpSetOption(req, WINHTTP_OPTION_SECURITY_FLAGS, &flags, sizeof flags)) goto fail;
    if (!WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0)) goto fail;
    if (!WinHttpReceiveResponse(req, NULL)) goto fail;

    len = sizeof cert;
    if (!WinHttpQueryOption(req, WINHTTP_OPTION_SERVER_CERT_CONTEXT, &cert, &len) || cert == NULL) goto fail;
    len = sizeof hash;
    if (!CertGetCertificateContextProperty(cert, CERT_SHA256_HASH_PROP_ID, hash, &len) || len != sizeof hash) {
        /* Older systems: hash the DER ourselves. */
        len = sizeof hash;
        if (!CryptHashCertificate2(BCRYPT_SHA256_ALGORITHM, 0, NULL, cert->pbCertEncoded, cert->cbCertEncoded, hash, &len))
            goto fail;
    }
    job_hex32(hash, fp_got);
    if (memcmp(hash, job->fingerprint, sizeof hash) != 0) {
        job_hex32(job->fingerprint, fp_want);
        agent_log("console %s:%u: certificate SHA-256 %s does not match the job's %s", c->host, (unsigned)c->port, fp_got,
                  fp_want);
        r = TRY_MISMATCH;
        goto done;
    }
    len = sizeof status;
    WinHttpQueryHeaders(req, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER, WINHTTP_HEADER_NAME_BY_INDEX, &status,
                        &len, WINHTTP_NO_HEADER_INDEX);
    agent_log("console %s:%u: TLS ok, certificate %s matches, HTTP %lu", c->host, (unsigned)c->port, fp_got,
              (unsigned long)status);
    r = TRY_OK;
    goto done;

fail:
    e = GetLastError();
    agent_log("console %s:%u: not reached (WinHTTP error %lu)", c->host, (unsigned)c->port, (unsigned long)e);
done:
    if (cert != NULL) CertFreeCertificateContext(cert);
    if (req != NULL) {
        AcquireSRWLockExclusive(&g_lock);
        if (g_request == req) {
            WinHttpCloseHandle(req);
            g_request = NULL;
        }
        ReleaseSRWLockExclusive(&g_lock);
    }
    if (conn != NULL) WinHttpCloseHandle(conn);
    if (session != NULL) WinHttpCloseHandle(session);
    return r;
}

DWORD console_hello(const job_t *job, HANDLE stop_event, int *which)
{
    for (int round = 0; round < CONSOLE_ROUNDS; round++) {
        for (int i = 0; i < job->console_count; i++) {
            try_result r;
            if (WaitForSingleObject(stop_event, 0) == WAIT_OBJECT_0) return AGENT_EXIT_STOPPED;
            r = try_one(job, &job->consoles[i]);
            if (r == TRY_OK) {
                *which = i;
                return AGENT_EXIT_OK;
            }
            if (r == TRY_MISMATCH) return AGENT_EXIT_FINGERPRINT;
        }
        if (round + 1 < CONSOLE_ROUNDS &&
            WaitForSingleObject(stop_event, 1000u << round) == WAIT_OBJECT_0)
            return AGENT_EXIT_STOPPED;
    }
    agent_log("no console answered after %d rounds", CONSOLE_ROUNDS);
    return AGENT_EXIT_UNREACHABLE;
}
