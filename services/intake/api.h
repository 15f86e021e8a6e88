/*  services/intake/api.h - the JSON API of intake's gateway
 *  (proto/http.md): health, the charter, submit, status, amend, appeal.
 *
 *  The applicant's token travels as "Authorization: Bearer"; errors of the
 *  core keep their field and rule, the field named as in the posted body.
 */
#ifndef ESSP_INTAKE_API_H
#define ESSP_INTAKE_API_H

#include "bridge.h"
#include "request.h"

#define API_KEY_MAX 64

/*  The field of a core error as the HTTP client sees it: the body is the
 *  application, so "application.organisation.siret" is "organisation.siret". */
const char *api_client_field(const char *field);

unsigned api_status_of_error(const msgpack_object *reply);

enum MHD_Result api_json_core_error(struct MHD_Connection *c, const reply_t *reply);

enum MHD_Result api_health(http_t *self, struct MHD_Connection *c);

enum MHD_Result api_charter(struct MHD_Connection *c);

/*  The JSON body as one msgpack object; answers 400 itself when it is not. */
int api_json_body(struct MHD_Connection *c, request_t *r, msgpack_sbuffer *out, enum MHD_Result *result);

/*  The one string member `name` of a body that must be {name: "..."}:
 *  0 with it in *text, *len; or -1 with a 400 queued in *result naming
 *  what is wrong: another member (that member, additionalProperties),
 *  `name` missing (required) or not a string (type). */
int api_sole_member(struct MHD_Connection *c, const msgpack_object *map, const char *name, const char **text,
                    size_t *len, enum MHD_Result *result);

/*  An Idempotency-Key header: resending with the same key gives the same
 *  receipt (and the same token) instead of a second application. */
int api_idempotency_key(struct MHD_Connection *c, const char **key, enum MHD_Result *result);

/*  POST /api/v1/check: the charter's report on an application (JSON, as
 *  submitted), nothing stored: 200 with the report, 400 when the
 *  application breaks the schema. */
enum MHD_Result api_check(http_t *self, struct MHD_Connection *c, request_t *r);

enum MHD_Result api_submit(http_t *self, struct MHD_Connection *c, request_t *r);

enum MHD_Result api_status(http_t *self, struct MHD_Connection *c, request_t *r);

enum MHD_Result api_amend(http_t *self, struct MHD_Connection *c, request_t *r);

enum MHD_Result api_appeal(http_t *self, struct MHD_Connection *c, request_t *r);

#endif
