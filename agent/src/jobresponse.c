/* GET /v1/job's answer, read step by step: each step returns NULL or why the job is not
 * understood (the first reason is the one logged and posted). */
#include "jobresponse.h"

#include <string.h>

#include "exitcodes.h"
#include "files.h"
#include "json.h"
#include "log.h"

/* In the msiexec parameters, replaced by the work folder (agent/README.md, "The msiexec
 * parameters"): lets a property carry the full path of cfg.xml, which custom actions running in the
 * Windows Installer service (current directory System32) could not find by its bare name. */
#define WORK_DIR_PLACEHOLDER L"%PUSHINSTALL_DIR%"
#define WORK_DIR_PLACEHOLDER_CHARS 17

/* The answer's text and its tokens. */
typedef struct {
    const char *s;
    const json_tok *t;
} reader;

/* The string at key in the object at obj, into out: its length, or -1 (absent, not a string, too long). */
static long string_at(const reader *r, int obj, const char *key, char *out, size_t cap)
{
    return json_string(r->s, r->t, json_get(r->s, r->t, obj, key), out, cap);
}

/* The token of key in the object at obj, or -1 when it is absent or null. */
static int given(const reader *r, int obj, const char *key)
{
    int v = json_get(r->s, r->t, obj, key);
    return v >= 0 && r->t[v].type != JSON_NULL ? v : -1;
}

/* 64 hex digits (either case) and nothing after them. */
static int parse_hex32(const char *s, unsigned char out[32])
{
    for (int i = 0; i < 32; i++) {
        unsigned v = 0;
        for (int k = 0; k < 2; k++) {
            char c = s[2 * i + k];
            v <<= 4;
            if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
            else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
            else return -1;
        }
        out[i] = (unsigned char)v;
    }
    return s[64] == '\0' ? 0 : -1;
}

/* parameters: absent or null = none; else at most 8 KiB of UTF-8 without control characters. */
static const char *read_parameters(const reader *r, job_response *jr)
{
    int v = given(r, 0, "parameters");
    if (v < 0) return NULL;
    if (json_string(r->s, r->t, v, jr->params, sizeof jr->params) < 0) return "parameters: not a string, or longer than 8 KiB";
    for (const char *c = jr->params; *c; c++)
        if ((unsigned char)*c < 0x20) return "parameters: control characters";
    if (!wide_from_utf8(jr->params, jr->params_w, JOB_MAX_PARAMETERS)) return "parameters: not UTF-8";
    return NULL;
}

static const char *read_run_as(const reader *r, job_response *jr)
{
    char s[256];
    if (string_at(r, 0, "runAs", s, sizeof s) < 0 || (strcmp(s, "admin") != 0 && strcmp(s, "system") != 0))
        return "runAs must be \"admin\" or \"system\"";
    jr->as_admin = strcmp(s, "admin") == 0;
    return NULL;
}

/* action: absent or null = install (a console from before the action existed); "restart" installs
 * nothing and applies the restart policy (agent/README.md, "Restarts"). */
static const char *read_action(const reader *r, job_response *jr)
{
    const char *why = "action must be \"install\", \"uninstall\" or \"repair\", or \"restart\"";
    char s[256];
    int v = given(r, 0, "action");
    jr->action = INSTALL_ACTION_INSTALL;
    if (v < 0) return NULL;
    if (json_string(r->s, r->t, v, s, sizeof s) < 0) return why;
    if (strcmp(s, "uninstall") == 0) jr->action = INSTALL_ACTION_UNINSTALL;
    else if (strcmp(s, "repair") == 0) jr->action = INSTALL_ACTION_REPAIR;
    else if (strcmp(s, "restart") == 0) jr->restart_action = 1;
    else if (strcmp(s, "install") != 0) return why;
    return NULL;
}

