/*  tests/unit/review_bench.h - review's core on a bench (core_bench.h),
 *  the committee's rules as the demo's (a quorum of 3 votes from 2
 *  colleges, listings of 3 years, expiry following), and the application
 *  the review tests judge: its JSON text, to put in their events.
 */
#ifndef ESSP_TESTS_REVIEW_BENCH_H
#define ESSP_TESTS_REVIEW_BENCH_H

#include "core_bench.h"

#define REVIEW_BENCH_FIXTURE "applications/valid/scop-ancrage-conseil-nantes.json"

typedef struct {
    core_bench_t *bench;
    void *review;
    char *application;           /* the JSON text of REVIEW_BENCH_FIXTURE */
} fixture_t;

/*  cmocka's setup and teardown: *state is a fixture_t. */
int review_bench_setup(void **state);
int review_bench_teardown(void **state);

#endif
