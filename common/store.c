/*  common/store.c - see store.h. */
#include "store.h"

#include "config.h"
#include "log.h"
#include "proto/wire.h"

#include <assert.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#ifdef ESSP_STORE_FAULTS
#include <pthread.h>

/* ------------------------------------------------ fault hook (tests only) */

static pthread_mutex_t s_fault_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    unsigned calls, nth, times;
    int code;
} s_faults[STORE_FAULT_POINTS];

void store_fault_set(store_fault_t point, unsigned nth, unsigned times, int code)
{
    assert(point < STORE_FAULT_POINTS);
    pthread_mutex_lock(&s_fault_lock);
    s_faults[point].calls = 0;
    s_faults[point].nth = nth;
    s_faults[point].times = times;
    s_faults[point].code = code;
    pthread_mutex_unlock(&s_fault_lock);
}

void store_fault_clear(void)
{
    pthread_mutex_lock(&s_fault_lock);
    memset(s_faults, 0, sizeof s_faults);
    pthread_mutex_unlock(&s_fault_lock);
}

unsigned store_fault_calls(store_fault_t point)
{
    pthread_mutex_lock(&s_fault_lock);
    unsigned calls = s_faults[point].calls;
    pthread_mutex_unlock(&s_fault_lock);
    return calls;
}

/*  The code this call at `point` must fail with, or 0. */
static int s_fault(store_fault_t point)
{
    pthread_mutex_lock(&s_fault_lock);
    unsigned call = ++s_faults[point].calls;
    int code = s_faults[point].nth && call >= s_faults[point].nth
                   && call - s_faults[point].nth < s_faults[point].times
               ? s_faults[point].code
               : 0;
    pthread_mutex_unlock(&s_fault_lock);
    return code;
}
#else
/* Production builds: no hook, nothing to test at run time. */
#define s_fault(point) 0
#endif

struct store_t {
    MDB_env *env;
    size_t map_size;
    size_t db_count;
    MDB_dbi dbs[STORE_DBS_MAX];
};

static int s_open_dbs(store_t *self, const char *const *names)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(self->env, NULL, 0, &txn);
    if (rc)
        return rc;
    for (self->db_count = 0; names[self->db_count]; self->db_count++) {
        assert(self->db_count < STORE_DBS_MAX);
        rc = mdb_dbi_open(txn, names[self->db_count], MDB_CREATE, &self->dbs[self->db_count]);
        if (rc) {
            mdb_txn_abort(txn);
            return rc;
        }
    }
    return mdb_txn_commit(txn);
}

/*  Opens the environment of self (map_size set) in dir and the databases
 *  names; 0 or a code (logged). */
static int s_open(store_t *self, const char *dir, const char *const *names)
{
    unsigned flags = MDB_NOTLS;
    if (config_env_long("ESSP_DURABLE", 1, 0, 1) == 0)
        flags |= MDB_NOSYNC;
    int rc = config_mkdirs(dir) ? -1 : s_fault(STORE_FAULT_OPEN);
    if (!rc)
        rc = mdb_env_create(&self->env);
    if (!rc)
        rc = mdb_env_set_maxdbs(self->env, STORE_DBS_MAX);
    if (!rc)
        rc = mdb_env_set_mapsize(self->env, self->map_size);
    if (!rc)
        rc = mdb_env_open(self->env, dir, flags, 0600);
    if (!rc) {
        int dead = 0;
        mdb_reader_check(self->env, &dead);
        if (dead)
            log_warn("cleared %d stale LMDB reader slot(s) in %s", dead, dir);
        rc = s_open_dbs(self, names);
    }
    if (rc)
        log_error("cannot open LMDB store %s: %s", dir, rc > 0 || rc < -1 ? mdb_strerror(rc) : "mkdir failed");
    return rc;
}

store_t *store_new(const char *dir, const char *const *names)
{
    store_t *self = calloc(1, sizeof *self);
    assert(self);
    /* The map only reserves address space: pages are used as data grows. */
    self->map_size = (size_t)config_env_long("ESSP_MAP_MB", 1024, 1, 1 << 20) << 20;
    if (s_open(self, dir, names) != 0)
        store_destroy(&self);
    return self;
}

void store_destroy(store_t **self_p)
{
    assert(self_p);
    store_t *self = *self_p;
    if (!self)
        return;
    if (self->env)
        mdb_env_close(self->env);
    free(self);
    *self_p = NULL;
}

MDB_dbi store_db(store_t *self, size_t index)
{
    assert(index < self->db_count);
    return self->dbs[index];
}

