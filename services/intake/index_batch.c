/*  services/intake/index_batch.c - see index_batch.h. */
#include "index_batch.h"

#include "common/config.h"
#include "common/store.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/*  A sweep starts once the table holds S_PER_LEAF writes for each leaf of
 *  the trees (each leaf is then rewritten once for about that many
 *  inserts), at least ESSP_INDEX_BATCH (default S_SWEEP_MIN) and at most
 *  S_SWEEP_MAX writes: what the table may hold in memory, about 130 bytes
 *  a write.  At 100,000 applications, 4, 8, 16 and 24 writes a leaf made
 *  intake write 10.0, 8.9, 8.2 and 7.9 KiB per application (7.5 without
 *  the indexes), its peak RssAnon 20.2, 20.8, 23.5 and 26.1 MiB
 *  (essp-bench). */
#define S_PER_LEAF 24
#define S_SWEEP_MIN 4096
#define S_SWEEP_MAX 262144
#define S_BUCKETS_MIN 1024
/*  A sweep writes at least 1/S_SLICES of itself in a turn, and twice what
 *  the turn added, so that it ends before the next one is due. */
#define S_SLICES 32
#define S_SLICE_MIN 256
/*  LMDB's largest key with its default page size. */
#define S_KEY_MAX 511
/*  A log entry: the tree's number, the key's length (2 bytes,
 *  little-endian), the key, the value. */
#define S_HEAD 3

typedef struct entry_t {
    struct entry_t *next; /* the bucket's chain */
    uint64_t hash;
    uint64_t seq;         /* its log entry */
    bool in_table;        /* the latest write of its key */
    bool in_sweep;        /* the sweep frees it */
    uint8_t db;
    uint16_t key_len;
    uint32_t value_len;
    unsigned char bytes[]; /* the key, then the value */
} entry_t;

/*  What the transaction in hand did to the table, to undo on rollback:
 *  `new` replaced `old`; either may be NULL (a first put, a delete). */
typedef struct {
    entry_t *old, *new;
} change_t;

struct index_batch_t {
    MDB_dbi log, dbs[INDEX_BATCH_DBS];
    size_t db_count;
    unsigned char hash_key[crypto_shorthash_KEYBYTES];
    entry_t **buckets;
    size_t bucket_count, count;
    uint64_t next_seq;    /* a rolled-back write leaves a gap: harmless */
    change_t *changes;
    size_t change_count, change_cap;
    entry_t **sweep;      /* sorted by tree and key; NULL once freed */
    size_t sweep_len, sweep_pos, slice_end;
    uint64_t sweep_seq;   /* the log below it is the sweep's */
    size_t sweep_min, threshold;
};

index_batch_t *index_batch_new(void)
{
    index_batch_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->bucket_count = S_BUCKETS_MIN;
    self->buckets = calloc(self->bucket_count, sizeof *self->buckets);
    if (!self->buckets) {
        free(self);
        return NULL;
    }
    /* Keyed: the keys are what applicants send, and must not choose the
     * buckets. */
    crypto_shorthash_keygen(self->hash_key);
    self->next_seq = 1;
    self->sweep_min = (size_t)config_env_long("ESSP_INDEX_BATCH", S_SWEEP_MIN, 1, S_SWEEP_MAX);
    self->threshold = self->sweep_min;
    return self;
}

void index_batch_destroy(index_batch_t **self_p)
{
    index_batch_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->change_count; i++)
        if (self->changes[i].old && !self->changes[i].old->in_sweep)
            free(self->changes[i].old);
    for (size_t i = 0; i < self->sweep_len; i++)
        if (self->sweep[i] && !self->sweep[i]->in_table)
            free(self->sweep[i]);
    for (size_t b = 0; b < self->bucket_count; b++)
        for (entry_t *e = self->buckets[b], *next; e; e = next) {
            next = e->next;
            free(e);
        }
    free(self->buckets);
    free(self->changes);
    free(self->sweep);
    free(self);
    *self_p = NULL;
}

/* ------------------------------------------------------------ the table */

static uint64_t s_hash(const index_batch_t *self, size_t db, const void *key, size_t len)
{
    unsigned char out[crypto_shorthash_BYTES];
    unsigned char buf[1 + S_KEY_MAX];
    buf[0] = (unsigned char)db;
    memcpy(buf + 1, key, len);
    crypto_shorthash(out, buf, len + 1, self->hash_key);
    uint64_t hash;
    memcpy(&hash, out, sizeof hash);
    return hash;
}

