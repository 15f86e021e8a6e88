/* Unit tests of proto/wire: the prescan refuses every hostile message
 * before msgpack-c allocates anything, and accepts every valid one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "proto/wire.h"

/* A heap copy of exactly `size` bytes, so that AddressSanitizer sees any
 * read past the end of the message. */
static void *s_exact(const void *data, size_t size)
{
    void *copy = malloc(size ? size : 1);
    assert_non_null(copy);
    if (size)
        memcpy(copy, data, size);
    return copy;
}

/* Prescans then decodes `size` bytes; checks the outcome and the rule. */
static void s_expect(const void *data, size_t size, const char *rule, const char *field)
{
    void *copy = s_exact(data, size);
    proto_error_t err;
    memset(&err, 0x55, sizeof err);
    int rc = wire_prescan(copy, size, &err);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 256);
    msgpack_object obj = { .type = MSGPACK_OBJECT_NIL };
    proto_error_t err2;
    int rc2 = wire_decode(copy, size, &zone, &obj, &err2);
    if (!rule) {
        if (rc != 0)
            fail_msg("refused: %s [%s] at '%s'", err.message, err.rule, err.field);
        assert_int_equal(rc2, 0);
        assert_string_equal(err.rule, "");
    }
    else {
        assert_int_equal(rc, -1);
        assert_int_equal(rc2, -1);
        assert_string_equal(err.rule, rule);
        assert_string_equal(err2.rule, rule);
        assert_true(err.message[0] != 0);
        assert_int_equal(obj.type, MSGPACK_OBJECT_NIL);   /* untouched */
        if (field)
            assert_string_equal(err.field, field);
    }
    msgpack_zone_destroy(&zone);
    free(copy);
}

#define EXPECT_OK(bytes)                  s_expect(bytes, sizeof bytes - 1, NULL, NULL)
#define EXPECT_RULE(bytes, rule, field)   s_expect(bytes, sizeof bytes - 1, rule, field)

static void test_huge_array_count(void **state)
{
    /* The message that makes a bare msgpack_unpack ask for ~96 GB. */
    EXPECT_RULE("\xdd\xff\x00\x00\x00", "truncated", "");
    EXPECT_RULE("\xdd\xff\xff\xff\xff", "truncated", "");
    EXPECT_RULE("\xdc\xff\xff", "truncated", "");
    EXPECT_RULE("\x91\xdd\xff\x00\x00\x00", "truncated", "[0]");
}

static void test_huge_map_count(void **state)
{
    EXPECT_RULE("\xdf\xff\xff\xff\xff", "truncated", "");
    EXPECT_RULE("\xde\xff\xff", "truncated", "");
    /* Two pairs need at least four bytes: three are not enough. */
    EXPECT_RULE("\x82\xa1\x61\xc0", "truncated", "");
}

static void test_lengths_beyond_the_end(void **state)
{
    EXPECT_RULE("\xd9\x10\x61\x62", "truncated", "");                /* str8 of 16, 2 left */
    EXPECT_RULE("\xda\xff\xff\x61", "truncated", "");
    EXPECT_RULE("\xdb\xff\xff\xff\xff\x61", "truncated", "");
    EXPECT_RULE("\xa5\x61\x62", "truncated", "");                    /* fixstr */
    EXPECT_RULE("\xc4\x05\x00", "truncated", "");                    /* bin8 */
    EXPECT_RULE("\xc6\xff\xff\xff\xff", "truncated", "");            /* bin32 */
    EXPECT_RULE("\xcb\x00\x00", "truncated", "");                    /* float64 */
    EXPECT_RULE("\xcf\x00", "truncated", "");                        /* uint64 */
    EXPECT_RULE("\xd9", "truncated", "");                            /* str8, no length */
    EXPECT_RULE("", "truncated", "");
    EXPECT_RULE("\x81\xa4name\xd9\x20x", "truncated", "name");
}

/* n nested arrays, the innermost holding `leaf` (or empty when NULL). */
static size_t s_nested(unsigned char *buf, int n, bool leaf)
{
    size_t len = 0;
    for (int i = 0; i < n - 1; i++)
        buf[len++] = 0x91;
    if (leaf) {
        buf[len++] = 0x91;
        buf[len++] = 0xc0;
    }
    else
        buf[len++] = 0x90;
    return len;
}

