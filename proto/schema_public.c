/*  proto/schema_public.c - see schema.h: schema_pack_public, the public
 *  projection of an application: what publication may ever put on its
 *  signed stream.  The privacy boundary: nothing that the schema does not
 *  mark "x-public" comes out.
 */
#include "schema.h"

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

#include "proto/schema_node.h"

static int s_pack(const schema_node_t *node, const msgpack_object *obj, msgpack_packer *pk);

static int s_pack_object(const schema_node_t *node, const msgpack_object *obj, msgpack_packer *pk)
{
    uint32_t kept = 0;
    for (uint32_t i = 0; i < obj->via.map.size; i++) {
        const schema_node_t *child = schema_node_property(node, &obj->via.map.ptr[i].key);
        kept += child && child->has_public;
    }
    if (msgpack_pack_map(pk, kept))
        return -1;
    for (uint32_t i = 0; i < obj->via.map.size; i++) {
        const msgpack_object_kv *kv = &obj->via.map.ptr[i];
        const schema_node_t *child = schema_node_property(node, &kv->key);
        if (!child || !child->has_public)
            continue;
        if (msgpack_pack_object(pk, kv->key) || s_pack(child, &kv->val, pk))
            return -1;
    }
    return 0;
}

static int s_pack_array(const schema_node_t *node, const msgpack_object *obj, msgpack_packer *pk)
{
    if (msgpack_pack_array(pk, obj->via.array.size))
        return -1;
    for (uint32_t i = 0; i < obj->via.array.size; i++)
        if (s_pack(node->items, &obj->via.array.ptr[i], pk))
            return -1;
    return 0;
}

/*  Whether values of node have declared properties somewhere below them
 *  through arrays (an object, an array of objects, an array of arrays of
 *  objects...): such a value is projected, never copied whole, so that an
 *  unmarked property deep inside cannot come out with it. */
static bool s_structured(const schema_node_t *node)
{
    for (; node; node = node->items)
        if (node->nprops > 0)
            return true;
    return false;
}

static int s_pack(const schema_node_t *node, const msgpack_object *obj, msgpack_packer *pk)
{
    bool structured = node->nprops > 0;
    bool structured_items = node->items && s_structured(node->items);
    if (structured && obj->type == MSGPACK_OBJECT_MAP)
        return s_pack_object(node, obj, pk);
    if (structured_items && obj->type == MSGPACK_OBJECT_ARRAY)
        return s_pack_array(node, obj, pk);
    if ((structured && obj->type == MSGPACK_OBJECT_ARRAY) || (structured_items && obj->type == MSGPACK_OBJECT_MAP))
        return -1;          /* not the declared shape: doc was not validated */
    return node->is_public ? msgpack_pack_object(pk, *obj) : msgpack_pack_nil(pk);
}

int schema_pack_public(const schema_t *self, const msgpack_object *doc, msgpack_packer *pk)
{
    assert(self && doc && pk);
    if (self->root->nprops > 0 && doc->type != MSGPACK_OBJECT_MAP)
        return -1;
    return s_pack(self->root, doc, pk);
}

