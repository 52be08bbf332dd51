/* The install credential for runAs admin: GET /v1/credential (agent/README.md, "What the agent
 * does", step 6). Memory only, locked against paging, wiped right after the logon. */
#ifndef PUSHINSTALL_CREDENTIAL_H
#define PUSHINSTALL_CREDENTIAL_H

#include <windows.h>

#include "console.h"

#define MAX_CRED_CHARS 256

typedef struct {
    char user8[MAX_CRED_CHARS * 4], domain8[MAX_CRED_CHARS * 4], password8[MAX_CRED_CHARS * 4];
    wchar_t user[MAX_CRED_CHARS + 1], domain[MAX_CRED_CHARS + 1], password[MAX_CRED_CHARS + 1];
} credential_t;

/* Fetches {user, domain?, password} into c (VirtualLock'ed first; the UTF-8 copies and the answer
 * are wiped at once, the UTF-16 ones stay for install_run). Returns AGENT_EXIT_OK,
 * AGENT_EXIT_TOKEN_REFUSED (401/403), AGENT_EXIT_STOPPED, or AGENT_EXIT_MSIEXEC_LAUNCH for any other
 * failure; on failure c is wiped. */
DWORD credential_fetch(credential_t *c, console_t *con);

void credential_wipe(credential_t *c);

#endif
