/*  tests/bench/bench_proc.c - see bench_proc.h. */
#include "bench_proc.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

void bench_proc_machine(bench_machine_t *m)
{
    snprintf(m->cpu, sizeof m->cpu, "unknown");
    m->nproc = sysconf(_SC_NPROCESSORS_ONLN);
    m->mem_mib = 0;
    char line[512];
    FILE *file = fopen("/proc/cpuinfo", "r");
    while (file && fgets(line, sizeof line, file))
        if (strncmp(line, "model name", 10) == 0 && strchr(line, ':')) {
            snprintf(m->cpu, sizeof m->cpu, "%s", strchr(line, ':') + 2);
            m->cpu[strcspn(m->cpu, "\n")] = '\0';
            break;
        }
    if (file)
        fclose(file);
    file = fopen("/proc/meminfo", "r");
    while (file && fgets(line, sizeof line, file))
        if (strncmp(line, "MemTotal:", 9) == 0)
            m->mem_mib = strtol(line + 9, NULL, 10) / 1024;
    if (file)
        fclose(file);
}

int bench_proc_bin_dir(char *out, size_t cap)
{
    char path[CONFIG_PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0)
        return -1;
    path[n] = '\0';
    snprintf(out, cap, "%s", dirname(path));
    return 0;
}

double bench_proc_load(void)
{
    double load = -1;
    FILE *file = fopen("/proc/loadavg", "r");
    if (file && fscanf(file, "%lf", &load) != 1)
        load = -1;
    if (file)
        fclose(file);
    return load;
}

double bench_proc_self_cpu(void)
{
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec / 1e6
         + (double)usage.ru_stime.tv_sec + (double)usage.ru_stime.tv_usec / 1e6;
}

void bench_proc_usage(const bench_stack_t *stack, bench_usage_t *out)
{
    for (int i = 0; i < BENCH_SERVICES; i++) {
        if (bench_stack_cpu_faults(stack, (service_id_t)i, &out->cpu_s[i], &out->kernel_s[i], &out->faults[i])
            != 0) {
            out->cpu_s[i] = out->kernel_s[i] = 0;
            out->faults[i] = (bench_faults_t){0, 0};
        }
        if (bench_stack_written(stack, (service_id_t)i, &out->written[i]) != 0)
            out->written[i] = 0;
    }
    out->bench_cpu_s = bench_proc_self_cpu();
}

void bench_proc_cost(const bench_usage_t *before, const bench_usage_t *after, size_t applications,
                     bench_cost_t *out)
{
    double n = applications ? (double)applications : 1;
    for (int i = 0; i < BENCH_SERVICES; i++) {
        out->cpu_us[i] = (after->cpu_s[i] - before->cpu_s[i]) * 1e6 / n;
        out->kernel_us[i] = (after->kernel_s[i] - before->kernel_s[i]) * 1e6 / n;
        out->written_kib[i] = (after->written[i] - before->written[i]) / 1024 / n;
        out->faults[i].minor = (after->faults[i].minor - before->faults[i].minor) / n;
        out->faults[i].major = (after->faults[i].major - before->faults[i].major) / n;
    }
    out->bench_cpu_us = (after->bench_cpu_s - before->bench_cpu_s) * 1e6 / n;
}

double bench_proc_services_cpu_us(const bench_cost_t *cost)
{
    double total = 0;
    for (int i = 0; i < BENCH_SERVICES; i++)
        total += cost->cpu_us[i];
    return total;
}

void bench_proc_memory(const bench_stack_t *stack, bench_memory_t out[BENCH_SERVICES])
{
    for (int i = 0; i < BENCH_SERVICES; i++)
        if (bench_stack_memory(stack, (service_id_t)i, &out[i]) != 0)
            out[i] = (bench_memory_t){-1, -1, -1, -1};
}

long bench_proc_self_kib(const char *field)
{
    char line[256];
    size_t n = strlen(field);
    long kib = -1;
    FILE *file = fopen("/proc/self/status", "r");
    while (file && fgets(line, sizeof line, file))
        if (strncmp(line, field, n) == 0 && line[n] == ':')
            kib = strtol(line + n + 1, NULL, 10);
    if (file)
        fclose(file);
    return kib;
}
