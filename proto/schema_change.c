/*  proto/schema_change.c - see schema_change.h. */
#include "schema_change.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "proto/path.h"
#include "proto/schema_node.h"

const char *schema_change_name(schema_change_t change)
{
    switch (change) {
    case SCHEMA_CHANGE_MINOR:
        return "minor";
    case SCHEMA_CHANGE_SUBSTANTIVE:
        return "substantive";
    case SCHEMA_CHANGE_NONE:
        break;
    }
    return "none";
}

/*  The value of the declared member `name` in map (NULL when absent, or
 *  when map is not a map). */
static const msgpack_object *s_member(const msgpack_object *map, const char *name)
{
    if (!map || map->type != MSGPACK_OBJECT_MAP)
        return NULL;
    size_t len = strlen(name);
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object *key = &map->via.map.ptr[i].key;
        if (key->type == MSGPACK_OBJECT_STR && key->via.str.size == len
            && memcmp(key->via.str.ptr, name, len) == 0)
            return &map->via.map.ptr[i].val;
    }
    return NULL;
}

static bool s_same(const msgpack_object *a, const msgpack_object *b)
{
    if (!a || !b)
        return !a && !b;
    return msgpack_object_equal(*a, *b);
}

static void s_record(schema_changes_t *out, const proto_path_t *path, schema_change_t change)
{
    if (change == SCHEMA_CHANGE_SUBSTANTIVE)
        out->substantive = true;
    if (out->count == SCHEMA_CHANGES_MAX) {
        out->truncated = true;
        return;
    }
    schema_changed_field_t *field = &out->fields[out->count++];
    size_t len = proto_utf8_prefix(path->text, path->len, sizeof field->path - 1);
    memcpy(field->path, path->text, len);
    field->path[len] = '\0';
    field->change = change;
}

/*  inherited: the class of the nearest marked ancestor (substantive at
 *  the top: what nobody marked is for the committee). */
static void s_walk(const schema_node_t *node, const msgpack_object *before, const msgpack_object *after,
                   proto_path_t *path, schema_change_t inherited, schema_changes_t *out)
{
    schema_change_t change = node->change ? (schema_change_t)node->change : inherited;
    bool maps = (!before || before->type == MSGPACK_OBJECT_MAP) && (!after || after->type == MSGPACK_OBJECT_MAP);
    if (node->nprops == 0 || !maps) {
        if (!s_same(before, after))
            s_record(out, path, change);
        return;
    }
    for (size_t i = 0; i < node->nprops; i++) {
        const char *name = node->props[i].name;
        size_t mark = proto_path_push_key(path, name, strlen(name));
        s_walk(node->props[i].node, s_member(before, name), s_member(after, name), path, change, out);
        proto_path_pop(path, mark);
    }
}

void schema_changes(const schema_t *self, const msgpack_object *before, const msgpack_object *after,
                    schema_changes_t *out)
{
    assert(self && out);
    memset(out, 0, sizeof *out);
    proto_path_t path = {.len = 0};
    s_walk(self->root, before, after, &path, SCHEMA_CHANGE_SUBSTANTIVE, out);
}

schema_change_t schema_change_of_field(const schema_t *self, const char *path)
{
    assert(self && path);
    const schema_node_t *node = self->root;
    while (*path && node) {
        if (strncmp(path, "[]", 2) == 0) {
            node = node->items;
            path += 2;
            continue;
        }
        if (*path == '.')
            path++;
        size_t len = strcspn(path, ".[");
        const schema_node_t *child = NULL;
        for (size_t i = 0; i < node->nprops && !child; i++)
            if (strlen(node->props[i].name) == len && memcmp(node->props[i].name, path, len) == 0)
                child = node->props[i].node;
        node = child;
        path += len;
    }
    return node && node != self->root ? (schema_change_t)node->change : SCHEMA_CHANGE_NONE;
}

void schema_changes_join(const schema_changes_t *changes, char *out, size_t cap)
{
    assert(out && cap > 0);
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < changes->count; i++) {
        const char *sep = i ? ", " : "";
        size_t need = strlen(sep) + strlen(changes->fields[i].path);
        if (len + need + 1 > cap)
            break;
        len += (size_t)snprintf(out + len, cap - len, "%s%s", sep, changes->fields[i].path);
    }
}
