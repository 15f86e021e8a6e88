/*  services/mirror/site_pages.c - one page per advisor
 *  (accompagnateurs/ID.html), with the signed proof; the pages marked in
 *  the store rewritten, those of advisors no longer listed removed.
 */
#include "site_write.h"

#include "mirror.h"
#include "common/config.h"
#include "common/html.h"
#include "common/log.h"
#include "proto/date.h"
#include "proto/directory.h"
#include "proto/doc.h"
#include "proto/error.h"
#include "proto/networks.h"

#include <dirent.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    fputs("<section aria-labelledby=\"offre\">\n<h2 id=\"offre\">" T_OFFER "</h2>\n", f);
    if (site_has_str(offer, "description")) {
        fputs("<p class=\"presentation\">", f);
        site_esc_at(f, offer, "description");
        fputs("</p>\n", f);
    }
    fputs("<dl>\n<dt>" T_FORMATS "</dt><dd>", f);
    site_labels(f, doc_array(offer, "formats"), DIRECTORY_FORMAT, false);
    fputs("</dd>\n<dt>" T_SCOPE_OF_OFFER "</dt><dd>", f);
    site_labels(f, doc_array(offer, "scope"), DIRECTORY_SCOPE, false);
    fputs("</dd>\n<dt>" T_THEMES "</dt><dd><ul>", f);
    site_labels(f, doc_array(offer, "themes"), DIRECTORY_THEME, true);
    fputs("</ul></dd>\n<dt>" T_DEPARTMENTS "</dt><dd><ul class=\"en-ligne\">", f);
    site_labels(f, doc_array(offer, "departments"), DIRECTORY_DEPARTMENT, true);
    fputs("</ul></dd>\n</dl>\n</section>\n", f);
}

static void s_page_contact(FILE *f, const msgpack_object *org)
{
    fputs("<section aria-labelledby=\"contact\">\n<h2 id=\"contact\">" T_CONTACT "</h2>\n<dl>\n", f);
    if (site_has_str(org, "public_contact.email")) {
        fputs("<dt>" T_EMAIL "</dt><dd><a href=\"mailto:", f);
        site_esc_at(f, org, "public_contact.email");
        fputs("\">", f);
        site_esc_at(f, org, "public_contact.email");
        fputs("</a></dd>\n", f);
    }
    if (site_has_str(org, "public_contact.phone")) {
        const msgpack_object *phone = doc_path(org, "public_contact.phone");
        fputs("<dt>" T_PHONE "</dt><dd><a href=\"tel:", f);
        for (uint32_t i = 0; i < phone->via.str.size; i++)
            if (phone->via.str.ptr[i] == '+' || (phone->via.str.ptr[i] >= '0' && phone->via.str.ptr[i] <= '9'))
                fputc(phone->via.str.ptr[i], f);
        fputs("\">", f);
        site_esc_at(f, org, "public_contact.phone");
        fputs("</a></dd>\n", f);
    }
    const msgpack_object *site = doc_get(org, "website");
    if (site_has_str(org, "website")
        && ((site->via.str.size > 8 && memcmp(site->via.str.ptr, "https://", 8) == 0)
            || (site->via.str.size > 7 && memcmp(site->via.str.ptr, "http://", 7) == 0))) {
        fputs("<dt>" T_WEBSITE "</dt><dd><a href=\"", f);
        site_esc_at(f, org, "website");
        fputs("\">", f);
        site_esc_at(f, org, "website");
        fputs("</a></dd>\n", f);
    }
    fputs("<dt>" T_ADDRESS "</dt><dd><address>", f);
    if (site_esc_at(f, org, "address.street"))
        fputs("<br>", f);
    site_esc_at(f, org, "address.postcode");
    fputc(' ', f);
    site_esc_at(f, org, "address.city");
    fputs("</address></dd>\n</dl>\n</section>\n", f);
}

/*  The networks the structure declares, under their usual name when the
 *  list of networks knows them (proto/networks.h). */
static void s_page_networks(FILE *f, const msgpack_object *entry)
{
    const msgpack_object *declared = doc_path(entry, "ties.networks");
    if (!doc_len(declared))
        return;
    fputs("<dt>" T_NETWORKS "</dt><dd>", f);
    for (size_t i = 0; i < doc_len(declared); i++) {
        const msgpack_object *name = doc_at(declared, i);
        if (name->type != MSGPACK_OBJECT_STR)
            continue;
        const network_t *known = networks_find(name->via.str.ptr, name->via.str.size);
        if (i)
            fputs(" ; ", f);
        if (known)
            html_escape_z(f, known->name);
        else
            site_html_escape(f, name->via.str.ptr, name->via.str.size);
    }
    fputs("</dd>\n", f);
}

