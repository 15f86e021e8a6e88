/*  services/intake/api.c - see api.h. */
#include "api.h"
#include "precheck.h"

#include "intake.h"

#include "common/config.h"
#include "common/health.h"
#include "common/log.h"
#include "proto/charter.h"
#include "proto/date.h"
#include "proto/schema.h"
#include "proto/doc.h"
#include "proto/json_codec.h"
#include "proto/messages.h"
#include "proto/wire.h"

#include <arpa/inet.h>
#include <assert.h>
#include <czmq.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/*  The field of a core error as the HTTP client sees it: the body is the
 *  application, so "application.organisation.siret" is "organisation.siret". */
const char *api_client_field(const char *field)
{
    if (strncmp(field, "application.", 12) == 0)
        return field + 12;
    if (strcmp(field, "application") == 0)
        return "";
    return field;
}

unsigned api_status_of_error(const msgpack_object *reply)
{
    if (doc_str_eq(reply, "code", PROTO_E_INVALID))
        return 400;
    if (doc_str_eq(reply, "code", PROTO_E_NOT_FOUND))
        return 404;
    if (doc_str_eq(reply, "code", PROTO_E_CONFLICT))
        return 409;
    if (doc_str_eq(reply, "code", PROTO_E_FORBIDDEN))
        return 403;
    return 503;
}

enum MHD_Result api_json_core_error(struct MHD_Connection *c, const reply_t *reply)
{
    char message[PROTO_MESSAGE_MAX], field[PROTO_FIELD_MAX], rule[PROTO_RULE_MAX];
    if (doc_strcpy(&reply->msg, "message", message, sizeof message) < 0)
        snprintf(message, sizeof message, "refused");
    if (doc_strcpy(&reply->msg, "field", field, sizeof field) < 0)
        field[0] = '\0';
    if (doc_strcpy(&reply->msg, "rule", rule, sizeof rule) < 0)
        rule[0] = '\0';
    return request_json_error(c, api_status_of_error(&reply->msg), message, api_client_field(field), rule);
}

/*  The token of "Authorization: Bearer TOKEN", or NULL. */
static const char *s_bearer(struct MHD_Connection *c)
{
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (!auth || strncasecmp(auth, "Bearer ", 7) != 0)
        return NULL;
    auth += 7;
    while (*auth == ' ')
        auth++;
    return *auth ? auth : NULL;
}

enum MHD_Result api_health(http_t *self, struct MHD_Connection *c)
{
    msgpack_sbuffer buf;
    msgpack_packer pk;
    bridge_pack_init(&buf, &pk);
    uint64_t rid = bridge_next_rid(self);
    proto_pack_request(&pk, "health", rid, 0);
    reply_t reply;
    int rc = bridge_core_call(self, &buf, rid, 2000, &reply);
    msgpack_sbuffer_destroy(&buf);
    bool ready;
    char *text = health_reply_json(rc == 0 ? &reply.msg : NULL, "intake", &ready);
    if (rc == 0)
        bridge_reply_free(&reply);
    json_error_t error;
    json_t *body = text ? json_loads(text, 0, &error) : NULL;
    free(text);
    return request_json(c, ready ? 200 : 503, body ? body : json_pack("{s:s}", "status", "unavailable"), NULL,
                        NULL);
}

enum MHD_Result api_charter(struct MHD_Connection *c)
{
    static const char *const articles[] = {
        "Relever de l'économie sociale et solidaire (ESS)",
        "Présenter son expérience et ses références",
        "Prendre en compte les intérêts des clients et/ou bénéficiaires",
        "Faire preuve de loyauté dans ses pratiques professionnelles"};
    json_t *list = json_array(), *arts = json_array();
    for (int a = 0; a < 4; a++)
        json_array_append_new(arts, json_pack("{s:i, s:s}", "article", a + 1, "title_fr", articles[a]));
    const charter_criterion_t *criteria;
    size_t count = charter_criteria(&criteria);
    for (size_t i = 0; i < count; i++) {
        json_t *outcomes = json_array();
        for (int o = CRITERION_PASS; o <= CRITERION_WARN; o++)
            if (criteria[i].outcomes & CRITERION_OUTCOME_BIT(o))
                json_array_append_new(outcomes, json_string(criterion_outcome_name((criterion_outcome_t)o)));
        json_array_append_new(list, json_pack("{s:s, s:i, s:s, s:s, s:s, s:o}", "code", criteria[i].code,
                                              "article", criteria[i].article, "title_fr", criteria[i].title_fr,
                                              "title_en", criteria[i].title_en, "check", criteria[i].check,
                                              "outcomes", outcomes));
    }
    return request_json(c, 200, json_pack("{s:s, s:o, s:o}", "charter", CHARTER_VERSION, "articles", arts,
                                          "criteria", list), NULL, NULL);
}

