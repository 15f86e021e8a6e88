/* Unit tests of proto/import_row.h: the rows of an import file (CSV with
 * French headings, JSONL) made into applications, and what cannot be
 * read reported with its field and rule: a BOM, quotes over several
 * lines, labels instead of codes, the separator ';', an unknown or a
 * missing column, broken UTF-8, a line too long, a wrong number of cells,
 * a bad date; the column a schema path comes from. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "proto/date.h"
#include "proto/doc.h"
#include "proto/import_row.h"
#include "proto/wire.h"

#define S_HEADER "nom,forme juridique,SIRET,code postal,commune,départements,thèmes,formats,périmètre," \
                 "courriel,contact nom,contact courriel,approuvé le,référence 1 : client,référence 1 : année\r\n"

static import_columns_t s_columns;
static import_cells_t s_cells;

/*  Reads the header of text, then its first row into out: what
 *  import_row_from_csv returned. */
static int s_first_row(const char *text, msgpack_sbuffer *out, int32_t *day, proto_error_t *err, unsigned *line)
{
    import_reader_t r;
    import_reader_init(&r, text, strlen(text));
    assert_int_equal(import_csv_columns(&r, &s_columns, err), 0);
    int rc = import_csv_next(&r, &s_cells, line, err);
    if (rc < 0)
        return -1;
    assert_int_equal(rc, 1);
    return import_row_from_csv(&s_columns, &s_cells, out, day, err);
}

static void test_csv_row_is_an_application(void **state)
{
    (void)state;
    const char *text = "\xEF\xBB\xBF" S_HEADER
                       "\"Ancrage, Conseil\",Société coopérative et participative (SCOP),853 645 562 00010,44200,"
                       "Nantes,44; 85,Gouvernance démocratique; ethics_deontology,Accompagnement,whole,"
                       "a@b.example,Maëlle,m@b.example,14/03/2025,\"Régie \"\"Nord\"\"\nNantes\",2023\r\n";
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    int32_t day;
    proto_error_t err;
    unsigned line;
    assert_int_equal(s_first_row(text, &out, &day, &err, &line), 0);
    assert_int_equal(line, 2);
    assert_int_equal(day, date_from_civil(2025, 3, 14));
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object app;
    assert_int_equal(wire_decode(out.data, out.size, &zone, &app, &err), 0);
    assert_true(doc_str_eq(doc_map(&app, "organisation"), "name", "Ancrage, Conseil"));
    assert_true(doc_str_eq(doc_map(&app, "organisation"), "legal_form", "scop"));
    const msgpack_object *themes = doc_array(doc_map(&app, "offer"), "themes");
    assert_int_equal(doc_len(themes), 2);
    assert_true(doc_is(doc_at(themes, 0), "democratic_governance"));
    assert_true(doc_is(doc_at(themes, 1), "ethics_deontology"));
    assert_int_equal(doc_len(doc_array(doc_map(&app, "offer"), "departments")), 2);
    const msgpack_object *ref = doc_at(doc_array(&app, "references"), 0);
    assert_true(doc_str_eq(ref, "client", "Régie \"Nord\"\nNantes"));
    uint64_t year;
    assert_true(doc_uint(ref, "year", &year) && year == 2023);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&out);
}

static void test_semicolon_separator(void **state)
{
    (void)state;
    const char *text = "nom;forme juridique;SIRET;code postal;commune;départements;thèmes;formats;périmètre;"
                       "courriel;contact nom;contact courriel;publié le\n"
                       "A;scop;1;2;3;44, 85;x;y;z;e;f;g;2024-01-31\n";
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    int32_t day;
    proto_error_t err;
    unsigned line;
    assert_int_equal(s_first_row(text, &out, &day, &err, &line), 0);
    assert_int_equal(day, date_from_civil(2024, 1, 31));
    msgpack_sbuffer_destroy(&out);
}

