/* Unit tests of common/stream_log on a real LMDB environment in a
 * temporary directory: sequence numbers, batches, rollback, reopening,
 * large events kept in two parts. */
#define _GNU_SOURCE  /* memmem */
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

static const char *const s_dbs[] = {"events", "state", "tails", NULL};

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

/* ------------------------------------------------- large events, split */

/*  An event of `size` bytes or about: {seq, v, type "validated", at, id,
 *  report (bin 400), application (bin: the rest)}, or with `last` as the
 *  name of its last field instead of "application". */
static void s_pack_large(fixture_t *f, const char *id, size_t application, const char *last)
{
    static unsigned char filler[8192];
    memset(filler, 'x', sizeof filler);
    stream_log_begin(f->log, &f->buf, &f->pk, "validated", 3000, 3);
    proto_pack_kv_str(&f->pk, "id", id);
    proto_pack_str(&f->pk, "report");
    msgpack_pack_bin(&f->pk, 400);
    msgpack_pack_bin_body(&f->pk, filler, 400);
    proto_pack_str(&f->pk, last);
    msgpack_pack_bin(&f->pk, application);
    msgpack_pack_bin_body(&f->pk, filler, application);
}

/*  Appends the large events of `ids` (each with an application of
 *  `application` bytes) in one committed transaction; copies the packed
 *  bytes of the last one into `packed`. */
static size_t s_append_large(fixture_t *f, const char *const *ids, size_t n, size_t application,
                             unsigned char *packed, size_t cap)
{
    MDB_txn *txn;
    size_t len = 0;
    assert_int_equal(store_begin(f->store, false, &txn), 0);
    for (size_t i = 0; i < n; i++) {
        s_pack_large(f, ids[i], application, "application");
        assert_true(f->buf.size <= cap);
        memcpy(packed, f->buf.data, f->buf.size);
        len = f->buf.size;
        assert_int_equal(stream_log_end(f->log, txn, &f->buf), 0);
    }
    assert_int_equal(store_commit(f->store, txn), 0);
    stream_log_committed(f->log);
    return len;
}

static void s_keep_tails(fixture_t *f)
{
    MDB_txn *txn;
    assert_int_equal(store_begin(f->store, true, &txn), 0);
    stream_log_keep_tails(f->log, txn, store_db(f->store, 2));
    mdb_txn_abort(txn);
}

static MDB_stat s_stat(fixture_t *f, size_t db)
{
    MDB_txn *txn;
    MDB_stat stat;
    assert_int_equal(store_begin(f->store, true, &txn), 0);
    assert_int_equal(mdb_stat(txn, store_db(f->store, db), &stat), 0);
    mdb_txn_abort(txn);
    return stat;
}

/*  The one event of the batch after `after`, as bytes. */
static size_t s_batch_bytes(fixture_t *f, uint64_t after, const stream_omit_t *omit, unsigned char *out, size_t cap)
{
    MDB_txn *txn;
    assert_int_equal(store_begin(f->store, true, &txn), 0);
    msgpack_sbuffer batch;
    msgpack_sbuffer_init(&batch);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &batch, msgpack_sbuffer_write);
    assert_int_equal(stream_log_pack_after(f->log, txn, after, 1, 1 << 20, omit, &pk), 1);
    mdb_txn_abort(txn);
    /* One element: the array header is one byte (0x91). */
    assert_int_equal((unsigned char)batch.data[0], 0x91);
    size_t len = batch.size - 1;
    assert_true(len <= cap);
    memcpy(out, batch.data + 1, len);
    msgpack_sbuffer_destroy(&batch);
    return len;
}

/*  The one event of the batch after `after` of a consumer that leaves
 *  out `names`, decoded into zone (its bytes in read). */
static msgpack_object s_batch_without(fixture_t *f, uint64_t after, const char *const *names, msgpack_zone *zone,
                                      unsigned char *read, size_t cap)
{
    stream_omit_t omit;
    stream_omit_from_names(&omit, names);
    size_t cut = s_batch_bytes(f, after, &omit, read, cap);
    msgpack_object object;
    proto_error_t err;
    assert_int_equal(wire_decode(read, cut, zone, &object, &err), 0);
    return object;
}

/*  A 2,259-byte validation event took an overflow page of 4 KiB; with
 *  its last field kept apart, both parts stay in leaves, and every reader
 *  gets the bytes the producer packed. */
