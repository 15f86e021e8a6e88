/*  common/log.h - what a program says, for operators.
 *
 *  Each message is one JSON line (common/event_log.h, kind "message"):
 *    {"time":"2026-11-26T10:00:00.123Z","service":"intake","kind":"message",
 *     "level":"info","msg":"listening on tcp://127.0.0.1:7700, log head 0"}
 *  the same format, and the same place, as the lines of the requests and
 *  events: a service's own file under $ESSP_HOME/log/ or the journal;
 *  stderr for a program that does not open the log.  Logs are in English.
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
