/*  services/review/members.h - the committee's members, and why a member
 *  may not judge a file.
 *
 *  A member has a college, ties (SIRENs of organisations they are bound
 *  to) and networks (the ESS networks they belong to).  A member is
 *  recused from a file when one of their ties is a party of the file (the
 *  applicant, a reference client, an organisation the applicant declares
 *  a tie with), when one of their networks is a network the applicant
 *  declares (names compared without case or accents), or when they
 *  recused themself from the file (votes.h).
 */
#ifndef ESSP_REVIEW_MEMBERS_H
#define ESSP_REVIEW_MEMBERS_H

#include "committee.h"

#define REVIEW_SIREN_LEN 9

/*  member_add, member_list, member_remove (staff).  A member has an
 *  optional e-mail and a digest preference (true unless set to false):
 *  what essp-notify mails them. */
int members_add(review_t *self, service_t *svc, MDB_txn *txn, service_request_t *req);
int members_list(review_t *self, service_t *svc, MDB_txn *txn, service_request_t *req);
int members_remove(review_t *self, service_t *svc, MDB_txn *txn, service_request_t *req);

/*  member_update: the staff change any of college, ties, networks, e-mail
 *  and digest; a member (member key) only their own e-mail and digest. */
int members_update(review_t *self, service_t *svc, MDB_txn *txn, service_request_t *req);

/*  The member a request speaks for: the one its key names.  A "member"
 *  field, when sent, must name the same member: 0, or SERVICE_REFUSED
 *  with the refusal packed (forbidden / member / identity). */
int members_identity(service_request_t *req, msgpack_object *name);

/*  Loads the member of that name into self->zone: 0; SERVICE_REFUSED with
 *  the refusal packed (not_found / member / exists) when there is none;
 *  or an LMDB code. */
int members_load(review_t *self, service_t *svc, MDB_txn *txn, service_request_t *req,
                 const msgpack_object *name, msgpack_object *member);

/*  The SIREN (9 digits) of a SIREN or SIRET typed with or without spaces;
 *  false when it is neither. */
bool review_siren_of(const char *text, size_t len, char out[REVIEW_SIREN_LEN + 1]);

/*  True when two network names are the same network: the same entry of
 *  the list of networks under any of its names (proto/networks.h), or,
 *  outside the list, equal once folded (proto/text.h). */
bool review_network_matches(const char *a, size_t a_len, const char *b, size_t b_len);

/*  Packs the ties between a member and a file: the parties (SIREN) and
 *  the networks they share; returns how many, packing nothing when pk is
 *  NULL. */
size_t members_conflicts(const msgpack_object *member, const msgpack_object *file, msgpack_packer *pk);

/*  The member's own recusal from the file ({member, reason, at, round}),
 *  or NULL. */
const msgpack_object *members_self_recusal(const msgpack_object *file, const msgpack_object *name);

/*  True when the member may not vote on the file; `why` then says why, for
 *  a person (the SIREN or network of the tie, or their own reason). */
bool members_recused(const msgpack_object *member, const msgpack_object *file, char *why, size_t cap);

#endif
