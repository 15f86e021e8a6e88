/*  services/intake/site.c - see site.h. */
#include "site.h"
#include "fields.h"
#include "form_page.h"
#include "texts.h"

#include "intake.h"
#include "precheck.h"

#include "common/config.h"
#include "common/log.h"
#include "proto/charter.h"
#include "proto/date.h"
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
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum MHD_Result site_page_form(http_t *self, struct MHD_Connection *c)
{
    char key[33];
    form_page_new_key(key);
    page_t page;
    request_page_open(&page);
    web_page_apply(self->web, page.out, NULL, key);
    return request_page_send(c, 200, &page);
}

/*  The listing a renewal form renews (the status page's « Renouveler »),
 *  or NULL; the core checks that it may be renewed by this application. */
static const char *s_form_renews(const web_form_t *form)
{
    const char *renews = web_form_get(form, "_renews");
    return renews && *renews && strlen(renews) <= PROTO_ID_MAX ? renews : NULL;
}

static enum MHD_Result s_page_form_again(http_t *self, struct MHD_Connection *c, unsigned status,
                                         const web_form_t *form)
{
    char fresh[33];
    const char *key = form_page_key_or_new(form, fresh);
    page_t page;
    request_page_open(&page);
    web_page_apply(self->web, page.out, form, key);
    return request_page_send(c, status, &page);
}

/*  The page of a form that cannot be read, naming the field at fault when
 *  one is (a %00 in it): by its label when it is one of the application's. */
static enum MHD_Result s_page_unreadable(struct MHD_Connection *c, const char *name)
{
    int f = fields_of_input(name);
    /* Another input's name is shown as sent when it is plain ASCII only:
     * the page must stay readable text. */
    bool plain = *name != '\0';
    for (const char *p = name; *p; p++)
        plain = plain && *p > ' ' && *p < 0x7f;
    if (f < 0 && !plain)
        return request_page_message(c, 400, TEXTS_UNREADABLE_TITLE, TEXTS_UNREADABLE);
    char text[512];
    snprintf(text, sizeof text, TEXTS_UNREADABLE_FIELD, f >= 0 ? fields_label((size_t)f) : name);
    return request_page_message(c, 400, TEXTS_UNREADABLE_TITLE, text);
}

/*  The posted form, or NULL with the page that refuses it queued in
 *  *refused. */
static web_form_t *s_parse_form(struct MHD_Connection *c, request_t *r, enum MHD_Result *refused)
{
    char name[128];
    web_form_t *form = web_form_parse_field(r->body ? r->body : "", r->len, name, sizeof name);
    if (!form)
        *refused = s_page_unreadable(c, name);
    return form;
}

enum MHD_Result site_page_submit(http_t *self, struct MHD_Connection *c, request_t *r)
{
    enum MHD_Result refused;
    web_form_t *form = s_parse_form(c, r, &refused);
    if (!form)
        return refused;
    enum MHD_Result result;
    msgpack_sbuffer application;
    msgpack_sbuffer_init(&application);
    if (web_form_added_row(form)) {
        result = s_page_form_again(self, c, 200, form);
    } else if (web_form_application(self->web, form, &application) > 0) {
        result = s_page_form_again(self, c, 400, form);
    } else {
        const char *key = form_page_key(form), *renews = s_form_renews(form);
        msgpack_sbuffer buf;
        msgpack_packer pk;
        bridge_pack_init(&buf, &pk);
        uint64_t rid = bridge_next_rid(self);
        proto_pack_request(&pk, "submit", rid, proto_entries(1, key, renews));
        proto_pack_kv_raw(&pk, "application", application.data, application.size);
        if (key)
            proto_pack_kv_str(&pk, "key", key);
        if (renews)
            proto_pack_kv_str(&pk, "renews", renews);
        reply_t reply;
        int rc = bridge_core_call(self, &buf, rid, self->config.core_timeout_ms, &reply);
        msgpack_sbuffer_destroy(&buf);
        char id[PROTO_ID_MAX + 1], token[80], field[PROTO_FIELD_MAX], rule[PROTO_RULE_MAX];
        if (rc != 0) {
            result = bridge_refuse(c, r, rc);
        } else if (bridge_reply_is(&reply, "receipt") && doc_strcpy(&reply.msg, "token", token, sizeof token) > 0) {
            doc_strcpy(&reply.msg, "id", id, sizeof id);
            page_t page;
            request_page_open(&page);
            web_page_receipt(page.out, id, token, doc_bool(&reply.msg, "duplicate", false), (int64_t)time(NULL));
            result = request_page_send(c, 201, &page);
        } else if (bridge_reply_is(&reply, "receipt")) {
            result = request_page_message(c, 409, TEXTS_ALREADY_TITLE, TEXTS_ALREADY);
        } else if (doc_str_eq(&reply.msg, "code", PROTO_E_UNAVAILABLE)) {
            result = request_refuse_storage(c, r);
        } else if (doc_str_eq(&reply.msg, "code", PROTO_E_INTERNAL)) {
            result = request_refuse(c, r, 503, "unavailable", "Retry-After", "1");
        } else {
            doc_strcpy(&reply.msg, "field", field, sizeof field);
            doc_strcpy(&reply.msg, "rule", rule, sizeof rule);
            web_form_error(self->web, form, api_client_field(field), rule);
            result = s_page_form_again(self, c, api_status_of_error(&reply.msg), form);
        }
        bridge_reply_free(&reply);
    }
    msgpack_sbuffer_destroy(&application);
    web_form_destroy(&form);
    return result;
}

