/*  common/service_room.c - the room a service takes and leaves: the disk
 *  under its store (warned about before it is short, new work refused
 *  before it is full) and the memory a backlog took (given back once the
 *  backlog is through).  See service_impl.h. */
#include "service_impl.h"

#include "log.h"
#include "proto/messages.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*  The disk is looked at once a second: a statvfs per turn would cost
 *  nothing much, but a second is well inside the time a disk takes to
 *  fill through the reserve. */
#define S_ROOM_PERIOD_MS 1000
/*  Warn below this share of the filesystem left. */
#define S_ROOM_WARN_PERCENT 10

/*  A turn whose buffers grew past this leaves them to malloc_trim once the
 *  service is idle; smaller ones are kept for the next turn. */
#define S_MEMORY_KEEP (1u << 20)
/*  A backlog is through when no big turn came for this long. */
#define S_MEMORY_THROUGH_MS 1000
/*  Memory is given back at most this often: a trim gives pages back that
 *  the next burst faults in again. */
#define S_MEMORY_RETURN_EVERY_MS 15000
/*  A turn of this many requests or stream events is part of a backlog. */
#define S_MEMORY_BIG_TURN 64

void service_room_init(service_t *self)
{
    /* Every thread's allocations in their own arena multiply what a
     * backlog leaves behind (the front end's threads, zmq's I/O thread):
     * two arenas are enough for a loop and its helpers. */
    mallopt(M_ARENA_MAX, (int)config_env_long("ESSP_MALLOC_ARENAS", 2, 1, 64));
    /* Fixed thresholds of 1 MiB.  A batch reply (hundreds of KiB, grown
     * by doubling) that came from a fresh mapping each time (a threshold
     * of 256 KiB), page-faulted in and unmapped at free(), or that shrank
     * the heap at each free() (glibc's trim threshold of 128 KiB), cost
     * half the CPU of passing an event on (the engine alone: 97 -> 51 us
     * per record over four stages; every munmap also interrupts the other
     * CPU to flush its TLB).  Higher (16 MiB, 64 MiB) the heap kept up to
     * 2.4 MiB more after a backlog (stack.memory); 1 MiB keeps what stays
     * after a backlog within 1.2 MiB of idle, and the rest goes back once
     * the service is idle (service_memory_idle, malloc_trim). */
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 20);
    self->room.reserve = (uint64_t)config_env_long("ESSP_DISK_RESERVE_MB", 64, 0, 1 << 20) << 20;
    self->room.checked_ms = -S_ROOM_PERIOD_MS;
    self->memory.returned_ms = -S_MEMORY_RETURN_EVERY_MS;
}

static void s_room_log(service_t *self, const store_space_t *space, bool low, bool short_reserve)
{
    unsigned long long free_mib = space->disk_free >> 20, total_mib = space->disk_total >> 20;
    if (low && !self->room.low)
        log_warn("disk under the store is short: %llu MiB free of %llu MiB (warning below %d %% or below "
                 "the map's next growth, %llu MiB): make room or move the store",
                 free_mib, total_mib, S_ROOM_WARN_PERCENT, (unsigned long long)(space->next_growth >> 20));
    else if (!low && self->room.low)
        log_info("disk under the store has room again: %llu MiB free of %llu MiB", free_mib, total_mib);
    if (short_reserve && !self->room.short_reserve)
        log_warn("disk under the store is below its reserve (%llu MiB free, ESSP_DISK_RESERVE_MB %llu): "
                 "new work is refused (unavailable, rule storage) until there is room",
                 free_mib, (unsigned long long)(self->room.reserve >> 20));
    else if (!short_reserve && self->room.short_reserve)
        log_info("disk under the store is above its reserve again: new work is accepted");
}

void service_room_watch(service_t *self, int64_t now_ms)
{
    if (now_ms - self->room.checked_ms < S_ROOM_PERIOD_MS)
        return;
    self->room.checked_ms = now_ms;
    store_space_t space;
    if (store_space(self->store, &space) != 0)
        return;
    /* Free below a tenth of the disk, or below what the map adds when it
     * grows next: the pages that fill the grown map may not fit. */
    bool low = space.disk_free * 100 < space.disk_total * S_ROOM_WARN_PERCENT
               || space.disk_free < space.next_growth;
    bool short_reserve = space.disk_free < self->room.reserve;
    s_room_log(self, &space, low, short_reserve);
    self->room.low = low;
    self->room.short_reserve = short_reserve;
}

static bool s_takes_room(const service_t *self, const char *type)
{
    for (const char *const *t = self->def->room_types; t && *t; t++)
        if (strcmp(*t, type) == 0)
            return true;
    return false;
}

