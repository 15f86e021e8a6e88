/* Unit tests of services/intake/index_batch: the batched writes of
 * intake's look-up indexes, on a real LMDB environment.  What a reader
 * gets must always be what the writes committed so far say, whatever
 * the table holds and whatever the trees hold: across rollbacks, sweeps
 * cut in the middle and restarts from the log. */
#define _GNU_SOURCE  /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/store.h"
#include "services/intake/index_batch.h"

#include <sodium.h>

static const char *const s_dbs[] = {"keys", "sirets", "contacts", "index_log", NULL};
#define S_TREES 3
#define S_LOG 3

typedef struct {
    char dir[64];
    store_t *store;
    index_batch_t *batch;
    MDB_txn *txn;
} bench_t;

static int s_start(bench_t *b)
{
    b->batch = index_batch_new();
    assert_non_null(b->batch);
    MDB_txn *txn;
    assert_int_equal(store_begin(b->store, false, &txn), 0);
    const MDB_dbi trees[S_TREES] = {store_db(b->store, 0), store_db(b->store, 1), store_db(b->store, 2)};
    int rc = index_batch_start(b->batch, txn, store_db(b->store, S_LOG), trees, S_TREES);
    assert_int_equal(store_commit(b->store, txn), 0);
    return rc;
}

static int s_setup(void **state)
{
    /* Sweeps from 8 writes on: every test goes through several. */
    setenv("ESSP_INDEX_BATCH", "8", 1);
    setenv("ESSP_DURABLE", "0", 1);
    bench_t *b = calloc(1, sizeof *b);
    snprintf(b->dir, sizeof b->dir, "/tmp/essp-index-XXXXXX");
    assert_non_null(mkdtemp(b->dir));
    b->store = store_new(b->dir, s_dbs);
    assert_non_null(b->store);
    assert_int_equal(s_start(b), 0);
    *state = b;
    return 0;
}

static int s_teardown(void **state)
{
    bench_t *b = *state;
    index_batch_destroy(&b->batch);
    store_destroy(&b->store);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", b->dir);
    assert_int_equal(system(cmd), 0);
    free(b);
    return 0;
}

static void s_begin(bench_t *b)
{
    assert_int_equal(store_begin(b->store, false, &b->txn), 0);
}

/*  Ends the transaction as the shell does: the hook, then commit or
 *  rollback, then the hook again. */
static void s_end(bench_t *b, bool commit)
{
    if (commit)
        assert_int_equal(index_batch_before_commit(b->batch, b->txn), 0);
    if (commit)
        assert_int_equal(store_commit(b->store, b->txn), 0);
    else
        mdb_txn_abort(b->txn);
    index_batch_ended(b->batch, commit);
    b->txn = NULL;
}

/*  A process that stops between two transactions (kill -9): the table is
 *  lost, the store stays. */
static void s_restart(bench_t *b)
{
    index_batch_destroy(&b->batch);
    assert_int_equal(s_start(b), 0);
}

static void s_put(bench_t *b, size_t db, const char *key, const char *value)
{
    assert_int_equal(index_batch_put(b->batch, b->txn, db, key, strlen(key), value, strlen(value)), 0);
}

/*  count keys `prefix`000, `prefix`001... all taking `value`. */
static void s_put_many(bench_t *b, size_t db, const char *prefix, int count, const char *value)
{
    char key[32];
    for (int i = 0; i < count; i++) {
        snprintf(key, sizeof key, "%s%03d", prefix, i);
        s_put(b, db, key, value);
    }
}

/*  The value of key as a reader sees it, "" when there is none. */
static const char *s_get(bench_t *b, size_t db, const char *key)
{
    static char out[64];
    MDB_val value;
    int rc = index_batch_get(b->batch, b->txn, db, key, strlen(key), &value);
    if (rc == MDB_NOTFOUND)
        return "";
    assert_int_equal(rc, 0);
    assert_true(value.mv_size < sizeof out);
    memcpy(out, value.mv_data, value.mv_size);
    out[value.mv_size] = '\0';
    return out;
}

