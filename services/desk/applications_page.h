/*  services/desk/applications_page.h - « Candidatures »: every application
 *  in every state, searched by name, SIRET, id and state (rows from
 *  applications_index.h), 50 to a page, newest first, each a link to the
 *  staff's page of the file.  The search is a GET form: its URL can be
 *  kept and shared.
 */
#ifndef ESSP_DESK_APPLICATIONS_PAGE_H
#define ESSP_DESK_APPLICATIONS_PAGE_H

#include "applications_index.h"

#include <stddef.h>
#include <stdio.h>

#define APPLICATIONS_PAGE_ROWS 50

typedef struct {
    const char *query;           /* « q »: name, SIRET or id; may be NULL */
    const char *state;           /* « etat »: a state of proto/README.md 7.2, or NULL */
    size_t offset;               /* « depuis » */
    const apps_row_t *rows;
    size_t count;                /* rows given */
    size_t matched;              /* rows matching in all */
    const char *error;           /* streams that could not be read, in French, or NULL */
} applications_view_t;

void applications_page_render(FILE *out, const applications_view_t *view);

#endif
