/*  services/desk/password.h - the rules a new password follows, and its
 *  storage.
 *
 *  A password has at least 12 characters (Unicode characters, not bytes),
 *  at most 200 bytes, is not in the list of common passwords shipped with
 *  the project (common-passwords.txt, compared without regard to case),
 *  and is neither the person's e-mail address nor their name.  It is
 *  stored as crypto_pwhash_str (Argon2id, libsodium's interactive
 *  limits), and the key that seals the person's secrets is derived from it
 *  apart (sealed_key_from_password, its own salt).
 */
#ifndef ESSP_DESK_PASSWORD_H
#define ESSP_DESK_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#define PASSWORD_MIN_CHARS 12
#define PASSWORD_MAX_BYTES 200

/*  NULL when password may be chosen; else what is wrong and what to do,
 *  in French (static text). */
const char *password_problem(const char *password, const char *email, const char *name);

/*  True when the text (any case) is in the list of common passwords. */
bool password_is_common(const char *password);

/*  How many entries the list has (the tests check it is the whole list). */
size_t password_common_count(void);

#endif
