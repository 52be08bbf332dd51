#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static HANDLE g_file = INVALID_HANDLE_VALUE;
static int g_stderr;

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
}