MDB_env *store_env(store_t *self)
{
    return self->env;
}

int store_begin(store_t *self, bool rdonly, MDB_txn **txn)
{
    int fault = s_fault(STORE_FAULT_BEGIN);
    if (fault) {
        *txn = NULL;
        return fault;
    }
    return mdb_txn_begin(self->env, NULL, rdonly ? MDB_RDONLY : 0, txn);
}

int store_commit(store_t *self, MDB_txn *txn)
{
    (void)self;
    int fault = s_fault(STORE_FAULT_COMMIT);
    if (fault) {
        mdb_txn_abort(txn);
        return fault;
    }
    return mdb_txn_commit(txn);
}

int store_grow(store_t *self)
{
    size_t grown = self->map_size * 2;
    int rc = mdb_env_set_mapsize(self->env, grown);
    if (rc == 0) {
        log_info("LMDB map grown to %zu MiB", grown >> 20);
        self->map_size = grown;
    }
    return rc;
}

int store_space(const store_t *self, store_space_t *out)
{
    assert(self && out);
    memset(out, 0, sizeof *out);
    MDB_envinfo info;
    MDB_stat stat;
    const char *dir = NULL;
    int rc = mdb_env_info(self->env, &info);
    if (!rc)
        rc = mdb_env_stat(self->env, &stat);
    if (!rc)
        rc = mdb_env_get_path(self->env, &dir);
    if (rc)
        return rc;
    out->map_size = info.me_mapsize;
    out->used = ((uint64_t)info.me_last_pgno + 1) * stat.ms_psize;
    /* store_grow doubles the map: the next growth is the map's size. */
    out->next_growth = info.me_mapsize;
    struct statvfs fs;
    if (statvfs(dir, &fs) != 0)
        return -1;
    out->disk_free = (uint64_t)fs.f_bavail * fs.f_frsize;
    out->disk_total = (uint64_t)fs.f_blocks * fs.f_frsize;
    return 0;
}

int store_backup(store_t *self, const char *dir)
{
    int fault = s_fault(STORE_FAULT_COPY);
    if (fault)
        return fault;
    return mdb_env_copy2(self->env, dir, MDB_CP_COMPACT);
}

static long s_file_kib(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)(st.st_size >> 10) : -1;
}

static void s_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int store_compact(store_t **self_p, const char *dir, const char *const *names)
{
    store_t *self = *self_p;
    char tmp[CONFIG_PATH_MAX + 16], copy[CONFIG_PATH_MAX + 32], data[CONFIG_PATH_MAX + 16];
    snprintf(tmp, sizeof tmp, "%s/compacting", dir);
    snprintf(copy, sizeof copy, "%s/data.mdb", tmp);
    snprintf(data, sizeof data, "%s/data.mdb", dir);
    unlink(copy);   /* what an interrupted compaction left */
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST) {
        log_error("compaction: cannot create %s: %s", tmp, strerror(errno));
        return -1;
    }
    long before = s_file_kib(data);
    int rc = store_backup(self, tmp);
    if (rc) {
        log_error("compaction of %s failed (%s): deleted bytes stay in free pages until the next one", dir,
                  mdb_strerror(rc));
        unlink(copy);
        rmdir(tmp);
        return -1;
    }
    /* The copy reaches the disk before it replaces the file. */
    int fd = open(copy, O_RDONLY);
    int fault = s_fault(STORE_FAULT_SYNC);
    bool synced = fd >= 0 && !fault && fsync(fd) == 0;
    if (fd >= 0)
        close(fd);
    MDB_dbi handles[STORE_DBS_MAX];
    size_t count = self->db_count;
    memcpy(handles, self->dbs, sizeof handles);
    store_destroy(self_p);
    if (!fault)
        fault = s_fault(STORE_FAULT_RENAME);
    bool replaced = synced && !fault && rename(copy, data) == 0;
    if (!replaced) {
        log_error("compaction: cannot replace %s: %s", data, strerror(fault ? fault : errno));
        unlink(copy);
    }
    rmdir(tmp);
    s_sync_dir(dir);
    *self_p = store_new(dir, names);
    if (!*self_p)
        return -1;
    /* LMDB numbers databases in the order they are opened: same names,
     * same order, same handles, which callers may hold. */
    if ((*self_p)->db_count != count || memcmp((*self_p)->dbs, handles, count * sizeof *handles) != 0) {
        log_error("compaction: database handles changed on reopening %s", dir);
        store_destroy(self_p);
        return -1;
    }
    if (!replaced)
        return -1;
    log_info("compacted %s: %ld KiB -> %ld KiB", dir, before, s_file_kib(data));
    return 0;
}