/*  The JSON body as one msgpack object; answers 400 itself when it is not. */
int api_json_body(struct MHD_Connection *c, request_t *r, msgpack_sbuffer *out, enum MHD_Result *result)
{
    proto_error_t err;
    if (json_codec_to_msgpack(r->body ? r->body : "", r->len, out, &err) != 0) {
        *result = request_json_error(c, 400, err.message, err.field, err.rule);
        return -1;
    }
    if (out->size == 0 || ((unsigned char)out->data[0] & 0xf0) != 0x80) {
        unsigned char head = out->size ? (unsigned char)out->data[0] : 0;
        if (head != 0xde && head != 0xdf) {
            *result = request_json_error(c, 400, "the body must be a JSON object: the application", "", "type");
            return -1;
        }
    }
    return 0;
}

int api_sole_member(struct MHD_Connection *c, const msgpack_object *map, const char *name, const char **text,
                    size_t *len, enum MHD_Result *result)
{
    char message[PROTO_MESSAGE_MAX], field[PROTO_FIELD_MAX];
    for (uint32_t i = 0; map->type == MSGPACK_OBJECT_MAP && i < map->via.map.size; i++) {
        const msgpack_object *key = &map->via.map.ptr[i].key;
        if (key->type != MSGPACK_OBJECT_STR || (key->via.str.size == strlen(name)
                                                && memcmp(key->via.str.ptr, name, key->via.str.size) == 0))
            continue;
        /* Named whole when it fits, cut between characters when not. */
        snprintf(field, sizeof field, "%.*s",
                 (int)proto_utf8_prefix(key->via.str.ptr, key->via.str.size, sizeof field - 1), key->via.str.ptr);
        snprintf(message, sizeof message, "%s: not expected, the body is {\"%s\": \"...\"} and nothing else", field,
                 name);
        *result = request_json_error(c, 400, message, field, "additionalProperties");
        return -1;
    }
    if (doc_str(map, name, text, len))
        return 0;
    bool missing = !doc_get(map, name);
    snprintf(message, sizeof message, "%s: %s", name, missing ? "required" : "must be a string");
    *result = request_json_error(c, 400, message, name, missing ? "required" : "type");
    return -1;
}

/*  An Idempotency-Key header: resending with the same key gives the same
 *  receipt (and the same token) instead of a second application. */
int api_idempotency_key(struct MHD_Connection *c, const char **key, enum MHD_Result *result)
{
    *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Idempotency-Key");
    if (*key && !**key) {
        *result = request_json_error(c, 400, "Idempotency-Key: empty; send 1 to 64 bytes, or no header",
                                     "Idempotency-Key", "minLength");
        return -1;
    }
    if (*key && strlen(*key) > API_KEY_MAX) {
        *result = request_json_error(c, 400, "Idempotency-Key: longer than 64 bytes", "Idempotency-Key",
                                     "maxLength");
        return -1;
    }
    return 0;
}

/*  The common path of POST and PUT: the JSON body and the idempotency key
 *  read, a submit (with the id it renews, from the query's "renews") or an
 *  amend (with id and token) sent to the core.
 *  Returns 0 with the core's receipt in *reply, or -1 with *result the
 *  HTTP answer already queued (refused input, core unavailable, core
 *  error). */
