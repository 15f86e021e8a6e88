/*  services/desk/session_keys.c - see session_keys.h. */
#include "session_keys.h"

#include "person_links.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct entry_s {
    struct entry_s *next;
    unsigned char id_hash[32];
    session_secrets_t *secrets;      /* sodium_malloc'd */
    int64_t created, seen;           /* unix seconds */
} entry_t;

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static entry_t *s_entries;

static entry_t **s_find(const unsigned char id_hash[32])
{
    entry_t **at = &s_entries;
    while (*at && sodium_memcmp((*at)->id_hash, id_hash, 32) != 0)
        at = &(*at)->next;
    return at;
}

int session_keys_put(const unsigned char id_hash[32], const session_secrets_t *secrets)
{
    pthread_mutex_lock(&s_lock);
    entry_t **at = s_find(id_hash);
    entry_t *entry = *at;
    if (!entry) {
        entry = calloc(1, sizeof *entry);
        if (entry)
            entry->secrets = sodium_malloc(sizeof *entry->secrets);
        if (!entry || !entry->secrets) {
            free(entry);
            pthread_mutex_unlock(&s_lock);
            return -1;
        }
        memcpy(entry->id_hash, id_hash, 32);
        entry->created = entry->seen = (int64_t)time(NULL);
        entry->next = s_entries;
        s_entries = entry;
    }
    memcpy(entry->secrets, secrets, sizeof *secrets);
    pthread_mutex_unlock(&s_lock);
    return 0;
}

bool session_keys_get(const unsigned char id_hash[32], session_secrets_t *out)
{
    pthread_mutex_lock(&s_lock);
    entry_t *entry = *s_find(id_hash);
    if (entry) {
        memcpy(out, entry->secrets, sizeof *out);
        entry->seen = (int64_t)time(NULL);
    }
    pthread_mutex_unlock(&s_lock);
    return entry != NULL;
}

/*  A session's end ends its connections too (person_links.h). */
static void s_free(entry_t *entry)
{
    person_links_drop(entry->id_hash);
    sodium_free(entry->secrets);     /* wipes before it frees */
    free(entry);
}

void session_keys_drop(const unsigned char id_hash[32])
{
    pthread_mutex_lock(&s_lock);
    entry_t **at = s_find(id_hash);
    entry_t *entry = *at;
    if (entry)
        *at = entry->next;
    pthread_mutex_unlock(&s_lock);
    if (entry)
        s_free(entry);
}

void session_keys_sweep(int64_t now, int64_t idle_s, int64_t absolute_s)
{
    entry_t *gone = NULL;
    pthread_mutex_lock(&s_lock);
    for (entry_t **at = &s_entries; *at;) {
        entry_t *entry = *at;
        if (now - entry->seen >= idle_s || now - entry->created >= absolute_s) {
            *at = entry->next;
            entry->next = gone;
            gone = entry;
        } else {
            at = &entry->next;
        }
    }
    pthread_mutex_unlock(&s_lock);
    while (gone) {
        entry_t *next = gone->next;
        s_free(gone);
        gone = next;
    }
}

void session_keys_clear(void)
{
    pthread_mutex_lock(&s_lock);
    entry_t *entry = s_entries;
    s_entries = NULL;
    pthread_mutex_unlock(&s_lock);
    while (entry) {
        entry_t *next = entry->next;
        s_free(entry);
        entry = next;
    }
}