/* restart: absent or null = policy none (restart_spec.c); the action "restart" needs a policy. */
static const char *read_restart(const reader *r, job_response *jr)
{
    const char *why = restart_parse(r->s, r->t, given(r, 0, "restart"), &jr->restart);
    if (why == NULL && jr->restart_action && jr->restart.policy == RESTART_POLICY_NONE)
        why = "restart: the action \"restart\" needs a policy other than \"none\"";
    return why;
}

/* The files entry at token f, checked against the entries before it; appended to jr->files. */
static const char *read_file(const reader *r, int f, job_response *jr)
{
    pkg_file *pf = &jr->files[jr->file_count];
    char hex[80], role[256];
    if (r->t[f].type != JSON_OBJECT || string_at(r, f, "name", pf->name, sizeof pf->name) < 0 || !safe_file_name(pf->name))
        return "files: a name is missing or not a plain file name";
    for (int j = 0; j < jr->file_count; j++)
        if (_stricmp(jr->files[j].name, pf->name) == 0) return "files: a name is given twice";
    if (_stricmp(pf->name, INSTALL_MSI_LOG_NAME) == 0) return "files: " INSTALL_MSI_LOG_NAME " is the agent's own MSI log name";
    if (json_uint(r->s, r->t, json_get(r->s, r->t, f, "size"), &pf->size) != 0)
        return "files: a size is missing or not a whole number of bytes";
    if (string_at(r, f, "sha256", hex, sizeof hex) != 64 || parse_hex32(hex, pf->sha256) != 0)
        return "files: a sha256 is not 64 hex digits";
    if (string_at(r, f, "role", role, sizeof role) < 0 || (strcmp(role, "msi") != 0 && strcmp(role, "config") != 0))
        return "files: role must be \"msi\" or \"config\"";
    pf->is_msi = strcmp(role, "msi") == 0;
    if (pf->is_msi) {
        if (jr->msi >= 0) return "files: more than one msi";
        jr->msi = jr->file_count;
    }
    jr->total_bytes += pf->size;
    jr->file_count++;
    return NULL;
}

/* files: 1 to JOB_MAX_FILES entries, exactly one of them the msi; for the action "restart" none is
 * needed (absent, null or empty), and any given are read but not used. */
static const char *read_files(const reader *r, job_response *jr)
{
    const char *why;
    int files = jr->restart_action ? given(r, 0, "files") : json_get(r->s, r->t, 0, "files");
    jr->msi = -1;
    if (files < 0 && jr->restart_action) return NULL;
    if (files < 0 || r->t[files].type != JSON_ARRAY || r->t[files].count < (jr->restart_action ? 0 : 1) ||
        r->t[files].count > JOB_MAX_FILES)
        return jr->restart_action ? "files: expected an array of at most 8 files" : "files: expected an array of 1 to 8 files";
    for (int f = files + 1, k = 0; k < r->t[files].count; k++, f = r->t[f].next)
        if ((why = read_file(r, f, jr)) != NULL) return why;
    return jr->msi < 0 && !jr->restart_action ? "files: no msi" : NULL;
}

/* tokens: json_parse's result. The checks run in this order; the first failure is the reason. */
static const char *read_job(const reader *r, int tokens, const job_t *job, job_response *jr)
{
    char run[256];
    const char *why;
    if (tokens < 0 || r->t[0].type != JSON_OBJECT) return "not a JSON object";
    if (string_at(r, 0, "runId", run, sizeof run) < 0 || strcmp(run, job->run) != 0)
        return "runId is missing or differs from the job file's run";
    why = read_parameters(r, jr);
    if (why == NULL) why = read_run_as(r, jr);
    if (why == NULL) why = read_action(r, jr);
    if (why == NULL) why = read_restart(r, jr);
    if (why == NULL) why = read_files(r, jr);
    return why;
}

