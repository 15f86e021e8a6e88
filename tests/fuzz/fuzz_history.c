/* Fuzz target: the stored-record decoders of proto/history.h, what intake
 * reads back from LMDB and the essp tool verifies again.  The first byte
 * chooses the mode:
 *   even  hostile stored bytes: the rest is a list of records, each a
 *         2-byte big-endian length and its bytes, fed to
 *         history_body_decode, history_erase and a history_verifier_t;
 *   odd   an honest chain made by history_append from texts drawn from the
 *         input, then erased, tampered with and verified again.
 * Aborts when an invariant breaks:
 *   - a decoded body is the documented map: n, at, who, what, why, state,
 *     prev, erased in that order; who/what/why/state str, erased bool, why
 *     "" once erased;
 *   - history_erase gives a record that is erased already (1 the second
 *     time); when the body decoded, so does the erased one, showing the
 *     same n, at, who, what, state and prev;
 *   - a verifier, once broken, stays broken and names a record; a chain
 *     that holds ends at its own head unless an erased why is pending;
 *   - an honest chain verifies and ends at the head history_append left,
 *     every record shows what was appended (texts cut at HISTORY_TEXT_MAX
 *     on a UTF-8 boundary); with one why erased it breaks at the end until
 *     an erasure record follows, then verifies again; one flipped bit in
 *     any record breaks it. */
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/doc.h"
#include "proto/history.h"
#include "proto/wire.h"

#define FUZZ_NAME "fuzz_history"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define S_RECORDS_MAX 8

/* The [body, hash] parts of stored bytes, or false. */
static bool s_split(const void *stored, size_t len, msgpack_zone *zone, msgpack_object_bin *body)
{
    msgpack_object obj;
    proto_error_t err;
    if (wire_decode(stored, len, zone, &obj, &err) || obj.type != MSGPACK_OBJECT_ARRAY || obj.via.array.size != 2
        || obj.via.array.ptr[0].type != MSGPACK_OBJECT_BIN)
        return false;
    *body = obj.via.array.ptr[0].via.bin;
    return true;
}

static void s_check_shown(const msgpack_object *shown)
{
    static const char *const keys[] = { "n", "at", "who", "what", "why", "state", "prev", "erased" };
    FUZZ_REQUIRE(shown->type == MSGPACK_OBJECT_MAP && shown->via.map.size == 8, "a record shows as a map of 8");
    for (size_t i = 0; i < 8; i++)
        FUZZ_REQUIRE(doc_is(&shown->via.map.ptr[i].key, keys[i]), "a record shows its keys in order");
    static const char *const texts[] = { "who", "what", "why", "state" };
    for (size_t i = 0; i < 4; i++)
        FUZZ_REQUIRE(doc_get(shown, texts[i])->type == MSGPACK_OBJECT_STR, "a record's texts are str");
    uint64_t n;
    FUZZ_REQUIRE(doc_uint(shown, "n", &n), "a record has its n");
    const msgpack_object *erased = doc_get(shown, "erased");
    FUZZ_REQUIRE(erased->type == MSGPACK_OBJECT_BOOLEAN, "erased is a bool");
    if (erased->via.boolean)
        FUZZ_REQUIRE(doc_get(shown, "why")->via.str.size == 0, "an erased record shows an empty why");
}

/* The shown fields an erasure keeps. */
static void s_check_same_core(const msgpack_object *a, const msgpack_object *b)
{
    static const char *const kept[] = { "n", "at", "who", "what", "state", "prev" };
    for (size_t i = 0; i < 6; i++)
        FUZZ_REQUIRE(fuzz_same(doc_get(a, kept[i]), doc_get(b, kept[i])), "erasure keeps the core");
}

static void s_check_erase(const uint8_t *stored, size_t len)
{
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    int rc = history_erase(stored, len, &out);
    FUZZ_REQUIRE(rc >= -1 && rc <= 1 && (rc == 0) == (out.size > 0), "history_erase writes only on 0");
    if (rc == 0) {
        msgpack_sbuffer again;
        msgpack_sbuffer_init(&again);
        FUZZ_REQUIRE(history_erase(out.data, out.size, &again) == 1 && again.size == 0,
                     "an erased record is erased already");
        msgpack_sbuffer_destroy(&again);
        msgpack_zone zone;
        msgpack_zone_init(&zone, 1024);
        msgpack_object_bin body, erased_body;
        msgpack_object shown, erased_shown;
        FUZZ_REQUIRE(s_split(stored, len, &zone, &body) && s_split(out.data, out.size, &zone, &erased_body),
                     "an erasable record and its erasure are [body, hash]");
        if (history_body_decode(body.ptr, body.size, &zone, &shown) == 0) {
            FUZZ_REQUIRE(history_body_decode(erased_body.ptr, erased_body.size, &zone, &erased_shown) == 0,
                         "the erasure of a body that decodes decodes");
            s_check_shown(&erased_shown);
            FUZZ_REQUIRE(doc_bool(&erased_shown, "erased", false), "an erased body says so");
            s_check_same_core(&shown, &erased_shown);
        }
        msgpack_zone_destroy(&zone);
    }
    msgpack_sbuffer_destroy(&out);
}

