/* Fuzz target: hostile applications against the application schema and its
 * public projection (proto/schema.h), as intake and publication use them.
 * The input is a msgpack message, or, when it is not one, JSON text (the
 * gateway's way in; mutations of JSON reach the string rules sooner).
 * Aborts when an invariant breaks:
 *   - schema_validate accepts, or refuses with a documented keyword, an
 *     error whose texts fit their limits and are valid UTF-8;
 *   - schema_pack_public succeeds on every valid application, and on any
 *     document it projects (valid or not) the projection is a message the
 *     wire accepts that holds nothing unmarked: each of its keys is a
 *     declared property that is x-public (its value then the input's own,
 *     whole) or that has an x-public descendant (its value then a map or
 *     an array projected the same way, or nil); keys keep the input's order;
 *   - on a valid application, no public property of the input is missing
 *     from the projection. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/json_codec.h"
#include "proto/schema.h"
#include "proto/wire.h"

#define FUZZ_NAME "fuzz_schema"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define S_FIELDS_MAX 512
#define S_PATH_MAX 256

/* The declared properties, by schema path ("references[].year"). */
typedef struct {
    char path[S_PATH_MAX];
    bool is_public;         /* marked x-public */
    bool keeps;             /* has an x-public descendant */
} field_t;

static field_t s_fields[S_FIELDS_MAX];
static size_t s_nfields;

static void s_collect(const char *path, bool is_public, const char *type, const char *description, void *arg)
{
    FUZZ_REQUIRE(s_nfields < S_FIELDS_MAX && strlen(path) < S_PATH_MAX, "the schema fits the target's table");
    snprintf(s_fields[s_nfields].path, S_PATH_MAX, "%s", path);
    s_fields[s_nfields++].is_public = is_public;
}

static field_t *s_field(const char *path)
{
    for (size_t i = 0; i < s_nfields; i++)
        if (strcmp(s_fields[i].path, path) == 0)
            return &s_fields[i];
    return NULL;
}

static void s_load_fields(void)
{
    if (s_nfields)
        return;
    schema_foreach_field(schema_application(), s_collect, NULL);
    /* Every proper prefix of a public path keeps: "a.b[].c" -> "a.b[]", "a.b", "a". */
    for (size_t i = 0; i < s_nfields; i++) {
        if (!s_fields[i].is_public)
            continue;
        char prefix[S_PATH_MAX];
        memcpy(prefix, s_fields[i].path, sizeof prefix);
        for (size_t len = strlen(prefix); len > 0; len--) {
            if (prefix[len] != '.' && prefix[len] != '[')
                continue;
            prefix[len] = 0;
            field_t *parent = s_field(prefix);
            if (parent)
                parent->keeps = true;
        }
    }
    FUZZ_REQUIRE(s_nfields > 0, "the schema declares fields");
}

static void s_child(char *out, const char *path, const char *key, size_t len)
{
    if (len > S_PATH_MAX - 2)
        len = S_PATH_MAX - 2;           /* no declared key is that long */
    if (path[0])
        snprintf(out, S_PATH_MAX, "%s.%.*s", path, (int) len, key);
    else
        snprintf(out, S_PATH_MAX, "%.*s", (int) len, key);
}

static void s_check_value(const msgpack_object *proj, const msgpack_object *in, const char *path, bool valid);

/* A kept map: its keys are a subsequence of the input's, each declared and
 * kept; on a valid document, every public or keeping key of the input. */
static void s_check_map(const msgpack_object *proj, const msgpack_object *in, const char *path, bool valid)
{
    FUZZ_REQUIRE(in->type == MSGPACK_OBJECT_MAP, "a projected map comes from a map");
    uint32_t j = 0;
    for (uint32_t i = 0; i < proj->via.map.size; i++) {
        const msgpack_object *key = &proj->via.map.ptr[i].key;
        FUZZ_REQUIRE(key->type == MSGPACK_OBJECT_STR, "projected keys are str");
        char child[S_PATH_MAX];
        s_child(child, path, key->via.str.ptr, key->via.str.size);
        const field_t *field = s_field(child);
        FUZZ_REQUIRE(field && (field->is_public || field->keeps),
                     "the projection holds only x-public properties and their parents");
        while (j < in->via.map.size && !fuzz_same(&in->via.map.ptr[j].key, key)) {
            if (valid) {
                const msgpack_object *skipped = &in->via.map.ptr[j].key;
                char other[S_PATH_MAX];
                s_child(other, path, skipped->via.str.ptr, skipped->via.str.size);
                const field_t *dropped = s_field(other);
                FUZZ_REQUIRE(!dropped || !dropped->is_public, "a valid application keeps its public properties");
            }
            j++;
        }
        FUZZ_REQUIRE(j < in->via.map.size, "projected keys keep the input's order");
        const msgpack_object *value = &proj->via.map.ptr[i].val;
        if (field->is_public)
            FUZZ_REQUIRE(fuzz_same(value, &in->via.map.ptr[j].val), "a public value is the input's, whole");
        else
            s_check_value(value, &in->via.map.ptr[j].val, child, valid);
        j++;
    }
    for (; valid && j < in->via.map.size; j++) {
        const msgpack_object *skipped = &in->via.map.ptr[j].key;
        char other[S_PATH_MAX];
        s_child(other, path, skipped->via.str.ptr, skipped->via.str.size);
        const field_t *dropped = s_field(other);
        FUZZ_REQUIRE(!dropped || !dropped->is_public, "a valid application keeps its public properties");
    }
}

