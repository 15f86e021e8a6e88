/*  services/mirror/site_index.c - index.html (search and filters) and the
 *  data files: annuaire.json, annuaire.csv and annuaire.js (what the
 *  search works on), in one pass over the entries in name order.
 */
#include "site_write.h"

#include "mirror.h"
#include "common/config.h"
#include "common/html.h"
#include "common/log.h"
#include "proto/date.h"
#include "proto/directory.h"
#include "proto/doc.h"
#include "proto/search.h"
#include "proto/json_codec.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void s_select_open(FILE *f, const char *id, const char *label, const char *any)
{
    fprintf(f, "<div class=\"champ\">\n<label for=\"%s\">%s</label>\n<select id=\"%s\" name=\"%s\">\n"
               "<option value=\"\">%s</option>\n",
            id, label, id, id, any);
}

static void s_select(FILE *f, const char *id, const char *label, const char *any, directory_kind_t kind)
{
    s_select_open(f, id, label, any);
    const char *const *codes;
    size_t count = directory_codes(kind, &codes);
    for (size_t i = 0; i < count; i++) {
        fprintf(f, "<option value=\"%s\">", codes[i]);
        html_escape_z(f, directory_label(kind, codes[i], strlen(codes[i])));
        fputs("</option>\n", f);
    }
    fputs("</select>\n</div>\n", f);
}

/*  Only the départements where at least one listing works, each with how
 *  many: a visitor never picks one that finds nothing. */
static void s_select_departments(FILE *f, const site_counts_t *counts)
{
    s_select_open(f, "departement", T_DEPARTMENT, T_DEPARTMENT_ANY);
    const char *const *codes;
    size_t count = directory_codes(DIRECTORY_DEPARTMENT, &codes);
    for (size_t i = 0; i < count && i < 128; i++) {
        size_t n = counts->departments[i];
        if (n == 0)
            continue;
        fprintf(f, "<option value=\"%s\">", codes[i]);
        site_department(f, codes[i], strlen(codes[i]));
        fprintf(f, n == 1 ? T_COUNT_ONE : T_COUNT_MANY, n);
        fputs("</option>\n", f);
    }
    fputs("</select>\n</div>\n", f);
}

int site_write_index(const site_options_t *options, const site_counts_t *counts)
{
    out_file_t out;
    FILE *f = site_open(&out, options->out_dir, "index.html");
    if (!f)
        return -1;
    site_head(f, SITE_TITLE, "");
    fputs("<h1>" T_INDEX_H1 "</h1>\n<p class=\"intro\">", f);
    if (counts->total == 0)
        fputs(T_INDEX_INTRO_NONE, f);
    else if (counts->total == 1)
        fputs(T_INDEX_INTRO_ONE, f);
    else
        fprintf(f, T_INDEX_INTRO_MANY, counts->total);
    fputs("</p>\n<form id=\"recherche\" role=\"search\" action=\"#\">\n"
          "<div class=\"champ texte\">\n<label for=\"q\">" T_SEARCH_LABEL "</label>\n"
          "<input type=\"search\" id=\"q\" name=\"q\" autocomplete=\"off\" aria-describedby=\"q-aide\">\n"
          "<p id=\"q-aide\" class=\"aide\">" T_SEARCH_HELP "</p>\n</div>\n"
          "<fieldset class=\"filtres\">\n<legend>" T_FILTERS "</legend>\n", f);
    s_select_departments(f, counts);
    s_select(f, "theme", T_THEME, T_THEME_ANY, DIRECTORY_THEME);
    s_select(f, "format", T_FORMAT, T_FORMAT_ANY, DIRECTORY_FORMAT);
    s_select(f, "perimetre", T_SCOPE, T_SCOPE_ANY, DIRECTORY_SCOPE);
    s_select(f, "forme", T_LEGAL_FORM, T_LEGAL_FORM_ANY, DIRECTORY_LEGAL_FORM);
    fputs("</fieldset>\n<p class=\"actions\"><button type=\"reset\">" T_RESET "</button></p>\n"
          "</form>\n"
          "<section aria-labelledby=\"resultats-titre\">\n"
          "<h2 id=\"resultats-titre\" class=\"visuellement-cache\">" T_RESULTS "</h2>\n"
          "<p id=\"compte\" role=\"status\" aria-live=\"polite\"></p>\n"
          "<ol id=\"resultats\" class=\"resultats\"></ol>\n"
          "<p><button type=\"button\" id=\"plus\" hidden>" T_MORE "</button></p>\n"
          "</section>\n"
          "<noscript><p>" T_NOSCRIPT "</p></noscript>\n"
          "<script src=\"contrat.js\"></script>\n<script src=\"annuaire.js\"></script>\n"
          "<script src=\"recherche.js\"></script>\n",
          f);
    site_foot(f, "", options);
    return site_close(&out);
}

