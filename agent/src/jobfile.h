/* The job file: a small line-based key=value UTF-8 format (agent/README.md, "The job file").
 * Pure C11, no Windows headers, so the parser can be compiled and tested on any host. */
#ifndef PUSHINSTALL_JOBFILE_H
#define PUSHINSTALL_JOBFILE_H

#include <stddef.h>

#define JOB_MAX_FILE_BYTES 16384u
#define JOB_MAX_LINE_BYTES 1024u
#define JOB_MAX_CONSOLES 8
#define JOB_MAX_HOST_CHARS 253
#define JOB_MIN_TOKEN_CHARS 16
#define JOB_MAX_TOKEN_CHARS 512
#define JOB_MAX_ID_CHARS 64
/* 2^53 - 1: the largest size the console (JavaScript) can state exactly. */
#define JOB_MAX_SIZE 9007199254740991ull
/* transport=auto: how long to wait for the package over SMB once no console answered (wait=). */
#define JOB_MAX_WAIT_S 86400u
#define JOB_DEFAULT_WAIT_S 600u

/* How the agent gets its package and gives its result (agent/README.md, "Transports"). */
typedef enum {
    JOB_TRANSPORT_CALLBACK = 0, /* absent: GET /v1/job etc. over TLS from the console */
    JOB_TRANSPORT_SMB = 1,      /* the manifest <exe>.pkg and the files the console copied beside the exe */
    JOB_TRANSPORT_AUTO = 2      /* callback; when no console answers, wait wait_s for the smb way */
} job_transport;

typedef struct {
    char host[JOB_MAX_HOST_CHARS + 1]; /* name, dotted IPv4, or IPv6 without the brackets */
    unsigned short port;
    int is_ipv6;
} job_console;

typedef struct {
    job_transport transport;
    unsigned wait_s; /* transport=auto only (default JOB_DEFAULT_WAIT_S); else 0 */
    job_console consoles[JOB_MAX_CONSOLES]; /* none with transport=smb */
    int console_count;
    unsigned char fingerprint[32]; /* SHA-256 of the console certificate (DER); zero with transport=smb */
    char token[JOB_MAX_TOKEN_CHARS + 1]; /* "" with transport=smb */
    char run[JOB_MAX_ID_CHARS + 1];
    char package[JOB_MAX_ID_CHARS + 1];
    unsigned long long size;
    unsigned char sha256[32];
} job_t;

/* Parses and validates len bytes by the rules of main/server/jobFile.ts's parseJobFile, with its
 * wording. Returns 0 on success; otherwise -1 with a one-line reason ("line 4: fingerprint:
 * expected the SHA-256 as 64 hex digits") in err. out is zeroed first. */
int job_parse(const char *data, size_t len, job_t *out, char *err, size_t errlen);

/* "callback" / "smb" / "auto" */
const char *job_transport_name(job_transport t);

/* Lower-case hex of 32 bytes into out[65]. */
void job_hex32(const unsigned char in[32], char out[65]);

#endif