static void test_a_large_event_is_kept_in_two_leaves_and_read_whole(void **state)
{
    fixture_t *f = *state;
    s_keep_tails(f);
    static const char *const ids[] = {"A1", "B2", "C3", "D4"};
    unsigned char packed[4096], read[4096];
    size_t len = s_append_large(f, ids, 4, 1745, packed, sizeof packed);
    assert_true(len > 2022);
    MDB_stat events = s_stat(f, 0), tails = s_stat(f, 2);
    assert_int_equal(events.ms_entries, 4);
    assert_int_equal(events.ms_overflow_pages, 0);
    assert_int_equal(tails.ms_entries, 4);
    assert_int_equal(tails.ms_overflow_pages, 0);
    /* A pull gives the event byte for byte. */
    assert_int_equal(s_batch_bytes(f, 3, NULL, read, sizeof read), len);
    assert_memory_equal(read, packed, len);
    /* So does a read of one event. */
    MDB_txn *txn;
    MDB_val event;
    assert_int_equal(store_begin(f->store, true, &txn), 0);
    assert_int_equal(stream_log_get(f->log, txn, 4, &event), 0);
    assert_int_equal(event.mv_size, len);
    assert_memory_equal(event.mv_data, packed, len);
    mdb_txn_abort(txn);
    /* A consumer that omits the field kept apart gets the rest. */
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object object = s_batch_without(f, 3, (const char *const[]){"application", NULL}, &zone, read,
                                            sizeof read);
    assert_null(doc_get(&object, "application"));
    assert_non_null(doc_get(&object, "report"));
    assert_true(doc_str_eq(&object, "id", "D4"));
    msgpack_zone_destroy(&zone);
    /* Reopened, the log still finds its tails. */
    s_close(f);
    s_open(f);
    s_keep_tails(f);
    assert_int_equal(s_batch_bytes(f, 0, NULL, read, sizeof read), len);
}

/*  Small events, an event whose head alone would not fit, an event whose
 *  last field is its id, and a log without tails: each stays whole. */
static void test_events_that_would_gain_nothing_stay_whole(void **state)
{
    fixture_t *f = *state;
    s_keep_tails(f);
    s_append(f, 3, true);
    static const char *const small[] = {"S1"};
    unsigned char packed[8192], read[8192];
    s_append_large(f, small, 1, 100, packed, sizeof packed);
    assert_int_equal(s_stat(f, 2).ms_entries, 0);
    /* The last field is large, but the rest is larger than a leaf holds. */
    MDB_txn *txn;
    assert_int_equal(store_begin(f->store, false, &txn), 0);
    stream_log_begin(f->log, &f->buf, &f->pk, "validated", 3000, 2);
    proto_pack_str(&f->pk, "report");
    static unsigned char filler[4000];
    msgpack_pack_bin(&f->pk, sizeof filler);
    msgpack_pack_bin_body(&f->pk, filler, sizeof filler);
    proto_pack_kv_str(&f->pk, "note", "after");
    assert_int_equal(stream_log_end(f->log, txn, &f->buf), 0);
    /* The id last: the field an erasure looks for stays with the head. */
    msgpack_sbuffer_clear(&f->buf);
    stream_log_begin(f->log, &f->buf, &f->pk, "validated", 3000, 2);
    proto_pack_str(&f->pk, "application");
    msgpack_pack_bin(&f->pk, 1745);
    msgpack_pack_bin_body(&f->pk, filler, 1745);
    proto_pack_kv_str(&f->pk, "id", "Z9");
    size_t len = f->buf.size;
    memcpy(packed, f->buf.data, len);
    assert_int_equal(stream_log_end(f->log, txn, &f->buf), 0);
    assert_int_equal(store_commit(f->store, txn), 0);
    stream_log_committed(f->log);
    assert_int_equal(s_stat(f, 2).ms_entries, 0);
    assert_int_equal(s_batch_bytes(f, 5, NULL, read, sizeof read), len);
    assert_memory_equal(read, packed, len);
}

/*  What a producer's rewrite packs: {seq, v, type "redacted", by}. */
static void s_pack_rewritten(void *arg, uint64_t seq, msgpack_packer *pk)
{
    (*(int *)arg)++;
    msgpack_pack_map(pk, 4);
    proto_pack_kv_uint(pk, "seq", seq);
    proto_pack_kv_uint(pk, "v", PROTO_VERSION);
    proto_pack_kv_str(pk, "type", "redacted");
    proto_pack_kv_str(pk, "by", "rewrite");
}

