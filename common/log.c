/*  common/log.c - see log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

enum { LEVEL_DEBUG, LEVEL_INFO, LEVEL_WARN, LEVEL_ERROR };

static const char *s_name = "essp";
static int s_level = LEVEL_INFO;

void log_set_name(const char *name)
{
    s_name = name;
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
    struct timeval now;
    gettimeofday(&now, NULL);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    char line[1024];
    vsnprintf(line, sizeof line, fmt, args);
    fprintf(stderr, "%s.%03dZ %s %s %s\n", stamp, (int)(now.tv_usec / 1000), s_name, tag, line);
}

#define S_LOG_FN(fn, level, tag)                                                              \
    void fn(const char *fmt, ...)                                                             \
    {                                                                                         \
        va_list args;                                                                         \
        va_start(args, fmt);                                                                  \
        s_write(level, tag, fmt, args);                                                       \
        va_end(args);                                                                         \
    }

S_LOG_FN(log_debug, LEVEL_DEBUG, "DEBUG")
S_LOG_FN(log_info, LEVEL_INFO, "INFO")
S_LOG_FN(log_warn, LEVEL_WARN, "WARN")
S_LOG_FN(log_error, LEVEL_ERROR, "ERROR")