static bool s_is(const entry_t *e, uint64_t hash, size_t db, const void *key, size_t len)
{
    return e->hash == hash && e->db == db && e->key_len == len && memcmp(e->bytes, key, len) == 0;
}

/*  The entry of `key` in `db`, whose hash is `hash` (an entry's own when
 *  it has one), or NULL. */
static entry_t *s_find_hashed(const index_batch_t *self, uint64_t hash, size_t db, const void *key, size_t len)
{
    for (entry_t *e = self->buckets[hash & (self->bucket_count - 1)]; e; e = e->next)
        if (s_is(e, hash, db, key, len))
            return e;
    return NULL;
}

static entry_t *s_find(const index_batch_t *self, size_t db, const void *key, size_t len)
{
    return s_find_hashed(self, s_hash(self, db, key, len), db, key, len);
}

/*  Moves every entry to `count` buckets (a power of two, 1024 or more). */
static void s_rehash(index_batch_t *self, size_t count)
{
    entry_t **buckets = calloc(count, sizeof *buckets);
    if (!buckets)
        return; /* longer chains or more buckets than needed, nothing lost */
    for (size_t b = 0; b < self->bucket_count; b++)
        for (entry_t *e = self->buckets[b], *next; e; e = next) {
            next = e->next;
            e->next = buckets[e->hash & (count - 1)];
            buckets[e->hash & (count - 1)] = e;
        }
    free(self->buckets);
    self->buckets = buckets;
    self->bucket_count = count;
}

/*  After a sweep has taken its entries out: buckets for twice the entries
 *  left, so that a burst's buckets (4 MiB at S_SWEEP_MAX entries and
 *  what came meanwhile) are not kept for good.  Only when that divides
 *  them by 8 or more, so that a steady flow does not rehash at each
 *  sweep. */
static void s_shrink(index_batch_t *self)
{
    size_t count = S_BUCKETS_MIN;
    while (count < 2 * self->count)
        count *= 2;
    if (count * 8 <= self->bucket_count)
        s_rehash(self, count);
}

static void s_link(index_batch_t *self, entry_t *e)
{
    if (self->count >= self->bucket_count)
        s_rehash(self, self->bucket_count * 2); /* once there are more entries than buckets */
    entry_t **head = &self->buckets[e->hash & (self->bucket_count - 1)];
    e->next = *head;
    *head = e;
    e->in_table = true;
    self->count++;
}

static void s_unlink(index_batch_t *self, entry_t *e)
{
    entry_t **p = &self->buckets[e->hash & (self->bucket_count - 1)];
    while (*p != e)
        p = &(*p)->next;
    *p = e->next;
    e->next = NULL;
    e->in_table = false;
    self->count--;
}

static entry_t *s_entry_new(const index_batch_t *self, size_t db, const void *key, size_t key_len,
                            const void *value, size_t value_len)
{
    entry_t *e = malloc(sizeof *e + key_len + value_len);
    if (!e)
        return NULL;
    *e = (entry_t){.hash = s_hash(self, db, key, key_len), .db = (uint8_t)db,
                   .key_len = (uint16_t)key_len, .value_len = (uint32_t)value_len};
    memcpy(e->bytes, key, key_len);
    if (value_len)
        memcpy(e->bytes + key_len, value, value_len);
    return e;
}

static int s_change_room(index_batch_t *self)
{
    if (self->change_count < self->change_cap)
        return 0;
    size_t cap = self->change_cap ? 2 * self->change_cap : 64;
    change_t *changes = realloc(self->changes, cap * sizeof *changes);
    if (!changes)
        return ENOMEM;
    self->changes = changes;
    self->change_cap = cap;
    return 0;
}

/*  In the transaction in hand: `new` (or nothing) takes the place of `old`
 *  (or of nothing); `old` stays in memory until the transaction is over
 *  (index_batch_ended). */
static int s_change(index_batch_t *self, entry_t *old, entry_t *new)
{
    int rc = s_change_room(self);
    if (rc)
        return rc;
    if (old)
        s_unlink(self, old);
    if (new)
        s_link(self, new);
    self->changes[self->change_count++] = (change_t){old, new};
    return 0;
}

/* ------------------------------------------------------------ the log */

