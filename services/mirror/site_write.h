/*  services/mirror/site_write.h - what the parts of the site (site.h)
 *  share: files written whole then renamed, the pieces of HTML every page
 *  has, and each part's entry point.  Private to services/mirror.
 */
#ifndef ESSP_MIRROR_SITE_WRITE_H
#define ESSP_MIRROR_SITE_WRITE_H

#include "site.h"
#include "texts.h"

#include "common/config.h"
#include "common/store.h"
#include "proto/directory.h"

#include <lmdb.h>
#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define SITE_PAGES_DIR "accompagnateurs"
#define SITE_TITLE T_SITE_TITLE

/*  How many listings the directory holds, in all and per département
 *  (indexed as proto/labels.h's table of départements). */
typedef struct {
    size_t total;
    size_t departments[128];
} site_counts_t;

/*  A file being written: out_dir/.name.tmp, renamed over out_dir/name
 *  when complete. */
typedef struct {
    FILE *file;
    char tmp[CONFIG_PATH_MAX + 32];
    char path[CONFIG_PATH_MAX + 32];
} out_file_t;

/*  Opens dir/.name.tmp for writing (NULL, logged, on failure). */
FILE *site_open(out_file_t *out, const char *dir, const char *name);

/*  Closes it and renames it over dir/name; 0, or -1 (logged, the
 *  temporary file removed). */
int site_close(out_file_t *out);

/*  Writes a NUL-terminated asset as out_dir/name. */
int site_write_asset(const char *out_dir, const char *name, const unsigned char *text);

/*  Text of an entry, HTML-escaped, its C0 controls but tab and line
 *  breaks, and DEL, dropped: HTML forbids them, and entries approved
 *  before the schema refused them may hold some. */
void site_html_escape(FILE *f, const char *text, size_t len);

/*  The string at path, as site_html_escape writes it; false when absent. */
bool site_esc_at(FILE *f, const msgpack_object *map, const char *path);

/*  The string at path, escaped for XML 1.0: the characters it forbids
 *  (C0 controls but tab and line breaks, U+FFFE, U+FFFF, bytes that are
 *  not UTF-8) are dropped, so that one entry cannot make the feed
 *  unreadable whatever the stream holds; false when absent. */
bool site_xml_at(FILE *f, const msgpack_object *map, const char *path);
void site_xml_escape(FILE *f, const char *text, size_t len);

/*  True when path holds a non-empty string. */
bool site_has_str(const msgpack_object *map, const char *path);

/*  The label (proto/labels.h) of the code at path, or NULL. */
const char *site_label_at(const msgpack_object *map, const char *path, directory_kind_t kind);

/*  "26 novembre 2026", "1er décembre 2026" for a day number (proto/date.h's
 *  date_french_day, the one French date of every program). */
void site_french_date(int32_t days, char *out, size_t cap);

/*  A <time> element for the date string at path; false when absent. */
bool site_time_at(FILE *f, const msgpack_object *map, const char *path);

/*  "2026-11-26T10:00:00Z" for unix seconds. */
void site_rfc3339(uint64_t at, char out[32]);

/*  "Maine-et-Loire (49)", escaped. */
void site_department(FILE *f, const char *code, size_t len);

/*  The labels of a coded array, as an inline list "A, B" or as <li>s. */
void site_labels(FILE *f, const msgpack_object *array, directory_kind_t kind, bool items);

/*  The training the charter asks of the people who use the private part
 *  of ESS Pratiques, as an entry tells it (trained_people[].session_date,
 *  no names): how many sessions were behind on the day of the decision
 *  (strictly before it, as the charter counts) and how many ahead, the
 *  first and last of those behind, whether they fell on several days, and
 *  the next one ahead. */
typedef struct {
    size_t done, planned;
    int32_t first_done, last_done, next_planned;
    bool several;
} site_training_t;
void site_training_of(const msgpack_object *entry, site_training_t *training);

/*  An advisor's page (site_trust.c): the section on its listing (since
 *  and until when, the training, the committee's decision) and the one on
 *  its references (absent when it has none to show). */
void site_listing(FILE *f, const msgpack_object *entry);
void site_references(FILE *f, const msgpack_object *entry);

/*  The head and foot of every page; root: "" or "../". */
void site_head(FILE *f, const char *title, const char *root);
void site_foot(FILE *f, const char *root, const site_options_t *options);

/*  The parts of the site, in a read transaction (site_update's order). */
int site_pages(MDB_txn *txn, store_t *store, const char *dir, bool full, const site_options_t *options);
int site_write_data(MDB_txn *txn, store_t *store, const char *out_dir, site_counts_t *counts);
int site_write_feed(MDB_txn *txn, store_t *store, const site_options_t *options);
int site_write_index(const site_options_t *options, const site_counts_t *counts);

#endif
