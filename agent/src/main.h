/* What main.c offers the work (the service plumbing around it). */
#ifndef PUSHINSTALL_MAIN_H
#define PUSHINSTALL_MAIN_H

#include <windows.h>

/* How long, after a stop, the service waits for the work before it reports STOPPED anyway.
 * 0 = the default (STOP_GRACE_MS); the work raises it while msiexec runs. */
void agent_set_stop_grace(DWORD ms);

/* Ends the work at once with result (the worker thread ends inside this call; on any other thread
 * the call blocks forever and the service ends with result). Never returns. */
__attribute__((noreturn)) void agent_abandon_work(DWORD result);

#endif
