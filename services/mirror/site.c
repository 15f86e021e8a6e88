/*  services/mirror/site.c - see site.h: the order in which the files are
 *  brought up to date.  The pages are in site_pages.c, the index and the
 *  data files in site_index.c, the feed in site_feed.c, what they share in
 *  site_html.c.
 */
#include "site.h"

#include "site_write.h"

#include "mirror.h"
#include "common/config.h"
#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

extern const unsigned char site_asset_style_css[];
extern const unsigned char site_asset_recherche_js[];
extern const unsigned char site_asset_contrat_js[];

/*  Clears the page marks and records the cursor the files now show. */
static int s_mark_done(store_t *store, bool full)
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
    if (!rc && full)
        rc = store_put_u64(txn, store_db(store, MIRROR_DB_META), "edition", SITE_EDITION);
    if (rc) {
        mdb_txn_abort(txn);
        return rc;
    }
    return store_commit(store, txn);
}

int site_update(store_t *store, const site_options_t *options, bool full)
{
    char pages[CONFIG_PATH_MAX + 32];
    snprintf(pages, sizeof pages, "%s/" SITE_PAGES_DIR, options->out_dir);
    if (config_mkdirs(pages) != 0) {
        log_error("cannot create %s: %s", pages, strerror(errno));
        return -1;
    }
    if (full && site_remove_leftovers(options->out_dir) != 0)
        return -1;
    MDB_txn *txn;
    if (store_begin(store, true, &txn) != 0)
        return -1;
    site_counts_t counts;
    int rc = site_pages(txn, store, pages, full, options);
    rc |= site_write_data(txn, store, options->out_dir, &counts);
    rc |= site_write_feed(txn, store, options);
    mdb_txn_abort(txn);
    rc |= site_write_index(options, &counts);
    rc |= site_write_asset(options->out_dir, "style.css", site_asset_style_css);
    rc |= site_write_asset(options->out_dir, "recherche.js", site_asset_recherche_js);
    rc |= site_write_asset(options->out_dir, "contrat.js", site_asset_contrat_js);
    if (rc)
        return -1;
    int lmdb = s_mark_done(store, full);
    if (lmdb) {
        log_error("cannot record the site's state: %s", mdb_strerror(lmdb));
        return -1;
    }
    return 0;
}
