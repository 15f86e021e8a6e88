/*  services/desk/file_rounds.h - what review's stream says of each file:
 *  its rounds opened (`queued`), decided (`decided`, with motivations and
 *  voters) and its withdrawals, kept in the desk's memory.
 *
 *  A member's key reads only the open round of a file (review's `queue`);
 *  the earlier rounds, their decisions and motivations, and the file's
 *  dates are in review's stream, which the desk's own service key may
 *  pull (common/auth.c).  This index is that stream folded by file id; it
 *  is no state of the process (the desk starts it again from seq 0 at
 *  each start) and holds only what review published to its consumers.
 *  An erasure (`withdrawn` of kind `erased`, or a `redacted` event) drops
 *  what was kept of the file, motivations included.  Thread-safe: the
 *  follower applies, the web threads read.
 */
#ifndef ESSP_DESK_FILE_ROUNDS_H
#define ESSP_DESK_FILE_ROUNDS_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct file_rounds_t file_rounds_t;

file_rounds_t *file_rounds_new(void);
void file_rounds_destroy(file_rounds_t **self_p);

/*  Applies one event of review's stream (a decoded map with its `seq`);
 *  events at or below the last seq applied are skipped.  Events of other
 *  types are ignored. */
void file_rounds_apply(file_rounds_t *self, const msgpack_object *event);

/*  The last seq applied (0 before any). */
uint64_t file_rounds_cursor(file_rounds_t *self);

/*  Packs the file's events, oldest first, as a msgpack array (empty when
 *  the stream said nothing of it).  Returns how many. */
size_t file_rounds_pack(file_rounds_t *self, const char *id, msgpack_sbuffer *out);

/*  How many rounds have been opened since the start: a number that
 *  changes when a new file is queued (the member's page asks for a fresh
 *  list when it changed). */
uint64_t file_rounds_opened(file_rounds_t *self);

#endif
