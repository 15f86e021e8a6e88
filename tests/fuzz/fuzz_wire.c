/* Fuzz target: hostile bytes off a socket or out of a damaged store, through
 * every decoder entry of proto/wire.h: wire_prescan, wire_decode,
 * wire_decode_reply and wire_decode_stored.  Aborts when an invariant
 * breaks, so the fuzzer reports it:
 *   - wire_prescan and wire_decode agree (msgpack-c never refuses what the
 *     prescan let through, so its unpacker never sees a bad count);
 *   - what wire_decode accepts, wire_decode_reply and wire_decode_stored
 *     accept too, as the very same object;
 *   - they refuse only for their documented reasons: the reply decoder
 *     differs by its node bound, the stored decoder by skipping UTF-8 and
 *     duplicate keys; any other refusal is the same rule (and, for the
 *     reply decoder, the same field) in all three;
 *   - a decoded object packed again is at most as long, decodes again and
 *     is the same object;
 *   - every error names its rule, and its texts are valid UTF-8 within
 *     their limits (they travel to clients). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/wire.h"

#define FUZZ_NAME "fuzz_wire"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void s_check_error(const proto_error_t *err)
{
    FUZZ_REQUIRE(err->rule[0] != 0, "an error names its rule");
    FUZZ_REQUIRE(strlen(err->field) < PROTO_FIELD_MAX && strlen(err->message) < PROTO_MESSAGE_MAX,
              "error texts fit their limits");
    const char *texts[] = { err->field, err->rule, err->message };
    for (size_t i = 0; i < 3; i++) {
        msgpack_sbuffer buf;
        msgpack_sbuffer_init(&buf);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
        msgpack_pack_str_with_body(&pk, texts[i], strlen(texts[i]));
        FUZZ_REQUIRE(wire_prescan(buf.data, buf.size, NULL) == 0, "error texts are valid UTF-8");
        msgpack_sbuffer_destroy(&buf);
    }
}

static int s_is(const proto_error_t *err, const char *rule)
{
    return strcmp(err->rule, rule) == 0;
}

typedef int (*decoder_t)(const void *, size_t, msgpack_zone *, msgpack_object *, proto_error_t *);

/* Packs obj again: a message no longer, that the decoder which built obj
 * decodes to obj again. */
static void s_check_repack(const msgpack_object *obj, size_t size, decoder_t decode)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    FUZZ_REQUIRE(msgpack_pack_object(&pk, *obj) == 0, "a decoded object packs");
    FUZZ_REQUIRE(buf.size <= size, "packing again never grows a message");
    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    msgpack_object again;
    proto_error_t err;
    FUZZ_REQUIRE(decode(buf.data, buf.size, &zone, &again, &err) == 0, "a packed object decodes again");
    FUZZ_REQUIRE(fuzz_same(obj, &again), "a packed object decodes to itself");
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    msgpack_object obj, reply, stored;
    proto_error_t scan_err, err, reply_err, stored_err;
    int scan_rc = wire_prescan(data, size, &scan_err);
    int rc = wire_decode(data, size, &zone, &obj, &err);
    int reply_rc = wire_decode_reply(data, size, &zone, &reply, &reply_err);
    int stored_rc = wire_decode_stored(data, size, &zone, &stored, &stored_err);
    FUZZ_REQUIRE(scan_rc == rc, "wire_prescan and wire_decode agree");
    if (rc == 0) {
        FUZZ_REQUIRE(reply_rc == 0 && stored_rc == 0, "what wire_decode accepts, the others accept");
        FUZZ_REQUIRE(fuzz_same(&obj, &reply) && fuzz_same(&obj, &stored),
                  "the three decoders build the same object");
        s_check_repack(&obj, size, wire_decode);
    } else {
        s_check_error(&err);
        FUZZ_REQUIRE(strcmp(scan_err.rule, err.rule) == 0 && strcmp(scan_err.field, err.field) == 0,
                  "wire_decode refuses as wire_prescan does");
        if (reply_rc == 0)
            FUZZ_REQUIRE(s_is(&err, "too_many_nodes"), "the reply decoder differs only by its node bound");
        else if (!s_is(&err, "too_many_nodes"))
            FUZZ_REQUIRE(strcmp(reply_err.rule, err.rule) == 0 && strcmp(reply_err.field, err.field) == 0,
                      "the reply decoder refuses as wire_decode does");
        if (stored_rc == 0)
            FUZZ_REQUIRE(s_is(&err, "utf8") || s_is(&err, "duplicate_key") || s_is(&err, "too_many_nodes"),
                      "the stored decoder skips only UTF-8, duplicate keys and the node bound");
        else if (!s_is(&err, "utf8") && !s_is(&err, "duplicate_key") && !s_is(&err, "too_many_nodes"))
            FUZZ_REQUIRE(strcmp(stored_err.rule, err.rule) == 0, "the stored decoder refuses as wire_decode does");
    }
    if (reply_rc)
        s_check_error(&reply_err);
    if (stored_rc)
        s_check_error(&stored_err);
    else if (rc)
        s_check_repack(&stored, size, wire_decode_stored);
    msgpack_zone_destroy(&zone);
    return 0;
}
