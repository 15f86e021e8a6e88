/*  essp-publication: the directory and the stream downstream sites consume
 *  (see publication.h).  The signing key is read, or created on first
 *  start, in $ESSP_HOME/keys before the service opens its store; a
 *  rotation waiting there (publication.next) is adopted at start. */
#include "publication.h"

#include "common/config.h"
#include "common/event_log.h"
#include "common/log.h"
#include "common/stream_key.h"

#include <sodium.h>

int main(void)
{
    log_set_name("publication");
    log_set_level_from_env();
    /* What the key's loading says goes to the service's log already. */
    event_log_open("publication");
    char dir[CONFIG_PATH_MAX];
    config_path("keys", dir, sizeof dir);
    stream_sign_key_t key;
    if (stream_sign_key_load_or_create(dir, &key) != 0)
        return 1;
    service_def_t def = {
        .id = SERVICE_PUBLICATION,
        .dbs = publication_dbs,
        .ctx = publication_context_new(&key),
        .start = publication_start,
        .attach = publication_attach,
        .handle = publication_handle,
        .upstreams = {{SERVICE_REVIEW, publication_apply_review, NULL}},
        .upstream_count = 1,
        /* An upsert's entry is also in its signed content: kept once. */
        .log_signed_copy = "entry",
    };
    publication_set_key_dir(def.ctx, dir);
    sodium_memzero(&key, sizeof key);
    int code = service_main(&def);
    publication_context_destroy(&def.ctx);
    return code;
}