static void log_job(const job_response *jr)
{
    for (int i = 0; i < jr->file_count; i++) {
        char hex[65];
        job_hex32(jr->files[i].sha256, hex);
        agent_log("package file %d: %s (%s, %llu bytes, sha256 %s)", i + 1, jr->files[i].name,
                  jr->files[i].is_msi ? "msi" : "config", jr->files[i].size, hex);
    }
    if (jr->restart_action)
        agent_log("action: restart (no package, no msiexec)");
    else
        agent_log("action: %s (msiexec %ls); run as %s; msiexec parameters: %s", install_action_name(jr->action),
                  install_action_switch(jr->action), jr->as_admin ? "the administrator (runAs admin)" : "SYSTEM",
                  jr->params[0] ? jr->params : "(none)");
    if (jr->restart.policy == RESTART_POLICY_NONE) agent_log("restart policy: none");
    else
        agent_log("restart policy: %s (grace %lu s, forced after %lu s)", restart_policy_name(jr->restart.policy),
                  (unsigned long)jr->restart.grace_s, (unsigned long)jr->restart.force_after_s);
}

static json_tok g_toks[160];

int job_response_parses(const char *text, size_t len, const job_t *job)
{
    static job_response scratch;
    reader r = {text, g_toks};
    memset(&scratch, 0, sizeof scratch);
    return read_job(&r, json_parse(text, len, g_toks, (int)(sizeof g_toks / sizeof g_toks[0])), job, &scratch) == NULL;
}

DWORD job_response_parse(const char *text, size_t len, const job_t *job, int from_manifest, job_response *out)
{
    reader r = {text, g_toks};
    const pkg_file *msi;
    const char *why;

    memset(out, 0, sizeof *out);
    why = read_job(&r, json_parse(text, len, g_toks, (int)(sizeof g_toks / sizeof g_toks[0])), job, out);
    if (why != NULL) {
        agent_log("%s is not understood: %s", from_manifest ? "the package manifest" : "the console's job", why);
        return AGENT_EXIT_DOWNLOAD;
    }
    log_job(out);
    out->understood = 1;
    if (out->restart_action) return AGENT_EXIT_OK;
    /* The job file and the console's job (or manifest) must name the same MSI. */
    msi = &out->files[out->msi];
    if (msi->size != job->size || memcmp(msi->sha256, job->sha256, 32) != 0) {
        agent_log("%s msi (%llu bytes) is not the package the job file names (%llu bytes, its sha256): nothing is %s",
                  from_manifest ? "the package manifest's" : "the console's", msi->size, job->size,
                  from_manifest ? "installed" : "downloaded");
        return AGENT_EXIT_INTEGRITY;
    }
    return AGENT_EXIT_OK;
}

int job_response_expand_work_dir(job_response *jr, const wchar_t *work_dir)
{
    static wchar_t out[JOB_MAX_PARAMETERS];
    static char out8[JOB_MAX_PARAMETERS];
    size_t dlen = wcslen(work_dir), o = 0;
    int count = 0, n;
    for (const wchar_t *p = jr->params_w; *p != L'\0';) {
        if (_wcsnicmp(p, WORK_DIR_PLACEHOLDER, WORK_DIR_PLACEHOLDER_CHARS) == 0) {
            if (o + dlen >= JOB_MAX_PARAMETERS) return -1;
            memcpy(out + o, work_dir, dlen * sizeof(wchar_t));
            o += dlen;
            p += WORK_DIR_PLACEHOLDER_CHARS;
            count++;
        } else {
            if (o + 1 >= JOB_MAX_PARAMETERS) return -1;
            out[o++] = *p++;
        }
    }
    if (count == 0) return 0;
    out[o] = L'\0';
    n = WideCharToMultiByte(CP_UTF8, 0, out, -1, out8, JOB_MAX_PARAMETERS, NULL, NULL);
    if (n <= 0) return -1;
    memcpy(jr->params_w, out, (o + 1) * sizeof(wchar_t));
    memcpy(jr->params, out8, (size_t)n);
    return count;
}