static void test_header_refused(void **state)
{
    (void)state;
    import_reader_t r;
    proto_error_t err;
    const char *unknown = "nom,couleur\r\n";
    import_reader_init(&r, unknown, strlen(unknown));
    assert_int_equal(import_csv_columns(&r, &s_columns, &err), -1);
    assert_string_equal(err.rule, "unknown_column");
    assert_string_equal(err.field, "couleur");
    const char *missing = "NOM,SIRET\r\n";
    import_reader_init(&r, missing, strlen(missing));
    assert_int_equal(import_csv_columns(&r, &s_columns, &err), -1);
    assert_string_equal(err.rule, "missing_column");
    assert_string_equal(err.field, "forme juridique");
    const char *twice = "nom,Nom\r\n";
    import_reader_init(&r, twice, strlen(twice));
    assert_int_equal(import_csv_columns(&r, &s_columns, &err), -1);
    assert_string_equal(err.rule, "duplicate_column");
    import_reader_init(&r, "", 0);
    assert_int_equal(import_csv_columns(&r, &s_columns, &err), -1);
    assert_string_equal(err.rule, "empty");
}

static void s_refused(const char *row, const char *field, const char *rule)
{
    char text[4096];
    snprintf(text, sizeof text, "%s%s\r\n", S_HEADER, row);
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    int32_t day;
    proto_error_t err;
    unsigned line;
    assert_int_equal(s_first_row(text, &out, &day, &err, &line), -1);
    assert_string_equal(err.field, field);
    assert_string_equal(err.rule, rule);
    assert_true(strlen(err.message) > 0);
    msgpack_sbuffer_destroy(&out);
}

static void test_bad_rows(void **state)
{
    (void)state;
    s_refused("A\xC3(,scop,1,2,3,44,x,y,z,e,f,g,2024-01-31,,", "organisation.name", "utf8");
    s_refused("A,scop,1,2,3,44,x,y,z,e,f,g,2024-02-30,,", "approved_at", "date");
    s_refused("A,scop,1,2,3,44,x,y,z,e,f,g,,,", "approved_at", "required");
    s_refused("A,scop,1,2,3,44,x,y,z,e,f,g,2024-01-31,C,deux mille", "references[0].year", "integer");
    s_refused("A,scop,1", "", "cells");
    s_refused("\"A,scop,1,2,3,44,x,y,z,e,f,g,2024-01-31,,", "", "quote");
}

static void test_line_too_long_is_skipped(void **state)
{
    (void)state;
    size_t n = IMPORT_RECORD_MAX + 100;
    char *text = malloc(strlen(S_HEADER) + n + 64);
    strcpy(text, S_HEADER);
    size_t len = strlen(text);
    memset(text + len, 'x', n);
    strcpy(text + len + n, "\r\nA,b\r\n");
    import_reader_t r;
    proto_error_t err;
    unsigned line;
    import_reader_init(&r, text, strlen(text));
    assert_int_equal(import_csv_columns(&r, &s_columns, &err), 0);
    assert_int_equal(import_csv_next(&r, &s_cells, &line, &err), -1);
    assert_string_equal(err.rule, "too_long");
    assert_int_equal(line, 2);
    assert_int_equal(import_csv_next(&r, &s_cells, &line, &err), 1);   /* the next one reads */
    assert_int_equal(line, 3);
    assert_int_equal(s_cells.count, 2);
    assert_int_equal(import_csv_next(&r, &s_cells, &line, &err), 0);
    free(text);
}

/*  A quote left open in row 2 must not swallow row 3: row 2 is refused
 *  (rule quote, line 2), row 3 is read on its own, whole. */
