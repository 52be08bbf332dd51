/* The console requests in flight, kept where a stop on another thread can reach them: console_abort
 * (console.h) closes every registered request handle so a blocked WinHTTP call returns, and refuses
 * new requests until console_allow_requests. console.c registers each request here for its life. */
#ifndef PUSHINSTALL_CONSOLE_INFLIGHT_H
#define PUSHINSTALL_CONSOLE_INFLIGHT_H

#include <windows.h>

#include <winhttp.h>

/* Registers req for console_abort: 0 when aborted (or the registry is full); then req is not
 * registered and the caller closes it. */
int console_inflight_begin(HINTERNET req);

/* Closes req unless console_abort already did. */
void console_inflight_end(HINTERNET req);

/* Whether console_abort came (and no console_allow_requests since). */
int console_inflight_aborted(void);

#endif
