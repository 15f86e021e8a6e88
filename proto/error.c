/*  proto/error.c - see error.h. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int proto_error_set(proto_error_t *err, const char *field, const char *rule,
                    const char *fmt, ...)
{
    if (!err)
        return -1;
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    snprintf(err->rule, sizeof err->rule, "%s", rule ? rule : "");
    va_list args;
    va_start(args, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, args);
    va_end(args);
    return -1;
}

void proto_error_clear(proto_error_t *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}
