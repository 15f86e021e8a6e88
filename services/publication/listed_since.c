/*  services/publication/listed_since.c - see listed_since.h. */
#include "listed_since.h"

#include "publication.h"
#include "common/store.h"
#include "proto/date.h"
#include "proto/doc.h"

bool listed_since_of(const msgpack_object *record, char day[11])
{
    const msgpack_object *entry = doc_map(record, "entry");
    int32_t days;
    if (doc_strcpy(entry ? entry : record, "listed_since", day, 11) == 10 && date_parse(day, 10, &days) == 0)
        return true;
    uint64_t at;
    if (!entry || !doc_uint(entry, "approved_at", &at))
        return false;
    date_format((int32_t)(at / 86400), day);
    return true;
}

int listed_since_new(service_t *svc, MDB_txn *txn, const msgpack_object *event, msgpack_zone *zone,
                     char day[11])
{
    const msgpack_object *renews = doc_get(event, "renews");
    if (renews && renews->type == MSGPACK_OBJECT_STR && renews->via.str.size > 0) {
        msgpack_object earlier;
        int rc = store_get_doc(txn, service_db(svc, PUBLICATION_DB_ENTRIES), renews->via.str.ptr,
                               renews->via.str.size, zone, &earlier);
        if (rc == 0 && listed_since_of(&earlier, day))
            return 0;
        if (rc && rc != MDB_NOTFOUND)
            return rc;
    }
    /* A listing decided without a round (imported) says the day it was
     * first approved, long before review decided it. */
    uint64_t at = 0;
    if (!doc_uint(event, "approved_at", &at))
        doc_uint(event, "at", &at);
    date_format((int32_t)(at / 86400), day);
    return 0;
}
