/*  services/notify/sender.h - the thread that delivers the outbox.
 *
 *  It asks notify's core for the messages that are due, delivers each one
 *  (to the SMTP server with libcurl, or into the Maildir $ESSP_HOME/mail
 *  when no server is set) and tells the core how it went: sent (the
 *  server's 250), to be retried (a 4xx to the letter, no answer, or the
 *  session refused: the core schedules the next attempt with a capped
 *  exponential backoff), or failed for good (a 5xx to its recipient or
 *  its data, kept with the server's answer for the staff: `essp mail
 *  failed`).  It never writes LMDB: every change goes through the core's
 *  requests (core_link.h).  See sender.c for why each message arrives at
 *  least once, and the two windows where it may arrive twice.
 *
 *  Settings (environment, then essp.conf; see common/config.h):
 *    ESSP_SMTP_URL          smtp://host:port or smtps://host:port; unset:
 *                           the Maildir
 *    ESSP_SMTP_STARTTLS     1: STARTTLS is required on smtp:// (default 1
 *                           with a user, else 0); 0 with a user is
 *                           refused at start unless the host is loopback
 *    ESSP_SMTP_USER         AUTH user (unset: no AUTH)
 *    ESSP_SMTP_PASSWORD     its password (better: ESSP_SMTP_PASSWORD_FILE)
 *    ESSP_MAIL_FROM         the sender (the core composes From with it;
 *                           the envelope uses the letter's From)
 *    ESSP_SMTP_TIMEOUT_MS   longest one message's dialogue may take, the
 *                           answer to its data included (default 60000,
 *                           at most 540000: less than the core's lease)
 */
#ifndef ESSP_NOTIFY_SENDER_H
#define ESSP_NOTIFY_SENDER_H

#include <stdbool.h>
#include <stddef.h>

#define SENDER_URL_MAX 512
#define SENDER_SECRET_MAX 4097
#define SENDER_ADDRESS_MAX 321
#define SENDER_SECRET_HEX 64

typedef struct {
    char url[SENDER_URL_MAX];            /* "" : the Maildir */
    bool starttls;
    char user[256];
    char password[SENDER_SECRET_MAX];
    char mail_from[SENDER_ADDRESS_MAX];
    char maildir[512];                   /* $ESSP_HOME/mail */
    long connect_timeout_ms;
    long timeout_ms;
    const char *inproc;                  /* the core's in-process endpoint */
    char secret[SENDER_SECRET_HEX + 1];  /* what the core's outbox requests carry */
} sender_config_t;

typedef struct sender_t sender_t;

/*  The settings, read from the environment and essp.conf; inproc and
 *  secret_hex (notify.h: the secret of the outbox requests) from the
 *  shell. */
void sender_config_from_env(sender_config_t *config, const char *inproc, const char *secret_hex);

/*  Starts the thread (after creating the Maildir when it is the
 *  destination); NULL on failure. */
sender_t *sender_new(const sender_config_t *config);

/*  Stops the thread after the message in hand and joins it. */
void sender_destroy(sender_t **self_p);

#endif
