/*  common/stream_key.h - the publication stream's signing key on disk.
 *
 *  The key is the publication service's: a 32-byte Ed25519 seed created on
 *  first start in $ESSP_HOME/keys/publication.key (hex, mode 0600), its
 *  public key in publication.pub (hex), and given out in the "hello" reply.
 *  How it signs is proto/stream_sign.h.
 *
 *  Rotation (proto/stream.md section 2.1), as files in the same folder:
 *    publication.next     the next key's seed, written by `essp stream
 *                         rotate-key` on the publication host (0600, never
 *                         over an existing one);
 *    publication.key.N    the N-th key of the stream's chain once retired
 *    publication.pub.N    (N = 1 for the first key), kept for the record
 *                         and to sign again the redacted events of the
 *                         seqs it signed.
 *  The publication service adopts publication.next (it announces it in
 *  its stream, then records it in its store), and only once that is
 *  committed retires the old key: stream_sign_key_retire.
 */
#ifndef ESSP_COMMON_STREAM_KEY_H
#define ESSP_COMMON_STREAM_KEY_H

#include "proto/stream_sign.h"

/*  Reads the key from dir/publication.key, or creates it there (mode 0600,
 *  the directory 0700) when it does not exist yet, and writes its public
 *  half to dir/publication.pub.  0, or -1 (logged) when the file cannot be
 *  read or created or does not hold a key. */
int stream_sign_key_load_or_create(const char *dir, stream_sign_key_t *key);

/*  Reads a seed file (64 hex digits) into key.  0; -1 with errno ENOENT
 *  when the file does not exist, EINVAL when it holds no key. */
int stream_sign_key_read(const char *path, stream_sign_key_t *key);

/*  Creates dir/publication.next with a fresh random seed (mode 0600, never
 *  over an existing file) and gives its public key.  0, or -1 with errno
 *  (EEXIST: a rotation is already pending). */
int stream_sign_key_create_next(const char *dir, unsigned char public_key[STREAM_SIGN_PUBLIC_BYTES]);

/*  Once the stream signs with the key of dir/publication.next: keeps the
 *  old dir/publication.key as publication.key.N (a hard link, so that
 *  publication.key never stops existing) with its public half in
 *  publication.pub.N, then renames publication.next over publication.key
 *  and rewrites publication.pub.  Each step is atomic and the whole may be
 *  run again after a crash.  0, or -1 (logged). */
int stream_sign_key_retire(const char *dir, unsigned n);

#endif
