/*  essp-intake: the gateway applicants submit to (see intake.h), over
 *  ZeroMQ and over HTTP (see http.h). */
#include "http.h"
#include "intake.h"

#include "common/entropy.h"
#include "common/event_log.h"
#include "common/log.h"

#include <sodium.h>

static http_t *s_http;

/*  The HTTP gateway starts once the ROUTER it sends to is bound. */
static int s_attach(void *ctx, service_t *svc)
{
    http_config_t config;
    http_config_from_env(&config, service_inproc_endpoint(svc));
    s_http = http_new(&config);
    return s_http ? 0 : -1;
}

static void s_detach(void *ctx, service_t *svc)
{
    http_destroy(&s_http);
}

int main(void)
{
    /* What the start says before the shell runs goes to the service's log. */
    entropy_install();
    log_set_name("intake");
    event_log_open("intake");
    if (sodium_init() < 0)
        return 1;
    void *ctx = intake_context_new();
    if (!ctx)
        return 1;
    service_def_t def = {
        .id = SERVICE_INTAKE,
        .dbs = intake_dbs,
        .ctx = ctx,
        .start = intake_start,
        .handle = intake_handle,
        .before_commit = intake_before_commit,
        .ended = intake_ended,
        .gauges = intake_gauges,
        .upstreams = {{SERVICE_VALIDATION, intake_apply_validation, intake_validation_omit},
                      {SERVICE_REVIEW, intake_apply_review, intake_review_omit},
                      {SERVICE_PUBLICATION, intake_apply_publication, intake_publication_omit}},
        .upstream_count = 3,
        .attach = s_attach,
        .detach = s_detach,
        .secure_types = intake_secure_types,
        .room_types = intake_room_types,
    };
    int code = service_main(&def);
    intake_context_destroy(&def.ctx);
    return code;
}
