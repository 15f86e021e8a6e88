/*  services/mirror/site.c - see site.h. */
#include "site.h"

#include "mirror.h"
#include "common/config.h"
#include "common/html.h"
#include "proto/date.h"
#include "proto/doc.h"
#include "common/log.h"
#include "proto/text.h"
#include "proto/json_codec.h"
#include "proto/messages.h"
#include "proto/wire.h"
#include "proto/directory.h"

#include <dirent.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern const unsigned char site_asset_style_css[];
extern const unsigned char site_asset_recherche_js[];

#define S_PAGES_DIR "accompagnateurs"
#define S_TITLE "Annuaire des accompagnateurs ESS Pratiques"

/*  A file being written: out_dir/name.tmp, renamed over out_dir/name when
 *  complete. */
typedef struct {
    FILE *file;
    char tmp[CONFIG_PATH_MAX + 32];
    char path[CONFIG_PATH_MAX + 32];
} out_file_t;

static FILE *s_open(out_file_t *out, const char *dir, const char *name)
{
    int a = snprintf(out->path, sizeof out->path, "%s/%s", dir, name);
    int b = snprintf(out->tmp, sizeof out->tmp, "%s/.%s.tmp", dir, name);
    if (a < 0 || b < 0 || (size_t)a >= sizeof out->path || (size_t)b >= sizeof out->tmp) {
        log_error("path too long: %s/%s", dir, name);
        out->file = NULL;
        return NULL;
    }
    out->file = fopen(out->tmp, "w");
    if (!out->file)
        log_error("cannot write %s: %s", out->tmp, strerror(errno));
    return out->file;
}

static int s_close(out_file_t *out)
{
    int failed = ferror(out->file);
    failed |= fclose(out->file) != 0;
    if (!failed && rename(out->tmp, out->path) == 0)
        return 0;
    log_error("cannot write %s: %s", out->path, strerror(errno));
    unlink(out->tmp);
    return -1;
}

/* ------------------------------------------------------------ small tools */

/*  The string at path, escaped; false when absent. */
static bool s_esc_at(FILE *f, const msgpack_object *map, const char *path)
{
    const msgpack_object *value = doc_path(map, path);
    if (!value || value->type != MSGPACK_OBJECT_STR)
        return false;
    html_escape(f, value->via.str.ptr, value->via.str.size);
    return true;
}

static bool s_has_str(const msgpack_object *map, const char *path)
{
    const msgpack_object *value = doc_path(map, path);
    return value && value->type == MSGPACK_OBJECT_STR && value->via.str.size > 0;
}

static const char *s_label_at(const msgpack_object *map, const char *path, directory_kind_t kind)
{
    const msgpack_object *value = doc_path(map, path);
    if (!value || value->type != MSGPACK_OBJECT_STR)
        return NULL;
    return directory_label(kind, value->via.str.ptr, value->via.str.size);
}

/*  "26 novembre 2026" for a YYYY-MM-DD date or a day number. */
static void s_french_date(int32_t days, char *out, size_t cap)
{
    static const char *const months[] = {"janvier", "février", "mars", "avril", "mai", "juin",
                                         "juillet", "août", "septembre", "octobre", "novembre",
                                         "décembre"};
    int year, month, day;
    date_to_civil(days, &year, &month, &day);
    snprintf(out, cap, "%d%s %s %d", day, day == 1 ? "er" : "", months[(month - 1) % 12], year);
}

/*  A <time> element for a date string at path; false when absent. */
static bool s_time_at(FILE *f, const msgpack_object *map, const char *path)
{
    const msgpack_object *value = doc_path(map, path);
    int32_t days;
    if (!value || value->type != MSGPACK_OBJECT_STR
        || date_parse(value->via.str.ptr, value->via.str.size, &days) != 0)
        return false;
    char text[40], iso[11];
    s_french_date(days, text, sizeof text);
    date_format(days, iso);
    fprintf(f, "<time datetime=\"%s\">%s</time>", iso, text);
    return true;
}

