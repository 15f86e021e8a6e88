/*  common/config.h - where the stack lives and listens.
 *
 *  Two environment variables place a whole stack, so two stacks can run
 *  side by side and the CLI finds the one it is pointed at:
 *    ESSP_HOME  data, logs, pid files, keys (default ./var)
 *    ESSP_PORT  base port (default 7700); every port of the stack is
 *               base + an offset (config_port and below):
 *                 0 intake, 1 validation, 2 review, 3 publication,
 *                 4 intake's HTTP gateway,
 *                 5 review, 6 intake, 7 validation: authenticated (CURVE),
 *                 8 (kept for publication's, which has none),
 *                 9 desk, 10 desk authenticated, 11 desk's HTTP site,
 *                 12 notify, 13 notify authenticated,
 *                 16 + the service's index (intake 16, validation 17,
 *                 review 18, publication 19, desk 20, notify 21): each
 *                 service's metrics and health over HTTP (common/metrics.h)
 *  For a stack spread over several hosts, ESSP_<SERVICE>_ENDPOINT (e.g.
 *  ESSP_REVIEW_ENDPOINT=tcp://10.0.0.3:7702) tells clients and downstream
 *  services where a service is, and ESSP_BIND the address services bind to
 *  (default 127.0.0.1); ESSP_HTTP_BIND, apart, the address of the public
 *  HTTP gateway (default 127.0.0.1); ESSP_METRICS_BIND the address of the
 *  metrics ports (default 127.0.0.1).
 */
#ifndef ESSP_COMMON_CONFIG_H
#define ESSP_COMMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    SERVICE_INTAKE,
    SERVICE_VALIDATION,
    SERVICE_REVIEW,
    SERVICE_PUBLICATION,
    SERVICE_DESK,                /* essp-desk: the committee and staff on the web */
    SERVICE_NOTIFY,              /* essp-notify: e-mail */
    SERVICE_COUNT
} service_id_t;

#define CONFIG_PATH_MAX 512
#define CONFIG_ENDPOINT_MAX 256

/*  "intake", "validation", "review", "publication", "desk", "notify". */
const char *config_service_name(service_id_t service);

/*  Service id by name, or -1. */
int config_service_by_name(const char *name);

/*  $ESSP_HOME or "./var". */
const char *config_home(void);

/*  $ESSP_PORT or 7700; -1 when set to something that is not a port. */
int config_base_port(void);

/*  The port a service listens on: base + offset (intake 0, validation 1,
 *  review 2, publication 3, desk 9, notify 12). */
int config_port(service_id_t service);

/*  The port of intake's HTTP gateway (JSON API and web pages): base + 4,
 *  next to the four services' ports; -1 when ESSP_PORT is not a port.  It
 *  binds config_http_bind(), never $ESSP_BIND. */
int config_http_port(void);

/*  The port of a service's authenticated ROUTER (CURVE: members, staff,
 *  and the services that pull a private stream): review base + 5, intake
 *  base + 6, validation base + 7, desk base + 10, notify base + 13
 *  (publication, whose stream is public, binds none); -1 when ESSP_PORT
 *  is not a port. */
int config_secure_port(service_id_t service);

/*  The endpoint a service's authenticated ROUTER binds:
 *  tcp://$ESSP_BIND:port. */
void config_secure_bind_endpoint(service_id_t service, char *out, size_t cap);

/*  The endpoint members and staff connect to:
 *  $ESSP_<SERVICE>_SECURE_ENDPOINT or tcp://127.0.0.1:port. */
void config_secure_connect_endpoint(service_id_t service, char *out, size_t cap);

/*  The endpoint a service binds: tcp://$ESSP_BIND:port. */
void config_bind_endpoint(service_id_t service, char *out, size_t cap);

/*  The endpoint clients connect to: $ESSP_<SERVICE>_ENDPOINT or
 *  tcp://127.0.0.1:port. */
void config_connect_endpoint(service_id_t service, char *out, size_t cap);

/*  "$ESSP_HOME/<sub>" into out. */
void config_path(const char *sub, char *out, size_t cap);

/*  The config file: $ESSP_CONFIG, or $ESSP_HOME/essp.conf.  It holds
 *  NAME=value lines (the format of a shell or systemd environment file)
 *  naming the same settings as the environment, e.g.
 *  ESSP_QUORUM_VOTES=3; a setting in the environment wins over the file.
 *  A missing file is no error: every setting has a default. */
void config_file_path(char *out, size_t cap);

