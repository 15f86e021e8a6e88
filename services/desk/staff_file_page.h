/*  services/desk/staff_file_page.h - the staff's page of one application
 *  (/admin/dossier/<id>): where it stands (intake's `status`, exact), the
 *  application and its report, every decision with its motivations, the
 *  audit trail (intake's `history`) with its chain verified again by the
 *  desk from the bytes intake sent (proto/history.h), and the staff's
 *  actions: withdraw, open a complaint (only on a listing), erase
 *  (confirmed by typing the id).
 */
#ifndef ESSP_DESK_STAFF_FILE_PAGE_H
#define ESSP_DESK_STAFF_FILE_PAGE_H

#include <msgpack.h>
#include <stdbool.h>
#include <stdio.h>

typedef struct {
    const char *id;
    const msgpack_object *status;     /* intake's `status` reply (with_application), or NULL */
    const msgpack_object *history;    /* intake's `history` reply, or NULL */
    const char *csrf;
    const char *notice;               /* what the last action did, or NULL */
    const char *error;                /* a refusal in French, or NULL */
} staff_file_view_t;

/*  Verifies the history reply's chain from its bytes: true when it holds
 *  and intake says so too; else false and `why` (cap bytes) says, in
 *  French, which record breaks it. */
bool staff_file_history_holds(const msgpack_object *history, char *why, size_t cap);

void staff_file_page_render(FILE *out, const staff_file_view_t *view);

/*  The page's title: the applicant's name, or « Dossier aux données
 *  effacées » once erased. */
void staff_file_page_title(const msgpack_object *status, char *out, size_t cap);

/*  True when the erasure's confirmation is the id itself (spaces around
 *  it forgiven). */
bool staff_file_erase_confirmed(const char *id, const char *typed);

#endif
