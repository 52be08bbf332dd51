#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static HANDLE g_file = INVALID_HANDLE_VALUE;
static int g_stderr;
/* The last LOG_MEMORY_BYTES of the log, for the result the agent posts to the console. */
static char g_mem[LOG_MEMORY_BYTES];
static size_t g_mem_len;
static SRWLOCK g_mem_lock = SRWLOCK_INIT;

size_t log_memory(char *out, size_t cap)
{
    size_t n;
    AcquireSRWLockShared(&g_mem_lock);
    n = g_mem_len < cap ? g_mem_len : cap;
    memcpy(out, g_mem + (g_mem_len - n), n);
    ReleaseSRWLockShared(&g_mem_lock);
    return n;
}

static void remember(const char *line, size_t n)
{
    AcquireSRWLockExclusive(&g_mem_lock);
    if (n > sizeof g_mem) n = sizeof g_mem;
    if (g_mem_len + n > sizeof g_mem) {
        /* Drop the oldest lines: keep the newest half, cut at a line start. */
        size_t keep_from = g_mem_len - sizeof g_mem / 2;
        while (keep_from < g_mem_len && g_mem[keep_from - 1] != '\n') keep_from++;
        memmove(g_mem, g_mem + keep_from, g_mem_len - keep_from);
        g_mem_len -= keep_from;
        if (g_mem_len + n > sizeof g_mem) g_mem_len = 0;
    }
    memcpy(g_mem + g_mem_len, line, n);
    g_mem_len += n;
    ReleaseSRWLockExclusive(&g_mem_lock);
}

void log_to_stderr(int on) { g_stderr = on; }

BOOL log_to_file(const wchar_t *path)
{
    HANDLE h = CreateFileW(path, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                           OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE) return FALSE;
    if (g_file != INVALID_HANDLE_VALUE) CloseHandle(g_file);
    g_file = h;
    return TRUE;
}

void log_close(void)
{
    if (g_file != INVALID_HANDLE_VALUE) CloseHandle(g_file);
    g_file = INVALID_HANDLE_VALUE;
}

void utf8_from_wide(const wchar_t *in, char *out, int outlen)
{
    int n;
    if (outlen <= 0) return;
    n = WideCharToMultiByte(CP_UTF8, 0, in, -1, out, outlen, NULL, NULL);
    if (n <= 0) {
        /* Too long: convert what fits. */
        n = WideCharToMultiByte(CP_UTF8, 0, in, (int)(wcslen(in) > (size_t)outlen / 4 ? (size_t)outlen / 4 : wcslen(in)),
                                out, outlen - 1, NULL, NULL);
        out[n > 0 ? n : 0] = '\0';
    }
}

int wide_from_utf8(const char *utf8, wchar_t *out, int cap)
{
    int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, -1, out, cap);
    return n > 0;
}

void agent_log(const char *fmt, ...)
{
    char buf[1200];
    SYSTEMTIME t;
    int n, m;
    va_list ap;
    DWORD written;

    GetSystemTime(&t);
    n = snprintf(buf, sizeof buf, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ [%lu] ", t.wYear, t.wMonth, t.wDay, t.wHour,
                 t.wMinute, t.wSecond, t.wMilliseconds, (unsigned long)GetCurrentThreadId());
    if (n < 0) return;
    va_start(ap, fmt);
    m = vsnprintf(buf + n, sizeof buf - (size_t)n - 2, fmt, ap);
    va_end(ap);
    if (m < 0) m = 0;
    n += m;
    if (n > (int)sizeof buf - 3) n = (int)sizeof buf - 3;
    buf[n++] = '\r';
    buf[n++] = '\n';
    if (g_stderr) WriteFile(GetStdHandle(STD_ERROR_HANDLE), buf, (DWORD)n, &written, NULL);
    if (g_file != INVALID_HANDLE_VALUE) WriteFile(g_file, buf, (DWORD)n, &written, NULL);
    remember(buf, (size_t)n);
}
