/*  essp-desk: the committee and the staff on the web (see core.h for what
 *  it stores, site.h for its pages, SECURITY.md for its design). */
#include "core.h"
#include "http.h"
#include "session_keys.h"

#include "common/event_log.h"
#include "common/log.h"

#include <sodium.h>

static desk_http_t *s_http;

/*  The web site starts once the ROUTER it sends to is bound. */
static int s_attach(void *ctx, service_t *svc)
{
    desk_core_t *core = ctx;
    s_http = desk_http_new(service_inproc_endpoint(svc), core->inproc);
    return s_http ? 0 : -1;
}

static void s_detach(void *ctx, service_t *svc)
{
    desk_http_destroy(&s_http);
    session_keys_clear();
}

int main(void)
{
    /* What the start says before the shell runs goes to the service's log. */
    log_set_name("desk");
    event_log_open("desk");
    if (sodium_init() < 0)
        return 1;
    service_def_t def = {
        .id = SERVICE_DESK,
        .dbs = desk_dbs,
        .ctx = desk_core_new(),
        .start = desk_start,
        .handle = desk_handle,
        .attach = s_attach,
        .detach = s_detach,
        .secure_types = desk_secure_types,
    };
    if (!def.ctx)
        return 1;
    int code = service_main(&def);
    desk_core_destroy(&def.ctx);
    return code;
}
