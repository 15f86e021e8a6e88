/* Unit tests of the stream key's rotation: the key event's signed content
 * and its verification (proto/stream_sign.h), publication adopting
 * keys/publication.next (services/publication/keys.h) on a temporary LMDB
 * (tests/unit/core_bench.h) and a temporary key folder, and essp-mirror
 * following the chain from the first key (services/mirror/mirror.h),
 * refusing a key event that the key it trusts did not sign. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core_bench.h"
#include "common/store.h"
#include "common/stream_key.h"
#include "proto/doc.h"
#include "proto/messages.h"
#include "proto/stream_sign.h"
#include "proto/wire.h"
#include "services/mirror/mirror.h"
#include "services/publication/publication.h"

#define S_AT 1764547200          /* 2025-12-01 00:00 UTC */
#define S_EXPIRES 1859241600     /* 2028-12-01 00:00 UTC */

/* ------------------------------------------------- the key event, alone */

/*  A key event {seq, v, type, at, key, since, signed, sig} as publication
 *  packs it: content naming next from since, signed by signer at seq. */
static void s_pack_key_event(msgpack_sbuffer *out, const stream_sign_key_t *signer, uint64_t seq,
                             const unsigned char next[STREAM_SIGN_PUBLIC_BYTES], uint64_t since,
                             const unsigned char copy[STREAM_SIGN_PUBLIC_BYTES])
{
    msgpack_sbuffer body;
    msgpack_sbuffer_init(&body);
    msgpack_packer bpk;
    msgpack_packer_init(&bpk, &body, msgpack_sbuffer_write);
    stream_sign_pack_key(&bpk, S_AT, next, since);
    unsigned char sig[STREAM_SIGN_BYTES];
    assert_int_equal(stream_sign(signer, seq, body.data, body.size, sig), 0);
    char hex[STREAM_SIGN_HEX_MAX];
    stream_sign_public_hex(copy, hex);
    msgpack_sbuffer_clear(out);
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 8);
    proto_pack_kv_uint(&pk, "seq", seq);
    proto_pack_kv_uint(&pk, "v", PROTO_VERSION);
    proto_pack_kv_str(&pk, "type", "key");
    proto_pack_kv_uint(&pk, "at", S_AT);
    proto_pack_kv_str(&pk, "key", hex);
    proto_pack_kv_uint(&pk, "since", seq + 1);
    proto_pack_str(&pk, "signed");
    msgpack_pack_bin_with_body(&pk, body.data, body.size);
    proto_pack_str(&pk, "sig");
    msgpack_pack_bin_with_body(&pk, sig, sizeof sig);
    msgpack_sbuffer_destroy(&body);
}

static int s_follow(const stream_sign_key_t *trusted, const msgpack_sbuffer *event_bytes, uint64_t seq,
                    unsigned char next[STREAM_SIGN_PUBLIC_BYTES], uint64_t *since, proto_error_t *err)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    msgpack_object event;
    proto_error_t why;
    assert_int_equal(wire_decode(event_bytes->data, event_bytes->size, &zone, &event, &why), 0);
    const char *type;
    uint64_t checked;
    assert_int_equal(proto_event_check(&event, &type, &checked, &why), 0);
    assert_string_equal(type, "key");
    int rc = stream_sign_follow_key(trusted->public_key, &event, seq, &zone, next, since, err);
    msgpack_zone_destroy(&zone);
    return rc;
}

