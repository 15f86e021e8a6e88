/*  services/notify/schedule.h - the letters that come from the calendar,
 *  not from an event: the committee's daily digest and the reminders.
 *
 *  A thread of notify's own wakes once a day at ESSP_MAIL_DIGEST_HOUR
 *  (Paris time, default 8): it asks review which files wait for which
 *  member (`pending`, on review's authenticated endpoint with notify's own
 *  service key) and gives that to the core (`mail_digest`), which writes
 *  one digest per member; and it asks the core for the reminders due
 *  (`mail_tick`: listings ending in 60 and 14 days).  It asks for the
 *  reminders once when notify starts too, so that a day the service was
 *  down is caught up.  Both requests are idempotent in the core (one
 *  digest per member and day, one reminder per listing and date), so
 *  staff may trigger them again (`essp mail digest`, `essp mail tick`).
 */
#ifndef ESSP_NOTIFY_SCHEDULE_H
#define ESSP_NOTIFY_SCHEDULE_H

#include <stdint.h>

typedef struct schedule_t schedule_t;

/*  Starts the thread: inproc is the core's endpoint, secret_hex what the
 *  core's scheduled requests carry (notify.h).  NULL on failure. */
schedule_t *schedule_new(const char *inproc, const char *secret_hex);

/*  Stops the thread and joins it. */
void schedule_destroy(schedule_t **self_p);

/*  Paris's offset from UTC at the instant t (unix seconds): 3600 in
 *  winter, 7200 in summer (EU rule: from the last Sunday of March to the
 *  last Sunday of October, at 01:00 UTC).  Computed, not read from the
 *  process's TZ: the services run in UTC. */
int schedule_paris_offset(int64_t t);

/*  The first instant after `now` when Paris's clock reads hour:00. */
int64_t schedule_next_at_hour(int64_t now, int hour);

#endif