/*  A setting: the environment's value, else the config file's, else NULL.
 *  The file is read once, on the first call.
 *  Any setting NAME may also be given as NAME_FILE=path (in the
 *  environment or in the config file), for secrets that must appear
 *  neither in a command line nor in the environment: the value is the
 *  file's content without its trailing newline, read once, on the first
 *  lookup.  NAME wins over NAME_FILE; the environment over the file.  A
 *  file that is not a regular file, is over 4096 bytes, or grants any
 *  right to other users (mode & 0007) is refused with a log line, and the
 *  setting is then unset. */
const char *config_get(const char *name);

/*  An integer setting (environment, then config file), or fallback when
 *  unset or not a number in [min, max]. */
long config_env_long(const char *name, long fallback, long min, long max);

/*  Creates a directory and its parents (mode 0700); 0 or -1. */
int config_mkdirs(const char *path);

/*  The port of a service's metrics and health (Prometheus text format,
 *  /metrics; JSON, /healthz): base + 16 + the service's index in
 *  service_id_t; -1 when ESSP_PORT is not a port. */
int config_metrics_port(service_id_t service);

/*  The address the metrics ports bind: $ESSP_METRICS_BIND, or 127.0.0.1
 *  (apart from the others: what the metrics tell is for the operator). */
const char *config_metrics_bind(void);

/*  The address intake's public HTTP gateway binds: $ESSP_HTTP_BIND, or
 *  127.0.0.1.  Apart from ESSP_BIND on purpose: opening the gateway to
 *  the world never opens the internal ZeroMQ ports. */
const char *config_http_bind(void);

/*  The URL clients reach the gateway at: $ESSP_INTAKE_HTTP_ENDPOINT, else
 *  http://ADDRESS:port/ where ADDRESS is config_http_bind() (in brackets
 *  when IPv6), or the loopback address when the gateway binds every
 *  interface (0.0.0.0, ::). */
void config_http_connect_endpoint(char *out, size_t cap);

/*  The port of essp-desk's web site (committee and staff): base + 11; -1
 *  when ESSP_PORT is not a port.  It binds config_desk_http_bind(). */
int config_desk_http_port(void);

/*  The address the desk's web site binds: $ESSP_DESK_HTTP_BIND, or
 *  127.0.0.1 (apart from ESSP_BIND and ESSP_HTTP_BIND, for the same
 *  reason: opening one door never opens another). */
const char *config_desk_http_bind(void);

/*  The URL people reach the desk at: $ESSP_DESK_URL, else
 *  http://ADDRESS:port/ built like config_http_connect_endpoint. */
void config_desk_url(char *out, size_t cap);

/*  The committee's next meetings, as staff set them:
 *  ESSP_COMMITTEE_MEETINGS=2027-03-18,2027-10-07 (dates YYYY-MM-DD,
 *  separated by commas, spaces allowed).  config_parse_meetings reads
 *  such a text into day numbers (proto/date.h), sorted, at most cap;
 *  returns 0, or -1 with an error for the log naming the bad date in
 *  error ("ESSP_COMMITTEE_MEETINGS: '2027-02-30' is not a date
 *  YYYY-MM-DD").  An empty or NULL text is no date and no error.
 *  config_committee_meetings reads the setting itself. */
#define CONFIG_MEETINGS_MAX 32
int config_parse_meetings(const char *text, int32_t *days, size_t cap, size_t *count, char *error,
                          size_t error_cap);
int config_committee_meetings(int32_t *days, size_t cap, size_t *count, char *error, size_t error_cap);

/*  How many years the data of an application are kept after its listing
 *  ends (or after its last decision, when it was never listed), unless
 *  erased before: $ESSP_RETENTION_YEARS, 1..30, default 3.  Shown to
 *  applicants in the notice on personal data. */
int config_retention_years(void);

/*  How soon a service notices that the connection it pulls a stream over
 *  went silent (a cable cut, a host gone without a word), in ms:
 *  $ESSP_HEARTBEAT_MS, 0 (off) or 100..600000, default 1000.  ZeroMQ then
 *  sends a heartbeat every interval, drops a connection that answers none
 *  for three intervals and connects again, and gives a connection attempt
 *  two intervals.  Without it TCP alone retransmits into a dead link with
 *  its backoff doubling up to two minutes: after a 30 s cut, the stream
 *  would wait up to half a minute more for the next retransmission. */
int config_heartbeat_ms(void);

/*  The address applicants write to about their personal data (erasure,
 *  access): $ESSP_CONTACT_EMAIL, default "contact@esspratiques.fr". */
const char *config_contact_email(void);

#endif
