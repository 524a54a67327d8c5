/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The BAR layout (DESIGN 4.6) against its oracles (tests/common/
 * bar_layout_ref.h): QEMU's vfio_pci_fixup_msix_region() and
 * vfio_pci_relocate_msix() restated, Linux vfio-pci's excluded window, the
 * rule restated page by page, and the properties of every layout, over
 * - a sweep of BAR sizes 4 KiB..1 MiB x table offsets in 8-byte steps x
 *   1..2048 vectors x 4, 16 and 64 KiB pages: exhaustive for 4 and 8 KiB
 *   BARs (and 16 KiB ones at 4 KiB pages), sampled (seeded, with every
 *   page-boundary edge) above;
 * - random BAR sets for relocation, every target slot;
 * - every MSI-X function of tests/data at each page size.
 * Each test prints how many cases it checked.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include <vmsix/bar.h>
#include <vmsix/bar_layout.h>
#include <vmsix/capchain.h>

#include "bar_layout_ref.h"
#include "pcidump.h"

/* Under valgrind (scripts/test runs the unit suites under memcheck too) the
 * sweep is cut to a twentieth: the same code paths, in seconds rather than
 * minutes. The full sweep runs in every native build. */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#ifndef TEST_DATA_DIR
#error "TEST_DATA_DIR must name tests/data"
#endif

#define KiB UINT64_C(1024)
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)
#define ABSENT VMSIX_BAR_LAYOUT_ABSENT
#define PFD VMSIX_BAR_LAYOUT_PBA_FROM_DEVICE
#define MAPPABLE VMSIX_BAR_LAYOUT_MSIX_MAPPABLE

static const uint64_t pages[] = {4 * KiB, 16 * KiB, 64 * KiB};

/* xorshift64*: the sweep's samples, the same on every run */
static uint64_t rng = UINT64_C(0x9e3779b97f4a7c15);

static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * UINT64_C(0x2545f4914f6cdd1d);
}

static uint64_t rnd_below(uint64_t n)
{
    return n ? rnd() % n : 0;
}

/* ---- comparing sets of bytes given as intervals ---- */

#define MAX_IV 16

struct ivset {
    unsigned n;
    uint64_t lo[MAX_IV], hi[MAX_IV];
};

static void iv_add(struct ivset *s, uint64_t lo, uint64_t hi)
{
    if (lo >= hi)
        return;
    if (s->n && s->hi[s->n - 1] == lo) { /* callers add in order */
        s->hi[s->n - 1] = hi;
        return;
    }
    assert_true(s->n < MAX_IV);
    s->lo[s->n] = lo;
    s->hi[s->n] = hi;
    s->n++;
}

/* @s minus [lo, hi), in order */
static void iv_cut(struct ivset *s, uint64_t lo, uint64_t hi)
{
    struct ivset o;

    memset(&o, 0, sizeof(o));
    for (unsigned i = 0; i < s->n; i++) {
        iv_add(&o, s->lo[i], s->hi[i] < lo ? s->hi[i] : lo);
        iv_add(&o, s->lo[i] > hi ? s->lo[i] : hi, s->hi[i]);
    }
    *s = o;
}

static bool iv_equal(const struct ivset *a, const struct ivset *b)
{
    if (a->n != b->n)
        return false;
    for (unsigned i = 0; i < a->n; i++)
        if (a->lo[i] != b->lo[i] || a->hi[i] != b->hi[i])
            return false;
    return true;
}

static void kind_set(const struct vmsix_bar_range *r, unsigned n, uint32_t kind, struct ivset *s)
{
    memset(s, 0, sizeof(*s));
    for (unsigned i = 0; i < n; i++)
        if (r[i].kind == kind)
            iv_add(s, r[i].off, r[i].off + r[i].len);
}

/* ---- one layout against every oracle ---- */

struct tally {
    unsigned long placements; /* (size, page, table offset, vectors, flags) */
    unsigned long layouts, refused, ref_compared, qemu_compared, linux_compared;
};

