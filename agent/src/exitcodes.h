/*
 * Exit codes of PushInstallAgent.exe — the one place they are defined.
 *
 * As a service the agent reports its result in SERVICE_STATUS when it stops:
 *   result 0   -> dwWin32ExitCode = NO_ERROR (0),               dwServiceSpecificExitCode = 0
 *   result N>0 -> dwWin32ExitCode = ERROR_SERVICE_SPECIFIC_ERROR (1066), dwServiceSpecificExitCode = N
 * With --console the same result is the process exit code.
 *
 * The console (main/) maps these numbers to its error classes; agent/README.md has the table.
 * Keep this file, agent/README.md and the console's mapping in step.
 */
#ifndef PUSHINSTALL_EXITCODES_H
#define PUSHINSTALL_EXITCODES_H

/* Installed (msiexec returned 0). */
#define AGENT_EXIT_OK 0u
/* Unexpected local failure: out of memory, a thread or event could not be created. */
#define AGENT_EXIT_INTERNAL 1u
/* Bad command line, or started without --console by something that is not the SCM. */
#define AGENT_EXIT_USAGE 2u

/* The job file is missing, unreadable, too large, not UTF-8, or a field is missing/invalid. */
#define AGENT_EXIT_BAD_JOB 10u
/* No console address answered within the bounded retries. */
#define AGENT_EXIT_UNREACHABLE 11u
/* The console's TLS certificate SHA-256 differs from the job file's fingerprint: the request (and
 * so the token) was not sent; the work ended there. */
#define AGENT_EXIT_FINGERPRINT 12u
/* A package file's size or SHA-256 differs from the job (file or console). Nothing installed. */
#define AGENT_EXIT_INTEGRITY 13u
/* SERVICE_CONTROL_STOP / SHUTDOWN (or Ctrl+C with --console) before the work finished. */
#define AGENT_EXIT_STOPPED 14u
/* The console refused the token (401/403): unknown, reused, expired or run already finished. */
#define AGENT_EXIT_TOKEN_REFUSED 15u
/* Connected, but the download failed (I/O error, disk full) after bounded retries, or the
 * console's answer was not understood (protocol). */
#define AGENT_EXIT_DOWNLOAD 16u
/* This run id is being handled by another agent process, or already finished on this machine
 * (<exe>.done): a second start does nothing. */
#define AGENT_EXIT_ALREADY_RAN 17u
/* msiexec could not be started (LogonUserW / CreateProcessAsUserW / CreateProcessW failed). */
#define AGENT_EXIT_MSIEXEC_LAUNCH 18u
/* A restart was scheduled after the install (the result, reported before, stands: 103010, or 0 for
 * the console's "restart" action) and the admin cancelled it while the agent waited for it: a
 * SERVICE_CONTROL_STOP (or Ctrl+C with --console) -> AbortSystemShutdownW. Not reported (the
 * result was); the service's exit code says it. */
#define AGENT_EXIT_RESTART_CANCELLED 19u

/* msiexec exited with code N != 0: the agent's result is AGENT_EXIT_MSI_BASE + N,
 * e.g. 1603 -> 101603, 1618 -> 101618, 1641 -> 101641 (reboot initiated), 3010 -> 103010
 * (reboot required). The console treats 101641 and 103010 as succeeded-reboot-required. */
#define AGENT_EXIT_MSI_BASE 100000u

#endif
