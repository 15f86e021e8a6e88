/*  common/auth.h - who is speaking: CurveZMQ keys and the certificate store.
 *
 *  Review and intake answer member and staff requests, and intake,
 *  validation and review serve their streams, only on a CURVE ROUTER of
 *  their own; the services pull each other's streams with their own keys.  Every key lives under $ESSP_HOME/keys:
 *    <service>.cert, <service>.cert_secret  the service's key pair, made on
 *                                           first start; clients need only
 *                                           the public half
 *    allowed/                               public certificates the services
 *                                           accept (the certificate store),
 *                                           service-<service>.cert among them
 *    members/<name>.cert(_secret)           a member's key pair
 *    staff/<name>.cert(_secret)             a staff key pair
 *  A certificate in allowed/ carries metadata "name" and "role" (member,
 *  staff or service).  czmq's zauth answers libzmq's ZAP requests from that store
 *  (reloaded whenever the directory changes, so a removed certificate is
 *  refused from the next connection on) and hands the metadata to libzmq,
 *  which attaches it to every message of the connection: that is how a
 *  request says who sent it (auth_peer).  zauth must run before the CURVE
 *  socket binds: without a ZAP handler libzmq accepts any client that knows
 *  the server's public key.
 */
#ifndef ESSP_COMMON_AUTH_H
#define ESSP_COMMON_AUTH_H

#include "config.h"

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>

#define AUTH_ROLE_MEMBER  "member"
#define AUTH_ROLE_STAFF   "staff"
#define AUTH_ROLE_SERVICE "service"

/*  A name made safe as a file name: ASCII letters, digits, '-' and '_' are
 *  kept, every other byte (spaces, accents, '/', '.') becomes %XX, so two
 *  names never share a file and none leaves its directory.  Returns 0, or
 *  -1 when the name is empty or does not fit in cap. */
int auth_file_name(const char *name, char *out, size_t cap);

/*  The name back from its file name (without the suffix): 0, or -1 when
 *  the text is not a file name made by auth_file_name. */
int auth_name_of_file(const char *file, size_t len, char *out, size_t cap);

/*  "$ESSP_HOME/keys/<dir>/<safe name><suffix>" (dir may be "" for the
 *  service keys); 0 or -1 when it does not fit. */
int auth_key_path(const char *dir, const char *name, const char *suffix, char *out, size_t cap);

/*  "member" or "staff" is a role; true for those only. */
bool auth_is_role(const char *role);

/*  The service's certificate: loaded from keys/<service>.cert_secret, or
 *  created and saved there on first start.  Its public half is also
 *  registered in the certificate store, as keys/allowed/service-<service>.cert
 *  with name <service> and role "service" (written again only when it is
 *  missing or holds another key), so that the other services admit it.
 *  NULL on I/O failure. */
zcert_t *auth_server_cert(service_id_t service);

/*  Who may pull a service's stream (proto/README.md section 6.1):
 *  publication's is public, anyone may; the others carry private data and
 *  are served only on the service's CURVE endpoint, to a staff key and to
 *  the key of a service that consumes that stream:
 *    intake      validation, notify
 *    validation  review, intake, notify
 *    review      publication, intake, notify, desk
 *    desk        (nobody)
 *    notify      (nobody)
 *  name and role: the peer as auth_peer gives it (both NULL when the
 *  request came in on a plain endpoint). */
bool auth_may_pull(service_id_t stream, const char *name, const char *role);

/*  True when anyone may pull this service's stream (publication's). */
bool auth_stream_is_public(service_id_t stream);

/*  Starts zauth with CURVE over keys/allowed/ (created when missing).
 *  NULL on failure. */
zactor_t *auth_start(void);

/*  Makes sock a CURVE server with cert's keys (before it binds). */
void auth_make_server(zsock_t *sock, zcert_t *cert);

/*  The identity libzmq attached to a received frame from the ZAP reply:
 *  *name and *role point into the frame (valid while it lives), or are
 *  NULL when the connection was not authenticated.  The role is member,
 *  staff, or service (then the name is a service's). */
void auth_peer(zframe_t *frame, const char **name, const char **role);

/*  Creates a key pair for a member or staff name under keys/members/ or
 *  keys/staff/ (replacing an earlier one), and installs its public half,
 *  with name and role, in keys/allowed/.  0 or -1. */
int auth_issue(const char *role, const char *name);

/*  Installs in keys/allowed/ the public certificate of a key pair whose
 *  secret half this host does not keep (essp-desk seals it under the
 *  person's password), with name and role, replacing an earlier one (a
 *  rekey: the old key is refused from the next connection on).  0 or -1. */
int auth_install_public(const char *role, const char *name, const unsigned char public_key[32]);

/*  Removes the public certificate of name from keys/allowed/: the key is
 *  refused from the next connection on.  0 (also when there was none) or
 *  -1. */
int auth_revoke(const char *role, const char *name);

/*  True when a key pair exists for this role and name. */
bool auth_has_key(const char *role, const char *name);

/*  The key pair of a member or staff name, NULL when there is none. */
zcert_t *auth_load(const char *role, const char *name);

/*  The staff name to use: $ESSP_STAFF, else the only key pair in
 *  keys/staff/.  Returns 0 with out filled, 1 when there is none, 2 when
 *  there are several and ESSP_STAFF does not choose. */
int auth_staff_name(char *out, size_t cap);

/*  Makes sock a CURVE client of service with cert's keys: the server's
 *  public key is read from keys/<service>.cert.  0, or -1 when that file
 *  is missing (the service never started with this ESSP_HOME). */
int auth_make_client(zsock_t *sock, zcert_t *cert, service_id_t service);

#endif
