/*  proto/listing.h - the key of a listing: one structure and one advisor.
 *
 *  In a cooperative (a CAE above all) several advisors work under one
 *  SIRET, each listed apart; one application may be open per listing.
 *  Intake keys its applications by it, and `essp import` finds two rows of
 *  one listing in a file by it.
 */
#ifndef ESSP_PROTO_LISTING_H
#define ESSP_PROTO_LISTING_H

#include <msgpack.h>

/*  The SIRET's digits and a NUL (a SIRET has 14; room for a longer one
 *  typed with spaces, cut). */
#define LISTING_SIRET_MAX 24

/*  The key: the SIRET's digits, then, when the application names its
 *  advisor, ':' and 32 hex digits; and a NUL. */
#define LISTING_KEY_MAX 58

/*  The digits of the application's organisation.siret ("" when none). */
void listing_siret(const msgpack_object *application, char out[LISTING_SIRET_MAX]);

/*  The listing an application is for.  The key is the SIRET's digits
 *  alone when the application names no advisor (the structure's own
 *  listing, as every application was keyed before the advisor field),
 *  else the digits, ':' and 16 bytes of BLAKE2b of the folded name in
 *  hex, so that "Marie Dupont" and "MARIE  dupont" are one listing and the
 *  key stays short whatever the name.  "" when there is no SIRET. */
void listing_key(const msgpack_object *application, char out[LISTING_KEY_MAX]);

#endif
