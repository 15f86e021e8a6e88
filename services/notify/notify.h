/*  services/notify/notify.h - essp-notify's core: events in, e-mails out.
 *
 *  Notify follows the streams of intake, validation, review and
 *  publication like every other service (service_def_t.upstreams) and
 *  turns the events that matter to a person into letters.  Each letter is
 *  composed whole (RFC 5322, multipart/alternative, message.h) and put in
 *  the OUTBOX (outbox.h) in the very transaction that advances the
 *  stream's cursor, under a Message-ID made from the stream, the event's
 *  seq and the recipient: replaying an event after a crash finds the same
 *  Message-ID and adds nothing.  Exactly one e-mail per event and
 *  recipient.
 *
 *  The core never sends anything.  The shell's sender thread asks the core
 *  for the letters due (outbox_due), hands them to the SMTP server, and
 *  reports each outcome (outbox_mark): 250 = sent (the body, which may
 *  carry a tracking token, is then purged), 4xx or a lost connection =
 *  retry later with exponential backoff, 5xx = failed for good, listed to
 *  staff (mail_failed) and reported to them by a letter.  The sender
 *  writes no LMDB: it goes through the service's inproc endpoint, like
 *  intake's HTTP threads (services/intake/bridge.h).
 *
 *  Requests (types of the catalogue, proto/messages.c; every time is unix
 *  seconds and is given, never read from a clock):
 *
 *    outbox_due   {"secret": str 64 hex, "at": uint, "limit": uint 1..100}
 *        -> "outbox_due" {"messages": [{"message_id": str, "to": str,
 *                          "from": str, "bytes": bin (the whole message,
 *                          CRLF), "attempts": uint}],
 *                         "next_at": uint (the earliest later due time,
 *                          0 when nothing is waiting)}
 *        Pending letters whose next attempt is <= at, oldest first.  A
 *        letter to an address erased since it was written is not returned:
 *        it is marked failed ("adresse effacée") on the way.
 *
 *    outbox_mark  {"secret": str 64 hex, "message_id": str, "at": uint,
 *                  "outcome": "sent" | "retry" | "failed" | "release",
 *                  "error": str (optional: the server's reply or the
 *                   reason, kept for staff)}
 *        -> "outbox_marked" {"message_id", "state": "sent" | "pending" |
 *                            "failed", "next_at": uint (retry only)}
 *        sent: the body is purged, the headers are kept.  retry: attempts
 *        + 1, next attempt by outbox_next_attempt (ESSP_MAIL_RETRY_FIRST_S, 1 min
 *        by default, doubling to 1 h,
 *        +-20 %); after NOTIFY_RETRY_GIVE_UP seconds of retries it is
 *        failed instead.  release: the sender did not try it (it stopped
 *        its batch when a connection failed, or it is stopping): due again
 *        at `at`, no attempt counted; a letter handed out and neither
 *        marked nor released stays leased REQUESTS_LEASE seconds (600).
 *        failed: no retry ever; staff get a letter
 *        (staff_undeliverable) unless the failed letter was itself to staff.
 *        Marking a letter that is no longer pending changes nothing and
 *        answers its state (a repeated mark after a lost reply is harmless).
 *        not_found for an unknown message_id.
 *
 *    mail_tick    {"secret": str 64 hex, "at": uint}
 *        -> "mail_ticked" {"letters": uint (how many letters were written)}
 *        Writes the listing reminders due at `at` (60 and 14 days before a
 *        listing ends).  Idempotent: a reminder is written once.
 *
 *    mail_digest  {"secret": str 64 hex, "at": uint, "pending": map (review's
 *                  reply to `pending`: {"members": [{"name", "email",
 *                  "digest": bool, "files": [{"id", "name", "kind",
 *                  "round", "queued_at"}]}]})}
 *        -> "mail_digested" {"letters": uint}
 *        One digest per member and UTC day of the files not yet announced
 *        to that member, and one reminder of the files waiting for more
 *        than ESSP_MAIL_REMINDER_DAYS days not yet recalled to them.
 *        Members with "digest": false are skipped.
 *
 *    mail_failed  {"after": str (optional, paging: the last message_id of
 *                  the previous page), "limit": uint 1..1000 (optional, 100)}
 *        -> "mail_failed" {"letters": [{"message_id", "to", "kind", "id"
 *                          (application, "" for member/staff letters),
 *                          "error", "attempts", "created_at", "failed_at"}],
 *                          "next": str (optional)}
 *        For staff, on the secure endpoint only (notify_secure_types).
 *
 *  outbox_due, outbox_mark, mail_tick and mail_digest carry "secret": 64
 *  lower-case hex digits of the 32 random bytes the shell draws at start
 *  (randombytes_buf) and gives to the core (notify_settings_t.sender_secret)
 *  and to its own threads.  They
 *  reach the plain ROUTER (inproc), which also listens on TCP: without the
 *  secret anyone on the host could read letter bodies (tracking tokens) or
 *  mark them sent.  A wrong secret is refused forbidden/secret.
 */
