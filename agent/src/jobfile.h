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

typedef struct {
    char host[JOB_MAX_HOST_CHARS + 1]; /* name, dotted IPv4, or IPv6 without the brackets */
    unsigned short port;
    int is_ipv6;
} job_console;

typedef struct {
    job_console consoles[JOB_MAX_CONSOLES];
    int console_count;
    unsigned char fingerprint[32]; /* SHA-256 of the console certificate (DER) */
    char token[JOB_MAX_TOKEN_CHARS + 1];
    char run[JOB_MAX_ID_CHARS + 1];
    char package[JOB_MAX_ID_CHARS + 1];
    unsigned long long size;
    unsigned char sha256[32];
} job_t;

/* Parses and validates len bytes. Returns 0 on success; otherwise -1 with a one-line reason
 * ("line 4: fingerprint: expected 64 hex digits") in err. out is zeroed first. */
int job_parse(const char *data, size_t len, job_t *out, char *err, size_t errlen);

/* Lower-case hex of 32 bytes into out[65]. */
void job_hex32(const unsigned char in[32], char out[65]);

#endif
