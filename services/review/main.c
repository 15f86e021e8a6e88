/*  essp-review: the committee's queue, votes and decisions (see review.h). */
#include "review.h"

int main(void)
{
    service_def_t def = {
        .id = SERVICE_REVIEW,
        .dbs = review_dbs,
        .ctx = review_context_new(review_rules_from_env()),
        .handle = review_handle,
        .upstreams = {{SERVICE_VALIDATION, review_apply_validation, NULL}},
        .upstream_count = 1,
        .secure_types = review_secure_types,
    };
    int code = service_main(&def);
    review_context_destroy(&def.ctx);
    return code;
}
