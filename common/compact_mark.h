/*  common/compact_mark.h - the file that says an erasure's compaction is
 *  owed.
 *
 *  An erasure leaves the live records at its commit, but LMDB keeps the
 *  erased bytes in the pages it freed until a compacted copy replaces the
 *  data file (store_compact).  The mark `compact-pending`, beside
 *  data.mdb, is written and made durable before the erasure's transaction
 *  commits, and removed once a compaction has replaced the file: a crash
 *  or a failed compaction in between is made good at the next start,
 *  which compacts when it finds the mark.  The services' shell
 *  (common/service.c) and essp-mirror keep it alike.
 */
#ifndef ESSP_COMMON_COMPACT_MARK_H
#define ESSP_COMMON_COMPACT_MARK_H

#include <stdbool.h>

/*  Writes the mark in data_dir and syncs it with its directory.  A mark
 *  that cannot be written is logged: the erasure is committed all the
 *  same (the data must go), and only a crash before its compaction would
 *  then leave the bytes. */
void compact_mark_set(const char *data_dir);

/*  Removes the mark, once a compaction has replaced the data file. */
void compact_mark_clear(const char *data_dir);

/*  True when a compaction is owed in data_dir. */
bool compact_mark_present(const char *data_dir);

#endif