static void fail_case(const struct vmsix_bar_layout_params *p, const char *why)
{
    fail_msg("size %#llx page %#llx table %#llx pba %#llx nvec %u flags %#x: %s",
             (unsigned long long)p->bar_size, (unsigned long long)p->page_size,
             (unsigned long long)p->table_off, (unsigned long long)p->pba_off, p->nvec, p->flags,
             why);
}

/* Returns the library's result; a valid layout is checked whole. */
static int check_one(const struct vmsix_bar_layout_params *p, struct tally *t)
{
    struct vmsix_bar_range r[VMSIX_BAR_LAYOUT_MAX_RANGES], ref[REF_MAX_RANGES];
    struct ivset got, want;
    struct qemu_mmap qm[2];
    unsigned nq, nref;
    uint32_t rep;
    bool whole;
    const char *why;
    int n;

    n = vmsix_bar_layout_compute(p, r, VMSIX_BAR_LAYOUT_MAX_RANGES, &rep);
    if (n < 0) {
        t->refused++;
        return n;
    }
    t->layouts++;
    why = layout_check(p, r, (unsigned)n);
    if (why)
        fail_case(p, why);
    if (((rep & VMSIX_BAR_REPORT_HOST_MMAP_ALL) != 0) !=
        ((p->flags & MAPPABLE) && p->bar_size >= p->page_size))
        fail_case(p, "HOST_MMAP_ALL reported wrongly");

    /* the rule, page by page */
    if (p->bar_size / p->page_size <= 256) {
        nref = ref_layout(p, ref);
        if (!ranges_equal(r, (unsigned)n, ref, nref))
            fail_case(p, "differs from the page-by-page rule");
        t->ref_compared++;
    }

    if (p->table_off == ABSENT)
        return n;
    /* What QEMU maps into the guest: what its fixup leaves of the one mmap.
     * (With MSIX_MAPPABLE it keeps the mmap whole and lays its table region
     * over it; KVM slots are whole pages, so the table's pages leave the
     * guest's mapping all the same.) Its PBA region is disabled until a
     * masked vector fires, which is PBA_FROM_DEVICE; enabled (the PBA
     * emulated), it takes the PBA's pages out of the mapping in the same
     * way. */
    qemu_fixup(p->bar_size, p->table_off, p->nvec, p->page_size, false, qm, &nq, &whole);
    memset(&want, 0, sizeof(want));
    if (p->bar_size >= p->page_size)
        for (unsigned i = 0; i < nq; i++)
            iv_add(&want, qm[i].off, qm[i].off + qm[i].len);
    if (p->pba_off != ABSENT && !(p->flags & PFD))
        iv_cut(&want, p->pba_off / p->page_size * p->page_size,
               (p->pba_off + ref_plen(p->nvec) + p->page_size - 1) / p->page_size * p->page_size);
    kind_set(r, (unsigned)n, VMSIX_BAR_RANGE_MAP, &got);
    if (!iv_equal(&got, &want))
        fail_case(p, "the mapped bytes differ from QEMU's mmaps");
    t->qemu_compared++;

    /* Linux vfio-pci: with the PBA read from the device, what is emulated
     * is exactly what the kernel keeps from user space */
    if (p->flags & PFD) {
        uint64_t lo, hi;
        linux_excluded(p->table_off, p->nvec, &lo, &hi);
        memset(&want, 0, sizeof(want));
        iv_add(&want, lo, hi);
        kind_set(r, (unsigned)n, VMSIX_BAR_RANGE_EMULATE, &got);
        if (!iv_equal(&got, &want))
            fail_case(p, "the emulated bytes differ from vfio-pci's excluded window");
        t->linux_compared++;
    }
    return n;
}

/* One table placement with the PBA absent, right after the table (emulated
 * and from the device), at the BAR's end or start; and the PBA alone at the
 * table's offset. */
static void check_placement(uint64_t size, uint64_t page, uint64_t t, uint32_t n, uint32_t flags,
                            struct tally *tl)
{
    struct vmsix_bar_layout_params p;
    uint64_t tend = t + ref_tlen(n), pl = ref_plen(n);

