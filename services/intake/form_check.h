/*  services/intake/form_check.h - the application a posted form makes.
 *
 *  Each field is checked alone against its own part of the schema, so
 *  that every wrong field is shown at once, in French, next to its input;
 *  then the whole application goes to the core, which checks it again
 *  against the whole schema (the one authority) before it stores anything.
 */
#ifndef ESSP_INTAKE_FORM_CHECK_H
#define ESSP_INTAKE_FORM_CHECK_H

#include "web.h"

#include <msgpack.h>

/*  Builds the application from the form into out (one msgpack map) and
 *  checks each field; returns the number of errors recorded in the form
 *  (0: the application may go to the core). */
size_t web_form_application(web_t *self, web_form_t *form, msgpack_sbuffer *out);

/*  Records an error of the core (rule of proto_error_t, and the field path
 *  inside the application) in French next to its field. */
void web_form_error(web_t *self, web_form_t *form, const char *field, const char *rule);

#endif