/*  The value in the tree itself (what the trees hold after a sweep). */
static const char *s_tree(bench_t *b, size_t db, const char *key)
{
    static char out[64];
    MDB_val k = {strlen(key), (void *)key}, value;
    int rc = mdb_get(b->txn, store_db(b->store, db), &k, &value);
    if (rc == MDB_NOTFOUND)
        return "";
    assert_int_equal(rc, 0);
    memcpy(out, value.mv_data, value.mv_size);
    out[value.mv_size] = '\0';
    return out;
}

static size_t s_entries(bench_t *b, size_t db)
{
    MDB_stat stat;
    assert_int_equal(mdb_stat(b->txn, store_db(b->store, db), &stat), 0);
    return stat.ms_entries;
}

/*  Empty transactions until the sweep under way has ended. */
static void s_sweep_out(bench_t *b)
{
    for (int i = 0; i < 100 && index_batch_sweeping(b->batch); i++) {
        s_begin(b);
        s_end(b, true);
    }
    assert_false(index_batch_sweeping(b->batch));
}

/*  A write is read back at once in its transaction, after its commit, and
 *  once a sweep has put it in its tree; the log is emptied by the sweep. */
static void test_a_write_is_read_before_and_after_its_sweep(void **state)
{
    bench_t *b = *state;
    s_begin(b);
    s_put(b, 0, "k1", "a1");
    assert_string_equal(s_get(b, 0, "k1"), "a1");
    assert_string_equal(s_get(b, 1, "k1"), "");  /* another tree */
    s_end(b, true);
    s_begin(b);
    assert_string_equal(s_get(b, 0, "k1"), "a1");
    assert_string_equal(s_tree(b, 0, "k1"), "");  /* not yet in its tree */
    s_put_many(b, 1, "s", 9, "x");
    s_end(b, true);
    assert_true(index_batch_sweeping(b->batch));
    s_sweep_out(b);
    s_begin(b);
    assert_string_equal(s_tree(b, 0, "k1"), "a1");
    assert_string_equal(s_tree(b, 1, "s008"), "x");
    assert_int_equal(s_entries(b, S_LOG), 0);
    assert_int_equal(index_batch_waiting(b->batch), 0);
    assert_string_equal(s_get(b, 0, "k1"), "a1");
    s_end(b, true);
}

/*  A rolled-back transaction leaves the table as it was: the earlier
 *  value comes back, a deleted key too, a new key goes. */
static void test_a_rollback_leaves_the_table_as_it_was(void **state)
{
    bench_t *b = *state;
    s_begin(b);
    s_put(b, 0, "k", "1");
    s_put(b, 2, "c", "1");
    s_end(b, true);
    s_begin(b);
    s_put(b, 0, "k", "2");
    s_put(b, 0, "k", "3");
    assert_int_equal(index_batch_del(b->batch, b->txn, 2, "c", 1), 0);
    s_put(b, 1, "new", "n");
    assert_string_equal(s_get(b, 0, "k"), "3");
    assert_string_equal(s_get(b, 2, "c"), "");
    s_end(b, false);
    s_begin(b);
    assert_string_equal(s_get(b, 0, "k"), "1");
    assert_string_equal(s_get(b, 2, "c"), "1");
    assert_string_equal(s_get(b, 1, "new"), "");
    assert_int_equal(index_batch_waiting(b->batch), 2);
    assert_int_equal(s_entries(b, S_LOG), 2);
    s_end(b, true);
    /* And after a restart, from the log. */
    s_restart(b);
    s_begin(b);
    assert_string_equal(s_get(b, 0, "k"), "1");
    assert_string_equal(s_get(b, 1, "new"), "");
    s_end(b, true);
}

/*  A key written again while a sweep holds its earlier write: the tree
 *  ends with the later one, and a delete removes a key from its tree. */