/* Mode even: hostile records. */
static void s_hostile(const uint8_t *data, size_t size)
{
    history_verifier_t verifier;
    history_verifier_init(&verifier);
    bool broken = false;
    while (size >= 2) {
        size_t len = (size_t) data[0] << 8 | data[1];
        data += 2;
        size -= 2;
        if (len > size)
            len = size;
        uint8_t *record = malloc(len ? len : 1);    /* exactly its size, for ASan */
        FUZZ_REQUIRE(record != NULL, "malloc");
        memcpy(record, data, len);
        data += len;
        size -= len;

        msgpack_zone zone;
        msgpack_zone_init(&zone, 1024);
        msgpack_object shown;
        if (history_body_decode(record, len, &zone, &shown) == 0)
            s_check_shown(&shown);
        msgpack_object obj;
        proto_error_t err;
        history_head_t head;
        if (wire_decode(record, len, &zone, &obj, &err) == 0 && history_head_read(&obj, &head) == -1)
            FUZZ_REQUIRE(doc_get(&obj, "history") != NULL, "history_head_read refuses only a bad history");
        msgpack_zone_destroy(&zone);
        s_check_erase(record, len);

        uint64_t before = verifier.count;
        int rc = history_verify_stored(&verifier, record, len);
        FUZZ_REQUIRE(!broken || rc == -1, "a broken chain stays broken");
        FUZZ_REQUIRE(rc == 0 ? verifier.count == before + 1 : verifier.count == before,
                     "the verifier counts what it accepts");
        if (rc) {
            FUZZ_REQUIRE(verifier.broken && verifier.brk.n >= 1 && verifier.brk.reason[0], "a break names its record");
            broken = true;
        }
        free(record);
    }
    history_head_t head = { .count = verifier.count };
    memcpy(head.head, verifier.prev, sizeof head.head);
    bool pending = verifier.erased_pending != 0;
    int rc = history_verify_end(&verifier, &head);
    FUZZ_REQUIRE(rc == (broken || pending ? -1 : 0), "a chain that holds ends at its own head");
    history_verifier_fini(&verifier);
}

/* Texts drawn from the input, as valid UTF-8: a byte above 0x7f becomes
 * the two bytes of U+0080..U+00FF (NUL bytes stay: a str may hold them). */
typedef struct {
    const uint8_t *data;
    size_t size;
} reader_t;

static uint8_t s_byte(reader_t *in)
{
    if (!in->size)
        return 0;
    in->size--;
    return *in->data++;
}

static size_t s_text(reader_t *in, char *out, size_t cap, size_t scale)
{
    size_t want = (size_t) s_byte(in) * scale, len = 0;
    while (want-- && in->size && len + 2 <= cap) {
        uint8_t b = s_byte(in);
        if (b < 0x80)
            out[len++] = (char) b;
        else {
            out[len++] = (char) (0xc0 | b >> 6);
            out[len++] = (char) (0x80 | (b & 0x3f));
        }
    }
    return len;
}

typedef struct {
    msgpack_sbuffer records[S_RECORDS_MAX + 1];
    size_t count;
} chain_t;

/* Verifies a chain against head: 0 when it holds to the end. */
static int s_verify(const chain_t *chain, const history_head_t *head)
{
    history_verifier_t verifier;
    history_verifier_init(&verifier);
    int rc = 0;
    for (size_t i = 0; i < chain->count && rc == 0; i++)
        rc = history_verify_stored(&verifier, chain->records[i].data, chain->records[i].size);
    if (rc == 0)
        rc = history_verify_end(&verifier, head);
    history_verifier_fini(&verifier);
    return rc;
}

