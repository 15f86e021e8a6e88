/*  services/cli/cmd_stream_key.c - essp stream rotate-key: a new key for
 *  the publication stream.
 *
 *  Run on the publication host, as the user the service runs as (the same
 *  ESSP_HOME): it writes the next key's seed to keys/publication.next
 *  (0600, never over a rotation already waiting), then sends publication a
 *  hello, at which it adopts the key: a "key" event signed with the old
 *  key names the new one and the seq from which it signs (proto/stream.md
 *  section 2.1).  A second hello, once that is committed, lets it keep the
 *  old key as publication.key.N and make the new one publication.key.
 *  The right to rotate is the right to write the key folder: nothing on
 *  the network can ask for a rotation.
 */
#include "commands.h"

#include "common/stream_key.h"
#include "output.h"
#include "proto/doc.h"
#include "proto/messages.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/*  A hello to publication; EXIT_OK with the reply's key in hex. */
static int s_hello(char key[STREAM_SIGN_HEX_MAX], reply_t *reply)
{
    request_t r;
    request_init(&r, "hello", 0);
    int rc = client_call_plain(SERVICE_PUBLICATION, &r.buf, 0, reply);
    msgpack_sbuffer_destroy(&r.buf);
    key[0] = '\0';
    if (rc == EXIT_OK && doc_strcpy(&reply->msg, "key", key, STREAM_SIGN_HEX_MAX) < 0)
        key[0] = '\0';
    return rc;
}

int cmd_stream_rotate_key(const args_t *args)
{
    (void)args;
    char dir[CONFIG_PATH_MAX], path[CONFIG_PATH_MAX + 32];
    config_path("keys", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/publication.key", dir);
    if (access(path, F_OK) != 0) {
        fprintf(stderr, "essp stream rotate-key: no stream key in %s: run this on the publication host, "
                        "with its ESSP_HOME\n", dir);
        return EXIT_REFUSED;
    }
    unsigned char next[STREAM_SIGN_PUBLIC_BYTES];
    if (stream_sign_key_create_next(dir, next) != 0) {
        if (errno == EEXIST)
            fprintf(stderr, "essp stream rotate-key: a rotation is already waiting (%s/publication.next): "
                            "publication adopts it at its next start or hello\n", dir);
        else
            fprintf(stderr, "essp stream rotate-key: cannot write %s/publication.next: %s\n", dir,
                    strerror(errno));
        return EXIT_REFUSED;
    }
    char hex[STREAM_SIGN_HEX_MAX], key[STREAM_SIGN_HEX_MAX];
    stream_sign_public_hex(next, hex);
    reply_t reply;
    int rc = s_hello(key, &reply);
    if (rc == EXIT_OK && strcmp(key, hex) == 0) {
        /* Adopted and committed: this hello finishes the files. */
        reply_release(&reply);
        rc = s_hello(key, &reply);
    }
    if (rc != EXIT_OK || strcmp(key, hex) != 0) {
        reply_release(&reply);
        fprintf(stderr, "essp stream rotate-key: publication has not adopted the key yet; it does at its "
                        "next start (keys/publication.next)\n");
        output_pair("next", hex, "adopted", "no", stdout);
        return EXIT_OK;
    }
    output_object(&reply.msg, stdout);
    reply_release(&reply);
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_REFUSED;
}
