/*  tests/bench/bench_options.c - see bench_options.h. */
#include "bench_options.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef ESSP_BENCH_TEMPLATE
#define ESSP_BENCH_TEMPLATE "tests/fixtures/applications/valid/mutuelle-entraide-vendee.json"
#endif

static void s_usage(FILE *out)
{
    fprintf(out,
            "usage: essp-bench [-n N] [-c C] [-w W] [-b B] [--quick] [--json] [--keep]\n"
            "                  [--offered-rate R] [--offered-seconds S] [--followers F]\n"
            "                  [--template FILE.json] [--peers | --engine | --curve [N,N,...]]\n"
            "  -n N                applications end to end (default 100000; --quick 2000)\n"
            "  -c C                concurrent submitting clients (default 16)\n"
            "  -w W                submissions in flight per client (default 32)\n"
            "  -b B, --backlog B   at most B submitted and not yet known to review (default 0: no limit)\n"
            "  --offered-rate R    submissions/s of the offered-load phase (default 1000)\n"
            "  --offered-seconds S length of that phase (default 5; --quick 0.5)\n"
            "  --followers F       readers of the publication stream in fan-out (default 100; --quick 20)\n"
            "  --quick             a small run of a few seconds (what ctest runs)\n"
            "  --json              one JSON object instead of the table\n"
            "  --keep              keep the temporary ESSP_HOME (its path goes to stderr)\n"
            "  --peers             then, on N records: the engine alone and the same pipeline on Redis\n"
            "                      Streams and NATS JetStream (servers started on loopback), beside essp\n"
            "                      with the ratios (deploy/bench installs them and runs this)\n"
            "  --engine            only the engine alone, durable and ESSP_DURABLE=0, on N records\n"
            "  --curve [N,N,...]   only how cost grows: end to end at each size on a fresh stack, the\n"
            "                      drop of throughput from the size before the last to the last\n"
            "                      (default 10000,100000,1000000; -c, -w, -b apply)\n"
            "Footprint of each service, from /proc/PID/status and smaps_rollup: RssAnon (its own\n"
            "memory), VmRSS (with shared libraries and LMDB's file pages) and Pss, idle before the\n"
            "run, at its peak (RssAnon and VmRSS read every %d ms), and after it (2 s after the\n"
            "last phase).\n", BENCH_WATCH_MS);
}

static int s_number(const char *text, double min, double *out)
{
    char *end;
    errno = 0;
    double value = text ? strtod(text, &end) : 0;
    if (!text || errno || end == text || *end || value < min)
        return -1;
    *out = value;
    return 0;
}

int bench_options_parse(int argc, char **argv, bench_options_t *o)
{
    bool quick = false;
    for (int i = 1; i < argc; i++)
        quick |= strcmp(argv[i], "--quick") == 0;
    *o = (bench_options_t){.n = quick ? 2000 : 100000, .clients = 16, .window = 32, .backlog = 0,
                     .followers = quick ? 20 : 100, .fanout_count = quick ? 200 : 1000,
                     .offered_rate = 1000, .offered_seconds = quick ? 0.5 : 5, .quick = quick,
                     .template_path = ESSP_BENCH_TEMPLATE};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
        double number = 0;
        if (strcmp(arg, "--quick") == 0)
            continue;
        else if (strcmp(arg, "--json") == 0)
            o->json = true;
        else if (strcmp(arg, "--keep") == 0)
            o->keep = true;
        else if (strcmp(arg, "--peers") == 0)
            o->peers = true;
        else if (strcmp(arg, "--engine") == 0)
            o->engine = true;
        else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            s_usage(stdout);
            exit(0);
        } else if (strcmp(arg, "--template") == 0 && value) {
            o->template_path = value;
            i++;
        } else if (strcmp(arg, "-n") == 0 && s_number(value, 1, &number) == 0 && number <= 10000000) {
            o->n = (size_t)number;
            i++;
        } else if (strcmp(arg, "-c") == 0 && s_number(value, 1, &number) == 0 && number <= 1000) {
            o->clients = (size_t)number;
            i++;
        } else if (strcmp(arg, "-w") == 0 && s_number(value, 1, &number) == 0 && number <= 10000) {
            o->window = (size_t)number;
            i++;
        } else if ((strcmp(arg, "-b") == 0 || strcmp(arg, "--backlog") == 0) && s_number(value, 0, &number) == 0) {
            o->backlog = (size_t)number;
            i++;
        } else if (strcmp(arg, "--followers") == 0 && s_number(value, 0, &number) == 0 && number <= 2000) {
            o->followers = (size_t)number;
            i++;
        } else if (strcmp(arg, "--offered-rate") == 0 && s_number(value, 1, &number) == 0) {
            o->offered_rate = number;
            i++;
        } else if (strcmp(arg, "--curve") == 0) {
            bool sizes = value && isdigit((unsigned char)value[0]);
            bench_curve_defaults(&o->curve);
            if (sizes && bench_curve_parse(value, &o->curve) != 0)
                return -1;
            i += sizes;
        } else if (strcmp(arg, "--offered-seconds") == 0 && s_number(value, 0.01, &number) == 0) {
            o->offered_seconds = number;
            i++;
        } else {
            fprintf(stderr, "essp-bench: bad argument '%s'\n", arg);
            s_usage(stderr);
            return -1;
        }
    }
    o->curve.clients = o->clients;
    o->curve.window = o->window;
    o->curve.backlog = o->backlog;
    o->curve.keep = o->keep;
    return 0;
}