static void test_a_later_write_wins_over_the_sweep(void **state)
{
    bench_t *b = *state;
    s_begin(b);
    s_put_many(b, 0, "k", 600, "old");
    s_end(b, true);
    assert_true(index_batch_sweeping(b->batch));
    /* The sweep writes 256 a turn, in key order: k599 is in its last slice. */
    s_begin(b);
    s_put(b, 0, "k599", "new");
    assert_int_equal(index_batch_del(b->batch, b->txn, 0, "k598", 4), 0);
    s_end(b, true);
    s_sweep_out(b);
    s_begin(b);
    /* The later writes wait for the next sweep; the earlier are skipped. */
    assert_string_equal(s_tree(b, 0, "k599"), "");
    assert_string_equal(s_tree(b, 0, "k597"), "old");
    assert_string_equal(s_get(b, 0, "k599"), "new");
    assert_string_equal(s_get(b, 0, "k598"), "");
    assert_string_equal(s_get(b, 0, "k000"), "old");
    s_end(b, true);
    /* The two later writes are still in the log: a restart keeps them. */
    s_restart(b);
    s_begin(b);
    assert_string_equal(s_get(b, 0, "k599"), "new");
    assert_string_equal(s_get(b, 0, "k598"), "");
    s_put_many(b, 1, "z", 200, "z");
    s_end(b, true);
    s_sweep_out(b);
    s_begin(b);
    assert_string_equal(s_tree(b, 0, "k599"), "new");
    assert_string_equal(s_tree(b, 0, "k598"), "");
    assert_int_equal(s_entries(b, 0), 599);
    s_end(b, true);
}

static void s_collect(const void *key, size_t len, void *arg)
{
    char *out = arg;
    strncat(out, key, len);
    strcat(out, " ");
}

/*  The keys under a prefix: the tree's, with the table's puts added and
 *  its deletes taken away, in key order, at most `max`. */
static void test_the_keys_under_a_prefix_merge_the_table_and_the_tree(void **state)
{
    bench_t *b = *state;
    s_begin(b);
    s_put(b, 2, "p|a", "");
    s_put(b, 2, "p|c", "");
    s_put(b, 2, "p|e", "");
    s_put(b, 2, "q|a", "");
    s_put_many(b, 1, "f", 8, "f");
    s_end(b, true);
    s_sweep_out(b);
    s_begin(b);
    assert_string_equal(s_tree(b, 2, "p|c"), "");
    s_put(b, 2, "p|b", "");
    s_put(b, 2, "p|f", "");
    assert_int_equal(index_batch_del(b->batch, b->txn, 2, "p|c", 3), 0);
    char out[128] = "";
    size_t count = 0;
    assert_int_equal(index_batch_each_prefix(b->batch, b->txn, 2, "p|", 2, 10, s_collect, out, &count), 0);
    assert_string_equal(out, "p|a p|b p|e p|f ");
    assert_int_equal(count, 4);
    out[0] = '\0';
    assert_int_equal(index_batch_each_prefix(b->batch, b->txn, 2, "p|", 2, 2, s_collect, out, &count), 0);
    assert_string_equal(out, "p|a p|b ");
    out[0] = '\0';
    assert_int_equal(index_batch_each_prefix(b->batch, b->txn, 2, "r|", 2, 10, s_collect, out, &count), 0);
    assert_string_equal(out, "");
    assert_int_equal(count, 0);
    s_end(b, true);
}

/*  Whether a value of the log holds `bytes`. */
static bool s_log_holds(bench_t *b, const char *bytes)
{
    MDB_cursor *cursor;
    assert_int_equal(mdb_cursor_open(b->txn, store_db(b->store, S_LOG), &cursor), 0);
    MDB_val key, value;
    bool found = false;
    for (int rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST); rc == 0 && !found;
         rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT))
        found = memmem(value.mv_data, value.mv_size, bytes, strlen(bytes)) != NULL;
    mdb_cursor_close(cursor);
    return found;
}

/*  A delete leaves nothing of the key in the store once it commits, where
 *  ever its put waited: in the table, written again, or in its tree while
 *  the sweep that wrote it has not cut the log yet. */