static int s_log_append(index_batch_t *self, MDB_txn *txn, const entry_t *e)
{
    unsigned char key[8];
    store_u64_key(e->seq, key);
    size_t len = S_HEAD + e->key_len + e->value_len;
    MDB_val k = {sizeof key, key}, v = {len, NULL};
    int rc = mdb_put(txn, self->log, &k, &v, MDB_APPEND | MDB_RESERVE);
    if (rc)
        return rc;
    unsigned char *out = v.mv_data;
    out[0] = e->db;
    out[1] = (unsigned char)(e->key_len & 0xff);
    out[2] = (unsigned char)(e->key_len >> 8);
    memcpy(out + S_HEAD, e->bytes, e->key_len + e->value_len);
    return 0;
}

/*  Deletes the log entry of e: once its key is written again or deleted,
 *  it is of no use, and what it holds must not outlive an erasure. */
static int s_log_drop(index_batch_t *self, MDB_txn *txn, const entry_t *e)
{
    unsigned char key[8];
    store_u64_key(e->seq, key);
    MDB_val k = {sizeof key, key};
    int rc = mdb_del(txn, self->log, &k, NULL);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/*  A log entry back into the table (start); MDB_CORRUPTED when it is not
 *  one. */
static int s_log_load(index_batch_t *self, const MDB_val *key, const MDB_val *value)
{
    const unsigned char *in = value->mv_data;
    if (key->mv_size != 8 || value->mv_size < S_HEAD)
        return MDB_CORRUPTED;
    size_t key_len = in[1] | (size_t)in[2] << 8;
    if (in[0] >= self->db_count || !key_len || key_len > S_KEY_MAX || key_len > value->mv_size - S_HEAD)
        return MDB_CORRUPTED;
    entry_t *e = s_entry_new(self, in[0], in + S_HEAD, key_len, in + S_HEAD + key_len,
                             value->mv_size - S_HEAD - key_len);
    if (!e)
        return ENOMEM;
    e->seq = store_u64_from_key(key->mv_data);
    self->next_seq = e->seq + 1;
    entry_t *old = s_find_hashed(self, e->hash, e->db, e->bytes, e->key_len);
    if (old) {
        s_unlink(self, old);
        free(old);
    }
    s_link(self, e);
    return 0;
}

int index_batch_start(index_batch_t *self, MDB_txn *txn, MDB_dbi log, const MDB_dbi *dbs, size_t count)
{
    if (count > INDEX_BATCH_DBS)
        return EINVAL;
    self->log = log;
    self->db_count = count;
    memcpy(self->dbs, dbs, count * sizeof *dbs);
    MDB_cursor *cursor;
    int rc = mdb_cursor_open(txn, log, &cursor);
    if (rc)
        return rc;
    MDB_val key, value;
    for (rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT))
        if ((rc = s_log_load(self, &key, &value)))
            break;
    mdb_cursor_close(cursor);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* ------------------------------------------------------------ writes and reads */

int index_batch_put(index_batch_t *self, MDB_txn *txn, size_t db, const void *key, size_t key_len,
                    const void *value, size_t value_len)
{
    if (db >= self->db_count || !key_len || key_len > S_KEY_MAX || value_len > UINT32_MAX / 2)
        return MDB_BAD_VALSIZE;
    entry_t *e = s_entry_new(self, db, key, key_len, value, value_len);
    if (!e)
        return ENOMEM;
    e->seq = self->next_seq;
    entry_t *old = s_find_hashed(self, e->hash, e->db, e->bytes, e->key_len);
    int rc = s_log_append(self, txn, e);
    if (!rc && old)
        rc = s_log_drop(self, txn, old);
    if (!rc)
        rc = s_change(self, old, e);
    if (rc) {
        free(e);
        return rc;
    }
    self->next_seq++;
    return 0;
}

/*  A delete goes to the tree at once, with the log entry of the key's
 *  write that waits, if one does: an erasure leaves nothing behind. */
int index_batch_del(index_batch_t *self, MDB_txn *txn, size_t db, const void *key, size_t key_len)
{
    if (db >= self->db_count || !key_len || key_len > S_KEY_MAX)
        return 0;
    MDB_val k = {key_len, (void *)key};
    int rc = mdb_del(txn, self->dbs[db], &k, NULL);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    entry_t *old = s_find(self, db, key, key_len);
    if (!old)
        return 0;
    rc = s_log_drop(self, txn, old);
    return rc ? rc : s_change(self, old, NULL);
}

int index_batch_get(index_batch_t *self, MDB_txn *txn, size_t db, const void *key, size_t key_len,
                    MDB_val *value)
{
    if (db >= self->db_count || !key_len || key_len > S_KEY_MAX)
        return MDB_NOTFOUND;
    const entry_t *e = s_find(self, db, key, key_len);
    if (e) {
        *value = (MDB_val){e->value_len, (void *)(e->bytes + e->key_len)};
        return 0;
    }
    MDB_val k = {key_len, (void *)key};
    return mdb_get(txn, self->dbs[db], &k, value);
}

/*  LMDB's default order of keys: bytes, then the shorter first. */
static int s_key_cmp(const void *a, size_t a_len, const void *b, size_t b_len)
{
    int c = memcmp(a, b, a_len < b_len ? a_len : b_len);
    return c ? c : (a_len > b_len) - (a_len < b_len);
}

static int s_entry_cmp(const void *a, const void *b)
{
    const entry_t *x = *(entry_t *const *)a, *y = *(entry_t *const *)b;
    if (x->db != y->db)
        return x->db < y->db ? -1 : 1;
    return s_key_cmp(x->bytes, x->key_len, y->bytes, y->key_len);
}

/*  The table's writes of `db` under `prefix`, sorted: *out (to free). */
static size_t s_table_prefix(const index_batch_t *self, size_t db, const void *prefix, size_t prefix_len,
                             entry_t ***out)
{
    size_t n = 0, cap = 0;
    *out = NULL;
    for (size_t b = 0; b < self->bucket_count; b++)
        for (entry_t *e = self->buckets[b]; e; e = e->next) {
            if (e->db != db || e->key_len <= prefix_len || memcmp(e->bytes, prefix, prefix_len) != 0)
                continue;
            if (n == cap) {
                cap = cap ? 2 * cap : 8;
                entry_t **grown = realloc(*out, cap * sizeof *grown);
                if (!grown)
                    return n; /* fewer: the tree's keys still come */
                *out = grown;
            }
            (*out)[n++] = e;
        }
    if (n > 1)
        qsort(*out, n, sizeof **out, s_entry_cmp);
    return n;
}

int index_batch_each_prefix(index_batch_t *self, MDB_txn *txn, size_t db, const void *prefix, size_t prefix_len,
                            size_t max, void (*fn)(const void *key, size_t len, void *arg), void *arg,
                            size_t *count)
{
    *count = 0;
    if (db >= self->db_count)
        return 0;
    entry_t **table;
    size_t n = s_table_prefix(self, db, prefix, prefix_len, &table), t = 0;
    MDB_cursor *cursor;
    int rc = mdb_cursor_open(txn, self->dbs[db], &cursor);
    if (rc) {
        free(table);
        return rc;
    }
    MDB_val key = {prefix_len, (void *)prefix}, value;
    rc = mdb_cursor_get(cursor, &key, &value, MDB_SET_RANGE);
    while (*count < max) {
        bool tree = rc == 0 && key.mv_size > prefix_len && memcmp(key.mv_data, prefix, prefix_len) == 0;
        if (!tree && t == n)
            break;
        int order = !tree ? 1 : t == n ? -1 : s_key_cmp(key.mv_data, key.mv_size, table[t]->bytes, table[t]->key_len);
        if (order < 0) {
            /* A tree key the table does not rewrite. */
            if (!s_find(self, db, key.mv_data, key.mv_size)) {
                fn(key.mv_data, key.mv_size, arg);
                (*count)++;
            }
            rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT);
            continue;
        }
        fn(table[t]->bytes, table[t]->key_len, arg);
        (*count)++;
        if (order == 0)
            rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT);
        t++;
    }
    mdb_cursor_close(cursor);
    free(table);
    return rc == 0 || rc == MDB_NOTFOUND ? 0 : rc;
}