static void test_depth(void **state)
{
    unsigned char buf[128];
    s_expect(buf, s_nested(buf, WIRE_DEPTH_MAX, false), NULL, NULL);
    s_expect(buf, s_nested(buf, WIRE_DEPTH_MAX, true), NULL, NULL);
    s_expect(buf, s_nested(buf, WIRE_DEPTH_MAX + 1, false), "depth", NULL);
    s_expect(buf, s_nested(buf, WIRE_DEPTH_MAX + 1, true), "depth", NULL);

    /* Nested maps: the field names the path down to the container. */
    size_t len = 0;
    for (int i = 0; i < WIRE_DEPTH_MAX + 1; i++) {
        buf[len++] = 0x81;
        buf[len++] = 0xa1;
        buf[len++] = 'a';
    }
    buf[len++] = 0xc0;
    proto_error_t err;
    assert_int_equal(wire_prescan(buf, len, &err), -1);
    assert_string_equal(err.rule, "depth");
    char expected[80] = "a";
    for (int i = 1; i < WIRE_DEPTH_MAX; i++)
        strcat(expected, ".a");
    assert_string_equal(err.field, expected);
}

static void test_depth_accepted_by_msgpack(void **state)
{
    /* What the prescan accepts, msgpack-c's fixed parse stack accepts. */
    unsigned char buf[80];
    size_t len = s_nested(buf, WIRE_DEPTH_MAX, true);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 256);
    msgpack_object obj;
    proto_error_t err;
    assert_int_equal(wire_decode(buf, len, &zone, &obj, &err), 0);
    const msgpack_object *node = &obj;
    for (int i = 0; i < WIRE_DEPTH_MAX; i++) {
        assert_int_equal(node->type, MSGPACK_OBJECT_ARRAY);
        node = &node->via.array.ptr[0];
    }
    assert_int_equal(node->type, MSGPACK_OBJECT_NIL);
    msgpack_zone_destroy(&zone);
}

/* A fixstr holding `bytes` inside {"name": ...}. */
static void s_expect_string(const char *bytes, const char *rule)
{
    size_t n = strlen(bytes);
    assert_true(n < 32);
    unsigned char buf[64] = { 0x81, 0xa4, 'n', 'a', 'm', 'e', (unsigned char) (0xa0 | n) };
    memcpy(buf + 7, bytes, n);
    s_expect(buf, 7 + n, rule, rule ? "name" : NULL);
}

static void test_utf8_valid(void **state)
{
    s_expect_string("plain ascii", NULL);
    s_expect_string("Coop\xc3\xa9rative", NULL);               /* é */
    s_expect_string("\xe2\x82\xac 250", NULL);                 /* € */
    s_expect_string("\xf0\x9d\x84\x9e", NULL);                 /* U+1D11E */
    s_expect_string("\xf4\x8f\xbf\xbf", NULL);                 /* U+10FFFF */
    s_expect_string("\xed\x9f\xbf", NULL);                     /* U+D7FF */
    s_expect_string("\xee\x80\x80", NULL);                     /* U+E000 */
    s_expect_string("\xc2\x80", NULL);                         /* U+0080 */
    s_expect_string("\xe0\xa0\x80", NULL);                     /* U+0800 */
    s_expect_string("\xf0\x90\x80\x80", NULL);                 /* U+10000 */
    /* NUL is valid UTF-8: it is refused later, where a pattern applies. */
    unsigned char nul[] = { 0xa3, 'a', 0x00, 'b' };
    s_expect(nul, sizeof nul, NULL, NULL);
}

/* Strings longer than a word, with the character under test at every
 * offset: the checker reads eight ASCII bytes at a time, then byte by byte
 * from the first byte with its high bit set. */
static void s_expect_long(const char *inner, size_t inner_len, const char *rule)
{
    for (size_t at = 0; at + inner_len <= 40; at++) {
        unsigned char buf[64] = { 0x81, 0xa4, 'n', 'a', 'm', 'e', 0xd9, 40 };
        memset(buf + 8, 'a', 40);
        memcpy(buf + 8 + at, inner, inner_len);
        s_expect(buf, 48, rule, rule ? "name" : NULL);
    }
}

