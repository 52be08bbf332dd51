/* A small strict JSON reader for the package server's answers (RFC 8259): the text is split into
 * tokens once; objects are searched by key. Pure C11, no Windows headers. */
#ifndef PUSHINSTALL_JSON_H
#define PUSHINSTALL_JSON_H

#include <stddef.h>

typedef enum { JSON_OBJECT, JSON_ARRAY, JSON_STRING, JSON_NUMBER, JSON_TRUE, JSON_FALSE, JSON_NULL } json_type;

typedef struct {
    json_type type;
    size_t start, end; /* the token's text: a string's inside (without quotes), or the literal */
    int next;          /* index of the token after this one and everything inside it */
    int count;         /* objects: members; arrays: elements */
} json_tok;

/* Parses len bytes into at most max tokens. Returns the token count (token 0 is the root), or -1
 * for text that is not one JSON value, nests deeper than 16, or needs more than max tokens. */
int json_parse(const char *s, size_t len, json_tok *toks, int max);

/* The value of key in the object at index obj, or -1. */
int json_get(const char *s, const json_tok *toks, int obj, const char *key);

/* Decodes the string token at index i (escapes, \u surrogate pairs) into out as UTF-8 with a NUL.
 * Returns the length, or -1 if it is not a string, holds a NUL, or does not fit in cap - 1. */
long json_string(const char *s, const json_tok *toks, int i, char *out, size_t cap);

/* A non-negative integer token (no fraction, no exponent) up to 2^53 - 1 into *v. 0 on success. */
int json_uint(const char *s, const json_tok *toks, int i, unsigned long long *v);

#endif
