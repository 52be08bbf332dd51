/* Certificate pinning for the console requests: the console's certificate is self-signed, so trust
 * comes from the job's SHA-256 fingerprint, checked by a WinHTTP status callback before EVERY
 * request is sent (agent/README.md, "Pinning"). A mismatch never returns: the request, and the
 * token in it, are never sent. */
#ifndef PUSHINSTALL_CONSOLE_PIN_H
#define PUSHINSTALL_CONSOLE_PIN_H

#include <windows.h>

#include <winhttp.h>

#include "console.h"

/* Remembers the fingerprint, what to call (with ctx) on a mismatch, and peer: the "host:port" the
 * log line names (a buffer the caller keeps up to date). */
void console_pin_init(const unsigned char fingerprint[32], console_pin_failure_fn on_failure, void *ctx,
                      const char *peer);

/* The WinHTTP status callback (for WINHTTP_CALLBACK_FLAG_SEND_REQUEST) that checks the pin. */
void CALLBACK console_pin_check(HINTERNET h, DWORD_PTR context, DWORD status, LPVOID info, DWORD info_len);

#endif
