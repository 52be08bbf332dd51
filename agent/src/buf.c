#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int grow(buf_t *b, size_t need)
{
    size_t cap;
    char *p;
    if (b->failed) return 0;
    if (b->limit != 0 && need > b->limit) {
        b->failed = 1;
        return 0;
    }
    if (need <= b->cap) return 1;
    cap = b->cap < 256 ? 256 : b->cap;
    while (cap < need) cap *= 2;
    if (b->limit != 0 && cap > b->limit) cap = b->limit;
    p = b->p == NULL ? HeapAlloc(GetProcessHeap(), 0, cap) : HeapReAlloc(GetProcessHeap(), 0, b->p, cap);
    if (p == NULL) {
        b->failed = 1;
        return 0;
    }
    b->p = p;
    b->cap = cap;
    return 1;
}

void buf_add(buf_t *b, const void *data, size_t n)
{
    /* Keep room for a NUL so the content can always be used as a C string. */
    if (!grow(b, b->len + n + 1)) return;
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void buf_adds(buf_t *b, const char *s) { buf_add(b, s, strlen(s)); }

void buf_addf(buf_t *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    buf_add(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

void buf_add_json_string(buf_t *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i, run = 0;
    buf_add(b, "\"", 1);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[7];
        size_t elen = 0;
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            elen = 2;
        } else if (c == '\n') {
            memcpy(esc, "\\n", 2);
            elen = 2;
        } else if (c == '\r') {
            memcpy(esc, "\\r", 2);
            elen = 2;
        } else if (c == '\t') {
            memcpy(esc, "\\t", 2);
            elen = 2;
        } else if (c < 0x20 || c == 0x7f) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            elen = 6;
        }
        if (elen != 0) {
            buf_add(b, s + i - run, run);
            run = 0;
            buf_add(b, esc, elen);
        } else {
            run++;
        }
    }
    buf_add(b, s + n - run, run);
    buf_add(b, "\"", 1);
}

void buf_free(buf_t *b)
{
    if (b->p != NULL) {
        SecureZeroMemory(b->p, b->cap);
        HeapFree(GetProcessHeap(), 0, b->p);
    }
    b->p = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}
