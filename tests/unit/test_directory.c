/* Unit tests of proto/directory.c at its bounds: a search over an entry
 * whose texts fill the search buffer, a sort key with too little room,
 * CSV lists with items that are not strings or that overflow the line,
 * and CSV quoting.  (test_listing covers the common paths.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "proto/directory.h"
#include "proto/json_codec.h"
#include "proto/wire.h"

typedef struct {
    msgpack_sbuffer buf;
    msgpack_zone zone;
    msgpack_object obj;
} decoded_t;

/* Decodes a jansson value (taken). */
static void s_decode(decoded_t *self, json_t *json)
{
    char *text = json_dumps(json, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(json);
    msgpack_sbuffer_init(&self->buf);
    msgpack_zone_init(&self->zone, 4096);
    proto_error_t err;
    if (json_codec_to_msgpack(text, strlen(text), &self->buf, &err))
        fail_msg("test JSON refused: %s", err.message);
    free(text);
    assert_int_equal(wire_decode(self->buf.data, self->buf.size, &self->zone, &self->obj, &err), 0);
}

static void s_free(decoded_t *self)
{
    msgpack_zone_destroy(&self->zone);
    msgpack_sbuffer_destroy(&self->buf);
}

static char *s_text(char c, size_t n)
{
    char *text = malloc(n + 1);
    assert_non_null(text);
    memset(text, c, n);
    text[n] = 0;
    return text;
}

/* The name and city fill the search text: what comes after them (the
 * description) is not searched, and nothing overflows. */
static void test_search_text_bound(void **state)
{
    (void) state;
    char *name = s_text('n', 12000), *city = s_text('c', 6000);
    json_t *entry = json_pack("{s:{s:s, s:{s:s}}, s:{s:s}}", "organisation", "name", name, "address", "city",
                              city, "offer", "description", "formation");
    decoded_t e;
    s_decode(&e, entry);
    decoded_t r;
    s_decode(&r, json_pack("{s:s}", "q", "nnnn"));
    directory_filter_t filter;
    proto_error_t err;
    assert_int_equal(directory_filter_from_request(&r.obj, &filter, &err), 0);
    assert_true(directory_matches(&filter, &e.obj));
    s_free(&r);
    s_decode(&r, json_pack("{s:s}", "q", "formation"));
    assert_int_equal(directory_filter_from_request(&r.obj, &filter, &err), 0);
    assert_false(directory_matches(&filter, &e.obj));
    s_free(&r);
    s_free(&e);
    free(name);
    free(city);
}

static void test_sort_key_room(void **state)
{
    (void) state;
    decoded_t e;
    s_decode(&e, json_pack("{s:s, s:{s:s}}", "id", "A7K2M9", "organisation", "name", "\xc3\x89lan"));
    char key[64];
    assert_int_equal(directory_sort_key(&e.obj, key, 8), 0);           /* id 6 bytes + 3 > 8 */
    size_t len = directory_sort_key(&e.obj, key, 9);
    assert_int_equal(len, 8);                                          /* cap - 1 */
    assert_memory_equal(key, "e\x01" "A7K2M9", 8);                     /* the name cut to fit */
    len = directory_sort_key(&e.obj, key, sizeof key);
    assert_memory_equal(key, "elan\x01" "A7K2M9", len);
    s_free(&e);
    /* No name, no id: still a key. */
    s_decode(&e, json_pack("{}"));
    assert_int_equal(directory_sort_key(&e.obj, key, sizeof key), 1);
    s_free(&e);
}

/* (not inlined: GCC 12 then mistakes the returned buffer for a local) */
__attribute__((noinline)) static char *s_csv(const msgpack_object *entry)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    assert_non_null(out);
    assert_int_equal(directory_csv_row(out, entry), 0);
    fclose(out);
    return text;
}

static void test_csv_lists_and_quoting(void **state)
{
    (void) state;
    /* Items that are not strings are skipped; unknown codes stay as they
     * are; a list longer than a line holds is cut at an item. */
    json_t *departments = json_array();
    for (int i = 0; i < 2000; i++)
        json_array_append_new(departments, json_string("2A"));
    json_t *entry = json_pack("{s:s, s:{s:s, s:s}, s:{s:o, s:[i, s, n], s:s}, s:i}",
                              "id", "A7", "organisation", "name", "Caf\xc3\xa9 \"Le Lien\", Nantes",
                              "legal_form", "not_a_code",
                              "offer", "departments", departments, "themes", 3, "unknown_theme",
                              "description", "ligne 1\r\nligne 2", "version", 4);
    decoded_t e;
    s_decode(&e, entry);
    char *row = s_csv(&e.obj);
    assert_non_null(strstr(row, "A7,\"Caf\xc3\xa9 \"\"Le Lien\"\", Nantes\",not_a_code,"));
    assert_non_null(strstr(row, ",unknown_theme,"));
    assert_non_null(strstr(row, "\"ligne 1\r\nligne 2\",4,\r\n"));
    char *list = strstr(row, "2A; 2A");
    assert_non_null(list);
    size_t list_len = strcspn(list, ",");
    assert_true(list_len < 4096);
    assert_int_equal((list_len + 2) % 4, 0);                        /* whole items only */
    free(row);
    s_free(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_search_text_bound),
        cmocka_unit_test(test_sort_key_room),
        cmocka_unit_test(test_csv_lists_and_quoting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