static void test_a_key_event_is_verified_with_the_key_in_force(void **state)
{
    (void)state;
    stream_sign_key_t old_key, new_key, forger;
    crypto_sign_keypair(old_key.public_key, old_key.secret);
    crypto_sign_keypair(new_key.public_key, new_key.secret);
    crypto_sign_keypair(forger.public_key, forger.secret);
    msgpack_sbuffer event;
    msgpack_sbuffer_init(&event);
    unsigned char next[STREAM_SIGN_PUBLIC_BYTES];
    uint64_t since = 0;
    proto_error_t err;

    /* Signed by the old key: the new key, from the next seq. */
    s_pack_key_event(&event, &old_key, 41, new_key.public_key, 42, new_key.public_key);
    assert_int_equal(s_follow(&old_key, &event, 41, next, &since, &err), 0);
    assert_memory_equal(next, new_key.public_key, sizeof next);
    assert_int_equal(since, 42);

    /* Checked by a reader that trusts another key (the new one, or any). */
    assert_int_equal(s_follow(&new_key, &event, 41, next, &since, &err), -1);
    assert_string_equal(err.field, "sig");
    assert_string_equal(err.rule, "signature");
    /* Moved to another seq. */
    assert_int_equal(s_follow(&old_key, &event, 40, next, &since, &err), -1);
    assert_string_equal(err.rule, "signature");

    /* Forged: signed by a key the reader never trusted. */
    s_pack_key_event(&event, &forger, 41, forger.public_key, 42, forger.public_key);
    assert_int_equal(s_follow(&old_key, &event, 41, next, &since, &err), -1);
    assert_string_equal(err.field, "sig");
    assert_string_equal(err.rule, "signature");

    /* The copy beside "signed" names another key than the signed one. */
    s_pack_key_event(&event, &old_key, 41, new_key.public_key, 42, forger.public_key);
    assert_int_equal(s_follow(&old_key, &event, 41, next, &since, &err), -1);
    assert_string_equal(err.field, "key");
    assert_string_equal(err.rule, "mismatch");

    /* A key that would sign from elsewhere than the next seq. */
    s_pack_key_event(&event, &old_key, 41, new_key.public_key, 50, new_key.public_key);
    assert_int_equal(s_follow(&old_key, &event, 41, next, &since, &err), -1);
    assert_string_equal(err.field, "since");

    /* Naming the key in force changes nothing: refused. */
    s_pack_key_event(&event, &old_key, 41, old_key.public_key, 42, old_key.public_key);
    assert_int_equal(s_follow(&old_key, &event, 41, next, &since, &err), -1);
    assert_string_equal(err.rule, "unchanged");
    msgpack_sbuffer_destroy(&event);
}

static void test_the_worked_example_of_a_key_event(void **state)
{
    (void)state;
    /* proto/stream.md section 2.2: the key of section 4.1's seed names
     * d75a98…511a as event 42, which signs from 43. */
    unsigned char seed[32], next[STREAM_SIGN_PUBLIC_BYTES];
    assert_int_equal(sodium_hex2bin(seed, sizeof seed,
                                    "6dafd51a547e3e03ee99eedf038b36450986e3a9a7416df87b0b98208add0158", 64, NULL,
                                    NULL, NULL),
                     0);
    stream_sign_key_t old_key;
    crypto_sign_seed_keypair(old_key.public_key, old_key.secret, seed);
    assert_int_equal(stream_sign_public_from_hex(
                         "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", 64, next),
                     0);
    msgpack_sbuffer body;
    msgpack_sbuffer_init(&body);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    stream_sign_pack_key(&pk, 1764115200, next, 43);
    static const char expected[] = "\x85\xa4type\xa3key\xa2" "at\xce\x69\x26\x43\x00"
                                   "\xa9" "algorithm\xa7" "ed25519\xa3key\xd9\x40"
                                   "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
                                   "\xa5since\x2b";
    assert_int_equal(body.size, 113);
    assert_int_equal(sizeof expected - 1, 113);
    assert_memory_equal(body.data, expected, 113);
    unsigned char sig[STREAM_SIGN_BYTES], expected_sig[STREAM_SIGN_BYTES];
    assert_int_equal(stream_sign(&old_key, 42, body.data, body.size, sig), 0);
    assert_int_equal(sodium_hex2bin(expected_sig, sizeof expected_sig,
                                    "e8cea8b2b965f962fea5d6f3754af740e9307ab04caef729863f2a8e651d2269"
                                    "16fcd132d0877f004c529526eb52e245b65528c5c6607d10133132c714effd03",
                                    128, NULL, NULL, NULL),
                     0);
    assert_memory_equal(sig, expected_sig, sizeof sig);
    msgpack_sbuffer_destroy(&body);
}

