/* Each job file key's value rule, with the wording of main/server/jobFile.ts's parseJobFile. Pure
 * C11, no Windows headers (see jobfile.h). */
#include "jobfile_values.h"

#include <string.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int is_alnum(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* 64 hex digits, or 32 pairs separated by ':' (as openssl prints fingerprints). */
static int parse_hex32(const char *v, size_t n, unsigned char out[32])
{
    size_t i;
    if (n == 64) {
        for (i = 0; i < 32; i++) {
            int hi = hexval(v[2 * i]), lo = hexval(v[2 * i + 1]);
            if (hi < 0 || lo < 0) return -1;
            out[i] = (unsigned char)(hi * 16 + lo);
        }
        return 0;
    }
    if (n == 95) {
        for (i = 0; i < 32; i++) {
            int hi = hexval(v[3 * i]), lo = hexval(v[3 * i + 1]);
            if (hi < 0 || lo < 0) return -1;
            if (i < 31 && v[3 * i + 2] != ':') return -1;
            out[i] = (unsigned char)(hi * 16 + lo);
        }
        return 0;
    }
    return -1;
}

/* Strict UTF-8 (no overlongs, no surrogates, <= U+10FFFF) and no NUL. */
static int parse_port(const char *v, size_t n, unsigned short *port)
{
    unsigned long p = 0;
    size_t i;
    if (n == 0 || n > 5 || v[0] == '0') return -1;
    for (i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9') return -1;
        p = p * 10 + (unsigned long)(v[i] - '0');
    }
    if (p < 1 || p > 65535) return -1;
    *port = (unsigned short)p;
    return 0;
}

const char *job_take_console(const char *v, size_t n, job_console *c)
{
    const char *host, *port;
    size_t hn, pn, i;
    if (n > 0 && v[0] == '[') {
        const char *close = memchr(v, ']', n);
        if (close == NULL) return "IPv6 address without ']'";
        host = v + 1;
        hn = (size_t)(close - host);
        if ((size_t)(close - v) + 1 >= n || close[1] != ':') return "expected [ipv6]:port";
        port = close + 2;
        pn = n - (size_t)(port - v);
        if (hn < 2 || hn > 45) return "bad IPv6 address";
        for (i = 0; i < hn; i++)
            if (!(hexval(host[i]) >= 0 || host[i] == ':' || host[i] == '.')) return "bad IPv6 address";
        c->is_ipv6 = 1;
    } else {
        const char *colon = memchr(v, ':', n);
        if (colon == NULL) return "expected host:port";
        host = v;
        hn = (size_t)(colon - v);
        port = colon + 1;
        pn = n - hn - 1;
        if (memchr(port, ':', pn) != NULL) return "IPv6 addresses need brackets: [addr]:port";
        if (hn < 1 || hn > JOB_MAX_HOST_CHARS) return "host name empty or longer than 253 characters";
        if (host[0] == '-' || host[0] == '.' || host[hn - 1] == '-' || host[hn - 1] == '.')
            return "host name starts or ends with '-' or '.'";
        for (i = 0; i < hn; i++)
            if (!(is_alnum(host[i]) || host[i] == '-' || host[i] == '.'))
                return "host name may hold only letters, digits, '-' and '.'";
        c->is_ipv6 = 0;
    }
    if (parse_port(port, pn, &c->port) != 0) return "port must be 1..65535";
    memcpy(c->host, host, hn);
    c->host[hn] = '\0';
    return NULL;
}

static int ident_ok(const char *v, size_t n, size_t max, int allow_dot)
{
    size_t i;
    if (n < 1 || n > max || v[0] == '.' || v[0] == '-') return 0;
    for (i = 0; i < n; i++)
        if (!(is_alnum(v[i]) || v[i] == '_' || v[i] == '-' || (allow_dot && v[i] == '.'))) return 0;
    return 1;
}

static int token_ok(const char *v, size_t n)
{
    size_t i;
    if (n < JOB_MIN_TOKEN_CHARS || n > JOB_MAX_TOKEN_CHARS) return 0;
    for (i = 0; i < n; i++)
        if (!(is_alnum(v[i]) || strchr("-_.~+/=", v[i]) != NULL)) return 0;
    return 1;
}

static int parse_size(const char *v, size_t n, unsigned long long *out)
{
    unsigned long long s = 0;
    size_t i;
    if (n == 0 || n > 16 || v[0] == '0') return -1;
    for (i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9') return -1;
        s = s * 10u + (unsigned long long)(v[i] - '0');
    }
    if (s < 1 || s > JOB_MAX_SIZE) return -1;
    *out = s;
    return 0;
}

/* wait=: ^[1-9][0-9]{0,4}$ and at most JOB_MAX_WAIT_S. */
static int parse_wait(const char *v, size_t n, unsigned *out)
{
    unsigned s = 0;
    if (n == 0 || n > 5 || v[0] == '0') return -1;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9') return -1;
        s = s * 10u + (unsigned)(v[i] - '0');
    }
    if (s > JOB_MAX_WAIT_S) return -1;
    *out = s;
    return 0;
}

static int parse_transport(const char *v, size_t n, job_transport *out)
{
    if (n == 8 && memcmp(v, "callback", 8) == 0) *out = JOB_TRANSPORT_CALLBACK;
    else if (n == 3 && memcmp(v, "smb", 3) == 0) *out = JOB_TRANSPORT_SMB;
    else if (n == 4 && memcmp(v, "auto", 4) == 0) *out = JOB_TRANSPORT_AUTO;
    else return -1;
    return 0;
}

const char *const job_key_names[JOB_KEY_COUNT] = {"fingerprint", "token", "run",       "package", "size",
                                                   "sha256",      "version", "transport", "wait"};

const char *job_take_value(int key, const char *v, size_t vn, job_t *out)
{
    switch (key) {
    case JOB_KEY_FINGERPRINT:
        return parse_hex32(v, vn, out->fingerprint) != 0 ? "expected the SHA-256 as 64 hex digits" : NULL;
    case JOB_KEY_TOKEN:
        if (!token_ok(v, vn)) return "expected 16..512 characters of [A-Za-z0-9-_.~+/=]";
        memcpy(out->token, v, vn);
        return NULL;
    case JOB_KEY_RUN:
        if (!ident_ok(v, vn, JOB_MAX_ID_CHARS, 0)) return "expected 1..64 characters of [A-Za-z0-9_-]";
        memcpy(out->run, v, vn);
        return NULL;
    case JOB_KEY_PACKAGE:
        if (!ident_ok(v, vn, JOB_MAX_ID_CHARS, 1)) return "expected 1..64 characters of [A-Za-z0-9_.-]";
        memcpy(out->package, v, vn);
        return NULL;
    case JOB_KEY_SIZE:
        return parse_size(v, vn, &out->size) != 0 ? "expected a byte count 1..2^53-1 without leading zeros" : NULL;
    case JOB_KEY_SHA256:
        return parse_hex32(v, vn, out->sha256) != 0 ? "expected 64 hex digits" : NULL;
    case JOB_KEY_VERSION:
        return vn == 1 && v[0] == '1' ? NULL : "only version 1 is understood";
    case JOB_KEY_TRANSPORT:
        return parse_transport(v, vn, &out->transport) != 0 ? "expected callback, smb or auto" : NULL;
    default: /* JOB_KEY_WAIT */
        return parse_wait(v, vn, &out->wait_s) != 0 ? "expected 1..86400 seconds" : NULL;
    }
}

/* The bytes of the key's first 40 UTF-16 code units (the console's key.slice(0, 40)); k is valid UTF-8. */