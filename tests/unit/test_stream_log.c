/* Unit tests of common/stream_log on a real LMDB environment in a
 * temporary directory: sequence numbers, batches, rollback, reopening. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "proto/doc.h"
#include "common/store.h"
#include "common/stream_log.h"
#include "proto/messages.h"
#include "proto/wire.h"

static const char *const s_dbs[] = {"events", "state", NULL};

typedef struct {
    char dir[64];
    store_t *store;
    stream_log_t *log;
    msgpack_sbuffer buf;
    msgpack_packer pk;
} fixture_t;

static void s_open(fixture_t *f)
{
    f->store = store_new(f->dir, s_dbs);
    assert_non_null(f->store);
    MDB_txn *txn;
    assert_int_equal(store_begin(f->store, true, &txn), 0);
    f->log = stream_log_new(txn, store_db(f->store, 0));
    mdb_txn_abort(txn);
}

static void s_close(fixture_t *f)
{
    stream_log_destroy(&f->log);
    store_destroy(&f->store);
}

static int s_setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/essp-unit-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    msgpack_sbuffer_init(&f->buf);
    msgpack_packer_init(&f->pk, &f->buf, msgpack_sbuffer_write);
    s_open(f);
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    fixture_t *f = *state;
    s_close(f);
    char command[128];
    snprintf(command, sizeof command, "rm -rf %s", f->dir);
    assert_int_equal(system(command), 0);
    msgpack_sbuffer_destroy(&f->buf);
    free(f);
    return 0;
}

/* Appends `count` events {seq, v, type "note", at, n} in one transaction. */
static void s_append(fixture_t *f, int count, bool commit)
{
    MDB_txn *txn;
    assert_int_equal(store_begin(f->store, false, &txn), 0);
    for (int i = 0; i < count; i++) {
        stream_log_begin(f->log, &f->buf, &f->pk, "note", 1000 + i, 1);
        proto_pack_kv_uint(&f->pk, "n", (uint64_t)i);
        assert_int_equal(stream_log_end(f->log, txn, &f->buf), 0);
    }
    if (commit) {
        assert_int_equal(store_commit(f->store, txn), 0);
        stream_log_committed(f->log);
    } else {
        mdb_txn_abort(txn);
        stream_log_aborted(f->log);
    }
}

/* The seqs of the batch after `after`. */
static size_t s_batch(fixture_t *f, uint64_t after, size_t max, size_t max_bytes, uint64_t *seqs)
{
    MDB_txn *txn;
    assert_int_equal(store_begin(f->store, true, &txn), 0);
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &out, msgpack_sbuffer_write);
    size_t count = stream_log_pack_after(f->log, txn, after, max, max_bytes, NULL, &pk);
    mdb_txn_abort(txn);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object array;
    proto_error_t err;
    assert_int_equal(wire_decode(out.data, out.size, &zone, &array, &err), 0);
    assert_int_equal(doc_len(&array), count);
    for (size_t i = 0; i < count; i++) {
        assert_true(doc_uint(doc_at(&array, i), "seq", &seqs[i]));
        assert_true(doc_str_eq(doc_at(&array, i), "type", "note"));
    }
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&out);
    return count;
}

