/*  tests/bench/bench_stack.c - see bench_stack.h. */
#define _XOPEN_SOURCE 700   /* nftw */
#include "bench_stack.h"

#include "bench_stats.h"
#include "proto/messages.h"

#include <arpa/inet.h>
#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define S_READY_TIMEOUT_NS (10 * (int64_t)1000000000)
#define S_STOP_TIMEOUT_NS (15 * (int64_t)1000000000)
#define S_PORTS 32

bool bench_stack_port_free(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool free_now = bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0;
    close(fd);
    return free_now;
}

/*  Takes the lock of the block at `base` for the rest of this process
 *  (the descriptor stays open; the kernel drops the lock at exit): the
 *  file essp-ports/BASE under $TMPDIR, else /tmp, as
 *  tests/stack/harness.py takes it, so that a bench and the stack tests
 *  that ctest runs beside it never start two stacks on one block.  -1
 *  when another process holds it, else the descriptor. */
static int s_take_block(int base)
{
    const char *tmp = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/essp-ports", tmp && *tmp ? tmp : "/tmp");
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return -1;
    size_t len = strlen(path);
    snprintf(path + len, sizeof path - len, "/%d", base);
    int fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/*  A base port whose 32 ports are free now: the four services, and the
 *  ports after them that a service may also listen on (intake's HTTP
 *  gateway is base + 4, the metrics ports base + 16 and up), and whose
 *  lock no other process holds, as tests/stack/harness.py does. */
int bench_stack_free_base_port(void)
{
    unsigned seed = (unsigned)getpid() ^ (unsigned)time(NULL);
    for (int attempt = 0; attempt < 200; attempt++) {
        /* Below the ephemeral range (32768 and up), where an outgoing
         * connection could take a port while a service restarts. */
        int base = 10000 + (rand_r(&seed) % 700) * S_PORTS;
        int lock = s_take_block(base);
        if (lock < 0)
            continue;
        bool ok = true;
        for (int i = 0; ok && i < S_PORTS; i++)
            ok = bench_stack_port_free(base + i);
        if (ok)
            return base;
        close(lock);
    }
    return -1;
}

/*  The services read where they live from the environment; anything the
 *  caller's shell set that would change the default configuration goes. */
static void s_set_environment(const bench_stack_t *self)
{
    char port[16];
    snprintf(port, sizeof port, "%d", self->base_port);
    setenv("ESSP_HOME", self->home, 1);
    setenv("ESSP_PORT", port, 1);
    static const char *const cleared[] = {"ESSP_DURABLE", "ESSP_MAP_MB", "ESSP_BIND", "ESSP_LOG",
                                          "ESSP_INTAKE_ENDPOINT", "ESSP_VALIDATION_ENDPOINT",
                                          "ESSP_REVIEW_ENDPOINT", "ESSP_PUBLICATION_ENDPOINT", "ESSP_REVIEW_SECURE_ENDPOINT",
                                          "ESSP_STAFF",
                                          "ESSP_QUORUM_VOTES", "ESSP_QUORUM_COLLEGES", NULL};
    for (const char *const *name = cleared; *name; name++)
        unsetenv(*name);
}

static pid_t s_spawn(const bench_stack_t *self, service_id_t service)
{
    char program[CONFIG_PATH_MAX + 32], log_path[CONFIG_PATH_MAX + 32];
    snprintf(program, sizeof program, "%s/essp-%s", self->bin_dir, config_service_name(service));
    /* The service writes its own log/<service>.log; stderr, beside it,
     * holds only what a crash says. */
    snprintf(log_path, sizeof log_path, "%s/log/%s.stderr", self->home, config_service_name(service));
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        close(fd);
    }
    if (chdir(self->home) != 0)
        _exit(126);
    execl(program, program, (char *)NULL);
    fprintf(stderr, "cannot run %s: %s\n", program, strerror(errno));
    _exit(127);
}

void bench_stack_endpoint(const bench_stack_t *self, service_id_t service, char *out, size_t cap)
{
    snprintf(out, cap, "tcp://127.0.0.1:%d", self->base_port + (int)service);
}