static void test_utf8_long_strings(void **state)
{
    s_expect_long("", 0, NULL);
    s_expect_long("\xc3\xa9", 2, NULL);                            /* é */
    s_expect_long("\xe2\x82\xac", 3, NULL);                        /* € */
    s_expect_long("\xf0\x9d\x84\x9e", 4, NULL);                    /* U+1D11E */
    s_expect_long("\x80", 1, "utf8");
    s_expect_long("\xc3(", 2, "utf8");
    s_expect_long("\xc0\xaf", 2, "utf8");
    s_expect_long("\xed\xa0\x80", 3, "utf8");
    s_expect_long("\xf4\x90\x80\x80", 4, "utf8");
    s_expect_long("\xff", 1, "utf8");
    /* A multi-byte character cut by the end of the string. */
    unsigned char cut[] = { 0x81, 0xa4, 'n', 'a', 'm', 'e', 0xd9, 10,
                            'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 0xc3 };
    s_expect(cut, sizeof cut, "utf8", "name");
}

static void test_utf8_broken(void **state)
{
    s_expect_string("\x80", "utf8");                           /* lone continuation */
    s_expect_string("ab\xbf", "utf8");
    s_expect_string("\xc3", "utf8");                           /* cut at the end */
    s_expect_string("\xc3(", "utf8");                          /* bad continuation */
    s_expect_string("\xe2\x82", "utf8");                       /* 3-byte, cut */
    s_expect_string("\xe2\x82(", "utf8");
    s_expect_string("\xf0\x9d\x84", "utf8");                   /* 4-byte, cut */
    s_expect_string("\xff", "utf8");
    s_expect_string("\xfe\xfe", "utf8");
    s_expect_string("\xf8\x88\x80\x80\x80", "utf8");           /* old 5-byte form */
    s_expect_string("\xed\xa0\x80", "utf8");                   /* surrogate U+D800 */
    s_expect_string("\xed\xbf\xbf", "utf8");                   /* surrogate U+DFFF */
    s_expect_string("\xf4\x90\x80\x80", "utf8");               /* U+110000 */
    s_expect_string("\xf5\x80\x80\x80", "utf8");
}

static void test_utf8_overlong(void **state)
{
    s_expect_string("\xc0\xaf", "utf8");                       /* '/' in 2 bytes */
    s_expect_string("\xc1\xbf", "utf8");
    s_expect_string("\xc0\x80", "utf8");                       /* modified UTF-8 NUL */
    s_expect_string("\xe0\x80\xaf", "utf8");                   /* '/' in 3 bytes */
    s_expect_string("\xe0\x9f\xbf", "utf8");                   /* U+07FF in 3 bytes */
    s_expect_string("\xf0\x80\x80\xaf", "utf8");               /* '/' in 4 bytes */
    s_expect_string("\xf0\x8f\xbf\xbf", "utf8");               /* U+FFFF in 4 bytes */
}

static void test_utf8_in_keys(void **state)
{
    EXPECT_RULE("\x81\xa2\xc0\xaf\xc0", "utf8", "");
}

static void test_duplicate_key(void **state)
{
    EXPECT_RULE("\x83\xa1" "a" "\x01\xa1" "b" "\x02\xa1" "a" "\x03", "duplicate_key", "a");
    EXPECT_RULE("\x81\xacorganisation\x82\xa4name\xa1x\xa4name\xa1y", "duplicate_key", "organisation.name");
    /* Equal prefixes are not equal keys. */
    EXPECT_OK("\x83\xa1" "a" "\x01\xa2" "ab" "\x02\xa0\x03");
    /* The same key in two different maps is fine. */
    EXPECT_OK("\x82\xa1" "a" "\x81\xa1" "a" "\x01\xa1" "b" "\x81\xa1" "a" "\x02");
}

static void test_key_type(void **state)
{
    EXPECT_RULE("\x81\x01\x02", "key_type", "");
    EXPECT_RULE("\x81\xc4\x01" "a" "\x02", "key_type", "");         /* bin is not a str */
    EXPECT_RULE("\x81\xa1" "k" "\x81\x90\xc0", "key_type", "k");
}

static void test_ext(void **state)
{
    EXPECT_RULE("\xd4\x01\x00", "ext", "");
    EXPECT_RULE("\xd8\x01" "0123456789abcdef", "ext", "");
    EXPECT_RULE("\xc7\x01\x05\x00", "ext", "");
    EXPECT_RULE("\xd6\xff\x00\x00\x00\x00", "ext", "");             /* timestamp 32 */
    EXPECT_RULE("\x92\xc0\xd4\x01\x00", "ext", "[1]");
    EXPECT_RULE("\x81\xaareferences\x94\xc0\xc0\xc0\xd5\x01\x00\x00", "ext", "references[3]");
}

static void test_trailing_and_malformed(void **state)
{
    EXPECT_RULE("\xc0\xc0", "trailing_bytes", "");
    EXPECT_RULE("\x90\x00", "trailing_bytes", "");
    EXPECT_RULE("\xc1", "malformed", "");
    EXPECT_RULE("\x92\x01\xc1", "malformed", "[1]");
}

/* A message with every accepted type and every length encoding; its
 * longest string has big_len bytes. */
static void s_rich_message(msgpack_sbuffer *buf, size_t big_len)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 7);
    msgpack_pack_str_with_body(&pk, "ints", 4);
    msgpack_pack_array(&pk, 9);
    msgpack_pack_int64(&pk, 1);
    msgpack_pack_int64(&pk, -1);
    msgpack_pack_int64(&pk, 200);
    msgpack_pack_int64(&pk, -200);
    msgpack_pack_int64(&pk, 70000);
    msgpack_pack_int64(&pk, -70000);
    msgpack_pack_int64(&pk, 5000000000LL);
    msgpack_pack_int64(&pk, -5000000000LL);
    msgpack_pack_uint64(&pk, UINT64_MAX);
    msgpack_pack_str_with_body(&pk, "floats", 6);
    msgpack_pack_array(&pk, 2);
    msgpack_pack_float(&pk, 1.5f);
    msgpack_pack_double(&pk, -2.25);
    msgpack_pack_str_with_body(&pk, "strings", 7);
    msgpack_pack_array(&pk, 3);
    char text[70000];
    memset(text, 'x', sizeof text);
    memcpy(text, "Nantes \xc3\xa9t\xc3\xa9", 12);
    msgpack_pack_str_with_body(&pk, text, 40);
    msgpack_pack_str_with_body(&pk, text, 300);
    assert_true(big_len <= sizeof text);
    msgpack_pack_str_with_body(&pk, text, big_len);
    msgpack_pack_str_with_body(&pk, "bin", 3);
    msgpack_pack_bin_with_body(&pk, "\x00\xff\x01", 3);
    msgpack_pack_str_with_body(&pk, "flags", 5);
    msgpack_pack_array(&pk, 3);
    msgpack_pack_true(&pk);
    msgpack_pack_false(&pk);
    msgpack_pack_nil(&pk);
    msgpack_pack_str_with_body(&pk, "nested", 6);
    msgpack_pack_map(&pk, 1);
    msgpack_pack_str_with_body(&pk, "list", 4);
    msgpack_pack_array(&pk, 20);
    for (int i = 0; i < 20; i++)
        msgpack_pack_map(&pk, 0);
    /* The wide headers msgpack-c never writes for small sizes. */
    static const char wide[] = "\xda\x00\x02hi" "\xdb\x00\x00\x00\x02hi" "\xc5\x00\x01\x00"
                               "\xc6\x00\x00\x00\x01\x00" "\xdc\x00\x01\xc0" "\xdd\x00\x00\x00\x01\xc0"
                               "\xde\x00\x01\xa1k\xc0" "\xdf\x00\x00\x00\x01\xa1k\xc0";
    msgpack_pack_str_with_body(&pk, "wide", 4);
    msgpack_pack_array(&pk, 8);
    msgpack_sbuffer_write(buf, wide, sizeof wide - 1);
}

