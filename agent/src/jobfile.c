/* The job file's format (agent/README.md, "The job file"): the encoding, the lines, the keys, and
 * which keys each transport needs; each value's rule is in jobfile_values.c. */
#include "jobfile.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "jobfile_values.h"

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

static int valid_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t need;
        unsigned cp, min;
        if (c == 0) return 0;
        if (c < 0x80) { i++; continue; }
        if (c >= 0xC2 && c <= 0xDF) { need = 1; cp = c & 0x1F; min = 0x80; }
        else if (c >= 0xE0 && c <= 0xEF) { need = 2; cp = c & 0x0F; min = 0x800; }
        else if (c >= 0xF0 && c <= 0xF4) { need = 3; cp = c & 0x07; min = 0x10000; }
        else return 0;
        if (need > n - i - 1) return 0;
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
        i += need + 1;
    }
    return 1;
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

const char *job_transport_name(job_transport t)
{
    return t == JOB_TRANSPORT_SMB ? "smb" : t == JOB_TRANSPORT_AUTO ? "auto" : "callback";
}

/* The bytes of the key's first 40 UTF-16 code units, as the console's key.slice(0, 40) cuts it (k is
 * valid UTF-8); *split: the cut fell inside a surrogate pair, which the console writes as U+FFFD. */
static int key_excerpt(const char *k, size_t kn, int *split)
{
    size_t at = 0, units = 0;
    *split = 0;
    while (at < kn) {
        unsigned char c = (unsigned char)k[at];
        size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4, u = len == 4 ? 2 : 1;
        if (units + u > 40) {
            *split = units < 40;
            break;
        }
        at += len;
        units += u;
    }
    return (int)at;
}

/* One key=value line (key and value trimmed): 0, or fail() with the line's number. */
static int take_line(const char *k, size_t kn, const char *v, size_t vn, unsigned line, unsigned *seen, job_t *out,
                     char *err, size_t errlen)
{
    const char *why;
    int key;
    for (const char *c = v; c < v + vn; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7F)
            return fail(err, errlen, line, "values are printable ASCII only");
    if (kn == 7 && memcmp(k, "console", 7) == 0) {
        if (out->console_count >= JOB_MAX_CONSOLES)
            return fail(err, errlen, line, "console: more than %d addresses", JOB_MAX_CONSOLES);
        if ((why = job_take_console(v, vn, &out->consoles[out->console_count])) != NULL)
            return fail(err, errlen, line, "console: %s", why);
        out->console_count++;
        return 0;
    }
    for (key = 0; key < JOB_KEY_COUNT; key++)
        if (strlen(job_key_names[key]) == kn && memcmp(k, job_key_names[key], kn) == 0) break;
    if (key == JOB_KEY_COUNT) {
        int split, n = key_excerpt(k, kn, &split);
        return fail(err, errlen, line, "unknown key '%.*s%s'", n, k, split ? "\xEF\xBF\xBD" : "");
    }
    if (*seen & JOB_SEEN(key)) return fail(err, errlen, line, "%s: given twice", job_key_names[key]);
    *seen |= JOB_SEEN(key);
    why = job_take_value(key, v, vn, out);
    return why != NULL ? fail(err, errlen, line, "%s: %s", job_key_names[key], why) : 0;
}

/* After the last line: the keys the transport needs, and none it refuses. */
static int check_keys(unsigned seen, job_t *out, char *err, size_t errlen)
{
    static const int always[] = {JOB_KEY_RUN, JOB_KEY_PACKAGE, JOB_KEY_SIZE, JOB_KEY_SHA256};
    if (out->transport == JOB_TRANSPORT_SMB) {
        /* The smb transport never contacts a console: a job that names one is not understood. */
        if (out->console_count > 0) return fail(err, errlen, 0, "console: not allowed with transport=smb");
        if (seen & JOB_SEEN(JOB_KEY_FINGERPRINT)) return fail(err, errlen, 0, "fingerprint: not allowed with transport=smb");
        if (seen & JOB_SEEN(JOB_KEY_TOKEN)) return fail(err, errlen, 0, "token: not allowed with transport=smb");
    } else {
        if (out->console_count == 0) return fail(err, errlen, 0, "missing key: console");
        if (!(seen & JOB_SEEN(JOB_KEY_FINGERPRINT))) return fail(err, errlen, 0, "missing key: fingerprint");
        if (!(seen & JOB_SEEN(JOB_KEY_TOKEN))) return fail(err, errlen, 0, "missing key: token");
    }
    if ((seen & JOB_SEEN(JOB_KEY_WAIT)) && out->transport != JOB_TRANSPORT_AUTO)
        return fail(err, errlen, 0, "wait: only with transport=auto");
    for (size_t i = 0; i < sizeof always / sizeof always[0]; i++)
        if (!(seen & JOB_SEEN(always[i]))) return fail(err, errlen, 0, "missing key: %s", job_key_names[always[i]]);
    if (out->transport == JOB_TRANSPORT_AUTO && !(seen & JOB_SEEN(JOB_KEY_WAIT))) out->wait_s = JOB_DEFAULT_WAIT_S;
    return 0;
}

/* The whole file's rules, then one pass over the lines: each failure returns at once with its line. */
int job_parse(const char *data, size_t len, job_t *out, char *err, size_t errlen)
{
    const char *p = data, *end = data + len;
    unsigned line = 0, seen = 0;

    memset(out, 0, sizeof *out);
    if (err != NULL && errlen > 0) err[0] = '\0';
    if (len == 0) return fail(err, errlen, 0, "the job file is empty");
    if (len > JOB_MAX_FILE_BYTES) return fail(err, errlen, 0, "the job file is larger than %u bytes", JOB_MAX_FILE_BYTES);
    if (!valid_utf8((const unsigned char *)data, len)) {
        /* As the console words it: the offset is the first NUL's, when there is one. */
        const char *nul = memchr(data, '\0', len);
        if (nul == NULL) return fail(err, errlen, 0, "not valid UTF-8 (or a NUL byte)");
        return fail(err, errlen, 0, "not valid UTF-8 (or a NUL byte) at byte offset %lu", (unsigned long)(nul - data));
    }
    if (len >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF) p += 3;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *k = p, *ke = nl != NULL ? nl : end, *v, *ve, *eq;
        line++;
        if ((size_t)(ke - k) > JOB_MAX_LINE_BYTES) return fail(err, errlen, line, "longer than %u bytes", JOB_MAX_LINE_BYTES);
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
        if (take_line(k, (size_t)(eq - k), v, (size_t)(ve - v), line, &seen, out, err, errlen) != 0) return -1;
    }
    return check_keys(seen, out, err, errlen);
}
