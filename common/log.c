/*  common/log.c - see log.h. */
#include "log.h"

#include "event_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { LEVEL_DEBUG, LEVEL_INFO, LEVEL_WARN, LEVEL_ERROR };

static int s_level = LEVEL_INFO;

void log_set_name(const char *name)
{
    event_log_set_service(name);
}

void log_set_level_from_env(void)
{
    const char *level = getenv("ESSP_LOG");
    if (!level)
        return;
    if (strcmp(level, "debug") == 0)
        s_level = LEVEL_DEBUG;
    else if (strcmp(level, "warn") == 0)
        s_level = LEVEL_WARN;
    else if (strcmp(level, "error") == 0)
        s_level = LEVEL_ERROR;
}

/* printf-like: the compiler checks every caller's format through log.h,
 * and accepts the non-literal fmt passed on to vsnprintf here. */
static void s_write(int level, const char *tag, const char *fmt, va_list args)
    __attribute__((format(printf, 3, 0)));

static void s_write(int level, const char *tag, const char *fmt, va_list args)
{
    if (level < s_level)
        return;
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, args);
    event_log_message(tag, msg);
}

#define S_LOG_FN(fn, level, tag)                                                              \
    void fn(const char *fmt, ...)                                                             \
    {                                                                                         \
        va_list args;                                                                         \
        va_start(args, fmt);                                                                  \
        s_write(level, tag, fmt, args);                                                       \
        va_end(args);                                                                         \
    }

S_LOG_FN(log_debug, LEVEL_DEBUG, "debug")
S_LOG_FN(log_info, LEVEL_INFO, "info")
S_LOG_FN(log_warn, LEVEL_WARN, "warn")
S_LOG_FN(log_error, LEVEL_ERROR, "error")
