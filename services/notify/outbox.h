/*  services/notify/outbox.h - the letters waiting to be sent, and what
 *  became of each.
 *
 *  A letter is created once, under its Message-ID: adding the same
 *  Message-ID again changes nothing (an event applied again after a crash,
 *  a digest asked twice the same day).  Its record (the headers that
 *  matter and the delivery state) is kept for good; its body (the whole
 *  composed message) only until the server accepted it, because it may
 *  carry a tracking token.  A by-due index keyed by the next attempt's
 *  time finds the letters due without reading the others.
 */
#ifndef ESSP_NOTIFY_OUTBOX_H
#define ESSP_NOTIFY_OUTBOX_H

#include <lmdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OUTBOX_MESSAGE_ID_MAX 160
#define OUTBOX_ADDRESS_MAX 256
#define OUTBOX_KIND_MAX 32
#define OUTBOX_APP_MAX 33
#define OUTBOX_ERROR_MAX 512

typedef enum { OUTBOX_PENDING, OUTBOX_SENT, OUTBOX_FAILED } outbox_state_t;

/*  The databases the outbox uses (see notify.h for their keys). */
typedef struct outbox_dbs_t {
    MDB_dbi records, bodies, due, by_app, failed;
} outbox_dbs_t;

typedef struct {
    char message_id[OUTBOX_MESSAGE_ID_MAX];   /* without the angle brackets */
    char to[OUTBOX_ADDRESS_MAX];
    char kind[OUTBOX_KIND_MAX];               /* "receipt", "member_digest", ... */
    char app_id[OUTBOX_APP_MAX];              /* "" when the letter concerns no application */
    outbox_state_t state;
    uint32_t attempts;
    int64_t created_at;
    int64_t next_at;                          /* pending: when to try next */
    int64_t done_at;                          /* sent or failed: when */
    bool leased;                              /* handed to the sender, no outcome yet */
    char error[OUTBOX_ERROR_MAX];             /* the last error, "" when none */
} outbox_record_t;

const char *outbox_state_name(outbox_state_t state);

/*  Adds a pending letter due at record->created_at with its body; *added
 *  is false (and nothing is written) when the Message-ID is known.  0 or
 *  an LMDB code. */
int outbox_add(MDB_txn *txn, const outbox_dbs_t *dbs, const outbox_record_t *record,
               const void *body, size_t len, bool *added);

/*  Records a letter that will never be sent (a recipient that is no
 *  address): state failed, record->error says why, no body.  Same
 *  idempotence as outbox_add. */
int outbox_add_failed(MDB_txn *txn, const outbox_dbs_t *dbs, const outbox_record_t *record,
                      bool *added);

/*  The record of a letter: 0, MDB_NOTFOUND or an LMDB code. */
int outbox_get(MDB_txn *txn, const outbox_dbs_t *dbs, const char *message_id, outbox_record_t *out);

/*  Visits the pending letters due at `at` (next_at <= at), in order of
 *  next_at, at most `limit`; fn gets the record and the body.  The body
 *  points into LMDB: valid during the call only.  fn returns 0 to go on,
 *  anything else stops the walk and is returned.  *next_at is set to the
 *  next_at of the first pending letter not visited (0 when none). */
typedef int (*outbox_visit_fn)(void *arg, const outbox_record_t *record, const void *body, size_t len);
int outbox_due(MDB_txn *txn, const outbox_dbs_t *dbs, int64_t at, size_t limit, outbox_visit_fn fn,
               void *arg, int64_t *next_at);

/*  Handed to the sender: the letter stays pending but is not due again
 *  before `until`, so that a second outbox_due does not hand it out twice
 *  while the first delivery is under way; if the sender dies, it is due
 *  again then.  Attempts do not change. */
int outbox_lease(MDB_txn *txn, const outbox_dbs_t *dbs, const char *message_id, int64_t until);

/*  The sender gives back a letter it did not try (it stopped its batch
 *  after a connection failed): due again at `at`, no attempt counted. */
int outbox_release(MDB_txn *txn, const outbox_dbs_t *dbs, const char *message_id, int64_t at);

/*  At start: no delivery is under way, so the letters a previous
 *  process's sender had in hand (leased, next_at <= horizon) are due at
 *  `now`, not when their lease would have ended; letters waiting for a
 *  retry keep their time.  *count: how many. */
int outbox_release_leases(MDB_txn *txn, const outbox_dbs_t *dbs, int64_t now, int64_t horizon, size_t *count);

/*  The server accepted the letter: sent, body purged. */
int outbox_mark_sent(MDB_txn *txn, const outbox_dbs_t *dbs, const char *message_id, int64_t at);

/*  A temporary failure: attempts + 1, next attempt at next_at. */
int outbox_mark_retry(MDB_txn *txn, const outbox_dbs_t *dbs, const char *message_id, int64_t at,
                      const char *error, int64_t next_at);

/*  A permanent failure: failed, body purged, listed by outbox_failed_page. */
int outbox_mark_failed(MDB_txn *txn, const outbox_dbs_t *dbs, const char *message_id, int64_t at,
                       const char *error);

/*  Erasure: deletes the bodies of every letter about app_id that is not
 *  yet sent, except those of kind keep_kind (the erasure's confirmation);
 *  the letters become failed ("dossier effacé"), and every record of the
 *  application forgets its recipient's address (OUTBOX_ERASED_ADDRESS).
 *  A letter of kind "erased" forgets it too once it is sent or failed.
 *  *count is how many unsent letters were dropped. */
#define OUTBOX_ERASED_ADDRESS "(adresse effacée)"
/*  What stays of a server's answer about a letter of an erased file: its
 *  code, since the text often quotes the address. */
#define OUTBOX_ERASED_ERROR "réponse du serveur effacée avec le dossier"
int outbox_purge_application(MDB_txn *txn, const outbox_dbs_t *dbs, const char *app_id,
                             const char *keep_kind, size_t *count);

/*  The failed letters, most recent last, after the Message-ID `after`
 *  ("" from the start); fn as for outbox_due (body NULL). */
int outbox_failed_page(MDB_txn *txn, const outbox_dbs_t *dbs, const char *after, size_t limit,
                       outbox_visit_fn fn, void *arg, bool *more);

/*  Backoff of a temporary failure: the delay after the attempts-th failed
 *  attempt is first seconds (ESSP_MAIL_RETRY_FIRST_S, 60 by default)
 *  doubled each time, capped at one hour, then moved by
 *  jitter (any 32-bit value; the core derives it from the Message-ID and
 *  the attempt, so a replay gives the same time) within +-20 %, so that a
 *  server back up is not hit by every letter in the same second.  Returns
 *  now + delay. */
int64_t outbox_next_attempt(uint32_t attempts, int64_t first, int64_t now, uint32_t jitter);

#endif