    tl->placements++;
    memset(&p, 0, sizeof(p));
    p.bar_size = size;
    p.page_size = page;
    p.table_off = t;
    p.nvec = n;
    p.flags = flags;
    p.pba_off = ABSENT;
    assert_true(check_one(&p, tl) > 0);
    if (tend + pl <= size) {
        p.pba_off = tend;
        assert_true(check_one(&p, tl) > 0);
        p.flags = flags | PFD;
        assert_true(check_one(&p, tl) > 0);
        p.flags = flags;
    }
    if (size - pl >= tend) {
        p.pba_off = size - pl; /* at the BAR's end */
        assert_true(check_one(&p, tl) > 0);
    } else if (t >= pl) {
        p.pba_off = 0; /* at its start, the table at the end */
        assert_true(check_one(&p, tl) > 0);
    }
    /* a BAR that holds the PBA only (the table's in another), read from the
     * device or not */
    p.table_off = ABSENT;
    p.pba_off = t;
    assert_true(check_one(&p, tl) > 0);
    p.flags = flags | PFD;
    assert_true(check_one(&p, tl) > 0);
}

static void print_tally(const char *what, const struct tally *t)
{
    print_message("%s: %lu placements, %lu layouts (%lu refused inputs), %lu against the "
                  "page-by-page rule, %lu against QEMU's fixup, %lu against vfio-pci's window\n",
                  what, t->placements, t->layouts, t->refused, t->ref_compared, t->qemu_compared,
                  t->linux_compared);
}

/* QEMU's three cases by name: the table at the start, at the end, in the
 * middle (and covering the whole BAR). */
static void test_qemu_fixup_cases(void **state)
{
    struct tally t;
    struct qemu_mmap qm[2];
    unsigned nq;
    bool whole;

    (void)state;
    memset(&t, 0, sizeof(t));
    /* start: QEMU keeps [end, size) */
    qemu_fixup(64 * KiB, 0, 16, 4 * KiB, false, qm, &nq, &whole);
    assert_int_equal(nq, 1);
    assert_int_equal(qm[0].off, 4 * KiB);
    check_placement(64 * KiB, 4 * KiB, 0, 16, 0, &t);
    /* end: QEMU keeps [0, start) */
    qemu_fixup(64 * KiB, 60 * KiB, 16, 4 * KiB, false, qm, &nq, &whole);
    assert_int_equal(nq, 1);
    assert_int_equal(qm[0].len, 60 * KiB);
    check_placement(64 * KiB, 4 * KiB, 60 * KiB, 16, 0, &t);
    /* middle: two mmaps */
    qemu_fixup(64 * KiB, 0x5200, 129, 4 * KiB, false, qm, &nq, &whole);
    assert_int_equal(nq, 2);
    check_placement(64 * KiB, 4 * KiB, 0x5200, 129, 0, &t);
    /* the whole BAR: none */
    qemu_fixup(16 * KiB, 0x2000, 136, 64 * KiB, false, qm, &nq, &whole);
    assert_int_equal(nq, 0);
    check_placement(16 * KiB, 64 * KiB, 0x2000, 136, 0, &t);
    /* MSIX_MAPPABLE: QEMU maps the region whole on the host, the guest's
     * view is unchanged */
    qemu_fixup(64 * KiB, 0x5200, 129, 4 * KiB, true, qm, &nq, &whole);
    assert_true(whole);
    check_placement(64 * KiB, 4 * KiB, 0x5200, 129, MAPPABLE, &t);
    print_tally("QEMU's cases", &t);
}

/* The sweep. Every offset of 4 and 8 KiB BARs with every vector count;
 * above, per size and page, every page-boundary edge for a set of counts
 * and seeded random (offset, count) pairs. */