/*  A transaction rolled back leaves no tail; an erasure rewrites a split
 *  event whole, drops its tail in the same transaction, and hands the
 *  producer's rewrite the whole event. */
static void s_rewrite_large(void *arg, const msgpack_object *event, uint64_t seq, msgpack_packer *pk)
{
    const msgpack_object *application = doc_get(event, "application");
    assert_non_null(application);
    assert_int_equal(application->via.bin.size, 1745);
    s_pack_rewritten(arg, seq, pk);
}

/*  The rewrite of an erased upsert: it must be given the entry. */
static void s_rewrite_entry(void *arg, const msgpack_object *event, uint64_t seq, msgpack_packer *pk)
{
    const msgpack_object *entry = doc_get(event, "entry");
    assert_non_null(entry);
    assert_int_equal(entry->type, MSGPACK_OBJECT_MAP);
    s_pack_rewritten(arg, seq, pk);
}

static void test_a_split_event_is_rolled_back_and_erased_with_its_tail(void **state)
{
    fixture_t *f = *state;
    s_keep_tails(f);
    MDB_txn *txn;
    assert_int_equal(store_begin(f->store, false, &txn), 0);
    s_pack_large(f, "R0", 1745, "application");
    assert_int_equal(stream_log_end(f->log, txn, &f->buf), 0);
    mdb_txn_abort(txn);
    stream_log_aborted(f->log);
    assert_int_equal(s_stat(f, 2).ms_entries, 0);
    static const char *const ids[] = {"E1", "F2", "E1"};
    unsigned char packed[4096], read[4096];
    s_append_large(f, ids, 3, 1745, packed, sizeof packed);
    assert_int_equal(stream_log_head(f->log), 3);
    int calls = 0;
    assert_int_equal(s_redact(f, "E1", s_rewrite_large, &calls), 2);
    assert_int_equal(calls, 2);
    assert_int_equal(s_stat(f, 2).ms_entries, 1);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object object;
    proto_error_t err;
    size_t len = s_batch_bytes(f, 0, NULL, read, sizeof read);
    assert_int_equal(wire_decode(read, len, &zone, &object, &err), 0);
    assert_true(doc_str_eq(&object, "by", "rewrite"));
    assert_null(doc_get(&object, "application"));
    assert_null(memmem(read, len, "xxxx", 4));
    len = s_batch_bytes(f, 1, NULL, read, sizeof read);
    assert_int_equal(wire_decode(read, len, &zone, &object, &err), 0);
    assert_true(doc_str_eq(&object, "id", "F2"));
    assert_int_equal(doc_get(&object, "application")->via.bin.size, 1745);
    msgpack_zone_destroy(&zone);
}

/*  An upsert of the publication stream: {seq, v, type, at, id, version,
 *  entry, signed: bin of {type, at, id, version, entry}, sig}, with an
 *  entry of `entry_len` bytes of text; `other` changes the copy beside
 *  the signed content. */
static void s_pack_upsert(fixture_t *f, const char *id, size_t entry_len, bool other)
{
    static char text[4096];
    memset(text, 'e', sizeof text);
    msgpack_sbuffer entry, body;
    msgpack_sbuffer_init(&entry);
    msgpack_sbuffer_init(&body);
    msgpack_packer epk, bpk;
    msgpack_packer_init(&epk, &entry, msgpack_sbuffer_write);
    msgpack_packer_init(&bpk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&epk, 2);
    proto_pack_kv_str(&epk, "name", id);
    proto_pack_str(&epk, "text");
    msgpack_pack_str_with_body(&epk, text, entry_len);
    msgpack_pack_map(&bpk, 5);
    proto_pack_kv_str(&bpk, "type", "upsert");
    proto_pack_kv_uint(&bpk, "at", 4000);
    proto_pack_kv_str(&bpk, "id", id);
    proto_pack_kv_uint(&bpk, "version", 1);
    proto_pack_kv_raw(&bpk, "entry", entry.data, entry.size);
    stream_log_begin(f->log, &f->buf, &f->pk, "upsert", 4000, 5);
    proto_pack_kv_str(&f->pk, "id", id);
    proto_pack_kv_uint(&f->pk, "version", 1);
    if (other)
        entry.data[entry.size - 1] = 'o';
    proto_pack_kv_raw(&f->pk, "entry", entry.data, entry.size);
    proto_pack_str(&f->pk, "signed");
    msgpack_pack_bin_with_body(&f->pk, body.data, body.size);
    proto_pack_str(&f->pk, "sig");
    msgpack_pack_bin_with_body(&f->pk, text, 64);
    msgpack_sbuffer_destroy(&entry);
    msgpack_sbuffer_destroy(&body);
}

