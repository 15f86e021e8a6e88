/*  services/intake/application.h - the application as intake stores it.
 *
 *  Identifiers are kept as digits only ("356 000 000 00048" is stored
 *  "35600000000048"), as the charter asks, so that a SIRET is one key
 *  whatever spaces the applicant typed.
 */
#ifndef ESSP_INTAKE_APPLICATION_H
#define ESSP_INTAKE_APPLICATION_H

#include "record.h"
#include "rules.h"

#include <msgpack.h>

/*  Packs a copy of obj (the application, or a part of it at the dotted
 *  `path`) with its identifiers reduced to their digits. */
void application_pack_normalized(msgpack_packer *pk, const msgpack_object *obj, const char *path);

/*  The digits of the application's organisation.siret ("" when none). */
void application_siret(const msgpack_object *application, char out[RECORD_SIRET_MAX]);

/*  The listing an application is for: its structure and its advisor.  In
 *  a cooperative (a CAE above all) several advisors work under one SIRET,
 *  each listed apart; one application may be open per listing.  The key
 *  is the SIRET's digits alone when the application names no advisor (the
 *  structure's own listing, as every application was keyed before the
 *  advisor field), else the digits, ':' and 16 bytes of BLAKE2b of the
 *  folded name in hex, so that "Marie Dupont" and "MARIE  dupont" are one
 *  listing and the key stays short whatever the name.  "" when there is
 *  no SIRET. */
void application_listing(const msgpack_object *application, char out[INTAKE_LISTING_MAX]);

#endif
