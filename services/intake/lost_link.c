/*  services/intake/lost_link.c - see lost_link.h. */
#include "lost_link.h"

#include "api.h"
#include "bridge.h"
#include "form.h"
#include "pages.h"
#include "texts.h"

#include "proto/doc.h"
#include "proto/messages.h"
#include "proto/wire.h"

#include <string.h>

enum MHD_Result lost_link_page(struct MHD_Connection *c, unsigned status, const char *notice)
{
    page_t page;
    request_page_open(&page);
    web_page_lost_link(page.out, notice);
    return request_page_send(c, status, &page);
}

/*  True when the client's address has asked too often this hour. */
static bool s_limited(http_t *self, struct MHD_Connection *c)
{
    unsigned char address[16];
    int64_t retry_ms;
    size_t len = request_client_address(self, c, address);
    return len && !ratelimit_take(self->reissue_limits, address, len, request_now_ms(), &retry_ms);
}

/*  Sends token_reissue {contact}: 0 when the core acknowledged it, 1 when
 *  it refused the address (not text it can read), BRIDGE_UNANSWERED when
 *  it took it and did not answer in time (a link may still be mailed), -1
 *  otherwise. */
static int s_send(http_t *self, const char *contact, size_t len)
{
    msgpack_sbuffer buf;
    msgpack_packer pk;
    bridge_pack_init(&buf, &pk);
    uint64_t rid = bridge_next_rid(self);
    proto_pack_request(&pk, "token_reissue", rid, 1);
    proto_pack_kv_strn(&pk, "contact", contact, len);
    reply_t reply;
    int rc = bridge_core_call(self, &buf, rid, self->config.core_timeout_ms, &reply);
    msgpack_sbuffer_destroy(&buf);
    if (rc != 0)
        return rc;
    rc = bridge_reply_is(&reply, "reissue_ack") ? 0 : doc_str_eq(&reply.msg, "code", PROTO_E_INVALID) ? 1 : -1;
    bridge_reply_free(&reply);
    return rc;
}

/*  The address, trimmed of spaces around it: its length, 0 when there is
 *  none. */
static size_t s_trimmed(const char *text, const char **start)
{
    if (!text)
        return 0;
    while (*text == ' ' || *text == '\t' || *text == '\r' || *text == '\n')
        text++;
    size_t len = strlen(text);
    while (len && (text[len - 1] == ' ' || text[len - 1] == '\t' || text[len - 1] == '\r' || text[len - 1] == '\n'))
        len--;
    *start = text;
    return len;
}

enum MHD_Result lost_link_post(http_t *self, struct MHD_Connection *c, request_t *r)
{
    web_form_t *form = web_form_parse(r->body ? r->body : "", r->len);
    if (!form)
        return lost_link_page(c, 400, TEXTS_LOST_UNREADABLE);
    const char *contact = NULL;
    size_t len = s_trimmed(web_form_get(form, "courriel"), &contact);
    enum MHD_Result result;
    int rc;
    if (len == 0)
        result = lost_link_page(c, 400, TEXTS_LOST_EMPTY);
    else if (len > PROTO_EMAIL_MAX)
        result = lost_link_page(c, 400, TEXTS_LOST_LONG);
    else if (s_limited(self, c))
        result = lost_link_page(c, 429, TEXTS_LOST_LIMITED);
    else if ((rc = s_send(self, contact, len)) == BRIDGE_UNANSWERED)
        result = request_page_message(c, 503, TEXTS_UNANSWERED_TITLE, TEXTS_LOST_UNANSWERED);
    else if (rc < 0)
        result = request_refuse(c, r, 503, "unavailable", "Retry-After", "1");
    else if (rc > 0)
        result = lost_link_page(c, 400, TEXTS_LOST_BAD);
    else
        result = request_page_message(c, 200, TEXTS_LOST_SENT_TITLE, LOST_LINK_SENT_FR);
    web_form_destroy(&form);
    return result;
}

/*  The answer to the contact address of a JSON request for a new link. */
static enum MHD_Result s_api_contact(http_t *self, struct MHD_Connection *c, request_t *r, const char *text,
                                     size_t len)
{
    enum MHD_Result result;
    int rc;
    if (len == 0 || len > PROTO_EMAIL_MAX)
        result = request_json_error(c, 400, "contact: 1 to 254 bytes", "contact", len ? "maxLength" : "minLength");
    else if (s_limited(self, c))
        result = request_json(c, 429, json_pack("{s:s, s:s, s:s}", "error", "too many requests for a new link from "
                                                "this address within the hour; retry later", "field", "",
                                                "rule", "rate"), "Retry-After", "3600");
    else if ((rc = s_send(self, text, len)) == BRIDGE_UNANSWERED)
        result = request_json(c, 503, json_pack("{s:s, s:s, s:s}", "error", "the service did not answer in time; "
                                                "a new link may still be sent: check the mailbox before asking "
                                                "again", "field", "", "rule", "unanswered"), "Retry-After", "1");
    else if (rc < 0)
        result = request_refuse(c, r, 503, "unavailable", "Retry-After", "1");
    else if (rc > 0)
        result = request_json_error(c, 400, "contact: not an address intake can read", "contact", "type");
    else
        result = request_json(c, 202, json_pack("{s:s}", "message", LOST_LINK_SENT_FR), NULL, NULL);
    return result;
}

enum MHD_Result lost_link_api(http_t *self, struct MHD_Connection *c, request_t *r)
{
    msgpack_sbuffer body;
    msgpack_sbuffer_init(&body);
    enum MHD_Result result;
    if (api_json_body(c, r, &body, &result) != 0) {
        msgpack_sbuffer_destroy(&body);
        return result;
    }
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object map;
    proto_error_t err;
    const char *text = NULL;
    size_t len = 0;
    if (wire_decode(body.data, body.size, &zone, &map, &err) != 0)
        result = request_json_error(c, 400, err.message, err.field, err.rule);
    else if (api_sole_member(c, &map, "contact", &text, &len, &result) == 0)
        result = s_api_contact(self, c, r, text, len);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&body);
    return result;
}
