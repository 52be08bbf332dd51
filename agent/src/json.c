#include "json.h"

#include <string.h>

typedef struct {
    const char *s;
    size_t len, pos;
    json_tok *toks;
    int max, n;
} parser;

static void skip_ws(parser *p)
{
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
        p->pos++;
}

static int new_tok(parser *p, json_type type)
{
    if (p->n >= p->max) return -1;
    p->toks[p->n].type = type;
    p->toks[p->n].start = p->pos;
    p->toks[p->n].end = p->pos;
    p->toks[p->n].count = 0;
    p->toks[p->n].next = p->n + 1;
    return p->n++;
}

static int hex4(const char *s, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        unsigned d;
        if (c >= '0' && c <= '9') d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') d = (unsigned)(c - 'A' + 10);
        else return -1;
        *v = *v * 16 + d;
    }
    return 0;
}

/* At the opening quote; leaves pos after the closing quote. */
static int parse_string(parser *p)
{
    int t = new_tok(p, JSON_STRING);
    if (t < 0) return -1;
    p->pos++;
    p->toks[t].start = p->pos;
    while (p->pos < p->len) {
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c == '"') {
            p->toks[t].end = p->pos;
            p->pos++;
            return t;
        }
        if (c < 0x20) return -1;
        if (c == '\\') {
            unsigned v;
            if (p->pos + 1 >= p->len) return -1;
            switch (p->s[p->pos + 1]) {
            case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
                p->pos += 2;
                break;
            case 'u':
                if (p->pos + 6 > p->len || hex4(p->s + p->pos + 2, &v) != 0) return -1;
                p->pos += 6;
                break;
            default:
                return -1;
            }
            continue;
        }
        p->pos++;
    }
    return -1;
}

static int parse_value(parser *p, int depth);

static int parse_container(parser *p, int depth, int object)
{
    int t = new_tok(p, object ? JSON_OBJECT : JSON_ARRAY);
    char close = object ? '}' : ']';
    if (t < 0 || depth > 16) return -1;
    p->pos++;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        p->toks[t].end = p->pos;
        p->toks[t].next = p->n;
        return t;
    }
    for (;;) {
        skip_ws(p);
        if (object) {
            if (p->pos >= p->len || p->s[p->pos] != '"' || parse_string(p) < 0) return -1;
            skip_ws(p);
            if (p->pos >= p->len || p->s[p->pos] != ':') return -1;
            p->pos++;
            skip_ws(p);
        }
        if (parse_value(p, depth + 1) < 0) return -1;
        p->toks[t].count++;
        skip_ws(p);
        if (p->pos >= p->len) return -1;
        if (p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->s[p->pos] != close) return -1;
        p->pos++;
        p->toks[t].end = p->pos;
        p->toks[t].next = p->n;
        return t;
    }
}

static int parse_literal(parser *p, const char *lit, json_type type)
{
    size_t n = strlen(lit);
    int t;
    if (p->len - p->pos < n || memcmp(p->s + p->pos, lit, n) != 0) return -1;
    t = new_tok(p, type);
    if (t < 0) return -1;
    p->pos += n;
    p->toks[t].end = p->pos;
    return t;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int parse_number(parser *p)
{
    int t = new_tok(p, JSON_NUMBER);
    size_t start = p->pos;
    if (t < 0) return -1;
    if (p->pos < p->len && p->s[p->pos] == '-') p->pos++;
    if (p->pos >= p->len || !is_digit(p->s[p->pos])) return -1;
    if (p->s[p->pos] == '0') p->pos++;
    else
        while (p->pos < p->len && is_digit(p->s[p->pos])) p->pos++;
    if (p->pos < p->len && p->s[p->pos] == '.') {
        p->pos++;
        if (p->pos >= p->len || !is_digit(p->s[p->pos])) return -1;
        while (p->pos < p->len && is_digit(p->s[p->pos])) p->pos++;
    }
    if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        p->pos++;
        if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-')) p->pos++;
        if (p->pos >= p->len || !is_digit(p->s[p->pos])) return -1;
        while (p->pos < p->len && is_digit(p->s[p->pos])) p->pos++;
    }
    p->toks[t].start = start;
    p->toks[t].end = p->pos;
    return t;
}

static int parse_value(parser *p, int depth)
{
    if (p->pos >= p->len) return -1;
    switch (p->s[p->pos]) {
    case '{': return parse_container(p, depth, 1);
    case '[': return parse_container(p, depth, 0);
    case '"': return parse_string(p);
    case 't': return parse_literal(p, "true", JSON_TRUE);
    case 'f': return parse_literal(p, "false", JSON_FALSE);
    case 'n': return parse_literal(p, "null", JSON_NULL);
    default: return parse_number(p);
    }
}

int json_parse(const char *s, size_t len, json_tok *toks, int max)
{
    parser p = {s, len, 0, toks, max, 0};
    skip_ws(&p);
    if (parse_value(&p, 0) < 0) return -1;
    skip_ws(&p);
    if (p.pos != len) return -1;
    return p.n;
}

int json_get(const char *s, const json_tok *toks, int obj, const char *key)
{
    size_t klen = strlen(key);
    int i, k;
    if (obj < 0 || toks[obj].type != JSON_OBJECT) return -1;
    i = obj + 1;
    for (k = 0; k < toks[obj].count; k++) {
        int value = i + 1;
        /* Keys with escapes never match: the protocol's keys are plain ASCII. */
        if (toks[i].end - toks[i].start == klen && memcmp(s + toks[i].start, key, klen) == 0) return value;
        i = toks[value].next;
    }
    return -1;
}

static size_t put_utf8(char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

long json_string(const char *s, const json_tok *toks, int i, char *out, size_t cap)
{
    size_t pos, n = 0;
    if (i < 0 || toks[i].type != JSON_STRING || cap == 0) return -1;
    for (pos = toks[i].start; pos < toks[i].end;) {
        char enc[4];
        size_t elen;
        if (s[pos] != '\\') {
            enc[0] = s[pos++];
            elen = 1;
        } else {
            char e = s[pos + 1];
            unsigned cp = 0;
            pos += 2;
            switch (e) {
            case 'b': cp = '\b'; break;
            case 'f': cp = '\f'; break;
            case 'n': cp = '\n'; break;
            case 'r': cp = '\r'; break;
            case 't': cp = '\t'; break;
            case 'u':
                hex4(s + pos, &cp);
                pos += 4;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    unsigned lo;
                    if (pos + 6 > toks[i].end || s[pos] != '\\' || s[pos + 1] != 'u' || hex4(s + pos + 2, &lo) != 0 ||
                        lo < 0xDC00 || lo > 0xDFFF)
                        return -1;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    pos += 6;
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    return -1;
                }
                break;
            default: cp = (unsigned char)e; break;
            }
            if (cp == 0) return -1;
            elen = put_utf8(enc, cp);
        }
        if (enc[0] == '\0' || n + elen >= cap) return -1;
        memcpy(out + n, enc, elen);
        n += elen;
    }
    out[n] = '\0';
    return (long)n;
}

int json_uint(const char *s, const json_tok *toks, int i, unsigned long long *v)
{
    unsigned long long x = 0;
    size_t pos;
    if (i < 0 || toks[i].type != JSON_NUMBER) return -1;
    if (toks[i].end - toks[i].start > 16) return -1;
    for (pos = toks[i].start; pos < toks[i].end; pos++) {
        if (!is_digit(s[pos])) return -1;
        x = x * 10 + (unsigned long long)(s[pos] - '0');
    }
    if (x > 9007199254740991ull) return -1;
    *v = x;
    return 0;
}
