/*  common/store.h - the LMDB environment of one service.
 *
 *  One environment per process, opened once, one writer (the service's
 *  loop).  The map is large up front and grows by doubling when a write
 *  transaction meets MDB_MAP_FULL: the caller aborts, calls store_grow()
 *  with no transaction open, and runs the batch again.  Durable by default:
 *  a commit returns after fsync.  ESSP_DURABLE=0 trades that for speed
 *  (MDB_NOSYNC) and is never the default.
 */
#ifndef ESSP_COMMON_STORE_H
#define ESSP_COMMON_STORE_H

#include <lmdb.h>
#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct store_t store_t;

#define STORE_DBS_MAX 16

/*  Opens (creating) the environment in directory `dir` and the named
 *  databases `names[0..count)`, NULL-terminated list; their handles are
 *  then store_db(self, i).  Clears stale reader slots left by a killed
 *  process.  NULL on failure (logged). */
store_t *store_new(const char *dir, const char *const *names);

void store_destroy(store_t **self_p);

/*  The handle of the i-th database given to store_new. */
MDB_dbi store_db(store_t *self, size_t index);

MDB_env *store_env(store_t *self);

/*  Begins a write (rdonly false) or read transaction.  0 or an LMDB code. */
int store_begin(store_t *self, bool rdonly, MDB_txn **txn);

/*  Commits; returns 0 or the LMDB code (MDB_MAP_FULL: grow and retry). */
int store_commit(store_t *self, MDB_txn *txn);

/*  Doubles the map size.  Must be called with no transaction open in this
 *  process.  0 or an LMDB code. */
int store_grow(store_t *self);

/*  What the store takes and what is left under it, in bytes.  The map
 *  only reserves address space; `used` is what its pages occupy in the
 *  data file; `next_growth` is what the next store_grow() adds to the map
 *  (the map doubles), which the disk must hold once the pages fill it.
 *  `disk_free` is what an unprivileged writer may still use on the
 *  filesystem of the store's directory (statvfs f_bavail). */
typedef struct {
    uint64_t map_size;
    uint64_t used;
    uint64_t next_growth;
    uint64_t disk_free;
    uint64_t disk_total;
} store_space_t;

/*  Fills *out.  0, an LMDB code, or -1 when statvfs failed (errno set).
 *  Cheap: no transaction, one statvfs; callable from the service's loop. */
int store_space(const store_t *self, store_space_t *out);

/*  Hot backup into an empty directory, compacted. */
int store_backup(store_t *self, const char *dir);

/*  Replaces the store in `dir` by a compacted copy of itself and reopens
 *  it with the same databases (`names`, as given to store_new): only live
 *  pages are copied, so bytes that were deleted (an erasure) do not stay
 *  in freed pages.  Call it with no transaction open.  The copy is
 *  renamed over the data file, atomically: a kill -9 at any point leaves
 *  one whole file.  The databases keep their handles.  0 on success; -1
 *  when the copy failed (the store is left as it was) or when reopening
 *  failed (*self_p is then NULL). */
int store_compact(store_t **self_p, const char *dir, const char *const *names);

/*  Paging: positions cursor on the first key strictly after `after`
 *  (len bytes; the last key of the previous page), or on the first key
 *  when len is 0.  The key need not exist any more.  0 or an LMDB code
 *  (MDB_NOTFOUND past the end). */
int store_seek_after(MDB_cursor *cursor, const void *after, size_t len, MDB_val *key, MDB_val *value);

/*  Big-endian u64 keys sort in numeric order under LMDB's memcmp. */
void store_u64_key(uint64_t value, unsigned char out[8]);
uint64_t store_u64_from_key(const void *key);

/*  The last of db's u64 keys (an append-only log's head): *last is 0 when
 *  db is empty.  0, MDB_CORRUPTED when the last key is not 8 bytes, or an
 *  LMDB code. */
int store_last_u64_key(MDB_txn *txn, MDB_dbi db, uint64_t *last);

/*  Small helpers for u64 values stored under a string key in db. */
int store_get_u64(MDB_txn *txn, MDB_dbi db, const char *key, uint64_t *value);
int store_put_u64(MDB_txn *txn, MDB_dbi db, const char *key, uint64_t value);

/*  Reads the msgpack document stored under key and decodes it into zone
 *  (wire_decode_stored: the service wrote it, from input that was checked
 *  on the way in).  The result points into LMDB's memory: valid until the next write in the
 *  same database or the end of txn, so pack what you derive from it before
 *  any mdb_put.  0, MDB_NOTFOUND, or MDB_CORRUPTED when it does not decode. */
int store_get_doc(MDB_txn *txn, MDB_dbi db, const void *key, size_t key_len, msgpack_zone *zone,
                  msgpack_object *out);
/*  The same for bytes already read from the store. */
int store_decode_doc(const MDB_val *stored, msgpack_zone *zone, msgpack_object *out);

/*  Stores bytes under key.  For a tree whose new keys mostly come after
 *  all others (ids that begin with their creation time), store_put_ordered
 *  fills the last page: LMDB splits a full page in the middle, which for
 *  keys in order leaves every page half empty (one 2 KB value a page where
 *  two fit); MDB_APPEND starts a new page instead.  A key that does not
 *  come last is stored as store_put does.  Not for MDB_DUPSORT trees. */
int store_put_ordered(MDB_txn *txn, MDB_dbi db, const void *key, size_t key_len, const void *data,
                      size_t len);
int store_put(MDB_txn *txn, MDB_dbi db, const void *key, size_t key_len, const void *data,
              size_t len);

#ifdef ESSP_STORE_FAULTS
/*  Test builds only: the library essp_common_faults is built from the same
 *  sources with ESSP_STORE_FAULTS defined, so that the programs carry no
 *  hook.  store_fault_set makes calls number nth .. nth+times-1 (counted
 *  from this call, 1 = the next one) at `point` fail with `code`: an LMDB
 *  code for BEGIN, PUT (store_put, store_put_ordered, store_put_u64), COMMIT
 *  (the transaction is aborted), COPY (store_backup) and OPEN (store_new), an errno for
 *  SYNC (the compacted copy's fsync) and RENAME (the copy over the data
 *  file).  store_fault_clear disarms them all.  Thread-safe: a test may
 *  arm a fault while a service runs in another thread. */
typedef enum {
    STORE_FAULT_BEGIN,
    STORE_FAULT_PUT,
    STORE_FAULT_COMMIT,
    STORE_FAULT_COPY,
    STORE_FAULT_SYNC,
    STORE_FAULT_RENAME,
    STORE_FAULT_OPEN,
    STORE_FAULT_POINTS
} store_fault_t;

void store_fault_set(store_fault_t point, unsigned nth, unsigned times, int code);
void store_fault_clear(void);

/*  How many calls reached `point` since it was last set or cleared. */
unsigned store_fault_calls(store_fault_t point);
#endif

#endif
