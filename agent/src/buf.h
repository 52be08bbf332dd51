/* A growable byte buffer on the process heap. Appends never fail loudly: on out-of-memory the
 * buffer is marked failed and later appends are ignored (check buf.failed once at the end). */
#ifndef PUSHINSTALL_BUF_H
#define PUSHINSTALL_BUF_H

#include <windows.h>

#include <stddef.h>

typedef struct {
    char *p;
    size_t len;
    size_t cap;
    size_t limit; /* 0 = no limit; past it the buffer is marked failed */
    int failed;
} buf_t;

void buf_add(buf_t *b, const void *data, size_t n);
void buf_adds(buf_t *b, const char *s);
void buf_addf(buf_t *b, const char *fmt, ...) __attribute__((format(gnu_printf, 2, 3)));
/* Appends s (n bytes of UTF-8) as a JSON string literal, quotes included. */
void buf_add_json_string(buf_t *b, const char *s, size_t n);
/* Frees the memory; wipes it first (it may have held a secret). */
void buf_free(buf_t *b);

#endif
