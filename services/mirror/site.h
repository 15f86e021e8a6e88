/*  services/mirror/site.h - the static web site of the directory.
 *
 *  Everything in the output directory is written from the mirror's store
 *  (mirror.h), in French, as plain files any static host (or a browser
 *  opening them from disk) can serve:
 *    index.html              the directory, with search and filters (kept in
 *                            the address: index.html?q=gpec&departement=44)
 *    recherche.js, style.css the search (plain JavaScript) and the styles
 *    contrat.js              proto's labels and text folding for the
 *                            search, generated at build time (contrat_js.c)
 *    annuaire.js             the data the search works on, as a script, so
 *                            that it loads from file:// too
 *    annuaire.json           every entry, public fields, sorted by name
 *    annuaire.csv            the same as CSV (RFC 4180, UTF-8)
 *    annuaire.atom           an Atom feed of new and withdrawn listings
 *    accompagnateurs/ID.html one page per advisor, with the signed proof
 *  Every text a visitor reads is in texts.h.
 *  Each file is written beside its place and renamed over it, so a reader
 *  never sees half a file.
 */
#ifndef ESSP_MIRROR_SITE_H
#define ESSP_MIRROR_SITE_H

#include "common/store.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    const char *out_dir;
    const char *base_url;    /* absolute address of the site for the feed, ending in '/', or "" */
    const char *key_hex;     /* the publication key the entries were verified with */
    const char *public_url;  /* intake's gateway as people reach it, ending in '/': the
                                application form there, the charter at "charte" */
} site_options_t;

/*  The edition of the pages' layout and wording: a program whose
 *  edition differs from the one the store records rewrites every page at
 *  start (the marks of what changed cover only the entries). */
#define SITE_EDITION 4

/*  Brings the files up to date with the store: the pages of the advisors
 *  marked in MIRROR_DB_PAGES (or, with full, every page, and stale pages
 *  removed), then the index, the data files and the feed; then clears the
 *  marks and records in MIRROR_DB_META "site" the cursor the files show
 *  (and, with full, "edition": SITE_EDITION).
 *  0, or -1 (logged) when a file could not be written. */
int site_update(store_t *store, const site_options_t *options, bool full);

/*  Removes the temporary files (.NAME.tmp) a mirror killed in the middle
 *  of writing left in out_dir and its pages' folder: one may hold an
 *  advisor erased since.  Call it when no file is being written (at
 *  start); site_update calls it on a full rebuild.  0, or -1 (logged). */
int site_remove_leftovers(const char *out_dir);

#endif
