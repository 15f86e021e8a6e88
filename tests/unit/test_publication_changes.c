/* Unit tests of what review's events do to the directory
 * (services/publication/changes.h), of the signed "redacted" event that an
 * erasure leaves in publication's log, on a real LMDB log, and of
 * essp-mirror's reading of it (services/mirror/mirror.h). */
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
#include "services/mirror/mirror.h"
#include "services/publication/changes.h"

#include <sodium.h>

#define S_SECRET "Atelier Très Secret de Bocage"

/* ------------------------------------------------------------ the changes */

/*  Decodes a map given as alternating keys and string values into zone. */
static msgpack_object s_event(msgpack_zone *zone, msgpack_sbuffer *buf, size_t pairs, ...)
{
    msgpack_packer pk;
    msgpack_sbuffer_clear(buf);
    msgpack_packer_init(&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, pairs);
    va_list args;
    va_start(args, pairs);
    for (size_t i = 0; i < pairs; i++) {
        const char *key = va_arg(args, const char *);
        proto_pack_kv_str(&pk, key, va_arg(args, const char *));
    }
    va_end(args);
    msgpack_object event;
    proto_error_t err;
    assert_int_equal(wire_decode(buf->data, buf->size, zone, &event, &err), 0);
    return event;
}

static void test_each_event_changes_the_directory_as_agreed(void **state)
{
    (void)state;
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    const char *reason = "unset";
    msgpack_object e;

    e = s_event(&zone, &buf, 2, "id", "a1", "decision", "approve");
    assert_int_equal(publication_change_of("decided", &e, &reason), PUBLICATION_LIST);
    e = s_event(&zone, &buf, 3, "id", "a1", "decision", "reinstate", "kind", "complaint");
    assert_int_equal(publication_change_of("decided", &e, &reason), PUBLICATION_LIST);
    e = s_event(&zone, &buf, 2, "id", "a1", "decision", "reject");
    assert_int_equal(publication_change_of("decided", &e, &reason), PUBLICATION_NOTHING);
    e = s_event(&zone, &buf, 2, "id", "a1", "decision", "changes");
    assert_int_equal(publication_change_of("decided", &e, &reason), PUBLICATION_NOTHING);
    e = s_event(&zone, &buf, 3, "id", "a1", "decision", "withdraw", "kind", "complaint");
    assert_int_equal(publication_change_of("decided", &e, &reason), PUBLICATION_UNLIST);
    assert_string_equal(reason, "withdrawn");

    /* A withdrawn event without kind (written before kinds existed). */
    e = s_event(&zone, &buf, 2, "id", "a1", "reason", "Cessation d'activité");
    assert_int_equal(publication_change_of("withdrawn", &e, &reason), PUBLICATION_UNLIST);
    assert_string_equal(reason, "withdrawn");
    static const char *const kinds[] = {"withdrawn", "expired", "suspended", "erased", "renewed", NULL};
    for (const char *const *kind = kinds; *kind; kind++) {
        e = s_event(&zone, &buf, 3, "id", "a1", "reason", "Texte pour les personnes", "kind", *kind);
        assert_int_equal(publication_change_of("withdrawn", &e, &reason), PUBLICATION_UNLIST);
        assert_string_equal(reason, *kind);
    }
    /* The French text for people is never the public reason. */
    e = s_event(&zone, &buf, 2, "id", "a1", "reason", "expired");
    publication_change_of("withdrawn", &e, &reason);
    assert_string_equal(reason, "withdrawn");

    static const char *const others[] = {"queued", "appealed", "erased", "redacted", "validated", NULL};
    for (const char *const *type = others; *type; type++) {
        e = s_event(&zone, &buf, 2, "id", "a1", "decision", "approve");
        assert_int_equal(publication_change_of(*type, &e, &reason), PUBLICATION_NOTHING);
    }
    msgpack_sbuffer_destroy(&buf);
    msgpack_zone_destroy(&zone);
}

/* ----------------------------------------------- a log, then its erasure */

static const char *const s_log_dbs[] = {"events", NULL};

typedef struct {
    char dir[64];
    char mirror_dir[80];
    store_t *store;
    stream_log_t *log;
    stream_sign_key_t key;
    msgpack_zone zone;
} fixture_t;

static int s_setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/essp-unit-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->mirror_dir, sizeof f->mirror_dir, "%s/mirror", f->dir);
    f->store = store_new(f->dir, s_log_dbs);
    assert_non_null(f->store);
    MDB_txn *txn;
    assert_int_equal(store_begin(f->store, true, &txn), 0);
    f->log = stream_log_new(txn, store_db(f->store, 0));
    mdb_txn_abort(txn);
    crypto_sign_keypair(f->key.public_key, f->key.secret);
    msgpack_zone_init(&f->zone, 8192);
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    fixture_t *f = *state;
    stream_log_destroy(&f->log);
    store_destroy(&f->store);
    msgpack_zone_destroy(&f->zone);
    char command[128];
    snprintf(command, sizeof command, "rm -rf %s", f->dir);
    assert_int_equal(system(command), 0);
    free(f);
    return 0;
}

