/* Unit tests of common/store and common/config: a real LMDB environment
 * that fills its map and grows, and the endpoints a stack derives from
 * ESSP_HOME and ESSP_PORT. */
#define _GNU_SOURCE  /* memmem */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/config.h"
#include "common/store.h"

static const char *const s_dbs[] = {"records", NULL};

static int s_put_many(store_t *store, int first, int count)
{
    MDB_txn *txn;
    int rc = store_begin(store, false, &txn);
    char value[4096];
    memset(value, 'x', sizeof value);
    for (int i = first; rc == 0 && i < first + count; i++) {
        char key[16];
        snprintf(key, sizeof key, "%08d", i);
        rc = store_put(txn, store_db(store, 0), key, 8, value, sizeof value);
    }
    if (rc == 0)
        return store_commit(store, txn);
    mdb_txn_abort(txn);
    return rc;
}

static void test_full_map_grows_and_the_batch_runs_again(void **state)
{
    char dir[] = "/tmp/essp-store-XXXXXX";
    assert_non_null(mkdtemp(dir));
    setenv("ESSP_MAP_MB", "1", 1);
    store_t *store = store_new(dir, s_dbs);
    unsetenv("ESSP_MAP_MB");
    assert_non_null(store);
    /* 1000 values of 4 KiB do not fit in a 1 MiB map. */
    int rc = s_put_many(store, 0, 1000);
    assert_int_equal(rc, MDB_MAP_FULL);
    int grown = 0;
    while (rc == MDB_MAP_FULL && grown < 8) {
        assert_int_equal(store_grow(store), 0);
        grown++;
        rc = s_put_many(store, 0, 1000);
    }
    assert_int_equal(rc, 0);
    assert_true(grown >= 2);
    MDB_txn *txn;
    assert_int_equal(store_begin(store, true, &txn), 0);
    MDB_stat stat;
    assert_int_equal(mdb_stat(txn, store_db(store, 0), &stat), 0);
    assert_int_equal(stat.ms_entries, 1000);
    mdb_txn_abort(txn);
    store_destroy(&store);
    assert_null(store);
    char command[64];
    snprintf(command, sizeof command, "rm -rf %s", dir);
    assert_int_equal(system(command), 0);
}

static bool s_file_holds(const char *dir, const char *needle)
{
    char path[128];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    FILE *file = fopen(path, "rb");
    assert_non_null(file);
    static char raw[8 << 20];
    size_t size = fread(raw, 1, sizeof raw, file);
    fclose(file);
    return memmem(raw, size, needle, strlen(needle)) != NULL;
}

