/*  services/cli/cmd_networks.c - the list of ESS networks (proto/networks.h):
 *  what staff type after --network, and the name a declared network is
 *  known by.
 */
#include "commands.h"

#include "output.h"

#include "proto/networks.h"

#include <stdio.h>
#include <string.h>

/*  One network as one line of JSON: {"code", "name", "aliases": [...]}. */
static void s_print(const network_t *n, FILE *out)
{
    fputs("{\"code\":", out);
    output_json_string(n->code, out);
    fputs(",\"name\":", out);
    output_json_string(n->name, out);
    fputs(",\"aliases\":[", out);
    for (size_t a = 0; n->aliases[a]; a++) {
        if (a)
            fputc(',', out);
        output_json_string(n->aliases[a], out);
    }
    fputs("]}\n", out);
}

/*  essp networks [NAME]: the whole list, or the network NAME designates
 *  (exit 1 when it is not in the list: it is then compared as free text). */
int cmd_networks(const args_t *args)
{
    if (args->positionals > 1)
        return cli_usage("expects at most one NAME");
    if (args->positionals == 1) {
        const network_t *n = networks_find(args->pos[0], strlen(args->pos[0]));
        if (!n) {
            fprintf(stderr, "essp: '%s' is not in the list of networks; it is compared with other "
                            "declarations as written (case, accents and punctuation aside)\n", args->pos[0]);
            return EXIT_REFUSED;
        }
        s_print(n, stdout);
        return EXIT_OK;
    }
    size_t count;
    const network_t *all = networks_all(&count);
    for (size_t i = 0; i < count; i++)
        s_print(&all[i], stdout);
    return EXIT_OK;
}

void cli_note_unknown_networks(const args_t *args)
{
    for (size_t i = 0; i < args->values; i++) {
        const char *value = args->value[i];
        bool network = strcmp(args->name[args->value_of[i]], "network") == 0;
        if (network && !networks_find(value, strlen(value)))
            fprintf(stderr, "essp: note: network '%s' is not in the list (essp networks); "
                            "it will match only the same name, written the same way\n", value);
    }
}
