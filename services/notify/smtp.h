/*  services/notify/smtp.h - one message to the SMTP server, with libcurl.
 *
 *  One client keeps one curl handle, so consecutive messages go over the
 *  same connection (libcurl keeps it open and starts the next transaction
 *  with MAIL FROM); a connection the server closed is opened again.  The
 *  outcome is read from the server's reply code (CURLINFO_RESPONSE_CODE)
 *  and its last reply line (kept from libcurl's debug callback, so that a
 *  refusal is recorded in the server's own words).
 */
#ifndef ESSP_NOTIFY_SMTP_H
#define ESSP_NOTIFY_SMTP_H

#include "sender.h"

#include <stddef.h>

typedef enum {
    SMTP_SENT,        /* the server answered 250 to the end of DATA */
    SMTP_RETRY,       /* 4xx, or no answer (connection refused, lost, timed out) */
    SMTP_FAILED,      /* 5xx: the server refuses it for good */
} smtp_outcome_t;

typedef struct {
    smtp_outcome_t outcome;
    long code;                   /* the server's last reply code, 0 when none */
    char answer[512];            /* its last reply line, or libcurl's error */
} smtp_result_t;

typedef struct smtp_client_t smtp_client_t;

/*  A client for config's server; NULL when libcurl cannot start. */
smtp_client_t *smtp_client_new(const sender_config_t *config);
void smtp_client_destroy(smtp_client_t **self_p);

/*  Sends data (a whole RFC 5322 message, CRLF lines) from `from` to `to`. */
void smtp_client_send(smtp_client_t *self, const char *from, const char *to, const char *data,
                      size_t size, smtp_result_t *result);

#endif