static void test_space_counts_the_pages_the_map_and_the_disk(void **state)
{
    (void)state;
    char dir[] = "/tmp/essp-store-XXXXXX";
    assert_non_null(mkdtemp(dir));
    setenv("ESSP_MAP_MB", "4", 1);
    store_t *store = store_new(dir, s_dbs);
    unsetenv("ESSP_MAP_MB");
    assert_non_null(store);
    store_space_t before, after;
    assert_int_equal(store_space(store, &before), 0);
    assert_int_equal(before.map_size, 4u << 20);
    assert_int_equal(before.next_growth, 4u << 20);
    assert_true(before.disk_total > 0);
    assert_true(before.disk_free <= before.disk_total);
    /* 100 values of 4 KiB take at least 100 overflow pages more. */
    assert_int_equal(s_put_many(store, 0, 100), 0);
    assert_int_equal(store_space(store, &after), 0);
    assert_true(after.used >= before.used + 100 * 4096);
    assert_true(after.used <= after.map_size);
    assert_int_equal(store_grow(store), 0);
    assert_int_equal(store_space(store, &after), 0);
    assert_int_equal(after.map_size, 8u << 20);
    assert_int_equal(after.next_growth, 8u << 20);
    store_destroy(&store);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_compaction_drops_deleted_bytes_and_keeps_the_rest(void **state)
{
    (void)state;
    static const char *const dbs[] = {"people", "records", NULL};
    char dir[] = "/tmp/essp-store-XXXXXX";
    assert_non_null(mkdtemp(dir));
    store_t *store = store_new(dir, dbs);
    assert_non_null(store);
    MDB_dbi people = store_db(store, 0), records = store_db(store, 1);
    assert_int_equal(s_put_many(store, 0, 50), 0);   /* into "people": index 0 */
    MDB_txn *txn;
    assert_int_equal(store_begin(store, false, &txn), 0);
    assert_int_equal(store_put(txn, records, "kept", 4, "Jeanne Kept", 11), 0);
    assert_int_equal(store_put(txn, people, "gone", 4, "Gwenaelle Erased", 16), 0);
    assert_int_equal(store_commit(store, txn), 0);
    assert_int_equal(store_begin(store, false, &txn), 0);
    MDB_val key = {4, "gone"};
    assert_int_equal(mdb_del(txn, people, &key, NULL), 0);
    assert_int_equal(store_commit(store, txn), 0);
    /* Deleted, yet its bytes are still in a freed page. */
    assert_true(s_file_holds(dir, "Gwenaelle Erased"));

    assert_int_equal(store_compact(&store, dir, dbs), 0);
    assert_non_null(store);
    assert_false(s_file_holds(dir, "Gwenaelle Erased"));
    assert_true(s_file_holds(dir, "Jeanne Kept"));
    assert_int_equal(store_db(store, 0), people);
    assert_int_equal(store_db(store, 1), records);
    assert_int_equal(store_begin(store, true, &txn), 0);
    MDB_stat stat;
    assert_int_equal(mdb_stat(txn, people, &stat), 0);
    assert_int_equal(stat.ms_entries, 50);
    MDB_val kept_key = {4, "kept"}, value;
    assert_int_equal(mdb_get(txn, records, &kept_key, &value), 0);
    assert_int_equal(value.mv_size, 11);
    mdb_txn_abort(txn);
    /* The store goes on taking writes. */
    assert_int_equal(s_put_many(store, 50, 10), 0);
    store_destroy(&store);
    char command[64];
    snprintf(command, sizeof command, "rm -rf %s", dir);
    assert_int_equal(system(command), 0);
}

/*  Leaf pages of `count` values of 1,900 bytes put in key order, with
 *  store_put_ordered or store_put. */
static size_t s_leaves_in_order(const char *dir, bool ordered, int count)
{
    store_t *store = store_new(dir, s_dbs);
    assert_non_null(store);
    char value[1900];
    memset(value, 'v', sizeof value);
    MDB_txn *txn;
    assert_int_equal(store_begin(store, false, &txn), 0);
    for (int i = 0; i < count; i++) {
        char key[16];
        snprintf(key, sizeof key, "%08d", i);
        int rc = ordered ? store_put_ordered(txn, store_db(store, 0), key, 8, value, sizeof value)
                         : store_put(txn, store_db(store, 0), key, 8, value, sizeof value);
        assert_int_equal(rc, 0);
    }
    MDB_stat stat;
    assert_int_equal(mdb_stat(txn, store_db(store, 0), &stat), 0);
    assert_int_equal(stat.ms_entries, (size_t)count);
    assert_int_equal(store_commit(store, txn), 0);
    store_destroy(&store);
    return stat.ms_leaf_pages;
}

/*  Keys in order fill their pages (two 1,900-byte values a page) where
 *  the middle split of a plain put leaves one a page; a key that is not
 *  last, or is the last one again, is stored as a plain put stores it. */
static void test_ordered_puts_fill_pages_and_take_any_key(void **state)
{
    char plain[] = "/tmp/essp-store-XXXXXX", ordered[] = "/tmp/essp-store-XXXXXX";
    assert_non_null(mkdtemp(plain));
    assert_non_null(mkdtemp(ordered));
    size_t split = s_leaves_in_order(plain, false, 200);
    size_t filled = s_leaves_in_order(ordered, true, 200);
    assert_int_equal(filled, 100);
    assert_true(split >= 190);
    store_t *store = store_new(ordered, s_dbs);
    MDB_txn *txn;
    assert_int_equal(store_begin(store, false, &txn), 0);
    MDB_dbi db = store_db(store, 0);
    assert_int_equal(store_put_ordered(txn, db, "00000050", 8, "middle", 6), 0);
    assert_int_equal(store_put_ordered(txn, db, "00000199", 8, "last", 4), 0);
    assert_int_equal(store_put_ordered(txn, db, "0000000", 7, "first", 5), 0);
    const struct {
        const char *key, *value;
    } expected[] = {{"00000050", "middle"}, {"00000199", "last"}, {"0000000", "first"}};
    for (size_t i = 0; i < 3; i++) {
        MDB_val k = {strlen(expected[i].key), (void *)expected[i].key}, v;
        assert_int_equal(mdb_get(txn, db, &k, &v), 0);
        assert_int_equal(v.mv_size, strlen(expected[i].value));
        assert_memory_equal(v.mv_data, expected[i].value, v.mv_size);
    }
    MDB_stat stat;
    assert_int_equal(mdb_stat(txn, db, &stat), 0);
    assert_int_equal(stat.ms_entries, 201);
    mdb_txn_abort(txn);
    store_destroy(&store);
    char command[96];
    snprintf(command, sizeof command, "rm -rf %s %s", plain, ordered);
    assert_int_equal(system(command), 0);
}

static void test_u64_keys_sort_numerically(void **state)
{
    unsigned char a[8], b[8];
    store_u64_key(255, a);
    store_u64_key(256, b);
    assert_true(memcmp(a, b, 8) < 0);
    assert_int_equal(store_u64_from_key(b), 256);
    store_u64_key(UINT64_MAX, a);
    assert_true(store_u64_from_key(a) == UINT64_MAX);
}

/*  The last u64 key of a tree: 0 when the tree is empty, the largest
 *  number when every key is one, and MDB_CORRUPTED (never a number made
 *  up from other bytes) when the last key is not 8 bytes long: a counter
 *  resumed from a broken tree would reuse the numbers already given. */
static void test_last_u64_key_reads_numbers_and_refuses_other_keys(void **state)
{
    char dir[] = "/tmp/essp-store-XXXXXX";
    assert_non_null(mkdtemp(dir));
    store_t *store = store_new(dir, s_dbs);
    assert_non_null(store);
    MDB_txn *txn;
    assert_int_equal(store_begin(store, false, &txn), 0);
    MDB_dbi db = store_db(store, 0);
    uint64_t last = 99;
    assert_int_equal(store_last_u64_key(txn, db, &last), 0);
    assert_int_equal(last, 0);
    unsigned char key[8];
    const uint64_t numbers[] = {7, 256, 3};
    for (size_t i = 0; i < 3; i++) {
        store_u64_key(numbers[i], key);
        assert_int_equal(store_put(txn, db, key, sizeof key, "r", 1), 0);
    }
    assert_int_equal(store_last_u64_key(txn, db, &last), 0);
    assert_int_equal(last, 256);
    /* Nine bytes sort after every 8-byte key that shares their first eight. */
    unsigned char longer[9] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    assert_int_equal(store_put(txn, db, longer, sizeof longer, "x", 1), 0);
    assert_int_equal(store_last_u64_key(txn, db, &last), MDB_CORRUPTED);
    assert_int_equal(last, 0);
    mdb_txn_abort(txn);
    store_destroy(&store);
    char command[64];
    snprintf(command, sizeof command, "rm -rf %s", dir);
    assert_int_equal(system(command), 0);
}

static void test_endpoints_follow_home_and_port(void **state)
{
    char endpoint[CONFIG_ENDPOINT_MAX];
    setenv("ESSP_PORT", "8100", 1);
    unsetenv("ESSP_REVIEW_ENDPOINT");
    unsetenv("ESSP_BIND");
    config_connect_endpoint(SERVICE_REVIEW, endpoint, sizeof endpoint);
    assert_string_equal(endpoint, "tcp://127.0.0.1:8102");
    config_bind_endpoint(SERVICE_PUBLICATION, endpoint, sizeof endpoint);
    assert_string_equal(endpoint, "tcp://127.0.0.1:8103");
    setenv("ESSP_REVIEW_ENDPOINT", "tcp://10.0.0.2:7702", 1);
    config_connect_endpoint(SERVICE_REVIEW, endpoint, sizeof endpoint);
    assert_string_equal(endpoint, "tcp://10.0.0.2:7702");
    setenv("ESSP_PORT", "http", 1);
    assert_int_equal(config_base_port(), -1);
    unsetenv("ESSP_PORT");
    assert_int_equal(config_base_port(), 7700);
    setenv("ESSP_HOME", "/srv/essp", 1);
    char path[CONFIG_PATH_MAX];
    config_path("run", path, sizeof path);
    assert_string_equal(path, "/srv/essp/run");
    assert_int_equal(config_service_by_name("validation"), SERVICE_VALIDATION);
    assert_int_equal(config_service_by_name("nope"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_map_grows_and_the_batch_runs_again),
        cmocka_unit_test(test_space_counts_the_pages_the_map_and_the_disk),
        cmocka_unit_test(test_compaction_drops_deleted_bytes_and_keeps_the_rest),
        cmocka_unit_test(test_ordered_puts_fill_pages_and_take_any_key),
        cmocka_unit_test(test_u64_keys_sort_numerically),
        cmocka_unit_test(test_last_u64_key_reads_numbers_and_refuses_other_keys),
        cmocka_unit_test(test_endpoints_follow_home_and_port),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