#ifndef ESSP_NOTIFY_H
#define ESSP_NOTIFY_H

#include "common/service.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*  The databases of notify, in the order service_db() numbers them.
 *    outbox     message_id -> the letter's record (outbox.h)
 *    bodies     message_id -> the composed message, until sent
 *    due        be64(next_at) ‖ message_id -> "" (pending letters)
 *    by_app     application id ‖ 0 ‖ message_id -> "" (erasure purges)
 *    failed     be64(failed_at) ‖ message_id -> "" (mail_failed)
 *    files      application id -> {name, email, revision} of the applicant,
 *               or an empty value once erased (a tombstone: later events
 *               about the id are dropped)
 *    listings   application id -> {expires, reminded} of a published listing
 *    reminders  be64(due_at) ‖ id ‖ 0 ‖ "60"|"14" -> "" (listing reminders)
 *    members    hash(member address) ‖ id ‖ 0 ‖ be32(round) -> flags
 *               (announced in a digest, recalled in a reminder)
 *    suppressed hash(address) -> be64(erased_at): never again
 *    waiting    id ‖ 0 ‖ stream ‖ 0 ‖ be64(seq) -> {stream, type, event}: an
 *               event about a file whose submission notify has not applied
 *               yet (the streams are read apart), applied when it is
 */
enum { NOTIFY_DB_OUTBOX, NOTIFY_DB_BODIES, NOTIFY_DB_DUE, NOTIFY_DB_BY_APP, NOTIFY_DB_FAILED,
       NOTIFY_DB_FILES, NOTIFY_DB_LISTINGS, NOTIFY_DB_REMINDERS, NOTIFY_DB_MEMBERS,
       NOTIFY_DB_SUPPRESSED, NOTIFY_DB_WAITING };
extern const char *const notify_dbs[];

/*  The request types answered only on the secure endpoint ("mail_failed"). */
extern const char *const notify_secure_types[];

#define NOTIFY_SECRET_BYTES 32
#define NOTIFY_TEXT_MAX 512

/*  Retries stop after three days: a letter about a file that old is no
 *  news any more, and staff should look at the address. */
#define NOTIFY_RETRY_GIVE_UP (3 * 86400)

/*  An event older than this when notify applies it writes no letter:
 *  a notify started on a stack with a year of history must not mail a
 *  year of news. */
#define NOTIFY_STALE_AFTER (3 * 86400)

/*  Opens the sealed tracking token of `submitted`.token_sealed or
 *  `token_reissued`.token_sealed with notify's key pair (the shell gives
 *  sealed_token_open of common/sealed_token.h, with notify's CURVE keys in
 *  arg).  Writes the NUL-terminated token to out; 0, or -1 when it does
 *  not open (the letter then says the link was shown on screen). */
typedef int (*notify_token_open_fn)(void *arg, const unsigned char *sealed, size_t len, char *out,
                                    size_t cap);

