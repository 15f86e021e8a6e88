/*  services/cli/output.c - see output.h. */
#include "output.h"

#include "client.h"

#include "proto/date.h"
#include "proto/doc.h"
#include "proto/error.h"
#include "proto/json_codec.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/*  True for the names the protocol gives instants in unix seconds: "at",
 *  "<something>_at" and "expires" (proto/README.md §3). */
static bool s_is_instant(const char *key)
{
    size_t len = strlen(key);
    return strcmp(key, "at") == 0 || strcmp(key, "expires") == 0
           || (len > 3 && strcmp(key + len - 3, "_at") == 0);
}

void output_add_iso(json_t *json)
{
    if (json_is_array(json)) {
        size_t i;
        json_t *item;
        json_array_foreach(json, i, item)
            output_add_iso(item);
        return;
    }
    if (!json_is_object(json))
        return;
    /* The keys first, then the additions: an object is not changed while
     * it is walked. */
    const char *keys[64];
    size_t n = 0;
    const char *key;
    json_t *value;
    json_object_foreach(json, key, value) {
        if (json_is_integer(value) && json_integer_value(value) > 0 && s_is_instant(key) && n < 64)
            keys[n++] = key;
        else
            output_add_iso(value);
    }
    for (size_t i = 0; i < n; i++) {
        char name[96], iso[32];
        snprintf(name, sizeof name, "%s_iso", keys[i]);
        if (!json_object_get(json, name)
            && date_iso8601((int64_t)json_integer_value(json_object_get(json, keys[i])), iso, sizeof iso) > 0)
            json_object_set_new(json, name, json_string(iso));
    }
}

void output_object(const msgpack_object *obj, FILE *out)
{
    json_t *json = json_codec_from_object(obj);
    output_add_iso(json);
    if (!json) {
        fprintf(stderr, "essp: a reply could not be shown as JSON\n");
        return;
    }
    if (json_is_object(json)) {
        json_object_del(json, "v");
        json_object_del(json, "rid");
        json_object_del(json, "type");
    }
    char *text = json_dumps(json, JSON_COMPACT);
    if (text)
        fprintf(out, "%s\n", text);
    free(text);
    json_decref(json);
    fflush(out);
}

void output_each(const msgpack_object *array, FILE *out)
{
    for (size_t i = 0; i < doc_len(array); i++) {
        json_t *json = json_codec_from_object(doc_at(array, i));
        output_add_iso(json);
        char *text = json ? json_dumps(json, JSON_COMPACT) : NULL;
        if (text)
            fprintf(out, "%s\n", text);
        free(text);
        json_decref(json);
    }
    fflush(out);
}

void output_json_string(const char *text, FILE *out)
{
    json_t *value = text ? json_string(text) : NULL;
    char *dumped = value ? json_dumps(value, JSON_ENCODE_ANY) : NULL;
    fputs(dumped ? dumped : "null", out);
    free(dumped);
    json_decref(value);
}

void output_pair(const char *k1, const char *v1, const char *k2, const char *v2, FILE *out)
{
    fprintf(out, "{\"%s\":", k1);
    output_json_string(v1, out);
    fprintf(out, ",\"%s\":", k2);
    output_json_string(v2, out);
    fprintf(out, "}\n");
}

int output_read_json(const char *path, msgpack_sbuffer *out, FILE *err)
{
    FILE *file = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!file) {
        fprintf(err, "essp: cannot read %s: %s\n", path, strerror(errno));
        return EXIT_REFUSED;
    }
    char *text = malloc(OUTPUT_FILE_MAX + 1);
    size_t len = text ? fread(text, 1, OUTPUT_FILE_MAX + 1, file) : 0;
    if (file != stdin)
        fclose(file);
    int rc = EXIT_OK;
    proto_error_t why;
    if (!text) {
        fprintf(err, "essp: %s: out of memory\n", path);
        rc = EXIT_REFUSED;
    } else if (len > OUTPUT_FILE_MAX) {
        fprintf(err, "essp: %s: larger than %u bytes\n", path, OUTPUT_FILE_MAX);
        rc = EXIT_REFUSED;
    } else if (json_codec_to_msgpack(text, len, out, &why)) {
        fprintf(err, "essp: %s: %s (field %s, rule %s)\n", path, why.message,
                *why.field ? why.field : "(document)", why.rule);
        rc = EXIT_REFUSED;
    }
    free(text);
    return rc;
}
