/*  services/intake/precheck.h - "Vérifier ma candidature": the charter's
 *  check of an application before it is sent.
 *
 *  The check is proto's charter_check (proto/charter.h), the very code the
 *  validation service runs on a submitted application: no second copy of
 *  a rule.  Its blocking failures are placed next to the inputs they name,
 *  with the charter's French reasons.  Nothing is stored and nothing is
 *  sent to the core: the validation service still decides once the
 *  application is submitted.
 */
#ifndef ESSP_INTAKE_PRECHECK_H
#define ESSP_INTAKE_PRECHECK_H

#include "web.h"

#include <jansson.h>
#include <msgpack.h>
#include <stdint.h>

/*  Runs the charter on the application a posted form made (out of
 *  web_form_application) as on day `today`, and records each blocking
 *  failure next to its input (after the errors already there, which win).
 *  Marks the form as checked.  Returns the number of blocking failures. */
size_t precheck_form(web_form_t *form, const msgpack_sbuffer *application, int32_t today);

/*  The errors of a checked form for the page's script:
 *  {"ready": bool, "errors": [{"name": input name, "message": French}...]}
 *  (name "" for the form as a whole). */
json_t *precheck_form_json(const web_form_t *form);

/*  The charter's report on an application sent as JSON to /api/v1/check:
 *  the map charter_report_pack writes (proto/README.md), as JSON. */
json_t *precheck_report_json(const msgpack_object *application, int32_t today);

/*  The input a failed criterion goes next to: its field, a row of the form
 *  for a criterion about all references or trained people. */
void precheck_place(web_form_t *form, const char *code, const char *field, char *name, size_t cap);

#endif
