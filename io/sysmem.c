/* sysmem: the memory this process may still use (see sysmem.h). Each
 * source is read best effort: a file that is missing or unreadable is a
 * source that does not apply. */
#include "sysmem.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

/* The number after `key` in a "key: N kB" line of file, in bytes; < 0 when absent. */
static double status_kb(const char *file, const char *key)
{
    char line[256];
    double v = -1;
    size_t klen = strlen(key);
    FILE *f = fopen(file, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, key, klen) && line[klen] == ':') {
            double kb;
            if (sscanf(line + klen + 1, "%lf", &kb) == 1)
                v = kb * 1024;
            break;
        }
    fclose(f);
    return v;
}

/* The single number in file ("max" or unreadable: < 0). */
static double file_number(const char *file)
{
    double v = -1;
    FILE *f = fopen(file, "r");
    if (f) {
        if (fscanf(f, "%lf", &v) != 1)
            v = -1;
        fclose(f);
    }
    return v;
}

/* The cgroup v2 limit left (memory.max - memory.current) of this process's
 * cgroup, else the v1 one; < 0 without a limit. */
static double cgroup_left(void)
{
    char line[512], dir[600], file[700];
    double max = -1, cur = 0;
    FILE *f = fopen("/proc/self/cgroup", "r");
    if (f) {
        while (fgets(line, sizeof line, f))
            if (!strncmp(line, "0::", 3)) {
                line[strcspn(line, "\n")] = '\0';
                snprintf(dir, sizeof dir, "/sys/fs/cgroup%s", line + 3);
                snprintf(file, sizeof file, "%s/memory.max", dir);
                max = file_number(file);
                snprintf(file, sizeof file, "%s/memory.current", dir);
                cur = file_number(file);
                break;
            }
        fclose(f);
    }
    if (max < 0) {
        max = file_number("/sys/fs/cgroup/memory/memory.limit_in_bytes");
        cur = file_number("/sys/fs/cgroup/memory/memory.usage_in_bytes");
        if (max >= 9e18) /* v1 says "no limit" with a huge number */
            max = -1;
    }
    if (max < 0)
        return -1;
    return max - (cur > 0 ? cur : 0);
}

SysMem sysmem_available(void)
{
    SysMem m = { -1, "" };
    struct rlimit rl;
    double v = status_kb("/proc/meminfo", "MemAvailable");
    if (v >= 0)
        m = (SysMem){ v, "MemAvailable" };
    v = cgroup_left();
    if (v >= 0 && (m.bytes < 0 || v < m.bytes))
        m = (SysMem){ v, "the cgroup's memory limit" };
    if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        double used = status_kb("/proc/self/status", "VmSize");
        v = (double)rl.rlim_cur - (used > 0 ? used : 0);
        if (v < 0)
            v = 0;
        if (m.bytes < 0 || v < m.bytes)
            m = (SysMem){ v, "ulimit -v" };
    }
    return m;
}

int sysmem_runnable_others(void)
{
    FILE *f = fopen("/proc/stat", "r");
    char line[256];
    int n = -1;
    while (f && n < 0 && fgets(line, sizeof line, f))
        if (sscanf(line, "procs_running %d", &n) != 1)
            n = -1;
    if (f)
        fclose(f);
    return n > 0 ? n - 1 : n;
}
