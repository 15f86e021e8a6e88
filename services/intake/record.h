/*  services/intake/record.h - intake's record of one application, and
 *  what every handler of the core needs to change it.
 *
 *  The record (INTAKE_DB_APPLICATIONS) holds the fields of a status reply,
 *  the hash of the applicant's token and the head of the history chain
 *  with where its records are (record_head_t);
 *  the application itself is apart (documents.h), and so is the
 *  latest validation report (INTAKE_DB_REPORTS).  Each change of state
 *  rewrites the record and appends one history record (proto/history.h)
 *  in the same transaction: prepared here first, because `record` points
 *  into LMDB and must not be read after the first write.
 */
#ifndef ESSP_INTAKE_RECORD_H
#define ESSP_INTAKE_RECORD_H

#include "index_batch.h"
#include "intake.h"

#include "proto/history.h"
#include "proto/listing.h"
#include "proto/messages.h"

#include <msgpack.h>
#include <sodium.h>

#define RECORD_SIRET_MAX LISTING_SIRET_MAX

/*  A text of the audit trail (who, why), cut on a UTF-8 boundary. */
typedef struct {
    char text[HISTORY_TEXT_MAX + 1];
    size_t len;
} text_t;

void text_add(text_t *t, const char *text, size_t len);
void text_set(text_t *t, const char *text);
/*  Appends `label`, then the number. */
void text_add_number(text_t *t, const char *label, uint64_t value);

/*  What a handler needs beside the request (the core's context): scratch
 *  buffers reused across requests, and the secret tokens are derived with. */
typedef struct {
    msgpack_sbuffer buf;
    msgpack_packer pk;
    msgpack_zone zone;
    msgpack_sbuffer hist;        /* the history record of the change in hand */
    text_t who, why;
    text_t reason;               /* a withdrawal's reason made of several texts */
    unsigned char secret[crypto_generichash_KEYBYTES];
    msgpack_sbuffer trail;       /* the trail numbers of the head in hand, 8 bytes each */
    uint64_t trail_next;         /* the number of the next history record written */
    uint64_t trail_last;         /* the number given to the record in hand */
    index_batch_t *index;        /* keys, sirets and contacts (index_batch.h) */
} scratch_t;

void record_scratch_init(scratch_t *s);
void record_scratch_fini(scratch_t *s);

bool record_is_state(const msgpack_object *record, const char *state);

/*  Copies the record's id into id (a key must not point into the record
 *  being replaced); its length, or -1 when it has none. */
int record_id(const msgpack_object *record, char id[PROTO_ID_MAX + 1]);

/*  An erased application keeps no personal data: of what happens to it
 *  afterwards only the end of its file elsewhere is recorded. */
bool record_is_erased(const msgpack_object *record);

int record_load(MDB_txn *txn, service_t *svc, const char *id, size_t len, msgpack_zone *zone,
                msgpack_object *record);
int record_store(MDB_txn *txn, service_t *svc, const char *id, size_t len, msgpack_sbuffer *buf);

/*  The application that last held `listing` (INTAKE_INDEX_SIRETS): its id
 *  and its record (decoded in s->zone), *found false when none did.  0 or
 *  an LMDB code. */
int record_listing_holder(MDB_txn *txn, service_t *svc, scratch_t *s, const char *listing,
                          char id[PROTO_ID_MAX + 1], msgpack_object *record, bool *found);

/*  Drops the report of an application (amended, erased); having none is
 *  not an error. */
int record_drop_report(MDB_txn *txn, service_t *svc, const char *id, size_t len);

/*  Keeps the report of an application (proto/kept_report.h), replacing
 *  the one before; buf is scratch. */
int record_put_report(MDB_txn *txn, service_t *svc, const char *id, size_t len, const msgpack_object *report,
                      msgpack_sbuffer *buf);

/*  Packs the value of the record's "report" as a status reply gives it. */
int record_pack_report(msgpack_packer *pk, MDB_txn *txn, service_t *svc, const char *id, size_t len,
                       const msgpack_object *value);

/*  Where an application stands in its audit trail (the record's
 *  "history"): the head of its hash chain, and where its records are.
 *
 *  A record is kept in INTAKE_DB_TRAIL under a number of intake's own, one
 *  more for each record written (8 bytes, big-endian), so that each change
 *  appends at the end of one tree; kept under (id, n), next to the
 *  application's earlier records, every application in flight had a page
 *  of its own rewritten at each of its changes.  The record keeps the
 *  numbers of its records, in order ("trail", 8 bytes each), and the n of
 *  the first of them ("from").  Records written before the trail existed
 *  stay in INTAKE_DB_HISTORY under (id, n) (proto/history.h): records 1 to
 *  from - 1, or all of them when the record has no "from".  The numbers of
 *  the head read last are in s->trail. */
typedef struct {
    history_head_t chain;
    uint64_t from;               /* n of the first record in the trail; 0: none is */
} record_head_t;

/*  Reads the head of `record` into *head and its trail into s->trail
 *  (before anything is written: `record` points into LMDB).  A record
 *  without "history" has an empty chain.  -1 when it is malformed. */
int record_head_read(const msgpack_object *record, scratch_t *s, record_head_t *head);

/*  The head of a new application: no record yet, an empty trail. */
void record_head_new(scratch_t *s, record_head_t *head);

/*  Packs "history" and its value: the head and the trail in s->trail. */
void record_head_pack(msgpack_packer *pk, const record_head_t *head, const scratch_t *s);

/*  Where record n (1 to head->chain.count) of application `id` is kept:
 *  fills key, returns its length, *in_trail true for INTAKE_DB_TRAIL,
 *  false for INTAKE_DB_HISTORY.  0 when the trail should hold n and does
 *  not (a record that lost its numbers: read as missing). */
size_t record_history_key(const record_head_t *head, const scratch_t *s, const char *id, size_t id_len,
                          uint64_t n, unsigned char key[HISTORY_KEY_MAX], bool *in_trail);

/*  Gives the record just appended to head->chain (its count) the next
 *  trail number, added to s->trail; returns it (also in s->trail_last). */
uint64_t record_trail_add(scratch_t *s, record_head_t *head);

/*  Prepares the history record of a change (who and why in s) in s->hist
 *  and moves *head to it, with its trail number; nothing is written yet. */
void record_history_prepare(scratch_t *s, record_head_t *head, const char *what, const char *state,
                            int64_t now);
/*  Writes the record prepared in s->hist under its trail number. */
int record_history_store(MDB_txn *txn, service_t *svc, const scratch_t *s);
/*  Writes a history record under trail number `seq`. */
int record_history_put(MDB_txn *txn, service_t *svc, uint64_t seq, const void *data, size_t len);
/*  Sets s->trail_next after the last record of INTAKE_DB_TRAIL (start). */
int record_trail_start(MDB_txn *txn, service_t *svc, scratch_t *s);

/*  A new application's record: its first revision, received, with no
 *  report and no decision yet.  renews: the listing it renews, or NULL;
 *  approved_at: for a listing imported by staff, its original approval
 *  (the record then says provenance "imported"), 0 otherwise. */
typedef struct {
    const char *id, *siret, *listing, *token, *renews;
    const msgpack_object *application;
    const record_head_t *history;
    const scratch_t *scratch;     /* its trail */
    uint64_t approved_at;
    int64_t now;
} record_new_t;

void record_pack_new(msgpack_packer *pk, const record_new_t *n);

/*  The reply of appeal and erase: {"id", "state"}. */
void record_pack_ack(service_request_t *req, const char *id, size_t id_len, const char *state);

#endif
