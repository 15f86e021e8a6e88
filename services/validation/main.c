/*  essp-validation: the charter, criterion by criterion (see validation.h). */
#include "validation.h"

int main(void)
{
    service_def_t def = {
        .id = SERVICE_VALIDATION,
        .handle = validation_handle,
        .upstreams = {{SERVICE_INTAKE, validation_apply_intake, NULL}},
        .upstream_count = 1,
        .log_tails = true,
    };
    return service_main(&def);
}
