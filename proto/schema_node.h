/*  proto/schema_node.h - the compiled schema, shared by the files of the
 *  schema module and by nothing else.
 *
 *  schema.c compiles application.schema.json into a tree of schema_node_t
 *  and lists its fields; schema_check.c validates a document against the
 *  tree; schema_public.c packs a document's public projection.  The public
 *  API is schema.h.
 */
#ifndef ESSP_PROTO_SCHEMA_NODE_H
#define ESSP_PROTO_SCHEMA_NODE_H

#include <msgpack.h>
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/error.h"
#include "proto/schema.h"
#include "proto/schema_change.h"

enum {
    SCHEMA_NULL    = 1 << 0,
    SCHEMA_BOOLEAN = 1 << 1,
    SCHEMA_OBJECT  = 1 << 2,
    SCHEMA_ARRAY   = 1 << 3,
    SCHEMA_NUMBER  = 1 << 4,
    SCHEMA_STRING  = 1 << 5,
    SCHEMA_INTEGER = 1 << 6
};

typedef struct schema_node_t schema_node_t;

typedef struct {
    char *name;
    size_t name_len;   /* compared with every key of every document checked */
    schema_node_t *node;
} schema_prop_t;

struct schema_node_t {
    unsigned types;             /* SCHEMA_* bits; 0 accepts any type */
    char type_name[80];         /* "string", "string|null", "any" */
    char *description;
    bool is_public;             /* "x-public": true */
    bool has_public;            /* is_public, or a declared descendant is */
    int change;                 /* "x-change": SCHEMA_CHANGE_*, 0 when absent */
    /* objects */
    schema_prop_t *props;
    size_t nprops;
    char **required;
    size_t nrequired;
    bool closed;                /* "additionalProperties": false */
    /* arrays */
    schema_node_t *items;
    int64_t min_items, max_items;       /* -1 when absent */
    bool unique_items;
    /* strings */
    int64_t min_length, max_length;     /* -1 when absent */
    char *pattern_text;
    regex_t pattern;            /* compiled when pattern_text is set */
    char **enums;
    size_t nenums;
    bool format_date;
    bool multiline;             /* "x-multiline": line breaks allowed */
    /* numbers */
    bool has_minimum, has_maximum;
    int64_t minimum, maximum;
};

struct schema_t {
    schema_node_t *root;
};

/*  Fills err (when not NULL) with field, rule and the formatted message,
 *  both cut to their limits on character boundaries; returns -1. */
int schema_fail(proto_error_t *err, const char *field, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*  The declared property of node named by key, or NULL (key not a string,
 *  or not declared). */
const schema_node_t *schema_node_property(const schema_node_t *node, const msgpack_object *key);

/*  msgpack-c leaves ptr NULL for an empty str or bin, and the mem*
 *  functions must not be given NULL even with a zero length. */
static inline const char *schema_bytes(const char *ptr)
{
    return ptr ? ptr : "";
}

#endif