int store_seek_after(MDB_cursor *cursor, const void *after, size_t len, MDB_val *key, MDB_val *value)
{
    if (!after || len == 0)
        return mdb_cursor_get(cursor, key, value, MDB_FIRST);
    key->mv_size = len;
    key->mv_data = (void *)after;
    int rc = mdb_cursor_get(cursor, key, value, MDB_SET_RANGE);
    if (rc == 0 && key->mv_size == len && memcmp(key->mv_data, after, len) == 0)
        rc = mdb_cursor_get(cursor, key, value, MDB_NEXT);
    return rc;
}

void store_u64_key(uint64_t value, unsigned char out[8])
{
    for (int i = 7; i >= 0; i--, value >>= 8)
        out[i] = (unsigned char)(value & 0xff);
}

uint64_t store_u64_from_key(const void *key)
{
    const unsigned char *bytes = key;
    uint64_t value = 0;
    for (int i = 0; i < 8; i++)
        value = value << 8 | bytes[i];
    return value;
}

int store_last_u64_key(MDB_txn *txn, MDB_dbi db, uint64_t *last)
{
    *last = 0;
    MDB_cursor *cursor;
    int rc = mdb_cursor_open(txn, db, &cursor);
    if (rc)
        return rc;
    MDB_val key, value;
    rc = mdb_cursor_get(cursor, &key, &value, MDB_LAST);
    mdb_cursor_close(cursor);
    if (rc)
        return rc == MDB_NOTFOUND ? 0 : rc;
    if (key.mv_size != 8)
        return MDB_CORRUPTED;
    *last = store_u64_from_key(key.mv_data);
    return 0;
}

int store_get_u64(MDB_txn *txn, MDB_dbi db, const char *key, uint64_t *value)
{
    MDB_val k = {strlen(key), (void *)key}, v;
    int rc = mdb_get(txn, db, &k, &v);
    if (rc == 0 && v.mv_size == 8)
        *value = store_u64_from_key(v.mv_data);
    else if (rc == 0)
        rc = MDB_CORRUPTED;
    return rc;
}

int store_put_u64(MDB_txn *txn, MDB_dbi db, const char *key, uint64_t value)
{
    int fault = s_fault(STORE_FAULT_PUT);
    if (fault)
        return fault;
    unsigned char bytes[8];
    store_u64_key(value, bytes);
    MDB_val k = {strlen(key), (void *)key}, v = {8, bytes};
    return mdb_put(txn, db, &k, &v, 0);
}

int store_decode_doc(const MDB_val *stored, msgpack_zone *zone, msgpack_object *out)
{
    proto_error_t err;
    if (wire_decode_stored(stored->mv_data, stored->mv_size, zone, out, &err)) {
        log_error("stored document does not decode: %s", err.message);
        return MDB_CORRUPTED;
    }
    return 0;
}

int store_get_doc(MDB_txn *txn, MDB_dbi db, const void *key, size_t key_len, msgpack_zone *zone,
                  msgpack_object *out)
{
    MDB_val k = {key_len, (void *)key}, v;
    int rc = mdb_get(txn, db, &k, &v);
    return rc ? rc : store_decode_doc(&v, zone, out);
}

/*  MDB_APPEND first when `ordered`, the usual put for a key that is not
 *  last (MDB_KEYEXIST). */
static int s_put(MDB_txn *txn, MDB_dbi db, const void *key, size_t key_len, const void *data, size_t len,
                 bool ordered)
{
    int fault = s_fault(STORE_FAULT_PUT);
    if (fault)
        return fault;
    MDB_val k = {key_len, (void *)key}, v = {len, (void *)data};
    if (ordered) {
        int rc = mdb_put(txn, db, &k, &v, MDB_APPEND);
        if (rc != MDB_KEYEXIST)
            return rc;
    }
    return mdb_put(txn, db, &k, &v, 0);
}

int store_put_ordered(MDB_txn *txn, MDB_dbi db, const void *key, size_t key_len, const void *data,
                      size_t len)
{
    return s_put(txn, db, key, key_len, data, len, true);
}

int store_put(MDB_txn *txn, MDB_dbi db, const void *key, size_t key_len, const void *data,
              size_t len)
{
    return s_put(txn, db, key, key_len, data, len, false);
}