static void test_sweep(void **state)
{
    static const uint32_t edge_n[] = {1, 2, 63, 64, 65, 255, 256, 257, 1024, 2047, 2048};
    struct tally t;
    unsigned long samples = 0;
    bool light = RUNNING_ON_VALGRIND != 0;
    uint64_t exhaustive = light ? 4 * KiB : 16 * KiB;
    unsigned random_pairs = light ? 500 : 10000;

    (void)state;
    memset(&t, 0, sizeof(t));
    for (uint64_t size = 4 * KiB; size <= MiB; size *= 2) {
        for (unsigned pi = 0; pi < 3; pi++) {
            uint64_t page = pages[pi];
            uint32_t maxn = size / 16 < 2048 ? (uint32_t)(size / 16) : 2048;
            uint32_t flags = (pi & 1) ? MAPPABLE : 0;

            /* 16 KiB is four pages only at 4 KiB: the other pages are
             * sampled like the larger BARs */
            if (size <= exhaustive && (size <= 8 * KiB || page == 4 * KiB)) {
                /* exhaustive */
                for (uint64_t off = 0; off + 16 <= size; off += 8)
                    for (uint32_t n = 1; n <= maxn && off + ref_tlen(n) <= size; n++)
                        check_placement(size, page, off, n, flags, &t);
                continue;
            }
            /* the edges: each page boundary (and the BAR's end) +-8 */
            for (unsigned k = 0; k < sizeof(edge_n) / sizeof(edge_n[0]); k++) {
                uint32_t n = edge_n[k];
                if (n > maxn)
                    continue;
                for (uint64_t b = 0; b <= size; b += page < size ? page : size)
                    for (int d = -16; d <= 16; d += 8) {
                        uint64_t off = b + (uint64_t)(int64_t)d;
                        if (b == 0 && d < 0)
                            continue;
                        if (off + ref_tlen(n) <= size)
                            check_placement(size, page, off, n, flags, &t);
                        /* the table ending at the boundary */
                        if (b >= ref_tlen(n) + (uint64_t)(d < 0 ? -d : 0) && d <= 0)
                            check_placement(size, page, b - ref_tlen(n) + (uint64_t)(int64_t)d, n,
                                            flags, &t);
                    }
            }
            /* random pairs */
            for (unsigned k = 0; k < random_pairs; k++) {
                uint32_t n = 1 + (uint32_t)rnd_below(maxn);
                uint64_t off = rnd_below((size - ref_tlen(n)) / 8 + 1) * 8;
                check_placement(size, page, off, n, flags, &t);
                samples++;
            }
        }
    }
    print_tally("sweep", &t);
    print_message("sweep: every (offset, count) of %s; above, up to 1 MiB, every page edge and "
                  "%lu random (offset, count) pairs%s\n",
                  light ? "4 KiB BARs at each page size"
                        : "4 and 8 KiB BARs at each page size and of 16 KiB ones at 4 KiB pages",
                  samples, light ? " (cut under valgrind)" : "");
}

/* ---- relocation against QEMU ---- */

static void put32(uint8_t *cfg, unsigned slot, uint32_t v)
{
    memcpy(cfg + 0x10 + 4 * slot, &v, 4);
}

static uint64_t rnd_pow2(unsigned lo_log2, unsigned hi_log2)
{
    return UINT64_C(1) << (lo_log2 + rnd_below(hi_log2 - lo_log2 + 1));
}

/* A random set of BARs, as registers, host sizes and QEMU's view. */
static void random_bars(uint8_t cfg[256], uint64_t sizes[6], struct qemu_bar q[6])
{
    memset(cfg, 0, 256);
    memset(sizes, 0, 6 * sizeof(sizes[0]));
    memset(q, 0, 6 * sizeof(q[0]));
    for (unsigned i = 0; i < 6; i++) {
        switch (rnd_below(6)) {
        case 0:
        case 1: /* unimplemented */
            break;
        case 2: /* I/O */
            put32(cfg, i, 0xe001u);
            sizes[i] = rnd_pow2(2, 8);
            q[i].ioport = true;
            break;
        case 3: /* 32-bit memory, up to 2 GiB (past 1 GiB: QEMU refuses) */
            q[i].prefetch = rnd_below(2);
            put32(cfg, i, 0xc0000000u | (q[i].prefetch ? 8u : 0u));
            sizes[i] = rnd_pow2(4, 31);
            break;
        case 4: /* 64-bit memory: two slots */
            if (i == 5)
                break;
            q[i].prefetch = rnd_below(2);
            q[i].mem64 = true;
            put32(cfg, i, 0x00000004u | (q[i].prefetch ? 8u : 0u));
            put32(cfg, i + 1, 0x80u);
            sizes[i] = rnd_pow2(4, 62);
            q[i].size = sizes[i];
            i++;
            continue;
        case 5: /* 32-bit memory at address 0: reads 0, sizes non-zero */
            sizes[i] = rnd_pow2(12, 20);
            break;
        }
        q[i].size = sizes[i];
    }
}

