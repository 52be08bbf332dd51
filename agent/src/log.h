/* A tiny line logger: UTF-8 lines with a UTC timestamp, to stderr (--console) and/or a file;
 * and the UTF-8 <-> UTF-16 conversions the agent uses. */
#ifndef PUSHINSTALL_LOG_H
#define PUSHINSTALL_LOG_H

#include <windows.h>

void log_to_stderr(int on);
/* Appends to path (created if missing). Returns FALSE if it cannot be opened. */
BOOL log_to_file(const wchar_t *path);
void log_close(void);
/* Copies the newest (at most cap) bytes of the log kept in memory into out; returns the count.
 * The memory keeps the last LOG_MEMORY_BYTES, cut at line starts. */
#define LOG_MEMORY_BYTES (64u * 1024u)
size_t log_memory(char *out, size_t cap);
void agent_log(const char *fmt, ...) __attribute__((format(gnu_printf, 1, 2)));

/* UTF-16 -> UTF-8 into out (always NUL-terminated, truncated if needed). */
void utf8_from_wide(const wchar_t *in, char *out, int outlen);

/* UTF-8 (NUL-terminated) -> UTF-16 into out (cap characters, NUL included). 0 when the text is not
 * valid UTF-8 or does not fit, else nonzero. */
int wide_from_utf8(const char *utf8, wchar_t *out, int cap);

#endif
