/*  tests/notify/print_letters.c - writes one composed e-mail per kind of
 *  letter into a folder (argv[1]/<kind>.eml), every variable set to text an
 *  applicant could have typed to break a mail (line breaks, a header of its
 *  own, HTML, accents), for check_message.py to read back with Python's
 *  email parser. */
#include "services/notify/letters.h"
#include "services/notify/message.h"
#include "services/notify/template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_HOSTILE "Zoé <b>&\"' \r\nBcc: victim@example.com\r\n"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FOLDER\n", argv[0]);
        return 2;
    }
    const template_spec_t *specs;
    size_t count = letters_specs(&specs);
    for (size_t i = 0; i < count; i++) {
        char err[512];
        template_t *t = template_load(ESSP_NOTIFY_TEMPLATES_DIR, &specs[i], err, sizeof err);
        if (!t) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        vars_t *v = vars_new();
        for (const char *const *n = specs[i].names; *n; n++)
            vars_set(v, *n, S_HOSTILE);
        for (const char *const *s = specs[i].sections; *s; s++) {
            vars_add_item(v, *s);
            vars_add_item(v, *s);
        }
        char *subject, *text, *html, *bytes;
        size_t len;
        if (template_render(t, v, &subject, &text, &html, err, sizeof err)) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        char id[160];
        message_id_make(id, sizeof id, "intake", 42, 1796515200, "contact@mutuelle.example", "example.org");
        bool digest = !strncmp(specs[i].kind, "member_", 7);
        message_t m = { .date = 1796515200, .message_id = id, .from = "essp@example.org",
                        .to = "contact@mutuelle.example", .to_name = S_HOSTILE, .subject = subject,
                        .text = text, .html = html,
                        .list_unsubscribe = digest ? "http://127.0.0.1:7711/preferences" : NULL };
        if (message_compose(&m, &bytes, &len)) {
            fprintf(stderr, "%s: not composed\n", specs[i].kind);
            return 1;
        }
        char path[1024];
        snprintf(path, sizeof path, "%s/%s.eml", argv[1], specs[i].kind);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(bytes, 1, len, f) != len || fclose(f)) {
            perror(path);
            return 1;
        }
        free(subject), free(text), free(html), free(bytes);
        vars_destroy(&v);
        template_destroy(&t);
    }
    return 0;
}