static void test_qemu_relocate(void **state)
{
    uint8_t cfg[256];
    uint64_t sizes[6];
    struct qemu_bar q[6];
    unsigned long compared = 0, refused = 0;

    (void)state;
    for (unsigned k = 0; k < 4000; k++) {
        random_bars(cfg, sizes, q);
        for (unsigned target = 0; target < 6; target++) {
            uint32_t n = 1 + (uint32_t)rnd_below(2048);
            uint64_t page = pages[rnd_below(3)];
            struct qemu_relo want = qemu_relocate(q, target, n, page);
            struct vmsix_bar_reloc_params p;
            struct vmsix_bar_reloc r;
            int rc;

            memset(&p, 0, sizeof(p));
            p.cfg = cfg;
            p.len = sizeof(cfg);
            p.sizes = sizes;
            p.page_size = page;
            p.nvec = n;
            p.target = (uint8_t)target;
            p.dev_table_bar = VMSIX_BAR_RELOC_NO_TABLE;
            rc = vmsix_bar_layout_relocate(&p, &r, NULL, 0, NULL, 0);
            if (!want.ok) {
                if (rc != -ENOTSUP && rc != -ENOSPC)
                    fail_msg("case %u slot %u: QEMU refuses, vmsix returns %d", k, target, rc);
                refused++;
                continue;
            }
            if (rc)
                fail_msg("case %u slot %u nvec %u page %#llx: QEMU relocates, vmsix returns %d", k,
                         target, n, (unsigned long long)page, rc);
            assert_int_equal(r.slot, target);
            assert_int_equal(r.kind == VMSIX_BAR_MEM64, want.mem64);
            assert_int_equal(r.prefetch, want.prefetch);
            assert_int_equal(r.bar_size, want.size);
            assert_int_equal(r.table_off, want.table_off);
            assert_int_equal(r.pba_off, want.pba_off);
            compared++;
        }
    }
    print_message("relocation: %lu placements equal to QEMU's, %lu refused by both\n", compared,
                  refused);
    assert_true(compared > 1000 && refused > 1000);
}

/* ---- every MSI-X function of tests/data ---- */

/* The region sizes the dump's decoded text gives ("Region N: Memory at ...
 * [size=64K]"), per function; 0 where it says nothing. */
struct text_sizes {
    unsigned domain, bus, dev, fn;
    uint64_t size[6];
};

static uint64_t parse_size(const char *s)
{
    char *end;
    uint64_t v = strtoull(s, &end, 10);

    switch (*end) {
    case 'K':
        return v * KiB;
    case 'M':
        return v * MiB;
    case 'G':
        return v * GiB;
    case 'T':
        return v * 1024 * GiB;
    default:
        return v;
    }
}

static size_t read_text_sizes(const char *path, struct text_sizes *out, size_t max)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    size_t n = 0;
    struct text_sizes *cur = NULL;

    assert_non_null(f);
    while (fgets(line, sizeof(line), f)) {
        unsigned d = 0, b, dv, fn;
        char c;
        const char *r, *sz;

        if ((sscanf(line, "%x:%x:%x.%x%c", &d, &b, &dv, &fn, &c) == 5 && c == ' ') ||
            (d = 0, sscanf(line, "%x:%x.%x%c", &b, &dv, &fn, &c) == 4 && c == ' ')) {
            if (line[0] == ' ' || line[0] == '\t' || n == max) {
                cur = NULL;
                continue;
            }
            cur = &out[n++];
            memset(cur, 0, sizeof(*cur));
            cur->domain = d;
            cur->bus = b;
            cur->dev = dv;
            cur->fn = fn;
            continue;
        }
        r = strstr(line, "Region ");
        sz = strstr(line, "[size=");
        if (cur && r && sz && strstr(line, "Memory at") && r[7] >= '0' && r[7] <= '5' &&
            r[8] == ':')
            cur->size[r[7] - '0'] = parse_size(sz + 6);
    }
    fclose(f);
    return n;
}