static zframe_t *s_ping_frame(void)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    proto_pack_request(&pk, "ping", 1, 0);
    zframe_t *frame = zframe_new(buf.data, buf.size);
    msgpack_sbuffer_destroy(&buf);
    return frame;
}

/*  Pings one service until it answers; resends every 50 ms on a socket
 *  that reconnects every 5 ms, so a slow bind costs no more than that. */
int bench_stack_wait_pong(const bench_stack_t *self, service_id_t service, int64_t deadline_ns)
{
    char endpoint[CONFIG_ENDPOINT_MAX];
    bench_stack_endpoint(self, service, endpoint, sizeof endpoint);
    zsock_t *dealer = zsock_new(ZMQ_DEALER);
    zsock_set_linger(dealer, 0);
    zsock_set_reconnect_ivl(dealer, 5);
    zsock_set_reconnect_ivl_max(dealer, 5);
    zsock_connect(dealer, "%s", endpoint);
    int rc = -1;
    while (rc != 0 && bench_now_ns() < deadline_ns) {
        zframe_t *ping = s_ping_frame();
        zframe_send(&ping, dealer, 0);
        zpoller_t *poller = zpoller_new(dealer, NULL);
        if (zpoller_wait(poller, 50) == dealer) {
            zframe_t *reply = zframe_recv(dealer);
            rc = reply && zframe_size(reply) > 0 ? 0 : -1;
            zframe_destroy(&reply);
        }
        zpoller_destroy(&poller);
    }
    zsock_destroy(&dealer);
    return rc;
}

int bench_stack_start(bench_stack_t *self, const char *bin_dir)
{
    memset(self, 0, sizeof *self);
    snprintf(self->bin_dir, sizeof self->bin_dir, "%s", bin_dir);
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(self->home, sizeof self->home, "%s/essp-bench-XXXXXX", tmp);
    if (!mkdtemp(self->home)) {
        fprintf(stderr, "essp-bench: cannot create a home in %s: %s\n", tmp, strerror(errno));
        self->home[0] = '\0';
        return -1;
    }
    char log_dir[CONFIG_PATH_MAX + 8];
    snprintf(log_dir, sizeof log_dir, "%s/log", self->home);
    if (config_mkdirs(log_dir) != 0 || (self->base_port = bench_stack_free_base_port()) < 0) {
        fprintf(stderr, "essp-bench: no log directory or no free ports\n");
        return -1;
    }
    s_set_environment(self);
    int64_t started = bench_now_ns();
    for (int i = 0; i < BENCH_SERVICES; i++)
        if ((self->pids[i] = s_spawn(self, (service_id_t)i)) < 0) {
            bench_stack_stop(self);
            return -1;
        }
    for (int i = 0; i < BENCH_SERVICES; i++)
        if (bench_stack_wait_pong(self, (service_id_t)i, started + S_READY_TIMEOUT_NS) != 0) {
            fprintf(stderr, "essp-bench: %s did not answer within 10 s (see %s/log/%s.log)\n",
                    config_service_name((service_id_t)i), self->home, config_service_name((service_id_t)i));
            bench_stack_stop(self);
            return -1;
        }
    self->ready_ms = (double)(bench_now_ns() - started) / 1e6;
    return 0;
}

int bench_stack_status(const bench_stack_t *self, service_id_t service, bench_memory_t *out)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", (long)self->pids[service]);
    FILE *file = fopen(path, "r");
    if (!file)
        return -1;
    *out = (bench_memory_t){-1, -1, -1, -1};
    while (fgets(line, sizeof line, file)) {
        if (strncmp(line, "VmRSS:", 6) == 0)
            out->rss_kib = strtol(line + 6, NULL, 10);
        else if (strncmp(line, "VmHWM:", 6) == 0)
            out->hwm_kib = strtol(line + 6, NULL, 10);
        else if (strncmp(line, "RssAnon:", 8) == 0)
            out->anon_kib = strtol(line + 8, NULL, 10);
    }
    fclose(file);
    return out->rss_kib >= 0 && out->hwm_kib >= 0 ? 0 : -1;
}

