/*  common/stream_key.h - the publication stream's signing key on disk.
 *
 *  The key is the publication service's: a 32-byte Ed25519 seed created on
 *  first start in $ESSP_HOME/keys/publication.key (hex, mode 0600), its
 *  public key in publication.pub (hex), and given out in the "hello" reply.
 *  How it signs is proto/stream_sign.h.
 */
#ifndef ESSP_COMMON_STREAM_KEY_H
#define ESSP_COMMON_STREAM_KEY_H

#include "proto/stream_sign.h"

/*  Reads the key from dir/publication.key, or creates it there (mode 0600,
 *  the directory 0700) when it does not exist yet, and writes its public
 *  half to dir/publication.pub.  0, or -1 (logged) when the file cannot be
 *  read or created or does not hold a key. */
int stream_sign_key_load_or_create(const char *dir, stream_sign_key_t *key);

#endif
