/*  services/desk/pages_people.h - the handlers of « Personnes »
 *  (/admin/personnes...), registered in the staff's route table
 *  (pages_staff.c): the list, adding a person (review's member_add for a
 *  member, then the desk's invitation), removing one (after a page that
 *  asks to confirm: off the committee, the member's account and
 *  certificate revoked), new keys, a new invitation.  They act on the
 *  rows of the committee, so a name is a member's: the account of a staff
 *  person who bears the same name is never touched. */
#ifndef ESSP_DESK_PAGES_PEOPLE_H
#define ESSP_DESK_PAGES_PEOPLE_H

#include "site.h"

int pages_people(desk_request_t *req);
int pages_people_add(desk_request_t *req);
int pages_people_remove(desk_request_t *req);
int pages_people_rekey(desk_request_t *req);
int pages_people_invite(desk_request_t *req);

#endif
