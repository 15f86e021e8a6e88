/*  services/publication/changes.c - see changes.h. */
#include "changes.h"

#include "proto/doc.h"
#include "common/stream_log.h"
#include "proto/messages.h"

#include <string.h>

/*  The reasons of a withdraw event, as static strings. */
static const char *const s_reasons[] = {"withdrawn", "expired", "suspended", "erased", "renewed", NULL};

static const char *s_reason_of(const msgpack_object *event)
{
    const msgpack_object *kind = doc_get(event, "kind");
    for (const char *const *r = s_reasons; kind && *r; r++)
        if (doc_is(kind, *r))
            return *r;
    return s_reasons[0];
}

publication_change_t publication_change_of(const char *type, const msgpack_object *event,
                                           const char **reason)
{
    *reason = NULL;
    if (strcmp(type, "decided") == 0) {
        if (doc_str_eq(event, "decision", "approve") || doc_str_eq(event, "decision", "reinstate"))
            return PUBLICATION_LIST;
        if (doc_str_eq(event, "decision", "withdraw")) {
            *reason = s_reasons[0];
            return PUBLICATION_UNLIST;
        }
        return PUBLICATION_NOTHING;
    }
    if (strcmp(type, "withdrawn") == 0) {
        *reason = s_reason_of(event);
        return PUBLICATION_UNLIST;
    }
    return PUBLICATION_NOTHING;
}

void publication_redactor_init(publication_redactor_t *self, const stream_sign_key_t *key)
{
    self->key = key;
    self->keys = NULL;
    self->failed = false;
    msgpack_sbuffer_init(&self->body);
    msgpack_packer_init(&self->body_pk, &self->body, msgpack_sbuffer_write);
}

void publication_redactor_destroy(publication_redactor_t *self)
{
    msgpack_sbuffer_destroy(&self->body);
}

void publication_pack_redacted(void *arg, const msgpack_object *event, uint64_t seq,
                               msgpack_packer *pk)
{
    publication_redactor_t *self = arg;
    const msgpack_object *id = doc_get(event, "id");
    uint64_t at = 0;
    doc_uint(event, "at", &at);
    msgpack_sbuffer_clear(&self->body);
    msgpack_pack_map(&self->body_pk, 3);
    proto_pack_kv_str(&self->body_pk, "type", "redacted");
    proto_pack_kv_uint(&self->body_pk, "at", at);
    proto_pack_str(&self->body_pk, "id");
    msgpack_pack_object(&self->body_pk, *id);
    unsigned char sig[STREAM_SIGN_BYTES];
    const stream_sign_key_t *key = self->keys ? publication_keys_at(self->keys, seq) : self->key;
    if (!key || stream_sign(key, seq, self->body.data, self->body.size, sig) != 0) {
        self->failed = true;
        stream_log_pack_redacted(event, seq, pk);
        return;
    }
    msgpack_pack_map(pk, 7);
    proto_pack_kv_uint(pk, "seq", seq);
    proto_pack_kv_uint(pk, "v", PROTO_VERSION);
    proto_pack_kv_str(pk, "type", "redacted");
    proto_pack_kv_uint(pk, "at", at);
    proto_pack_str(pk, "id");
    msgpack_pack_object(pk, *id);
    proto_pack_str(pk, "signed");
    msgpack_pack_bin_with_body(pk, self->body.data, self->body.size);
    proto_pack_str(pk, "sig");
    msgpack_pack_bin_with_body(pk, sig, sizeof sig);
}
