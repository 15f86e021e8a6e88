/*  services/desk/person_links.c - see person_links.h. */
#include "person_links.h"

#include <pthread.h>
#include <string.h>

typedef struct {
    unsigned char id_hash[32];
    service_id_t service;
    zsock_t *socket;             /* NULL: a free slot */
    int64_t used_ms;
} link_t;

static link_t s_links[PERSON_LINKS_MAX];
static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;

/*  Closes the connections idle too long; the lock is held. */
static void s_expire(int64_t now_ms)
{
    for (size_t i = 0; i < PERSON_LINKS_MAX; i++)
        if (s_links[i].socket && now_ms - s_links[i].used_ms > PERSON_LINK_IDLE_MS)
            zsock_destroy(&s_links[i].socket);
}

zsock_t *person_links_take(const unsigned char id_hash[32], service_id_t service, int64_t now_ms)
{
    zsock_t *socket = NULL;
    pthread_mutex_lock(&s_lock);
    s_expire(now_ms);
    for (size_t i = 0; i < PERSON_LINKS_MAX && !socket; i++) {
        link_t *link = &s_links[i];
        if (link->socket && link->service == service && memcmp(link->id_hash, id_hash, 32) == 0) {
            socket = link->socket;
            link->socket = NULL;
        }
    }
    pthread_mutex_unlock(&s_lock);
    return socket;
}

void person_links_give(const unsigned char id_hash[32], service_id_t service, zsock_t **socket_p, int64_t now_ms)
{
    pthread_mutex_lock(&s_lock);
    s_expire(now_ms);
    link_t *slot = NULL;
    for (size_t i = 0; i < PERSON_LINKS_MAX; i++) {
        link_t *link = &s_links[i];
        if (!link->socket) {
            slot = link;
            break;
        }
        if (!slot || link->used_ms < slot->used_ms)
            slot = link;
    }
    zsock_destroy(&slot->socket);          /* the oldest, when none is free */
    memcpy(slot->id_hash, id_hash, 32);
    slot->service = service;
    slot->socket = *socket_p;
    slot->used_ms = now_ms;
    *socket_p = NULL;
    pthread_mutex_unlock(&s_lock);
}

void person_links_drop(const unsigned char id_hash[32])
{
    pthread_mutex_lock(&s_lock);
    for (size_t i = 0; i < PERSON_LINKS_MAX; i++)
        if (s_links[i].socket && memcmp(s_links[i].id_hash, id_hash, 32) == 0)
            zsock_destroy(&s_links[i].socket);
    pthread_mutex_unlock(&s_lock);
}

void person_links_clear(void)
{
    pthread_mutex_lock(&s_lock);
    for (size_t i = 0; i < PERSON_LINKS_MAX; i++)
        zsock_destroy(&s_links[i].socket);
    pthread_mutex_unlock(&s_lock);
}
