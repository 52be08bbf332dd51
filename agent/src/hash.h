/* SHA-256 with the Windows CNG (bcrypt.dll). */
#ifndef PUSHINSTALL_HASH_H
#define PUSHINSTALL_HASH_H

#include <windows.h>

typedef struct {
    void *alg;  /* BCRYPT_ALG_HANDLE */
    void *hash; /* BCRYPT_HASH_HANDLE */
} sha256_ctx;

int sha256_begin(sha256_ctx *c);
int sha256_update(sha256_ctx *c, const void *data, DWORD n);
/* Writes the digest and frees the context. */
int sha256_end(sha256_ctx *c, unsigned char out[32]);
/* Frees the context without a digest (safe on a zeroed or finished context). */
void sha256_drop(sha256_ctx *c);
int sha256_of(const void *data, DWORD n, unsigned char out[32]);

#endif
