/*  tests/bench/bench_peers_server.c - the server a peer runs against (see
 *  bench_peers_parts.h): a child process on a free loopback port, its
 *  data and log in a temporary directory removed afterwards.
 */
#define _XOPEN_SOURCE 700   /* nftw */
#include "bench_peers_parts.h"
#include "bench_stack.h"

#include "bench_stats.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define S_READY_TIMEOUT_NS (10 * (int64_t)1000000000)
#define S_STOP_TIMEOUT_NS (15 * (int64_t)1000000000)

int bench_peer_server_find(const char *program, char *path, size_t cap)
{
    const char *env = getenv("PATH");
    char dirs[4096];
    /* Debian puts nats-server in /usr/sbin, which a user's PATH may lack. */
    snprintf(dirs, sizeof dirs, "%s:/usr/sbin:/usr/bin", env ? env : "");
    char *save = NULL;
    for (char *dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        if (!*dir)
            continue;
        snprintf(path, cap, "%s/%s", dir, program);
        if (access(path, X_OK) == 0)
            return 0;
    }
    path[0] = '\0';
    return -1;
}

/*  Below the ephemeral range (32768 and up), where the clients' own
 *  outgoing connections take their ports, as bench_stack.c does. */
static int s_free_port(void)
{
    unsigned seed = (unsigned)getpid() ^ (unsigned)time(NULL) ^ (unsigned)bench_now_ns();
    for (int attempt = 0; attempt < 200; attempt++) {
        int port = 20000 + rand_r(&seed) % 12000;
        if (bench_stack_port_free(port))
            return port;
    }
    return -1;
}

int bench_peer_server_prepare(bench_peer_server_t *self, const char *program, char *why, size_t cap)
{
    memset(self, 0, sizeof *self);
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(self->dir, sizeof self->dir, "%s/essp-bench-%s-XXXXXX", tmp, program);
    if (!mkdtemp(self->dir)) {
        snprintf(why, cap, "cannot create a directory for %s in %s: %s", program, tmp, strerror(errno));
        self->dir[0] = '\0';
        return -1;
    }
    snprintf(self->log, sizeof self->log, "%s/server.log", self->dir);
    if ((self->port = s_free_port()) < 0) {
        snprintf(why, cap, "no free loopback port for %s", program);
        return -1;
    }
    return 0;
}

static bool s_accepts(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0;
    close(fd);
    return ok;
}

/*  The last non-empty line of the server's log: why it stopped, in its
 *  own words. */
static void s_last_words(const bench_peer_server_t *self, char *out, size_t cap)
{
    out[0] = '\0';
    FILE *file = fopen(self->log, "r");
    char line[512];
    while (file && fgets(line, sizeof line, file))
        if (strspn(line, " \t\r\n") < strlen(line)) {
            line[strcspn(line, "\r\n")] = '\0';
            snprintf(out, cap, "%s", line);
        }
    if (file)
        fclose(file);
}

int bench_peer_server_start(bench_peer_server_t *self, char *const argv[], char *why, size_t cap)
{
    int log = open(self->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (log < 0) {
        snprintf(why, cap, "cannot write %s: %s", self->log, strerror(errno));
        return -1;
    }
    self->pid = fork();
    if (self->pid == 0) {
        dup2(log, STDOUT_FILENO);
        dup2(log, STDERR_FILENO);
        execv(argv[0], argv);
        _exit(127);
    }
    close(log);
    if (self->pid < 0) {
        snprintf(why, cap, "cannot start %s: %s", argv[0], strerror(errno));
        self->pid = 0;
        return -1;
    }
    int64_t deadline = bench_now_ns() + S_READY_TIMEOUT_NS;
    while (bench_now_ns() < deadline) {
        int status;
        if (waitpid(self->pid, &status, WNOHANG) == self->pid) {
            char words[200];
            s_last_words(self, words, sizeof words);
            snprintf(why, cap, "%s exited at start: %s", argv[0], words[0] ? words : "(no output)");
            self->pid = 0;
            return -1;
        }
        if (s_accepts(self->port))
            return 0;
        nanosleep(&(struct timespec){0, 10 * 1000000}, NULL);
    }
    snprintf(why, cap, "%s did not listen on port %d within 10 s", argv[0], self->port);
    return -1;
}

double bench_peer_server_cpu(const bench_peer_server_t *self)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)self->pid);
    FILE *file = fopen(path, "r");
    if (!file)
        return 0;
    bool read = fgets(line, sizeof line, file) != NULL;
    fclose(file);
    /* The name in parentheses may hold spaces: fields count from its end.
     * utime and stime are fields 14 and 15 (state is field 3). */
    char *end = read ? strrchr(line, ')') : NULL;
    unsigned long utime = 0, stime = 0;
    if (!end || sscanf(end + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
        return 0;
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static int s_remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

void bench_peer_server_stop(bench_peer_server_t *self)
{
    if (self->pid > 0) {
        kill(self->pid, SIGTERM);
        int64_t deadline = bench_now_ns() + S_STOP_TIMEOUT_NS;
        int status;
        pid_t done;
        while ((done = waitpid(self->pid, &status, WNOHANG)) == 0 && bench_now_ns() < deadline)
            nanosleep(&(struct timespec){0, 10 * 1000000}, NULL);
        if (done == 0) {
            kill(self->pid, SIGKILL);
            waitpid(self->pid, &status, 0);
        }
        self->pid = 0;
    }
    if (self->dir[0])
        nftw(self->dir, s_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    self->dir[0] = '\0';
}
