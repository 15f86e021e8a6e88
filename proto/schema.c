/*  proto/schema.c - see schema.h: compiling the schema, and listing its
 *  fields.
 *
 *  Compilation turns each schema object into a schema_node_t (schema_node.h);
 *  schema_check.c validates documents against that tree and schema_public.c
 *  packs their public projection.
 */
#include "schema.h"

#include <assert.h>
#include <jansson.h>
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/path.h"
#include "proto/schema_node.h"

static const struct {
    const char *name;
    unsigned bit;
} s_types[] = {
    { "null", SCHEMA_NULL },       { "boolean", SCHEMA_BOOLEAN }, { "object", SCHEMA_OBJECT },
    { "array", SCHEMA_ARRAY },     { "number", SCHEMA_NUMBER },   { "string", SCHEMA_STRING },
    { "integer", SCHEMA_INTEGER },
};

int schema_fail(proto_error_t *err, const char *field, const char *rule, const char *fmt, ...)
{
    if (!err)
        return -1;
    /* Formatted here, then proto_error_set cuts field and message to size on
     * a character boundary, so the error itself is always valid UTF-8. */
    char message[1024];
    va_list args;
    va_start(args, fmt);
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    proto_error_set(err, field, rule, "%s", message);
    return -1;
}

const schema_node_t *schema_node_property(const schema_node_t *node, const msgpack_object *key)
{
    if (key->type != MSGPACK_OBJECT_STR)
        return NULL;
    for (size_t i = 0; i < node->nprops; i++) {
        const schema_prop_t *prop = &node->props[i];
        if (prop->name_len == key->via.str.size && memcmp(prop->name, schema_bytes(key->via.str.ptr), prop->name_len) == 0)
            return prop->node;
    }
    return NULL;
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
    return schema_fail(self->err, self->path.text, "schema", "%s%s\"%s\" %s", self->path.text,
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
        prop->name_len = strlen(name);
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

/*  "x-change": what a change of the field means for a listing already
 *  published (proto/schema_change.h). */
static int s_kw_change(schema_compiler_t *self, schema_node_t *node, json_t *value)
{
    const char *name = json_is_string(value) ? json_string_value(value) : "";
    if (strcmp(name, "minor") == 0)
        node->change = SCHEMA_CHANGE_MINOR;
    else if (strcmp(name, "substantive") == 0)
        node->change = SCHEMA_CHANGE_SUBSTANTIVE;
    else
        return s_bad(self, "x-change", "must be \"minor\" or \"substantive\"");
    return 0;
}

/*  "x-multiline": a text typed in several lines (a description, a
 *  summary); everywhere else a line break is refused with the other
 *  control characters (schema_check.c). */
static int s_kw_multiline(schema_compiler_t *self, schema_node_t *node, json_t *value)
{
    if (!json_is_boolean(value))
        return s_bad(self, "x-multiline", "must be a boolean");
    node->multiline = json_is_true(value);
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
    { "x-change", s_kw_change },
    { "x-multiline", s_kw_multiline },
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
    return schema_fail(self->err, self->path.text, "unknown_keyword",
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
        schema_fail(self->err, self->path.text, "schema", "%s%sa schema must be a JSON object",
               self->path.text, self->path.len ? ": " : "");
        return NULL;
    }
    schema_node_t *node = s_node_new();
    if (!node) {
        schema_fail(self->err, self->path.text, "schema", "out of memory");
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
        schema_fail(err, "", "json_syntax", "schema line %d column %d: %s", jerr.line, jerr.column, jerr.text);
        return NULL;
    }
    schema_compiler_t compiler = { .err = err };
    schema_t *self = calloc(1, sizeof *self);
    if (self)
        self->root = s_compile_node(&compiler, json);
    else
        schema_fail(err, "", "schema", "out of memory");
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
