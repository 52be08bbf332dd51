/* The back-off after a 429 or 503 from the console (agent/README.md, "A busy console"): Retry-After
 * read as delta-seconds, at most CONSOLE_BUSY_RETRIES retries per request and CONSOLE_BUSY_BUDGET_S
 * of waiting per run, every wait ended by a stop. Kept apart from the exchange in console.c, which
 * asks here whether to send a refused request again and waits here before it does. */
#ifndef PUSHINSTALL_CONSOLE_BUSY_H
#define PUSHINSTALL_CONSOLE_BUSY_H

#include <windows.h>

#include <winhttp.h>

/* Remembers the stop event that ends a wait, the run's back-off budget in seconds (none used yet),
 * and peer: the "host:port" the log lines name (a buffer the caller keeps up to date). */
void console_busy_init(HANDLE stop_event, DWORD budget_s, const char *peer);

/* After the head of the retry-th try (0 = the first) of verb path: for a 429/503 sets *busy_s to its
 * Retry-After (clamped) and, when retry >= 0 and the bounds allow one more, reads the short refusal
 * body and returns 1: wait *busy_s (console_busy_wait) and send it again. Otherwise 0 (the answer
 * stands; a 429/503 that spent the bounds is logged as "the console kept refusing"). */
int console_busy_refused(HINTERNET req, DWORD status, int retry, const wchar_t *verb, const wchar_t *path,
                         DWORD *busy_s);

/* Waits secs and counts them against the budget: 1, or 0 when a stop came first (logged). */
int console_busy_wait(DWORD secs);

#endif
