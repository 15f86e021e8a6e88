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

#include "proto/listing.h"

#include <msgpack.h>

/*  Packs a copy of obj (the application, or a part of it at the dotted
 *  `path`) with its identifiers reduced to their digits. */
void application_pack_normalized(msgpack_packer *pk, const msgpack_object *obj, const char *path);

/*  Its SIRET and listing key: proto/listing.h (listing_siret,
 *  listing_key). */

#endif
