/*  services/desk/core_impl.h - what core.c and core_web.c share (not an
 *  API: the core's requests are the API). */
#ifndef ESSP_DESK_CORE_IMPL_H
#define ESSP_DESK_CORE_IMPL_H

#include "core.h"

#include <msgpack.h>
#include <stdbool.h>

enum { DB_ACCOUNTS, DB_INVITATIONS, DB_SESSIONS, DB_THROTTLES };

typedef struct {
    msgpack_sbuffer buf;
    msgpack_packer pk;
} core_buffer_t;

void core_buffer_init(core_buffer_t *b);
/*  Stores the packed bytes under key and frees the buffer. */
int core_buffer_put(core_buffer_t *b, MDB_txn *txn, MDB_dbi db, const void *key, size_t key_len);
void core_pack_bin(msgpack_packer *pk, const char *key, const void *bytes, size_t len);
/*  The bin value of key when it has exactly len bytes. */
bool core_bin(const msgpack_object *map, const char *key, const void **bytes, size_t len);
/*  The request's "email", folded; 0 or the refusal. */
int core_email_of(service_request_t *req, char *out, size_t cap);
/*  Deletes the sessions of email, but keep (a session hash, or NULL). */
int core_end_sessions(service_t *svc, MDB_txn *txn, const char *email, const void *keep);

int core_web_get(desk_core_t *self, service_t *svc, MDB_txn *txn, service_request_t *req);
int core_web_write(desk_core_t *self, service_t *svc, MDB_txn *txn, service_request_t *req);

#endif