static void s_rfc3339(uint64_t at, char out[32])
{
    time_t t = (time_t)at;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/*  "Maine-et-Loire (49)" */
static void s_department(FILE *f, const char *code, size_t len)
{
    const char *name = directory_label(DIRECTORY_DEPARTMENT, code, len);
    if (name) {
        html_escape_z(f, name);
        fputs(" (", f);
        html_escape(f, code, len);
        fputc(')', f);
    } else {
        html_escape(f, code, len);
    }
}

/*  The labels of a coded array, as an inline list "A, B" or as <li>s. */
static void s_labels(FILE *f, const msgpack_object *array, directory_kind_t kind, bool items)
{
    for (size_t i = 0; i < doc_len(array); i++) {
        const msgpack_object *code = doc_at(array, i);
        if (code->type != MSGPACK_OBJECT_STR)
            continue;
        fputs(items ? "<li>" : i ? ", " : "", f);
        if (kind == DIRECTORY_DEPARTMENT) {
            s_department(f, code->via.str.ptr, code->via.str.size);
        } else {
            const char *label = directory_label(kind, code->via.str.ptr, code->via.str.size);
            if (label)
                html_escape_z(f, label);
            else
                html_escape(f, code->via.str.ptr, code->via.str.size);
        }
        if (items)
            fputs("</li>", f);
    }
}

static void s_head(FILE *f, const char *title, const char *root)
{
    fputs("<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>", f);
    html_escape_z(f, title);
    fprintf(f, "</title>\n<link rel=\"stylesheet\" href=\"%sstyle.css\">\n"
               "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"Nouvelles inscriptions et retraits\" href=\"%sannuaire.atom\">\n"
               "</head>\n<body>\n<a class=\"evitement\" href=\"#contenu\">Aller au contenu</a>\n"
               "<header class=\"bandeau\"><p class=\"site\"><a href=\"%sindex.html\">" S_TITLE "</a></p></header>\n"
               "<main id=\"contenu\" tabindex=\"-1\">\n",
            root, root, root);
}

static void s_foot(FILE *f, const char *root)
{
    fprintf(f, "</main>\n<footer class=\"pied\">\n<p>L’annuaire des accompagnateurs et formateurs "
               "référencés par le Comité Scientifique et Éthique d’ESS Pratiques (CRESS Pays de la Loire).</p>\n"
               "<p>Données ouvertes : <a href=\"%sannuaire.csv\">CSV</a>, <a href=\"%sannuaire.json\">JSON</a>, "
               "<a href=\"%sannuaire.atom\">flux Atom des inscriptions et retraits</a>.</p>\n</footer>\n"
               "</body>\n</html>\n",
            root, root, root);
}

/* --------------------------------------------------------- advisor pages */

static void s_base64(FILE *f, const msgpack_object *bin)
{
    if (!bin || bin->type != MSGPACK_OBJECT_BIN)
        return;
    size_t cap = sodium_base64_ENCODED_LEN(bin->via.bin.size, sodium_base64_VARIANT_ORIGINAL);
    char *text = malloc(cap);
    if (!text)
        return;
    sodium_bin2base64(text, cap, (const unsigned char *)bin->via.bin.ptr, bin->via.bin.size,
                      sodium_base64_VARIANT_ORIGINAL);
    fputs(text, f);
    free(text);
}

static void s_page_offer(FILE *f, const msgpack_object *offer)
{
    fputs("<section aria-labelledby=\"offre\">\n<h2 id=\"offre\">Son offre</h2>\n", f);
    if (s_has_str(offer, "description")) {
        fputs("<p class=\"presentation\">", f);
        s_esc_at(f, offer, "description");
        fputs("</p>\n", f);
    }
    fputs("<dl>\n<dt>Formats</dt><dd>", f);
    s_labels(f, doc_array(offer, "formats"), DIRECTORY_FORMAT, false);
    fputs("</dd>\n<dt>Périmètre</dt><dd>", f);
    s_labels(f, doc_array(offer, "scope"), DIRECTORY_SCOPE, false);
    fputs("</dd>\n<dt>Thèmes du Guide des bonnes pratiques</dt><dd><ul>", f);
    s_labels(f, doc_array(offer, "themes"), DIRECTORY_THEME, true);
    fputs("</ul></dd>\n<dt>Départements d’intervention</dt><dd><ul class=\"en-ligne\">", f);
    s_labels(f, doc_array(offer, "departments"), DIRECTORY_DEPARTMENT, true);
    fputs("</ul></dd>\n</dl>\n</section>\n", f);
}

static void s_page_contact(FILE *f, const msgpack_object *org)
{
    fputs("<section aria-labelledby=\"contact\">\n<h2 id=\"contact\">Contact</h2>\n<dl>\n", f);
    if (s_has_str(org, "public_contact.email")) {
        fputs("<dt>Courriel</dt><dd><a href=\"mailto:", f);
        s_esc_at(f, org, "public_contact.email");
        fputs("\">", f);
        s_esc_at(f, org, "public_contact.email");
        fputs("</a></dd>\n", f);
    }
    if (s_has_str(org, "public_contact.phone")) {
        const msgpack_object *phone = doc_path(org, "public_contact.phone");
        fputs("<dt>Téléphone</dt><dd><a href=\"tel:", f);
        for (uint32_t i = 0; i < phone->via.str.size; i++)
            if (phone->via.str.ptr[i] == '+' || (phone->via.str.ptr[i] >= '0' && phone->via.str.ptr[i] <= '9'))
                fputc(phone->via.str.ptr[i], f);
        fputs("\">", f);
        s_esc_at(f, org, "public_contact.phone");
        fputs("</a></dd>\n", f);
    }
    const msgpack_object *site = doc_get(org, "website");
    if (s_has_str(org, "website")
        && ((site->via.str.size > 8 && memcmp(site->via.str.ptr, "https://", 8) == 0)
            || (site->via.str.size > 7 && memcmp(site->via.str.ptr, "http://", 7) == 0))) {
        fputs("<dt>Site web</dt><dd><a href=\"", f);
        s_esc_at(f, org, "website");
        fputs("\">", f);
        s_esc_at(f, org, "website");
        fputs("</a></dd>\n", f);
    }
    fputs("<dt>Adresse</dt><dd><address>", f);
    if (s_esc_at(f, org, "address.street"))
        fputs("<br>", f);
    s_esc_at(f, org, "address.postcode");
    fputc(' ', f);
    s_esc_at(f, org, "address.city");
    fputs("</address></dd>\n</dl>\n</section>\n", f);
}

static void s_page_structure(FILE *f, const msgpack_object *org)
{
    fputs("<section aria-labelledby=\"structure\">\n<h2 id=\"structure\">La structure</h2>\n<dl>\n", f);
    const char *form = s_label_at(org, "legal_form", DIRECTORY_LEGAL_FORM);
    if (form) {
        fputs("<dt>Forme juridique</dt><dd>", f);
        html_escape_z(f, form);
        fputs("</dd>\n", f);
    }
    fputs("<dt>SIRET</dt><dd>", f);
    s_esc_at(f, org, "siret");
    fputs("</dd>\n", f);
    if (s_has_str(org, "rna") && !doc_str_eq(org, "rna", "none")) {
        fputs("<dt>Numéro RNA</dt><dd>", f);
        s_esc_at(f, org, "rna");
        fputs("</dd>\n", f);
    }
    if (s_has_str(org, "created")) {
        fputs("<dt>Création</dt><dd>", f);
        s_time_at(f, org, "created");
        fputs("</dd>\n", f);
    }
    if (doc_map(org, "esus")) {
        fputs("<dt>Agrément ESUS</dt><dd>Délivré par la préfecture du ", f);
        const msgpack_object *pref = doc_path(org, "esus.prefecture");
        if (pref && pref->type == MSGPACK_OBJECT_STR)
            s_department(f, pref->via.str.ptr, pref->via.str.size);
        fputs(", valable jusqu’au ", f);
        s_time_at(f, org, "esus.expires");
        fputs("</dd>\n", f);
    }
    if (s_has_str(org, "nda")) {
        fputs("<dt>Déclaration d’activité de formation</dt><dd>", f);
        s_esc_at(f, org, "nda");
        fputs("</dd>\n", f);
    }
    if (doc_map(org, "qualiopi")) {
        fputs("<dt>Certification Qualiopi</dt><dd>Valable jusqu’au ", f);
        s_time_at(f, org, "qualiopi.expires");
        fputs("</dd>\n", f);
    }
    fputs("</dl>\n</section>\n", f);
}

static void s_page_proof(FILE *f, const msgpack_object *record, const char *key_hex)
{
    uint64_t seq = 0;
    doc_uint(record, "seq", &seq);
    fprintf(f, "<details class=\"preuve\">\n<summary>Vérifier l’authenticité de cette fiche</summary>\n"
               "<p>Cette fiche a été signée par le service de publication d’ESS Pratiques (Ed25519). "
               "La signature porte sur « essp-stream-v1 », un saut de ligne, le numéro d’événement "
               "sur 8 octets (gros-boutiste) puis le contenu signé ci-dessous, décodé du base64.</p>\n"
               "<dl>\n<dt>Numéro d’événement</dt><dd><code>%llu</code></dd>\n"
               "<dt>Clé publique</dt><dd><code>%s</code></dd>\n<dt>Contenu signé</dt><dd><code class=\"long\">",
            (unsigned long long)seq, key_hex);
    s_base64(f, doc_get(record, "signed"));
    fputs("</code></dd>\n<dt>Signature</dt><dd><code class=\"long\">", f);
    s_base64(f, doc_get(record, "sig"));
    fputs("</code></dd>\n</dl>\n</details>\n", f);
}

static int s_write_page(const char *dir, const char *id, size_t id_len, const msgpack_object *record,
                        const site_options_t *options)
{
    const msgpack_object *entry = doc_map(record, "entry");
    const msgpack_object *org = doc_map(entry, "organisation");
    char name[64], title[512];
    snprintf(name, sizeof name, "%.*s.html", (int)id_len, id);
    const msgpack_object *org_name = doc_get(org, "name");
    snprintf(title, sizeof title, "%.*s — " S_TITLE,
             org_name && org_name->type == MSGPACK_OBJECT_STR ? (int)org_name->via.str.size : 0,
             org_name && org_name->type == MSGPACK_OBJECT_STR ? org_name->via.str.ptr : "");
    out_file_t out;
    FILE *f = s_open(&out, dir, name);
    if (!f)
        return -1;
    s_head(f, title, "../");
    fputs("<nav aria-label=\"Fil d’Ariane\" class=\"ariane\"><a href=\"../index.html\">Annuaire</a></nav>\n"
          "<article class=\"fiche\">\n<h1>", f);
    s_esc_at(f, org, "name");
    fputs("</h1>\n<p class=\"sous-titre\">", f);
    const char *form = s_label_at(org, "legal_form", DIRECTORY_LEGAL_FORM);
    if (form) {
        html_escape_z(f, form);
        fputs(" · ", f);
    }
    s_esc_at(f, org, "address.city");
    fputs("</p>\n", f);
    s_page_offer(f, doc_map(entry, "offer"));
    s_page_contact(f, org);
    s_page_structure(f, org);
    uint64_t approved = 0, version = 0;
    doc_uint(entry, "approved_at", &approved);
    doc_uint(entry, "version", &version);
    char date[40], iso[32];
    s_french_date((int32_t)(approved / 86400), date, sizeof date);
    s_rfc3339(approved, iso);
    fprintf(f, "<p class=\"meta\">Fiche approuvée par le comité le <time datetime=\"%s\">%s</time> "
               "(version %llu).</p>\n",
            iso, date, (unsigned long long)version);
    const msgpack_object *until = doc_get(entry, "listed_until");
    int32_t until_day;
    if (until && until->type == MSGPACK_OBJECT_STR
        && date_parse(until->via.str.ptr, until->via.str.size, &until_day) == 0) {
        fputs("<p class=\"meta\">L’inscription prend fin le ", f);
        s_time_at(f, entry, "listed_until");
        fputs(", sauf renouvellement.</p>\n", f);
    }
    s_page_proof(f, record, options->key_hex);
    fputs("</article>\n", f);
    s_foot(f, "../");
    return s_close(&out);
}

static int s_remove_page(const char *dir, const char *id, size_t id_len)
{
    char path[CONFIG_PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%.*s.html", dir, (int)id_len, id);
    if (unlink(path) != 0 && errno != ENOENT) {
        log_error("cannot remove %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int s_page(MDB_txn *txn, store_t *store, const char *dir, const char *id, size_t id_len,
                  const site_options_t *options, msgpack_zone *zone)
{
    if (!mirror_id_is_safe(id, id_len))
        return 0;
    msgpack_object record;
    msgpack_zone_clear(zone);
    int rc = store_get_doc(txn, store_db(store, MIRROR_DB_ENTRIES), id, id_len, zone, &record);
    if (rc == MDB_NOTFOUND)
        return s_remove_page(dir, id, id_len);
    return rc ? -1 : s_write_page(dir, id, id_len, &record, options);
}

/*  Removes the pages of advisors no longer listed (a full rebuild). */
static int s_remove_stale(MDB_txn *txn, store_t *store, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".html") != 0)
            continue;
        MDB_val k = {len - 5, e->d_name}, v;
        if (mdb_get(txn, store_db(store, MIRROR_DB_ENTRIES), &k, &v) == MDB_NOTFOUND)
            rc |= s_remove_page(dir, e->d_name, len - 5);
    }
    closedir(d);
    return rc;
}

static int s_pages(MDB_txn *txn, store_t *store, const char *dir, bool full,
                   const site_options_t *options)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, 16384);
    MDB_cursor *cursor = NULL;
    MDB_dbi db = store_db(store, full ? MIRROR_DB_ENTRIES : MIRROR_DB_PAGES);
    int rc = mdb_cursor_open(txn, db, &cursor) ? -1 : 0;
    MDB_val k, v;
    size_t written = 0;
    for (int get = rc ? MDB_NOTFOUND : mdb_cursor_get(cursor, &k, &v, MDB_FIRST); get == 0 && rc == 0;
         get = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
        rc = s_page(txn, store, dir, k.mv_data, k.mv_size, options, &zone);
        written++;
    }
    if (!rc && full)
        rc = s_remove_stale(txn, store, dir);
    if (cursor)
        mdb_cursor_close(cursor);
    msgpack_zone_destroy(&zone);
    if (written)
        log_info("%zu advisor page(s) brought up to date", written);
    return rc;
}