/*  An upsert's entry is stored once, in its signed content: the log's
 *  value is smaller by the entry, and every read (a pull, a pull that
 *  omits a field, one event, an erasure's rewrite) gets the bytes the
 *  producer packed.  An entry that differs from the signed one, and a
 *  log that was not asked, keep the event whole. */
static void test_an_entry_signed_beside_its_copy_is_stored_once(void **state)
{
    fixture_t *f = *state;
    stream_log_keep_signed_copy(f->log, "entry");
    static unsigned char packed[3][4096];
    size_t lens[3];
    const size_t entry_len = 800;
    MDB_txn *txn;
    assert_int_equal(store_begin(f->store, false, &txn), 0);
    for (int i = 0; i < 3; i++) {
        s_pack_upsert(f, i == 1 ? "B2" : "A1", entry_len, i == 2);
        memcpy(packed[i], f->buf.data, f->buf.size);
        lens[i] = f->buf.size;
        assert_int_equal(stream_log_end(f->log, txn, &f->buf), 0);
    }
    assert_int_equal(store_commit(f->store, txn), 0);
    stream_log_committed(f->log);
    /* What LMDB holds: the first two without the copy, the third whole. */
    assert_int_equal(store_begin(f->store, true, &txn), 0);
    for (uint64_t seq = 1; seq <= 3; seq++) {
        unsigned char key_bytes[8];
        store_u64_key(seq, key_bytes);
        MDB_val key = {8, key_bytes}, value;
        assert_int_equal(mdb_get(txn, store_db(f->store, 0), &key, &value), 0);
        if (seq < 3)
            assert_true(value.mv_size < lens[seq - 1] - entry_len);
        else
            assert_int_equal(value.mv_size, lens[2]);
    }
    /* One event, and a pull, byte for byte. */
    for (uint64_t seq = 1; seq <= 3; seq++) {
        MDB_val event;
        assert_int_equal(stream_log_get(f->log, txn, seq, &event), 0);
        assert_int_equal(event.mv_size, lens[seq - 1]);
        assert_memory_equal(event.mv_data, packed[seq - 1], lens[seq - 1]);
    }
    mdb_txn_abort(txn);
    unsigned char read[4096];
    for (uint64_t after = 0; after < 3; after++) {
        assert_int_equal(s_batch_bytes(f, after, NULL, read, sizeof read), lens[after]);
        assert_memory_equal(read, packed[after], lens[after]);
    }
    /* A consumer that leaves out the signature gets the entry. */
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object object = s_batch_without(f, 0, (const char *const[]){"signed", "sig", NULL}, &zone, read,
                                            sizeof read);
    assert_null(doc_get(&object, "signed"));
    assert_int_equal(doc_get(doc_get(&object, "entry"), "text")->via.str.size, entry_len);
    /* An erasure's rewrite is given the whole event. */
    int calls = 0;
    assert_int_equal(s_redact(f, "B2", s_rewrite_entry, &calls), 1);
    assert_int_equal(calls, 1);
    assert_int_equal(s_batch_bytes(f, 0, NULL, read, sizeof read), lens[0]);
    assert_memory_equal(read, packed[0], lens[0]);
    msgpack_zone_destroy(&zone);
    /* Reopened without being asked, a log reads what it has as stored. */
    s_close(f);
    s_open(f);
    assert_int_equal(s_batch_bytes(f, 2, NULL, read, sizeof read), lens[2]);
    assert_true(s_batch_bytes(f, 0, NULL, read, sizeof read) < lens[0]);
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
        cmocka_unit_test_setup_teardown(test_an_entry_signed_beside_its_copy_is_stored_once, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_large_event_is_kept_in_two_leaves_and_read_whole, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_events_that_would_gain_nothing_stay_whole, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_split_event_is_rolled_back_and_erased_with_its_tail, s_setup,
                                        s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