static void test_a_delete_leaves_nothing_behind(void **state)
{
    bench_t *b = *state;
    s_begin(b);
    s_put(b, 1, "47784864200013", "waits");
    s_put(b, 1, "35600000000048", "first");
    s_put(b, 1, "35600000000048", "again");
    assert_true(s_log_holds(b, "first") == false);  /* one log entry a key */
    s_end(b, true);
    s_begin(b);
    assert_int_equal(index_batch_del(b->batch, b->txn, 1, "47784864200013", 14), 0);
    assert_int_equal(index_batch_del(b->batch, b->txn, 1, "35600000000048", 14), 0);
    assert_int_equal(index_batch_del(b->batch, b->txn, 1, "00000000000000", 14), 0);  /* none: no error */
    s_end(b, true);
    s_begin(b);
    assert_false(s_log_holds(b, "47784864200013"));
    assert_false(s_log_holds(b, "35600000000048"));
    assert_string_equal(s_get(b, 1, "47784864200013"), "");
    /* Written by a sweep of 600, whose log is cut in its last slice. */
    s_put_many(b, 0, "k", 600, "v");
    s_end(b, true);
    s_begin(b);
    s_end(b, true);
    assert_true(index_batch_sweeping(b->batch));
    s_begin(b);
    assert_string_equal(s_tree(b, 0, "k000"), "v");
    assert_true(s_log_holds(b, "k000"));
    assert_int_equal(index_batch_del(b->batch, b->txn, 0, "k000", 4), 0);
    s_end(b, true);
    s_begin(b);
    assert_string_equal(s_tree(b, 0, "k000"), "");
    assert_false(s_log_holds(b, "k000"));
    assert_string_equal(s_get(b, 0, "k000"), "");
    s_end(b, true);
    s_sweep_out(b);
    s_begin(b);
    assert_string_equal(s_tree(b, 0, "k000"), "");
    assert_string_equal(s_tree(b, 0, "k001"), "v");
    s_end(b, true);
}

/*  A log entry that is not one (its tree's number out of range, its key
 *  longer than the value holds, too short for its head) stops the start
 *  with MDB_CORRUPTED, instead of loading what it would make of it. */
static void test_a_log_entry_that_is_not_one_stops_the_start(void **state)
{
    bench_t *b = *state;
    static const unsigned char bad[][6] = {{7, 1, 0, 'k', 'v', 0}, {0, 9, 0, 'k', 'v', 0}, {0, 0}};
    static const size_t sizes[] = {5, 5, 2};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        s_begin(b);
        unsigned char key[8];
        store_u64_key(1000 + i, key);
        MDB_val k = {sizeof key, key}, v = {sizes[i], (void *)bad[i]};
        assert_int_equal(mdb_put(b->txn, store_db(b->store, S_LOG), &k, &v, 0), 0);
        s_end(b, true);
        index_batch_destroy(&b->batch);
        assert_int_equal(s_start(b), MDB_CORRUPTED);
        s_begin(b);
        assert_int_equal(mdb_del(b->txn, store_db(b->store, S_LOG), &k, NULL), 0);
        s_end(b, true);
    }
    index_batch_destroy(&b->batch);
    assert_int_equal(s_start(b), 0);
}

/*  Keys LMDB would refuse are refused at the write, with nothing written. */
static void test_a_key_lmdb_refuses_is_refused(void **state)
{
    bench_t *b = *state;
    char big[600];
    memset(big, 'k', sizeof big);
    s_begin(b);
    assert_int_equal(index_batch_put(b->batch, b->txn, 0, "", 0, "v", 1), MDB_BAD_VALSIZE);
    assert_int_equal(index_batch_put(b->batch, b->txn, 0, big, sizeof big, "v", 1), MDB_BAD_VALSIZE);
    assert_int_equal(index_batch_put(b->batch, b->txn, 7, "k", 1, "v", 1), MDB_BAD_VALSIZE);
    assert_int_equal(index_batch_waiting(b->batch), 0);
    s_end(b, true);
    s_begin(b);
    assert_int_equal(s_entries(b, S_LOG), 0);
    s_end(b, true);
}