/* ------------------------------------------------------------------ index */

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
            s_department(f, codes[i], strlen(codes[i]));
        else
            html_escape_z(f, directory_label(kind, codes[i], strlen(codes[i])));
        fputs("</option>\n", f);
    }
    fputs("</select>\n</div>\n", f);
}

static int s_write_index(const char *out_dir, size_t count)
{
    out_file_t out;
    FILE *f = s_open(&out, out_dir, "index.html");
    if (!f)
        return -1;
    s_head(f, S_TITLE, "");
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
          "<script src=\"annuaire.js\"></script>\n<script src=\"recherche.js\"></script>\n",
          f);
    s_foot(f, "");
    return s_close(&out);
}

static int s_write_asset(const char *out_dir, const char *name, const unsigned char *text)
{
    out_file_t out;
    FILE *f = s_open(&out, out_dir, name);
    if (!f)
        return -1;
    fputs((const char *)text, f);
    return s_close(&out);
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

static void s_labels_js(FILE *f)
{
    static const char *const names[DIRECTORY_KIND_COUNT] = {"theme", "forme", "format", "perimetre",
                                                          "departement"};
    fputs("{", f);
    for (int kind = 0; kind < DIRECTORY_KIND_COUNT; kind++) {
        fprintf(f, "%s\"%s\":{", kind ? "," : "", names[kind]);
        const char *const *codes;
        size_t count = directory_codes((directory_kind_t)kind, &codes);
        for (size_t i = 0; i < count; i++) {
            json_t *s = json_string(directory_label((directory_kind_t)kind, codes[i], strlen(codes[i])));
            fprintf(f, "%s\"%s\":", i ? "," : "", codes[i]);
            json_dumpf(s, f, JSON_ENCODE_ANY | JSON_COMPACT);
            json_decref(s);
        }
        fputs("}", f);
    }
    fputs("}", f);
}

/*  annuaire.json, annuaire.csv and annuaire.js in one pass over the
 *  entries in name order. */
static int s_write_data(MDB_txn *txn, store_t *store, const char *out_dir, size_t *count)
{
    out_file_t json, csv, js;
    FILE *fj = s_open(&json, out_dir, "annuaire.json");
    FILE *fc = fj ? s_open(&csv, out_dir, "annuaire.csv") : NULL;
    FILE *fs = fc ? s_open(&js, out_dir, "annuaire.js") : NULL;
    if (!fs) {
        if (fj)
            fclose(fj), unlink(json.tmp);
        if (fc)
            fclose(fc), unlink(csv.tmp);
        return -1;
    }
    fputs("[", fj);
    directory_csv_header(fc);
    fputs("/* L’annuaire ESS Pratiques, pour la recherche de index.html. */\nwindow.ANNUAIRE = {\"libelles\":", fs);
    s_labels_js(fs);
    fputs(",\n\"fiches\":[", fs);
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
    rc |= s_close(&json);
    rc |= s_close(&csv);
    rc |= s_close(&js);
    return rc ? -1 : 0;
}

/* ------------------------------------------------------------------- feed */

static const char *s_reason_text(const char *reason)
{
    if (strcmp(reason, "expired") == 0)
        return "son référencement est arrivé à échéance";
    if (strcmp(reason, "suspended") == 0)
        return "son référencement est suspendu";
    if (strcmp(reason, "erased") == 0)
        return "ses données ont été effacées à sa demande";
    if (strcmp(reason, "renewed") == 0)
        return "son référencement a été renouvelé sous une nouvelle fiche";
    return "son référencement a été retiré";
}

static void s_feed_item(FILE *f, const msgpack_object *item, uint64_t seq, const site_options_t *options)
{
    char at[32], id[PROTO_ID_MAX + 1] = "", reason[16] = "";
    uint64_t when = 0;
    doc_uint(item, "at", &when);
    s_rfc3339(when, at);
    doc_strcpy(item, "id", id, sizeof id);
    doc_strcpy(item, "reason", reason, sizeof reason);
    bool is_new = doc_str_eq(item, "kind", "new");
    bool named = doc_get(item, "name") != NULL;
    fprintf(f, "<entry>\n<id>urn:essp:stream:%s:%llu</id>\n<updated>%s</updated>\n<title>",
            options->key_hex, (unsigned long long)seq, at);
    fputs(is_new ? "Nouvelle inscription : " : "Retrait de l’annuaire", f);
    if (named) {
        fputs(is_new ? "" : " : ", f);
        s_esc_at(f, item, "name");
    }
    fputs("</title>\n", f);
    if (is_new)
        fprintf(f, "<link rel=\"alternate\" type=\"text/html\" href=\"%s" S_PAGES_DIR "/%s.html\"/>\n",
                options->base_url, mirror_id_is_safe(id, strlen(id)) ? id : "");
    fputs("<summary>", f);
    if (named)
        s_esc_at(f, item, "name");
    else
        fputs("Une structure", f);
    if (doc_get(item, "city")) {
        fputs(" (", f);
        s_esc_at(f, item, "city");
        fputs(")", f);
    }
    if (is_new)
        fputs(" rejoint l’annuaire des accompagnateurs ESS Pratiques.", f);
    else
        fprintf(f, " ne figure plus dans l’annuaire : %s.", s_reason_text(reason));
    fputs("</summary>\n</entry>\n", f);
}

static int s_write_feed(MDB_txn *txn, store_t *store, const site_options_t *options)
{
    out_file_t out;
    FILE *f = s_open(&out, options->out_dir, "annuaire.atom");
    if (!f)
        return -1;
    MDB_cursor *cursor;
    MDB_val k, v;
    uint64_t updated = 0;
    bool have = mdb_cursor_open(txn, store_db(store, MIRROR_DB_FEED), &cursor) == 0;
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object item;
    proto_error_t err;
    if (have && mdb_cursor_get(cursor, &k, &v, MDB_LAST) == 0
        && wire_decode(v.mv_data, v.mv_size, &zone, &item, &err) == 0)
        doc_uint(&item, "at", &updated);
    char at[32];
    s_rfc3339(updated, at);
    fprintf(f, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
               "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"fr\">\n"
               "<title>" S_TITLE " : inscriptions et retraits</title>\n"
               "<id>urn:essp:directory:%s</id>\n<updated>%s</updated>\n"
               "<author><name>ESS Pratiques</name></author>\n"
               "<link rel=\"alternate\" type=\"text/html\" href=\"%sindex.html\"/>\n",
            options->key_hex, at, options->base_url);
    if (*options->base_url)
        fprintf(f, "<link rel=\"self\" href=\"%sannuaire.atom\"/>\n", options->base_url);
    for (int get = have ? mdb_cursor_get(cursor, &k, &v, MDB_LAST) : MDB_NOTFOUND; get == 0;
         get = mdb_cursor_get(cursor, &k, &v, MDB_PREV)) {
        msgpack_zone_clear(&zone);
        if (k.mv_size == 8 && wire_decode(v.mv_data, v.mv_size, &zone, &item, &err) == 0)
            s_feed_item(f, &item, store_u64_from_key(k.mv_data), options);
    }
    if (have)
        mdb_cursor_close(cursor);
    msgpack_zone_destroy(&zone);
    fputs("</feed>\n", f);
    return s_close(&out);
}

/* ------------------------------------------------------------------- all */

/*  Clears the page marks and records the cursor the files now show. */
static int s_mark_done(store_t *store)
{
    MDB_txn *txn;
    int rc = store_begin(store, false, &txn);
    if (rc)
        return rc;
    uint64_t cursor = 0;
    store_get_u64(txn, store_db(store, MIRROR_DB_META), "cursor", &cursor);
    rc = mdb_drop(txn, store_db(store, MIRROR_DB_PAGES), 0);
    if (!rc)
        rc = store_put_u64(txn, store_db(store, MIRROR_DB_META), "site", cursor);
    if (rc) {
        mdb_txn_abort(txn);
        return rc;
    }
    return store_commit(store, txn);
}

int site_update(store_t *store, const site_options_t *options, bool full)
{
    char pages[CONFIG_PATH_MAX + 32];
    snprintf(pages, sizeof pages, "%s/" S_PAGES_DIR, options->out_dir);
    if (config_mkdirs(pages) != 0) {
        log_error("cannot create %s: %s", pages, strerror(errno));
        return -1;
    }
    MDB_txn *txn;
    if (store_begin(store, true, &txn) != 0)
        return -1;
    size_t count = 0;
    int rc = s_pages(txn, store, pages, full, options);
    rc |= s_write_data(txn, store, options->out_dir, &count);
    rc |= s_write_feed(txn, store, options);
    mdb_txn_abort(txn);
    rc |= s_write_index(options->out_dir, count);
    rc |= s_write_asset(options->out_dir, "style.css", site_asset_style_css);
    rc |= s_write_asset(options->out_dir, "recherche.js", site_asset_recherche_js);
    if (rc)
        return -1;
    int lmdb = s_mark_done(store);
    if (lmdb) {
        log_error("cannot record the site's state: %s", mdb_strerror(lmdb));
        return -1;
    }
    return 0;
}