typedef struct {
    char from[NOTIFY_TEXT_MAX];          /* ESSP_MAIL_FROM, default essp@localhost */
    char domain[NOTIFY_TEXT_MAX];        /* of Message-IDs: ESSP_MAIL_FROM's, else essp.invalid;
                                            "" = from's */
    char public_url[NOTIFY_TEXT_MAX];    /* ESSP_PUBLIC_URL, default the intake gateway's URL; ends with '/' */
    char directory_url[NOTIFY_TEXT_MAX]; /* ESSP_DIRECTORY_URL, default public_url + "annuaire/"; ends with '/' */
    char desk_url[NOTIFY_TEXT_MAX];      /* config_desk_url(); ends with '/' */
    char staff[NOTIFY_TEXT_MAX];         /* ESSP_STAFF_EMAIL, comma-separated, may be "" */
    char templates[NOTIFY_TEXT_MAX];     /* ESSP_MAIL_TEMPLATES, default the source tree's folder */
    long reminder_days;                  /* ESSP_MAIL_REMINDER_DAYS, default 7 */
    long retry_first_s;                  /* ESSP_MAIL_RETRY_FIRST_S: first retry delay, default 60 */
    unsigned char sender_secret[NOTIFY_SECRET_BYTES];
    notify_token_open_fn token_open;     /* NULL: no token can be opened */
    void *token_open_arg;
} notify_settings_t;

/*  Fills settings from the configuration (common/config.h); the shell then
 *  sets sender_secret and token_open. */
void notify_settings_load(notify_settings_t *settings);

typedef struct notify_t notify_t;

/*  The core's context (give it as service_def_t.ctx): the settings and
 *  every template, loaded and checked now; NULL, with the file and the
 *  reason logged, when a template is missing or names an unknown
 *  variable.  The settings are copied. */
notify_t *notify_new(const notify_settings_t *settings);
void notify_destroy(notify_t **self_p);

/*  For service_def_t.start, with the clock's time the shell reads: the
 *  letters the previous process had handed to its sender, with no outcome
 *  reported, are due now (outbox_release_leases): a kill -9 delays no
 *  letter.  0 or an LMDB code. */
int notify_start_at(void *ctx, service_t *svc, MDB_txn *txn, int64_t now);

/*  service_def_t.handle: the requests above.  mail_tick and mail_digest
 *  are also answered to a staff key on the secure endpoint whatever its
 *  "secret" (`essp mail tick|digest` cannot know it). */
int notify_handle(void *ctx, service_t *svc, MDB_txn *txn, service_request_t *req);

/*  The upstream streams' handlers (service_def_t.upstreams): see streams.h. */
#include "streams.h"

/* ---- for the core's own modules (streams.c, requests.c) -------------- */

struct letters_t;
typedef struct outbox_dbs_t outbox_dbs_t;

const notify_settings_t *notify_settings(const notify_t *self);

/*  The outbox's databases as the shell opened them. */
void notify_outbox_dbs(service_t *svc, outbox_dbs_t *dbs);

/*  Puts letters in the outbox, written at `at`: each rendered from its
 *  templates and composed; a letter to an erased address (except the
 *  erasure's own confirmation) is recorded failed, without a body, so that
 *  mail_failed shows what was held back; a letter to something that is no
 *  address is recorded failed with the reason (and staff are told).
 *  *added (may be NULL) counts the new letters.  Clears `letters`.  0 or an
 *  LMDB code. */
int notify_post(notify_t *self, service_t *svc, MDB_txn *txn, struct letters_t *letters, int64_t at,
                size_t *added);

/*  The same for letter i of `letters` alone (letters is not cleared):
 *  *added says whether it went in as a new letter. */
int notify_post_one(notify_t *self, service_t *svc, MDB_txn *txn, const struct letters_t *letters, size_t i,
                    int64_t at, bool *added);

/*  The suppression list: hash of the address (lower-cased). */
int notify_suppressed(service_t *svc, MDB_txn *txn, const char *address, bool *suppressed);
int notify_suppress(service_t *svc, MDB_txn *txn, const char *address, int64_t at);

/*  The staff's notice of a letter that failed for good (not for letters
 *  to staff: a broken staff address would notify itself forever). */
int notify_tell_staff_failed(notify_t *self, service_t *svc, MDB_txn *txn, const char *message_id, int64_t at);

#endif