bool service_room_refuse(service_t *self, pending_t *p)
{
    if (!self->room.short_reserve || p->ready || p->is_pull || !p->req.type || !s_takes_room(self, p->req.type))
        return false;
    /* Refused before it is run: what is already inside (the streams'
     * batches, the votes, the amendments) keeps the reserve to commit. */
    proto_error_t err;
    proto_error_set(&err, "", "storage", "the disk under the service's store is below its reserve; "
                    "nothing was changed, try again later");
    size_t off = self->early_buf.size;
    proto_pack_error(&self->early_pk, p->req.has_rid, p->req.rid, PROTO_E_UNAVAILABLE, &err);
    service_outcome_refused(&p->req.outcome, PROTO_E_UNAVAILABLE, err.rule);
    p->ready = true;
    p->reply_off = off;
    p->reply_len = self->early_buf.size - off;
    return true;
}

const char *service_room_failure_code(int rc)
{
    switch (rc) {
    /* Temporary: room or memory that may come back. */
    case ENOSPC:
    case EDQUOT:
    case ENOMEM:
    case EAGAIN:
    case MDB_MAP_FULL:
    case MDB_MAP_RESIZED:
    case MDB_READERS_FULL:
    case MDB_TXN_FULL:
        return PROTO_E_UNAVAILABLE;
    /* A panic, a corrupted page, an I/O error, a core that failed: an
     * operator must look; resending does not help. */
    default:
        return PROTO_E_INTERNAL;
    }
}

/* ----------------------------------------------------------------- memory */

/*  A buffer that grew past S_MEMORY_KEEP in a backlog goes back to its
 *  first size, so that what a backlog took is not kept for the next
 *  small turn.  (The zones need nothing: msgpack_zone_clear frees every
 *  chunk but the first.) */
static void s_shrink(msgpack_sbuffer *buf, msgpack_packer *pk)
{
    if (buf->alloc <= S_MEMORY_KEEP)
        return;
    msgpack_sbuffer_destroy(buf);
    msgpack_sbuffer_init(buf);
    msgpack_packer_init(pk, buf, msgpack_sbuffer_write);
}

void service_memory_turn_ended(service_t *self, size_t requests, size_t events, int64_t now_ms)
{
    bool big = requests >= S_MEMORY_BIG_TURN || events >= S_MEMORY_BIG_TURN
               || self->early_buf.alloc > S_MEMORY_KEEP || self->late_buf.alloc > S_MEMORY_KEEP
               || self->event_buf.alloc > S_MEMORY_KEEP;
    if (requests > self->memory.largest_requests || events > self->memory.largest_events) {
        if (big)
            log_info("largest turn so far: %zu requests, %zu stream events", requests, events);
        if (requests > self->memory.largest_requests)
            self->memory.largest_requests = requests;
        if (events > self->memory.largest_events)
            self->memory.largest_events = events;
    }
    if (big) {
        self->memory.backlog = true;
        self->memory.last_big_ms = now_ms;
    }
}

void service_memory_idle(service_t *self, int64_t now_ms)
{
    /* Through: no big turn for a while, whether the service is idle or
     * back to small turns under a steady load.  Not more often than every
     * S_MEMORY_RETURN_EVERY_MS: the pages a trim gives back are faulted in
     * again by the next burst, which under a bursty load would cost more
     * than the memory it frees. */
    if (now_ms - self->memory.last_big_ms < S_MEMORY_THROUGH_MS
        || now_ms - self->memory.returned_ms < S_MEMORY_RETURN_EVERY_MS)
        return;
    self->memory.returned_ms = now_ms;
    if (!self->memory.backlog) {
        /* No backlog, but the replies of steady turns come from the heap
         * too (service_room_init), and free() does not give the heap back
         * under M_TRIM_THRESHOLD: trimmed quietly when it holds more than
         * it keeps for the next turn. */
        struct mallinfo2 m = mallinfo2();
        if (m.fordblks > S_MEMORY_KEEP)
            malloc_trim(0);
        return;
    }
    service_memory_return(self);
}

/*  The process's own resident memory (RssAnon), in KiB; -1 when unknown. */
static long s_rss_anon_kib(void)
{
    FILE *file = fopen("/proc/self/status", "r");
    char line[128];
    long kib = -1;
    while (file && fgets(line, sizeof line, file))
        if (strncmp(line, "RssAnon:", 8) == 0)
            kib = strtol(line + 8, NULL, 10);
    if (file)
        fclose(file);
    return kib;
}

void service_memory_return(service_t *self)
{
    if (!self->memory.backlog)
        return;
    self->memory.backlog = false;
    long before = s_rss_anon_kib();
    s_shrink(&self->early_buf, &self->early_pk);
    s_shrink(&self->late_buf, &self->late_pk);
    s_shrink(&self->event_buf, &self->event_pk);
    /* Gives the free pages of every arena back to the system, including
     * those in the middle of a heap that a plain free() keeps. */
    malloc_trim(0);
    struct mallinfo2 m = mallinfo2();
    log_info("backlog through: own memory (RssAnon) %ld -> %ld KiB (heap: %zu KiB in use, %zu KiB free, "
             "%zu KiB mmapped)", before, s_rss_anon_kib(), m.uordblks / 1024, m.fordblks / 1024, m.hblkhd / 1024);
}
