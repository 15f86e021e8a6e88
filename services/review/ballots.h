/*  services/review/ballots.h - the votes of a round, one record each.
 *
 *  A vote is stored under its own key, id NUL BE32(round) BE32(n) (n: the
 *  vote's rank in the round), so that voting writes one small record
 *  instead of the whole file, and a round's votes are one range of keys,
 *  in the order they were cast.  Files stored before votes had their own
 *  records keep their current round's votes in the file's "votes"; they
 *  are read first, as the earliest votes of the round.
 */
#ifndef ESSP_REVIEW_BALLOTS_H
#define ESSP_REVIEW_BALLOTS_H

#include "committee.h"

/*  The votes of the file's current round, as an array in zone (the
 *  objects point into LMDB's memory: pack them before writing). */
int ballots_round(service_t *svc, MDB_txn *txn, const msgpack_object *file, msgpack_zone *zone,
                  msgpack_object *votes);

/*  The vote of `member` among `votes`, or NULL. */
const msgpack_object *ballots_of(const msgpack_object *votes, const msgpack_object *member);

/*  Stores `vote` as the rank-th vote of the file's current round. */
int ballots_put(review_t *self, service_t *svc, MDB_txn *txn, const msgpack_object *file, size_t rank,
                const msgpack_object *vote);

/*  Erasure: every vote of the file (all rounds) keeps only who, college,
 *  decision and when. */
int ballots_strip(review_t *self, service_t *svc, MDB_txn *txn, const msgpack_object *id);

#endif
