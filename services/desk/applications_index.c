/*  services/desk/applications_index.c - see applications_index.h. */
#include "applications_index.h"

#include "proto/doc.h"
#include "proto/text.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define S_FOLD_MAX 404

typedef struct {
    apps_row_t row;
    char folded[S_FOLD_MAX];     /* the name folded, for the search */
} s_entry_t;

struct applications_index_t {
    pthread_mutex_t lock;
    s_entry_t *entries;          /* in id order = creation order (ids begin with their time) */
    size_t count, cap;
    uint64_t cursor[APPS_STREAMS];
};

applications_index_t *applications_index_new(void)
{
    applications_index_t *self = calloc(1, sizeof *self);
    if (self)
        pthread_mutex_init(&self->lock, NULL);
    return self;
}

void applications_index_destroy(applications_index_t **self_p)
{
    applications_index_t *self = *self_p;
    if (!self)
        return;
    free(self->entries);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}

uint64_t applications_index_cursor(applications_index_t *self, apps_stream_t stream)
{
    pthread_mutex_lock(&self->lock);
    uint64_t cursor = self->cursor[stream];
    pthread_mutex_unlock(&self->lock);
    return cursor;
}

/*  Binary search by id; *at is where it is or would go. */
static s_entry_t *s_find(applications_index_t *self, const char *id, size_t *at)
{
    size_t lo = 0, hi = self->count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(self->entries[mid].row.id, id);
        if (c == 0) {
            *at = mid;
            return &self->entries[mid];
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *at = lo;
    return NULL;
}

static s_entry_t *s_entry(applications_index_t *self, const char *id)
{
    size_t at;
    s_entry_t *e = s_find(self, id, &at);
    if (e)
        return e;
    if (self->count == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 256;
        s_entry_t *grown = realloc(self->entries, cap * sizeof *grown);
        if (!grown)
            return NULL;
        self->entries = grown;
        self->cap = cap;
    }
    memmove(&self->entries[at + 1], &self->entries[at], (self->count - at) * sizeof *self->entries);
    self->count++;
    e = &self->entries[at];
    memset(e, 0, sizeof *e);
    snprintf(e->row.id, sizeof e->row.id, "%s", id);
    snprintf(e->row.state, sizeof e->row.state, "received");
    return e;
}

static void s_state(s_entry_t *e, const char *state)
{
    /* withdrawn is final (proto/README.md 7.2). */
    if (strcmp(e->row.state, "withdrawn") != 0)
        snprintf(e->row.state, sizeof e->row.state, "%s", state);
}

static void s_intake(s_entry_t *e, const msgpack_object *event, uint64_t at)
{
    if (doc_str_eq(event, "type", "submitted")) {
        const msgpack_object *org = doc_map(doc_map(event, "application"), "organisation");
        doc_uint(event, "revision", &e->row.revision);
        if (doc_strcpy(org, "name", e->row.name, sizeof e->row.name) >= 0) {
            size_t n = text_fold(e->row.name, strlen(e->row.name), e->folded, sizeof e->folded - 1);
            e->folded[n < sizeof e->folded ? n : sizeof e->folded - 1] = '\0';
        }
        doc_strcpy(org, "siret", e->row.siret, sizeof e->row.siret);
        if (!e->row.submitted_at)
            e->row.submitted_at = at;
        s_state(e, "received");
    } else if (doc_str_eq(event, "type", "erased") || doc_str_eq(event, "type", "redacted")) {
        /* An erased application keeps its id, state and dates, not its name. */
        e->row.name[0] = e->row.siret[0] = e->folded[0] = '\0';
        if (doc_str_eq(event, "type", "erased"))
            s_state(e, "withdrawn");
    }
}

static void s_validation(s_entry_t *e, const msgpack_object *event)
{
    if (doc_str_eq(event, "type", "validated") && doc_str_eq(event, "verdict", "incomplete"))
        s_state(e, "incomplete");
}

static void s_review(s_entry_t *e, const msgpack_object *event)
{
    static const char *const decided[][2] = {{"approve", "approved"}, {"reinstate", "approved"},
                                             {"reject", "rejected"}, {"changes", "changes_requested"},
                                             {"withdraw", "withdrawn"}};
    if (doc_str_eq(event, "type", "queued") && !doc_str_eq(event, "kind", "complaint"))
        s_state(e, "in_review");
    else if (doc_str_eq(event, "type", "decided")) {
        for (size_t i = 0; i < sizeof decided / sizeof *decided; i++)
            if (doc_str_eq(event, "decision", decided[i][0]))
                s_state(e, decided[i][1]);
    } else if (doc_str_eq(event, "type", "withdrawn"))
        s_state(e, doc_str_eq(event, "kind", "suspended") ? "suspended" : "withdrawn");
}

void applications_index_apply(applications_index_t *self, apps_stream_t stream, const msgpack_object *event)
{
    uint64_t seq = 0, at = 0;
    char id[33];
    if (stream >= APPS_STREAMS || !doc_uint(event, "seq", &seq) || doc_strcpy(event, "id", id, sizeof id) < 0)
        return;
    doc_uint(event, "at", &at);
    pthread_mutex_lock(&self->lock);
    if (seq > self->cursor[stream]) {
        self->cursor[stream] = seq;
        /* Only intake creates a row: the other streams speak of applications it made. */
        size_t where;
        s_entry_t *e = stream == APPS_INTAKE ? s_entry(self, id) : s_find(self, id, &where);
        if (e) {
            if (stream == APPS_INTAKE)
                s_intake(e, event, at);
            else if (stream == APPS_VALIDATION)
                s_validation(e, event);
            else
                s_review(e, event);
            if (at > e->row.updated_at)
                e->row.updated_at = at;
        }
    }
    pthread_mutex_unlock(&self->lock);
}

static bool s_matches(const s_entry_t *e, const char *folded, const char *digits, const char *query,
                      const char *state)
{
    if (state && *state && strcmp(e->row.state, state) != 0)
        return false;
    if (!query || !*query)
        return true;
    return strstr(e->row.id, query) || (*folded && strstr(e->folded, folded))
           || (*digits && strstr(e->row.siret, digits));
}

size_t applications_index_search(applications_index_t *self, const char *query, const char *state,
                                 size_t offset, apps_row_t *rows, size_t cap)
{
    char folded[S_FOLD_MAX] = "", digits[32] = "";
    if (query && *query) {
        size_t n = text_fold(query, strlen(query), folded, sizeof folded - 1);
        folded[n < sizeof folded ? n : sizeof folded - 1] = '\0';
        size_t d = 0;
        bool only_digits = true;
        for (const char *p = query; *p; p++) {
            if (*p >= '0' && *p <= '9') {
                if (d + 1 < sizeof digits)
                    digits[d++] = *p;
            } else if (*p != ' ')
                only_digits = false;
        }
        digits[only_digits ? d : 0] = '\0';
    }
    size_t matched = 0, kept = 0;
    pthread_mutex_lock(&self->lock);
    for (size_t i = self->count; i-- > 0;) {
        if (!s_matches(&self->entries[i], folded, digits, query, state))
            continue;
        if (matched >= offset && kept < cap)
            rows[kept++] = self->entries[i].row;
        matched++;
    }
    pthread_mutex_unlock(&self->lock);
    return matched;
}

bool applications_index_get(applications_index_t *self, const char *id, apps_row_t *row)
{
    size_t at;
    pthread_mutex_lock(&self->lock);
    s_entry_t *e = s_find(self, id, &at);
    if (e)
        *row = e->row;
    pthread_mutex_unlock(&self->lock);
    return e != NULL;
}
