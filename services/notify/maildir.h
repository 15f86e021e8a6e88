/*  services/notify/maildir.h - mail kept on disk when no SMTP server is
 *  set: a Maildir (tmp/, new/, cur/) under $ESSP_HOME/mail, one .eml file
 *  per message, so that whoever runs the stack reads what it would have
 *  sent with any mail reader (mutt -f $ESSP_HOME/mail) or a text editor.
 *
 *  A message is written into tmp/, synced, then renamed into new/ (a
 *  reader never sees half a message) and the directory synced.  Its name
 *  is made from the message's own key, unique in the outbox: written again
 *  after a crash, it replaces itself instead of arriving twice.
 */
#ifndef ESSP_NOTIFY_MAILDIR_H
#define ESSP_NOTIFY_MAILDIR_H

#include <stddef.h>

/*  Creates root/tmp, root/new and root/cur; 0 or -1 (errno). */
int maildir_prepare(const char *root);

/*  Delivers data as root/new/<digest of key>.<host>.eml; 0, or -1 with
 *  errno (a full disk: the core retries it later). */
int maildir_deliver(const char *root, const void *key, size_t key_len, const char *data, size_t size);

#endif