/* ------------------------------------------------------------ sweeps */

/*  Writes the sweep's entries [sweep_pos, slice_end) that are still their
 *  key's latest to the trees. */
static int s_write_slice(index_batch_t *self, MDB_txn *txn)
{
    for (size_t i = self->sweep_pos; i < self->slice_end; i++) {
        const entry_t *e = self->sweep[i];
        if (!e || !e->in_table)
            continue; /* deleted, or written again: a later sweep has it */
        int rc = store_put(txn, self->dbs[e->db], e->bytes, e->key_len, e->bytes + e->key_len, e->value_len);
        if (rc)
            return rc;
    }
    return 0;
}

/*  The log entries below the sweep's first: every one of them is in the
 *  trees now, or replaced by a later write. */
static int s_cut_log(index_batch_t *self, MDB_txn *txn)
{
    MDB_cursor *cursor;
    int rc = mdb_cursor_open(txn, self->log, &cursor);
    if (rc)
        return rc;
    MDB_val key, value;
    for (rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST);
         rc == 0 && key.mv_size == 8 && store_u64_from_key(key.mv_data) < self->sweep_seq;
         rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST))
        if ((rc = mdb_cursor_del(cursor, 0)))
            break;
    mdb_cursor_close(cursor);
    return rc == 0 || rc == MDB_NOTFOUND ? 0 : rc;
}

