/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vmsix-probe - which PCI functions can have MSI-X emulated on their MSI?
 *
 * Reads configuration spaces from the host's PCI bus (libpciaccess) or from
 * an `lspci -x` dump (--dump FILE), runs vmsix_msix_on_msi_check_masking() on
 * each function with its mask bits and with software masking, and prints the
 * facts, the verdict and every reason, and which backend kinds (VT-d, AMD-Vi,
 * VFIO + KVM) can serve it and how they mask, as text or as JSON
 * (--json). With -s SLOT --virtual it prints, in `lspci -xxxx` format, the
 * configuration space that vmsix would present to a guest for that function
 * (vmsix_msix_on_msi_view_masking()). For a function with MSI-X, and for an eligible
 * one the emulated table BAR, it also prints which ranges of the table's BAR
 * a VMM maps, traps and emulates, or forwards at the host's page size or
 * --page-size (vmsix/bar_layout.h). See vmsix-probe(1).
 *
 * Exit status: 0 on success (whatever the verdicts), 2 on a bad argument,
 * unreadable input, or --virtual on a function no backend can serve.
 */
#define _GNU_SOURCE

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pciaccess.h>

#include <vmsix/bar_layout.h>
#include <vmsix/cfgspace.h>
#include <vmsix/msix_on_msi.h>

#include "pcidump.h"

#define EXIT_BAD 2
#define CFG_MAX 4096u
#define NOTE_MAX 3

/* One function as read: where it is, its bytes and what sizing said. */
struct func {
    unsigned domain, bus, dev, fn;
    uint16_t vendor, device;
    size_t len;           /* configuration bytes read (the rest is 0xff) */
    uint8_t cfg[CFG_MAX]; /* the bytes */
    bool sized_known;     /* sized[] holds what a sizing write reads back */
    uint32_t sized[6];    /* per BAR slot: libpciaccess's region sizes or --bar-sizes */
    uint64_t sizes[6];    /* the sizes themselves, when sized_known */
    unsigned nnotes;
    char notes[NOTE_MAX][160];
};

/* The layout of one BAR that holds MSI-X structures (vmsix/bar_layout.h). */
struct layout_bar {
    unsigned bar;
    uint64_t size;
    bool size_known; /* from the host or --bar-sizes; else the smallest that holds them */
    bool emulated;   /* the emulated table BAR of MSI-X on MSI */
    uint64_t table_off, pba_off; /* VMSIX_BAR_LAYOUT_ABSENT when not in this BAR */
    int err;                     /* 0, or why it cannot be laid out */
    unsigned n;
    struct vmsix_bar_range r[VMSIX_BAR_LAYOUT_MAX_RANGES];
};

/* The result for one function. */
struct result {
    struct vmsix_eligibility e; /* with the function's mask bits (vmsix_msix_on_msi_check()) */
    bool eligible;
    struct vmsix_eligibility sw; /* with software masking */
    bool sw_eligible;            /* true whenever eligible is */
    bool has_layout;             /* MSI-X, or eligible with a backend: the bars below */
    unsigned nbars;  /* the table's BAR, and the PBA's when it is another */
    struct layout_bar bars[2];
    const char *layout_note; /* why a function with MSI-X has no layout */
};

/* An lspci-style slot filter; -1 = any. */
struct slot_filter {
    long domain, bus, dev, fn;
};

/* Command-line state. */
struct options {
    const char *dump;
    const char *slot;
    struct slot_filter filter;
    bool json, virt;
    bool page_size_given;
    uint64_t page_size; /* --page-size, else the host's */
    bool bar_sizes_given;
    uint64_t bar_sizes[6]; /* --bar-sizes */
    struct vmsix_dev_options dev_opt;
    bool dev_opt_given;
};

static const char *prog = "vmsix-probe";

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: %s [--dump FILE [--bar-sizes LIST]] [-s SLOT] [--json] [--page-size N]\n"
            "       %s [--dump FILE [--bar-sizes LIST]] -s SLOT --virtual\n"
            "                 [--bar-size N] [--vectors N] [--table-bar N]\n"
            "\n"
            "Tell, for each PCI function, whether vmsix can show its multi-message MSI\n"
            "to a guest as MSI-X, and why not; with which backends (VT-d, AMD-Vi,\n"
            "VFIO + KVM) and masking (the function's mask bits, or software masking);\n"
            "and which ranges of its MSI-X BAR a VMM maps, emulates or forwards.\n"
            "\n"
            "      --dump FILE    read an `lspci -x` dump instead of the host's PCI bus\n"
            "  -s, --slot SLOT    only the function(s) at [[domain:]bus:][dev][.fn]\n"
            "                     (hex; an empty field or * matches any)\n"
            "      --json         print a JSON array, one object per function\n"
            "      --page-size N  lay out the MSI-X BARs for host pages of N bytes, a power\n"
            "                     of two from 4096 to 0x80000000 (default: this host's)\n"
            "      --virtual      with -s: print the configuration space a guest would\n"
            "                     see, in `lspci -xxxx` format (decode it with\n"
            "                     `lspci -vvv -F FILE`)\n"
            "      --bar-size N   --virtual: size of the table BAR, a power of two\n"
            "                     >= 4096 (default 4096); the PBA is at N/2\n"
            "      --vectors N    --virtual: vectors to show, a power of two from 2 to\n"
            "                     the function's MSI vectors (default: all of them)\n"
            "      --table-bar N  --virtual: put the table in BAR slot N (0-5), which\n"
            "                     must be free (default: the lowest free slot)\n"
            "      --bar-sizes LIST\n"
            "                     --dump: the sizes of BARs 0-5 as the host sized\n"
            "                     them, comma-separated (0 = unimplemented), so that\n"
            "                     an implemented BAR at address 0 is not taken for a\n"
            "                     free slot\n"
            "  -h, --help         print this help and exit\n"
            "      --version      print the version and exit\n"
            "\n"
            "Numbers are decimal or 0x-prefixed hex. Exit status: 0 on success (whatever\n"
            "the verdicts), 2 on a bad argument, unreadable input, or --virtual on a\n"
            "function no backend can serve. See vmsix-probe(1).\n",
            prog, prog);
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print "vmsix-probe: message" on stderr; return the exit status 2. */
static int fail(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return EXIT_BAD;
}

