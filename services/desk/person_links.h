/*  services/desk/person_links.h - the connections the desk keeps open to
 *  review and intake on behalf of each logged-in person.
 *
 *  A call as the person (desk_call, site.h) needs a CURVE connection made
 *  with the person's key pair; its handshake costs a few milliseconds, as
 *  much as the page itself.  So a connection is kept after a call that
 *  was answered, one per session and service, and taken again by the
 *  session's next call (taken: used by one request at a time, as ZeroMQ
 *  sockets must be).  A connection idle for PERSON_LINK_IDLE_MS is closed,
 *  and so are a session's when it ends (person_links_drop): the
 *  authentication of a connection holds for its life, so none outlives
 *  its session by more than that.  A call that was not answered closes
 *  its connection (a late reply must never be read as another call's).
 *  Thread-safe.
 */
#ifndef ESSP_DESK_PERSON_LINKS_H
#define ESSP_DESK_PERSON_LINKS_H

#include "common/config.h"

#include <czmq.h>
#include <stdint.h>

#define PERSON_LINKS_MAX   128
#define PERSON_LINK_IDLE_MS 60000

/*  The session's open connection to service, taken out of the table, or
 *  NULL when there is none.  now_ms: a monotonic clock. */
zsock_t *person_links_take(const unsigned char id_hash[32], service_id_t service, int64_t now_ms);

/*  Puts a connection back after an answered call (closing the oldest one
 *  when the table is full); *socket_p is NULLed. */
void person_links_give(const unsigned char id_hash[32], service_id_t service, zsock_t **socket_p, int64_t now_ms);

/*  Closes the session's connections (its end). */
void person_links_drop(const unsigned char id_hash[32]);

/*  Closes every connection (at shutdown). */
void person_links_clear(void);

#endif