static void test_valid_message(void **state)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    s_rich_message(&buf, 70000);
    s_expect(buf.data, buf.size, NULL, NULL);

    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object obj;
    proto_error_t err;
    assert_int_equal(wire_decode(buf.data, buf.size, &zone, &obj, &err), 0);
    assert_int_equal(obj.type, MSGPACK_OBJECT_MAP);
    assert_int_equal(obj.via.map.size, 7);
    /* Strings are not copied: they point into the message. */
    const msgpack_object *str = &obj.via.map.ptr[2].val.via.array.ptr[0];
    assert_int_equal(str->type, MSGPACK_OBJECT_STR);
    assert_true(str->via.str.ptr > buf.data && str->via.str.ptr < buf.data + buf.size);
    assert_int_equal(obj.via.map.ptr[0].val.via.array.ptr[8].via.u64, UINT64_MAX);

    /* The same tree as a bare msgpack_unpack gives. */
    msgpack_zone zone2;
    msgpack_zone_init(&zone2, 1024);
    msgpack_object plain;
    size_t off = 0;
    assert_int_equal(msgpack_unpack(buf.data, buf.size, &off, &zone2, &plain), MSGPACK_UNPACK_SUCCESS);
    assert_true(msgpack_object_equal(obj, plain));
    msgpack_zone_destroy(&zone2);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&buf);
}

