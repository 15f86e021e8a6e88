/*  services/notify/smtp.h - one message to the SMTP server, with libcurl.
 *
 *  One client keeps one curl handle, so consecutive messages go over the
 *  same connection (libcurl keeps it open and starts the next transaction
 *  with MAIL FROM); a connection the server closed is opened again.  The
 *  outcome is read from the server's reply code (CURLINFO_RESPONSE_CODE),
 *  its last refusal and the command that refusal answered (both kept from
 *  libcurl's debug callback, so that a refusal is recorded in the server's
 *  own words and judged by what it refused).
 *
 *  Only a refusal of the letter itself is final: a 5xx to RCPT TO (this
 *  recipient) or to the end of the data (this message).  A refusal of the
 *  session (a 4xx or 5xx to the greeting, EHLO, STARTTLS, AUTH or MAIL
 *  FROM; AUTH denied; a TLS failure) says nothing about the letter: the
 *  password, the sender address or the TLS settings are wrong, or the
 *  server is busy, and every letter would meet the same answer.
 */
#ifndef ESSP_NOTIFY_SMTP_H
#define ESSP_NOTIFY_SMTP_H

#include "sender.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    SMTP_SENT,        /* the server answered 250 to the end of DATA */
    SMTP_RETRY,       /* a 4xx to RCPT TO or to the end of DATA: this letter, later */
    SMTP_FAILED,      /* a 5xx to RCPT TO or to the end of DATA: refused for good */
    SMTP_UNAVAILABLE, /* no answer, or the session refused: no letter goes for now */
} smtp_outcome_t;

typedef struct {
    smtp_outcome_t outcome;
    long code;                   /* the server's last reply code, 0 when none */
    bool refused;                /* the server answered a refusal (else no answer) */
    const char *stage;           /* the command refused or unanswered ("AUTH", ...) */
    char answer[512];            /* its reply line, or libcurl's error: printable ASCII */
} smtp_result_t;

typedef struct smtp_client_t smtp_client_t;

/*  A client for config's server; NULL when libcurl cannot start. */
smtp_client_t *smtp_client_new(const sender_config_t *config);
void smtp_client_destroy(smtp_client_t **self_p);

/*  Sends data (a whole RFC 5322 message, CRLF lines) from `from` to `to`. */
void smtp_client_send(smtp_client_t *self, const char *from, const char *to, const char *data,
                      size_t size, smtp_result_t *result);

/*  Copies len bytes of a server's line into out (cap > 0), each byte that
 *  is not printable ASCII as '?', cut to cap - 1: what the core stores
 *  must be valid UTF-8, whatever charset the server speaks. */
void smtp_printable(const char *in, size_t len, char *out, size_t cap);

/*  Whether host (as in a URL: a name, an IPv4 address, [IPv6]) is this
 *  machine's loopback. */
bool smtp_host_is_loopback(const char *host);

#endif
