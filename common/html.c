/*  common/html.c - see html.h. */
#include "html.h"

#include <string.h>

void html_escape(FILE *out, const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        switch (text[i]) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fputc(text[i], out);
        }
    }
}

void html_escape_z(FILE *out, const char *text)
{
    if (text)
        html_escape(out, text, strlen(text));
}