static void test_scalars(void **state)
{
    EXPECT_OK("\xc0");
    EXPECT_OK("\x00");
    EXPECT_OK("\xff");
    EXPECT_OK("\xa0");
    EXPECT_OK("\x80");
    EXPECT_OK("\x90");
    EXPECT_OK("\xc4\x00");
    EXPECT_OK("\xcf\xff\xff\xff\xff\xff\xff\xff\xff");
    EXPECT_OK("\xd3\x80\x00\x00\x00\x00\x00\x00\x00");
    EXPECT_OK("\xca\x7f\xc0\x00\x00");                              /* float32 NaN */
}

static void test_every_prefix_is_refused(void **state)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    s_rich_message(&buf, 1000);
    for (size_t len = 0; len < buf.size; len++) {
        void *copy = s_exact(buf.data, len);
        proto_error_t err;
        if (wire_prescan(copy, len, &err) != -1)
            fail_msg("prefix of %zu bytes accepted", len);
        if (strcmp(err.rule, "truncated") != 0)
            fail_msg("prefix of %zu bytes: rule %s", len, err.rule);
        msgpack_zone zone;
        msgpack_zone_init(&zone, 256);
        msgpack_object obj;
        assert_int_equal(wire_decode(copy, len, &zone, &obj, NULL), -1);
        msgpack_zone_destroy(&zone);
        free(copy);
    }
    msgpack_sbuffer_destroy(&buf);
}

/* What a service reads back from its own store: the structure is still
 * walked (nothing is allocated from a corrupt count), the UTF-8 and the
 * uniqueness of keys, checked on the way in, are not. */
static void test_decode_stored(void **state)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    s_rich_message(&buf, 1000);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object full, stored;
    proto_error_t err;
    assert_int_equal(wire_decode(buf.data, buf.size, &zone, &full, &err), 0);
    assert_int_equal(wire_decode_stored(buf.data, buf.size, &zone, &stored, &err), 0);
    assert_true(msgpack_object_equal(full, stored));
    for (size_t len = 0; len < buf.size; len++) {
        void *copy = s_exact(buf.data, len);
        if (wire_decode_stored(copy, len, &zone, &stored, &err) != -1)
            fail_msg("prefix of %zu bytes accepted", len);
        assert_string_equal(err.rule, "truncated");
        free(copy);
    }
    static const struct {
        const char *bytes;
        size_t len;
        const char *rule;
    } refused[] = {
        { "\xdd\xff\x00\x00\x00", 5, "truncated" },
        { "\xdf\xff\xff\xff\xff", 5, "truncated" },
        { "\xdb\xff\xff\xff\xff", 5, "truncated" },
        { "\xd6\x01\x00\x00\x00\x00", 6, "ext" },
        { "\x81\x01\xc0", 3, "key_type" },
        { "\xc0\xc0", 2, "trailing_bytes" },
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        void *copy = s_exact(refused[i].bytes, refused[i].len);
        assert_int_equal(wire_decode_stored(copy, refused[i].len, &zone, &stored, &err), -1);
        assert_string_equal(err.rule, refused[i].rule);
        free(copy);
    }
    const unsigned char accepted[] = { 0x82, 0xa1, 'k', 0xa1, 0xff, 0xa1, 'k', 0x01 };
    void *copy = s_exact(accepted, sizeof accepted);
    assert_int_equal(wire_decode(copy, sizeof accepted, &zone, &stored, &err), -1);
    assert_int_equal(wire_decode_stored(copy, sizeof accepted, &zone, &stored, &err), 0);
    free(copy);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&buf);
}

static size_t s_nil_array(unsigned char **out, uint32_t count)
{
    size_t len = 5 + count;
    unsigned char *buf = malloc(len);
    assert_non_null(buf);
    buf[0] = 0xdd;
    buf[1] = (unsigned char) (count >> 24);
    buf[2] = (unsigned char) (count >> 16);
    buf[3] = (unsigned char) (count >> 8);
    buf[4] = (unsigned char) count;
    memset(buf + 5, 0xc0, count);
    *out = buf;
    return len;
}

