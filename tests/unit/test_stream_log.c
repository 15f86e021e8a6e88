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

#include "common/doc.h"
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
    size_t count = stream_log_pack_after(f->log, txn, after, max, max_bytes, &pk);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sequence_is_gapless_and_batches_follow_the_cursor, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_rolled_back_events_leave_no_trace, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_head_survives_reopening, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