static void test_sequence_is_gapless_and_batches_follow_the_cursor(void **state)
{
    fixture_t *f = *state;
    uint64_t seqs[1000];
    assert_int_equal(stream_log_head(f->log), 0);
    assert_int_equal(s_batch(f, 0, 10, 1 << 20, seqs), 0);
    s_append(f, 5, true);
    assert_int_equal(stream_log_head(f->log), 5);
    assert_int_equal(s_batch(f, 0, 10, 1 << 20, seqs), 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(seqs[i], (uint64_t)i + 1);
    assert_int_equal(s_batch(f, 3, 10, 1 << 20, seqs), 2);
    assert_int_equal(seqs[0], 4);
    assert_int_equal(s_batch(f, 0, 2, 1 << 20, seqs), 2);
    assert_int_equal(s_batch(f, 5, 10, 1 << 20, seqs), 0);
    assert_int_equal(s_batch(f, 99, 10, 1 << 20, seqs), 0);
    /* A byte budget smaller than one event still moves the reader on. */
    assert_int_equal(s_batch(f, 0, 10, 1, seqs), 1);
}

static void test_rolled_back_events_leave_no_trace(void **state)
{
    fixture_t *f = *state;
    uint64_t seqs[16];
    s_append(f, 2, true);
    s_append(f, 3, false);
    assert_int_equal(stream_log_head(f->log), 2);
    s_append(f, 1, true);
    assert_int_equal(s_batch(f, 0, 16, 1 << 20, seqs), 3);
    assert_int_equal(seqs[2], 3);
}

static void test_head_survives_reopening(void **state)
{
    fixture_t *f = *state;
    s_append(f, 7, true);
    s_close(f);
    s_open(f);
    assert_int_equal(stream_log_head(f->log), 7);
    s_append(f, 1, true);
    assert_int_equal(stream_log_head(f->log), 8);
}

/* Appends one event {type "submitted", id, secret} per id, in one commit. */
static void s_append_ids(fixture_t *f, const char *const *ids, size_t count)
{
    MDB_txn *txn;
    assert_int_equal(store_begin(f->store, false, &txn), 0);
    for (size_t i = 0; i < count; i++) {
        stream_log_begin(f->log, &f->buf, &f->pk, "submitted", 2000 + (int64_t)i, 2);
        proto_pack_kv_str(&f->pk, "id", ids[i]);
        proto_pack_kv_str(&f->pk, "secret", "Jeanne Dupont, 06 12 34 56 78");
        assert_int_equal(stream_log_end(f->log, txn, &f->buf), 0);
    }
    assert_int_equal(store_commit(f->store, txn), 0);
    stream_log_committed(f->log);
}

static size_t s_redact(fixture_t *f, const char *id, stream_log_rewrite_fn rewrite, void *arg)
{
    MDB_txn *txn;
    size_t count = 99;
    assert_int_equal(store_begin(f->store, false, &txn), 0);
    assert_int_equal(stream_log_redact(f->log, txn, id, strlen(id), rewrite, arg, &count), 0);
    assert_int_equal(store_commit(f->store, txn), 0);
    return count;
}

/* The stored event of `seq`, decoded into zone. */
static msgpack_object s_event(fixture_t *f, uint64_t seq, msgpack_zone *zone, char *raw, size_t cap)
{
    MDB_txn *txn;
    assert_int_equal(store_begin(f->store, true, &txn), 0);
    unsigned char key_bytes[8];
    store_u64_key(seq, key_bytes);
    MDB_val key = {8, key_bytes}, value;
    assert_int_equal(mdb_get(txn, store_db(f->store, 0), &key, &value), 0);
    assert_true(value.mv_size < cap);
    memcpy(raw, value.mv_data, value.mv_size);
    mdb_txn_abort(txn);
    msgpack_object event;
    proto_error_t err;
    assert_int_equal(wire_decode(raw, value.mv_size, zone, &event, &err), 0);
    return event;
}

static void test_redaction_rewrites_only_the_events_of_that_id(void **state)
{
    fixture_t *f = *state;
    /* "A1x" contains "A1": the byte filter matches, the id does not. */
    static const char *const ids[] = {"A1", "B2", "A1x", "A1"};
    s_append_ids(f, ids, 4);
    assert_int_equal(s_redact(f, "A1", NULL, NULL), 2);
    char raw[512];
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    for (uint64_t seq = 1; seq <= 4; seq++) {
        msgpack_object event = s_event(f, seq, &zone, raw, sizeof raw);
        uint64_t stored_seq = 0, at = 0;
        assert_true(doc_uint(&event, "seq", &stored_seq));
        assert_int_equal(stored_seq, seq);
        assert_true(doc_uint(&event, "at", &at));
        assert_int_equal(at, 2000 + seq - 1);
        assert_true(doc_str_eq(&event, "id", ids[seq - 1]));
        bool erased = seq == 1 || seq == 4;
        assert_int_equal(doc_str_eq(&event, "type", "redacted"), erased);
        assert_int_equal(doc_get(&event, "secret") == NULL, erased);
        if (erased) {
            const char *type;
            uint64_t checked_seq;
            proto_error_t err;
            assert_int_equal(proto_event_check(&event, &type, &checked_seq, &err), 0);
        }
    }
    /* Nothing left to redact; the head and the next seq are unchanged. */
    assert_int_equal(s_redact(f, "A1", NULL, NULL), 0);
    assert_int_equal(stream_log_head(f->log), 4);
    s_append(f, 1, true);
    assert_int_equal(stream_log_head(f->log), 5);
    msgpack_zone_destroy(&zone);
}

/* A producer's own rewrite sees each event and its seq. */
static void s_rewrite_note(void *arg, const msgpack_object *event, uint64_t seq, msgpack_packer *pk)
{
    (*(int *)arg)++;
    assert_true(doc_str_eq(event, "secret", "Jeanne Dupont, 06 12 34 56 78"));
    msgpack_pack_map(pk, 4);
    proto_pack_kv_uint(pk, "seq", seq);
    proto_pack_kv_uint(pk, "v", PROTO_VERSION);
    proto_pack_kv_str(pk, "type", "redacted");
    proto_pack_kv_str(pk, "by", "rewrite");
}

static void test_redaction_uses_the_producers_rewrite(void **state)
{
    fixture_t *f = *state;
    static const char *const ids[] = {"B2", "C3"};
    s_append_ids(f, ids, 2);
    int calls = 0;
    assert_int_equal(s_redact(f, "C3", s_rewrite_note, &calls), 1);
    assert_int_equal(calls, 1);
    char raw[512];
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object event = s_event(f, 2, &zone, raw, sizeof raw);
    assert_true(doc_str_eq(&event, "by", "rewrite"));
    event = s_event(f, 1, &zone, raw, sizeof raw);
    assert_true(doc_str_eq(&event, "type", "submitted"));
    msgpack_zone_destroy(&zone);
}

/*  Redaction's error paths: a stored record that holds the id's bytes but
 *  does not decode is left alone; a log that cannot be written (a read
 *  transaction) or whose database is not open says so. */
static void test_redaction_skips_what_does_not_decode_and_reports_errors(void **state)
{
    fixture_t *f = *state;
    static const char *const ids[] = {"D4", "E5"};
    s_append_ids(f, ids, 2);
    MDB_txn *txn;
    assert_int_equal(store_begin(f->store, false, &txn), 0);
    unsigned char key[8];
    store_u64_key(99, key);
    /* 0xc1 then the id's bytes: the byte filter matches, the decoder not. */
    MDB_val k = {8, key}, v = {3, "\xc1" "D4"};
    assert_int_equal(mdb_put(txn, store_db(f->store, 0), &k, &v, 0), 0);
    size_t count = 99;
    assert_int_equal(stream_log_redact(f->log, txn, "D4", 2, NULL, NULL, &count), 0);
    assert_int_equal(count, 1);
    assert_int_equal(store_commit(f->store, txn), 0);
    /* In a read transaction, the rewrite cannot be written. */
    assert_int_equal(store_begin(f->store, true, &txn), 0);
    assert_int_not_equal(stream_log_redact(f->log, txn, "E5", 2, NULL, NULL, NULL), 0);
    /* A log over a database handle that is not open. */
    stream_log_t *stray = stream_log_new(txn, 200);
    assert_int_equal(stream_log_head(stray), 0);
    assert_int_not_equal(stream_log_redact(stray, txn, "E5", 2, NULL, NULL, &count), 0);
    assert_int_equal(count, 0);
    stream_log_destroy(&stray);
    mdb_txn_abort(txn);
}

static void test_a_batch_never_exceeds_the_protocols_maximum(void **state)
{
    fixture_t *f = *state;
    s_append(f, PROTO_BATCH_MAX + 5, true);
    static uint64_t seqs[PROTO_BATCH_MAX + 5];
    assert_int_equal(s_batch(f, 0, PROTO_BATCH_MAX + 5, PROTO_BATCH_BYTES, seqs), PROTO_BATCH_MAX);
    assert_int_equal(seqs[PROTO_BATCH_MAX - 1], PROTO_BATCH_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sequence_is_gapless_and_batches_follow_the_cursor, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_rolled_back_events_leave_no_trace, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_head_survives_reopening, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_redaction_rewrites_only_the_events_of_that_id, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_redaction_uses_the_producers_rewrite, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_redaction_skips_what_does_not_decode_and_reports_errors, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_a_batch_never_exceeds_the_protocols_maximum, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
