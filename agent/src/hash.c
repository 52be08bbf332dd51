#include "hash.h"

#include <bcrypt.h>

int sha256_begin(sha256_ctx *c)
{
    BCRYPT_ALG_HANDLE alg = NULL;
    BCRYPT_HASH_HANDLE h = NULL;
    c->alg = c->hash = NULL;
    if (!BCRYPT_SUCCESS(BCryptOpenAlgorithmProvider(&alg, BCRYPT_SHA256_ALGORITHM, NULL, 0))) return 0;
    if (!BCRYPT_SUCCESS(BCryptCreateHash(alg, &h, NULL, 0, NULL, 0, 0))) {
        BCryptCloseAlgorithmProvider(alg, 0);
        return 0;
    }
    c->alg = alg;
    c->hash = h;
    return 1;
}

int sha256_update(sha256_ctx *c, const void *data, DWORD n)
{
    return BCRYPT_SUCCESS(BCryptHashData((BCRYPT_HASH_HANDLE)c->hash, (PUCHAR)data, n, 0));
}

void sha256_drop(sha256_ctx *c)
{
    if (c->hash != NULL) BCryptDestroyHash((BCRYPT_HASH_HANDLE)c->hash);
    if (c->alg != NULL) BCryptCloseAlgorithmProvider((BCRYPT_ALG_HANDLE)c->alg, 0);
    c->alg = c->hash = NULL;
}

int sha256_end(sha256_ctx *c, unsigned char out[32])
{
    int ok = BCRYPT_SUCCESS(BCryptFinishHash((BCRYPT_HASH_HANDLE)c->hash, out, 32, 0));
    sha256_drop(c);
    return ok;
}

int sha256_of(const void *data, DWORD n, unsigned char out[32])
{
    sha256_ctx c;
    if (!sha256_begin(&c)) return 0;
    if (!sha256_update(&c, data, n)) {
        sha256_drop(&c);
        return 0;
    }
    return sha256_end(&c, out);
}
