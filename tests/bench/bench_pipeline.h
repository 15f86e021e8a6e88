/*  tests/bench/bench_pipeline.h - the load a season of applications puts
 *  on the four services, and what the bench sees of it.
 *
 *  One phase submits `count` applications from `clients` DEALER sockets
 *  to intake, each client keeping up to `window` submissions in flight
 *  (pipelined, each with its own idempotency key), either as fast as the
 *  replies come or at an offered rate.  The bench follows validation's
 *  stream with a held pull: each "validated" event puts the file on the
 *  committee's list.  The committee (three members, one per college)
 *  meets as soon as its previous meeting is over and approves every file
 *  on its list, as a real committee goes through the list of a meeting
 *  (the first member's vote comes first: its acknowledgement shows that
 *  review has read the file, then the two others vote).
 *  The bench follows the publication stream too, and the phase ends when
 *  every application of the phase is on it (and, with followers, when
 *  each follower has received every entry).
 *
 *  With a backlog, the bench submits only while fewer than `backlog` of
 *  its applications are not yet known to review (no vote on them
 *  acknowledged): the services' consumers cannot decode a batch of
 *  validation's stream that holds more than about 550 "validated" events
 *  (each is ~360 msgpack objects, a batch is refused above 200,000: see
 *  WIRE_NODES_MAX), and a consumer that falls that far behind never
 *  catches up.  The README's Performance section has the figures.
 *
 *  Every time is read from the bench's own monotonic clock when it sends
 *  or receives: receipt = reply - send; in review = "validated" event seen
 *  - send; published = "upsert" seen - the file's last vote sent; fan-out
 *  = delivery to a follower - the first delivery of that entry to any of
 *  the bench's readers of the publication stream.
 */
#ifndef ESSP_BENCH_PIPELINE_H
#define ESSP_BENCH_PIPELINE_H

#include "bench_apps.h"
#include "bench_stack.h"
#include "bench_stats.h"

#include <stddef.h>
#include <stdint.h>

typedef struct bench_pipeline_t bench_pipeline_t;

typedef struct {
    size_t count;                /* applications of the phase */
    size_t clients;
    size_t window;               /* submissions in flight per client */
    double rate;                 /* offered submissions/s; 0: closed loop */
    size_t followers;            /* extra readers of the publication stream */
    size_t backlog;              /* at most this many submitted and not yet
                                  * known to review (0: no limit) */
} bench_phase_t;

typedef struct {
    size_t count;
    double seconds;              /* first submission sent -> last entry seen */
    double per_s;
    double offered_per_s;        /* submissions actually sent per second */
    bench_pct_t receipt;
    bench_pct_t in_review;
    bench_pct_t published;       /* last vote sent -> entry on the stream */
    bench_pct_t fanout;          /* first delivery -> delivery to each follower */
    bench_pct_t vote_to_delivery;
    size_t meetings;
    double files_per_meeting;
    size_t votes;
    double queued_per_batch;     /* events per batch of review's stream */
    double upserts_per_batch;    /* events per batch of the publication stream */
} bench_result_t;

/*  capacity: applications over all phases. */
bench_pipeline_t *bench_pipeline_new(bench_stack_t *stack, bench_apps_t *apps, size_t capacity);
void bench_pipeline_destroy(bench_pipeline_t **self_p);

/*  Adds the committee: three members, one per college.  0 or -1. */
int bench_pipeline_committee(bench_pipeline_t *self);

/*  Runs one phase; 0, or -1 with the reason on stderr (a refusal, or 30 s
 *  without any progress). */
int bench_pipeline_run(bench_pipeline_t *self, const bench_phase_t *phase, bench_result_t *out);

/*  A new reader of the publication stream from seq 0 to its head, with
 *  pulls of up to 1000 entries, each batch decoded and checked gapless.
 *  0 or -1. */
int bench_pipeline_catch_up(bench_pipeline_t *self, size_t *entries, double *seconds);

#endif
