/*  services/desk/applications_index.h - every application in every state,
 *  for the staff's search (« Candidatures »).
 *
 *  No request of review or intake lists applications: intake answers
 *  `status` one id at a time and review's `queue` shows only open files to
 *  a member.  What lists them all is the private streams a staff key may
 *  pull (proto/README.md 6.1): intake's (`submitted`: id, name, SIRET;
 *  `erased`), validation's (`validated`: incomplete or on to review) and
 *  review's (`queued`, `decided`, `withdrawn`).  This index folds them,
 *  each from its own cursor, into one row per application with the state
 *  the events imply (the rules of proto/README.md 7.2, without
 *  publication's stream: a listed application reads `approved` here, and
 *  the file's page asks intake for the exact state).  The desk fills it
 *  with the staff person's own key when a staff page asks, from the
 *  cursors reached before, so it costs one short pull per stream when
 *  nothing changed.  Thread-safe.
 */
#ifndef ESSP_DESK_APPLICATIONS_INDEX_H
#define ESSP_DESK_APPLICATIONS_INDEX_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { APPS_INTAKE, APPS_VALIDATION, APPS_REVIEW, APPS_STREAMS } apps_stream_t;

typedef struct {
    char id[33];
    char name[201];
    char siret[15];
    char state[20];
    uint64_t revision;
    uint64_t submitted_at, updated_at;
} apps_row_t;

typedef struct applications_index_t applications_index_t;

applications_index_t *applications_index_new(void);
void applications_index_destroy(applications_index_t **self_p);

/*  The last seq applied from a stream. */
uint64_t applications_index_cursor(applications_index_t *self, apps_stream_t stream);

/*  Applies one event of a stream (with its `seq`); at or below the
 *  stream's cursor, nothing. */
void applications_index_apply(applications_index_t *self, apps_stream_t stream, const msgpack_object *event);

/*  The rows whose name (accents and case folded), SIRET (digits of the
 *  query, spaces ignored) or id contains `query` (NULL or "": all), in
 *  `state` (NULL or "": any), newest first, from row `offset`, at most
 *  `cap`.  Returns how many match in all (*rows gets at most cap). */
size_t applications_index_search(applications_index_t *self, const char *query, const char *state,
                                 size_t offset, apps_row_t *rows, size_t cap);

/*  The row of one id: true and *row, or false. */
bool applications_index_get(applications_index_t *self, const char *id, apps_row_t *row);

#endif
