/*  common/event_log.h - what happened, one JSON line at a time.
 *
 *  Every line a service writes is one JSON object on one line, for
 *  people (jq, grep) and for the journal:
 *    {"time":"2026-12-06T08:00:00.123Z","service":"intake","kind":"request",
 *     "type":"submit","id":"a3k...","outcome":"ok","us":812}
 *  kinds:
 *    "request"  a request the service answered: its type, the application
 *               it concerns ("id"), "outcome" ("ok" or the error code),
 *               "rule" of a refusal, "us" from receipt to reply, "actor"
 *               the member or staff key's name;
 *    "event"    an event of an upstream stream, applied and committed:
 *               "stream", "seq", "type", "id", "outcome";
 *    "http"     a page or call of an HTTP front end: "method", "path"
 *               (never a query string or a token), "status", "us",
 *               "actor" (the desk's account name when logged in);
 *    "message"  what the service says (common/log.h): "level", "msg".
 *  Only these fields are ever written: never a token, a password, an
 *  e-mail address or any field of an application.  Every string is
 *  escaped (a hostile byte, broken UTF-8 becomes U+FFFD).
 *
 *  Where they go (event_log_open): under systemd (JOURNAL_STREAM names
 *  our stderr, systemd.exec(5)) to stderr, that is the journal, one line
 *  per entry, with a <N> priority prefix the journal takes off; otherwise
 *  to $ESSP_HOME/log/<service>.log, rotated by size (ESSP_LOG_MAX_BYTES,
 *  default 10 MiB; ESSP_LOG_FILES files kept, default 5: <service>.log,
 *  <service>.log.1 ... .log.4).  A process that never opens the log (the
 *  essp tool, the mirror) writes its lines to stderr.
 *
 *  A line is never cut: each is built whole and written with one
 *  write(2), alone or with the other whole lines of a turn; a write that
 *  cannot go in whole (disk full) is taken back and its lines counted
 *  (event_log_lost).  Thread-safe.
 */
#ifndef ESSP_COMMON_EVENT_LOG_H
#define ESSP_COMMON_EVENT_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*  The longest line (longer strings are shortened, the line stays whole):
 *  PIPE_BUF, so a line to a pipe or the journal is one write too. */
#define EVENT_LOG_LINE_MAX 4096

/*  Names the process in every line ("intake"), before the first line. */
void event_log_set_service(const char *service);

/*  Sends the lines of a service to the journal or to its own rotated file
 *  (see above); 0, or -1 when the file cannot be opened (the lines then
 *  go to stderr, and a message says so). */
int event_log_open(const char *service);

/*  One request answered.  id, rule, actor: NULL or "" when there is none;
 *  outcome "ok" or an error code. */
void event_log_request(const char *type, const char *id, const char *outcome, const char *rule,
                       int64_t us, const char *actor);

/*  One event of stream `stream` applied and committed. */
void event_log_event(const char *stream, uint64_t seq, const char *type, const char *id,
                     const char *outcome);

/*  One HTTP request of a front end.  path is cut at its query string;
 *  the caller removes any token in it first (event_log_path_without). */
void event_log_http(const char *method, const char *path, int status, int64_t us, const char *actor);

/*  Copies path into out without its query string and with every segment
 *  after the first `keep` replaced by "…" ("/suivi/ID/TOKEN", 2 →
 *  "/suivi/ID/…"): the way a front end keeps a token out of its log. */
void event_log_path_without(const char *path, size_t keep, char *out, size_t cap);

/*  From now on, the lines this thread writes are kept and written
 *  together by event_log_flush, in one write(2) (the service's loop does
 *  this for a turn's requests and events); messages still go out at once.
 *  Used by one thread at a time. */
void event_log_hold(void);
void event_log_flush(void);

/*  The monotonic clock in microseconds: the start of a duration. */
int64_t event_log_clock_us(void);

/*  A message (common/log.h): level "debug", "info", "warn", "error". */
void event_log_message(const char *level, const char *msg);

/*  Lines that could not be written whole since the start (disk full, an
 *  unwritable file): each is counted here and left out entirely. */
uint64_t event_log_lost(void);

/*  Testing: the same line builder, into out (cap >= EVENT_LOG_LINE_MAX);
 *  returns the length, newline included. */
size_t event_log_format_request(char *out, size_t cap, const char *type, const char *id,
                                const char *outcome, const char *rule, int64_t us, const char *actor);

#endif
