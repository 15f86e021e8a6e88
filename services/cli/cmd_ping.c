/*  services/cli/cmd_ping.c - essp ping: whether each service answers and
 *  is ready (its `health`, proto/README.md section 5.1), as a table.
 *
 *    service      ready  head  follows      cursor  head  lag  rewound
 *    intake       yes      12  validation       10    10    0  no
 *    review       NO        4  validation        3     9    6  no
 *      waiting: following validation: not answered since 12 s
 *    notify       DOWN      -  (no answer)
 *
 *  Exit 0 when every service asked is ready, 3 when one does not answer,
 *  else 4 (EXIT_NOT_READY) when one answers but is not ready: what
 *  deploy/up waits on.
 */
#include "client.h"
#include "commands.h"

#include "proto/doc.h"
#include "proto/messages.h"

#include <stdio.h>
#include <string.h>


static void s_print_stream(const msgpack_object *stream, bool first)
{
    char producer[32] = "?";
    uint64_t cursor = 0, head = 0, lag = 0;
    doc_strcpy(stream, "producer", producer, sizeof producer);
    doc_uint(stream, "cursor", &cursor);
    doc_uint(stream, "head", &head);
    doc_uint(stream, "lag", &lag);
    if (!first)
        printf("%-12s %-5s %6s", "", "", "");
    printf("  %-12s %8llu %8llu %6llu  %s\n", producer, (unsigned long long)cursor, (unsigned long long)head,
           (unsigned long long)lag, doc_bool(stream, "rewound", false) ? "YES" : "no");
}

/*  One service's rows; returns its exit code. */
static int s_ping(service_id_t service)
{
    request_t r;
    request_init(&r, "health", 0);
    reply_t reply;
    int rc = client_call_plain(service, &r.buf, 0, &reply);
    msgpack_sbuffer_destroy(&r.buf);
    const char *name = config_service_name(service);
    if (rc != EXIT_OK) {
        printf("%-12s %-5s %6s  (%s)\n", name, rc == EXIT_UNREACHABLE ? "DOWN" : "ERROR", "-",
               rc == EXIT_UNREACHABLE ? "no answer" : "refused the health request");
        reply_release(&reply);   /* a refusal holds its frame */
        return rc;
    }
    bool ready = doc_bool(&reply.msg, "ready", false);
    uint64_t head = 0;
    doc_uint(&reply.msg, "head", &head);
    printf("%-12s %-5s %6llu", name, ready ? "yes" : "NO", (unsigned long long)head);
    const msgpack_object *streams = doc_array(&reply.msg, "streams");
    size_t n = streams ? doc_len(streams) : 0;
    if (n == 0)
        printf("  %-12s\n", "-");
    for (size_t i = 0; i < n; i++)
        s_print_stream(doc_at(streams, i), i == 0);
    const msgpack_object *waiting = doc_array(&reply.msg, "waiting");
    for (size_t i = 0; waiting && i < doc_len(waiting); i++) {
        const msgpack_object *line = doc_at(waiting, i);
        if (line->type == MSGPACK_OBJECT_STR)
            printf("  waiting: %.*s\n", (int)line->via.str.size, line->via.str.ptr);
    }
    reply_release(&reply);
    return ready ? EXIT_OK : EXIT_NOT_READY;
}

int cmd_ping(const args_t *args)
{
    if (args->positionals > 1)
        return cli_usage("takes at most a service name");
    int only = args->positionals == 1 ? config_service_by_name(args->pos[0]) : -1;
    if (args->positionals == 1 && only < 0)
        return cli_usage("unknown service");
    printf("%-12s %-5s %6s  %-12s %8s %8s %6s  %s\n", "service", "ready", "head", "follows", "cursor", "head",
           "lag", "rewound");
    int worst = EXIT_OK;
    for (int s = 0; s < SERVICE_COUNT; s++) {
        if (only >= 0 && s != only)
            continue;
        int rc = s_ping((service_id_t)s);
        /* Down outranks not ready: the service to look at first. */
        if (rc != EXIT_OK && (worst == EXIT_OK || worst == EXIT_NOT_READY))
            worst = rc;
    }
    fflush(stdout);
    return worst;
}