static void test_too_many_nodes(void **state)
{
    unsigned char *buf;
    size_t len = s_nil_array(&buf, WIRE_NODES_MAX - 1);         /* the array + its items */
    s_expect(buf, len, NULL, NULL);
    free(buf);
    len = s_nil_array(&buf, WIRE_NODES_MAX);
    s_expect(buf, len, "too_many_nodes", "");
    free(buf);
}

/* A map of `count` keys "k0000000".."k<count-1>", value nil; with
 * `repeat_first` the last key repeats the first. */
static size_t s_big_map(unsigned char **out, uint32_t count, bool repeat_first)
{
    size_t len = 5 + (size_t) count * 10;
    unsigned char *buf = malloc(len);
    assert_non_null(buf);
    buf[0] = 0xdf;
    buf[1] = (unsigned char) (count >> 24);
    buf[2] = (unsigned char) (count >> 16);
    buf[3] = (unsigned char) (count >> 8);
    buf[4] = (unsigned char) count;
    unsigned char *p = buf + 5;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t n = (repeat_first && i == count - 1) ? 0 : i;
        char key[16];
        snprintf(key, sizeof key, "k%07u", (unsigned) n);
        *p++ = 0xa8;
        memcpy(p, key, 8);
        p += 8;
        *p++ = 0xc0;
    }
    *out = buf;
    return len;
}

static void test_hostile_map_is_fast(void **state)
{
    unsigned char *buf;
    clock_t start = clock();
    size_t len = s_big_map(&buf, 99999, false);                  /* ~1 MB */
    s_expect(buf, len, NULL, NULL);
    free(buf);
    len = s_big_map(&buf, 99999, true);
    s_expect(buf, len, "duplicate_key", "k0000000");
    free(buf);
    len = s_big_map(&buf, 100000, false);                        /* 200 001 objects */
    s_expect(buf, len, "too_many_nodes", "");
    free(buf);
    double seconds = (double) (clock() - start) / CLOCKS_PER_SEC;
    /* A pairwise comparison would take minutes; sorting takes milliseconds. */
    assert_true(seconds < 5.0);
}

static void test_long_path_is_cut_on_a_character(void **state)
{
    /* {"éé…é" (120 × é, 240 bytes): ext} */
    unsigned char buf[300] = { 0x81, 0xd9, 240 };
    for (int i = 0; i < 120; i++)
        memcpy(buf + 3 + 2 * i, "\xc3\xa9", 2);
    memcpy(buf + 243, "\xd4\x01\x00", 3);
    proto_error_t err;
    assert_int_equal(wire_prescan(buf, 246, &err), -1);
    assert_string_equal(err.rule, "ext");
    size_t len = strlen(err.field);
    assert_true(len > 100 && len < PROTO_FIELD_MAX);
    assert_int_equal(len % 2, 0);                               /* whole characters */
    unsigned char field[PROTO_FIELD_MAX + 2] = { 0xd9, (unsigned char) len };
    memcpy(field + 2, err.field, len);
    assert_int_equal(wire_prescan(field, len + 2, NULL), 0);    /* valid UTF-8 */
}

static void test_null_error_is_allowed(void **state)
{
    assert_int_equal(wire_prescan("\xc1", 1, NULL), -1);
    assert_int_equal(wire_prescan("\xc0", 1, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_huge_array_count),
        cmocka_unit_test(test_huge_map_count),
        cmocka_unit_test(test_lengths_beyond_the_end),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_depth_accepted_by_msgpack),
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_utf8_broken),
        cmocka_unit_test(test_utf8_long_strings),
        cmocka_unit_test(test_utf8_overlong),
        cmocka_unit_test(test_utf8_in_keys),
        cmocka_unit_test(test_duplicate_key),
        cmocka_unit_test(test_key_type),
        cmocka_unit_test(test_ext),
        cmocka_unit_test(test_trailing_and_malformed),
        cmocka_unit_test(test_valid_message),
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_every_prefix_is_refused),
        cmocka_unit_test(test_decode_stored),
        cmocka_unit_test(test_too_many_nodes),
        cmocka_unit_test(test_hostile_map_is_fast),
        cmocka_unit_test(test_long_path_is_cut_on_a_character),
        cmocka_unit_test(test_null_error_is_allowed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
