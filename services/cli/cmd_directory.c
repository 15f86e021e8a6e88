/*  services/cli/cmd_directory.c - what anyone may ask: the published
 *  directory (JSON lines or CSV), the publication stream, where the
 *  services listen and whether they answer.
 */
#include "commands.h"

#include "output.h"

#include "common/auth.h"
#include "proto/directory.h"
#include "proto/doc.h"
#include "proto/messages.h"

#include <czmq.h>
#include <stdio.h>

/*  The directory, filtered by the service, sorted by name: one JSON object
 *  per line, or CSV (RFC 4180, UTF-8, a header line).  Pages are followed
 *  with "next" until the service says there is no more. */
int cmd_directory(const args_t *args)
{
    static const char *const options[] = {"department", "theme", "format", "scope", "legal-form", "q"};
    static const char *const fields[] = {"department", "theme", "format", "scope", "legal_form", "q"};
    const char *values[6];
    for (size_t f = 0; f < 6; f++)
        values[f] = args_value(args, options[f]);
    bool csv = args_flag(args, "csv");
    if (csv)
        directory_csv_header(stdout);
    char after[512 + 1] = "";
    for (;;) {
        request_t r;
        request_init(&r, "directory",
                     proto_entries(2, values[0], values[1], values[2], values[3], values[4], values[5]));
        proto_pack_kv_str(&r.pk, "after", after);
        proto_pack_kv_uint(&r.pk, "limit", PROTO_PAGE_MAX);
        for (size_t f = 0; f < 6; f++)
            if (values[f])
                proto_pack_kv_str(&r.pk, fields[f], values[f]);
        reply_t reply;
        int rc = client_call(SERVICE_PUBLICATION, &r.buf, 0, &reply);
        msgpack_sbuffer_destroy(&r.buf);
        if (rc != EXIT_OK) {
            reply_release(&reply);
            return rc;
        }
        const msgpack_object *entries = doc_array(&reply.msg, "entries");
        if (csv)
            for (size_t i = 0; i < doc_len(entries); i++)
                directory_csv_row(stdout, doc_at(entries, i));
        else
            output_each(entries, stdout);
        bool more = doc_strcpy(&reply.msg, "next", after, sizeof after) > 0;
        reply_release(&reply);
        if (!more)
            break;
    }
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_REFUSED;
}

/*  Prints the publication stream from --from, then, with --follow, every
 *  new event as it is published; --pubkey prints the signing key (the
 *  stream's hello). */
int cmd_stream(const args_t *args)
{
    const char *from = args_value(args, "from");
    bool follow = args_flag(args, "follow");
    uint64_t cursor = 0;
    if (from && !cli_parse_u64(from, &cursor))
        return cli_usage("--from takes a sequence number");
    if (args_flag(args, "pubkey")) {
        if (from || follow)
            return cli_usage("--pubkey goes alone");
        request_t r;
        request_init(&r, "hello", 0);
        return request_call_and_print(SERVICE_PUBLICATION, &r, NULL);
    }
    while (!zsys_interrupted) {
        request_t r;
        request_init(&r, "pull", 3);
        proto_pack_kv_uint(&r.pk, "after", cursor);
        proto_pack_kv_uint(&r.pk, "max", PROTO_BATCH_MAX);
        proto_pack_kv_uint(&r.pk, "wait", follow ? 10000 : 0);
        reply_t reply;
        int rc = client_call(SERVICE_PUBLICATION, &r.buf, follow ? 10000 : 0, &reply);
        msgpack_sbuffer_destroy(&r.buf);
        if (rc != EXIT_OK) {
            reply_release(&reply);
            return rc;
        }
        const msgpack_object *events = doc_array(&reply.msg, "events");
        output_each(events, stdout);
        for (size_t i = 0; i < doc_len(events); i++)
            doc_uint(doc_at(events, i), "seq", &cursor);
        uint64_t head = 0;
        doc_uint(&reply.msg, "head", &head);
        reply_release(&reply);
        if (!follow && cursor >= head)
            return EXIT_OK;
    }
    return EXIT_OK;
}

int cmd_endpoints(const args_t *args)
{
    for (int s = 0; s < SERVICE_COUNT; s++) {
        char endpoint[CONFIG_ENDPOINT_MAX];
        config_connect_endpoint((service_id_t)s, endpoint, sizeof endpoint);
        printf("{\"service\":\"%s\",\"endpoint\":\"%s\"}\n", config_service_name((service_id_t)s),
               endpoint);
    }
    char http[CONFIG_ENDPOINT_MAX];
    config_http_connect_endpoint(http, sizeof http);
    printf("{\"service\":\"intake-http\",\"endpoint\":");
    output_json_string(http, stdout);
    printf("}\n");
    char desk[CONFIG_ENDPOINT_MAX];
    config_desk_url(desk, sizeof desk);
    printf("{\"service\":\"desk-http\",\"endpoint\":");
    output_json_string(desk, stdout);
    printf("}\n");
    static const service_id_t secured[] = {SERVICE_REVIEW, SERVICE_INTAKE, SERVICE_VALIDATION, SERVICE_DESK,
                                           SERVICE_NOTIFY};
    for (size_t i = 0; i < sizeof secured / sizeof *secured; i++) {
        char secure[CONFIG_ENDPOINT_MAX], key[CONFIG_PATH_MAX];
        config_secure_connect_endpoint(secured[i], secure, sizeof secure);
        auth_key_path("", config_service_name(secured[i]), ".cert", key, sizeof key);
        printf("{\"service\":\"%s-secure\",\"endpoint\":\"%s\",\"server_key\":",
               config_service_name(secured[i]), secure);
        output_json_string(key, stdout);
        printf("}\n");
    }
    return EXIT_OK;
}
