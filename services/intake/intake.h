/*  services/intake/intake.h - the gateway applicants submit to.
 *
 *  Intake owns the applications: it checks an application against the
 *  schema, stores it durably, answers a receipt, and follows the file
 *  through its life by consuming the streams of validation (reports),
 *  review (decisions, withdrawals) and publication (listed, withdrawn), so
 *  that one status query tells the applicant everything.
 *
 *  Requests: submit, amend, status, history, appeal, token_reissue
 *  (proto/README.md), from ZeroMQ clients and from the HTTP gateway
 *  (http.h), through the same ROUTER; erase, for staff keys only, on the
 *  secure (CURVE) endpoint.  Its
 *  stream, consumed by validation: "submitted" per submission or amendment
 *  (with "renews" when the application renews an earlier listing of the
 *  same SIRET), "appealed" when an applicant appeals a rejection, "erased"
 *  when the staff erases an application's personal data (its earlier
 *  events are then "redacted" in place), "token_reissued" when a contact
 *  asked for a lost tracking link (reissue.h).
 *
 *  The core, in files of one purpose: submit.h (submit, amend), follow.h
 *  (status, history, appeal), erase.h, streams.h (the upstream events),
 *  over record.h (the stored record and its history), ids.h (ids and
 *  tokens), keys.h (idempotency keys), application.h (the stored
 *  application), rules.h (the rules of a file's life) and index_batch.h
 *  (the look-up indexes' writes, batched).  Refusals go
 *  through service_refuse (common/service.h): one way, one value.
 *
 *  No duplicate application: a retried submission with the same "key"
 *  gets the first receipt again, and a second open application for the
 *  same SIRET is refused (amend the open one), except a renewal while the
 *  listing it renews is still approved or published.
 */
#ifndef ESSP_INTAKE_H
#define ESSP_INTAKE_H

#include "common/service.h"

/*  The databases of intake, in the order service_db() numbers them.
 *  applications: the record of each application (record.h).  documents:
 *  where each application is, the seq of the "submitted" event of its
 *  last revision (documents.h).  trail: the audit trail (proto/history.h),
 *  one record per change of state, written in the transaction of the
 *  change under a number of its own (record.h, record_head_t); history:
 *  the records written before, by application.  reports: the latest
 *  validation report of each application, by id, compact
 *  (proto/kept_report.h); the record (rewritten at every change of state)
 *  says `"report": true` instead of carrying it, so that it stays small
 *  (one leaf node, no overflow page of its own).
 *  contacts: the applications of each contact address (contacts.h);
 *  reissues: the tracking links sent again per address in the last hour
 *  (reissue.h); listed: while an update of a listing waits, or after one
 *  was refused, the document on the directory, by id (update.h).
 *  erased_listings: a keyed hash of each erased application's listing,
 *  so that an import does not bring it back (erase.h).
 *  keys, sirets and contacts are written through index_batch.h, whose log
 *  is index_log: read them with index_batch_get, never with mdb_get. */
enum { INTAKE_DB_APPLICATIONS, INTAKE_DB_DOCUMENTS, INTAKE_DB_KEYS, INTAKE_DB_SIRETS, INTAKE_DB_META,
       INTAKE_DB_HISTORY, INTAKE_DB_REPORTS, INTAKE_DB_CONTACTS, INTAKE_DB_REISSUES, INTAKE_DB_LISTED,
       INTAKE_DB_TRAIL, INTAKE_DB_INDEX_LOG, INTAKE_DB_ERASED_LISTINGS };
extern const char *const intake_dbs[];

/*  The indexes written through index_batch.h, by their number there. */
enum { INTAKE_INDEX_KEYS, INTAKE_INDEX_SIRETS, INTAKE_INDEX_CONTACTS };

/*  The applicant's token: the receipt of a submission carries it once, the
 *  applicant keeps it and shows it to read (status) or amend the
 *  application over HTTP.  43 characters of URL-safe base64 (256 bits);
 *  intake stores only its BLAKE2b hash and compares in constant time. */
#define INTAKE_TOKEN_CHARS 43
#define INTAKE_TOKEN_HASH_BYTES 32

void intake_token_hash(const char *token, size_t len, unsigned char hash[INTAKE_TOKEN_HASH_BYTES]);

/*  True when `token` is the one whose hash a stored record keeps. */
bool intake_token_matches(const msgpack_object *record, const char *token, size_t len);

/*  The request types answered only on the secure endpoint ("erase"). */
extern const char *const intake_secure_types[];

/*  The request types that bring a new application in ("submit"): refused
 *  (unavailable, storage) while the disk under the store is below its
 *  reserve, when amendments, votes and the streams still commit. */
extern const char *const intake_room_types[];

/*  service_def_t.start: loads (or makes, on first start) the secret that
 *  tokens of keyed submissions are derived from, and the index writes not
 *  yet in their trees (index_batch.h). */
int intake_start(void *ctx, service_t *svc, MDB_txn *txn);

/*  service_def_t.before_commit and .ended: the batched index writes
 *  follow each transaction (index_batch.h). */
int intake_before_commit(void *ctx, service_t *svc, MDB_txn *txn);
void intake_ended(void *ctx, service_t *svc, bool committed);

/*  service_def_t.gauges: the index writes in memory (index_batch.h). */
size_t intake_gauges(void *ctx, metrics_gauge_t *out, size_t max);

/*  The core's context (scratch buffers): give it as service_def_t.ctx. */
void *intake_context_new(void);
void intake_context_destroy(void **ctx_p);

int intake_handle(void *ctx, service_t *svc, MDB_txn *txn, service_request_t *req);

/*  The stream handlers (service_def_t.upstreams): see streams.h. */
#include "streams.h"

#endif
