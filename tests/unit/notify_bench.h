/*  tests/unit/notify_bench.h - essp-notify's core on the bench of every
 *  core (core_bench.h), with the settings of a test installation and the
 *  few calls its tests make: an application submitted, the letters due,
 *  a delivery outcome, the text of a letter. */
#ifndef ESSP_TESTS_NOTIFY_BENCH_H
#define ESSP_TESTS_NOTIFY_BENCH_H

#include "services/notify/notify.h"

#include "core_bench.h"

#include <msgpack.h>
#include <stdint.h>

#define SECRET "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define T0 1796515200                 /* 2026-12-06 00:00 UTC */

typedef struct {
    core_bench_t *bench;
    notify_t *notify;
} core_t;

/*  cmocka setup and teardown: a fresh store and core per test.  Staff are
 *  staff@cress.example and veille@cress.example; letters come from
 *  essp@cress.example; a sealed token is the token backwards. */
int notify_bench_setup(void **state);
int notify_bench_teardown(void **state);

/*  intake's `submitted` for an application whose private contact is
 *  Zoé Brochard <email>, organisation "Mutuelle <Entraide>", applied at
 *  `now` (submitted_at) or at its own time (submitted). */
void notify_bench_submitted_at(core_t *t, uint64_t seq, const char *id, const char *email, int64_t at, int64_t now);
void notify_bench_submitted(core_t *t, uint64_t seq, const char *id, const char *email, int64_t at);

/*  outbox_due at `at` (what it hands out is leased): the "messages". */
const msgpack_object *notify_bench_due(core_t *t, int64_t at);

/*  A str or bin field, malloc'd. */
char *notify_bench_field(const msgpack_object *m, const char *key);

/*  The message of the list sent to `to`, or NULL. */
const msgpack_object *notify_bench_find(const msgpack_object *messages, const char *to);

/*  outbox_mark with this outcome (the error "451 4.3.0 try later"). */
int notify_bench_mark(core_t *t, const char *id, const char *outcome, int64_t at);

/*  The plain text of a composed letter, soft line breaks removed (=XX
 *  kept). */
char *notify_bench_text(const char *bytes);

/*  Every message of `due` marked sent. */
void notify_bench_send_all(core_t *t, int64_t at, const msgpack_object *due);

/*  The text of the letter due at `at` to `to`; then all due are sent. */
char *notify_bench_letter_text(core_t *t, int64_t at, const char *to);

#endif
