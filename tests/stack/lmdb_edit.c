/*  lmdb_edit: what an intruder with write access to a data directory can
 *  do, for the tests that must detect it.  One named database of an LMDB
 *  environment, keys and values in hex:
 *    lmdb_edit DIR DB list             one "KEY VALUE" line per record
 *    lmdb_edit DIR DB put KEY VALUE    stores (replaces) one record
 *    lmdb_edit DIR DB del KEY          removes one record
 *    lmdb_edit DIR DB hold             takes the write lock, says "held",
 *                                      and keeps it until a line or the end
 *                                      of its input: the service's writer
 *                                      waits meanwhile, as behind a disk
 *                                      that does not answer
 *  (mdb_dump and mdb_load from lmdb-utils can change a value but not
 *  remove one.)  Run it only while the service that owns DIR is stopped,
 *  except hold, which is meant for a running one. */
#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void s_print_hex(const MDB_val *val)
{
    for (size_t i = 0; i < val->mv_size; i++)
        printf("%02x", ((const unsigned char *)val->mv_data)[i]);
}

/*  Decodes hex into a malloc'd buffer; NULL when it is not hex. */
static unsigned char *s_from_hex(const char *hex, size_t *len)
{
    size_t n = strlen(hex);
    if (n % 2)
        return NULL;
    unsigned char *bytes = malloc(n / 2 + 1);
    for (size_t i = 0; i < n / 2; i++) {
        unsigned int byte;
        if (sscanf(hex + 2 * i, "%2x", &byte) != 1) {
            free(bytes);
            return NULL;
        }
        bytes[i] = (unsigned char)byte;
    }
    *len = n / 2;
    return bytes;
}

static int s_list(MDB_txn *txn, MDB_dbi dbi)
{
    MDB_cursor *cursor;
    MDB_val key, value;
    int rc = mdb_cursor_open(txn, dbi, &cursor);
    for (rc = rc ? rc : mdb_cursor_get(cursor, &key, &value, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)) {
        s_print_hex(&key);
        printf(" ");
        s_print_hex(&value);
        printf("\n");
    }
    mdb_cursor_close(cursor);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int main(int argc, char **argv)
{
    if (argc < 4 || (strcmp(argv[3], "put") == 0 && argc != 6) || (strcmp(argv[3], "del") == 0 && argc != 5)) {
        fprintf(stderr, "usage: lmdb_edit DIR DB list | put KEY VALUE | del KEY | hold\n");
        return 2;
    }
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    int rc = mdb_env_create(&env);
    if (!rc)
        rc = mdb_env_set_maxdbs(env, 32);
    if (!rc)
        rc = mdb_env_open(env, argv[1], 0, 0600);
    if (!rc)
        rc = mdb_txn_begin(env, NULL, 0, &txn);
    if (rc) {
        fprintf(stderr, "lmdb_edit: %s: %s\n", argv[1], mdb_strerror(rc));
        return 1;
    }
    rc = mdb_dbi_open(txn, argv[2], 0, &dbi);
    size_t key_len = 0, value_len = 0;
    unsigned char *key = argc > 4 ? s_from_hex(argv[4], &key_len) : NULL;
    unsigned char *value = argc > 5 ? s_from_hex(argv[5], &value_len) : NULL;
    if (!rc && strcmp(argv[3], "list") == 0) {
        rc = s_list(txn, dbi);
    } else if (!rc && strcmp(argv[3], "hold") == 0) {
        printf("held\n");
        fflush(stdout);
        char line[16];
        (void) !fgets(line, sizeof line, stdin);
        mdb_txn_abort(txn);
        mdb_env_close(env);
        return 0;
    } else if (!rc && key && strcmp(argv[3], "del") == 0) {
        MDB_val k = {key_len, key};
        rc = mdb_del(txn, dbi, &k, NULL);
    } else if (!rc && key && value && strcmp(argv[3], "put") == 0) {
        MDB_val k = {key_len, key}, v = {value_len, value};
        rc = mdb_put(txn, dbi, &k, &v, 0);
    } else if (!rc) {
        rc = EINVAL;
    }
    rc = rc ? (mdb_txn_abort(txn), rc) : mdb_txn_commit(txn);
    free(key);
    free(value);
    mdb_env_close(env);
    if (rc) {
        fprintf(stderr, "lmdb_edit: %s\n", mdb_strerror(rc));
        return 1;
    }
    return 0;
}
