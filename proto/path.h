/*  proto/path.h - the path of the value being checked, for error reports.
 *
 *  Every decoder and checker names the field it refuses with a path such as
 *  "organisation.siret" or "references[2].year" (see error.h).  The path
 *  grows as a walk goes down into maps and arrays and shrinks back on the
 *  way up, so it lives in a fixed buffer with a length: a push returns a
 *  mark and a pop returns to it, without allocating and without rescanning.
 *
 *  Keys come from the input, so the path never trusts them: it only appends
 *  whole UTF-8 characters (a path cut short stays valid UTF-8 and can be
 *  sent back to the client), and shows control characters as '?' (a key
 *  cannot forge a line in a log).  A path that would outgrow the buffer is
 *  cut, never refused: the error it names matters more than its last bytes.
 */
#ifndef ESSP_PROTO_PATH_H
#define ESSP_PROTO_PATH_H

#include <stddef.h>

/*  Room for a path while walking, the NUL included.  Larger than
 *  PROTO_FIELD_MAX: a caller copies the path into proto_error_t.field with
 *  a cut on a character boundary, so the room is never what fails first. */
#define PROTO_PATH_MAX 512

/*  text is always NUL-terminated (text[len] == 0), so it can be passed as a
 *  field as it stands.  `proto_path_t path = { .len = 0 };` (which zeroes
 *  text too) or proto_path_clear gives the empty path: the whole message. */
typedef struct {
    char text[PROTO_PATH_MAX];
    size_t len;
} proto_path_t;

/*  Appends text[0..len) as is (no separator), whole characters only while
 *  they fit, control characters shown as '?'.  Returns the length before
 *  the push, the mark to give proto_path_pop. */
size_t proto_path_push(proto_path_t *path, const char *text, size_t len);

/*  Appends a map key, after a "." unless the path is empty, so a key at the
 *  top reads "siret" and below it "organisation.siret".  Returns the mark. */
size_t proto_path_push_key(proto_path_t *path, const char *key, size_t len);

/*  Appends an array position as "[index]".  Returns the mark. */
size_t proto_path_push_index(proto_path_t *path, size_t index);

/*  Goes back to the mark a push returned, once the value it named is done;
 *  the pushes made since are undone with it. */
void proto_path_pop(proto_path_t *path, size_t mark);

/*  Empties the path. */
void proto_path_clear(proto_path_t *path);

#endif
