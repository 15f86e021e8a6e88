/*  services/mirror/site_feed.c - annuaire.atom: an Atom feed of new and
 *  withdrawn listings, newest first.
 */
#include "site_write.h"

#include "mirror.h"
#include "common/config.h"
#include "common/html.h"
#include "common/log.h"
#include "proto/date.h"
#include "proto/directory.h"
#include "proto/doc.h"
#include "proto/messages.h"
#include "proto/wire.h"

#include <stdio.h>
#include <string.h>

static const char *s_reason_text(const char *reason)
{
    if (strcmp(reason, "expired") == 0)
        return T_REASON_EXPIRED;
    if (strcmp(reason, "suspended") == 0)
        return T_REASON_SUSPENDED;
    if (strcmp(reason, "erased") == 0)
        return T_REASON_ERASED;
    if (strcmp(reason, "renewed") == 0)
        return T_REASON_RENEWED;
    return T_REASON_WITHDRAWN;
}

static void s_feed_item(FILE *f, const msgpack_object *item, uint64_t seq, const site_options_t *options)
{
    char at[32], id[PROTO_ID_MAX + 1] = "", reason[16] = "";
    uint64_t when = 0;
    doc_uint(item, "at", &when);
    site_rfc3339(when, at);
    doc_strcpy(item, "id", id, sizeof id);
    doc_strcpy(item, "reason", reason, sizeof reason);
    bool is_new = doc_str_eq(item, "kind", "new");
    bool named = doc_get(item, "name") != NULL;
    fprintf(f, "<entry>\n<id>urn:essp:stream:%s:%llu</id>\n<updated>%s</updated>\n<title>",
            options->key_hex, (unsigned long long)seq, at);
    fputs(is_new ? T_FEED_NEW : T_FEED_GONE, f);
    if (named) {
        fputs(is_new ? "" : " : ", f);
        site_xml_at(f, item, "name");
    }
    fputs("</title>\n", f);
    if (is_new)
        fprintf(f, "<link rel=\"alternate\" type=\"text/html\" href=\"%s" SITE_PAGES_DIR "/%s.html\"/>\n",
                options->base_url, mirror_id_is_safe(id, strlen(id)) ? id : "");
    fputs("<summary>", f);
    if (named)
        site_xml_at(f, item, "name");
    else
        fputs(T_FEED_SOMEONE, f);
    if (doc_get(item, "city")) {
        fputs(" (", f);
        site_xml_at(f, item, "city");
        fputs(")", f);
    }
    if (is_new)
        fputs(T_FEED_JOINS, f);
    else
        fprintf(f, T_FEED_LEFT, s_reason_text(reason));
    fputs("</summary>\n</entry>\n", f);
}

int site_write_feed(MDB_txn *txn, store_t *store, const site_options_t *options)
{
    out_file_t out;
    FILE *f = site_open(&out, options->out_dir, "annuaire.atom");
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
    site_rfc3339(updated, at);
    fprintf(f, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
               "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"fr\">\n"
               "<title>" T_FEED_TITLE "</title>\n"
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
    return site_close(&out);
}