/* ---------------------------------------------------- publication rotates */

static const char *const s_fixtures[] = {
    "applications/valid/scop-ancrage-conseil-nantes.json",
    "applications/valid/association-trajectoires-solidaires-angers.json",
};

typedef struct {
    char dir[64];
    char keys[80];
    core_bench_t *bench;
    void *publication;
    stream_sign_key_t first;
    char *applications[2];
} fixture_t;

static void s_open_publication(fixture_t *t)
{
    stream_sign_key_t key;
    assert_int_equal(stream_sign_key_load_or_create(t->keys, &key), 0);
    t->publication = publication_context_new(&key);
    publication_set_key_dir(t->publication, t->keys);
}

static int s_setup(void **state)
{
    fixture_t *t = calloc(1, sizeof *t);
    snprintf(t->dir, sizeof t->dir, "/tmp/essp-rekey-XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    snprintf(t->keys, sizeof t->keys, "%s/keys", t->dir);
    t->bench = core_bench_new(publication_dbs);
    assert_int_equal(stream_sign_key_load_or_create(t->keys, &t->first), 0);
    s_open_publication(t);
    for (size_t i = 0; i < 2; i++)
        t->applications[i] = core_bench_fixture(s_fixtures[i]);
    core_bench_peer(t->bench, NULL, NULL);
    *state = t;
    return 0;
}

static int s_teardown(void **state)
{
    fixture_t *t = *state;
    publication_context_destroy(&t->publication);
    core_bench_destroy(&t->bench);
    for (size_t i = 0; i < 2; i++)
        free(t->applications[i]);
    char command[128];
    snprintf(command, sizeof command, "rm -rf %s", t->dir);
    assert_int_equal(system(command), 0);
    free(t);
    return 0;
}

static void s_decided(fixture_t *t, const char *id, size_t app)
{
    int rc = core_bench_apply(t->bench, publication_apply_review, t->publication, "decided", S_AT,
                              "{\"id\":\"%s\",\"revision\":1,\"at\":%d,\"round\":1,\"decision\":\"approve\","
                              "\"motivations\":[],\"expires\":%d,\"application\":%s}",
                              id, S_AT, S_EXPIRES, t->applications[app]);
    assert_int_equal(rc, 0);
}

static void s_erased(fixture_t *t, const char *id)
{
    int rc = core_bench_apply(t->bench, publication_apply_review, t->publication, "withdrawn", S_AT + 60,
                              "{\"id\":\"%s\",\"at\":%d,\"reason\":\"Effacement.\",\"kind\":\"erased\"}", id,
                              S_AT + 60);
    assert_int_equal(rc, 0);
}

/*  The shell's start, through the bench's apply (any valid event). */
static int s_start_adapter(void *ctx, service_t *svc, MDB_txn *txn, const char *type,
                           const msgpack_object *event, int64_t now)
{
    (void)type, (void)event, (void)now;
    return publication_start(ctx, svc, txn);
}

static int s_start(fixture_t *t)
{
    return core_bench_apply(t->bench, s_start_adapter, t->publication, "erased", S_AT,
                            "{\"id\":\"none\",\"at\":%d}", S_AT);
}

static void s_hello(fixture_t *t, char key[STREAM_SIGN_HEX_MAX], uint64_t *since, size_t *chain)
{
    assert_int_equal(core_bench_request(t->bench, publication_handle, t->publication, S_AT + 30,
                                        "{\"v\":1,\"type\":\"hello\"}"),
                     0);
    const msgpack_object *reply = core_bench_reply(t->bench);
    assert_true(doc_strcpy(reply, "key", key, STREAM_SIGN_HEX_MAX) == 64);
    assert_true(doc_uint(reply, "since", since));
    *chain = doc_len(doc_array(reply, "keys"));
}

static bool s_signed_by(const msgpack_object *event, const unsigned char public_key[STREAM_SIGN_PUBLIC_BYTES])
{
    const msgpack_object *body = doc_get(event, "signed"), *sig = doc_get(event, "sig");
    uint64_t seq = 0;
    doc_uint(event, "seq", &seq);
    return body && sig
           && stream_sign_verify(public_key, seq, body->via.bin.ptr, body->via.bin.size,
                                 (const unsigned char *)sig->via.bin.ptr, sig->via.bin.size);
}

static bool s_file_exists(const fixture_t *t, const char *name)
{
    char path[160];
    snprintf(path, sizeof path, "%s/%s", t->keys, name);
    return access(path, F_OK) == 0;
}

static void s_read_key(const fixture_t *t, const char *name, stream_sign_key_t *key)
{
    char path[160];
    snprintf(path, sizeof path, "%s/%s", t->keys, name);
    assert_int_equal(stream_sign_key_read(path, key), 0);
}

/*  A mirror on its own LMDB that trusts `trusted` and applies every event
 *  of the bench's log in order; returns the seq of the first refused
 *  event (0: none) with err, and the entries it lists. */
static uint64_t s_mirror_follow(fixture_t *t, const unsigned char *trusted, proto_error_t *err,
                                size_t *entries, unsigned char now_trusted[STREAM_SIGN_PUBLIC_BYTES])
{
    char dir[96];
    snprintf(dir, sizeof dir, "%s/mirror", t->dir);
    store_t *store = store_new(dir, mirror_dbs);
    assert_non_null(store);
    MDB_dbi dbs[5];
    for (size_t i = 0; i < 5; i++)
        dbs[i] = store_db(store, i);
    mirror_t *mirror = mirror_new(trusted);
    MDB_txn *txn;
    assert_int_equal(store_begin(store, false, &txn), 0);
    assert_int_equal(store_put(txn, dbs[MIRROR_DB_META], "key", 3, trusted, STREAM_SIGN_PUBLIC_BYTES), 0);
    const msgpack_object *events = core_bench_events(t->bench, 0);
    uint64_t refused = 0;
    for (size_t i = 0; i < doc_len(events) && !refused; i++) {
        int rc = mirror_apply(mirror, txn, dbs, doc_at(events, i), err);
        if (rc == MIRROR_REFUSED)
            doc_uint(doc_at(events, i), "seq", &refused);
        else
            assert_int_equal(rc, 0);
    }
    MDB_stat st;
    assert_int_equal(mdb_stat(txn, dbs[MIRROR_DB_ENTRIES], &st), 0);
    *entries = st.ms_entries;
    MDB_val k = {3, "key"}, v;
    assert_int_equal(mdb_get(txn, dbs[MIRROR_DB_META], &k, &v), 0);
    memcpy(now_trusted, v.mv_data, STREAM_SIGN_PUBLIC_BYTES);
    mdb_txn_abort(txn);
    mirror_destroy(&mirror);
    store_destroy(&store);
    snprintf(dir, sizeof dir, "rm -rf %s/mirror", t->dir);
    assert_int_equal(system(dir), 0);
    return refused;
}

static void test_publication_rotates_and_a_mirror_follows(void **state)
{
    fixture_t *t = *state;
    assert_int_equal(s_start(t), 0);
    assert_int_equal(core_bench_head(t->bench), 0);   /* nothing waits: no event */
    s_decided(t, "a1", 0);                               /* seq 1, the first key */

    unsigned char second[STREAM_SIGN_PUBLIC_BYTES];
    assert_int_equal(stream_sign_key_create_next(t->keys, second), 0);
    struct stat st;
    char path[160];
    snprintf(path, sizeof path, "%s/publication.next", t->keys);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* One rotation at a time. */
    unsigned char third[STREAM_SIGN_PUBLIC_BYTES];
    assert_int_equal(stream_sign_key_create_next(t->keys, third), -1);

    /* hello adopts it: event 2 names it, signed by the first key. */
    char hex[STREAM_SIGN_HEX_MAX], second_hex[STREAM_SIGN_HEX_MAX];
    uint64_t since = 0;
    size_t chain = 0;
    stream_sign_public_hex(second, second_hex);
    s_hello(t, hex, &since, &chain);
    assert_string_equal(hex, second_hex);
    assert_int_equal(since, 3);
    assert_int_equal(chain, 2);
    const msgpack_object *key_event = core_bench_event(t->bench, 1, "key");
    assert_non_null(key_event);
    assert_true(s_signed_by(key_event, t->first.public_key));
    assert_true(doc_str_eq(key_event, "key", second_hex));
    /* Committed: the second hello moves the files. */
    assert_true(s_file_exists(t, "publication.next"));
    s_hello(t, hex, &since, &chain);
    assert_false(s_file_exists(t, "publication.next"));
    stream_sign_key_t kept, current;
    s_read_key(t, "publication.key.1", &kept);
    assert_memory_equal(kept.public_key, t->first.public_key, STREAM_SIGN_PUBLIC_BYTES);
    s_read_key(t, "publication.key", &current);
    assert_memory_equal(current.public_key, second, STREAM_SIGN_PUBLIC_BYTES);
    assert_true(s_file_exists(t, "publication.pub.1"));
    assert_int_equal(core_bench_head(t->bench), 2);   /* no second key event */

    /* Later events are signed by the new key only. */
    s_decided(t, "b2", 1);                              /* seq 3 */
    const msgpack_object *upsert = core_bench_event(t->bench, 2, "upsert");
    assert_true(s_signed_by(upsert, second));
    assert_false(s_signed_by(upsert, t->first.public_key));
    /* An erasure signs each redacted event with the key of its seq. */
    s_erased(t, "a1");                                  /* seq 1 redacted, seq 4 withdraw */
    const msgpack_object *redacted = core_bench_event(t->bench, 0, "redacted");
    assert_non_null(redacted);
    assert_true(s_signed_by(redacted, t->first.public_key));
    const msgpack_object *withdraw = core_bench_event(t->bench, 3, "withdraw");
    assert_true(s_signed_by(withdraw, second));

    /* A mirror that trusts the first key follows the whole stream. */
    proto_error_t err;
    size_t entries = 0;
    unsigned char trusted[STREAM_SIGN_PUBLIC_BYTES];
    assert_int_equal(s_mirror_follow(t, t->first.public_key, &err, &entries, trusted), 0);
    assert_int_equal(entries, 1);
    assert_memory_equal(trusted, second, sizeof trusted);
    /* One that trusts the second key from 0 cannot check event 1. */
    assert_int_equal(s_mirror_follow(t, second, &err, &entries, trusted), 1);
    assert_string_equal(err.rule, "signature");

    /* Restarted: the chain comes from the store, the seeds from the folder. */
    publication_context_destroy(&t->publication);
    s_open_publication(t);
    assert_int_equal(s_start(t), 0);
    s_hello(t, hex, &since, &chain);
    assert_string_equal(hex, second_hex);
    assert_int_equal(chain, 2);
    s_erased(t, "b2");                                  /* seq 3 redacted again by the second key */
    assert_true(s_signed_by(core_bench_event(t->bench, 2, "redacted"), second));
    assert_true(s_signed_by(core_bench_event(t->bench, 4, "withdraw"), second));
    assert_int_equal(s_mirror_follow(t, t->first.public_key, &err, &entries, trusted), 0);
    assert_int_equal(entries, 0);

    /* A retired key put back as next is not adopted again. */
    char command[256];
    snprintf(command, sizeof command, "cp %s/publication.key.1 %s/publication.next", t->keys, t->keys);
    assert_int_equal(system(command), 0);
    uint64_t head = core_bench_head(t->bench);
    s_hello(t, hex, &since, &chain);
    assert_string_equal(hex, second_hex);
    assert_int_equal(core_bench_head(t->bench), head);
    unlink(path);

    /* A copy of the key in force put as next: no event, the copy goes. */
    snprintf(command, sizeof command, "cp %s/publication.key %s/publication.next", t->keys, t->keys);
    assert_int_equal(system(command), 0);
    s_hello(t, hex, &since, &chain);
    assert_int_equal(core_bench_head(t->bench), head);
    assert_false(s_file_exists(t, "publication.next"));

    /* Without the first key's seed the service does not start. */
    snprintf(path, sizeof path, "%s/publication.key.1", t->keys);
    assert_int_equal(unlink(path), 0);
    publication_context_destroy(&t->publication);
    s_open_publication(t);
    assert_int_equal(s_start(t), -1);
}

static void test_a_rotation_waiting_at_start_is_adopted_at_start(void **state)
{
    fixture_t *t = *state;
    s_decided(t, "a1", 0);
    unsigned char second[STREAM_SIGN_PUBLIC_BYTES];
    assert_int_equal(stream_sign_key_create_next(t->keys, second), 0);
    publication_context_destroy(&t->publication);
    s_open_publication(t);
    assert_int_equal(s_start(t), 0);
    const msgpack_object *key_event = core_bench_event(t->bench, 1, "key");
    assert_non_null(key_event);
    assert_true(s_signed_by(key_event, t->first.public_key));
    /* After the start transaction committed, attach moves the files. */
    assert_int_equal(publication_attach(t->publication, core_bench_service(t->bench)), 0);
    assert_false(s_file_exists(t, "publication.next"));
    assert_true(s_file_exists(t, "publication.key.1"));
    s_decided(t, "b2", 1);
    assert_true(s_signed_by(core_bench_event(t->bench, 2, "upsert"), second));
}

static void test_a_forged_key_event_stops_the_mirror(void **state)
{
    fixture_t *t = *state;
    s_decided(t, "a1", 0);                              /* seq 1 */
    /* Someone who does not hold the key appends a key event naming his. */
    stream_sign_key_t forger;
    crypto_sign_keypair(forger.public_key, forger.secret);
    msgpack_sbuffer event;
    msgpack_sbuffer_init(&event);
    s_pack_key_event(&event, &forger, 2, forger.public_key, 3, forger.public_key);
    char dir[96];
    snprintf(dir, sizeof dir, "%s/mirror", t->dir);
    store_t *store = store_new(dir, mirror_dbs);
    MDB_dbi dbs[5];
    for (size_t i = 0; i < 5; i++)
        dbs[i] = store_db(store, i);
    mirror_t *mirror = mirror_new(t->first.public_key);
    MDB_txn *txn;
    assert_int_equal(store_begin(store, false, &txn), 0);
    proto_error_t err;
    assert_int_equal(mirror_apply(mirror, txn, dbs, doc_at(core_bench_events(t->bench, 0), 0), &err), 0);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    msgpack_object forged;
    assert_int_equal(wire_decode(event.data, event.size, &zone, &forged, &err), 0);
    assert_int_equal(mirror_apply(mirror, txn, dbs, &forged, &err), MIRROR_REFUSED);
    assert_string_equal(err.field, "sig");
    assert_string_equal(err.rule, "signature");
    assert_non_null(strstr(err.message, "key event"));
    /* The trusted key did not change. */
    MDB_val k = {3, "key"}, v;
    assert_int_equal(mdb_get(txn, dbs[MIRROR_DB_META], &k, &v), MDB_NOTFOUND);
    mdb_txn_abort(txn);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&event);
    mirror_destroy(&mirror);
    store_destroy(&store);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_key_event_is_verified_with_the_key_in_force),
        cmocka_unit_test(test_the_worked_example_of_a_key_event),
        cmocka_unit_test_setup_teardown(test_publication_rotates_and_a_mirror_follows, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_rotation_waiting_at_start_is_adopted_at_start, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_a_forged_key_event_stops_the_mirror, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
