/* SPDX-License-Identifier: BSD-3-Clause */
#define _POSIX_C_SOURCE 200809L

#include "lspci_caps.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *lspci_path(void)
{
#ifdef LSPCI_PATH
    return LSPCI_PATH;
#else
    return NULL;
#endif
}

static void append_body(struct ldev *d, const char *line)
{
    size_t old = d->body ? strlen(d->body) : 0, add = strlen(line);
    char *b = realloc(d->body, old + add + 1);
    if (!b)
        return;
    memcpy(b + old, line, add + 1);
    d->body = b;
}

int lspci_run(const char *file, struct ldev **out, size_t *n)
{
    char cmd[4096], line[8192];
    struct ldev *devs = NULL, *cur = NULL;
    size_t count = 0;
    FILE *p;

    if (!lspci_path())
        return -1;
    snprintf(cmd, sizeof(cmd), "'%s' -D -vvv -F '%s' 2>/dev/null", lspci_path(), file);
    p = popen(cmd, "r");
    if (!p)
        return -1;
    while (fgets(line, sizeof(line), p)) {
        unsigned dom, bus, dev, fn;
        char c;
        const char *cap;

        if (sscanf(line, "%x:%x:%x.%x%c", &dom, &bus, &dev, &fn, &c) == 5 && c == ' ') {
            struct ldev *nd = realloc(devs, (count + 1) * sizeof(*devs));
            if (!nd)
                break;
            devs = nd;
            cur = &devs[count++];
            memset(cur, 0, sizeof(*cur));
            cur->dom = dom;
            cur->bus = bus;
            cur->dev = dev;
            cur->fn = fn;
        }
        if (!cur)
            continue;
        append_body(cur, line);
        cap = strstr(line, "\tCapabilities: ");
        if (cap != line)
            continue;
        cap += strlen("\tCapabilities: ");
        line[strcspn(line, "\n")] = 0;
        if (cap[0] == '<') {
            snprintf(cur->marker, sizeof(cur->marker), "%.*s", (int)strcspn(cap + 1, ">"),
                     cap + 1);
            continue;
        }
        if (cap[0] == '[' && cur->n < LCAP_MAX && !cur->marker[0]) {
            struct lcap *lc = &cur->caps[cur->n];
            const char *end = strchr(cap, ']');
            size_t digits = strspn(cap + 1, "0123456789abcdef");
            if (!end)
                continue;
            memset(lc, 0, sizeof(*lc));
            lc->off = (unsigned)strtoul(cap + 1, NULL, 16);
            lc->ext = digits == 3;
            if (cap[1 + digits] == ' ' && cap[2 + digits] == 'v')
                lc->ver = (unsigned)strtoul(cap + 3 + digits, NULL, 10);
            snprintf(lc->text, sizeof(lc->text), "%s", end[1] == ' ' ? end + 2 : end + 1);
            if (lc->text[0] == '<') {
                /* "[xx] <chain looped>" and the like end the list */
                snprintf(cur->marker, sizeof(cur->marker), "%.*s",
                         (int)strcspn(lc->text + 1, ">"), lc->text + 1);
                continue;
            }
            cur->n++;
        }
    }
    pclose(p);
    *out = devs;
    *n = count;
    return 0;
}

void lspci_free(struct ldev *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(d[i].body);
    free(d);
}

struct ldev *lspci_find(struct ldev *d, size_t n, unsigned dom, unsigned bus, unsigned dev,
                        unsigned fn)
{
    for (size_t i = 0; i < n; i++)
        if (d[i].dom == dom && d[i].bus == bus && d[i].dev == dev && d[i].fn == fn)
            return &d[i];
    return NULL;
}

struct name_id {
    const char *prefix;
    unsigned id;
};

/* Names as lspci (ls-caps.c) prints them, longest prefixes first where one
 * is the prefix of another. */
static const struct name_id std_names[] = {
    {"Power Management version", 0x01},
    {"AGP version", 0x02},
    {"Vital Product Data", 0x03},
    {"Slot ID", 0x04},
    {"MSI-X:", 0x11},
    {"MSI:", 0x05},
    {"CompactPCI hot-swap", 0x06},
    {"PCI-X", 0x07},
    {"HyperTransport", 0x08},
    {"Vendor Specific Information", 0x09},
    {"Debug port", 0x0a},
    {"CompactPCI central resource control", 0x0b},
    {"Hot-plug capable", 0x0c},
    {"Subsystem:", 0x0d},
    {"Express", 0x10},
    {"SATA HBA", 0x12},
    {"PCI Advanced Features", 0x13},
    {"Enhanced Allocation", 0x14},
};