enum MHD_Result site_page_check(http_t *self, struct MHD_Connection *c, request_t *r)
{
    enum MHD_Result refused;
    web_form_t *form = s_parse_form(c, r, &refused);
    if (!form)
        return refused;
    msgpack_sbuffer application;
    msgpack_sbuffer_init(&application);
    web_form_application(self->web, form, &application);
    precheck_form(form, &application, date_today_utc());
    msgpack_sbuffer_destroy(&application);
    enum MHD_Result result;
    const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");
    if (accept && strstr(accept, "application/json"))
        result = request_json(c, 200, precheck_form_json(form), NULL, NULL);
    else
        result = s_page_form_again(self, c, 200, form);
    web_form_destroy(&form);
    return result;
}

enum MHD_Result site_page_follow(struct MHD_Connection *c, request_t *r, unsigned status, const char *notice)
{
    page_t page;
    request_page_open(&page);
    web_page_follow(page.out, r->id, notice);
    return request_page_send(c, status, &page);
}

/*  The token of a posted tracking form, trimmed. */
static bool s_form_token(const web_form_t *form, char token[80])
{
    const char *value = web_form_get(form, "jeton");
    while (value && (*value == ' ' || *value == '\t'))
        value++;
    if (!value || !*value || strlen(value) >= 80)
        return false;
    snprintf(token, 80, "%s", value);
    size_t len = strlen(token);
    while (len && (token[len - 1] == ' ' || token[len - 1] == '\t' || token[len - 1] == '\r' || token[len - 1] == '\n'))
        token[--len] = '\0';
    return len > 0;
}


/*  The status page, with the amendment form as posted when given. */
static enum MHD_Result s_page_status(http_t *self, struct MHD_Connection *c, request_t *r, const char *token,
                                     unsigned status, const web_form_t *amend)
{
    reply_t reply;
    if (bridge_fetch_status(self, r->id, token, &reply) != 0)
        return request_refuse(c, r, 503, "unavailable", "Retry-After", "1");
    enum MHD_Result result;
    if (bridge_reply_is(&reply, "status")) {
        page_t page;
        request_page_open(&page);
        web_page_status(self->web, page.out, &reply.msg, token, amend, (int64_t)time(NULL));
        result = request_page_send(c, status, &page);
    } else if (doc_str_eq(&reply.msg, "code", PROTO_E_NOT_FOUND)) {
        result = site_page_follow(c, r, 404, TEXTS_UNKNOWN_FILE);
    } else {
        result = request_refuse(c, r, 503, "unavailable", "Retry-After", "1");
    }
    bridge_reply_free(&reply);
    return result;
}

enum MHD_Result site_page_follow_post(http_t *self, struct MHD_Connection *c, request_t *r)
{
    enum MHD_Result refused;
    web_form_t *form = s_parse_form(c, r, &refused);
    if (!form)
        return refused;
    char token[80];
    enum MHD_Result result;
    if (!s_form_token(form, token))
        result = site_page_follow(c, r, 401, TEXTS_TOKEN_MISSING);
    else
        result = s_page_status(self, c, r, token, 200, NULL);
    web_form_destroy(&form);
    return result;
}

/*  A refused amendment, next to the field it names: the schema's rules in
 *  the form's words; an update that fails the charter with the
 *  criterion's own French reason (what follows "as it is: " in the
 *  message, update.c); an update that changes nothing, on the whole form. */
