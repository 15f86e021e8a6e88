/* Unit tests of common/store's error paths, with its fault hook
 * (ESSP_STORE_FAULTS, the essp_common_faults library): every way a
 * compaction fails, every way opening a store fails, a map that cannot
 * grow, and the small readers on damaged records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/store.h"
#include "proto/messages.h"

static const char *const s_dbs[] = {"records", NULL};

typedef struct {
    char dir[64];
    store_t *store;
} fixture_t;

static int s_setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/essp-faults-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->store = store_new(f->dir, s_dbs);
    assert_non_null(f->store);
    store_fault_clear();
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    fixture_t *f = *state;
    store_fault_clear();
    store_destroy(&f->store);
    char command[128];
    snprintf(command, sizeof command, "rm -rf %s", f->dir);
    assert_int_equal(system(command), 0);
    free(f);
    return 0;
}

static int s_put(store_t *store, const char *key, const char *value)
{
    MDB_txn *txn;
    int rc = store_begin(store, false, &txn);
    if (rc)
        return rc;
    rc = store_put(txn, store_db(store, 0), key, strlen(key), value, strlen(value));
    if (rc) {
        mdb_txn_abort(txn);
        return rc;
    }
    return store_commit(store, txn);
}

static bool s_has(store_t *store, const char *key)
{
    MDB_txn *txn;
    assert_int_equal(store_begin(store, true, &txn), 0);
    MDB_val k = {strlen(key), (void *)key}, v;
    int rc = mdb_get(txn, store_db(store, 0), &k, &v);
    mdb_txn_abort(txn);
    return rc == 0;
}

static void test_the_hook_fails_the_nth_call(void **state)
{
    fixture_t *f = *state;
    /* The second put, once. */
    store_fault_set(STORE_FAULT_PUT, 2, 1, MDB_MAP_FULL);
    assert_int_equal(s_put(f->store, "a", "1"), 0);
    assert_int_equal(s_put(f->store, "b", "2"), MDB_MAP_FULL);
    assert_int_equal(s_put(f->store, "c", "3"), 0);
    assert_int_equal(store_fault_calls(STORE_FAULT_PUT), 3);
    /* A commit that fails leaves nothing behind. */
    store_fault_set(STORE_FAULT_COMMIT, 1, 1, MDB_PANIC);
    assert_int_equal(s_put(f->store, "d", "4"), MDB_PANIC);
    assert_false(s_has(f->store, "d"));
    /* A transaction that cannot begin. */
    store_fault_set(STORE_FAULT_BEGIN, 1, 2, MDB_READERS_FULL);
    MDB_txn *txn = (MDB_txn *)&txn;
    assert_int_equal(store_begin(f->store, true, &txn), MDB_READERS_FULL);
    assert_null(txn);
    /* store_put_u64 goes through the hook too. */
    store_fault_clear();
    store_fault_set(STORE_FAULT_PUT, 1, 1, MDB_TXN_FULL);
    assert_int_equal(store_begin(f->store, false, &txn), 0);
    assert_int_equal(store_put_u64(txn, store_db(f->store, 0), "n", 7), MDB_TXN_FULL);
    mdb_txn_abort(txn);
    assert_true(s_has(f->store, "a"));
    assert_false(s_has(f->store, "b"));
    assert_true(s_has(f->store, "c"));
    assert_non_null(store_env(f->store));
}

static void test_a_compaction_that_cannot_start_leaves_the_store(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(s_put(f->store, "kept", "yes"), 0);
    /* No room for its working directory. */
    assert_int_equal(store_compact(&f->store, "/nonexistent/essp", s_dbs), -1);
    assert_non_null(f->store);
    /* A file where the working directory goes: the copy fails. */
    char tmp[128];
    snprintf(tmp, sizeof tmp, "%s/compacting", f->dir);
    FILE *file = fopen(tmp, "w");
    assert_non_null(file);
    fclose(file);
    assert_int_equal(store_compact(&f->store, f->dir, s_dbs), -1);
    assert_non_null(f->store);
    unlink(tmp);
    /* The copy fails. */
    store_fault_set(STORE_FAULT_COPY, 1, 1, ENOSPC);
    assert_int_equal(store_compact(&f->store, f->dir, s_dbs), -1);
    assert_non_null(f->store);
    assert_true(s_has(f->store, "kept"));
    struct stat st;
    assert_int_not_equal(stat(tmp, &st), 0);   /* its working directory gone */
}

static void test_a_copy_that_does_not_replace_the_file_reopens_the_old_one(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(s_put(f->store, "kept", "yes"), 0);
    /* The copy cannot reach the disk: the old file stays, reopened. */
    store_fault_set(STORE_FAULT_SYNC, 1, 1, EIO);
    assert_int_equal(store_compact(&f->store, f->dir, s_dbs), -1);
    assert_non_null(f->store);
    assert_true(s_has(f->store, "kept"));
    /* The rename fails. */
    store_fault_set(STORE_FAULT_RENAME, 1, 1, EXDEV);
    assert_int_equal(store_compact(&f->store, f->dir, s_dbs), -1);
    assert_non_null(f->store);
    assert_true(s_has(f->store, "kept"));
    assert_int_equal(s_put(f->store, "after", "yes"), 0);
    /* And then one that works. */
    assert_int_equal(store_compact(&f->store, f->dir, s_dbs), 0);
    assert_true(s_has(f->store, "after"));
}