static void test_open_quote_does_not_merge_rows(void **state)
{
    (void)state;
    const char *text = S_HEADER
                       "A,scop,1,2,3,44,x,y,z,e,f,g,2024-01-31,\"Le client,2023\r\n"
                       "B,scop,1,2,3,44,x,y,z,e,f,g,2024-01-31,\"Le \"\"Guide\"\" appliqué\",2023\r\n";
    import_reader_t r;
    proto_error_t err;
    unsigned line;
    import_reader_init(&r, text, strlen(text));
    assert_int_equal(import_csv_columns(&r, &s_columns, &err), 0);
    assert_int_equal(import_csv_next(&r, &s_cells, &line, &err), -1);
    assert_string_equal(err.rule, "quote");
    assert_int_equal(line, 2);
    assert_non_null(strstr(err.message, "reprend ligne 3"));
    assert_int_equal(import_csv_next(&r, &s_cells, &line, &err), 1);
    assert_int_equal(line, 3);
    assert_int_equal(s_cells.count, 15);
    assert_memory_equal(s_cells.cell[0], "B", 1);
    assert_int_equal(s_cells.cell_len[13], strlen("Le \"Guide\" appliqué"));
    assert_memory_equal(s_cells.cell[13], "Le \"Guide\" appliqué", s_cells.cell_len[13]);
    assert_int_equal(import_csv_next(&r, &s_cells, &line, &err), 0);
}

/*  Text after a closing quote refuses the row (RFC 4180); a quote left
 *  open past 64 KiB is a quote, not a line too long. */
static void test_text_after_closing_quote(void **state)
{
    (void)state;
    s_refused("\"A\"x,scop,1,2,3,44,x,y,z,e,f,g,2024-01-31,,", "", "quote");
    size_t n = IMPORT_RECORD_MAX + 100;
    char *text = malloc(strlen(S_HEADER) + n + 64);
    strcpy(text, S_HEADER "\"open,b\n");
    size_t len = strlen(text);
    for (size_t i = 0; i < n; i++)
        text[len + i] = i % 20 == 19 ? '\n' : 'x';
    strcpy(text + len + n, "\r\nA,b\r\n");
    import_reader_t r;
    proto_error_t err;
    unsigned line;
    import_reader_init(&r, text, strlen(text));
    assert_int_equal(import_csv_columns(&r, &s_columns, &err), 0);
    assert_int_equal(import_csv_next(&r, &s_cells, &line, &err), -1);
    assert_string_equal(err.rule, "quote");
    assert_int_equal(line, 2);
    assert_int_equal(import_csv_next(&r, &s_cells, &line, &err), 1);   /* reading resumes at line 3 */
    assert_int_equal(line, 3);
    free(text);
}

/*  A file with every documented column (proto/README.md §7.6: the
 *  columns of annuaire.csv, the private ones, « publié le » and nine
 *  references of seven columns) reads. */
static void test_every_column(void **state)
{
    (void)state;
    static const char *const headings[] = {
        "identifiant", "version", "nom", "forme juridique", "SIRET", "adresse", "code postal", "commune",
        "départements", "thèmes", "formats", "périmètre", "courriel", "téléphone", "site web", "présentation",
        "approuvé le", "publié le", "conseiller", "RNA", "créée le", "ESUS préfecture", "ESUS accordé le",
        "ESUS expire le", "NDA", "Qualiopi expire le", "contact nom", "contact courriel", "contact téléphone",
        "finalité", "gouvernance", "excédents", "espace privé", "personnes formées", "engagements",
        "liens organisations", "réseaux"};
    static const char *const ref[] = {"client", "ESS", "SIREN", "année", "nature", "thèmes", "résumé"};
    static char text[8192];
    size_t n = 0, cells = 0;
    for (size_t i = 0; i < sizeof headings / sizeof *headings; i++, cells++)
        n += (size_t)snprintf(text + n, sizeof text - n, "%s%s", i ? "," : "", headings[i]);
    for (int k = 1; k <= 9; k++)
        for (size_t i = 0; i < 7; i++, cells++)
            n += (size_t)snprintf(text + n, sizeof text - n, ",référence %d : %s", k, ref[i]);
    n += (size_t)snprintf(text + n, sizeof text - n, "\r\n");
    for (size_t i = 1; i < cells; i++)
        text[n++] = ',';
    snprintf(text + n, sizeof text - n, "x\r\n");
    import_reader_t r;
    proto_error_t err;
    unsigned line;
    import_reader_init(&r, text, strlen(text));
    assert_int_equal(import_csv_columns(&r, &s_columns, &err), 0);
    assert_int_equal(s_columns.count, cells);
    assert_int_equal(import_csv_next(&r, &s_cells, &line, &err), 1);
    assert_int_equal(s_cells.count, cells);
}

