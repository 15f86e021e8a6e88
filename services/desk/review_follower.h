/*  services/desk/review_follower.h - the desk's reader of review's stream,
 *  which feeds file_rounds.h (the earlier rounds and dates of each file).
 *
 *  A thread of its own pulls review's stream on review's CURVE endpoint
 *  with the desk's service key (keys/desk.cert_secret; auth_may_pull lets
 *  the desk read review's stream and nothing else), from seq 0 at every
 *  start: the desk keeps none of it on disk.  Held pulls bring a new
 *  `queued` event within milliseconds, so the member's list, which asks
 *  file_rounds_opened() whether anything opened, shows a new file at once.
 */
#ifndef ESSP_DESK_REVIEW_FOLLOWER_H
#define ESSP_DESK_REVIEW_FOLLOWER_H

#include "file_rounds.h"

typedef struct review_follower_t review_follower_t;

/*  Starts following into `rounds` (which must outlive the follower).
 *  NULL when the desk's key cannot be loaded. */
review_follower_t *review_follower_new(file_rounds_t *rounds);

/*  Stops the thread and frees. */
void review_follower_destroy(review_follower_t **self_p);

#endif