static void test_a_store_that_cannot_be_reopened_is_gone(void **state)
{
    fixture_t *f = *state;
    /* Reopening fails: the caller is told, and holds no store. */
    store_fault_set(STORE_FAULT_OPEN, 1, 1, MDB_PANIC);
    assert_int_equal(store_compact(&f->store, f->dir, s_dbs), -1);
    assert_null(f->store);
    store_fault_clear();
    f->store = store_new(f->dir, s_dbs);
    assert_non_null(f->store);
    /* Reopened with other databases, the handles would change. */
    static const char *const more[] = {"other", "records", NULL};
    assert_int_equal(store_compact(&f->store, f->dir, more), -1);
    assert_null(f->store);
    f->store = store_new(f->dir, s_dbs);
    assert_non_null(f->store);
}

static void test_a_store_that_cannot_open(void **state)
{
    fixture_t *f = *state;
    char path[128];
    /* Its directory under a file. */
    snprintf(path, sizeof path, "%s/file", f->dir);
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fclose(file);
    snprintf(path, sizeof path, "%s/file/store", f->dir);
    assert_null(store_new(path, s_dbs));
    /* A directory where LMDB's data file goes. */
    snprintf(path, sizeof path, "%s/odd", f->dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/odd/data.mdb", f->dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/odd", f->dir);
    assert_null(store_new(path, s_dbs));
    /* A name the main database holds as a plain key, not a database. */
    snprintf(path, sizeof path, "%s/plain", f->dir);
    assert_int_equal(mkdir(path, 0700), 0);
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi main_db;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_open(env, path, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, NULL, 0, &main_db), 0);
    MDB_val key = {7, "records"}, value = {5, "plain"};
    assert_int_equal(mdb_put(txn, main_db, &key, &value, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    assert_null(store_new(path, s_dbs));
    /* Without durability (ESSP_DURABLE=0) it opens, and works. */
    setenv("ESSP_DURABLE", "0", 1);
    snprintf(path, sizeof path, "%s/fast", f->dir);
    store_t *fast = store_new(path, s_dbs);
    unsetenv("ESSP_DURABLE");
    assert_non_null(fast);
    assert_int_equal(s_put(fast, "k", "v"), 0);
    store_destroy(&fast);
}

static void test_the_map_cannot_grow_under_a_transaction(void **state)
{
    fixture_t *f = *state;
    MDB_txn *txn;
    assert_int_equal(store_begin(f->store, false, &txn), 0);
    assert_int_not_equal(store_grow(f->store), 0);
    mdb_txn_abort(txn);
    assert_int_equal(store_grow(f->store), 0);
}

static void test_readers_of_damaged_records(void **state)
{
    fixture_t *f = *state;
    MDB_txn *txn;
    MDB_dbi db = store_db(f->store, 0);
    assert_int_equal(store_begin(f->store, false, &txn), 0);
    assert_int_equal(store_put(txn, db, "short", 5, "abc", 3), 0);
    assert_int_equal(store_put(txn, db, "garbage", 7, "\xc1", 1), 0);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    proto_pack_kv_str(&pk, "name", "Jeanne");
    assert_int_equal(store_put(txn, db, "doc", 3, buf.data, buf.size), 0);
    msgpack_sbuffer_destroy(&buf);
    assert_int_equal(store_put_u64(txn, db, "count", 42), 0);
    assert_int_equal(store_commit(f->store, txn), 0);

    assert_int_equal(store_begin(f->store, true, &txn), 0);
    uint64_t value = 0;
    assert_int_equal(store_get_u64(txn, db, "count", &value), 0);
    assert_int_equal(value, 42);
    assert_int_equal(store_get_u64(txn, db, "short", &value), MDB_CORRUPTED);
    assert_int_equal(store_get_u64(txn, db, "missing", &value), MDB_NOTFOUND);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object doc;
    assert_int_equal(store_get_doc(txn, db, "doc", 3, &zone, &doc), 0);
    assert_int_equal(doc.type, MSGPACK_OBJECT_MAP);
    assert_int_equal(store_get_doc(txn, db, "garbage", 7, &zone, &doc), MDB_CORRUPTED);
    assert_int_equal(store_get_doc(txn, db, "none", 4, &zone, &doc), MDB_NOTFOUND);
    msgpack_zone_destroy(&zone);

    /* Paging: keys are count, doc, garbage, short. */
    MDB_cursor *cursor;
    assert_int_equal(mdb_cursor_open(txn, db, &cursor), 0);
    MDB_val key, data;
    assert_int_equal(store_seek_after(cursor, NULL, 0, &key, &data), 0);
    assert_int_equal(key.mv_size, 5);
    assert_memory_equal(key.mv_data, "count", 5);
    assert_int_equal(store_seek_after(cursor, "count", 5, &key, &data), 0);
    assert_memory_equal(key.mv_data, "doc", 3);
    /* A key that is gone: the next one after where it was. */
    assert_int_equal(store_seek_after(cursor, "e", 1, &key, &data), 0);
    assert_memory_equal(key.mv_data, "garbage", 7);
    assert_int_equal(store_seek_after(cursor, "short", 5, &key, &data), MDB_NOTFOUND);
    mdb_cursor_close(cursor);
    mdb_txn_abort(txn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_the_hook_fails_the_nth_call, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_compaction_that_cannot_start_leaves_the_store, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_copy_that_does_not_replace_the_file_reopens_the_old_one, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_a_store_that_cannot_be_reopened_is_gone, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_store_that_cannot_open, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_the_map_cannot_grow_under_a_transaction, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_readers_of_damaged_records, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
