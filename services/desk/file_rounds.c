/*  services/desk/file_rounds.c - see file_rounds.h. */
#include "file_rounds.h"

#include "proto/doc.h"

#include <czmq.h>
#include <pthread.h>
#include <string.h>

typedef struct {
    size_t count;
    msgpack_sbuffer events;      /* the packed event maps, one after the other */
} s_file_t;

struct file_rounds_t {
    pthread_mutex_t lock;
    zhashx_t *files;             /* id -> s_file_t */
    uint64_t cursor;
    uint64_t opened;
};

static void s_file_destroy(void **item)
{
    s_file_t *file = *item;
    if (file) {
        msgpack_sbuffer_destroy(&file->events);
        free(file);
        *item = NULL;
    }
}

file_rounds_t *file_rounds_new(void)
{
    file_rounds_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    pthread_mutex_init(&self->lock, NULL);
    self->files = zhashx_new();
    zhashx_set_destructor(self->files, s_file_destroy);
    return self;
}

void file_rounds_destroy(file_rounds_t **self_p)
{
    file_rounds_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy(&self->files);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}

static void s_append(file_rounds_t *self, const char *id, const msgpack_object *event)
{
    s_file_t *file = zhashx_lookup(self->files, id);
    if (!file) {
        file = calloc(1, sizeof *file);
        if (!file)
            return;
        msgpack_sbuffer_init(&file->events);
        zhashx_insert(self->files, id, file);
    }
    msgpack_packer pk;
    msgpack_packer_init(&pk, &file->events, msgpack_sbuffer_write);
    msgpack_pack_object(&pk, *event);
    file->count++;
}

void file_rounds_apply(file_rounds_t *self, const msgpack_object *event)
{
    uint64_t seq = 0;
    char id[33];
    if (!doc_uint(event, "seq", &seq) || doc_strcpy(event, "id", id, sizeof id) < 0)
        return;
    pthread_mutex_lock(&self->lock);
    if (seq > self->cursor) {
        self->cursor = seq;
        bool erased = doc_str_eq(event, "type", "redacted")
                      || (doc_str_eq(event, "type", "withdrawn") && doc_str_eq(event, "kind", "erased"));
        if (erased)
            zhashx_delete(self->files, id);
        if (doc_str_eq(event, "type", "queued"))
            self->opened++;
        if (doc_str_eq(event, "type", "queued") || doc_str_eq(event, "type", "decided")
            || doc_str_eq(event, "type", "withdrawn"))
            s_append(self, id, event);
    }
    pthread_mutex_unlock(&self->lock);
}

uint64_t file_rounds_cursor(file_rounds_t *self)
{
    pthread_mutex_lock(&self->lock);
    uint64_t cursor = self->cursor;
    pthread_mutex_unlock(&self->lock);
    return cursor;
}

uint64_t file_rounds_opened(file_rounds_t *self)
{
    pthread_mutex_lock(&self->lock);
    uint64_t opened = self->opened;
    pthread_mutex_unlock(&self->lock);
    return opened;
}

size_t file_rounds_pack(file_rounds_t *self, const char *id, msgpack_sbuffer *out)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    pthread_mutex_lock(&self->lock);
    s_file_t *file = zhashx_lookup(self->files, id);
    size_t count = file ? file->count : 0;
    msgpack_pack_array(&pk, count);
    if (count)
        msgpack_sbuffer_write(out, file->events.data, file->events.size);
    pthread_mutex_unlock(&self->lock);
    return count;
}