static void s_amend_error(http_t *self, web_form_t *form, const msgpack_object *reply, const char *field,
                          const char *rule)
{
    char message[PROTO_MESSAGE_MAX], name[160];
    int f;
    const char *reason = NULL;
    if (doc_strcpy(reply, "message", message, sizeof message) > 0 && charter_criterion_find(rule))
        reason = strstr(message, "as it is: ");
    if (reason) {
        char text[PROTO_MESSAGE_MAX + 64];
        snprintf(text, sizeof text, "Cette mise à jour ne respecte pas la charte (%s) : %s", rule, reason + 10);
        form_place_error(form, field, &f, name, sizeof name);
        form_add_error(form, name, text);
    } else if (strcmp(rule, "unchanged") == 0) {
        form_add_error(form, "", TEXTS_UPDATE_UNCHANGED);
    } else {
        web_form_error(self->web, form, field, rule);
    }
}

/*  Whether the application's last update is revision `revision`, and
 *  whether the committee decides on it: what a duplicate receipt does not
 *  say.  0, or -1 when intake does not answer. */
static int s_update_of_revision(http_t *self, const request_t *r, const char *token, uint64_t revision,
                                bool *updated, bool *substantive)
{
    reply_t reply;
    if (bridge_fetch_status(self, r->id, token, &reply) != 0)
        return -1;
    const msgpack_object *update = bridge_reply_is(&reply, "status") ? doc_map(&reply.msg, "update") : NULL;
    uint64_t of = 0;
    if (update && doc_uint(update, "revision", &of) && of == revision) {
        *updated = true;
        *substantive = doc_bool(update, "substantive", false);
    }
    bridge_reply_free(&reply);
    return 0;
}

/*  The answer to an amendment or an update received.  The same form sent
 *  again (its key) gets the first answer again: its receipt says
 *  duplicate but not what the update changed, which the status keeps. */
static enum MHD_Result s_page_amend_receipt(http_t *self, struct MHD_Connection *c, request_t *r,
                                            const char *token, const msgpack_object *receipt)
{
    uint64_t revision = 0;
    doc_uint(receipt, "revision", &revision);
    bool updated = doc_get(receipt, "changed") != NULL;
    bool substantive = doc_bool(receipt, "substantive", false);
    if (doc_bool(receipt, "duplicate", false)
        && s_update_of_revision(self, r, token, revision, &updated, &substantive) != 0)
        return request_refuse(c, r, 503, "unavailable", "Retry-After", "1");
    page_t page;
    request_page_open(&page);
    if (updated)
        web_page_updated(page.out, r->id, token, substantive);
    else
        web_page_amended(page.out, r->id, token, (unsigned long)revision);
    return request_page_send(c, 200, &page);
}

enum MHD_Result site_page_amend(http_t *self, struct MHD_Connection *c, request_t *r)
{
    enum MHD_Result refused;
    web_form_t *form = s_parse_form(c, r, &refused);
    if (!form)
        return refused;
    char token[80];
    enum MHD_Result result;
    msgpack_sbuffer application;
    msgpack_sbuffer_init(&application);
    if (!s_form_token(form, token)) {
        result = site_page_follow(c, r, 401, TEXTS_TOKEN_MISSING);
    } else if (web_form_added_row(form)) {
        result = s_page_status(self, c, r, token, 200, form);
    } else if (web_form_application(self->web, form, &application) > 0) {
        result = s_page_status(self, c, r, token, 400, form);
    } else {
        /* The form's key: the same form sent twice is one amendment. */
        const char *key = form_page_key(form);
        msgpack_sbuffer buf;
        msgpack_packer pk;
        bridge_pack_init(&buf, &pk);
        uint64_t rid = bridge_next_rid(self);
        proto_pack_request(&pk, "amend", rid, proto_entries(3, key));
        proto_pack_kv_str(&pk, "id", r->id);
        bridge_pack_token(&pk, token);
        proto_pack_kv_raw(&pk, "application", application.data, application.size);
        if (key)
            proto_pack_kv_str(&pk, "key", key);
        reply_t reply;
        int rc = bridge_core_call(self, &buf, rid, self->config.core_timeout_ms, &reply);
        msgpack_sbuffer_destroy(&buf);
        char field[PROTO_FIELD_MAX], rule[PROTO_RULE_MAX];
        if (rc != 0) {
            result = bridge_refuse(c, r, rc);
        } else if (doc_str_eq(&reply.msg, "code", PROTO_E_INTERNAL)) {
            result = request_refuse(c, r, 503, "unavailable", "Retry-After", "1");
        } else if (doc_str_eq(&reply.msg, "code", PROTO_E_UNAVAILABLE)) {
            result = request_refuse_storage(c, r);
        } else if (bridge_reply_is(&reply, "receipt")) {
            result = s_page_amend_receipt(self, c, r, token, &reply.msg);
        } else if (doc_str_eq(&reply.msg, "code", PROTO_E_NOT_FOUND)) {
            result = site_page_follow(c, r, 404, TEXTS_UNKNOWN_FILE);
        } else if (doc_str_eq(&reply.msg, "code", PROTO_E_CONFLICT) && doc_str_eq(&reply.msg, "field", "key")) {
            result = request_page_message(c, 409, TEXTS_AMEND_SENT_TITLE, TEXTS_AMEND_SENT);
        } else if (doc_str_eq(&reply.msg, "code", PROTO_E_CONFLICT)) {
            result = request_page_message(c, 409, TEXTS_AMEND_REFUSED_TITLE, TEXTS_AMEND_REFUSED);
        } else {
            doc_strcpy(&reply.msg, "field", field, sizeof field);
            doc_strcpy(&reply.msg, "rule", rule, sizeof rule);
            s_amend_error(self, form, &reply.msg, api_client_field(field), rule);
            result = s_page_status(self, c, r, token, 400, form);
        }
        bridge_reply_free(&reply);
    }
    msgpack_sbuffer_destroy(&application);
    web_form_destroy(&form);
    return result;
}

