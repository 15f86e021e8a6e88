/*  services/mirror/mirror.h - the downstream site's copy of the directory.
 *
 *  essp-mirror keeps, in its own LMDB environment, the publication stream's
 *  cursor, the public key it trusts, and its copy of the directory, and
 *  changes them only with events whose signature verifies (see
 *  proto/stream_sign.h).  An event is applied from its
 *  signed content alone; the decoded copies beside it are not trusted.
 *  "upsert" lists an entry, "withdraw" (any reason) removes it, and a
 *  withdraw "erased" also removes every item of the feed that named it,
 *  even when it is not listed here any more; "redacted" (what an erased
 *  entry's earlier events became) is verified and changes nothing; "key"
 *  (a rotation), verified with the key trusted until then, makes the key
 *  it names the trusted one from the next seq on (meta "key", in the
 *  batch's transaction).
 *  The caller commits a batch of events together with the cursor, so a
 *  crash applies nothing twice and loses nothing.
 *
 *  Besides the entries the store keeps what the static site needs to be
 *  brought up to date without rebuilding everything: the advisors whose
 *  page must be written or removed, and the latest new and withdrawn
 *  listings for the Atom feed.
 */
#ifndef ESSP_MIRROR_H
#define ESSP_MIRROR_H

#include "proto/stream_sign.h"
#include "proto/error.h"

#include <lmdb.h>
#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

enum {
    MIRROR_DB_META,      /* "cursor", "site", "edition", "key_since" (u64), "key" (32 bytes: trusted now),
                            "site_key" (32 bytes: the first key trusted, names the feed) */
    MIRROR_DB_ENTRIES,   /* id -> {seq, version, entry, signed, sig, key, names_key} */
    MIRROR_DB_NAMES,     /* directory_sort_key -> id: the directory in name order */
    MIRROR_DB_FEED,      /* seq (8 bytes BE) -> {kind, id, name, city, at, reason} */
    MIRROR_DB_PAGES,     /* id -> "w" (write the page) or "d" (remove it) */
};
extern const char *const mirror_dbs[];

#define MIRROR_FEED_MAX 50   /* items kept for the Atom feed */
#define MIRROR_REFUSED (-1)  /* an event that must not be applied */

typedef struct mirror_t mirror_t;

/*  public_key: the key trusted when the store has none yet (meta "key"
 *  wins, since a key event changes it). */
mirror_t *mirror_new(const unsigned char public_key[STREAM_SIGN_PUBLIC_BYTES]);
void mirror_destroy(mirror_t **self_p);

/*  Verifies one event of the publication stream and applies it in txn.
 *  dbs: the handles of mirror_dbs.  Returns 0 (applied), MIRROR_REFUSED
 *  with err saying why (a signature that does not verify, a key event not
 *  signed by the trusted key, a foreign or malformed event), or an LMDB
 *  code. */
int mirror_apply(mirror_t *self, MDB_txn *txn, const MDB_dbi *dbs, const msgpack_object *event,
                 proto_error_t *err);

/*  True when the last event mirror_apply applied was a withdrawal whose
 *  signed content says "erased": the caller then owes a compaction.  The
 *  unsigned copy of the reason is never asked, since whoever sits on the
 *  plain TCP port can rewrite it. */
bool mirror_erased(const mirror_t *self);

/*  True when an id may name a file: 1 to 32 of [A-Za-z0-9_-]. */
bool mirror_id_is_safe(const char *id, size_t len);

#endif
