/*  services/desk/clock_page.h - « Horloge et quorum »: the staff's tick
 *  (review's `tick`: the listings whose end has come are withdrawn; also
 *  run daily by essp-tick.timer) with an optional day to tick as of, its
 *  result, and the committee's settings, read-only: they are read by review
 *  from its environment or essp.conf when it starts (proto/README.md 7.3),
 *  so the page says where to change them rather than offering a form.
 */
#ifndef ESSP_DESK_CLOCK_PAGE_H
#define ESSP_DESK_CLOCK_PAGE_H

#include <msgpack.h>
#include <stdio.h>

typedef struct {
    long quorum_votes;           /* ESSP_QUORUM_VOTES */
    long quorum_colleges;        /* ESSP_QUORUM_COLLEGES */
    long listing_years;          /* ESSP_LISTING_YEARS */
    long expiry_follows;         /* ESSP_EXPIRY_FOLLOWS_CERTIFICATES */
} clock_settings_t;

/*  The settings as review reads them (common/config.h, same defaults and
 *  bounds as services/review/review.c). */
void clock_settings_read(clock_settings_t *self);

typedef struct {
    clock_settings_t settings;
    const msgpack_object *ticked;     /* the `ticked` replies' expired ids, merged, or NULL */
    const char *csrf;
    const char *error;                /* a refusal in French, or NULL */
} clock_view_t;

void clock_page_render(FILE *out, const clock_view_t *view);

#endif