int bench_stack_memory(const bench_stack_t *self, service_id_t service, bench_memory_t *out)
{
    if (bench_stack_status(self, service, out) != 0)
        return -1;
    char path[64], line[256];
    FILE *file;
    snprintf(path, sizeof path, "/proc/%ld/smaps_rollup", (long)self->pids[service]);
    if ((file = fopen(path, "r"))) {
        while (fgets(line, sizeof line, file))
            if (strncmp(line, "Pss:", 4) == 0)
                out->pss_kib = strtol(line + 4, NULL, 10);
        fclose(file);
    }
    return out->rss_kib >= 0 && out->hwm_kib >= 0 ? 0 : -1;
}

int bench_stack_cpu(const bench_stack_t *self, service_id_t service, double *seconds, double *kernel)
{
    bench_faults_t faults;
    return bench_stack_cpu_faults(self, service, seconds, kernel, &faults);
}

int bench_stack_cpu_faults(const bench_stack_t *self, service_id_t service, double *seconds, double *kernel,
                           bench_faults_t *faults)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)self->pids[service]);
    FILE *file = fopen(path, "r");
    if (!file)
        return -1;
    char *ok = fgets(line, sizeof line, file);
    fclose(file);
    /* The command name may hold spaces: fields are counted after its ')'.
     * From there: state, five numbers, flags, minflt, cminflt, majflt,
     * cmajflt, utime, stime (proc(5), fields 3 to 15). */
    char *after = ok ? strrchr(line, ')') : NULL;
    unsigned long minor, major, utime, stime;
    if (!after
        || sscanf(after + 2, "%*c %*d %*d %*d %*d %*d %*u %lu %*u %lu %*u %lu %lu", &minor, &major, &utime,
                  &stime) != 4)
        return -1;
    *seconds = (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
    *kernel = (double)stime / (double)sysconf(_SC_CLK_TCK);
    faults->minor = (double)minor;
    faults->major = (double)major;
    return 0;
}

int bench_stack_written(const bench_stack_t *self, service_id_t service, double *bytes)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/io", (long)self->pids[service]);
    FILE *file = fopen(path, "r");
    if (!file)
        return -1;
    int rc = -1;
    unsigned long long value;
    while (fgets(line, sizeof line, file))
        if (sscanf(line, "wchar: %llu", &value) == 1) {
            *bytes = (double)value;
            rc = 0;
        }
    fclose(file);
    return rc;
}

void bench_stack_print_errors(const bench_stack_t *self)
{
    for (int i = 0; i < BENCH_SERVICES; i++) {
        char path[CONFIG_PATH_MAX + 32], line[1024], last[1024] = "";
        snprintf(path, sizeof path, "%s/log/%s.log", self->home, config_service_name((service_id_t)i));
        FILE *file = fopen(path, "r");
        while (file && fgets(line, sizeof line, file))
            if (strstr(line, "\"level\":\"error\""))
                snprintf(last, sizeof last, "%s", line);
        if (file)
            fclose(file);
        if (last[0])
            fprintf(stderr, "essp-bench: %s's last error: %s", config_service_name((service_id_t)i), last);
    }
}

int bench_stack_stop(bench_stack_t *self)
{
    int failures = 0;
    for (int i = 0; i < BENCH_SERVICES; i++)
        if (self->pids[i] > 0)
            kill(self->pids[i], SIGTERM);
    int64_t deadline = bench_now_ns() + S_STOP_TIMEOUT_NS;
    for (int i = 0; i < BENCH_SERVICES; i++) {
        if (self->pids[i] <= 0)
            continue;
        int status = 0;
        pid_t done;
        while ((done = waitpid(self->pids[i], &status, WNOHANG)) == 0 && bench_now_ns() < deadline)
            zclock_sleep(10);
        if (done == 0) {
            kill(self->pids[i], SIGKILL);
            waitpid(self->pids[i], &status, 0);
        }
        if (done <= 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "essp-bench: %s did not stop cleanly on SIGTERM\n",
                    config_service_name((service_id_t)i));
            failures++;
        }
        self->pids[i] = 0;
    }
    return failures ? -1 : 0;
}

static int s_remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

void bench_stack_remove(bench_stack_t *self)
{
    if (self->home[0])
        nftw(self->home, s_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    self->home[0] = '\0';
}
