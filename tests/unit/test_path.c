/* Unit tests of proto/path (the error path) and proto_utf8_trim. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "proto/error.h"
#include "proto/path.h"

/* text is NUL-terminated where len says. */
static void s_check(const proto_path_t *path, const char *expected)
{
    assert_string_equal(path->text, expected);
    assert_int_equal(path->len, strlen(expected));
}

static void test_keys_and_indexes(void **state)
{
    proto_path_t path;
    proto_path_clear(&path);
    s_check(&path, "");

    size_t top = proto_path_push_key(&path, "references", 10);
    assert_int_equal(top, 0);
    s_check(&path, "references");                        /* no "." first */
    size_t item = proto_path_push_index(&path, 2);
    assert_int_equal(item, 10);
    s_check(&path, "references[2]");
    size_t field = proto_path_push_key(&path, "yearly", 4);   /* len counts */
    assert_int_equal(field, 13);
    s_check(&path, "references[2].year");

    proto_path_pop(&path, field);
    s_check(&path, "references[2]");
    proto_path_push_key(&path, "title", 5);
    s_check(&path, "references[2].title");
    proto_path_pop(&path, item);                          /* undoes both */
    s_check(&path, "references");
    proto_path_pop(&path, top);
    s_check(&path, "");

    proto_path_push_index(&path, 0);                      /* a bare array */
    proto_path_push_index(&path, 7);
    proto_path_push_key(&path, "siret", 5);
    s_check(&path, "[0][7].siret");
    proto_path_clear(&path);
    s_check(&path, "");

    char big[32];
    snprintf(big, sizeof big, "[%zu]", (size_t) SIZE_MAX);
    proto_path_push_index(&path, SIZE_MAX);
    s_check(&path, big);
}

static void test_push_as_is(void **state)
{
    proto_path_t path = { .len = 0 };
    s_check(&path, "");
    proto_path_push_key(&path, "items", 5);
    size_t mark = proto_path_push(&path, "[]", 2);        /* no separator */
    assert_int_equal(mark, 5);
    s_check(&path, "items[]");
    proto_path_push_key(&path, "prénom", strlen("prénom"));
    s_check(&path, "items[].prénom");
}

static void test_control_characters(void **state)
{
    proto_path_t path = { .len = 0 };
    proto_path_push_key(&path, "a\nb\x7f\x1b", 5);
    s_check(&path, "a?b??");
    proto_path_push_key(&path, "t\tu", 3);
    s_check(&path, "a?b??.t?u");
    proto_path_clear(&path);
    proto_path_push_key(&path, "x\0y", 3);                /* a NUL in a key */
    s_check(&path, "x?y");
}

static void test_partial_character_in_input(void **state)
{
    proto_path_t path = { .len = 0 };
    proto_path_push(&path, "caf\xc3\xa9", 4);             /* "é" cut in two */
    s_check(&path, "caf");
    proto_path_push(&path, "\xe2\x82\xac", 3);            /* "€" whole */
    s_check(&path, "caf\xe2\x82\xac");
}

/* Fills path with n bytes of 'a'. */
static void s_fill(proto_path_t *path, size_t n)
{
    char a[PROTO_PATH_MAX];
    memset(a, 'a', sizeof a);
    proto_path_clear(path);
    proto_path_push(path, a, n);
    assert_int_equal(path->len, n);
}

static void test_truncation(void **state)
{
    proto_path_t path;
    char a[PROTO_PATH_MAX + 16];
    memset(a, 'a', sizeof a);

    /* Room for PROTO_PATH_MAX-1 bytes and the NUL, no more. */
    proto_path_clear(&path);
    size_t mark = proto_path_push(&path, a, sizeof a);
    assert_int_equal(mark, 0);
    assert_int_equal(path.len, PROTO_PATH_MAX - 1);
    assert_int_equal(strlen(path.text), PROTO_PATH_MAX - 1);
    proto_path_push_key(&path, "b", 1);                   /* no room: dropped */
    assert_int_equal(path.len, PROTO_PATH_MAX - 1);
    proto_path_push_index(&path, 3);
    assert_int_equal(path.len, PROTO_PATH_MAX - 1);
    proto_path_pop(&path, 10);
    assert_int_equal(path.len, 10);
    assert_int_equal(strlen(path.text), 10);

    /* A character that does not fit is left out whole, and so is the rest
     * of its push. */
    s_fill(&path, PROTO_PATH_MAX - 3);
    proto_path_push(&path, "\xc3\xa9z", 3);               /* "é" fits, "z" not */
    assert_int_equal(path.len, PROTO_PATH_MAX - 1);
    assert_memory_equal(path.text + PROTO_PATH_MAX - 3, "\xc3\xa9", 3);

    s_fill(&path, PROTO_PATH_MAX - 2);
    proto_path_push(&path, "\xc3\xa9z", 3);               /* "é" needs 2, 1 left */
    assert_int_equal(path.len, PROTO_PATH_MAX - 2);
    assert_int_equal(path.text[PROTO_PATH_MAX - 2], 0);

    s_fill(&path, PROTO_PATH_MAX - 4);
    proto_path_push(&path, "\xf0\x9f\x98\x80", 4);        /* 4 bytes, 3 left */
    assert_int_equal(path.len, PROTO_PATH_MAX - 4);
    proto_path_push(&path, "\xe2\x82\xac", 3);            /* 3 bytes fit */
    assert_int_equal(path.len, PROTO_PATH_MAX - 1);
    assert_memory_equal(path.text + PROTO_PATH_MAX - 4, "\xe2\x82\xac", 4);

    /* An index that does not fit whole is cut, still within the buffer. */
    s_fill(&path, PROTO_PATH_MAX - 3);
    proto_path_push_index(&path, 12345);
    assert_int_equal(path.len, PROTO_PATH_MAX - 1);
    assert_memory_equal(path.text + PROTO_PATH_MAX - 3, "[1", 3);
}

static void test_utf8_trim(void **state)
{
    static const struct { const char *in, *out; } cases[] = {
        {"", ""},
        {"abc", "abc"},
        {"café", "café"},
        {"caf\xc3", "caf"},                               /* 1 of 2 */
        {"prix 5\xe2\x82", "prix 5"},                     /* 2 of 3 */
        {"prix 5\xe2", "prix 5"},                         /* 1 of 3 */
        {"x\xf0\x9f\x98", "x"},                           /* 3 of 4 */
        {"x\xf0\x9f\x98\x80", "x\xf0\x9f\x98\x80"},       /* whole */
        {"\xe2\x82", ""},                                 /* nothing whole */
        {"a\xe2\x82\xac", "a\xe2\x82\xac"},               /* "€" whole */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[32];
        snprintf(text, sizeof text, "%s", cases[i].in);
        proto_utf8_trim(text);
        assert_string_equal(text, cases[i].out);
    }

    /* What it is for: a reason cut by bytes in the middle of "é", as
     * vsnprintf leaves it in a buffer of 5. */
    char small[5];
    memcpy(small, "abcé", sizeof small - 1);              /* "abc" + 0xC3 */
    small[sizeof small - 1] = 0;
    proto_utf8_trim(small);
    assert_string_equal(small, "abc");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_and_indexes),
        cmocka_unit_test(test_push_as_is),
        cmocka_unit_test(test_control_characters),
        cmocka_unit_test(test_partial_character_in_input),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_utf8_trim),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
