/*  services/intake/record.h - intake's record of one application, and
 *  what every handler of the core needs to change it.
 *
 *  The record (INTAKE_DB_APPLICATIONS) holds the fields of a status reply,
 *  the hash of the applicant's token and the head of the history chain;
 *  the application itself is apart (INTAKE_DB_DOCUMENTS), and so is the
 *  latest validation report (INTAKE_DB_REPORTS).  Each change of state
 *  rewrites the record and appends one history record (proto/history.h)
 *  in the same transaction: prepared here first, because `record` points
 *  into LMDB and must not be read after the first write.
 */
#ifndef ESSP_INTAKE_RECORD_H
#define ESSP_INTAKE_RECORD_H

#include "intake.h"

#include "proto/history.h"
#include "proto/messages.h"

#include <msgpack.h>
#include <sodium.h>

#define RECORD_SIRET_MAX 24

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

/*  The application that last held `listing` (INTAKE_DB_SIRETS): its id
 *  and its record, *found false when none did.  0 or an LMDB code. */
int record_listing_holder(MDB_txn *txn, service_t *svc, msgpack_zone *zone, const char *listing,
                          char id[PROTO_ID_MAX + 1], msgpack_object *record, bool *found);

/*  Drops the report of an application (amended, erased); having none is
 *  not an error. */
int record_drop_report(MDB_txn *txn, service_t *svc, const char *id, size_t len);

/*  Packs the value of the record's "report" as a status reply gives it. */
int record_pack_report(msgpack_packer *pk, MDB_txn *txn, service_t *svc, const char *id, size_t len,
                       const msgpack_object *value);

/*  Prepares the history record of a change (who and why in s) in s->hist
 *  and moves *head to it; nothing is written yet. */
void record_history_prepare(scratch_t *s, history_head_t *head, const char *what, const char *state,
                            int64_t now);
/*  Writes the record prepared in s->hist under (id, head->count). */
int record_history_store(MDB_txn *txn, service_t *svc, scratch_t *s, const char *id, size_t id_len,
                         const history_head_t *head);

/*  A new application's record: its first revision, received, with no
 *  report and no decision yet.  renews: the listing it renews, or NULL;
 *  approved_at: for a listing imported by staff, its original approval
 *  (the record then says provenance "imported"), 0 otherwise. */
typedef struct {
    const char *id, *siret, *listing, *token, *renews;
    const msgpack_object *application;
    const history_head_t *history;
    uint64_t approved_at;
    int64_t now;
} record_new_t;

void record_pack_new(msgpack_packer *pk, const record_new_t *n);

/*  The reply of appeal and erase: {"id", "state"}. */
void record_pack_ack(service_request_t *req, const char *id, size_t id_len, const char *state);

#endif
