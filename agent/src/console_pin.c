/* The pin check itself (console_pin.h) and the count of requests that passed it. */
#include "console_pin.h"

#include <string.h>
#include <wincrypt.h>

#include "hash.h"
#include "log.h"

static unsigned char g_pin[32];
static console_pin_failure_fn g_on_pin_failure;
static void *g_pin_ctx;
static const char *g_peer = "";
static volatile LONG g_pinned;

void console_pin_init(const unsigned char fingerprint[32], console_pin_failure_fn on_failure, void *ctx,
                      const char *peer)
{
    memcpy(g_pin, fingerprint, sizeof g_pin);
    g_on_pin_failure = on_failure;
    g_pin_ctx = ctx;
    g_peer = peer;
}

long console_pinned_requests(void) { return g_pinned; }

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
void CALLBACK console_pin_check(HINTERNET h, DWORD_PTR context, DWORD status, LPVOID info, DWORD info_len)
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
    agent_log("console %s: certificate SHA-256 %s does not match the job's %s: nothing is sent", g_peer, got_hex,
              want_hex);
    g_on_pin_failure(g_pin_ctx); /* does not return */
    for (;;) Sleep(INFINITE);
}