/*  Writes per leaf before a sweep, from the trees' size now. */
static void s_threshold(index_batch_t *self, MDB_txn *txn)
{
    size_t leaves = 0;
    for (size_t i = 0; i < self->db_count; i++) {
        MDB_stat stat;
        if (mdb_stat(txn, self->dbs[i], &stat) == 0)
            leaves += stat.ms_leaf_pages;
    }
    size_t want = S_PER_LEAF * leaves;
    self->threshold = want < self->sweep_min ? self->sweep_min : want > S_SWEEP_MAX ? S_SWEEP_MAX : want;
}

int index_batch_before_commit(index_batch_t *self, MDB_txn *txn)
{
    if (!self->sweep) {
        /* The threshold is never below sweep_min: under it no sweep can
         * start, and the trees need not be measured. */
        if (self->count >= self->sweep_min)
            s_threshold(self, txn);
        return 0;
    }
    size_t slice = self->sweep_len / S_SLICES;
    slice = slice < S_SLICE_MIN ? S_SLICE_MIN : slice;
    slice = slice < 2 * self->change_count ? 2 * self->change_count : slice;
    self->slice_end = self->sweep_pos + slice < self->sweep_len ? self->sweep_pos + slice : self->sweep_len;
    int rc = s_write_slice(self, txn);
    if (!rc && self->slice_end == self->sweep_len)
        rc = s_cut_log(self, txn);
    return rc;
}

/*  The sweep's slice is in the trees.  Its entries stay in the table
 *  until their log entries are cut, at the sweep's end: a delete then
 *  still finds a log entry to drop. */
static void s_slice_written(index_batch_t *self)
{
    for (size_t i = self->sweep_pos; i < self->slice_end; i++) {
        entry_t *e = self->sweep[i];
        if (e && !e->in_table) {
            free(e);
            self->sweep[i] = NULL;
        }
    }
    self->sweep_pos = self->slice_end;
    if (self->sweep_pos < self->sweep_len)
        return;
    for (size_t i = 0; i < self->sweep_len; i++) {
        entry_t *e = self->sweep[i];
        if (e && e->in_table)
            s_unlink(self, e);
        free(e);
    }
    free(self->sweep);
    self->sweep = NULL;
    self->sweep_len = self->sweep_pos = self->slice_end = 0;
    s_shrink(self);
}

/*  Every write in the table, sorted: the next sweep.  Only between
 *  transactions, when every write in the table is committed. */
static void s_sweep_start(index_batch_t *self)
{
    entry_t **sweep = malloc(self->count * sizeof *sweep);
    if (!sweep)
        return; /* the next turn tries again */
    size_t n = 0;
    for (size_t b = 0; b < self->bucket_count; b++)
        for (entry_t *e = self->buckets[b]; e; e = e->next) {
            e->in_sweep = true;
            sweep[n++] = e;
        }
    qsort(sweep, n, sizeof *sweep, s_entry_cmp);
    self->sweep = sweep;
    self->sweep_len = n;
    self->sweep_pos = self->slice_end = 0;
    self->sweep_seq = self->next_seq;
}

void index_batch_ended(index_batch_t *self, bool committed)
{
    if (committed) {
        for (size_t i = 0; i < self->change_count; i++) {
            change_t *c = &self->changes[i];
            if (c->old && !c->old->in_sweep)
                free(c->old);
        }
        if (self->sweep)
            s_slice_written(self);
    } else {
        for (size_t i = self->change_count; i-- > 0;) {
            change_t *c = &self->changes[i];
            if (c->new) {
                s_unlink(self, c->new);
                free(c->new);
            }
            if (c->old)
                s_link(self, c->old);
        }
        self->slice_end = self->sweep_pos;
    }
    self->change_count = 0;
    if (committed && !self->sweep && self->count >= self->threshold)
        s_sweep_start(self);
}

size_t index_batch_waiting(const index_batch_t *self)
{
    return self->count;
}

bool index_batch_sweeping(const index_batch_t *self)
{
    return self->sweep != NULL;
}

size_t index_batch_buckets(const index_batch_t *self)
{
    return self->bucket_count;
}