/*  Appends, in one committed transaction: an upsert of `erased` naming
 *  S_SECRET, an upsert of `kept`, then a withdraw of `erased`. */
static void s_append_events(fixture_t *f)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    MDB_txn *txn;
    assert_int_equal(store_begin(f->store, false, &txn), 0);
    static const char *const ids[] = {"erased1", "kept1", "erased1"};
    for (int i = 0; i < 3; i++) {
        bool upsert = i < 2;
        stream_log_begin(f->log, &buf, &pk, upsert ? "upsert" : "withdraw", 1764115200 + i, 3);
        proto_pack_kv_str(&pk, "id", ids[i]);
        if (upsert) {
            proto_pack_kv_uint(&pk, "version", 1);
            proto_pack_str(&pk, "entry");
            msgpack_pack_map(&pk, 1);
            proto_pack_kv_str(&pk, "name", i == 0 ? S_SECRET : "Structure maintenue");
        } else {
            proto_pack_kv_str(&pk, "reason", "expired");
            proto_pack_kv_str(&pk, "note", S_SECRET);
        }
        assert_int_equal(stream_log_end(f->log, txn, &buf), 0);
    }
    assert_int_equal(store_commit(f->store, txn), 0);
    stream_log_committed(f->log);
    msgpack_sbuffer_destroy(&buf);
}

/*  Redacts `erased1` with publication's rewrite; returns how many events
 *  were rewritten. */
static size_t s_redact(fixture_t *f)
{
    publication_redactor_t redactor;
    publication_redactor_init(&redactor, &f->key);
    MDB_txn *txn;
    size_t count = 0;
    assert_int_equal(store_begin(f->store, false, &txn), 0);
    assert_int_equal(stream_log_redact(f->log, txn, "erased1", 7, publication_pack_redacted, &redactor,
                                       &count),
                     0);
    assert_false(redactor.failed);
    assert_int_equal(store_commit(f->store, txn), 0);
    publication_redactor_destroy(&redactor);
    return count;
}

/*  The stored bytes of event seq, decoded into f->zone. */
static msgpack_object s_stored(fixture_t *f, uint64_t seq, MDB_val *raw)
{
    MDB_txn *txn;
    assert_int_equal(store_begin(f->store, true, &txn), 0);
    unsigned char key[8];
    store_u64_key(seq, key);
    MDB_val k = {8, key}, v;
    assert_int_equal(mdb_get(txn, store_db(f->store, 0), &k, &v), 0);
    /* Copied out: the transaction ends here. */
    void *copy = msgpack_zone_malloc(&f->zone, v.mv_size);
    memcpy(copy, v.mv_data, v.mv_size);
    mdb_txn_abort(txn);
    raw->mv_size = v.mv_size;
    raw->mv_data = copy;
    msgpack_object event;
    proto_error_t err;
    assert_int_equal(wire_decode(copy, v.mv_size, &f->zone, &event, &err), 0);
    return event;
}

static void test_erased_events_become_signed_redacted_events(void **state)
{
    fixture_t *f = *state;
    s_append_events(f);
    assert_int_equal(s_redact(f), 2);
    for (uint64_t seq = 1; seq <= 3; seq += 2) {
        MDB_val raw;
        msgpack_object event = s_stored(f, seq, &raw);
        assert_null(memmem(raw.mv_data, raw.mv_size, "Secret", 6));
        const char *type;
        uint64_t checked_seq;
        proto_error_t err;
        assert_int_equal(proto_event_check(&event, &type, &checked_seq, &err), 0);
        assert_string_equal(type, "redacted");
        assert_int_equal(checked_seq, seq);
        assert_int_equal(event.via.map.size, 7);  /* seq v type at id signed sig */
        uint64_t at = 0;
        assert_true(doc_uint(&event, "at", &at));
        assert_int_equal(at, 1764115200 + seq - 1);  /* the original event's time */
        assert_true(doc_str_eq(&event, "id", "erased1"));
        const msgpack_object *signed_bytes = doc_get(&event, "signed");
        const msgpack_object *sig = doc_get(&event, "sig");
        assert_true(stream_sign_verify(f->key.public_key, seq, signed_bytes->via.bin.ptr,
                                       signed_bytes->via.bin.size, (const unsigned char *)sig->via.bin.ptr,
                                       sig->via.bin.size));
        /* The signed content is exactly {type, at, id}. */
        msgpack_object content;
        assert_int_equal(wire_decode(signed_bytes->via.bin.ptr, signed_bytes->via.bin.size, &f->zone,
                                     &content, &err),
                         0);
        assert_int_equal(content.via.map.size, 3);
        assert_true(doc_str_eq(&content, "type", "redacted"));
        assert_true(doc_str_eq(&content, "id", "erased1"));
        uint64_t signed_at = 0;
        assert_true(doc_uint(&content, "at", &signed_at) && signed_at == at);
        /* Another seq, another key, or one changed byte: it fails. */
        assert_false(stream_sign_verify(f->key.public_key, seq + 1, signed_bytes->via.bin.ptr,
                                        signed_bytes->via.bin.size, (const unsigned char *)sig->via.bin.ptr,
                                        sig->via.bin.size));
        unsigned char altered[64];
        assert_true(signed_bytes->via.bin.size <= sizeof altered);
        memcpy(altered, signed_bytes->via.bin.ptr, signed_bytes->via.bin.size);
        altered[signed_bytes->via.bin.size - 1] ^= 1;
        assert_false(stream_sign_verify(f->key.public_key, seq, altered, signed_bytes->via.bin.size,
                                        (const unsigned char *)sig->via.bin.ptr, sig->via.bin.size));
        stream_sign_key_t other;
        crypto_sign_keypair(other.public_key, other.secret);
        assert_false(stream_sign_verify(other.public_key, seq, signed_bytes->via.bin.ptr,
                                        signed_bytes->via.bin.size, (const unsigned char *)sig->via.bin.ptr,
                                        sig->via.bin.size));
    }
    /* The other application's event is untouched. */
    MDB_val raw;
    msgpack_object kept = s_stored(f, 2, &raw);
    assert_true(doc_str_eq(&kept, "type", "upsert"));
    assert_non_null(memmem(raw.mv_data, raw.mv_size, "Structure maintenue", 19));
    /* Redacting again rewrites nothing: redacted events are final. */
    assert_int_equal(s_redact(f), 0);
}

