/*  tests/unit/review_bench.c - see review_bench.h. */
#include "review_bench.h"

#include "services/review/review.h"

#include <stdlib.h>

int review_bench_setup(void **state)
{
    fixture_t *t = calloc(1, sizeof *t);
    t->bench = core_bench_new(review_dbs);
    review_rules_t rules = {.quorum_votes = 3, .quorum_colleges = 2, .listing_years = 3, .expiry_follows = true};
    t->review = review_context_new(rules);
    t->application = core_bench_fixture(REVIEW_BENCH_FIXTURE);
    *state = t;
    return 0;
}

int review_bench_teardown(void **state)
{
    fixture_t *t = *state;
    review_context_destroy(&t->review);
    core_bench_destroy(&t->bench);
    free(t->application);
    free(t);
    return 0;
}
