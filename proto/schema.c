/*  proto/schema.c - see schema.h.
 *
 *  Compilation turns each schema object into a schema_node_t; validation
 *  walks the document and the node tree together, so its recursion follows
 *  the schema (a few levels), never the input.
 */
#include "schema.h"

#include <assert.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/date.h"
#include "proto/path.h"


/*  Below this size a string under a pattern is copied on the stack. */
#define SCHEMA_PATTERN_STACK 256

enum {
    SCHEMA_NULL    = 1 << 0,
    SCHEMA_BOOLEAN = 1 << 1,
    SCHEMA_OBJECT  = 1 << 2,
    SCHEMA_ARRAY   = 1 << 3,
    SCHEMA_NUMBER  = 1 << 4,
    SCHEMA_STRING  = 1 << 5,
    SCHEMA_INTEGER = 1 << 6
};

static const struct {
    const char *name;
    unsigned bit;
} s_types[] = {
    { "null", SCHEMA_NULL },       { "boolean", SCHEMA_BOOLEAN }, { "object", SCHEMA_OBJECT },
    { "array", SCHEMA_ARRAY },     { "number", SCHEMA_NUMBER },   { "string", SCHEMA_STRING },
    { "integer", SCHEMA_INTEGER },
};

typedef struct schema_node_t schema_node_t;

typedef struct {
    char *name;
    schema_node_t *node;
} schema_prop_t;

struct schema_node_t {
    unsigned types;             /* SCHEMA_* bits; 0 accepts any type */
    char type_name[80];         /* "string", "string|null", "any" */
    char *description;
    bool is_public;             /* "x-public": true */
    bool has_public;            /* is_public, or a declared descendant is */
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
    /* numbers */
    bool has_minimum, has_maximum;
    int64_t minimum, maximum;
};

struct schema_t {
    schema_node_t *root;
};

static int s_error(proto_error_t *err, const char *field, const char *rule, const char *fmt, va_list args)
    __attribute__((format(printf, 4, 0)));

/*  Fills err with field and message cut to their limits on character
 *  boundaries, so the error itself is always valid UTF-8. */
static int s_error(proto_error_t *err, const char *field, const char *rule, const char *fmt, va_list args)
{
    if (!err)
        return -1;
    char message[1024];
    vsnprintf(message, sizeof message, fmt, args);
    /* proto_error_set cuts both to size on a character boundary. */
    return proto_error_set(err, field, rule, "%s", message);
}