/*  Latin-1 (a file saved by Excel as plain « CSV »): in a row, the rule
 *  utf8 on the field; in the header, a sentence saying to save the
 *  file as UTF-8. */
static void test_latin1(void **state)
{
    (void)state;
    const char *text = "nom,forme juridique,SIRET,code postal,commune,départements,thèmes,formats,périmètre,"
                       "courriel,contact nom,contact courriel,approuvé le,personnes formées\r\n"
                       "A,scop,1,2,3,44,x,y,z,e,f,g,2024-01-31,H\xE9l\xE8ne (2024-01-02)\r\n";
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    int32_t day;
    proto_error_t err;
    unsigned line;
    assert_int_equal(s_first_row(text, &out, &day, &err, &line), -1);
    assert_string_equal(err.field, "trained_people[0].name");
    assert_string_equal(err.rule, "utf8");
    msgpack_sbuffer_destroy(&out);
    const char *header = "nom,d\xE9partements\r\n";
    import_reader_t r;
    import_reader_init(&r, header, strlen(header));
    assert_int_equal(import_csv_columns(&r, &s_columns, &err), -1);
    assert_string_equal(err.rule, "utf8");
    assert_non_null(strstr(err.message, "pas en UTF-8"));
    assert_non_null(strstr(err.message, "CSV UTF-8"));
}

/*  The rows of bare separators Excel leaves below a table are skipped
 *  like blank lines, the line count still right. */
static void test_rows_of_separators_are_skipped(void **state)
{
    (void)state;
    const char *text = S_HEADER ",,,,,,,,,,,,,,\r\n"
                       "A,scop,1,2,3,44,x,y,z,e,f,g,2024-01-31,,\r\n"
                       ",,,,,,,,,,,,,,\r\n , ,\t\r\n,,,,,,,,,,,,,,";
    import_reader_t r;
    proto_error_t err;
    unsigned line;
    import_reader_init(&r, text, strlen(text));
    assert_int_equal(import_csv_columns(&r, &s_columns, &err), 0);
    assert_int_equal(import_csv_next(&r, &s_cells, &line, &err), 1);
    assert_int_equal(line, 3);
    assert_int_equal(import_csv_next(&r, &s_cells, &line, &err), 0);
}

/*  Reference 1 empty, reference 2 filled: the application lists one
 *  reference, which is the file's « référence 2 ». */
static void test_references_with_a_gap(void **state)
{
    (void)state;
    const char *text = "nom,référence 1 : client,référence 2 : client,référence 3 : année\r\n"
                       "A,,B, \r\n";
    import_reader_t r;
    proto_error_t err;
    unsigned line;
    import_reader_init(&r, text, strlen(text));
    import_csv_columns(&r, &s_columns, &err);   /* required columns missing: the columns are read anyway */
    assert_int_equal(import_csv_next(&r, &s_cells, &line, &err), 1);
    unsigned refs = import_row_refs(&s_columns, &s_cells);
    assert_int_equal(refs, 2u);
    assert_int_equal(import_ref_of(refs, 0), 1);
    assert_int_equal(import_ref_of(5u, 1), 2);
    assert_int_equal(import_ref_of(1u, 3), 3);
}

/*  A NUL byte is refused (rule control), not trimmed away at a cell's
 *  edge; a row of NULs is not a blank row. */
static void test_nul_is_refused(void **state)
{
    (void)state;
    static const char row[] = "\0A,scop,1,2,3,44,x,y,z,e,f,g,2024-01-31,,\r\n";
    char text[1024];
    size_t n = strlen(S_HEADER);
    memcpy(text, S_HEADER, n);
    memcpy(text + n, row, sizeof row - 1);
    n += sizeof row - 1;
    import_reader_t r;
    proto_error_t err;
    unsigned line;
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    int32_t day;
    import_reader_init(&r, text, n);
    assert_int_equal(import_csv_columns(&r, &s_columns, &err), 0);
    assert_int_equal(import_csv_next(&r, &s_cells, &line, &err), 1);
    assert_int_equal(import_row_from_csv(&s_columns, &s_cells, &out, &day, &err), -1);
    assert_string_equal(err.field, "organisation.name");
    assert_string_equal(err.rule, "control");
    msgpack_sbuffer_destroy(&out);
    static const char nuls[] = "\0\0\r\n";
    import_reader_init(&r, nuls, sizeof nuls - 1);
    assert_int_equal(import_csv_next(&r, &s_cells, &line, &err), 1);
}

