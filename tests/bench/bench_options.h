/*  tests/bench/bench_options.h - what essp-bench is asked to run: its
 *  command line (essp-bench --help). */
#ifndef ESSP_BENCH_OPTIONS_H
#define ESSP_BENCH_OPTIONS_H

#include "bench_curve.h"

#include <stdbool.h>
#include <stddef.h>

/* How often a thread of the bench reads the services' memory during the
 * end-to-end phase (bench_watch.h): over 20,000 applications, readings
 * every 1 ms found peaks of RssAnon within 5 % of these, and the bench's
 * loop, every 100 ms, within 12 %. */
#define BENCH_WATCH_MS 10
/* and how often that thread reads Pss too (smaps_rollup, a walk of the
 * whole map, a quarter of the bench's CPU when read every 100 ms): only
 * in that phase, never in the loop that times replies.  Pss is mostly the
 * store's pages touched, which grow through the run: its peak read every
 * second is within a few % of one read every 100 ms. */
#define BENCH_PSS_MS 1000

typedef struct {
    size_t n;
    size_t clients;
    size_t window;
    size_t followers;
    size_t fanout_count;
    size_t backlog;
    double offered_rate;
    double offered_seconds;
    bool quick;
    bool json;
    bool keep;
    bool peers;                           /* --peers: the engine and the peers beside the application */
    bool engine;                          /* --engine: the engine alone */
    const char *template_path;
    bench_curve_config_t curve;  /* count 0: no --curve */
} bench_options_t;

/*  Fills *o from the command line; prints the usage and exits 0 on
 *  --help.  -1 on a bad argument (said on stderr, with the usage). */
int bench_options_parse(int argc, char **argv, bench_options_t *o);

#endif
