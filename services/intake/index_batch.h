/*  services/intake/index_batch.h - the writes to intake's look-up indexes
 *  (idempotency keys, listings, contact addresses), batched.
 *
 *  Those indexes are keyed by what the applicant sends: each insert lands
 *  on a random leaf of its tree, and a turn of a few hundred submissions
 *  rewrote nearly one 4 KiB page per insert and per index, more than all
 *  the rest intake writes.  So an index write goes, in the transaction of
 *  its request, to an append-only log (INTAKE_DB_INDEX_LOG: sequential
 *  pages) and to a table in memory that every look-up reads first; the
 *  trees receive the writes later, sorted by key, a slice in each turn's
 *  transaction (a "sweep"), once there are several writes for each leaf of
 *  the trees.  Each leaf is then written once for many inserts.
 *
 *  Nothing is lost across a crash: the log is written in the request's
 *  transaction, the table is rebuilt from it at start, and applying a log
 *  entry twice gives the same tree.  A sweep's log entries are deleted in
 *  the transaction that writes its last slice; until then its entries stay
 *  in the table.  The table follows the transactions: what a rolled-back
 *  transaction wrote leaves it (index_batch_ended).
 *
 *  A key has at most one log entry: a put drops the entry of the key's
 *  earlier put.  A delete (an erasure, a contact address changed) is not
 *  batched: it goes to the tree at once and drops the key's log entry and
 *  its place in the table, so that what an erasure removes is gone from
 *  the store when it commits. */
#ifndef ESSP_INTAKE_INDEX_BATCH_H
#define ESSP_INTAKE_INDEX_BATCH_H

#include <lmdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct index_batch_t index_batch_t;

/*  The databases it serves and the log, as LMDB handles; `dbs` are the
 *  trees written (at most INDEX_BATCH_DBS), named in the log by their
 *  position. */
#define INDEX_BATCH_DBS 4

index_batch_t *index_batch_new(void);
void index_batch_destroy(index_batch_t **self_p);

/*  Reads the log into the table (at start, before any write): 0 or an LMDB
 *  code.  `dbs`: count handles, the position of each is its number in the
 *  log. */
int index_batch_start(index_batch_t *self, MDB_txn *txn, MDB_dbi log, const MDB_dbi *dbs, size_t count);

/*  A put of `key` in the tree `db` (its position): 0 or an LMDB code
 *  (MDB_BAD_VALSIZE for a key LMDB would refuse).  A delete: 0 (also when
 *  there was no such key) or an LMDB code. */
int index_batch_put(index_batch_t *self, MDB_txn *txn, size_t db, const void *key, size_t key_len,
                    const void *value, size_t value_len);
int index_batch_del(index_batch_t *self, MDB_txn *txn, size_t db, const void *key, size_t key_len);

/*  The value of `key`, the table's when it has one, else the tree's: 0,
 *  MDB_NOTFOUND or an LMDB code.  *value is valid until the next write. */
int index_batch_get(index_batch_t *self, MDB_txn *txn, size_t db, const void *key, size_t key_len,
                    MDB_val *value);

/*  Calls fn for each key of `db` that starts with `prefix` and is more
 *  than the prefix, in key order, at most `max` of them: the tree's and
 *  the table's; *count of them.  0 or an LMDB code. */
int index_batch_each_prefix(index_batch_t *self, MDB_txn *txn, size_t db, const void *prefix, size_t prefix_len,
                            size_t max, void (*fn)(const void *key, size_t len, void *arg), void *arg,
                            size_t *count);

/*  In a write transaction about to commit: writes the next slice of the
 *  sweep to the trees, starts one when enough writes wait.  0 or an LMDB
 *  code (the transaction is then rolled back). */
int index_batch_before_commit(index_batch_t *self, MDB_txn *txn);

/*  Once that transaction is over, committed or rolled back. */
void index_batch_ended(index_batch_t *self, bool committed);

/*  What it holds (tests): the writes in the table (waiting, or swept with
 *  their log not yet cut), whether a sweep is under way, and the table's
 *  buckets (8 bytes each: what it keeps once the writes are swept). */
size_t index_batch_waiting(const index_batch_t *self);
bool index_batch_sweeping(const index_batch_t *self);
size_t index_batch_buckets(const index_batch_t *self);

#endif
