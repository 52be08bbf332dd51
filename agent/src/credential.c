#include "credential.h"

#include "exitcodes.h"
#include "json.h"
#include "log.h"

void credential_wipe(credential_t *c) { SecureZeroMemory(c, sizeof *c); }

/* The answer, {user, password, domain?: string | null}, into c; 0, or -1 when it is not that or a
 * field is over MAX_CRED_CHARS characters. */
static int read_answer(const buf_t *out, credential_t *c)
{
    static json_tok t[16];
    int domain;
    if (json_parse(out->p, out->len, t, 16) < 0 || t[0].type != JSON_OBJECT) return -1;
    if (json_string(out->p, t, json_get(out->p, t, 0, "user"), c->user8, sizeof c->user8) <= 0) return -1;
    if (json_string(out->p, t, json_get(out->p, t, 0, "password"), c->password8, sizeof c->password8) < 0) return -1;
    domain = json_get(out->p, t, 0, "domain");
    if (domain >= 0 && t[domain].type != JSON_NULL && json_string(out->p, t, domain, c->domain8, sizeof c->domain8) < 0)
        return -1;
    if (!wide_from_utf8(c->user8, c->user, MAX_CRED_CHARS + 1) || !wide_from_utf8(c->domain8, c->domain, MAX_CRED_CHARS + 1) ||
        !wide_from_utf8(c->password8, c->password, MAX_CRED_CHARS + 1))
        return -1;
    return 0;
}

DWORD credential_fetch(credential_t *c, console_t *con)
{
    buf_t out = {0};
    DWORD status = 0, e = 0, result = AGENT_EXIT_MSIEXEC_LAUNCH;
    net_rc rc;
    out.limit = 8192;
    VirtualLock(c, sizeof *c);
    rc = console_fetch(con, L"GET", L"/v1/credential", NULL, &status, &out, &e);
    if (rc == NET_STOPPED) {
        result = AGENT_EXIT_STOPPED;
    } else if (rc != NET_OK) {
        agent_log("GET /v1/credential failed (WinHTTP error %lu)", (unsigned long)e);
    } else if (status == 401 || status == 403) {
        agent_log("GET /v1/credential: the token was refused (HTTP %lu)", (unsigned long)status);
        result = AGENT_EXIT_TOKEN_REFUSED;
    } else if (status != 200) {
        agent_log("GET /v1/credential answered HTTP %lu: no credential to install with", (unsigned long)status);
    } else if (read_answer(&out, c) != 0) {
        agent_log("GET /v1/credential: the answer is not {user, domain, password} within %d characters each", MAX_CRED_CHARS);
    } else {
        agent_log("install credential received for %s%s%s (kept in memory only)", c->domain8, c->domain8[0] ? "\\" : "",
                  c->user8);
        result = AGENT_EXIT_OK;
    }
    SecureZeroMemory(c->user8, sizeof c->user8);
    SecureZeroMemory(c->domain8, sizeof c->domain8);
    SecureZeroMemory(c->password8, sizeof c->password8);
    buf_free(&out); /* wipes the JSON that held the password */
    if (result != AGENT_EXIT_OK) credential_wipe(c);
    return result;
}