/* Parse 1 to 8 hex digits and nothing else, at most @max; -1 when not that. */
static long parse_hex_field(const char *s, size_t n, long max)
{
    long v = 0;

    if (n == 0 || n > 8)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int c = s[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    return v > max ? -1 : v;
}

/* One field of a slot: empty or "*" = any (-1 in *out). 0 or -1 (bad). */
static int slot_field(const char *s, size_t n, long max, long *out)
{
    if (n == 0 || (n == 1 && s[0] == '*')) {
        *out = -1;
        return 0;
    }
    *out = parse_hex_field(s, n, max);
    return *out < 0 ? -1 : 0;
}

/*
 * Parse lspci's slot syntax [[[[domain]:]bus]:][dev][.[fn]]: the last ':'
 * separates the bus (and a domain before another ':') from the device.
 * Returns NULL, or what is wrong.
 */
static const char *parse_slot(const char *str, struct slot_filter *f)
{
    const char *colon = strrchr(str, ':'), *mid = str, *dot;

    f->domain = f->bus = f->dev = f->fn = -1;
    if (colon) {
        const char *colon2 = memchr(str, ':', (size_t)(colon - str));
        const char *bus = str;
        mid = colon + 1;
        if (colon2) {
            if (slot_field(str, (size_t)(colon2 - str), 0x7fffffff, &f->domain))
                return "invalid domain number";
            bus = colon2 + 1;
        }
        if (slot_field(bus, (size_t)(colon - bus), 0xff, &f->bus))
            return "invalid bus number";
    }
    dot = strchr(mid, '.');
    if (slot_field(mid, dot ? (size_t)(dot - mid) : strlen(mid), 0x1f, &f->dev))
        return "invalid device number";
    if (dot && slot_field(dot + 1, strlen(dot + 1), 7, &f->fn))
        return "invalid function number";
    return NULL;
}

static bool slot_match(const struct slot_filter *f, const struct func *fn)
{
    return (f->domain < 0 || (unsigned long)f->domain == fn->domain) &&
           (f->bus < 0 || (unsigned long)f->bus == fn->bus) &&
           (f->dev < 0 || (unsigned long)f->dev == fn->dev) &&
           (f->fn < 0 || (unsigned long)f->fn == fn->fn);
}

/* A decimal or 0x-hex number in [min, max]; 0 or -1. */
static int parse_num(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long v;

    if (!s[0] || s[0] == '-' || s[0] == '+' || isspace((unsigned char)s[0]))
        return -1;
    errno = 0;
    v = strtoul(s, &end, 0);
    if (errno || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static bool is_pow2(unsigned long v)
{
    return v && !(v & (v - 1));
}

/* --bar-sizes: up to six sizes, "S0,S1,...", each 0 or a power of two. */
static int parse_bar_sizes(const char *arg, uint64_t sizes[6])
{
    char buf[256], *tok, *save = NULL;
    unsigned n = 0;

    memset(sizes, 0, 6 * sizeof(sizes[0]));
    if (strlen(arg) >= sizeof(buf) || !arg[0] || arg[strlen(arg) - 1] == ',' || arg[0] == ',' ||
        strstr(arg, ",,"))
        return -1;
    strcpy(buf, arg);
    for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        unsigned long v;
        if (n == 6 || parse_num(tok, 0, ~0ul, &v) || (v && !is_pow2(v)))
            return -1;
        sizes[n++] = v;
    }
    return 0;
}

static void add_note(struct func *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add_note(struct func *f, const char *fmt, ...)
{
    va_list ap;

    if (f->nnotes >= NOTE_MAX)
        return;
    va_start(ap, fmt);
    vsnprintf(f->notes[f->nnotes++], sizeof(f->notes[0]), fmt, ap);
    va_end(ap);
}

/* ---- reading functions ---- */

struct func_list {
    struct func *v;
    size_t n, cap;
};

static struct func *list_add(struct func_list *l)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        struct func *v = realloc(l->v, cap * sizeof(*v));
        if (!v)
            return NULL;
        l->v = v;
        l->cap = cap;
    }
    memset(&l->v[l->n], 0, sizeof(l->v[0]));
    return &l->v[l->n++];
}

static int cmp_func(const void *a, const void *b)
{
    const struct func *x = a, *y = b;
    unsigned long kx = ((unsigned long)x->domain << 16) | (x->bus << 8) | (x->dev << 3) | x->fn;
    unsigned long ky = ((unsigned long)y->domain << 16) | (y->bus << 8) | (y->dev << 3) | y->fn;

    return kx < ky ? -1 : kx > ky;
}

static void set_ids(struct func *f)
{
    f->vendor = f->len >= 2 ? (uint16_t)(f->cfg[0] | f->cfg[1] << 8) : 0xffff;
    f->device = f->len >= 4 ? (uint16_t)(f->cfg[2] | f->cfg[3] << 8) : 0xffff;
}

/* What the host knows of one BAR slot's size (from libpciaccess or --bar-sizes). */
struct bar_size {
    uint64_t size; /* 0: unimplemented (or the upper half of a 64-bit BAR) */
    bool io, is64, prefetch;
};

/*
 * What each BAR slot reads back after the host wrote all ones to it (the
 * sizing protocol), from the sizes of the implemented BARs: a slot with a
 * non-zero size is never free, even when its address reads 0.
 */
static void sized_from_sizes(const struct bar_size b[6], unsigned nslots, uint32_t sized[6])
{
    memset(sized, 0, 6 * sizeof(sized[0]));
    for (unsigned i = 0; i < nslots && i < 6; i++) {
        unsigned lo = i;
        uint64_t mask;

        if (!b[i].size)
            continue;
        mask = ~(b[i].size - 1);
        if (b[i].io) {
            sized[i] = ((uint32_t)mask & ~3u) | 1u;
        } else if (b[i].is64 && i + 1 < nslots) {
            sized[i] = ((uint32_t)mask & ~0xfu) | 4u | (b[i].prefetch ? 8u : 0u);
            sized[i + 1] = (uint32_t)(mask >> 32);
            i++;
        } else {
            sized[i] = ((uint32_t)mask & ~0xfu) | (b[i].prefetch ? 8u : 0u);
        }
        /* an implemented BAR never sizes to 0 (a bogus size of 4 GiB or
         * more for a 32-bit BAR included) */
        if (!sized[lo])
            sized[lo] = b[lo].io ? 1u : 4u;
    }
}

/* --bar-sizes for a dump: the types come from the BAR registers. */
static void sized_from_list(struct func *f, const uint64_t sizes[6])
{
    struct bar_size b[6];

    memset(b, 0, sizeof(b));
    for (unsigned i = 0; i < 6; i++) {
        uint32_t v = (uint32_t)f->cfg[0x10 + 4 * i] | (uint32_t)f->cfg[0x11 + 4 * i] << 8 |
                     (uint32_t)f->cfg[0x12 + 4 * i] << 16 | (uint32_t)f->cfg[0x13 + 4 * i] << 24;
        b[i].size = sizes[i];
        b[i].io = (v & 1u) != 0;
        b[i].is64 = !b[i].io && ((v >> 1) & 3u) == 2;
        b[i].prefetch = !b[i].io && (v & 8u) != 0;
    }
    f->sized_known = true;
    memcpy(f->sizes, sizes, sizeof(f->sizes));
    sized_from_sizes(b, vmsix_bar_count(f->cfg, f->len), f->sized);
}

/* The live path: libpciaccess's regions, indexed by BAR slot. */
static void sized_from_regions(const struct pci_device *dev, unsigned nslots, uint32_t sized[6],
                               uint64_t sizes[6])
{
    struct bar_size b[6];

    for (unsigned i = 0; i < 6; i++) {
        sizes[i] = dev->regions[i].size;
        b[i].size = dev->regions[i].size;
        b[i].io = dev->regions[i].is_IO;
        b[i].is64 = dev->regions[i].is_64;
        b[i].prefetch = dev->regions[i].is_prefetchable;
    }
    sized_from_sizes(b, nslots, sized);
}

/* Functions of an `lspci -x` dump. 0 or the exit status 2. */
static int read_dump(const char *path, const struct options *o, struct func_list *out)
{
    struct pcidump d;
    int rc = pcidump_load(path, &d);

    if (rc)
        return fail("cannot read %s: %s", path, strerror(-rc));
    if (d.n == 0) {
        pcidump_free(&d);
        return fail("%s: no PCI function in it (not an `lspci -x` dump?)", path);
    }
    for (size_t i = 0; i < d.n; i++) {
        const struct pcidump_dev *pd = &d.devs[i];
        struct func tmp = {.domain = pd->domain, .bus = pd->bus, .dev = pd->dev, .fn = pd->fn};
        struct func *f;

        if (o->slot && !slot_match(&o->filter, &tmp))
            continue;
        f = list_add(out);
        if (!f) {
            pcidump_free(&d);
            return fail("out of memory");
        }
        *f = tmp;
        f->len = pd->len;
        memcpy(f->cfg, pd->cfg, sizeof(f->cfg));
        set_ids(f);
        if (o->bar_sizes_given && f->len >= 64)
            sized_from_list(f, o->bar_sizes);
        if (f->len < 256)
            add_note(f, "the dump holds only %zu bytes of configuration space", f->len);
    }
    if (d.bad_lines)
        fprintf(stderr, "%s: %s: %u malformed byte line(s) ignored\n", prog, path, d.bad_lines);
    pcidump_free(&d);
    return 0;
}

/* Read one live function. */
static void read_live_one(struct pci_device *dev, struct func *f)
{
    pciaddr_t got = 0;
    int rc;

    f->domain = dev->domain;
    f->bus = dev->bus;
    f->dev = dev->dev;
    f->fn = dev->func;
    memset(f->cfg, 0xff, sizeof(f->cfg));
    rc = pci_device_cfg_read(dev, f->cfg, 0, CFG_MAX, &got);
    if (got > CFG_MAX)
        got = CFG_MAX;
    if (got < 64) {
        /* some back ends refuse a long read outright: try the header */
        pciaddr_t got64 = 0;
        memset(f->cfg, 0xff, sizeof(f->cfg));
        if (pci_device_cfg_read(dev, f->cfg, 0, 64, &got64) == 0 && got64 <= 64)
            got = got64;
        else
            got = 0;
    }
    f->len = (size_t)got;
    if (f->len < CFG_MAX)
        memset(f->cfg + f->len, 0xff, CFG_MAX - f->len);
    if (f->len < 256)
        add_note(f,
                 "only %zu bytes of configuration space are readable%s (run as root to read "
                 "all of it)",
                 f->len, rc ? " (read error)" : "");
    f->vendor = dev->vendor_id;
    f->device = dev->device_id;
    if (pci_device_probe(dev) == 0 && f->len >= 64) {
        f->sized_known = true;
        sized_from_regions(dev, vmsix_bar_count(f->cfg, f->len), f->sized, f->sizes);
    } else if (f->len >= 64) {
        add_note(f, "BAR sizes unknown (libpciaccess probe failed): a free slot is one that "
                    "reads 0");
    }
}

/* Functions of the host's PCI bus. 0 or the exit status 2. */
static int read_live(const struct options *o, struct func_list *out)
{
    struct pci_slot_match m = {PCI_MATCH_ANY, PCI_MATCH_ANY, PCI_MATCH_ANY, PCI_MATCH_ANY, 0};
    struct pci_device_iterator *it;
    struct pci_device *dev;
    int rc = pci_system_init();

    if (rc) {
        fprintf(stderr, "%s: no PCI bus is visible (libpciaccess: %s): nothing to list\n", prog,
                strerror(rc));
        return 0;
    }
    if (o->slot) {
        m.domain = o->filter.domain < 0 ? PCI_MATCH_ANY : (uint32_t)o->filter.domain;
        m.bus = o->filter.bus < 0 ? PCI_MATCH_ANY : (uint32_t)o->filter.bus;
        m.dev = o->filter.dev < 0 ? PCI_MATCH_ANY : (uint32_t)o->filter.dev;
        m.func = o->filter.fn < 0 ? PCI_MATCH_ANY : (uint32_t)o->filter.fn;
    }
    it = pci_slot_match_iterator_create(&m);
    if (!it) {
        pci_system_cleanup();
        return fail("libpciaccess: cannot iterate over the PCI functions");
    }
    while ((dev = pci_device_next(it))) {
        struct func *f = list_add(out);
        if (!f) {
            pci_iterator_destroy(it);
            pci_system_cleanup();
            return fail("out of memory");
        }
        read_live_one(dev, f);
    }
    pci_iterator_destroy(it);
    pci_system_cleanup();
    return 0;
}

/* ---- the layout ---- */

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t pow2_at_least(uint64_t v)
{
    uint64_t p = 16; /* the smallest memory BAR */
    while (p < v)
        p <<= 1;
    return p;
}

/* One BAR of the device that holds the table and/or the PBA. */
static void layout_device_bar(const struct func *f, uint64_t page, unsigned bar, uint64_t table,
                              uint64_t pba, uint32_t nvec, struct layout_bar *lb)
{
    struct vmsix_bar_layout_params p;
    uint64_t t_end = table == VMSIX_BAR_LAYOUT_ABSENT ? 0 : table + 16u * (uint64_t)nvec;
    uint64_t p_end = pba == VMSIX_BAR_LAYOUT_ABSENT ? 0 : pba + 8u * ((nvec + 63u) / 64u);
    int n;

    memset(lb, 0, sizeof(*lb));
    lb->bar = bar;
    lb->table_off = table;
    lb->pba_off = pba;
    lb->size_known = f->sized_known;
    lb->size = f->sized_known ? f->sizes[bar] : pow2_at_least(t_end > p_end ? t_end : p_end);
    memset(&p, 0, sizeof(p));
    p.bar_size = lb->size;
    p.page_size = page;
    p.table_off = table;
    p.pba_off = pba;
    p.nvec = nvec;
    n = vmsix_bar_layout_compute(&p, lb->r, VMSIX_BAR_LAYOUT_MAX_RANGES, NULL);
    if (n < 0)
        lb->err = n;
    else
        lb->n = (unsigned)n;
}

/* The table BAR that MSI-X on MSI emulates: one page, table at 0, PBA at
 * half of it, where the guest view puts them (the same slot and vectors
 * whatever the masking: the software verdict has them whenever a backend
 * can serve the function). */
static void layout_emulated_bar(const struct func *f, const struct result *r, uint64_t page,
                                struct layout_bar *lb)
{
    struct vmsix_bar_reloc_params p;
    struct vmsix_bar_reloc rel;
    int rc;

    memset(lb, 0, sizeof(*lb));
    lb->bar = (unsigned)r->sw.table_bar;
    lb->emulated = true;
    lb->size_known = true;
    memset(&p, 0, sizeof(p));
    p.cfg = f->cfg;
    p.len = f->len;
    p.page_size = page;
    p.nvec = r->sw.vectors;
    p.flags = VMSIX_BAR_RELOC_FREE_ONLY | VMSIX_BAR_RELOC_MEM32 | VMSIX_BAR_RELOC_NO_PREFETCH |
              VMSIX_BAR_RELOC_PBA_HALF;
    p.target = (uint8_t)r->sw.table_bar;
    p.dev_table_bar = VMSIX_BAR_RELOC_NO_TABLE;
    rc = vmsix_bar_layout_relocate(&p, &rel, lb->r, VMSIX_BAR_LAYOUT_MAX_RANGES, NULL, 0);
    if (rc) {
        lb->err = rc;
        return;
    }
    lb->size = rel.bar_size;
    lb->table_off = rel.table_off;
    lb->pba_off = rel.pba_off;
    lb->n = rel.nguest;
}

static void layout(const struct func *f, uint64_t page, struct result *r)
{
    const struct vmsix_eligibility *e = &r->e;
    uint32_t table, pba;
    unsigned tb, pb;

    if (r->sw_eligible) {
        r->has_layout = true;
        r->nbars = 1;
        layout_emulated_bar(f, r, page, &r->bars[0]);
        return;
    }
    if (!e->msix_off)
        return;
    if ((size_t)e->msix_off + 12u > f->len) {
        r->layout_note = "the MSI-X capability lies past the bytes read";
        return;
    }
    table = rd32(f->cfg + e->msix_off + 4);
    pba = rd32(f->cfg + e->msix_off + 8);
    tb = table & 7u;
    pb = pba & 7u;
    if (tb > 5 || pb > 5) {
        r->layout_note = "the MSI-X table or PBA names a reserved BAR (BIR 6 or 7)";
        return;
    }
    r->has_layout = true;
    layout_device_bar(f, page, tb, table & ~7u, pb == tb ? pba & ~7u : VMSIX_BAR_LAYOUT_ABSENT,
                      e->msix_vectors, &r->bars[0]);
    r->nbars = 1;
    if (pb != tb)
        layout_device_bar(f, page, pb, VMSIX_BAR_LAYOUT_ABSENT, pba & ~7u, e->msix_vectors,
                          &r->bars[r->nbars++]);
}

/* ---- the check ---- */

/* The verdict for one way of masking (VMSIX_MASKING_*); true when
 * eligible. */
static bool check_masking(const struct func *f, unsigned masking, struct vmsix_eligibility *e)
{
    unsigned slot;

    vmsix_msix_on_msi_check_masking(f->cfg, f->len, masking, e);
    if (f->sized_known) {
        /* a slot that reads 0 but sizes to non-zero is an implemented BAR
         * at address 0, not a free slot */
        if (vmsix_bar_free_slot(f->cfg, f->len, f->sized, &slot) == 0) {
            e->table_bar = (int8_t)slot;
        } else {
            e->table_bar = -1;
            e->reasons |= VMSIX_ELIG_NO_FREE_BAR;
        }
    }
    if (e->reasons)
        e->table_bar = -1;
    return e->reasons == 0;
}

static void analyse(const struct func *f, uint64_t page, struct result *r)
{
    memset(r, 0, sizeof(*r));
    if (f->len < 64) {
        /* not even the header: nothing can be decided */
        r->e.reasons = r->sw.reasons = VMSIX_ELIG_TRUNCATED;
        r->e.table_bar = r->sw.table_bar = -1;
        return;
    }
    r->eligible = check_masking(f, VMSIX_MASKING_FUNCTION, &r->e);
    r->sw_eligible = check_masking(f, VMSIX_MASKING_SOFTWARE, &r->sw);
    layout(f, page, r);
}

/* ---- the backends ----
 *
 * Which backend kinds can serve the function (DESIGN 4.3, 4.5): a remap.h
 * backend (VT-d, AMD-Vi) with the function's mask bits when it has them,
 * else with software masking, which needs the device's divert hook and a
 * unit that switches a live entry in one store (VMSIX_REMAP_CAP_LIVE_SWITCH:
 * VT-d with a 128-bit atomic store, AMD-Vi with 32-bit entries or one);
 * host-owned messages (VFIO + KVM, vmsix_dev_init_hostmsg()) always with
 * software masking, once the host kernel grants the vectors. The library
 * has no GICv3 ITS backend (only a test unit of its shape), and an ITS
 * could not serve a function without mask bits (no event mapping is
 * switched atomically while live), so it is not listed. */

/* A backend kind, in the order printed. */
struct backend_kind {
    const char *key;  /* the JSON key */
    const char *name; /* the text */
    bool remap;       /* remap.h: the function's mask bits when it has them */
    const char *needs_text; /* software masking's conditions (%u: the vectors) */
    const char *const *needs; /* their stable identifiers, NULL-terminated */
};

static const char *const needs_remap[] = {"divert-hook", "live-switch", NULL};
static const char *const needs_vfio[] = {"host-multi-msi", NULL};

static const struct backend_kind backend_kinds[] = {
    {"vtd", "VT-d", true,
     "needs the divert hook and a 128-bit atomic store: cmpxchg16b on x86-64, else store128",
     needs_remap},
    {"amdvi", "AMD-Vi", true,
     "needs the divert hook, and 32-bit IRTEs or a 128-bit atomic store", needs_remap},
    {"vfio", "VFIO + KVM", false,
     "needs the host to grant %u MSI vectors: on x86, with interrupt remapping", needs_vfio},
};
#define NBACKENDS (sizeof(backend_kinds) / sizeof(backend_kinds[0]))

/* How @b serves the function: "function" (its mask bits), "software", or
 * NULL when it cannot (the reasons are then the software verdict's, the
 * fewest any masking has). */
static const char *backend_masking(const struct result *r, const struct backend_kind *b)
{
    if (!r->sw_eligible)
        return NULL;
    return b->remap && r->eligible ? "function" : "software";
}

/* ---- output ---- */

static void reasons_text(uint32_t reasons, const char *sep, bool quote, FILE *out)
{
    bool first = true;

    for (uint32_t bit = 1; bit & VMSIX_ELIG_ALL; bit <<= 1) {
        const char *name = vmsix_elig_reason_name(bit);
        if (!(reasons & bit) || !name)
            continue;
        fprintf(out, "%s%s%s%s", first ? "" : sep, quote ? "\"" : "", name, quote ? "\"" : "");
        first = false;
    }
}

static void json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

static const char *const kind_names[] = {"?", "map", "emulate", "forward", "zero"};

static const char *kind_name(uint32_t k)
{
    return kind_names[k < 5 ? k : 0];
}

/* Why a BAR cannot be laid out. */
static const char *layout_error(const struct layout_bar *lb)
{
    if (lb->err == -EINVAL)
        return lb->size_known ? "the table or PBA overlaps the other or does not fit the BAR"
                              : "the table and PBA overlap";
    return strerror(-lb->err);
}

static void json_offset(FILE *out, const char *key, uint64_t off)
{
    if (off == VMSIX_BAR_LAYOUT_ABSENT)
        fprintf(out, "\"%s\": null", key);
    else
        fprintf(out, "\"%s\": %llu", key, (unsigned long long)off);
}

static void print_json_layout(const struct result *r, uint64_t page, FILE *out)
{
    fputs(",\n   \"layout\": ", out);
    if (!r->has_layout) {
        fputs("null", out);
        return;
    }
    fprintf(out, "{\"page_size\": %llu, \"bars\": [", (unsigned long long)page);
    for (unsigned b = 0; b < r->nbars; b++) {
        const struct layout_bar *lb = &r->bars[b];

        fprintf(out, "%s\n    {\"bar\": %u, \"size\": %llu, \"size_known\": %s, \"emulated\": %s, ",
                b ? "," : "", lb->bar, (unsigned long long)lb->size,
                lb->size_known ? "true" : "false", lb->emulated ? "true" : "false");
        json_offset(out, "table_offset", lb->table_off);
        fputs(", ", out);
        json_offset(out, "pba_offset", lb->pba_off);
        fputs(", \"error\": ", out);
        if (lb->err)
            json_string(out, layout_error(lb));
        else
            fputs("null", out);
        fputs(",\n     \"ranges\": [", out);
        for (unsigned i = 0; i < lb->n; i++)
            fprintf(out, "%s{\"offset\": %llu, \"length\": %llu, \"kind\": \"%s\"}", i ? ", " : "",
                    (unsigned long long)lb->r[i].off, (unsigned long long)lb->r[i].len,
                    kind_name(lb->r[i].kind));
        fputs("]}", out);
    }
    fputs("]}", out);
}

/* "software_masking" and "backends" (after the verdict with the mask bits,
 * whose keys stay as they were). */
static void print_json_backends(const struct result *r, FILE *out)
{
    fprintf(out, ",\n   \"software_masking\": {\"eligible\": %s, \"reasons\": [",
            r->sw_eligible ? "true" : "false");
    reasons_text(r->sw.reasons, ", ", true, out);
    fputs("], \"table_bar\": ", out);
    if (r->sw_eligible)
        fprintf(out, "%d}", r->sw.table_bar);
    else
        fputs("null}", out);
    fputs(",\n   \"backends\": {", out);
    for (size_t i = 0; i < NBACKENDS; i++) {
        const struct backend_kind *b = &backend_kinds[i];
        const char *masking = backend_masking(r, b);

        fprintf(out, "%s\n    \"%s\": {\"eligible\": %s, \"masking\": ", i ? "," : "", b->key,
                masking ? "true" : "false");
        if (masking)
            json_string(out, masking);
        else
            fputs("null", out);
        fputs(", \"reasons\": [", out);
        if (!masking)
            reasons_text(r->sw.reasons, ", ", true, out);
        fputs("], \"requires\": [", out);
        for (unsigned k = 0; masking && !strcmp(masking, "software") && b->needs[k]; k++) {
            fputs(k ? ", " : "", out);
            json_string(out, b->needs[k]);
        }
        fputs("]}", out);
    }
    fputs("}", out);
}

static void print_json(const struct func *f, const struct result *r, uint64_t page, bool last,
                       FILE *out)
{
    const struct vmsix_eligibility *e = &r->e;

    fprintf(out, "  {\"slot\": \"%04x:%02x:%02x.%x\", \"vendor\": \"%04x\", \"device\": \"%04x\", ",
            f->domain, f->bus, f->dev, f->fn, f->vendor, f->device);
    fprintf(out, "\"config_bytes\": %zu,\n   ", f->len);
    if (e->msi_off)
        fprintf(out,
                "\"msi\": {\"offset\": %u, \"vectors\": %u, \"addr64\": %s, "
                "\"per_vector_mask\": %s},\n   ",
                e->msi_off, e->vectors, e->addr64 ? "true" : "false",
                e->per_vector_mask ? "true" : "false");
    else
        fputs("\"msi\": null, ", out);
    if (e->msix_off)
        fprintf(out, "\"msix\": {\"offset\": %u, \"vectors\": %u},\n   ", e->msix_off,
                e->msix_vectors);
    else
        fputs("\"msix\": null, ", out);
    fprintf(out, "\"eligible\": %s, \"reasons\": [", r->eligible ? "true" : "false");
    reasons_text(e->reasons, ", ", true, out);
    fputs("], \"table_bar\": ", out);
    if (r->eligible)
        fprintf(out, "%d", e->table_bar);
    else
        fputs("null", out);
    print_json_backends(r, out);
    fputs(",\n   \"notes\": [", out);
    for (unsigned i = 0; i < f->nnotes; i++) {
        if (i)
            fputs(", ", out);
        json_string(out, f->notes[i]);
    }
    fputc(']', out);
    print_json_layout(r, page, out);
    fprintf(out, "}%s\n", last ? "" : ",");
}

/* 4096 -> "4 KiB"; sizes that are not whole KiB in bytes. */
static const char *size_text(uint64_t v, char *buf, size_t len)
{
    static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    unsigned u = 0;

    while (u < 6 && v >= 1024 && v % 1024 == 0) {
        v /= 1024;
        u++;
    }
    snprintf(buf, len, "%llu %s", (unsigned long long)v, units[u]);
    return buf;
}

static void print_text_layout(const struct result *r, uint64_t page, FILE *out)
{
    char a[32], b[32];

    if (r->layout_note)
        fprintf(out, "\tlayout: none (%s)\n", r->layout_note);
    for (unsigned k = 0; k < r->nbars; k++) {
        const struct layout_bar *lb = &r->bars[k];

        fprintf(out, "\tlayout at %s pages: BAR %u, %s%s", size_text(page, a, sizeof(a)), lb->bar,
                size_text(lb->size, b, sizeof(b)),
                lb->emulated     ? ", emulated by vmsix"
                : lb->size_known ? ""
                                 : " (size unknown: the smallest that holds them)");
        if (lb->table_off != VMSIX_BAR_LAYOUT_ABSENT)
            fprintf(out, ", table at 0x%llx", (unsigned long long)lb->table_off);
        if (lb->pba_off != VMSIX_BAR_LAYOUT_ABSENT)
            fprintf(out, ", PBA at 0x%llx", (unsigned long long)lb->pba_off);
        if (lb->err) {
            fprintf(out, ": cannot be laid out: %s\n", layout_error(lb));
            continue;
        }
        fputc('\n', out);
        for (unsigned i = 0; i < lb->n; i++)
            fprintf(out, "\t\t[0x%llx, 0x%llx) %s\n", (unsigned long long)lb->r[i].off,
                    (unsigned long long)(lb->r[i].off + lb->r[i].len), kind_name(lb->r[i].kind));
    }
}

static void print_text(const struct func *f, const struct result *r, uint64_t page, FILE *out)
{
    const struct vmsix_eligibility *e = &r->e;

    fprintf(out, "%04x:%02x:%02x.%x %04x:%04x\n", f->domain, f->bus, f->dev, f->fn, f->vendor,
            f->device);
    if (e->msi_off) {
        fprintf(out, "\tMSI: offset 0x%02x, ", e->msi_off);
        if (e->vectors)
            fprintf(out, "%u vector%s", e->vectors, e->vectors == 1 ? "" : "s");
        else
            fputs("reserved Multiple Message Capable", out);
        fprintf(out, ", %s address, %s\n", e->addr64 ? "64-bit" : "32-bit",
                e->per_vector_mask ? "per-vector mask" : "no per-vector mask");
    } else {
        fputs("\tMSI: none\n", out);
    }
    if (e->msix_off)
        fprintf(out, "\tMSI-X: offset 0x%02x, %u vector%s\n", e->msix_off, e->msix_vectors,
                e->msix_vectors == 1 ? "" : "s");
    else
        fputs("\tMSI-X: none\n", out);
    if (r->eligible) {
        fprintf(out, "\tverdict: eligible, table in BAR %d\n", e->table_bar);
    } else if (r->sw_eligible) {
        fprintf(out, "\tverdict: eligible with software masking, table in BAR %d\n",
                r->sw.table_bar);
    } else {
        fputs("\tverdict: not eligible: ", out);
        reasons_text(e->reasons, ", ", false, out);
        fputc('\n', out);
    }
    for (size_t i = 0; i < NBACKENDS && r->sw_eligible; i++) {
        const struct backend_kind *b = &backend_kinds[i];

        if (!strcmp(backend_masking(r, b), "function")) {
            fprintf(out, "\t\t%s: eligible with the function's mask bits\n", b->name);
            continue;
        }
        fprintf(out, "\t\t%s: eligible with software masking (", b->name);
        fprintf(out, b->needs_text, e->vectors);
        fputs(")\n", out);
    }
    print_text_layout(r, page, out);
    for (unsigned i = 0; i < f->nnotes; i++)
        fprintf(out, "\tnote: %s\n", f->notes[i]);
}

/* The function's BARs as the host knows them, for the guest view, which
 * shows each one virtual (its type, address 0): the sizes from sizing
 * (--bar-sizes, or the live host's regions), else, for a dump, the largest
 * size its address allows (capped at 1 MiB for memory, 256 bytes for I/O;
 * 16 KiB or 32 bytes at address 0), as vmsix-demo assumes. */
static void describe_bars(const struct func *f, struct vmsix_dev_bar *bars)
{
    struct vmsix_bar raw[6];
    unsigned n = 0;

    memset(bars, 0, VMSIX_DEV_NBARS * sizeof(*bars));
    if (vmsix_bar_decode(f->cfg, f->len, raw, &n))
        return;
    for (unsigned i = 0; i < n; i++) {
        bool io = raw[i].kind == VMSIX_BAR_IO;
        uint64_t cap = io ? 256 : 0x100000, size;

        if (raw[i].kind != VMSIX_BAR_IO && raw[i].kind != VMSIX_BAR_MEM32 &&
            raw[i].kind != VMSIX_BAR_MEM64)
            continue;
        if (f->sized_known)
            size = f->sizes[i];
        else if (!raw[i].addr)
            size = io ? 32 : 0x4000;
        else
            size = raw[i].addr & (~raw[i].addr + 1u);
        if (!f->sized_known && size > cap)
            size = cap;
        if (!size)
            continue;
        bars[i].size = size;
        bars[i].kind = raw[i].kind;
        bars[i].prefetch = raw[i].prefetch;
        if (raw[i].kind == VMSIX_BAR_MEM64)
            i++;
    }
    /* the expansion ROM, when its register shows an address */
    uint32_t rom = (uint32_t)f->cfg[0x30] | (uint32_t)f->cfg[0x31] << 8 |
                   (uint32_t)f->cfg[0x32] << 16 | (uint32_t)f->cfg[0x33] << 24;
    rom &= 0xfffff800u;
    if (f->len >= 64 && rom) {
        uint64_t size = rom & (~rom + 1u);
        bars[VMSIX_DEV_ROM].size = size > 0x100000 ? 0x100000 : size;
        bars[VMSIX_DEV_ROM].kind = VMSIX_BAR_MEM32;
    }
}

/* --virtual on the one selected function. 0 or the exit status 2. */
static int print_virtual(const struct func *f, const struct result *r, const struct options *o)
{
    struct vmsix_dev_options opt = o->dev_opt;
    struct pcidump_dev pd = {.domain = f->domain, .bus = f->bus, .dev = f->dev, .fn = f->fn};
    static uint8_t view[CFG_MAX];
    char slot[32], name[96];
    int rc;

    snprintf(slot, sizeof(slot), "%04x:%02x:%02x.%x", f->domain, f->bus, f->dev, f->fn);
    if (!r->sw_eligible) {
        fprintf(stderr, "%s: %s is not eligible for MSI-X emulation: ", prog, slot);
        reasons_text(r->e.reasons, ", ", false, stderr);
        if (r->sw.reasons != r->e.reasons) {
            fputs(" (with software masking: ", stderr);
            reasons_text(r->sw.reasons, ", ", false, stderr);
            fputc(')', stderr);
        }
        fputc('\n', stderr);
        return EXIT_BAD;
    }
    if (opt.nvec && opt.nvec > r->e.vectors)
        return fail("--vectors %u: %s has only %u MSI vectors", opt.nvec, slot, r->e.vectors);
    if (opt.table_bar_set) {
        struct vmsix_bar bars[6];
        unsigned n = 0;
        vmsix_bar_decode(f->cfg, f->len, bars, &n);
        if (opt.table_bar >= n || bars[opt.table_bar].kind != VMSIX_BAR_NONE ||
            (f->sized_known && f->sized[opt.table_bar]))
            return fail("--table-bar %u: BAR slot %u of %s is not free", opt.table_bar,
                        opt.table_bar, slot);
    } else if (f->sized_known) {
        /* the slot that sizing proved free, not merely one that reads 0 */
        opt.table_bar_set = true;
        opt.table_bar = (uint8_t)r->sw.table_bar;
    }
    describe_bars(f, opt.bars);
    /* the same view whatever the masking; a function without mask bits is
     * served with software masking */
    rc = vmsix_msix_on_msi_view_masking(
        f->cfg, f->len, r->eligible ? VMSIX_MASKING_FUNCTION : VMSIX_MASKING_SOFTWARE, &opt, view,
        f->len);
    if (rc)
        return fail("%s: the guest view cannot be built with these options (%s)", slot,
                    strerror(-rc));
    snprintf(name, sizeof(name), "vmsix guest view of %04x:%04x", f->vendor, f->device);
    if (pcidump_write(stdout, &pd, view, f->len, name))
        return fail("cannot write the output");
    return 0;
}

enum {
    OPT_BAR_SIZE = 0x100,
    OPT_VECTORS,
    OPT_TABLE_BAR,
    OPT_BAR_SIZES,
    OPT_PAGE_SIZE,
    OPT_VERSION,
};

/* Parse the command line into @o. -1 = exit 0 (help), 0 = go on, 2 = bad. */
static int parse_args(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        {"dump", required_argument, NULL, 'd'},
        {"slot", required_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},
        {"virtual", no_argument, NULL, 'V'},
        {"bar-size", required_argument, NULL, OPT_BAR_SIZE},
        {"vectors", required_argument, NULL, OPT_VECTORS},
        {"table-bar", required_argument, NULL, OPT_TABLE_BAR},
        {"bar-sizes", required_argument, NULL, OPT_BAR_SIZES},
        {"page-size", required_argument, NULL, OPT_PAGE_SIZE},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    unsigned long v;
    const char *err;
    int c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":s:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            o->dump = optarg;
            break;
        case 's':
            o->slot = optarg;
            err = parse_slot(optarg, &o->filter);
            if (err)
                return fail("-s %s: %s (expected [[domain:]bus:][dev][.fn], hex)", optarg, err);
            break;
        case 'j':
            o->json = true;
            break;
        case 'V':
            o->virt = true;
            break;
        case OPT_BAR_SIZE:
            if (parse_num(optarg, 4096, 0x80000000ul, &v) || !is_pow2(v))
                return fail("--bar-size %s: expected a power of two from 4096 to 0x80000000",
                            optarg);
            o->dev_opt.bar_size = (uint32_t)v;
            o->dev_opt_given = true;
            break;
        case OPT_VECTORS:
            if (parse_num(optarg, 2, 32, &v) || !is_pow2(v))
                return fail("--vectors %s: expected 2, 4, 8, 16 or 32", optarg);
            o->dev_opt.nvec = (uint8_t)v;
            o->dev_opt_given = true;
            break;
        case OPT_TABLE_BAR:
            if (parse_num(optarg, 0, 5, &v))
                return fail("--table-bar %s: expected a BAR slot from 0 to 5", optarg);
            o->dev_opt.table_bar_set = true;
            o->dev_opt.table_bar = (uint8_t)v;
            o->dev_opt_given = true;
            break;
        case OPT_BAR_SIZES:
            if (parse_bar_sizes(optarg, o->bar_sizes))
                return fail("--bar-sizes %s: expected up to six comma-separated sizes, each 0 "
                            "or a power of two",
                            optarg);
            o->bar_sizes_given = true;
            break;
        case OPT_PAGE_SIZE:
            if (parse_num(optarg, 4096, 0x80000000ul, &v) || !is_pow2(v))
                return fail("--page-size %s: expected a power of two from 4096 to 0x80000000",
                            optarg);
            o->page_size = v;
            o->page_size_given = true;
            break;
        case 'h':
            usage(stdout);
            return -1;
        case OPT_VERSION:
            printf("vmsix-probe %s\n", vmsix_version());
            return -1;
        case ':':
            return fail("option %s needs an argument (see --help)", argv[optind - 1]);
        default:
            if (optopt)
                return fail("unknown option -%c (see --help)", optopt);
            return fail("unknown option %s (see --help)", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return fail("unexpected argument '%s' (see --help)", argv[optind]);
    if (o->virt && !o->slot)
        return fail("--virtual needs -s SLOT");
    if (o->virt && o->json)
        return fail("--virtual and --json cannot be combined");
    if (o->bar_sizes_given && !o->dump)
        return fail("--bar-sizes needs --dump (on the host, libpciaccess gives the sizes)");
    if (o->dev_opt_given && !o->virt)
        return fail("--bar-size, --vectors and --table-bar need --virtual");
    if (o->page_size_given && o->virt)
        return fail("--page-size lays out the MSI-X BARs, which --virtual does not print (its "
                    "table BAR's size is --bar-size)");
    return 0;
}

int main(int argc, char **argv)
{
    struct options o;
    struct func_list list = {NULL, 0, 0};
    struct result r;
    int rc;

    memset(&o, 0, sizeof(o));
    rc = parse_args(argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (!o.page_size_given) {
        long ps = sysconf(_SC_PAGESIZE);
        /* the layout needs at least 4 KiB; a host with less maps 4 KiB anyway */
        o.page_size = ps >= 4096 && is_pow2((unsigned long)ps) ? (uint64_t)ps : 4096;
    }
    rc = o.dump ? read_dump(o.dump, &o, &list) : read_live(&o, &list);
    if (rc)
        goto out;
    if (list.n > 1)
        qsort(list.v, list.n, sizeof(list.v[0]), cmp_func);
    if (o.slot && list.n == 0) {
        rc =
            fail("-s %s: no such function%s%s", o.slot, o.dump ? " in " : "", o.dump ? o.dump : "");
        goto out;
    }
    if (o.virt) {
        if (list.n != 1) {
            rc = fail("-s %s matches %zu functions; --virtual needs exactly one", o.slot, list.n);
            goto out;
        }
        analyse(&list.v[0], o.page_size, &r);
        rc = print_virtual(&list.v[0], &r, &o);
        goto out;
    }
    if (list.n == 0 && !o.json)
        fprintf(stderr, "%s: no PCI function found\n", prog);
    if (o.json)
        fputs("[\n", stdout);
    for (size_t i = 0; i < list.n; i++) {
        analyse(&list.v[i], o.page_size, &r);
        if (o.json)
            print_json(&list.v[i], &r, o.page_size, i + 1 == list.n, stdout);
        else
            print_text(&list.v[i], &r, o.page_size, stdout);
    }
    if (o.json)
        fputs("]\n", stdout);
    if (fflush(stdout) || ferror(stdout))
        rc = fail("cannot write the output");
out:
    free(list.v);
    return rc;
}
