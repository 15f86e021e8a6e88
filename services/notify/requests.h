/*  services/notify/requests.h - the requests notify answers (notify.h
 *  describes each one, its fields and its reply). */
#ifndef ESSP_NOTIFY_REQUESTS_H
#define ESSP_NOTIFY_REQUESTS_H

#include "notify.h"

/*  Whether the request's "secret" is the sender's (constant time). */
bool requests_secret_ok(const notify_t *self, const service_request_t *req);

int requests_outbox_due(notify_t *self, service_t *svc, MDB_txn *txn, service_request_t *req);
int requests_outbox_mark(notify_t *self, service_t *svc, MDB_txn *txn, service_request_t *req);
int requests_mail_tick(notify_t *self, service_t *svc, MDB_txn *txn, service_request_t *req);
int requests_mail_digest(notify_t *self, service_t *svc, MDB_txn *txn, service_request_t *req);
int requests_mail_failed(notify_t *self, service_t *svc, MDB_txn *txn, service_request_t *req);

/*  How long a letter handed to the sender stays out of outbox_due: longer
 *  than any SMTP dialogue (libcurl's timeouts are shorter). */
#define REQUESTS_LEASE 600

#endif