/*  Applies the stored event seq to a mirror that trusts `public_key`. */
static int s_mirror_apply(fixture_t *f, const unsigned char *public_key, msgpack_object *event,
                          proto_error_t *err, size_t *entries, size_t *feed)
{
    store_t *store = store_new(f->mirror_dir, mirror_dbs);
    assert_non_null(store);
    MDB_dbi dbs[5];
    for (size_t i = 0; i < 5; i++)
        dbs[i] = store_db(store, i);
    mirror_t *mirror = mirror_new(public_key);
    MDB_txn *txn;
    assert_int_equal(store_begin(store, false, &txn), 0);
    int rc = mirror_apply(mirror, txn, dbs, event, err);
    MDB_stat st;
    assert_int_equal(mdb_stat(txn, dbs[MIRROR_DB_ENTRIES], &st), 0);
    *entries = st.ms_entries;
    assert_int_equal(mdb_stat(txn, dbs[MIRROR_DB_FEED], &st), 0);
    *feed = st.ms_entries;
    assert_int_equal(store_commit(store, txn), 0);
    mirror_destroy(&mirror);
    store_destroy(&store);
    return rc;
}

static void test_the_mirror_verifies_a_redacted_event_and_changes_nothing(void **state)
{
    fixture_t *f = *state;
    s_append_events(f);
    s_redact(f);
    MDB_val raw;
    msgpack_object event = s_stored(f, 1, &raw);
    proto_error_t err;
    size_t entries = 9, feed = 9;
    assert_int_equal(s_mirror_apply(f, f->key.public_key, &event, &err, &entries, &feed), 0);
    assert_int_equal(entries, 0);
    assert_int_equal(feed, 0);

    /* Signed by another key: refused, naming the signature. */
    stream_sign_key_t other;
    crypto_sign_keypair(other.public_key, other.secret);
    assert_int_equal(s_mirror_apply(f, other.public_key, &event, &err, &entries, &feed), MIRROR_REFUSED);
    assert_string_equal(err.field, "sig");
    assert_string_equal(err.rule, "signature");

    /* Moved to another seq: refused. */
    event.via.map.ptr[0].val.via.u64 = 2;
    assert_int_equal(s_mirror_apply(f, f->key.public_key, &event, &err, &entries, &feed), MIRROR_REFUSED);
    assert_string_equal(err.rule, "signature");
    event.via.map.ptr[0].val.via.u64 = 1;

    /* The signed bytes changed: refused. */
    msgpack_object *signed_bytes = (msgpack_object *)doc_get(&event, "signed");
    char *bytes = msgpack_zone_malloc(&f->zone, signed_bytes->via.bin.size);
    memcpy(bytes, signed_bytes->via.bin.ptr, signed_bytes->via.bin.size);
    bytes[signed_bytes->via.bin.size - 1] ^= 1;
    signed_bytes->via.bin.ptr = bytes;
    assert_int_equal(s_mirror_apply(f, f->key.public_key, &event, &err, &entries, &feed), MIRROR_REFUSED);
    assert_string_equal(err.rule, "signature");

    /* Without its signature: refused like any unsigned event. */
    msgpack_object unsigned_event = s_stored(f, 2, &raw);  /* an upsert never signed here */
    assert_int_equal(s_mirror_apply(f, f->key.public_key, &unsigned_event, &err, &entries, &feed),
                     MIRROR_REFUSED);
    assert_string_equal(err.rule, "required");
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_event_changes_the_directory_as_agreed),
        cmocka_unit_test_setup_teardown(test_erased_events_become_signed_redacted_events, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_the_mirror_verifies_a_redacted_event_and_changes_nothing,
                                        s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