static int s_send_application(http_t *self, struct MHD_Connection *c, request_t *r,
                              const char *token, reply_t *reply, enum MHD_Result *result)
{
    const char *key;
    msgpack_sbuffer application, buf;
    msgpack_packer pk;
    msgpack_sbuffer_init(&application);
    bridge_pack_init(&buf, &pk);
    int rc = -1;
    if (api_json_body(c, r, &application, result) || api_idempotency_key(c, &key, result))
        goto fail;
    uint64_t rid = bridge_next_rid(self);
    if (token) {
        proto_pack_request(&pk, "amend", rid, proto_entries(3, key));
        proto_pack_kv_str(&pk, "id", r->id);
        bridge_pack_token(&pk, token);
    } else {
        const char *renews = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "renews");
        proto_pack_request(&pk, "submit", rid, proto_entries(1, key, renews));
        if (renews)
            proto_pack_kv_str(&pk, "renews", renews);
    }
    proto_pack_kv_raw(&pk, "application", application.data, application.size);
    if (key)
        proto_pack_kv_str(&pk, "key", key);
    int called = bridge_core_call(self, &buf, rid, self->config.core_timeout_ms, reply);
    if (called != 0) {
        *result = bridge_refuse(c, r, called);
        goto fail;
    }
    if (!bridge_reply_is(reply, "receipt")) {
        *result = api_json_core_error(c, reply);
        bridge_reply_free(reply);
        goto fail;
    }
    rc = 0;
fail:
    msgpack_sbuffer_destroy(&application);
    msgpack_sbuffer_destroy(&buf);
    return rc;
}


enum MHD_Result api_check(http_t *self, struct MHD_Connection *c, request_t *r)
{
    (void)self;
    enum MHD_Result result;
    msgpack_sbuffer application;
    msgpack_sbuffer_init(&application);
    if (api_json_body(c, r, &application, &result) == 0) {
        msgpack_zone zone;
        msgpack_zone_init(&zone, 4096);
        msgpack_object doc;
        proto_error_t err;
        if (wire_decode(application.data, application.size, &zone, &doc, &err) != 0
            || schema_validate(schema_application(), &doc, &err) != 0)
            result = request_json_error(c, 400, err.message, err.field, err.rule);
        else
            result = request_json(c, 200, precheck_report_json(&doc, date_today_utc()), NULL, NULL);
        msgpack_zone_destroy(&zone);
    }
    msgpack_sbuffer_destroy(&application);
    return result;
}

enum MHD_Result api_submit(http_t *self, struct MHD_Connection *c, request_t *r)
{
    enum MHD_Result result;
    reply_t reply;
    if (s_send_application(self, c, r, NULL, &reply, &result))
        return result;
    char id[PROTO_ID_MAX + 1], state[32], token[80], location[128], page[128];
    uint64_t revision = 1;
    doc_strcpy(&reply.msg, "id", id, sizeof id);
    doc_strcpy(&reply.msg, "state", state, sizeof state);
    doc_uint(&reply.msg, "revision", &revision);
    bool has_token = doc_strcpy(&reply.msg, "token", token, sizeof token) > 0;
    bool duplicate = doc_bool(&reply.msg, "duplicate", false);
    bridge_reply_free(&reply);
    snprintf(location, sizeof location, "/api/v1/applications/%s", id);
    snprintf(page, sizeof page, "/suivi/%s", id);
    json_t *receipt = json_pack("{s:s, s:s, s:I, s:b}", "id", id, "state", state, "revision",
                                (json_int_t)revision, "duplicate", duplicate);
    if (has_token)
        json_object_set_new(receipt, "token", json_string(token));
    json_object_set_new(receipt, "links", json_pack("{s:s, s:s}", "status", location, "page", page));
    return request_json(c, 201, receipt, "Location", location);
}

enum MHD_Result api_status(http_t *self, struct MHD_Connection *c, request_t *r)
{
    const char *token = s_bearer(c);
    if (!token)
        return request_json_error(c, 401, "Authorization: Bearer <token of the receipt> is required",
                                  "Authorization", "required");
    reply_t reply;
    if (bridge_fetch_status(self, r->id, token, &reply) != 0)
        return request_refuse(c, r, 503, "unavailable", "Retry-After", "1");
    if (!bridge_reply_is(&reply, "status")) {
        enum MHD_Result result = api_json_core_error(c, &reply);
        bridge_reply_free(&reply);
        return result;
    }
    json_t *status = json_object();
    for (uint32_t i = 0; i < reply.msg.via.map.size; i++) {
        const msgpack_object_kv *kv = &reply.msg.via.map.ptr[i];
        if (kv->key.type != MSGPACK_OBJECT_STR || doc_is(&kv->key, "v") || doc_is(&kv->key, "type")
            || doc_is(&kv->key, "rid"))
            continue;
        json_t *value = json_codec_from_object(&kv->val);
        if (value)
            json_object_setn_new(status, kv->key.via.str.ptr, kv->key.via.str.size, value);
    }
    bridge_reply_free(&reply);
    return request_json(c, 200, status, NULL, NULL);
}

