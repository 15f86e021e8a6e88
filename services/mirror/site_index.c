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
#include "proto/text.h"
#include "proto/json_codec.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void s_select(FILE *f, const char *id, const char *label, const char *any, directory_kind_t kind)
{
    fprintf(f, "<div class=\"champ\">\n<label for=\"%s\">%s</label>\n<select id=\"%s\" name=\"%s\">\n"
               "<option value=\"\">%s</option>\n",
            id, label, id, id, any);
    const char *const *codes;
    size_t count = directory_codes(kind, &codes);
    for (size_t i = 0; i < count; i++) {
        fprintf(f, "<option value=\"%s\">", codes[i]);
        if (kind == DIRECTORY_DEPARTMENT)
            site_department(f, codes[i], strlen(codes[i]));
        else
            html_escape_z(f, directory_label(kind, codes[i], strlen(codes[i])));
        fputs("</option>\n", f);
    }
    fputs("</select>\n</div>\n", f);
}

int site_write_index(const char *out_dir, size_t count)
{
    out_file_t out;
    FILE *f = site_open(&out, out_dir, "index.html");
    if (!f)
        return -1;
    site_head(f, SITE_TITLE, "");
    fprintf(f, "<h1>Trouver un accompagnateur ou un formateur de l’ESS</h1>\n"
               "<p class=\"intro\">%zu structure%s référencée%s par le Comité Scientifique et Éthique "
               "d’ESS Pratiques %s les entreprises de l’économie sociale et solidaire "
               "dans leur démarche d’amélioration continue.</p>\n"
               "<form id=\"recherche\" role=\"search\" action=\"#\">\n"
               "<div class=\"champ texte\">\n<label for=\"q\">Rechercher</label>\n"
               "<input type=\"search\" id=\"q\" name=\"q\" autocomplete=\"off\" "
               "aria-describedby=\"q-aide\">\n"
               "<p id=\"q-aide\" class=\"aide\">Nom, commune, code postal ou mot de la présentation ; "
               "les accents et les majuscules sont sans importance.</p>\n</div>\n"
               "<fieldset class=\"filtres\">\n<legend>Filtrer</legend>\n",
            count, count > 1 ? "s" : "", count > 1 ? "s" : "",
            count > 1 ? "accompagnent et forment" : "accompagne et forme");
    s_select(f, "departement", "Département d’intervention", "Tous les départements", DIRECTORY_DEPARTMENT);
    s_select(f, "theme", "Thème", "Tous les thèmes", DIRECTORY_THEME);
    s_select(f, "format", "Format", "Accompagnement ou formation", DIRECTORY_FORMAT);
    s_select(f, "perimetre", "Périmètre", "Tous les périmètres", DIRECTORY_SCOPE);
    s_select(f, "forme", "Forme juridique", "Toutes les formes juridiques", DIRECTORY_LEGAL_FORM);
    fputs("</fieldset>\n<p class=\"actions\"><button type=\"reset\">Effacer la recherche</button></p>\n"
          "</form>\n"
          "<section aria-labelledby=\"resultats-titre\">\n"
          "<h2 id=\"resultats-titre\" class=\"visuellement-cache\">Résultats</h2>\n"
          "<p id=\"compte\" role=\"status\" aria-live=\"polite\"></p>\n"
          "<ol id=\"resultats\" class=\"resultats\"></ol>\n"
          "<p><button type=\"button\" id=\"plus\" hidden>Afficher plus de résultats</button></p>\n"
          "</section>\n"
          "<noscript><p>La recherche a besoin de JavaScript. L’annuaire complet reste disponible en "
          "<a href=\"annuaire.csv\">CSV</a> et en <a href=\"annuaire.json\">JSON</a>.</p></noscript>\n"
          "<script src=\"contrat.js\"></script>\n<script src=\"annuaire.js\"></script>\n"
          "<script src=\"recherche.js\"></script>\n",
          f);
    site_foot(f, "");
    return site_close(&out);
}

/* ------------------------------------------------------------ data files */

/*  A JSON string (jansson escapes it) followed by `after`. */
static void s_json_str(FILE *f, const msgpack_object *value, const char *after)
{
    json_t *s = value && value->type == MSGPACK_OBJECT_STR
                    ? json_stringn(value->via.str.ptr, value->via.str.size)
                    : json_string("");
    json_dumpf(s, f, JSON_ENCODE_ANY | JSON_COMPACT);
    json_decref(s);
    fputs(after, f);
}

static void s_json_codes(FILE *f, const msgpack_object *array, const char *after)
{
    fputc('[', f);
    for (size_t i = 0; i < doc_len(array); i++)
        s_json_str(f, doc_at(array, i), i + 1 < doc_len(array) ? "," : "");
    fputs("]", f);
    fputs(after, f);
}

/*  One record of annuaire.js: what the search shows and filters on, and
 *  the folded text it searches (the same folding as the service's). */
static void s_search_record(FILE *f, const msgpack_object *entry)
{
    const msgpack_object *org = doc_map(entry, "organisation");
    const msgpack_object *offer = doc_map(entry, "offer");
    fputc('[', f);
    s_json_str(f, doc_get(entry, "id"), ",");
    s_json_str(f, doc_get(org, "name"), ",");
    s_json_str(f, doc_path(org, "address.city"), ",");
    s_json_str(f, doc_path(org, "address.postcode"), ",");
    s_json_str(f, doc_get(org, "legal_form"), ",");
    s_json_codes(f, doc_get(offer, "departments"), ",");
    s_json_codes(f, doc_get(offer, "themes"), ",");
    s_json_codes(f, doc_get(offer, "formats"), ",");
    s_json_codes(f, doc_get(offer, "scope"), ",");
    static const char *const paths[] = {"organisation.name", "organisation.address.city",
                                        "organisation.address.postcode", "offer.description", NULL};
    char folded[4096];
    size_t n = 0;
    for (const char *const *p = paths; *p; p++) {
        const msgpack_object *value = doc_path(entry, *p);
        if (!value || value->type != MSGPACK_OBJECT_STR || n + 2 >= sizeof folded)
            continue;
        folded[n++] = ' ';
        n += text_fold(value->via.str.ptr, value->via.str.size, folded + n, sizeof folded - n);
    }
    json_t *s = json_stringn(folded, n);
    json_dumpf(s, f, JSON_ENCODE_ANY | JSON_COMPACT);
    json_decref(s);
    fputc(']', f);
}

/*  annuaire.json, annuaire.csv and annuaire.js in one pass over the
 *  entries in name order. */
int site_write_data(MDB_txn *txn, store_t *store, const char *out_dir, size_t *count)
{
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
    *count = 0;
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
        fputs(*count ? ",\n" : "\n", fj);
        json_dumpf(j, fj, JSON_COMPACT);
        json_decref(j);
        directory_csv_row(fc, entry);
        fputs(*count ? ",\n" : "\n", fs);
        s_search_record(fs, entry);
        (*count)++;
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

