/* Running msiexec (agent/README.md, "Installing"). */
#ifndef PUSHINSTALL_INSTALL_H
#define PUSHINSTALL_INSTALL_H

#include <windows.h>

#include "buf.h"
#include "service_ctl.h"

/* After a stop, how long a running msiexec is given to finish (it is never killed mid-transaction). */
#define INSTALL_STOP_WAIT_MS 60000u
/* The MSI log's tail kept for the console, in bytes of UTF-8. */
#define MSI_LOG_TAIL_BYTES (256u * 1024u)
/* The MSI log's name in the work folder (so no package file may be called that). */
#define INSTALL_MSI_LOG_NAME "PushInstall-msi.log"

/* What msiexec is asked to do with the package (the console's job, "action"; absent = install). */
typedef enum { INSTALL_ACTION_INSTALL = 0, INSTALL_ACTION_UNINSTALL = 1, INSTALL_ACTION_REPAIR = 2 } install_action;

/* "install" / "uninstall" / "repair" */
const char *install_action_name(install_action a);
/* msiexec's switch for the action: /i, /x or /fvomus (agent/README.md, "Actions"). */
const wchar_t *install_action_switch(install_action a);

typedef struct {
    install_action action;
    const wchar_t *work_dir;
    const wchar_t *msi_path;
    const wchar_t *log_path;
    const wchar_t *parameters; /* MSI command-line parameters, verbatim; may be empty */
    int as_admin;              /* 0: as the agent (SYSTEM); 1: LogonUserW with user/domain/password */
    wchar_t *user, *domain, *password; /* wiped by install_run as soon as the logon is done */
    int test_self_token;       /* tests only: after LogonUserW, launch with a copy of the agent's own token */
} install_spec;

/* Launches msiexec /i|/x|/fvomus "<msi>" /qn /norestart /l*v "<log>" <parameters> and waits for it.
 * Returns AGENT_EXIT_OK (msiexec 0), AGENT_EXIT_MSI_BASE + N (msiexec N), AGENT_EXIT_MSIEXEC_LAUNCH,
 * or AGENT_EXIT_STOPPED (stop asked and msiexec still running after INSTALL_STOP_WAIT_MS). */
DWORD install_run(install_spec *spec, HANDLE stop_event, const service_ctl *svc);

/* Appends the MSI log's tail (UTF-16LE or ANSI on disk) to out as UTF-8, bounded by
 * MSI_LOG_TAIL_BYTES, with a header line. */
void install_log_tail(const wchar_t *log_path, buf_t *out);

#endif
