/*  proto/history.h - the audit trail of an application.
 *
 *  Every change of an application's state is one record: who, when, what,
 *  why, and the state it left the application in.  Records are chained:
 *  each names the hash of the one before it, and the application's status
 *  record keeps the count and the hash of the last one (the head), so that
 *  a record changed, removed or moved afterwards, or a tail cut off, is
 *  detected by anyone holding the records, without any secret.
 *
 *  The bytes (proto/README.md, "history", says the same for implementers):
 *    core   = a MessagePack map, keys in this order:
 *             n (uint, 1 for the first record), at (uint, unix seconds),
 *             who (str), what (str), why_digest (bin 32), state (str),
 *             prev (bin 32: the hash of record n-1, 32 zero bytes for n = 1)
 *    why_digest = BLAKE2b-256 of the why text, keyed with a salt of 16
 *             random bytes drawn for this record
 *    tail   = a MessagePack map {why (str), salt (bin 16)}, or, once the
 *             application's personal data is erased, {erased: true}
 *    body   = a MessagePack array [core as bin, tail]
 *    hash   = BLAKE2b-256(core), unkeyed (libsodium crypto_generichash)
 *    stored = a MessagePack array [body as bin, hash as bin]
 *  A verifier hashes the core bytes as they are stored: it never encodes
 *  anything again, so two MessagePack encoders cannot disagree.  prev is
 *  inside the hashed bytes, so each hash covers the whole chain before it.
 *
 *  Why the why stands apart: it is the one free text about the applicant
 *  (motivations, reasons).  Erasing it (history_erase) keeps the core, so
 *  the chain still verifies; the salt goes with the text, so that nobody
 *  can confirm a guessed text against the digest left behind.  An erased
 *  tail is accepted only when a later record of the chain records the
 *  erasure (what "erased"): erasing a why quietly is a break.
 *
 *  Records written before the why stood apart (body = a map of n, at,
 *  who, what, why, state, prev; hash = BLAKE2b-256(body)) still verify;
 *  they cannot be erased without breaking the chain.
 *
 *  Pure functions: no I/O, no clock; intake keeps the records in LMDB and
 *  the essp tool verifies again what intake sends.
 */
#ifndef ESSP_PROTO_HISTORY_H
#define ESSP_PROTO_HISTORY_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HISTORY_HASH_BYTES 32
/*  who and why are cut (on a UTF-8 boundary) to this many bytes. */
#define HISTORY_TEXT_MAX 4000
/*  The LMDB key of a record: the application id, then n as 8 bytes
 *  big-endian, so one application's records are adjacent and in order. */
#define HISTORY_KEY_MAX (32 + 8)

/*  Where a chain stands: how many records, and the hash of the last one
 *  (32 zero bytes while there is none). */
typedef struct {
    uint64_t count;
    unsigned char head[HISTORY_HASH_BYTES];
} history_head_t;

/*  The "what" of the record that erasure appends. */
#define HISTORY_WHAT_ERASED "erased"

/*  One change, as the caller describes it. */
typedef struct {
    int64_t at;
    const char *who;
    size_t who_len;
    const char *what;
    const char *why;
    size_t why_len;
    const char *state;
} history_change_t;

/*  The first break found by a verifier: the record it names (n) and why. */
typedef struct {
    uint64_t n;
    char reason[200];
} history_break_t;

typedef struct {
    uint64_t count;                               /* records accepted */
    unsigned char prev[HISTORY_HASH_BYTES];       /* hash of the last one */
    unsigned char prev_candidate[HISTORY_HASH_BYTES]; /* hash of the one being checked */
    msgpack_zone zone;
    bool broken;
    history_break_t brk;
    uint64_t erased_pending;                      /* first erased record no erasure has followed yet */
} history_verifier_t;

/*  Packs the stored form of record head->count + 1 into out (appended),
 *  and moves head to it. */
void history_append(history_head_t *head, const history_change_t *change, msgpack_sbuffer *out);

/*  The stored form of a record with its why erased (tail {erased: true}),
 *  appended to out: 0; 1 when it is erased already (nothing appended); -1
 *  when it is not a record of this form (malformed, or written before the
 *  why stood apart). */
int history_erase(const void *stored, size_t len, msgpack_sbuffer *out);

/*  The head a status record keeps under "history" ({count, head}); a
 *  record without one has an empty chain.  -1 when it is malformed. */
int history_head_read(const msgpack_object *record, history_head_t *head);

/*  Packs "history": {count, head} (one key/value pair of a map). */
void history_head_pack(msgpack_packer *pk, const history_head_t *head);

/*  The key of record n of application id; returns its length. */
size_t history_key(const char *id, size_t id_len, uint64_t n, unsigned char out[HISTORY_KEY_MAX]);

void history_verifier_init(history_verifier_t *self);
void history_verifier_fini(history_verifier_t *self);

/*  Feeds the next record, as body bytes and the hash stored with it.
 *  0 while the chain holds, -1 once it is broken (self->brk says where;
 *  later records are not looked at). */
int history_verify_record(history_verifier_t *self, const void *body, size_t body_len,
                          const void *hash, size_t hash_len);

/*  Feeds the stored form ([body, hash]) of the next record. */
int history_verify_stored(history_verifier_t *self, const void *bytes, size_t len);

/*  After the last record: the chain must end at the head the status
 *  record keeps (a tail cut off, or records added, break it). */
int history_verify_end(history_verifier_t *self, const history_head_t *expected);

/*  Decodes the body bytes of a record into zone (safely: proto/wire.h),
 *  for showing it: 0 and *out, a map of n, at, who, what, why (str: "" once
 *  erased), state, prev and erased (bool), or -1. */
int history_body_decode(const void *body, size_t len, msgpack_zone *zone, msgpack_object *out);

#endif