enum MHD_Result api_amend(http_t *self, struct MHD_Connection *c, request_t *r)
{
    const char *token = s_bearer(c);
    if (!token)
        return request_json_error(c, 401, "Authorization: Bearer <token of the receipt> is required",
                                  "Authorization", "required");
    enum MHD_Result result;
    reply_t reply;
    if (s_send_application(self, c, r, token, &reply, &result))
        return result;
    char state[32];
    uint64_t revision = 1;
    doc_strcpy(&reply.msg, "state", state, sizeof state);
    doc_uint(&reply.msg, "revision", &revision);
    bool duplicate = doc_bool(&reply.msg, "duplicate", false);
    json_t *receipt = json_pack("{s:s, s:s, s:I, s:b}", "id", r->id, "state", state, "revision",
                                (json_int_t)revision, "duplicate", duplicate);
    /* An update of a listing: what it changes, and whether the committee
     * will see it. */
    const msgpack_object *changed = doc_array(&reply.msg, "changed");
    if (changed) {
        json_object_set_new(receipt, "changed", json_codec_from_object(changed));
        json_object_set_new(receipt, "substantive", json_boolean(doc_bool(&reply.msg, "substantive", false)));
    }
    bridge_reply_free(&reply);
    return request_json(c, 200, receipt, NULL, NULL);
}

/*  The motivation as the C string the core is sent; NULL with a 400 queued
 *  when it holds a NUL (JSON "\u0000"), which would cut it short there. */
static char *s_motivation_copy(struct MHD_Connection *c, const char *text, size_t len, enum MHD_Result *result)
{
    if (memchr(text, '\0', len)) {
        *result = request_json_error(c, 400, "motivation: holds a NUL character (\\u0000), which no text may hold",
                                     "motivation", "control");
        return NULL;
    }
    char *copy = strndup(text, len);
    assert(copy);
    return copy;
}

/*  The motivation of a JSON appeal body ({"motivation": "..."}), copied;
 *  NULL with a 400 queued when the body is not that. */
static char *s_appeal_motivation(struct MHD_Connection *c, request_t *r, enum MHD_Result *result)
{
    msgpack_sbuffer body;
    msgpack_sbuffer_init(&body);
    char *motivation = NULL;
    if (api_json_body(c, r, &body, result) == 0) {
        msgpack_zone zone;
        msgpack_zone_init(&zone, 1024);
        msgpack_object map;
        proto_error_t err;
        const char *text;
        size_t len;
        if (wire_decode(body.data, body.size, &zone, &map, &err) != 0)
            *result = request_json_error(c, 400, err.message, err.field, err.rule);
        else if (api_sole_member(c, &map, "motivation", &text, &len, result) == 0)
            motivation = s_motivation_copy(c, text, len, result);
        msgpack_zone_destroy(&zone);
    }
    msgpack_sbuffer_destroy(&body);
    return motivation;
}

enum MHD_Result api_appeal(http_t *self, struct MHD_Connection *c, request_t *r)
{
    const char *token = s_bearer(c);
    if (!token)
        return request_json_error(c, 401, "Authorization: Bearer <token of the receipt> is required",
                                  "Authorization", "required");
    enum MHD_Result result;
    const char *key;
    if (api_idempotency_key(c, &key, &result))
        return result;
    char *motivation = s_appeal_motivation(c, r, &result);
    if (!motivation)
        return result;
    if (!motivation[strspn(motivation, " \t\r\n")]) {
        free(motivation);
        return request_json_error(c, 400, "motivation: say why the decision should be reconsidered", "motivation",
                                  "required");
    }
    reply_t reply;
    int rc = bridge_send_appeal(self, r->id, token, motivation, key, &reply);
    free(motivation);
    if (rc != 0)
        return bridge_refuse(c, r, rc);
    if (!bridge_reply_is(&reply, "ack")) {
        result = api_json_core_error(c, &reply);
        bridge_reply_free(&reply);
        return result;
    }
    char state[32];
    doc_strcpy(&reply.msg, "state", state, sizeof state);
    bridge_reply_free(&reply);
    return request_json(c, 200, json_pack("{s:s, s:s}", "id", r->id, "state", state), NULL, NULL);
}
