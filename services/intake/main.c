/*  essp-intake: the gateway applicants submit to (see intake.h). */
#include "intake.h"

#include <sodium.h>

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    service_def_t def = {
        .id = SERVICE_INTAKE,
        .dbs = intake_dbs,
        .ctx = intake_context_new(),
        .handle = intake_handle,
        .upstreams = {{SERVICE_VALIDATION, intake_apply_validation},
                      {SERVICE_REVIEW, intake_apply_review},
                      {SERVICE_PUBLICATION, intake_apply_publication}},
        .upstream_count = 3,
    };
    int code = service_main(&def);
    intake_context_destroy(&def.ctx);
    return code;
}