static bool s_shows(const msgpack_object *shown, const char *key, const char *text, size_t len)
{
    const char *got;
    size_t got_len;
    size_t want = len > HISTORY_TEXT_MAX ? HISTORY_TEXT_MAX : len;
    return doc_str(shown, key, &got, &got_len) && got_len <= want && want - got_len < 4
        && memcmp(got, text, got_len) == 0 && (len <= HISTORY_TEXT_MAX ? got_len == len : true);
}

/* Mode odd: an honest chain. */
static void s_honest(const uint8_t *data, size_t size)
{
    static const char *const whats[] = { "submitted", "amended", "validated", "decided", "appealed",
                                         "withdrawn" };
    static const char *const states[] = { "received", "validating", "in_review", "accepted", "refused" };
    static char who[2 * HISTORY_TEXT_MAX + 64], why[2 * HISTORY_TEXT_MAX + 64];
    reader_t in = { data, size };
    chain_t chain = { .count = 1 + s_byte(&in) % S_RECORDS_MAX };
    history_head_t head = { 0 };
    for (size_t i = 0; i < chain.count; i++) {
        history_change_t change = { .at = (int64_t) s_byte(&in) << 24 | (int64_t) s_byte(&in) << 8 };
        change.who = who;
        change.who_len = s_text(&in, who, sizeof who, 24);
        change.why = why;
        change.why_len = s_text(&in, why, sizeof why, 24);
        change.what = whats[s_byte(&in) % 6];
        change.state = states[s_byte(&in) % 5];
        msgpack_sbuffer_init(&chain.records[i]);
        history_append(&head, &change, &chain.records[i]);
        FUZZ_REQUIRE(head.count == i + 1, "history_append moves the head");
        msgpack_zone zone;
        msgpack_zone_init(&zone, 1024);
        msgpack_object_bin body;
        msgpack_object shown;
        FUZZ_REQUIRE(s_split(chain.records[i].data, chain.records[i].size, &zone, &body)
                     && history_body_decode(body.ptr, body.size, &zone, &shown) == 0, "an appended record decodes");
        s_check_shown(&shown);
        uint64_t n = 0;
        doc_uint(&shown, "n", &n);
        FUZZ_REQUIRE(n == i + 1, "a record shows its n");
        FUZZ_REQUIRE(s_shows(&shown, "who", who, change.who_len) && s_shows(&shown, "why", why, change.why_len)
                     && doc_str_eq(&shown, "what", change.what) && doc_str_eq(&shown, "state", change.state),
                     "a record shows what was appended");
        msgpack_zone_destroy(&zone);
    }
    FUZZ_REQUIRE(s_verify(&chain, &head) == 0, "an honest chain verifies");
    history_head_t short_head = head;
    short_head.count--;
    FUZZ_REQUIRE(s_verify(&chain, &short_head) == -1, "a chain longer than its head breaks");

    /* One bit flipped anywhere in one record. */
    size_t k = s_byte(&in) % chain.count;
    msgpack_sbuffer *record = &chain.records[k];
    size_t bit = ((size_t) s_byte(&in) << 16 | (size_t) s_byte(&in) << 8 | s_byte(&in)) % (record->size * 8);
    record->data[bit / 8] ^= (char) (1u << (bit % 8));
    FUZZ_REQUIRE(s_verify(&chain, &head) == -1, "a flipped bit breaks the chain");
    record->data[bit / 8] ^= (char) (1u << (bit % 8));

    /* One why erased: a break until an erasure is recorded after it. */
    msgpack_sbuffer erased;
    msgpack_sbuffer_init(&erased);
    FUZZ_REQUIRE(history_erase(record->data, record->size, &erased) == 0, "an appended record can be erased");
    msgpack_sbuffer_destroy(record);
    *record = erased;
    FUZZ_REQUIRE(s_verify(&chain, &head) == -1, "an erasure not recorded breaks the chain");
    history_change_t erasure = { .at = 1, .who = "staff", .who_len = 5, .what = HISTORY_WHAT_ERASED,
                                 .why = "", .why_len = 0, .state = "erased" };
    msgpack_sbuffer_init(&chain.records[chain.count]);
    history_append(&head, &erasure, &chain.records[chain.count++]);
    FUZZ_REQUIRE(s_verify(&chain, &head) == 0, "a recorded erasure verifies");

    for (size_t i = 0; i < chain.count; i++)
        msgpack_sbuffer_destroy(&chain.records[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        FUZZ_REQUIRE(sodium_init() >= 0, "sodium_init");
        ready = true;
    }
    if (size == 0)
        return 0;
    if (data[0] & 1)
        s_honest(data + 1, size - 1);
    else
        s_hostile(data + 1, size - 1);
    return 0;
}