/* A value kept for its public descendants: a map or an array projected,
 * or nil; never an unmarked scalar. */
static void s_check_value(const msgpack_object *proj, const msgpack_object *in, const char *path, bool valid)
{
    if (proj->type == MSGPACK_OBJECT_NIL)
        return;
    if (proj->type == MSGPACK_OBJECT_MAP) {
        s_check_map(proj, in, path, valid);
        return;
    }
    FUZZ_REQUIRE(proj->type == MSGPACK_OBJECT_ARRAY, "an unmarked value is never published");
    FUZZ_REQUIRE(in->type == MSGPACK_OBJECT_ARRAY && in->via.array.size == proj->via.array.size,
                 "a projected array has the input's items");
    char items[S_PATH_MAX];
    snprintf(items, sizeof items, "%s[]", path);
    for (uint32_t i = 0; i < proj->via.array.size; i++)
        s_check_value(&proj->via.array.ptr[i], &in->via.array.ptr[i], items, valid);
}

static void s_check_error(const proto_error_t *err)
{
    static const char *const rules[] = { "type", "required", "additionalProperties", "minLength",
                                         "maxLength", "pattern", "enum", "format", "minItems",
                                         "maxItems", "uniqueItems", "minimum", "maximum", "control",
                                         NULL };
    bool known = false;
    for (const char *const *r = rules; *r && !known; r++)
        known = strcmp(*r, err->rule) == 0;
    FUZZ_REQUIRE(known, "schema_validate refuses with a documented keyword");
    FUZZ_REQUIRE(strlen(err->field) < PROTO_FIELD_MAX && strlen(err->message) < PROTO_MESSAGE_MAX,
                 "error texts fit their limits");
    const char *texts[] = { err->field, err->message };
    for (size_t i = 0; i < 2; i++) {
        msgpack_sbuffer buf;
        msgpack_sbuffer_init(&buf);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
        msgpack_pack_str_with_body(&pk, texts[i], strlen(texts[i]));
        FUZZ_REQUIRE(wire_prescan(buf.data, buf.size, NULL) == 0, "error texts are valid UTF-8");
        msgpack_sbuffer_destroy(&buf);
    }
}

static void s_check(const msgpack_object *doc)
{
    proto_error_t err;
    bool valid = schema_validate(schema_application(), doc, &err) == 0;
    if (!valid)
        s_check_error(&err);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    int rc = schema_pack_public(schema_application(), doc, &pk);
    FUZZ_REQUIRE(rc == 0 || !valid, "a valid application projects");
    if (rc == 0) {
        msgpack_zone zone;
        msgpack_zone_init(&zone, 2048);
        msgpack_object proj;
        FUZZ_REQUIRE(wire_decode(buf.data, buf.size, &zone, &proj, &err) == 0, "the projection is a valid message");
        FUZZ_REQUIRE(proj.type == MSGPACK_OBJECT_MAP || (!valid && proj.type == MSGPACK_OBJECT_NIL),
                     "the projection of an application is a map");
        if (proj.type == MSGPACK_OBJECT_MAP)
            s_check_map(&proj, doc, "", valid);
        msgpack_zone_destroy(&zone);
    }
    msgpack_sbuffer_destroy(&buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    s_load_fields();
    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    msgpack_object doc;
    proto_error_t err;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    if (wire_decode(data, size, &zone, &doc, &err) == 0)
        s_check(&doc);
    else if (json_codec_to_msgpack((const char *) data, size, &buf, &err) == 0
             && wire_decode(buf.data, buf.size, &zone, &doc, &err) == 0)
        s_check(&doc);
    msgpack_sbuffer_destroy(&buf);
    msgpack_zone_destroy(&zone);
    return 0;
}
