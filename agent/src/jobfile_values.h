/* Each job file key's value rule (jobfile_values.c), for jobfile.c. Pure C11, no Windows headers. */
#ifndef PUSHINSTALL_JOBFILE_VALUES_H
#define PUSHINSTALL_JOBFILE_VALUES_H

#include <stddef.h>

#include "jobfile.h"

/* The keys other than console (which may repeat); each may be given once. */
enum {
    JOB_KEY_FINGERPRINT, JOB_KEY_TOKEN, JOB_KEY_RUN, JOB_KEY_PACKAGE, JOB_KEY_SIZE, JOB_KEY_SHA256, JOB_KEY_VERSION,
    JOB_KEY_TRANSPORT, JOB_KEY_WAIT, JOB_KEY_COUNT
};
#define JOB_SEEN(key) (1u << (key))
extern const char *const job_key_names[JOB_KEY_COUNT];

/* Checks v (vn bytes, printable ASCII) as the value of key and stores it in out: NULL, or the rule
 * it breaks ("expected 64 hex digits"). */
const char *job_take_value(int key, const char *v, size_t vn, job_t *out);

/* A console= value (host:port, [ipv6]:port) into c: NULL, or why not ("port must be 1..65535"). */
const char *job_take_console(const char *v, size_t n, job_console *c);

#endif