/*  The appeal form of the status page: the same appeal as the API's.
 *  Sent twice (a double click), the second finds the appeal made and
 *  shows the status page like the first. */
enum MHD_Result site_page_appeal(http_t *self, struct MHD_Connection *c, request_t *r)
{
    enum MHD_Result refused;
    web_form_t *form = s_parse_form(c, r, &refused);
    if (!form)
        return refused;
    char token[80];
    const char *motivation = web_form_get(form, "motivation");
    enum MHD_Result result;
    reply_t reply;
    int rc;
    if (!s_form_token(form, token)) {
        result = site_page_follow(c, r, 401, TEXTS_TOKEN_MISSING);
    } else if ((rc = bridge_send_appeal(self, r->id, token, motivation ? motivation : "", NULL, &reply)) != 0) {
        result = bridge_refuse(c, r, rc);
    } else {
        if (bridge_reply_is(&reply, "ack") || doc_str_eq(&reply.msg, "rule", "appeal_used"))
            result = s_page_status(self, c, r, token, 200, NULL);
        else if (doc_str_eq(&reply.msg, "code", PROTO_E_NOT_FOUND))
            result = site_page_follow(c, r, 404, TEXTS_UNKNOWN_FILE);
        else if (doc_str_eq(&reply.msg, "code", PROTO_E_INVALID) && doc_str_eq(&reply.msg, "rule", "max"))
            result = request_page_message(c, 400, TEXTS_APPEAL_LONG_TITLE, TEXTS_APPEAL_LONG);
        else if (doc_str_eq(&reply.msg, "code", PROTO_E_INVALID))
            result = request_page_message(c, 400, TEXTS_APPEAL_EMPTY_TITLE, TEXTS_APPEAL_EMPTY);
        else if (doc_str_eq(&reply.msg, "code", PROTO_E_CONFLICT))
            result = request_page_message(c, 409, TEXTS_APPEAL_REFUSED_TITLE, TEXTS_APPEAL_REFUSED);
        else
            result = request_refuse(c, r, 503, "unavailable", "Retry-After", "1");
        bridge_reply_free(&reply);
    }
    web_form_destroy(&form);
    return result;
}

enum MHD_Result site_static(struct MHD_Connection *c, request_t *r)
{
    size_t len;
    const char *type;
    const char *content = web_static(r->static_name, &len, &type);
    if (!content)
        return request_page_message(c, 404, TEXTS_NOT_FOUND_TITLE, TEXTS_NOT_FOUND);
    struct MHD_Response *response =
        MHD_create_response_from_buffer(len, (void *)content, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(response, "Content-Type", type);
    MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(response, "Cache-Control", "public, max-age=3600");
    enum MHD_Result rc = MHD_queue_response(c, 200, response);
    MHD_destroy_response(response);
    return rc;
}