static int s_fail(proto_error_t *err, const char *field, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int s_fail(proto_error_t *err, const char *field, const char *rule, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    s_error(err, field, rule, fmt, args);
    va_end(args);
    return -1;
}

/*  ----------------------------------------------------------------------
 *  Compilation
 */

static void s_node_destroy(schema_node_t *node)
{
    if (!node)
        return;
    for (size_t i = 0; i < node->nprops; i++) {
        free(node->props[i].name);
        s_node_destroy(node->props[i].node);
    }
    free(node->props);
    for (size_t i = 0; i < node->nrequired; i++)
        free(node->required[i]);
    free(node->required);
    for (size_t i = 0; i < node->nenums; i++)
        free(node->enums[i]);
    free(node->enums);
    s_node_destroy(node->items);
    if (node->pattern_text)
        regfree(&node->pattern);
    free(node->pattern_text);
    free(node->description);
    free(node);
}

typedef struct {
    proto_path_t path;          /* schema path of the node being compiled */
    proto_error_t *err;
} schema_compiler_t;

static schema_node_t *s_compile_node(schema_compiler_t *self, json_t *json);

static int s_bad(schema_compiler_t *self, const char *keyword, const char *why)
{
    return s_fail(self->err, self->path.text, "schema", "%s%s\"%s\" %s", self->path.text,
                  self->path.len ? ": " : "", keyword, why);
}

static int s_type_bit(const char *name, unsigned *bit)
{
    for (size_t i = 0; i < sizeof s_types / sizeof s_types[0]; i++)
        if (strcmp(s_types[i].name, name) == 0) {
            *bit = s_types[i].bit;
            return 0;
        }
    return -1;
}

static int s_add_type(schema_compiler_t *self, schema_node_t *node, json_t *name)
{
    unsigned bit;
    if (!json_is_string(name) || s_type_bit(json_string_value(name), &bit))
        return s_bad(self, "type", "names an unknown type");
    if (node->types & bit)
        return s_bad(self, "type", "lists a type twice");
    node->types |= bit;
    size_t used = strlen(node->type_name);
    snprintf(node->type_name + used, sizeof node->type_name - used, "%s%s", used ? "|" : "",
             json_string_value(name));
    return 0;
}

static int s_kw_type(schema_compiler_t *self, schema_node_t *node, json_t *value)
{
    node->type_name[0] = 0;
    if (!json_is_array(value))
        return s_add_type(self, node, value);
    if (json_array_size(value) == 0)
        return s_bad(self, "type", "must not be empty");
    size_t i;
    json_t *name;
    json_array_foreach(value, i, name)
        if (s_add_type(self, node, name))
            return -1;
    return 0;
}

static int s_kw_properties(schema_compiler_t *self, schema_node_t *node, json_t *value)
{
    if (!json_is_object(value))
        return s_bad(self, "properties", "must be an object");
    node->props = calloc(json_object_size(value) + 1, sizeof *node->props);
    if (!node->props)
        return s_bad(self, "properties", "could not be allocated");
    const char *name;
    json_t *child;
    json_object_foreach(value, name, child) {
        size_t mark = proto_path_push_key(&self->path, name, strlen(name));
        schema_prop_t *prop = &node->props[node->nprops];
        prop->name = strdup(name);
        if (prop->name)
            node->nprops++;
        prop->node = prop->name ? s_compile_node(self, child) : NULL;
        if (!prop->node)
            return prop->name ? -1 : s_bad(self, "properties", "could not be allocated");
        proto_path_pop(&self->path, mark);
    }
    return 0;
}

/*  A JSON array of strings, copied into *list. */
static int s_string_list(schema_compiler_t *self, const char *keyword, json_t *value,
                         char ***list, size_t *count)
{
    if (!json_is_array(value) || json_array_size(value) == 0)
        return s_bad(self, keyword, "must be a non-empty array of strings");
    *list = calloc(json_array_size(value), sizeof **list);
    if (!*list)
        return s_bad(self, keyword, "could not be allocated");
    size_t i;
    json_t *item;
    json_array_foreach(value, i, item) {
        if (!json_is_string(item))
            return s_bad(self, keyword, "must be a non-empty array of strings");
        (*list)[i] = strdup(json_string_value(item));
        if (!(*list)[i])
            return s_bad(self, keyword, "could not be allocated");
        *count = i + 1;
    }
    return 0;
}

static int s_kw_required(schema_compiler_t *self, schema_node_t *node, json_t *value)
{
    return s_string_list(self, "required", value, &node->required, &node->nrequired);
}

static int s_kw_enum(schema_compiler_t *self, schema_node_t *node, json_t *value)
{
    return s_string_list(self, "enum", value, &node->enums, &node->nenums);
}

static int s_kw_additional(schema_compiler_t *self, schema_node_t *node, json_t *value)
{
    if (!json_is_boolean(value))
        return s_bad(self, "additionalProperties", "must be true or false (schemas are not supported)");
    node->closed = json_is_false(value);
    return 0;
}

static int s_kw_items(schema_compiler_t *self, schema_node_t *node, json_t *value)
{
    size_t mark = proto_path_push(&self->path, "[]", 2);
    node->items = s_compile_node(self, value);
    proto_path_pop(&self->path, mark);
    return node->items ? 0 : -1;
}

static int s_count_value(schema_compiler_t *self, const char *keyword, json_t *value, int64_t *out)
{
    if (!json_is_integer(value) || json_integer_value(value) < 0)
        return s_bad(self, keyword, "must be a non-negative integer");
    *out = json_integer_value(value);
    return 0;
}

static int s_kw_min_items(schema_compiler_t *self, schema_node_t *node, json_t *value)
{
    return s_count_value(self, "minItems", value, &node->min_items);
}

static int s_kw_max_items(schema_compiler_t *self, schema_node_t *node, json_t *value)
{
    return s_count_value(self, "maxItems", value, &node->max_items);
}

static int s_kw_min_length(schema_compiler_t *self, schema_node_t *node, json_t *value)
{
    return s_count_value(self, "minLength", value, &node->min_length);
}

static int s_kw_max_length(schema_compiler_t *self, schema_node_t *node, json_t *value)
{
    return s_count_value(self, "maxLength", value, &node->max_length);
}

static int s_kw_unique(schema_compiler_t *self, schema_node_t *node, json_t *value)
{
    if (!json_is_boolean(value))
        return s_bad(self, "uniqueItems", "must be a boolean");
    node->unique_items = json_is_true(value);
    return 0;
}

static int s_kw_public(schema_compiler_t *self, schema_node_t *node, json_t *value)
{
    if (!json_is_boolean(value))
        return s_bad(self, "x-public", "must be a boolean");
    node->is_public = json_is_true(value);
    return 0;
}

static int s_kw_pattern(schema_compiler_t *self, schema_node_t *node, json_t *value)
{
    if (!json_is_string(value) || strlen(json_string_value(value)) != json_string_length(value))
        return s_bad(self, "pattern", "must be a string");
    node->pattern_text = strdup(json_string_value(value));
    if (!node->pattern_text)
        return s_bad(self, "pattern", "could not be allocated");
    if (regcomp(&node->pattern, node->pattern_text, REG_EXTENDED | REG_NOSUB) != 0) {
        free(node->pattern_text);
        node->pattern_text = NULL;
        return s_bad(self, "pattern", "is not a POSIX extended regular expression");
    }
    return 0;
}

static int s_kw_format(schema_compiler_t *self, schema_node_t *node, json_t *value)
{
    if (!json_is_string(value) || strcmp(json_string_value(value), "date") != 0)
        return s_bad(self, "format", "must be \"date\" (the only format supported)");
    node->format_date = true;
    return 0;
}

static int s_kw_minimum(schema_compiler_t *self, schema_node_t *node, json_t *value)
{
    if (!json_is_integer(value))
        return s_bad(self, "minimum", "must be an integer");
    node->has_minimum = true;
    node->minimum = json_integer_value(value);
    return 0;
}

static int s_kw_maximum(schema_compiler_t *self, schema_node_t *node, json_t *value)
{
    if (!json_is_integer(value))
        return s_bad(self, "maximum", "must be an integer");
    node->has_maximum = true;
    node->maximum = json_integer_value(value);
    return 0;
}

static int s_kw_description(schema_compiler_t *self, schema_node_t *node, json_t *value)
{
    if (!json_is_string(value))
        return s_bad(self, "description", "must be a string");
    free(node->description);
    node->description = strdup(json_string_value(value));
    return node->description ? 0 : s_bad(self, "description", "could not be allocated");
}

/*  title, $schema, $id: documentation, only their type is checked. */
static int s_kw_ignored(schema_compiler_t *self, schema_node_t *node, json_t *value)
{
    return json_is_string(value) ? 0 : s_bad(self, "title/$schema/$id", "must be a string");
}

typedef int (s_keyword_fn)(schema_compiler_t *self, schema_node_t *node, json_t *value);

static const struct {
    const char *name;
    s_keyword_fn *compile;
} s_keywords[] = {
    { "type", s_kw_type },
    { "properties", s_kw_properties },
    { "required", s_kw_required },
    { "additionalProperties", s_kw_additional },
    { "items", s_kw_items },
    { "minItems", s_kw_min_items },
    { "maxItems", s_kw_max_items },
    { "uniqueItems", s_kw_unique },
    { "minLength", s_kw_min_length },
    { "maxLength", s_kw_max_length },
    { "pattern", s_kw_pattern },
    { "enum", s_kw_enum },
    { "format", s_kw_format },
    { "minimum", s_kw_minimum },
    { "maximum", s_kw_maximum },
    { "x-public", s_kw_public },
    { "description", s_kw_description },
    { "title", s_kw_ignored },
    { "$schema", s_kw_ignored },
    { "$id", s_kw_ignored },
};

static int s_compile_keyword(schema_compiler_t *self, schema_node_t *node, const char *key, json_t *value)
{
    for (size_t i = 0; i < sizeof s_keywords / sizeof s_keywords[0]; i++)
        if (strcmp(s_keywords[i].name, key) == 0)
            return s_keywords[i].compile(self, node, value);
    return s_fail(self->err, self->path.text, "unknown_keyword",
                  "%s%sunknown keyword \"%s\": the validator would not enforce it",
                  self->path.text, self->path.len ? ": " : "", key);
}

static schema_node_t *s_node_new(void)
{
    schema_node_t *node = calloc(1, sizeof *node);
    if (node) {
        node->min_items = node->max_items = -1;
        node->min_length = node->max_length = -1;
        strcpy(node->type_name, "any");
    }
    return node;
}

/*  With additionalProperties false, a required property that is not
 *  declared could never be supplied: that is a typo in the schema. */
static int s_check_required(schema_compiler_t *self, const schema_node_t *node)
{
    if (!node->closed)
        return 0;
    for (size_t r = 0; r < node->nrequired; r++) {
        bool found = false;
        for (size_t p = 0; p < node->nprops && !found; p++)
            found = strcmp(node->required[r], node->props[p].name) == 0;
        if (!found)
            return s_bad(self, "required", "names a property that is not declared");
    }
    return 0;
}

static bool s_compute_public(const schema_node_t *node)
{
    bool any = node->is_public || (node->items && node->items->has_public);
    for (size_t i = 0; i < node->nprops; i++)
        any = any || node->props[i].node->has_public;
    return any;
}

static schema_node_t *s_compile_node(schema_compiler_t *self, json_t *json)
{
    if (!json_is_object(json)) {
        s_fail(self->err, self->path.text, "schema", "%s%sa schema must be a JSON object",
               self->path.text, self->path.len ? ": " : "");
        return NULL;
    }
    schema_node_t *node = s_node_new();
    if (!node) {
        s_fail(self->err, self->path.text, "schema", "out of memory");
        return NULL;
    }
    const char *key;
    json_t *value;
    json_object_foreach(json, key, value)
        if (s_compile_keyword(self, node, key, value))
            goto fail;
    if (s_check_required(self, node))
        goto fail;
    node->has_public = s_compute_public(node);
    return node;
fail:
    s_node_destroy(node);
    return NULL;
}

schema_t *schema_new(const char *json_text, size_t len, proto_error_t *err)
{
    assert(json_text || len == 0);
    json_error_t jerr;
    json_t *json = json_loadb(json_text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json) {
        s_fail(err, "", "json_syntax", "schema line %d column %d: %s", jerr.line, jerr.column, jerr.text);
        return NULL;
    }
    schema_compiler_t compiler = { .err = err };
    schema_t *self = calloc(1, sizeof *self);
    if (self)
        self->root = s_compile_node(&compiler, json);
    else
        s_fail(err, "", "schema", "out of memory");
    json_decref(json);
    if (self && !self->root) {
        free(self);
        return NULL;
    }
    if (self)
        proto_error_clear(err);
    return self;
}

void schema_destroy(schema_t **self_p)
{
    assert(self_p);
    if (*self_p) {
        s_node_destroy((*self_p)->root);
        free(*self_p);
        *self_p = NULL;
    }
}

static schema_t *s_application;
static pthread_once_t s_application_once = PTHREAD_ONCE_INIT;

static void s_application_build(void)
{
    proto_error_t err;
    s_application = schema_new((const char *) application_schema_text, application_schema_size, &err);
    if (!s_application) {
        fprintf(stderr, "essp: the embedded application schema does not compile: %s [%s] at '%s'\n",
                err.message, err.rule, err.field);
        abort();
    }
}

const schema_t *schema_application(void)
{
    pthread_once(&s_application_once, s_application_build);
    return s_application;
}

/*  ----------------------------------------------------------------------
 *  Validation
 */

typedef struct {
    proto_path_t path;          /* path of the value being checked */
    proto_error_t *err;
} schema_checker_t;

static int s_violation(schema_checker_t *self, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*  Reports "path: sentence", the document itself being "document". */
static int s_violation(schema_checker_t *self, const char *rule, const char *fmt, ...)
{
    char sentence[768];
    va_list args;
    va_start(args, fmt);
    vsnprintf(sentence, sizeof sentence, fmt, args);
    va_end(args);
    return s_fail(self->err, self->path.text, rule, "%s: %s",
                  self->path.len ? self->path.text : "document", sentence);
}

static unsigned s_type_of(const msgpack_object *obj)
{
    switch (obj->type) {
    case MSGPACK_OBJECT_NIL:              return SCHEMA_NULL;
    case MSGPACK_OBJECT_BOOLEAN:          return SCHEMA_BOOLEAN;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return SCHEMA_INTEGER | SCHEMA_NUMBER;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:          return SCHEMA_NUMBER;
    case MSGPACK_OBJECT_STR:              return SCHEMA_STRING;
    case MSGPACK_OBJECT_ARRAY:            return SCHEMA_ARRAY;
    case MSGPACK_OBJECT_MAP:              return SCHEMA_OBJECT;
    default:                              return 0;
    }
}

static const char *s_type_name(const msgpack_object *obj)
{
    switch (obj->type) {
    case MSGPACK_OBJECT_NIL:              return "null";
    case MSGPACK_OBJECT_BOOLEAN:          return "boolean";
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return "integer";
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:          return "number";
    case MSGPACK_OBJECT_STR:              return "string";
    case MSGPACK_OBJECT_ARRAY:            return "array";
    case MSGPACK_OBJECT_MAP:              return "object";
    case MSGPACK_OBJECT_BIN:              return "binary";
    default:                              return "ext";
    }
}

/*  msgpack-c leaves ptr NULL for an empty str or bin, and the mem*
 *  functions must not be given NULL even with a zero length. */
static const char *s_bytes(const char *ptr)
{
    return ptr ? ptr : "";
}

static int s_check(schema_checker_t *self, const schema_node_t *node, const msgpack_object *obj);

static const schema_node_t *s_property(const schema_node_t *node, const msgpack_object *key)
{
    if (key->type != MSGPACK_OBJECT_STR)
        return NULL;
    for (size_t i = 0; i < node->nprops; i++) {
        const char *name = node->props[i].name;
        if (strlen(name) == key->via.str.size && memcmp(name, s_bytes(key->via.str.ptr), key->via.str.size) == 0)
            return node->props[i].node;
    }
    return NULL;
}

static bool s_map_has(const msgpack_object *map, const char *name)
{
    size_t len = strlen(name);
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object *key = &map->via.map.ptr[i].key;
        if (key->type == MSGPACK_OBJECT_STR && key->via.str.size == len
            && memcmp(s_bytes(key->via.str.ptr), name, len) == 0)
            return true;
    }
    return false;
}

static size_t s_push_key(proto_path_t *path, const msgpack_object *key)
{
    if (key->type == MSGPACK_OBJECT_STR)
        return proto_path_push_key(path, s_bytes(key->via.str.ptr), key->via.str.size);
    return proto_path_push_key(path, "?", 1);
}

static int s_check_object(schema_checker_t *self, const schema_node_t *node, const msgpack_object *obj)
{
    for (uint32_t i = 0; i < obj->via.map.size; i++) {
        const msgpack_object_kv *kv = &obj->via.map.ptr[i];
        const schema_node_t *child = s_property(node, &kv->key);
        if (!child && !node->closed)
            continue;
        size_t mark = s_push_key(&self->path, &kv->key);
        if (!child)
            return s_violation(self, "additionalProperties", "unknown property");
        if (s_check(self, child, &kv->val))
            return -1;
        proto_path_pop(&self->path, mark);
    }
    for (size_t r = 0; r < node->nrequired; r++) {
        if (s_map_has(obj, node->required[r]))
            continue;
        proto_path_push_key(&self->path, node->required[r], strlen(node->required[r]));
        return s_violation(self, "required", "is required");
    }
    return 0;
}

static int s_cmp_object(const msgpack_object *x, const msgpack_object *y, int depth);

/*  Rank of a type in the total order used to sort items. */
static int s_type_rank(const msgpack_object *obj)
{
    unsigned type = s_type_of(obj);
    return type & SCHEMA_NUMBER ? SCHEMA_NUMBER : type ? (int) type : 100 + (int) obj->type;
}

static long double s_number(const msgpack_object *obj)
{
    switch (obj->type) {
    case MSGPACK_OBJECT_POSITIVE_INTEGER: return (long double) obj->via.u64;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return (long double) obj->via.i64;
    default:                              return (long double) obj->via.f64;
    }
}

/*  Numbers compare by value (1 equals 1.0, as in JSON Schema); NaN sorts
 *  last and equals NaN, so the order stays total. */
static int s_cmp_number(const msgpack_object *x, const msgpack_object *y)
{
    long double a = s_number(x), b = s_number(y);
    if (isnan(a) || isnan(b))
        return isnan(a) - isnan(b);
    return a < b ? -1 : a > b;
}

static int s_cmp_bytes(const char *a, uint32_t alen, const char *b, uint32_t blen)
{
    int diff = memcmp(a, b, alen < blen ? alen : blen);
    return diff ? diff : alen < blen ? -1 : alen > blen;
}

static int s_cmp_array(const msgpack_object_array *x, const msgpack_object_array *y, int depth)
{
    for (uint32_t i = 0; i < x->size && i < y->size; i++) {
        int diff = s_cmp_object(&x->ptr[i], &y->ptr[i], depth + 1);
        if (diff)
            return diff;
    }
    return x->size < y->size ? -1 : x->size > y->size;
}

static int s_cmp_map(const msgpack_object_map *x, const msgpack_object_map *y, int depth)
{
    for (uint32_t i = 0; i < x->size && i < y->size; i++) {
        int diff = s_cmp_object(&x->ptr[i].key, &y->ptr[i].key, depth + 1);
        if (!diff)
            diff = s_cmp_object(&x->ptr[i].val, &y->ptr[i].val, depth + 1);
        if (diff)
            return diff;
    }
    return x->size < y->size ? -1 : x->size > y->size;
}

/*  A total order on values, for uniqueItems.  Nesting beyond what
 *  wire_prescan allows compares equal rather than recursing further. */
static int s_cmp_object(const msgpack_object *x, const msgpack_object *y, int depth)
{
    int rx = s_type_rank(x), ry = s_type_rank(y);
    if (rx != ry)
        return rx < ry ? -1 : 1;
    if (depth > 2 * 32)
        return 0;
    switch (x->type) {
    case MSGPACK_OBJECT_BOOLEAN:  return (int) x->via.boolean - (int) y->via.boolean;
    case MSGPACK_OBJECT_STR:      return s_cmp_bytes(s_bytes(x->via.str.ptr), x->via.str.size, s_bytes(y->via.str.ptr), y->via.str.size);
    case MSGPACK_OBJECT_BIN:      return s_cmp_bytes(s_bytes(x->via.bin.ptr), x->via.bin.size, s_bytes(y->via.bin.ptr), y->via.bin.size);
    case MSGPACK_OBJECT_ARRAY:    return s_cmp_array(&x->via.array, &y->via.array, depth);
    case MSGPACK_OBJECT_MAP:      return s_cmp_map(&x->via.map, &y->via.map, depth);
    case MSGPACK_OBJECT_NIL:
    case MSGPACK_OBJECT_EXT:      return 0;
    default:                      return s_cmp_number(x, y);
    }
}

/*  qsort order for pointers to items: by value, then by position, so the
 *  first of equal items comes first. */
static int s_cmp_item(const void *a, const void *b)
{
    const msgpack_object *x = *(const msgpack_object *const *) a;
    const msgpack_object *y = *(const msgpack_object *const *) b;
    int diff = s_cmp_object(x, y, 0);
    return diff ? diff : x < y ? -1 : x > y;
}

/*  Index of the earliest item equal to an earlier one, or -1.  Sorting
 *  keeps this O(n log n) on hostile arrays. */
static int64_t s_first_duplicate(const msgpack_object_array *array, bool *nomem)
{
    *nomem = false;
    if (array->size < 2)
        return -1;
    const msgpack_object **sorted = malloc(array->size * sizeof *sorted);
    if (!sorted) {
        *nomem = true;
        return -1;
    }
    for (uint32_t i = 0; i < array->size; i++)
        sorted[i] = &array->ptr[i];
    qsort(sorted, array->size, sizeof *sorted, s_cmp_item);
    int64_t first = -1;
    for (uint32_t i = 1; i < array->size; i++) {
        int64_t index = sorted[i] - array->ptr;
        if (s_cmp_object(sorted[i - 1], sorted[i], 0) == 0 && (first < 0 || index < first))
            first = index;
    }
    free(sorted);
    return first;
}

static int s_check_unique(schema_checker_t *self, const msgpack_object_array *array)
{
    bool nomem;
    int64_t dup = s_first_duplicate(array, &nomem);
    if (nomem)
        return s_violation(self, "uniqueItems", "could not be checked (out of memory)");
    if (dup < 0)
        return 0;
    proto_path_push_index(&self->path, (size_t) dup);
    return s_violation(self, "uniqueItems", "repeats an earlier item");
}

static int s_check_array(schema_checker_t *self, const schema_node_t *node, const msgpack_object *obj)
{
    int64_t count = obj->via.array.size;
    if (node->max_items >= 0 && count > node->max_items)
        return s_violation(self, "maxItems", "at most %lld items, got %lld",
                           (long long) node->max_items, (long long) count);
    if (node->min_items >= 0 && count < node->min_items)
        return s_violation(self, "minItems", "at least %lld item%s, got %lld",
                           (long long) node->min_items, node->min_items == 1 ? "" : "s", (long long) count);
    for (uint32_t i = 0; node->items && i < obj->via.array.size; i++) {
        size_t mark = proto_path_push_index(&self->path, i);
        if (s_check(self, node->items, &obj->via.array.ptr[i]))
            return -1;
        proto_path_pop(&self->path, mark);
    }
    return node->unique_items ? s_check_unique(self, &obj->via.array) : 0;
}

/*  Code points in a UTF-8 text: every byte that is not a continuation. */
static int64_t s_code_points(const char *text, uint32_t len)
{
    int64_t count = 0;
    for (uint32_t i = 0; i < len; i++)
        count += ((unsigned char) text[i] & 0xC0) != 0x80;
    return count;
}

/*  regexec needs a terminated copy; a NUL inside never matches, since the
 *  regex would only see the text before it. */
static int s_check_pattern(schema_checker_t *self, const schema_node_t *node, const char *text, uint32_t len)
{
    if (memchr(text, 0, len))
        return s_violation(self, "pattern", "must not contain a NUL character");
    char stack[SCHEMA_PATTERN_STACK];
    char *copy = len < sizeof stack ? stack : malloc((size_t) len + 1);
    if (!copy)
        return s_violation(self, "pattern", "could not be checked (out of memory)");
    memcpy(copy, text, len);
    copy[len] = 0;
    int rc = regexec(&node->pattern, copy, 0, NULL, 0);
    if (copy != stack)
        free(copy);
    if (rc != 0)
        return s_violation(self, "pattern", "does not match the pattern %s", node->pattern_text);
    return 0;
}

static int s_check_enum(schema_checker_t *self, const schema_node_t *node, const msgpack_object *obj)
{
    for (size_t i = 0; obj->type == MSGPACK_OBJECT_STR && i < node->nenums; i++)
        if (strlen(node->enums[i]) == obj->via.str.size
            && memcmp(node->enums[i], s_bytes(obj->via.str.ptr), obj->via.str.size) == 0)
            return 0;
    char list[512] = "";
    size_t used = 0;
    for (size_t i = 0; i < node->nenums && used < sizeof list; i++)
        used += (size_t) snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", node->enums[i]);
    return s_violation(self, "enum", "must be one of: %s", list);
}

static int s_check_string(schema_checker_t *self, const schema_node_t *node, const msgpack_object *obj)
{
    const char *text = s_bytes(obj->via.str.ptr);
    uint32_t len = obj->via.str.size;
    if (node->max_length >= 0 || node->min_length >= 0) {
        int64_t chars = s_code_points(text, len);
        if (node->max_length >= 0 && chars > node->max_length)
            return s_violation(self, "maxLength", "at most %lld characters, got %lld",
                               (long long) node->max_length, (long long) chars);
        if (node->min_length >= 0 && chars < node->min_length)
            return s_violation(self, "minLength", "at least %lld character%s, got %lld",
                               (long long) node->min_length, node->min_length == 1 ? "" : "s",
                               (long long) chars);
    }
    if (node->pattern_text && s_check_pattern(self, node, text, len))
        return -1;
    int32_t days;
    if (node->format_date && date_parse(text, len, &days) != 0)
        return s_violation(self, "format", "must be a real date written YYYY-MM-DD");
    return 0;
}

/*  -1, 0 or 1 as obj is below, equal to or above the integer limit. */
static int s_cmp_limit(const msgpack_object *obj, int64_t limit)
{
    if (obj->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        return limit < 0 || obj->via.u64 > (uint64_t) limit ? 1 : obj->via.u64 < (uint64_t) limit ? -1 : 0;
    if (obj->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        return obj->via.i64 < limit ? -1 : obj->via.i64 > limit;
    double value = obj->via.f64;
    if (isnan(value))
        return 2;           /* fails both limits */
    return value < (double) limit ? -1 : value > (double) limit;
}

static void s_format_number(const msgpack_object *obj, char *buf, size_t cap)
{
    if (obj->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        snprintf(buf, cap, "%llu", (unsigned long long) obj->via.u64);
    else if (obj->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        snprintf(buf, cap, "%lld", (long long) obj->via.i64);
    else
        snprintf(buf, cap, "%.17g", obj->via.f64);
}

static int s_check_number(schema_checker_t *self, const schema_node_t *node, const msgpack_object *obj)
{
    char got[40];
    s_format_number(obj, got, sizeof got);
    int below = node->has_minimum ? s_cmp_limit(obj, node->minimum) : 0;
    if (node->has_minimum && (below < 0 || below == 2))
        return s_violation(self, "minimum", "at least %lld, got %s", (long long) node->minimum, got);
    int above = node->has_maximum ? s_cmp_limit(obj, node->maximum) : 0;
    if (node->has_maximum && above > 0)
        return s_violation(self, "maximum", "at most %lld, got %s", (long long) node->maximum, got);
    return 0;
}

static int s_check(schema_checker_t *self, const schema_node_t *node, const msgpack_object *obj)
{
    unsigned type = s_type_of(obj);
    if (node->types && !(node->types & type))
        return s_violation(self, "type", "must be %s, got %s", node->type_name, s_type_name(obj));
    switch (obj->type) {
    case MSGPACK_OBJECT_MAP:
        if (s_check_object(self, node, obj))
            return -1;
        break;
    case MSGPACK_OBJECT_ARRAY:
        if (s_check_array(self, node, obj))
            return -1;
        break;
    case MSGPACK_OBJECT_STR:
        if (s_check_string(self, node, obj))
            return -1;
        break;
    default:
        if ((type & SCHEMA_NUMBER) && s_check_number(self, node, obj))
            return -1;
        break;
    }
    return node->nenums ? s_check_enum(self, node, obj) : 0;
}

int schema_validate(const schema_t *self, const msgpack_object *doc, proto_error_t *err)
{
    assert(self && doc);
    schema_checker_t checker = { .err = err };
    if (s_check(&checker, self->root, doc))
        return -1;
    proto_error_clear(err);
    return 0;
}

/*  ----------------------------------------------------------------------
 *  Public projection
 */

static int s_pack(const schema_node_t *node, const msgpack_object *obj, msgpack_packer *pk);

static int s_pack_object(const schema_node_t *node, const msgpack_object *obj, msgpack_packer *pk)
{
    uint32_t kept = 0;
    for (uint32_t i = 0; i < obj->via.map.size; i++) {
        const schema_node_t *child = s_property(node, &obj->via.map.ptr[i].key);
        kept += child && child->has_public;
    }
    if (msgpack_pack_map(pk, kept))
        return -1;
    for (uint32_t i = 0; i < obj->via.map.size; i++) {
        const msgpack_object_kv *kv = &obj->via.map.ptr[i];
        const schema_node_t *child = s_property(node, &kv->key);
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

static int s_pack(const schema_node_t *node, const msgpack_object *obj, msgpack_packer *pk)
{
    bool structured = node->nprops > 0;
    bool structured_items = node->items && node->items->nprops > 0;
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

/*  ----------------------------------------------------------------------
 *  Field listing
 */

typedef void (schema_field_fn)(const char *path, bool is_public, const char *type,
                               const char *description, void *arg);

static void s_foreach(const schema_node_t *node, proto_path_t *path, schema_field_fn *fn, void *arg)
{
    for (size_t i = 0; i < node->nprops; i++) {
        const schema_node_t *child = node->props[i].node;
        size_t mark = proto_path_push_key(path, node->props[i].name, strlen(node->props[i].name));
        fn(path->text, child->is_public, child->type_name, child->description ? child->description : "", arg);
        s_foreach(child, path, fn, arg);
        proto_path_pop(path, mark);
    }
    if (node->items) {
        size_t mark = proto_path_push(path, "[]", 2);
        s_foreach(node->items, path, fn, arg);
        proto_path_pop(path, mark);
    }
}

void schema_foreach_field(const schema_t *self, schema_field_fn *fn, void *arg)
{
    assert(self && fn);
    proto_path_t path;
    proto_path_clear(&path);
    s_foreach(self->root, &path, fn, arg);
}