/*  Random writes, rollbacks and restarts against a model of what was
 *  committed: every key of every tree reads as the model says, at every
 *  step, and at the end the trees alone hold it all. */
#define S_KEYS 300
static void test_random_writes_read_as_committed(void **state)
{
    bench_t *b = *state;
    static char model[S_TREES][S_KEYS][8], shadow[S_TREES][S_KEYS][8];
    memset(model, 0, sizeof model);
    uint32_t seed = 12345;
    char key[16];
    for (int turn = 0; turn < 400; turn++) {
        memcpy(shadow, model, sizeof model);
        s_begin(b);
        int writes = (int)randombytes_uniform(60);
        for (int w = 0; w < writes; w++) {
            seed = seed * 1103515245u + 12345u;
            size_t db = (seed >> 8) % S_TREES, k = (seed >> 12) % S_KEYS;
            snprintf(key, sizeof key, "%05zu", k * 7919 % 100000);
            if ((seed >> 24) % 5 == 0) {
                assert_int_equal(index_batch_del(b->batch, b->txn, db, key, strlen(key)), 0);
                shadow[db][k][0] = '\0';
            } else {
                snprintf(shadow[db][k], sizeof shadow[db][k], "v%d", turn % 1000);
                s_put(b, db, key, shadow[db][k]);
            }
        }
        bool commit = randombytes_uniform(4) != 0;
        s_end(b, commit);
        if (commit)
            memcpy(model, shadow, sizeof model);
        if (randombytes_uniform(40) == 0)
            s_restart(b);
        s_begin(b);
        for (size_t db = 0; db < S_TREES; db++)
            for (size_t k = 0; k < S_KEYS; k += 13) {
                snprintf(key, sizeof key, "%05zu", k * 7919 % 100000);
                assert_string_equal(s_get(b, db, key), model[db][k]);
            }
        s_end(b, true);
    }
    /* Enough writes for a last sweep (4 for each leaf of the trees), then
     * the trees alone. */
    s_begin(b);
    s_put_many(b, 0, "end", 200, "e");
    s_end(b, true);
    s_sweep_out(b);
    s_begin(b);
    assert_int_equal(s_entries(b, S_LOG), 0);
    for (size_t db = 0; db < S_TREES; db++)
        for (size_t k = 0; k < S_KEYS; k++) {
            snprintf(key, sizeof key, "%05zu", k * 7919 % 100000);
            assert_string_equal(s_tree(b, db, key), model[db][k]);
        }
    s_end(b, true);
}

/*  A burst grows the table's buckets; once its sweep has taken its writes
 *  out, they come back to the table's first size, and what the burst
 *  wrote is read from the trees. */
static void test_the_buckets_of_a_burst_are_given_back(void **state)
{
    bench_t *b = *state;
    assert_int_equal(index_batch_buckets(b->batch), 1024);
    s_begin(b);
    for (int i = 0; i < 20000; i++) {
        char key[32];
        snprintf(key, sizeof key, "burst%05d", i);
        s_put(b, 0, key, "v");
    }
    s_end(b, true);
    assert_int_equal(index_batch_buckets(b->batch), 32768);
    assert_true(index_batch_sweeping(b->batch));
    s_sweep_out(b);
    assert_int_equal(index_batch_waiting(b->batch), 0);
    assert_int_equal(index_batch_buckets(b->batch), 1024);
    s_begin(b);
    assert_int_equal(s_entries(b, 0), 20000);
    assert_string_equal(s_get(b, 0, "burst19999"), "v");
    assert_string_equal(s_get(b, 0, "burst00000"), "v");
    s_end(b, true);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_write_is_read_before_and_after_its_sweep, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_rollback_leaves_the_table_as_it_was, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_later_write_wins_over_the_sweep, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_the_keys_under_a_prefix_merge_the_table_and_the_tree, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_a_delete_leaves_nothing_behind, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_log_entry_that_is_not_one_stops_the_start, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_key_lmdb_refuses_is_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_random_writes_read_as_committed, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_the_buckets_of_a_burst_are_given_back, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