static const struct name_id ext_names[] = {
    {"Null", 0x0000},
    {"Advanced Error Reporting", 0x0001},
    {"Device Serial Number", 0x0003},
    {"Power Budgeting", 0x0004},
    {"Root Complex Link", 0x0005},
    {"Root Complex Internal Link", 0x0006},
    {"Root Complex Event Collector", 0x0007},
    {"Multi-Function Virtual Channel", 0x0008},
    {"Vendor Specific Information", 0x000b},
    {"Access Control Services", 0x000d},
    {"Alternative Routing-ID Interpretation", 0x000e},
    {"Address Translation Service", 0x000f},
    {"Single Root I/O Virtualization", 0x0010},
    {"Multicast", 0x0012},
    {"Page Request Interface", 0x0013},
    {"Physical Resizable BAR", 0x0015},
    {"Transaction Processing Hints", 0x0017},
    {"Latency Tolerance Reporting", 0x0018},
    {"Secondary PCI Express", 0x0019},
    {"Process Address Space ID", 0x001b},
    {"Downstream Port Containment", 0x001d},
    {"L1 PM Substates", 0x001e},
    {"Precision Time Measurement", 0x001f},
    {"Designated Vendor-Specific", 0x0023},
    {"Virtual Resizable BAR", 0x0024},
    {"Data Link Feature", 0x0025},
    {"Physical Layer 16.0 GT/s", 0x0026},
    {"Lane Margining at the Receiver", 0x0027},
    {"Data Object Exchange", 0x002e},
};

int lspci_name_id(const char *text, bool ext, unsigned *id)
{
    const struct name_id *t = ext ? ext_names : std_names;
    size_t n = ext ? sizeof(ext_names) / sizeof(ext_names[0])
                   : sizeof(std_names) / sizeof(std_names[0]);

    if (!ext && text[0] == '#') {
        *id = (unsigned)strtoul(text + 1, NULL, 16);
        return 0;
    }
    if (ext && strncmp(text, "Extended Capability ID ", 23) == 0) {
        *id = (unsigned)strtoul(text + 23, NULL, 16);
        return 0;
    }
    /* ID 2 and ID 9 are both "Virtual Channel" (9: with MFVC present);
     * lspci_id_matches() accepts either */
    if (ext && strncmp(text, "Virtual Channel", 15) == 0) {
        *id = 0x0002;
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (strncmp(text, t[i].prefix, strlen(t[i].prefix)) == 0) {
            *id = t[i].id;
            return 0;
        }
    }
    return -1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void scan(const char *dir, char ***files, size_t *n)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (!d)
        return;
    while ((e = readdir(d))) {
        char path[4096];
        struct stat st;
        const char *dot = strrchr(e->d_name, '.');
        /* dumps have no suffix or .lspci; README, tables (.txt) are not dumps */
        if (e->d_name[0] == '.' || strstr(e->d_name, "README") ||
            (dot && strcmp(dot, ".lspci") != 0))
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (stat(path, &st))
            continue;
        if (S_ISDIR(st.st_mode)) {
            scan(path, files, n);
        } else if (S_ISREG(st.st_mode)) {
            char **nf = realloc(*files, (*n + 1) * sizeof(char *));
            if (!nf)
                break;
            *files = nf;
            (*files)[(*n)++] = strdup(path);
        }
    }
    closedir(d);
}

char **corpus_files(size_t *n)
{
    char **files = NULL;

    *n = 0;
    scan(TEST_DATA_DIR, &files, n);
    if (files)
        qsort(files, *n, sizeof(char *), cmp_str);
    return files;
}

void corpus_files_free(char **files, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(files[i]);
    free(files);
}

int lspci_id_matches(const struct lcap *lc, unsigned id)
{
    unsigned lid;

    if (lspci_name_id(lc->text, lc->ext, &lid))
        return -1;
    if (lc->ext && lid == 0x0002 && id == 0x0009)
        return 1;
    return lid == id;
}