/* ------------------------------------------------------------ data files */

/*  len bytes as a JSON string (jansson escapes it), then `after`.  Text
 *  jansson refuses (not UTF-8) is written "", never left out: a missing
 *  value would shift every column of the row. */
static void s_json_text(FILE *f, const char *text, size_t len, const char *after)
{
    json_t *s = json_stringn(text ? text : "", len);
    if (!s)
        s = json_string("");
    json_dumpf(s, f, JSON_ENCODE_ANY | JSON_COMPACT);
    json_decref(s);
    fputs(after, f);
}

/*  A JSON string followed by `after`; "" when value is not a string. */
static void s_json_str(FILE *f, const msgpack_object *value, const char *after)
{
    bool str = value && value->type == MSGPACK_OBJECT_STR;
    s_json_text(f, str ? value->via.str.ptr : "", str ? value->via.str.size : 0, after);
}

/*  The card's title: the structure's name, or, for a listing that names
 *  its advisor (several advisors of a cooperative each have theirs),
 *  "Advisor — Structure", in a buffer sized from both: a cut could fall
 *  inside a character. */
static void s_json_title(FILE *f, const msgpack_object *entry, const msgpack_object *org)
{
    const msgpack_object *advisor = doc_get(entry, "advisor"), *name = doc_get(org, "name");
    if (!advisor || advisor->type != MSGPACK_OBJECT_STR || !name || name->type != MSGPACK_OBJECT_STR) {
        s_json_str(f, name, ",");
        return;
    }
    static const char dash[] = " — ";
    size_t a = advisor->via.str.size, n = name->via.str.size, d = sizeof dash - 1;
    char *title = malloc(a + d + n + 1);
    if (!title) {
        s_json_str(f, name, ",");
        return;
    }
    memcpy(title, advisor->via.str.ptr ? advisor->via.str.ptr : "", a);
    memcpy(title + a, dash, d);
    memcpy(title + a + d, name->via.str.ptr ? name->via.str.ptr : "", n);
    s_json_text(f, title, a + d + n, ",");
    free(title);
}

static void s_json_codes(FILE *f, const msgpack_object *array, const char *after)
{
    fputc('[', f);
    for (size_t i = 0; i < doc_len(array); i++)
        s_json_str(f, doc_at(array, i), i + 1 < doc_len(array) ? "," : "");
    fputs("]", f);
    fputs(after, f);
}

/*  The beginning of the presentation for a card: whole words up to
 *  S_EXCERPT_MAX bytes, then "…" (a visitor who typed "gpec" sees the
 *  « gestion prévisionnelle… » that found the listing). */
#define S_EXCERPT_MAX 180

static void s_json_excerpt(FILE *f, const msgpack_object *text)
{
    char excerpt[S_EXCERPT_MAX + 8];
    size_t n = 0;
    if (text && text->type == MSGPACK_OBJECT_STR) {
        n = text->via.str.size;
        memcpy(excerpt, text->via.str.ptr, n < S_EXCERPT_MAX ? n : S_EXCERPT_MAX);
        if (n > S_EXCERPT_MAX) {
            /* Cut at a space: never inside a word, nor inside a character. */
            n = S_EXCERPT_MAX;
            while (n > 0 && excerpt[n - 1] != ' ' && excerpt[n - 1] != '\n')
                n--;
            while (n > 0 && (excerpt[n - 1] == ' ' || excerpt[n - 1] == '\n' || excerpt[n - 1] == ','))
                n--;
            memcpy(excerpt + n, "…", strlen("…"));
            n += strlen("…");
        }
    }
    s_json_text(f, excerpt, n, "");
}

/*  The year since which the listing has been in the directory, for its
 *  card: listed_since's, else (an entry of an older publication service)
 *  its approval's; 0 when the entry says neither. */
static int s_listed_since_year(const msgpack_object *entry)
{
    const msgpack_object *since = doc_get(entry, "listed_since");
    int32_t days;
    uint64_t approved = 0;
    if (!since || since->type != MSGPACK_OBJECT_STR || date_parse(since->via.str.ptr, since->via.str.size, &days)) {
        if (!doc_uint(entry, "approved_at", &approved))
            return 0;     /* the card then says nothing of it */
        days = (int32_t)(approved / 86400);
    }
    int year, month, day;
    date_to_civil(days, &year, &month, &day);
    return year;
}

