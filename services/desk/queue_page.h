/*  services/desk/queue_page.h - « Mes dossiers »: the files waiting for a
 *  member's vote.
 *
 *  The page is drawn from the items of review's `queue` reply
 *  (proto/README.md 5.4), every page of it gathered by the caller.  The
 *  filters (college, département, theme) are read from the page's URL and
 *  applied here, over the items, rather than by review: the page shows,
 *  next to each choice of a filter, how many files it would keep, which
 *  one filtered request could not tell.  A college keeps the files whose
 *  current round has no vote from that college yet, as review's filter
 *  does.  Files are shown newest first (ids begin with their creation
 *  time, proto/README.md 3.3); the files the member is recused from are
 *  listed apart, each with why.
 *
 *  queue_page_list writes the part that changes (the counts and the
 *  lists): the page's script fetches it again every few seconds
 *  (/comite/liste) and swaps it in only when it changed, so new files
 *  appear without a reload and without a flicker.  Without JavaScript the
 *  member reloads, or follows the « Actualiser » link.
 */
#ifndef ESSP_DESK_QUEUE_PAGE_H
#define ESSP_DESK_QUEUE_PAGE_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct {
    char college[24];            /* "" = every college */
    char department[4];          /* "" = every département */
    char theme[64];              /* "" = every theme */
} queue_filter_t;

/*  Sets the filter from the values of the URL (NULL or "" for none).  A
 *  value that is no college, département or theme of the charter's lists
 *  is left out; returns the number of values left out, for a notice. */
int queue_filter_set(queue_filter_t *self, const char *college, const char *department, const char *theme);

/*  True when the item passes every filter but the one named (`skip`:
 *  "college", "department", "theme" or NULL for none). */
bool queue_filter_keeps(const queue_filter_t *self, const msgpack_object *item, const char *skip);

/*  The query string of a filter ("?college=…&theme=…", "" when empty). */
void queue_filter_query(const queue_filter_t *self, FILE *out);

/*  The whole page body: the title, the filters with their counts, the
 *  lists.  `items` are the queue items as review sent them, in any order. */
void queue_page_render(FILE *out, const msgpack_object *const *items, size_t count,
                       const queue_filter_t *filter);

/*  The part that changes, alone: <div id="liste-dossiers">…</div>. */
void queue_page_list(FILE *out, const msgpack_object *const *items, size_t count,
                     const queue_filter_t *filter);

/*  Why the member is recused from the item's file: each conflict, then
 *  their own reason and its date, as a list. */
void queue_page_recusal(FILE *out, const msgpack_object *item);

#endif