static void s_page_structure(FILE *f, const msgpack_object *entry)
{
    const msgpack_object *org = doc_map(entry, "organisation");
    fputs("<section aria-labelledby=\"structure\">\n<h2 id=\"structure\">" T_STRUCTURE "</h2>\n<dl>\n", f);
    const char *form = site_label_at(org, "legal_form", DIRECTORY_LEGAL_FORM);
    if (form) {
        fputs("<dt>" T_LEGAL_FORM "</dt><dd>", f);
        html_escape_z(f, form);
        fputs("</dd>\n", f);
    }
    fputs("<dt>" T_SIRET "</dt><dd>", f);
    site_esc_at(f, org, "siret");
    fputs("</dd>\n", f);
    if (site_has_str(org, "rna") && !doc_str_eq(org, "rna", "none")) {
        fputs("<dt>" T_RNA "</dt><dd>", f);
        site_esc_at(f, org, "rna");
        fputs("</dd>\n", f);
    }
    if (site_has_str(org, "created")) {
        fputs("<dt>" T_CREATED "</dt><dd>", f);
        site_time_at(f, org, "created");
        fputs("</dd>\n", f);
    }
    if (doc_map(org, "esus")) {
        /* "Préfecture : Vendée (85)": no article to agree with the name. */
        fputs("<dt>" T_ESUS "</dt><dd>" T_ESUS_PREFECTURE, f);
        const msgpack_object *pref = doc_path(org, "esus.prefecture");
        if (pref && pref->type == MSGPACK_OBJECT_STR)
            site_department(f, pref->via.str.ptr, pref->via.str.size);
        fputs(", " T_VALID_UNTIL, f);
        site_time_at(f, org, "esus.expires");
        fputs("</dd>\n", f);
    }
    if (site_has_str(org, "nda")) {
        fputs("<dt>" T_NDA "</dt><dd>", f);
        site_esc_at(f, org, "nda");
        fputs("</dd>\n", f);
    }
    if (doc_map(org, "qualiopi")) {
        fputs("<dt>" T_QUALIOPI "</dt><dd>" T_VALID_UNTIL_CAP, f);
        site_time_at(f, org, "qualiopi.expires");
        fputs("</dd>\n", f);
    }
    s_page_networks(f, entry);
    fputs("</dl>\n</section>\n", f);
}

static void s_page_proof(FILE *f, const msgpack_object *record, const char *site_key_hex)
{
    uint64_t seq = 0;
    doc_uint(record, "seq", &seq);
    /* The key that signed this entry (records older than rotations do not
     * say it: then the site's key). */
    char key_hex[STREAM_SIGN_HEX_MAX];
    const msgpack_object *key = doc_get(record, "key");
    if (key && key->type == MSGPACK_OBJECT_BIN && key->via.bin.size == STREAM_SIGN_PUBLIC_BYTES)
        stream_sign_public_hex((const unsigned char *)key->via.bin.ptr, key_hex);
    else
        snprintf(key_hex, sizeof key_hex, "%s", site_key_hex);
    fprintf(f, "<details class=\"preuve\">\n<summary>" T_PROOF_SUMMARY "</summary>\n"
               "<p>" T_PROOF_WHY "</p>\n<p>" T_PROOF_HOW "</p>\n"
               "<dl>\n<dt>" T_PROOF_SEQ "</dt><dd><code>%llu</code></dd>\n"
               "<dt>" T_PROOF_KEY "</dt><dd><code>%s</code></dd>\n<dt>" T_PROOF_SIGNED "</dt>"
               "<dd><code class=\"long\">",
            (unsigned long long)seq, key_hex);
    s_base64(f, doc_get(record, "signed"));
    fputs("</code></dd>\n<dt>" T_PROOF_SIG "</dt><dd><code class=\"long\">", f);
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
    /* A long name is cut on a character boundary, before the site's
     * name, which always fits. */
    const msgpack_object *org_name = doc_get(org, "name");
    bool named = org_name && org_name->type == MSGPACK_OBJECT_STR;
    size_t room = sizeof title - sizeof(" — " SITE_TITLE);
    size_t len = named ? proto_utf8_prefix(org_name->via.str.ptr, org_name->via.str.size, room) : 0;
    snprintf(title, sizeof title, "%.*s — " SITE_TITLE, (int)len, len ? org_name->via.str.ptr : "");
    out_file_t out;
    FILE *f = site_open(&out, dir, name);
    if (!f)
        return -1;
    site_head(f, title, "../");
    fputs("<nav aria-label=\"" T_BREADCRUMB "\" class=\"ariane\"><a href=\"../index.html\">" T_BREADCRUMB_HOME "</a></nav>\n"
          "<article class=\"fiche\">\n<h1>", f);
    /* A listing that names its advisor is the advisor's: the structure
     * they work in comes first in the line below. */
    bool advisor = doc_get(entry, "advisor") != NULL;
    site_esc_at(f, advisor ? entry : org, advisor ? "advisor" : "name");
    fputs("</h1>\n<p class=\"sous-titre\">", f);
    if (advisor) {
        site_esc_at(f, org, "name");
        fputs(" · ", f);
    }
    const char *form = site_label_at(org, "legal_form", DIRECTORY_LEGAL_FORM);
    if (form) {
        html_escape_z(f, form);
        fputs(" · ", f);
    }
    site_esc_at(f, org, "address.city");
    fputs("</p>\n", f);
    s_page_offer(f, doc_map(entry, "offer"));
    site_listing(f, entry);
    site_references(f, entry);
    s_page_contact(f, org);
    s_page_structure(f, entry);
    s_page_proof(f, record, options->key_hex);
    fputs("</article>\n", f);
    site_foot(f, "../", options);
    return site_close(&out);
}

/*  The page and what a write of it cut short left (site_open's
 *  temporary file), which holds the advisor's name too. */
static int s_remove_page(const char *dir, const char *id, size_t id_len)
{
    char path[CONFIG_PATH_MAX + 64], tmp[CONFIG_PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%.*s.html", dir, (int)id_len, id);
    snprintf(tmp, sizeof tmp, "%s/.%.*s.html.tmp", dir, (int)id_len, id);
    int rc = 0;
    for (const char *file = path; file; file = file == path ? tmp : NULL) {
        if (unlink(file) != 0 && errno != ENOENT) {
            log_error("cannot remove %s: %s", file, strerror(errno));
            rc = -1;
        }
    }
    return rc;
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

int site_pages(MDB_txn *txn, store_t *store, const char *dir, bool full,
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