/*  One record of annuaire.js: what the search shows and filters on, and
 *  the words it finds the listing by, written by proto/search.c: the
 *  script folds what is typed with proto's folding and looks for the
 *  beginning of a word, the same rules as publication's `directory`. */
static void s_search_record(FILE *f, const msgpack_object *entry)
{
    const msgpack_object *org = doc_map(entry, "organisation");
    const msgpack_object *offer = doc_map(entry, "offer");
    fputc('[', f);
    s_json_str(f, doc_get(entry, "id"), ",");
    s_json_title(f, entry, org);
    s_json_str(f, doc_path(org, "address.city"), ",");
    s_json_str(f, doc_path(org, "address.postcode"), ",");
    s_json_str(f, doc_get(org, "legal_form"), ",");
    s_json_codes(f, doc_get(offer, "departments"), ",");
    s_json_codes(f, doc_get(offer, "themes"), ",");
    s_json_codes(f, doc_get(offer, "formats"), ",");
    s_json_codes(f, doc_get(offer, "scope"), ",");
    /* The words it is found by (proto/search.h), a space before each, so
     * that the script finds a word's beginning as " " + what was typed. */
    char words[SEARCH_WORDS_MAX + 1];
    words[0] = ' ';
    size_t n = search_entry_words(entry, words + 1, sizeof words - 1);
    s_json_text(f, words, n + 1, ",");
    s_json_excerpt(f, doc_get(offer, "description"));
    fprintf(f, ",%d]", s_listed_since_year(entry));
}

/*  annuaire.json, annuaire.csv and annuaire.js in one pass over the
 *  entries in name order. */
/*  Counts the listing in each département it works in. */
static void s_count(site_counts_t *counts, const msgpack_object *entry)
{
    const msgpack_object *departments = doc_path(entry, "offer.departments");
    const char *const *codes;
    size_t known = directory_codes(DIRECTORY_DEPARTMENT, &codes);
    counts->total++;
    for (size_t i = 0; i < doc_len(departments); i++) {
        const msgpack_object *code = doc_at(departments, i);
        for (size_t k = 0; code->type == MSGPACK_OBJECT_STR && k < known && k < 128; k++)
            if (strlen(codes[k]) == code->via.str.size
                && memcmp(codes[k], code->via.str.ptr, code->via.str.size) == 0)
                counts->departments[k]++;
    }
}

int site_write_data(MDB_txn *txn, store_t *store, const char *out_dir, site_counts_t *counts)
{
    memset(counts, 0, sizeof *counts);
    out_file_t json, csv, js;
    FILE *fj = site_open(&json, out_dir, "annuaire.json");
    FILE *fc = fj ? site_open(&csv, out_dir, "annuaire.csv") : NULL;
    FILE *fs = fc ? site_open(&js, out_dir, "annuaire.js") : NULL;
    if (!fs) {
        if (fj)
            fclose(fj), unlink(json.tmp);
        if (fc)
            fclose(fc), unlink(csv.tmp);
        return -1;
    }
    fputs("[", fj);
    directory_csv_header(fc);
    /* The labels are in contrat.js, generated from proto/labels.c. */
    fputs("/* L’annuaire ESS Pratiques, pour la recherche de index.html. */\nwindow.ANNUAIRE = {\"fiches\":[", fs);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 16384);
    MDB_cursor *cursor;
    int rc = mdb_cursor_open(txn, store_db(store, MIRROR_DB_NAMES), &cursor) ? -1 : 0;
    MDB_val k, v;
    for (int get = rc ? MDB_NOTFOUND : mdb_cursor_get(cursor, &k, &v, MDB_FIRST); get == 0;
         get = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
        msgpack_object record;
        msgpack_zone_clear(&zone);
        if (store_get_doc(txn, store_db(store, MIRROR_DB_ENTRIES), v.mv_data, v.mv_size, &zone, &record))
            continue;
        const msgpack_object *entry = doc_map(&record, "entry");
        json_t *j = entry ? json_codec_from_object(entry) : NULL;
        if (!j)
            continue;
        fputs(counts->total ? ",\n" : "\n", fj);
        json_dumpf(j, fj, JSON_COMPACT);
        json_decref(j);
        directory_csv_row(fc, entry);
        fputs(counts->total ? ",\n" : "\n", fs);
        s_search_record(fs, entry);
        s_count(counts, entry);
    }
    if (!rc)
        mdb_cursor_close(cursor);
    msgpack_zone_destroy(&zone);
    fputs("\n]\n", fj);
    fputs("\n]};\n", fs);
    rc |= site_close(&json);
    rc |= site_close(&csv);
    rc |= site_close(&js);
    return rc ? -1 : 0;
}

