/*  proto/schema_change.h - what changed between two revisions of an
 *  application, and whether the change is minor or substantive.
 *
 *  Every property of proto/application.schema.json carries "x-change":
 *  "minor" (contacts, address, website, départements served, formats,
 *  trained people and their sessions, and the data the charter checks by
 *  itself: ESUS agreement, NDA, Qualiopi, commitments, private area) or
 *  "substantive" (what the committee judged: identity and legal form,
 *  advisor, ESS principles, references, scope, themes, public
 *  description, declared ties).  An update of a published listing whose
 *  changes are all minor, and that still passes the charter, is published
 *  at once as the next version; a substantive change goes before the
 *  committee while the listing stays as it was (proto/README.md section
 *  7.6).
 *
 *  The comparison walks the schema: inside an object it compares each
 *  declared member (absent and present differ); any other value (a
 *  string, a number, an array, references and trained people included)
 *  is compared whole, MessagePack object against object, and a difference
 *  is named by the member's path ("organisation.public_contact.phone",
 *  "offer.themes", "references") and classed by its own mark, else by
 *  its nearest marked ancestor, else as substantive: an unmarked field
 *  never slips through as minor.  Both documents are expected valid and
 *  normalised the same way (intake's identifiers, section 7.1).
 */
#ifndef ESSP_PROTO_SCHEMA_CHANGE_H
#define ESSP_PROTO_SCHEMA_CHANGE_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>

#include "proto/error.h"

typedef struct schema_t schema_t;

typedef enum {
    SCHEMA_CHANGE_NONE = 0,          /* not marked */
    SCHEMA_CHANGE_MINOR = 1,
    SCHEMA_CHANGE_SUBSTANTIVE = 2
} schema_change_t;

/*  More fields than this changed: the list stops there, `truncated` set;
 *  the class still counts every change. */
#define SCHEMA_CHANGES_MAX 64

typedef struct {
    char path[PROTO_FIELD_MAX];      /* "organisation.public_contact.phone" */
    schema_change_t change;          /* minor or substantive */
} schema_changed_field_t;

typedef struct {
    size_t count;
    bool truncated;
    bool substantive;                /* at least one change is substantive */
    schema_changed_field_t fields[SCHEMA_CHANGES_MAX];
} schema_changes_t;

/*  Lists in `out` the fields that differ between `before` and `after`
 *  (either may be NULL: an empty document), in schema order. */
void schema_changes(const schema_t *self, const msgpack_object *before, const msgpack_object *after,
                    schema_changes_t *out);

/*  The class of the field at `path` ("offer.themes", "references[].year"),
 *  its own mark (SCHEMA_CHANGE_NONE when the field has none, or is not
 *  declared). */
schema_change_t schema_change_of_field(const schema_t *self, const char *path);

/*  "minor", "substantive", "none". */
const char *schema_change_name(schema_change_t change);

/*  The changed paths joined by ", " into out (cap bytes, cut on a
 *  character boundary, NUL-terminated); "" when nothing changed. */
void schema_changes_join(const schema_changes_t *changes, char *out, size_t cap);

#endif