struct corpus_tally {
    struct tally t;
    unsigned functions, sized, overlapping, relocations;
};

static uint64_t pow2_at_least(uint64_t v)
{
    uint64_t p = 16;
    while (p < v)
        p <<= 1;
    return p;
}

static void check_function(const char *path, const struct pcidump_dev *d,
                           const struct text_sizes *ts, size_t nts, struct corpus_tally *ct)
{
    struct vmsix_cap cap;
    const uint8_t *c = d->cfg;
    uint32_t table, pba, n;
    uint64_t t, q, size = 0, pl;
    unsigned tb, pb;
    const struct text_sizes *s = NULL;

    if (d->len < 64 || vmsix_capchain_lookup(c, d->len, false, 0x11, &cap, NULL))
        return;
    memcpy(&table, c + cap.off + 4, 4);
    memcpy(&pba, c + cap.off + 8, 4);
    n = (uint32_t)((c[cap.off + 2] | c[cap.off + 3] << 8) & 0x7ff) + 1;
    tb = table & 7;
    pb = pba & 7;
    t = table & ~7u;
    q = pba & ~7u;
    pl = ref_plen(n);
    for (size_t i = 0; i < nts; i++)
        if (ts[i].domain == d->domain && ts[i].bus == d->bus && ts[i].dev == d->dev &&
            ts[i].fn == d->fn)
            s = &ts[i];
    ct->functions++;
    if (tb < 6 && s && s->size[tb]) {
        size = s->size[tb];
        ct->sized++;
    } else {
        /* no size in the dump: the smallest BAR that holds them */
        size = pow2_at_least(t + ref_tlen(n));
        if (pb == tb && pow2_at_least(q + pl) > size)
            size = pow2_at_least(q + pl);
    }
    for (unsigned pi = 0; pi < 3; pi++) {
        struct vmsix_bar_layout_params p;
        int rc;

        memset(&p, 0, sizeof(p));
        p.bar_size = size;
        p.page_size = pages[pi];
        p.table_off = t;
        p.pba_off = pb == tb ? q : ABSENT;
        p.nvec = n;
        for (unsigned f = 0; f < 2; f++) {
            p.flags = f ? PFD | MAPPABLE : 0;
            ct->t.placements++;
            rc = check_one(&p, &ct->t);
            if (rc < 0) {
                /* only a PBA that overlaps the table is refused in the corpus */
                bool overlap = pb == tb && t < q + pl && q < t + ref_tlen(n);
                if (!overlap || rc != -EINVAL)
                    fail_msg("%s %02x:%02x.%x: layout refused (%d)", path, d->bus, d->dev, d->fn,
                             rc);
                if (pi == 0 && f == 0)
                    ct->overlapping++;
            }
        }
        /* relocation into the lowest free slot, against QEMU's, with the
         * physical layout of the table's BAR (sizes of every BAR known) */
        if (s && s->size[tb] && tb < 6) {
            struct vmsix_bar_reloc_params rp;
            struct vmsix_bar_reloc r;
            struct vmsix_bar_range g[VMSIX_BAR_LAYOUT_MAX_RANGES], ph[VMSIX_BAR_LAYOUT_MAX_RANGES];
            struct vmsix_bar bars[6];
            struct qemu_bar qb[6];
            unsigned nb;
            bool consistent = true;

            memset(qb, 0, sizeof(qb));
            assert_int_equal(vmsix_bar_decode(c, d->len, bars, &nb), 0);
            for (unsigned i = 0; i < nb; i++) {
                bool impl = bars[i].kind == VMSIX_BAR_MEM32 || bars[i].kind == VMSIX_BAR_MEM64;
                if (bars[i].kind == VMSIX_BAR_IO || bars[i].kind == VMSIX_BAR_BAD ||
                    impl != (s->size[i] != 0))
                    consistent = false; /* sizes the text cannot give (I/O) */
                qb[i].size = s->size[i];
                qb[i].mem64 = bars[i].kind == VMSIX_BAR_MEM64;
                qb[i].prefetch = bars[i].prefetch;
            }
            if (!consistent || nb != 6)
                continue;
            memset(&rp, 0, sizeof(rp));
            rp.cfg = c;
            rp.len = d->len;
            rp.sizes = s->size;
            rp.page_size = pages[pi];
            rp.nvec = n;
            rp.target = VMSIX_BAR_RELOC_AUTO;
            rp.dev_table_bar = (uint8_t)tb;
            rp.dev_table_off = t;
            if (vmsix_bar_layout_relocate(&rp, &r, g, VMSIX_BAR_LAYOUT_MAX_RANGES, ph,
                                          VMSIX_BAR_LAYOUT_MAX_RANGES) == 0) {
                struct qemu_relo w = qemu_relocate(qb, r.slot, n, pages[pi]);
                assert_true(w.ok);
                assert_int_equal(r.bar_size, w.size);
                assert_int_equal(r.table_off, w.table_off);
                assert_int_equal(r.pba_off, w.pba_off);
                /* the physical ranges stay in the device's BAR */
                assert_int_equal(ph[r.nphys - 1].off + ph[r.nphys - 1].len, size);
                ct->relocations++;
            }
            /* and by growing the table's own BAR */
            rp.target = (uint8_t)tb;
            if (vmsix_bar_layout_relocate(&rp, &r, g, VMSIX_BAR_LAYOUT_MAX_RANGES, ph,
                                          VMSIX_BAR_LAYOUT_MAX_RANGES) == 0) {
                struct qemu_relo w = qemu_relocate(qb, tb, n, pages[pi]);
                assert_true(w.ok);
                assert_int_equal(r.bar_size, w.size);
                assert_int_equal(r.table_off, w.table_off);
                assert_true(r.table_off >= size);
                ct->relocations++;
            }
        }
    }
}

