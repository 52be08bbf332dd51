/* Restarts after an install (agent/README.md, "Restarts"): the console's restart policy, read from
 * the job (restart_spec.c), carried out only after msiexec's 3010 (result 103010) or for the
 * console's "restart" action (restart.c), with the Windows calls in restart_os.c. */
#ifndef PUSHINSTALL_RESTART_H
#define PUSHINSTALL_RESTART_H

#include <windows.h>

#include "buf.h"
#include "json.h"
#include "service_ctl.h"

#define RESTART_MESSAGE_MAX_CHARS 512u /* characters (code points) of the console's message */
#define RESTART_GRACE_MAX_S 86400u
#define RESTART_FORCE_MIN_S 60u
#define RESTART_FORCE_MAX_S 604800u
/* Absent members: the grace before the restart (and between two questions), the forced deadline. */
#define RESTART_DEFAULT_GRACE_S 300u
#define RESTART_DEFAULT_FORCE_S 28800u
/* ask: at least this long between two questions, whatever graceSeconds says (0 would ask at once again). */
#define RESTART_MIN_ASK_INTERVAL_S 60u
/* ask, answered yes: the restart comes this many seconds later. */
#define RESTART_YES_GRACE_S 30u

typedef enum {
    RESTART_POLICY_NONE = 0,
    RESTART_POLICY_WHEN_IDLE = 1,
    RESTART_POLICY_ASK = 2,
    RESTART_POLICY_NOW = 3
} restart_policy;

/* The job's "restart" member. */
typedef struct {
    restart_policy policy;
    DWORD grace_s;                                   /* graceSeconds, 0..86400 */
    DWORD force_after_s;                             /* forceAfterSeconds, 60..604800 */
    wchar_t message[2 * RESTART_MESSAGE_MAX_CHARS + 1]; /* "" = none given (a default text is shown) */
} restart_spec;

typedef enum {
    RESTART_STATE_NONE = 0, /* not decided: the job was not understood; the result has no restart member */
    RESTART_STATE_NOT_NEEDED,
    RESTART_STATE_SCHEDULED,
    RESTART_STATE_REFUSED,
    RESTART_STATE_LEFT_TO_MSIEXEC
} restart_state;

/* What the agent did about a restart, for the result and for the wait after it. */
typedef struct {
    restart_spec spec;
    restart_state state;
    DWORD win32;             /* refused: InitiateShutdownW's error */
    int asked;               /* scheduled: the user of the active session is asked (ask; when-idle with a user) */
    FILETIME at;             /* scheduled: the latest restart, UTC */
    ULONGLONG deadline_tick; /* the same as a GetTickCount64() value */
} restart_t;

const char *restart_policy_name(restart_policy p);

/* The job's "restart" member at token v (-1: absent or null = policy none) into out, checked:
 * NULL, or why it is not understood ("restart: ..."). */
const char *restart_parse(const char *s, const json_tok *t, int v, restart_spec *out);

/* After the run's result (needed: the console's "restart" action, which installs nothing): decides
 * and, when a restart is due, schedules it (InitiateShutdownW). Logs what it did. */
void restart_begin(restart_t *rs, const restart_spec *spec, DWORD result, int needed);

/* The result's "restart" member ({"state":...}) into out; nothing when rs->state is NONE. */
void restart_json(const restart_t *rs, buf_t *out);

/* After the result is reported and the run cleaned up: with a scheduled restart, keeps the service
 * running (asking the user again per the policy) until Windows shuts it down (returns result) or the
 * admin cancels it with a stop (AbortSystemShutdownW; returns AGENT_EXIT_RESTART_CANCELLED).
 * Without one, returns result at once. */
DWORD restart_wait(restart_t *rs, HANDLE stop_event, const service_ctl *svc, DWORD result);

#endif
