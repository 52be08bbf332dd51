/* Not part of the agent: a test driver that runs the agent's job file parser (src/jobfile.c) over
 * many job files and prints its verdict for each, so test/agent/agentSmbTransport.test.ts can hold
 * it against the console's parseJobFile (main/server/jobFile.ts) case by case. Built there with
 * x86_64-w64-mingw32-gcc and run under Wine.
 *
 * Input (argv[1]): records of a 4-byte little-endian length and that many bytes.
 * Output: one line per record, "OK <fields>" or "ERR <the reason, as hex of its bytes>". */
#include <stdio.h>
#include <string.h>

#include "../src/jobfile.h"

static void print_job(const job_t *j)
{
    char hex[65];
    printf("OK transport=%s wait=%u consoles=", job_transport_name(j->transport), j->wait_s);
    for (int i = 0; i < j->console_count; i++) printf("%s%s:%u", i ? "," : "", j->consoles[i].host, j->consoles[i].port);
    job_hex32(j->fingerprint, hex);
    printf(" fingerprint=%s token=%s run=%s package=%s size=%llu", j->transport == JOB_TRANSPORT_SMB ? "" : hex, j->token,
           j->run, j->package, j->size);
    job_hex32(j->sha256, hex);
    printf(" sha256=%s\n", hex);
}

int main(int argc, char **argv)
{
    static char data[JOB_MAX_FILE_BYTES * 2];
    static job_t job;
    unsigned char len4[4];
    char err[400];
    FILE *f = argc > 1 ? fopen(argv[1], "rb") : NULL;
    if (f == NULL) return 2;
    while (fread(len4, 1, 4, f) == 4) {
        size_t n = (size_t)len4[0] | (size_t)len4[1] << 8 | (size_t)len4[2] << 16 | (size_t)len4[3] << 24;
        if (n > sizeof data || fread(data, 1, n, f) != n) return 3;
        if (job_parse(data, n, &job, err, sizeof err) == 0) {
            print_job(&job);
            continue;
        }
        printf("ERR ");
        for (const char *c = err; *c; c++) printf("%02x", (unsigned)(unsigned char)*c);
        printf("\n");
    }
    fclose(f);
    return 0;
}
