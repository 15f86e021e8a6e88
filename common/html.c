/*  common/html.c - see html.h. */
#include "html.h"

#include "proto/networks.h"

#include <string.h>

/* The entity of a character HTML gives a meaning to, or NULL. */
static const char *s_entity(char c)
{
    switch (c) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '"': return "&quot;";
    case '\'': return "&#39;";
    default: return NULL;
    }
}

/* Writes the runs between special characters with one fwrite each: pages
 * are mostly plain text, and a call per character was the largest cost of
 * rendering the form. */
void html_escape(FILE *out, const char *text, size_t len)
{
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        const char *entity = s_entity(text[i]);
        if (!entity)
            continue;
        if (i > run)
            fwrite(text + run, 1, i - run, out);
        fputs(entity, out);
        run = i + 1;
    }
    if (len > run)
        fwrite(text + run, 1, len - run, out);
}

void html_escape_z(FILE *out, const char *text)
{
    if (text)
        html_escape(out, text, strlen(text));
}

void html_networks_list(FILE *out)
{
    size_t count;
    const network_t *all = networks_all(&count);
    fprintf(out, "<details class=\"help\"><summary>Réseaux reconnus (%zu)</summary>\n<ul>\n", count);
    for (size_t i = 0; i < count; i++) {
        fputs("<li>", out);
        html_escape_z(out, all[i].name);
        fputs("</li>\n", out);
    }
    fputs("</ul>\n</details>\n", out);
}
