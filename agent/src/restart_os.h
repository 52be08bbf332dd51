/* The Windows calls behind a restart (agent/README.md, "Restarts"): the shutdown privilege,
 * InitiateShutdownW / AbortSystemShutdownW (advapi32), the sessions and the question to the user
 * (wtsapi32, loaded from System32 when first needed). With the test hook (--test-shutdown-log) the
 * shutdown, session and message calls are not made: each is appended to a file with its arguments,
 * and --test-sessions / --test-ask-answer / --test-shutdown-fail say what they return. */
#ifndef PUSHINSTALL_RESTART_OS_H
#define PUSHINSTALL_RESTART_OS_H

#include <windows.h>

typedef enum { RESTART_TEST_SESSIONS_USER = 0, RESTART_TEST_SESSIONS_NONE = 1 } restart_test_sessions;

typedef struct {
    const wchar_t *log_path;        /* NULL: no hook, the real calls */
    restart_test_sessions sessions; /* what the session enumeration sees */
    const wchar_t *answers;         /* "no,yes": WTSSendMessageW's answers in turn (yes|no|timeout), the last repeated */
    DWORD fail;                     /* != 0: InitiateShutdownW returns this error */
} restart_test_hooks;

/* The hook's options on the command line (main.c): 1 when argv[*i] was one of them (its value taken,
 * *i advanced), 0 when it is not one, -1 when its value is missing or wrong. */
int restart_os_test_arg(int argc, wchar_t **argv, int *i, restart_test_hooks *h);

/* Set once, before any other call (main.c, from the command line). */
void restart_os_set_test_hooks(const restart_test_hooks *h);

/* Enables SE_SHUTDOWN_NAME in the process token: 0 or a Win32 error (ERROR_NOT_ALL_ASSIGNED). */
DWORD restart_os_enable_privilege(void);

/* InitiateShutdownW(NULL, message, grace_s, SHUTDOWN_RESTART | SHUTDOWN_FORCE_OTHERS, planned
 * application installation): ERROR_SUCCESS or its error. */
DWORD restart_os_initiate(DWORD grace_s, const wchar_t *message);

/* AbortSystemShutdownW(NULL): 0 or a Win32 error. */
DWORD restart_os_abort(void);

typedef struct {
    int user_logged_on; /* a session in WTSActive or WTSDisconnected with a user name */
    int can_ask;        /* an active session with a user, ask_session */
    DWORD ask_session;  /* the console's session if active with a user, else the first active one */
} restart_sessions;

/* The logged-on users (an enumeration failure counts as "a user", so nothing restarts unasked). */
void restart_os_sessions(restart_sessions *out);

/* WTSSendMessageW(session, MB_YESNO | MB_ICONQUESTION, timeout_s, bWait = TRUE): blocks until the
 * answer or the timeout. 0 with *response (IDYES, IDNO, IDTIMEOUT ...) or a Win32 error. */
DWORD restart_os_ask(DWORD session, const wchar_t *title, const wchar_t *text, DWORD timeout_s, DWORD *response);

#endif
