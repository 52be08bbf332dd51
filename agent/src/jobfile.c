#include "jobfile.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int fail(char *err, size_t errlen, unsigned line, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (err != NULL && errlen > 0) {
        if (line > 0)
            snprintf(err, errlen, "line %u: %s", line, msg);
        else
            snprintf(err, errlen, "%s", msg);
    }
    return -1;
}

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
static int valid_utf8(const unsigned char *s, size_t n, size_t *bad_at)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t need;
        unsigned cp, min;
        if (c == 0) { *bad_at = i; return 0; }
        if (c < 0x80) { i++; continue; }
        if (c >= 0xC2 && c <= 0xDF) { need = 1; cp = c & 0x1F; min = 0x80; }
        else if (c >= 0xE0 && c <= 0xEF) { need = 2; cp = c & 0x0F; min = 0x800; }
        else if (c >= 0xF0 && c <= 0xF4) { need = 3; cp = c & 0x07; min = 0x10000; }
        else { *bad_at = i; return 0; }
        if (need > n - i - 1) { *bad_at = i; return 0; }
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80) { *bad_at = i; return 0; }
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) { *bad_at = i; return 0; }
        i += need + 1;
    }
    return 1;
}

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

static int parse_console(const char *v, size_t n, job_console *c, const char **why)
{
    const char *host, *port;
    size_t hn, pn, i;
    if (n > 0 && v[0] == '[') {
        const char *close = memchr(v, ']', n);
        if (close == NULL) { *why = "IPv6 address without ']'"; return -1; }
        host = v + 1;
        hn = (size_t)(close - host);
        if ((size_t)(close - v) + 1 >= n || close[1] != ':') { *why = "expected [ipv6]:port"; return -1; }
        port = close + 2;
        pn = n - (size_t)(port - v);
        if (hn < 2 || hn > 45) { *why = "bad IPv6 address"; return -1; }
        for (i = 0; i < hn; i++)
            if (!(hexval(host[i]) >= 0 || host[i] == ':' || host[i] == '.')) { *why = "bad IPv6 address"; return -1; }
        c->is_ipv6 = 1;
    } else {
        const char *colon = memchr(v, ':', n);
        if (colon == NULL) { *why = "expected host:port"; return -1; }
        host = v;
        hn = (size_t)(colon - v);
        port = colon + 1;
        pn = n - hn - 1;
        if (memchr(port, ':', pn) != NULL) { *why = "IPv6 addresses need brackets: [addr]:port"; return -1; }
        if (hn < 1 || hn > JOB_MAX_HOST_CHARS) { *why = "host name empty or longer than 253 characters"; return -1; }
        if (host[0] == '-' || host[0] == '.' || host[hn - 1] == '-' || host[hn - 1] == '.') {
            *why = "host name starts or ends with '-' or '.'";
            return -1;
        }
        for (i = 0; i < hn; i++)
            if (!(is_alnum(host[i]) || host[i] == '-' || host[i] == '.')) {
                *why = "host name may hold only letters, digits, '-' and '.'";
                return -1;
            }
        c->is_ipv6 = 0;
    }
    if (parse_port(port, pn, &c->port) != 0) { *why = "port must be 1..65535"; return -1; }
    memcpy(c->host, host, hn);
    c->host[hn] = '\0';
    return 0;
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

void job_hex32(const unsigned char in[32], char out[65])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[64] = '\0';
}

enum { SEEN_FINGERPRINT = 1, SEEN_TOKEN = 2, SEEN_RUN = 4, SEEN_PACKAGE = 8, SEEN_SIZE = 16, SEEN_SHA256 = 32, SEEN_VERSION = 64 };

/* One pass over the lines, with the key table inline on purpose (~100 lines): each key's rule and
 * its error text read together, in the order of agent/README.md's table, and every failure returns
 * at once with its line number. */
