/*  essp-publication: the directory and the stream downstream sites consume
 *  (see publication.h). */
#include "publication.h"

int main(void)
{
    service_def_t def = {
        .id = SERVICE_PUBLICATION,
        .dbs = publication_dbs,
        .ctx = publication_context_new(),
        .handle = publication_handle,
        .upstreams = {{SERVICE_REVIEW, publication_apply_review}},
        .upstream_count = 1,
    };
    int code = service_main(&def);
    publication_context_destroy(&def.ctx);
    return code;
}