/*  The separator is the header's, even below blank lines. */
static void test_separator_below_blank_lines(void **state)
{
    (void)state;
    const char *text = "\r\n  \n"
                       "nom;forme juridique;SIRET;code postal;commune;départements;thèmes;formats;périmètre;"
                       "courriel;contact nom;contact courriel;publié le\n"
                       "A;scop;1;2;3;44, 85;x;y;z;e;f;g;2024-01-31\n";
    import_reader_t r;
    proto_error_t err;
    unsigned line;
    import_reader_init(&r, text, strlen(text));
    assert_int_equal(import_csv_columns(&r, &s_columns, &err), 0);
    assert_int_equal(s_columns.count, 13);
    assert_int_equal(import_csv_next(&r, &s_cells, &line, &err), 1);
    assert_int_equal(line, 4);
    assert_int_equal(s_cells.count, 13);
}

static void test_jsonl(void **state)
{
    (void)state;
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    int32_t day;
    proto_error_t err;
    const char *good = "{\"approved_at\":\"2025-01-02\",\"application\":{\"advisor\":\"X\"}}";
    assert_int_equal(import_row_from_json(good, strlen(good), &out, &day, &err), 0);
    assert_int_equal(day, date_from_civil(2025, 1, 2));
    const char *broken = "{\"approved_at\":";
    assert_int_equal(import_row_from_json(broken, strlen(broken), &out, &day, &err), -1);
    assert_string_equal(err.rule, "json_syntax");
    const char *undated = "{\"application\":{}}";
    assert_int_equal(import_row_from_json(undated, strlen(undated), &out, &day, &err), -1);
    assert_string_equal(err.field, "approved_at");
    assert_string_equal(err.rule, "required");
    import_reader_t r;
    const char *lines = "\n  \n{}\n";
    const char *text;
    size_t len;
    unsigned line;
    import_reader_init(&r, lines, strlen(lines));
    assert_int_equal(import_jsonl_next(&r, &text, &len, &line, &err), 1);
    assert_int_equal(line, 3);
    assert_int_equal(import_jsonl_next(&r, &text, &len, &line, &err), 0);
    msgpack_sbuffer_destroy(&out);
}

static void test_column_of_a_field(void **state)
{
    (void)state;
    char column[96];
    import_column_of("organisation.public_contact.email", column, sizeof column);
    assert_string_equal(column, "courriel");
    import_column_of("offer.themes[3]", column, sizeof column);
    assert_string_equal(column, "thèmes");
    import_column_of("references[1].year", column, sizeof column);
    assert_string_equal(column, "référence 2 : année");
    import_column_of("organisation.private_contact.email", column, sizeof column);
    assert_string_equal(column, "contact courriel");
    import_column_of("nowhere", column, sizeof column);
    assert_string_equal(column, "");
    assert_string_equal(import_rule_french("required"), "ce champ est obligatoire");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_row_is_an_application), cmocka_unit_test(test_semicolon_separator),
        cmocka_unit_test(test_header_refused),            cmocka_unit_test(test_bad_rows),
        cmocka_unit_test(test_line_too_long_is_skipped),  cmocka_unit_test(test_jsonl),
        cmocka_unit_test(test_column_of_a_field),
        cmocka_unit_test(test_open_quote_does_not_merge_rows), cmocka_unit_test(test_text_after_closing_quote),
        cmocka_unit_test(test_every_column),               cmocka_unit_test(test_latin1),
        cmocka_unit_test(test_rows_of_separators_are_skipped), cmocka_unit_test(test_references_with_a_gap),
        cmocka_unit_test(test_nul_is_refused),               cmocka_unit_test(test_separator_below_blank_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