static void test_corpus(void **state)
{
    static struct text_sizes ts[512];
    struct corpus_tally ct;
    DIR *top = opendir(TEST_DATA_DIR);
    struct dirent *e;

    (void)state;
    memset(&ct, 0, sizeof(ct));
    assert_non_null(top);
    while ((e = readdir(top)) != NULL) {
        char dir[4096];
        struct stat st;
        DIR *sub;
        struct dirent *fe;

        if (e->d_name[0] == '.')
            continue;
        snprintf(dir, sizeof(dir), "%s/%s", TEST_DATA_DIR, e->d_name);
        if (stat(dir, &st) || !S_ISDIR(st.st_mode))
            continue;
        sub = opendir(dir);
        assert_non_null(sub);
        while ((fe = readdir(sub)) != NULL) {
            char path[8192];
            struct pcidump d;
            size_t nts;

            if (fe->d_name[0] == '.')
                continue;
            snprintf(path, sizeof(path), "%s/%s", dir, fe->d_name);
            if (stat(path, &st) || !S_ISREG(st.st_mode))
                continue;
            assert_int_equal(pcidump_load(path, &d), 0);
            nts = read_text_sizes(path, ts, sizeof(ts) / sizeof(ts[0]));
            for (size_t i = 0; i < d.n; i++)
                check_function(path, &d.devs[i], ts, nts, &ct);
            pcidump_free(&d);
        }
        closedir(sub);
    }
    closedir(top);
    print_tally("corpus", &ct.t);
    print_message("corpus: %u MSI-X functions (%u with the table BAR's size in the dump, %u "
                  "whose PBA overlaps the table: refused), %u relocations equal to QEMU's\n",
                  ct.functions, ct.sized, ct.overlapping, ct.relocations);
    assert_true(ct.functions >= 20);
    assert_true(ct.sized >= 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qemu_fixup_cases),
        cmocka_unit_test(test_sweep),
        cmocka_unit_test(test_qemu_relocate),
        cmocka_unit_test(test_corpus),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
