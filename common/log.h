/*  common/log.h - one line per event on stderr, for people and for grep.
 *
 *  "2026-11-26T10:00:00.123Z intake INFO accepted a3k... revision 1"
 *  Logs are in English; deploy/up sends each service's stderr to
 *  $ESSP_HOME/log/<service>.log.
 */
#ifndef ESSP_COMMON_LOG_H
#define ESSP_COMMON_LOG_H

/*  Names the process in every line (the service name). */
void log_set_name(const char *name);

/*  Only messages at or above this level are written; ESSP_LOG=debug|info|warn. */
void log_set_level_from_env(void);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
