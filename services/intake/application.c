/*  services/intake/application.c - see application.h. */
#include "application.h"

#include "proto/doc.h"
#include "proto/history.h"
#include "proto/messages.h"
#include "common/log.h"
#include "common/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool s_digits_only_path(const char *path)
{
    static const char *const paths[] = {"organisation.siret", "organisation.nda",
                                        "references[].client_siren", "ties.organisations[]", NULL};
    for (const char *const *p = paths; *p; p++)
        if (strcmp(*p, path) == 0)
            return true;
    return false;
}

static void s_pack_digits(msgpack_packer *pk, const char *text, size_t len)
{
    char digits[64];
    size_t n = 0;
    for (size_t i = 0; i < len && n < sizeof digits; i++)
        if (text[i] >= '0' && text[i] <= '9')
            digits[n++] = text[i];
    msgpack_pack_str_with_body(pk, digits, n);
}

#define S_PATH_MAX 128

/*  application_pack_normalized's walk: path[0..len) is the dotted path of obj, and
 *  each level appends its key or "[]" in place (a path too long for the
 *  buffer is cut, and then names no identifier). */
static void s_pack_normalized_at(msgpack_packer *pk, const msgpack_object *obj, char *path, size_t len)
{
    if (obj->type == MSGPACK_OBJECT_MAP) {
        msgpack_pack_map(pk, obj->via.map.size);
        for (uint32_t i = 0; i < obj->via.map.size; i++) {
            const msgpack_object_kv *kv = &obj->via.map.ptr[i];
            size_t sub = len;
            if (sub && sub < S_PATH_MAX - 1)
                path[sub++] = '.';
            size_t n = kv->key.via.str.size < S_PATH_MAX - 1 - sub ? kv->key.via.str.size : S_PATH_MAX - 1 - sub;
            memcpy(path + sub, kv->key.via.str.ptr, n);
            path[sub + n] = '\0';
            msgpack_pack_object(pk, kv->key);
            s_pack_normalized_at(pk, &kv->val, path, sub + n);
        }
    } else if (obj->type == MSGPACK_OBJECT_ARRAY) {
        size_t sub = len + 2 < S_PATH_MAX ? len + 2 : len;
        memcpy(path + len, "[]", sub - len);
        path[sub] = '\0';
        msgpack_pack_array(pk, obj->via.array.size);
        for (uint32_t i = 0; i < obj->via.array.size; i++)
            s_pack_normalized_at(pk, &obj->via.array.ptr[i], path, sub);
    } else if (obj->type == MSGPACK_OBJECT_STR && s_digits_only_path(path)) {
        s_pack_digits(pk, obj->via.str.ptr, obj->via.str.size);
    } else {
        msgpack_pack_object(pk, *obj);
    }
    path[len] = '\0';
}

/*  Copies the application, keeping identifiers as digits only ("356 000
 *  000 00048" is stored "35600000000048"), as the charter asks. */
void application_pack_normalized(msgpack_packer *pk, const msgpack_object *obj, const char *path)
{
    char at[S_PATH_MAX];
    size_t len = strlen(path) < S_PATH_MAX - 1 ? strlen(path) : S_PATH_MAX - 1;
    memcpy(at, path, len);
    at[len] = '\0';
    s_pack_normalized_at(pk, obj, at, len);
}