int job_parse(const char *data, size_t len, job_t *out, char *err, size_t errlen)
{
    const char *p = data, *end = data + len;
    unsigned line = 0;
    unsigned seen = 0;
    size_t bad_at = 0;

    memset(out, 0, sizeof *out);
    if (err != NULL && errlen > 0) err[0] = '\0';
    if (len == 0) return fail(err, errlen, 0, "the job file is empty");
    if (len > JOB_MAX_FILE_BYTES) return fail(err, errlen, 0, "the job file is larger than %u bytes", JOB_MAX_FILE_BYTES);
    if (!valid_utf8((const unsigned char *)data, len, &bad_at))
        return fail(err, errlen, 0, "not valid UTF-8 (or a NUL byte) at byte offset %lu", (unsigned long)bad_at);
    if (len >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF) p += 3;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl != NULL ? nl : end;
        const char *k, *ke, *v, *ve, *eq;
        size_t kn, vn;
        line++;
        if ((size_t)(le - p) > JOB_MAX_LINE_BYTES) return fail(err, errlen, line, "longer than %u bytes", JOB_MAX_LINE_BYTES);
        k = p;
        ke = le;
        p = nl != NULL ? nl + 1 : end;
        if (ke > k && ke[-1] == '\r') ke--;
        while (k < ke && (*k == ' ' || *k == '\t')) k++;
        if (k == ke || *k == '#') continue;
        eq = memchr(k, '=', (size_t)(ke - k));
        if (eq == NULL) return fail(err, errlen, line, "expected key=value");
        v = eq + 1;
        ve = ke;
        while (eq > k && (eq[-1] == ' ' || eq[-1] == '\t')) eq--;
        while (v < ve && (*v == ' ' || *v == '\t')) v++;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
        kn = (size_t)(eq - k);
        vn = (size_t)(ve - v);
        for (const char *c = v; c < ve; c++)
            if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7F)
                return fail(err, errlen, line, "values are printable ASCII only");

#define KEY_IS(lit) (kn == sizeof(lit) - 1 && memcmp(k, lit, kn) == 0)
#define ONCE(flag, name)                                                        \
    do {                                                                        \
        if (seen & (flag)) return fail(err, errlen, line, name ": given twice"); \
        seen |= (flag);                                                         \
    } while (0)
        if (KEY_IS("console")) {
            const char *why = "";
            if (out->console_count >= JOB_MAX_CONSOLES)
                return fail(err, errlen, line, "console: more than %d addresses", JOB_MAX_CONSOLES);
            if (parse_console(v, vn, &out->consoles[out->console_count], &why) != 0)
                return fail(err, errlen, line, "console: %s", why);
            out->console_count++;
        } else if (KEY_IS("fingerprint")) {
            ONCE(SEEN_FINGERPRINT, "fingerprint");
            if (parse_hex32(v, vn, out->fingerprint) != 0)
                return fail(err, errlen, line, "fingerprint: expected the SHA-256 as 64 hex digits");
        } else if (KEY_IS("token")) {
            ONCE(SEEN_TOKEN, "token");
            if (!token_ok(v, vn))
                return fail(err, errlen, line, "token: expected %d..%d characters of [A-Za-z0-9-_.~+/=]",
                            JOB_MIN_TOKEN_CHARS, JOB_MAX_TOKEN_CHARS);
            memcpy(out->token, v, vn);
        } else if (KEY_IS("run")) {
            ONCE(SEEN_RUN, "run");
            if (!ident_ok(v, vn, JOB_MAX_ID_CHARS, 0))
                return fail(err, errlen, line, "run: expected 1..%d characters of [A-Za-z0-9_-]", JOB_MAX_ID_CHARS);
            memcpy(out->run, v, vn);
        } else if (KEY_IS("package")) {
            ONCE(SEEN_PACKAGE, "package");
            if (!ident_ok(v, vn, JOB_MAX_ID_CHARS, 1))
                return fail(err, errlen, line, "package: expected 1..%d characters of [A-Za-z0-9_.-]", JOB_MAX_ID_CHARS);
            memcpy(out->package, v, vn);
        } else if (KEY_IS("size")) {
            ONCE(SEEN_SIZE, "size");
            if (parse_size(v, vn, &out->size) != 0)
                return fail(err, errlen, line, "size: expected a byte count 1..2^53-1 without leading zeros");
        } else if (KEY_IS("sha256")) {
            ONCE(SEEN_SHA256, "sha256");
            if (parse_hex32(v, vn, out->sha256) != 0)
                return fail(err, errlen, line, "sha256: expected 64 hex digits");
        } else if (KEY_IS("version")) {
            ONCE(SEEN_VERSION, "version");
            if (!(vn == 1 && v[0] == '1')) return fail(err, errlen, line, "version: only version 1 is understood");
        } else {
            return fail(err, errlen, line, "unknown key '%.*s'", (int)(kn > 40 ? 40 : kn), k);
        }
#undef KEY_IS
#undef ONCE
    }

    if (out->console_count == 0) return fail(err, errlen, 0, "missing key: console");
    if (!(seen & SEEN_FINGERPRINT)) return fail(err, errlen, 0, "missing key: fingerprint");
    if (!(seen & SEEN_TOKEN)) return fail(err, errlen, 0, "missing key: token");
    if (!(seen & SEEN_RUN)) return fail(err, errlen, 0, "missing key: run");
    if (!(seen & SEEN_PACKAGE)) return fail(err, errlen, 0, "missing key: package");
    if (!(seen & SEEN_SIZE)) return fail(err, errlen, 0, "missing key: size");
    if (!(seen & SEEN_SHA256)) return fail(err, errlen, 0, "missing key: sha256");
    return 0;
}
