/* The restart's wire format (agent/README.md, "Restarts"): the job's "restart" member read, and the
 * result's "restart" member written. */
#include "restart.h"

#include <string.h>

#include "log.h"

static const char *const k_policies[] = {"none", "when-idle", "ask", "now"};
static const char *const k_states[] = {"", "not-needed", "scheduled", "refused", "left-to-msiexec"};

const char *restart_policy_name(restart_policy p) { return k_policies[p]; }

/* A whole number of seconds lo..hi at key, or the default already in *out when absent or null. */
static int seconds_at(const char *s, const json_tok *t, int v, const char *key, DWORD lo, DWORD hi, DWORD *out)
{
    unsigned long long n;
    int m = json_get(s, t, v, key);
    if (m < 0 || t[m].type == JSON_NULL) return 1;
    if (json_uint(s, t, m, &n) != 0 || n < lo || n > hi) return 0;
    *out = (DWORD)n;
    return 1;
}

/* The next code point of valid UTF-8 (json_string's output) at *p, advancing *p. */
static unsigned next_code_point(const unsigned char **p)
{
    const unsigned char *c = *p;
    unsigned cp;
    int extra = c[0] < 0x80 ? 0 : c[0] < 0xE0 ? 1 : c[0] < 0xF0 ? 2 : 3;
    cp = extra == 0 ? c[0] : c[0] & (0x3F >> extra);
    for (int k = 1; k <= extra; k++) cp = (cp << 6) | (c[k] & 0x3F);
    *p = c + 1 + extra;
    return cp;
}

/* message: absent or null = none; else at most 512 characters, none of them a control character. */
static const char *read_message(const char *s, const json_tok *t, int v, restart_spec *out)
{
    static char text[RESTART_MESSAGE_MAX_CHARS * 4 + 1];
    const unsigned char *p = (const unsigned char *)text;
    unsigned chars = 0;
    int m = json_get(s, t, v, "message");
    if (m < 0 || t[m].type == JSON_NULL) return NULL;
    if (json_string(s, t, m, text, sizeof text) < 0) return "restart: message: not a string, or longer than 512 characters";
    while (*p != '\0') {
        unsigned cp = next_code_point(&p);
        if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029)
            return "restart: message: control characters";
        if (++chars > RESTART_MESSAGE_MAX_CHARS) return "restart: message: longer than 512 characters";
    }
    if (!wide_from_utf8(text, out->message, (int)(sizeof out->message / sizeof out->message[0])))
        return "restart: message: not UTF-8";
    return NULL;
}

const char *restart_parse(const char *s, const json_tok *t, int v, restart_spec *out)
{
    char policy[32];
    int p = -1, m;
    memset(out, 0, sizeof *out);
    out->grace_s = RESTART_DEFAULT_GRACE_S;
    out->force_after_s = RESTART_DEFAULT_FORCE_S;
    if (v < 0) return NULL;
    if (t[v].type != JSON_OBJECT) return "restart: expected an object {policy, graceSeconds, forceAfterSeconds, message} or null";
    m = json_get(s, t, v, "policy");
    if (m < 0 || t[m].type == JSON_NULL) p = RESTART_POLICY_NONE;
    else if (json_string(s, t, m, policy, sizeof policy) >= 0)
        for (int k = 0; k < 4; k++)
            if (strcmp(policy, k_policies[k]) == 0) p = k;
    if (p < 0) return "restart: policy must be \"none\", \"when-idle\", \"ask\" or \"now\"";
    out->policy = (restart_policy)p;
    if (!seconds_at(s, t, v, "graceSeconds", 0, RESTART_GRACE_MAX_S, &out->grace_s))
        return "restart: graceSeconds must be a whole number of seconds from 0 to 86400";
    if (!seconds_at(s, t, v, "forceAfterSeconds", RESTART_FORCE_MIN_S, RESTART_FORCE_MAX_S, &out->force_after_s))
        return "restart: forceAfterSeconds must be a whole number of seconds from 60 to 604800";
    return read_message(s, t, v, out);
}

void restart_json(const restart_t *rs, buf_t *out)
{
    SYSTEMTIME st;
    if (rs->state == RESTART_STATE_NONE) return;
    buf_addf(out, "{\"state\":\"%s\",\"policy\":\"%s\"", k_states[rs->state], k_policies[rs->spec.policy]);
    if (rs->state == RESTART_STATE_SCHEDULED && FileTimeToSystemTime(&rs->at, &st))
        buf_addf(out, ",\"at\":\"%04u-%02u-%02uT%02u:%02u:%02uZ\"", st.wYear, st.wMonth, st.wDay, st.wHour, st.wMinute,
                 st.wSecond);
    if (rs->state == RESTART_STATE_SCHEDULED) buf_addf(out, ",\"asked\":%s", rs->asked ? "true" : "false");
    if (rs->state == RESTART_STATE_REFUSED) buf_addf(out, ",\"win32\":%lu", (unsigned long)rs->win32);
    buf_adds(out, "}");
}
