/* Reaching the console's package server over TLS (WinHTTP) with a pinned certificate. */
#ifndef PUSHINSTALL_CONSOLE_H
#define PUSHINSTALL_CONSOLE_H

#include <windows.h>

#include "jobfile.h"

#define CONSOLE_ROUNDS 3           /* passes over every console= address */
#define CONSOLE_TIMEOUT_MS 5000    /* resolve / connect / send / receive, each */

/* Tries each console address in order, CONSOLE_ROUNDS times with a short, stoppable back-off.
 * The first request (GET /agent/v1/hello) carries no secret; its TLS certificate's SHA-256 must
 * equal job->fingerprint. Returns AGENT_EXIT_OK (and *which = index of the console that
 * answered), AGENT_EXIT_FINGERPRINT at the first mismatch (no further address is tried),
 * AGENT_EXIT_UNREACHABLE when no address answered, AGENT_EXIT_STOPPED if stop_event is set. */
DWORD console_hello(const job_t *job, HANDLE stop_event, int *which);

/* From another thread, after a stop: closes the request in flight so a blocked WinHTTP call
 * returns at once, and makes later requests fail. */
void console_abort(void);

#endif
