/* What the work calls back up for. main.c (the service plumbing) fills one in and hands it down
 * to work.c and install.c, so no module below main.c includes anything of main.c's. */
#ifndef PUSHINSTALL_SERVICE_CTL_H
#define PUSHINSTALL_SERVICE_CTL_H

#include <windows.h>

typedef struct service_ctl {
    /* How long, after a stop, the service waits for the work before it reports STOPPED anyway.
     * 0 = the default (main.c's STOP_GRACE_MS); install.c raises it while msiexec runs. */
    void (*set_stop_grace)(void *ctx, DWORD ms);
    /* Ends the work at once with result (the worker thread ends inside this call; on any other
     * thread the call blocks forever and the service ends with result). Never returns. */
    void (*abandon_work)(void *ctx, DWORD result) __attribute__((noreturn));
    /* Once the stop event is set: whether the stop is the admin's (SERVICE_CONTROL_STOP, Ctrl+C) rather
     * than Windows shutting down (SERVICE_CONTROL_SHUTDOWN): the first cancels a pending restart. */
    int (*stop_is_cancel)(void *ctx);
    void *ctx; /* passed back to all three */
} service_ctl;

#endif
