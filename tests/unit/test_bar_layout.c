/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the BAR layout (DESIGN 4.6) through <vmsix/bar_layout.h>:
 * layouts with hand-computed ranges (table at the start, the end, the
 * middle; PBA on the table's page, on its own, read from the device; a BAR
 * below a page; the most ranges; a 2^63-byte BAR), every refusal with
 * nothing written, relocation to a free slot and by growing a BAR with its
 * refusals, the placement MSI-X on MSI asks for, and the field regressions
 * by their issue numbers. The differential and sweep tests are in
 * test_bar_layout_oracle.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <vmsix/bar.h>
#include <vmsix/bar_layout.h>

#include "bar_layout_ref.h"

#define MAP VMSIX_BAR_RANGE_MAP
#define EMU VMSIX_BAR_RANGE_EMULATE
#define FWD VMSIX_BAR_RANGE_FORWARD
#define ZERO VMSIX_BAR_RANGE_ZERO
#define ABSENT VMSIX_BAR_LAYOUT_ABSENT
#define KiB UINT64_C(1024)
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)
#define FILL 0xab

#define RANGES(...) ((const struct vmsix_bar_range[]){__VA_ARGS__})

static struct vmsix_bar_layout_params lp(uint64_t size, uint64_t page, uint64_t table, uint64_t pba,
                                         uint32_t nvec, uint32_t flags)
{
    struct vmsix_bar_layout_params p;

    memset(&p, 0, sizeof(p));
    p.bar_size = size;
    p.page_size = page;
    p.table_off = table;
    p.pba_off = pba;
    p.nvec = nvec;
    p.flags = flags;
    return p;
}

static void print_ranges(const char *what, const struct vmsix_bar_range *r, unsigned n)
{
    static const char *const names[] = {"?", "map", "emulate", "forward", "zero"};

    print_message("%s:\n", what);
    for (unsigned i = 0; i < n; i++)
        print_message("  [%#llx, %#llx) %s\n", (unsigned long long)r[i].off,
                      (unsigned long long)(r[i].off + r[i].len),
                      names[r[i].kind < 5 ? r[i].kind : 0]);
}

static void expect_ranges(const struct vmsix_bar_range *got, unsigned ngot,
                          const struct vmsix_bar_range *want, unsigned nwant)
{
    if (!ranges_equal(got, ngot, want, nwant)) {
        print_ranges("got", got, ngot);
        print_ranges("want", want, nwant);
        fail_msg("layouts differ");
    }
}

/* compute() gives @want and @report; the oracles agree (the page-by-page
 * rule when the BAR has few pages, the properties always). */
static void expect_layout(const struct vmsix_bar_layout_params *p,
                          const struct vmsix_bar_range *want, unsigned nwant, uint32_t report)
{
    struct vmsix_bar_range got[VMSIX_BAR_LAYOUT_MAX_RANGES], ref[REF_MAX_RANGES];
    uint32_t rep = 0xdeadbeef;
    const char *why;
    int n;

    n = vmsix_bar_layout_compute(p, got, VMSIX_BAR_LAYOUT_MAX_RANGES, &rep);
    assert_int_equal(n, nwant);
    expect_ranges(got, (unsigned)n, want, nwant);
    assert_int_equal(rep, report);
    why = layout_check(p, got, (unsigned)n);
    if (why)
        fail_msg("%s", why);
    if (p->bar_size / p->page_size <= 4096)
        expect_ranges(got, (unsigned)n, ref, ref_layout(p, ref));
    /* the count alone, and a report not asked for */
    assert_int_equal(vmsix_bar_layout_compute(p, NULL, 0, NULL), nwant);
}

/* ---- layouts ---- */

static void test_table_at_start_pba_on_its_page(void **state)
{
    struct vmsix_bar_layout_params p = lp(16 * KiB, 4 * KiB, 0, 0x800, 16, 0);

    (void)state;
    expect_layout(&p,
                  RANGES({0, 0x100, EMU}, {0x100, 0x700, FWD}, {0x800, 8, EMU}, {0x808, 0x7f8, FWD},
                         {0x1000, 0x3000, MAP}),
                  5, VMSIX_BAR_REPORT_FORWARDS);
}

static void test_table_fills_the_last_page(void **state)
{
    /* 256 vectors: 4 KiB of table, the whole last page; PBA elsewhere */
    struct vmsix_bar_layout_params p = lp(16 * KiB, 4 * KiB, 0x3000, ABSENT, 256, 0);

    (void)state;
    expect_layout(&p, RANGES({0, 0x3000, MAP}, {0x3000, 0x1000, EMU}), 2, 0);
}

static void test_table_in_the_middle(void **state)
{
    struct vmsix_bar_layout_params p = lp(64 * KiB, 4 * KiB, 0x2000, 0x3000, 64, 0);

    (void)state;
    expect_layout(&p,
                  RANGES({0, 0x2000, MAP}, {0x2000, 0x400, EMU}, {0x2400, 0xc00, FWD},
                         {0x3000, 8, EMU}, {0x3008, 0xff8, FWD}, {0x4000, 0xc000, MAP}),
                  6, VMSIX_BAR_REPORT_FORWARDS);
    /* 16 KiB pages: one window [0, 0x4000) holds both */
    p.page_size = 16 * KiB;
    expect_layout(&p,
                  RANGES({0, 0x2000, FWD}, {0x2000, 0x400, EMU}, {0x2400, 0xc00, FWD},
                         {0x3000, 8, EMU}, {0x3008, 0xff8, FWD}, {0x4000, 0xc000, MAP}),
                  6, VMSIX_BAR_REPORT_FORWARDS);
    /* 64 KiB pages: the whole BAR is one trapped page */
    p.page_size = 64 * KiB;
    expect_layout(&p,
                  RANGES({0, 0x2000, FWD}, {0x2000, 0x400, EMU}, {0x2400, 0xc00, FWD},
                         {0x3000, 8, EMU}, {0x3008, 0xcff8, FWD}),
                  5, VMSIX_BAR_REPORT_FORWARDS);
}

static void test_pba_from_device(void **state)
{
    /* the PBA's page is not trapped for it: the guest reads the device's */
    struct vmsix_bar_layout_params p =
        lp(64 * KiB, 4 * KiB, 0x2000, 0x3000, 64, VMSIX_BAR_LAYOUT_PBA_FROM_DEVICE);

    (void)state;
    expect_layout(
        &p,
        RANGES({0, 0x2000, MAP}, {0x2000, 0x400, EMU}, {0x2400, 0xc00, FWD}, {0x3000, 0xd000, MAP}),
        4, VMSIX_BAR_REPORT_FORWARDS);
    /* on the table's page it is forwarded with the other device bytes */
    p.pba_off = 0x2800;
    expect_layout(
        &p,
        RANGES({0, 0x2000, MAP}, {0x2000, 0x400, EMU}, {0x2400, 0xc00, FWD}, {0x3000, 0xd000, MAP}),
        4, VMSIX_BAR_REPORT_FORWARDS);
}

static void test_nine_ranges(void **state)
{
    /* the most: two windows apart, each with device bytes on both sides */
    struct vmsix_bar_layout_params p = lp(MiB, 4 * KiB, 0x10008, 0x20008, 1, 0);

    (void)state;
    expect_layout(&p,
                  RANGES({0, 0x10000, MAP}, {0x10000, 8, FWD}, {0x10008, 0x10, EMU},
                         {0x10018, 0xfe8, FWD}, {0x11000, 0xf000, MAP}, {0x20000, 8, FWD},
                         {0x20008, 8, EMU}, {0x20010, 0xff0, FWD}, {0x21000, 0xdf000, MAP}),
                  9, VMSIX_BAR_REPORT_FORWARDS);
}

static void test_bar_below_a_page(void **state)
{
    /* a 4 KiB BAR at 64 KiB pages: one trapped page, nothing mapped */
    struct vmsix_bar_layout_params p = lp(4 * KiB, 64 * KiB, 0, 0x800, 4, 0);

    (void)state;
    expect_layout(&p,
                  RANGES({0, 0x40, EMU}, {0x40, 0x7c0, FWD}, {0x800, 8, EMU}, {0x808, 0x7f8, FWD}),
                  4, VMSIX_BAR_REPORT_FORWARDS);
    /* even with no table or PBA in it */
    p.table_off = p.pba_off = ABSENT;
    expect_layout(&p, RANGES({0, 4 * KiB, FWD}), 1, VMSIX_BAR_REPORT_FORWARDS);
    /* a table that fills it: nothing forwarded */
    p = lp(4 * KiB, 64 * KiB, 0, ABSENT, 256, 0);
    expect_layout(&p, RANGES({0, 4 * KiB, EMU}), 1, 0);
}

static void test_nothing_in_the_bar(void **state)
{
    struct vmsix_bar_layout_params p = lp(8 * KiB, 4 * KiB, ABSENT, ABSENT, 1, 0);

    (void)state;
    expect_layout(&p, RANGES({0, 8 * KiB, MAP}), 1, 0);
    /* only the PBA (the table is in another BAR) */
    p.pba_off = 0x1ff8;
    expect_layout(&p, RANGES({0, 0x1000, MAP}, {0x1000, 0xff8, FWD}, {0x1ff8, 8, EMU}), 3,
                  VMSIX_BAR_REPORT_FORWARDS);
    p.flags = VMSIX_BAR_LAYOUT_PBA_FROM_DEVICE;
    expect_layout(&p, RANGES({0, 8 * KiB, MAP}), 1, 0);
    /* half a page: still one trapped page, with nothing to emulate */
    p.page_size = 16 * KiB;
    expect_layout(&p, RANGES({0, 8 * KiB, FWD}), 1, VMSIX_BAR_REPORT_FORWARDS);
}

static void test_msix_mappable_is_reported_only(void **state)
{
    struct vmsix_bar_layout_params p =
        lp(64 * KiB, 4 * KiB, 0x2000, 0x3000, 64, VMSIX_BAR_LAYOUT_MSIX_MAPPABLE);

    (void)state;
    /* the guest's mapping is the same as without the flag */
    expect_layout(&p,
                  RANGES({0, 0x2000, MAP}, {0x2000, 0x400, EMU}, {0x2400, 0xc00, FWD},
                         {0x3000, 8, EMU}, {0x3008, 0xff8, FWD}, {0x4000, 0xc000, MAP}),
                  6, VMSIX_BAR_REPORT_FORWARDS | VMSIX_BAR_REPORT_HOST_MMAP_ALL);
    /* a table on whole pages: nothing forwarded, still mappable */
    p = lp(64 * KiB, 4 * KiB, 0x2000, ABSENT, 256, VMSIX_BAR_LAYOUT_MSIX_MAPPABLE);
    expect_layout(&p, RANGES({0, 0x2000, MAP}, {0x2000, 0x1000, EMU}, {0x3000, 0xd000, MAP}), 3,
                  VMSIX_BAR_REPORT_HOST_MMAP_ALL);
    /* below a page the host cannot map the BAR as one piece either */
    p = lp(4 * KiB, 16 * KiB, 0, ABSENT, 256, VMSIX_BAR_LAYOUT_MSIX_MAPPABLE);
    expect_layout(&p, RANGES({0, 4 * KiB, EMU}), 1, 0);
}

static void test_huge_bars(void **state)
{
    uint64_t s = UINT64_C(1) << 63;
    struct vmsix_bar_layout_params p = lp(s, 64 * KiB, s - 32 * KiB, ABSENT, 2048, 0);

    (void)state;
    expect_layout(&p,
                  RANGES({0, s - 64 * KiB, MAP}, {s - 64 * KiB, 32 * KiB, FWD},
                         {s - 32 * KiB, 32 * KiB, EMU}),
                  3, VMSIX_BAR_REPORT_FORWARDS);
    p.table_off = 0;
    p.pba_off = s - 256;
    expect_layout(&p,
                  RANGES({0, 32 * KiB, EMU}, {32 * KiB, 32 * KiB, FWD},
                         {64 * KiB, s - 128 * KiB, MAP}, {s - 64 * KiB, 64 * KiB - 256, FWD},
                         {s - 256, 256, EMU}),
                  5, VMSIX_BAR_REPORT_FORWARDS);
}

static void test_pba_sizes(void **state)
{
    /* 8 bytes per 64 vectors, rounded up */
    struct vmsix_bar_layout_params p = lp(4 * KiB, 4 * KiB, 0, 0xff8, 64, 0);

    (void)state;
    expect_layout(&p, RANGES({0, 0x400, EMU}, {0x400, 0xbf8, FWD}, {0xff8, 8, EMU}), 3,
                  VMSIX_BAR_REPORT_FORWARDS);
    p.nvec = 65; /* 16 bytes: no longer fits at 0xff8 */
    assert_int_equal(vmsix_bar_layout_compute(&p, NULL, 0, NULL), -EINVAL);
    p.pba_off = 0xff0;
    expect_layout(&p, RANGES({0, 0x410, EMU}, {0x410, 0xbe0, FWD}, {0xff0, 0x10, EMU}), 3,
                  VMSIX_BAR_REPORT_FORWARDS);
    /* table and PBA adjacent: one emulated range */
    p.pba_off = 0x410;
    expect_layout(&p, RANGES({0, 0x420, EMU}, {0x420, 0xbe0, FWD}), 2, VMSIX_BAR_REPORT_FORWARDS);
}

/* A refusal writes nothing: not the ranges, not the report. */
static void expect_refused(const struct vmsix_bar_layout_params *p, int err)
{
    struct vmsix_bar_range out[VMSIX_BAR_LAYOUT_MAX_RANGES], before[VMSIX_BAR_LAYOUT_MAX_RANGES];
    uint32_t rep = 0x5a5a5a5a;

    memset(out, FILL, sizeof(out));
    memcpy(before, out, sizeof(out));
    assert_int_equal(vmsix_bar_layout_compute(p, out, VMSIX_BAR_LAYOUT_MAX_RANGES, &rep), err);
    assert_memory_equal(out, before, sizeof(out));
    assert_int_equal(rep, 0x5a5a5a5a);
}

static void test_refusals(void **state)
{
    uint64_t s63 = UINT64_C(1) << 63;
    struct vmsix_bar_layout_params p;

    (void)state;
    expect_refused(NULL, -EINVAL);
#define BAD(size, page, t, q, n, f)                                                                \
    do {                                                                                           \
        p = lp(size, page, t, q, n, f);                                                            \
        expect_refused(&p, -EINVAL);                                                               \
    } while (0)
    /* sizes and pages that are not powers of two; a page below 4 KiB */
    BAD(0, 4096, 0, ABSENT, 1, 0);
    BAD(3 * 4096, 4096, 0, ABSENT, 1, 0);
    BAD(s63 + 4096, 4096, 0, ABSENT, 1, 0);
    BAD(16384, 0, 0, ABSENT, 1, 0);
    BAD(16384, 2048, 0, ABSENT, 1, 0);
    BAD(16384, 12288, 0, ABSENT, 1, 0);
    /* vectors */
    BAD(16384, 4096, 0, ABSENT, 0, 0);
    BAD(65536, 4096, 0, ABSENT, 2049, 0);
    /* flags */
    BAD(16384, 4096, 0, ABSENT, 1, 0x4);
    BAD(16384, 4096, 0, ABSENT, 1, 0x80000000u);
    /* offsets not qword aligned */
    BAD(16384, 4096, 4, ABSENT, 1, 0);
    BAD(16384, 4096, 0, 0x1004, 1, 0);
    /* past the BAR: one byte, and offsets whose end wraps in 64 bits */
    BAD(16384, 4096, 16384 - 8, ABSENT, 1, 0);
    BAD(16384, 4096, 16384, ABSENT, 1, 0);
    BAD(16384, 4096, 0, 16384, 1, 0);
    BAD(16384, 4096, UINT64_MAX - 7, 0, 1, 0);
    BAD(16384, 4096, 0x100, UINT64_MAX - 15, 1, 0);
    BAD(s63, 4096, s63 - 16, ABSENT, 2, 0);
    BAD(s63, 4096, ABSENT, s63 - 8, 65, 0);
    /* the table over the PBA, either way, by one qword */
    BAD(16384, 4096, 0, 0x100 - 8, 16, 0);
    BAD(16384, 4096, 0x108, 0x100, 65, 0);
    BAD(16384, 4096, 0, 0, 1, 0);
#undef BAD
    /* adjacent is fine */
    p = lp(16384, 4096, 0x108, 0x100, 64, 0);
    expect_layout(
        &p,
        RANGES({0, 0x100, FWD}, {0x100, 0x408, EMU}, {0x508, 0xaf8, FWD}, {0x1000, 0x3000, MAP}), 4,
        VMSIX_BAR_REPORT_FORWARDS);
}

static void test_capacity(void **state)
{
    struct vmsix_bar_layout_params p = lp(64 * KiB, 4 * KiB, 0x2000, 0x3000, 64, 0);
    struct vmsix_bar_range out[6];

    (void)state;
    /* 6 ranges: 5 is too few, nothing written; 6 is enough */
    memset(out, FILL, sizeof(out));
    {
        struct vmsix_bar_range before[6];
        uint32_t rep = 7;
        memcpy(before, out, sizeof(out));
        assert_int_equal(vmsix_bar_layout_compute(&p, out, 5, &rep), -ENOSPC);
        assert_memory_equal(out, before, sizeof(out));
        assert_int_equal(rep, 7);
        assert_int_equal(vmsix_bar_layout_compute(&p, out, 0, &rep), -ENOSPC);
    }
    assert_int_equal(vmsix_bar_layout_compute(&p, out, 6, NULL), 6);
}

/* ---- relocation ---- */

static uint8_t cfg[256];
static uint64_t sizes[6];

static void bar_set(unsigned i, uint32_t v)
{
    memcpy(&cfg[0x10 + 4 * i], &v, 4);
}

static int setup(void **state)
{
    (void)state;
    memset(cfg, 0, sizeof(cfg));
    memset(sizes, 0, sizeof(sizes));
    return 0;
}

static struct vmsix_bar_reloc_params rp(uint8_t target, uint32_t nvec, uint64_t page,
                                        uint32_t flags)
{
    struct vmsix_bar_reloc_params p;

    memset(&p, 0, sizeof(p));
    p.cfg = cfg;
    p.len = sizeof(cfg);
    p.sizes = sizes;
    p.page_size = page;
    p.nvec = nvec;
    p.flags = flags;
    p.target = target;
    p.dev_table_bar = VMSIX_BAR_RELOC_NO_TABLE;
    return p;
}

struct relo_result {
    int rc;
    struct vmsix_bar_reloc r;
    struct vmsix_bar_range g[VMSIX_BAR_LAYOUT_MAX_RANGES], ph[VMSIX_BAR_LAYOUT_MAX_RANGES];
};

static struct relo_result relo(const struct vmsix_bar_reloc_params *p)
{
    struct relo_result x;

    memset(&x, 0, sizeof(x));
    x.rc = vmsix_bar_layout_relocate(p, &x.r, x.g, VMSIX_BAR_LAYOUT_MAX_RANGES, x.ph,
                                     VMSIX_BAR_LAYOUT_MAX_RANGES);
    return x;
}

/* The guest's ranges partition its BAR; the physical ones the device's
 * table BAR, and never reach past it. */
static void check_relo(const struct vmsix_bar_reloc_params *p, const struct relo_result *x)
{
    uint64_t e = 0;
    unsigned i;

    assert_int_equal(x->rc, 0);
    assert_true(x->r.nguest >= 1 && x->r.nguest <= VMSIX_BAR_LAYOUT_MAX_RANGES);
    for (i = 0; i < x->r.nguest; i++) {
        assert_int_equal(x->g[i].off, e);
        assert_true(x->g[i].len > 0);
        if (i)
            assert_int_not_equal(x->g[i].kind, x->g[i - 1].kind);
        e += x->g[i].len;
    }
    assert_int_equal(e, x->r.bar_size);
    e = 0;
    for (i = 0; i < x->r.nphys; i++) {
        assert_int_equal(x->ph[i].off, e);
        e += x->ph[i].len;
    }
    if (p->dev_table_bar != VMSIX_BAR_RELOC_NO_TABLE)
        assert_int_equal(e, p->sizes[p->dev_table_bar]);
    else
        assert_int_equal(x->r.nphys, 0);
}

static void test_relocate_to_a_free_slot(void **state)
{
    struct vmsix_bar_reloc_params p;
    struct relo_result x;

    (void)state;
    bar_set(0, 0xfe00000c); /* 64-bit prefetchable, 64 KiB, holds the table */
    sizes[0] = 64 * KiB;
    p = rp(2, 16, 4 * KiB, 0);
    p.dev_table_bar = 0;
    p.dev_table_off = 0x2000;
    x = relo(&p);
    check_relo(&p, &x);
    /* slot 3 is free too: 64-bit; prefetchable; one page; PBA after the table */
    assert_int_equal(x.r.slot, 2);
    assert_int_equal(x.r.kind, VMSIX_BAR_MEM64);
    assert_true(x.r.prefetch);
    assert_false(x.r.grown);
    assert_int_equal(x.r.bar_size, 4 * KiB);
    assert_int_equal(x.r.dev_size, 0);
    assert_int_equal(x.r.table_off, 0);
    assert_int_equal(x.r.pba_off, 0x100);
    expect_ranges(x.g, x.r.nguest, RANGES({0, 0x108, EMU}, {0x108, 0xef8, ZERO}), 2);
    /* the device's table: its page trapped, its bytes unreachable */
    expect_ranges(x.ph, x.r.nphys,
                  RANGES({0, 0x2000, MAP}, {0x2000, 0x100, ZERO}, {0x2100, 0xf00, FWD},
                         {0x3000, 0xd000, MAP}),
                  4);
    /* with MSIX_MAPPABLE all of the device's BAR is mapped */
    p.flags = VMSIX_BAR_LAYOUT_MSIX_MAPPABLE;
    x = relo(&p);
    check_relo(&p, &x);
    expect_ranges(x.ph, x.r.nphys, RANGES({0, 64 * KiB, MAP}), 1);

    /* the last slot, or a taken next slot: 32-bit */
    p = rp(5, 16, 4 * KiB, 0);
    x = relo(&p);
    check_relo(&p, &x);
    assert_int_equal(x.r.kind, VMSIX_BAR_MEM32);
    bar_set(3, 0xfd000000);
    sizes[3] = 4 * KiB;
    p = rp(2, 16, 4 * KiB, 0);
    x = relo(&p);
    assert_int_equal(x.r.kind, VMSIX_BAR_MEM32);
    /* the flags */
    p = rp(4, 16, 4 * KiB, VMSIX_BAR_RELOC_MEM32 | VMSIX_BAR_RELOC_NO_PREFETCH);
    x = relo(&p);
    check_relo(&p, &x);
    assert_int_equal(x.r.kind, VMSIX_BAR_MEM32);
    assert_false(x.r.prefetch);
    p.flags = 0;
    x = relo(&p);
    assert_int_equal(x.r.kind, VMSIX_BAR_MEM64);

    /* sized by the page and the structures: 2048 vectors need 32 KiB + 256 */
    p = rp(4, 2048, 4 * KiB, 0);
    x = relo(&p);
    check_relo(&p, &x);
    assert_int_equal(x.r.bar_size, 64 * KiB);
    assert_int_equal(x.r.pba_off, 32 * KiB);
    p = rp(4, 1, 64 * KiB, 0);
    x = relo(&p);
    assert_int_equal(x.r.bar_size, 64 * KiB);
    expect_ranges(x.g, x.r.nguest, RANGES({0, 0x18, EMU}, {0x18, 64 * KiB - 0x18, ZERO}), 2);
}

static void test_relocate_auto(void **state)
{
    struct vmsix_bar_reloc_params p;
    struct relo_result x;

    (void)state;
    bar_set(0, 0xfe000000);
    sizes[0] = 16 * KiB;
    /* slot 1 reads 0 but is a BAR at address 0: not free */
    sizes[1] = 4 * KiB;
    p = rp(VMSIX_BAR_RELOC_AUTO, 8, 4 * KiB, 0);
    x = relo(&p);
    check_relo(&p, &x);
    assert_int_equal(x.r.slot, 2);
    /* without sizes, reading 0 is enough */
    p.sizes = NULL;
    x = relo(&p);
    check_relo(&p, &x);
    assert_int_equal(x.r.slot, 1);
    /* no free slot */
    for (unsigned i = 1; i < 6; i++) {
        bar_set(i, 0xfd000000);
        sizes[i] = 4 * KiB;
    }
    p = rp(VMSIX_BAR_RELOC_AUTO, 8, 4 * KiB, 0);
    x = relo(&p);
    assert_int_equal(x.rc, -ENOSPC);
}

static void test_relocate_by_growing(void **state)
{
    struct vmsix_bar_reloc_params p;
    struct relo_result x;

    (void)state;
    /* a 32-bit 8 KiB BAR: 16 KiB, the table at 8 KiB, keeps its type */
    bar_set(2, 0xfe000000);
    sizes[2] = 8 * KiB;
    p = rp(2, 16, 4 * KiB, 0);
    x = relo(&p);
    check_relo(&p, &x);
    assert_true(x.r.grown);
    assert_int_equal(x.r.kind, VMSIX_BAR_MEM32);
    assert_false(x.r.prefetch);
    assert_int_equal(x.r.bar_size, 16 * KiB);
    assert_int_equal(x.r.dev_size, 8 * KiB);
    assert_int_equal(x.r.table_off, 8 * KiB);
    assert_int_equal(x.r.pba_off, 8 * KiB + 0x100);
    expect_ranges(x.g, x.r.nguest,
                  RANGES({0, 8 * KiB, MAP}, {8 * KiB, 0x108, EMU}, {8 * KiB + 0x108, 0x1ef8, ZERO}),
                  3);
    /* a BAR below the structures' region: the gap has nothing behind it,
     * and the device's part below a page is forwarded */
    bar_set(4, 0xfc00000c);
    sizes[4] = 2 * KiB;
    p = rp(4, 16, 4 * KiB, 0);
    x = relo(&p);
    check_relo(&p, &x);
    assert_int_equal(x.r.kind, VMSIX_BAR_MEM64);
    assert_true(x.r.prefetch);
    assert_int_equal(x.r.bar_size, 8 * KiB);
    expect_ranges(x.g, x.r.nguest,
                  RANGES({0, 2 * KiB, FWD}, {2 * KiB, 2 * KiB, ZERO}, {4 * KiB, 0x108, EMU},
                         {4 * KiB + 0x108, 0xef8, ZERO}),
                  4);
    /* a BAR at address 0 (reads 0, sizes to 4 KiB) is grown as 32-bit */
    sizes[1] = 4 * KiB;
    p = rp(1, 16, 4 * KiB, 0);
    x = relo(&p);
    check_relo(&p, &x);
    assert_true(x.r.grown);
    assert_int_equal(x.r.kind, VMSIX_BAR_MEM32);
    assert_int_equal(x.r.bar_size, 8 * KiB);
}

static void test_relocate_pba_half(void **state)
{
    struct vmsix_bar_reloc_params p;
    struct relo_result x;

    (void)state;
    p = rp(0, 32, 4 * KiB, VMSIX_BAR_RELOC_PBA_HALF);
    x = relo(&p);
    check_relo(&p, &x);
    assert_int_equal(x.r.table_off, 0);
    assert_int_equal(x.r.pba_off, 2 * KiB);
    expect_ranges(
        x.g, x.r.nguest,
        RANGES({0, 0x200, EMU}, {0x200, 0x600, ZERO}, {0x800, 8, EMU}, {0x808, 0x7f8, ZERO}), 4);
    /* twice the table: 2048 vectors need 64 KiB */
    p.nvec = 2048;
    x = relo(&p);
    assert_int_equal(x.r.bar_size, 64 * KiB);
    assert_int_equal(x.r.pba_off, 32 * KiB);
    /* grown: the middle of the upper half */
    bar_set(2, 0xfe000000);
    sizes[2] = 16 * KiB;
    p = rp(2, 16, 4 * KiB, VMSIX_BAR_RELOC_PBA_HALF);
    x = relo(&p);
    check_relo(&p, &x);
    assert_int_equal(x.r.bar_size, 32 * KiB);
    assert_int_equal(x.r.table_off, 16 * KiB);
    assert_int_equal(x.r.pba_off, 24 * KiB);
}

/* The placement MSI-X on MSI asks for (DESIGN 4.3): a free slot, a 32-bit
 * non-prefetchable BAR of the requested size (the "page"), table at 0 and
 * PBA at half the BAR, for every size the device accepts. */
static void test_relocate_msix_on_msi_placement(void **state)
{
    struct vmsix_bar_reloc_params p;
    struct relo_result x;

    (void)state;
    for (uint64_t size = 4 * KiB; size <= 2 * GiB; size *= 2)
        for (uint32_t n = 2; n <= 32; n *= 2) {
            p = rp(1, n, size,
                   VMSIX_BAR_RELOC_FREE_ONLY | VMSIX_BAR_RELOC_MEM32 | VMSIX_BAR_RELOC_NO_PREFETCH |
                       VMSIX_BAR_RELOC_PBA_HALF);
            p.sizes = NULL;
            x = relo(&p);
            check_relo(&p, &x);
            assert_int_equal(x.r.slot, 1);
            assert_int_equal(x.r.kind, VMSIX_BAR_MEM32);
            assert_false(x.r.prefetch);
            assert_int_equal(x.r.bar_size, size);
            assert_int_equal(x.r.table_off, 0);
            assert_int_equal(x.r.pba_off, size / 2);
        }
    /* an implemented slot is refused, not grown */
    bar_set(1, 0xfe000000);
    p = rp(1, 8, 4 * KiB, VMSIX_BAR_RELOC_FREE_ONLY);
    p.sizes = NULL;
    assert_int_equal(relo(&p).rc, -ENOTSUP);
}

/* The relocation refusals write nothing. */
static void expect_relo_refused(const struct vmsix_bar_reloc_params *p, int err)
{
    struct vmsix_bar_reloc r, rb;
    struct vmsix_bar_range g[VMSIX_BAR_LAYOUT_MAX_RANGES], ph[VMSIX_BAR_LAYOUT_MAX_RANGES];
    struct vmsix_bar_range gb[VMSIX_BAR_LAYOUT_MAX_RANGES], phb[VMSIX_BAR_LAYOUT_MAX_RANGES];

    memset(&r, FILL, sizeof(r));
    memset(g, FILL, sizeof(g));
    memset(ph, FILL, sizeof(ph));
    memcpy(&rb, &r, sizeof(r));
    memcpy(gb, g, sizeof(g));
    memcpy(phb, ph, sizeof(ph));
    assert_int_equal(vmsix_bar_layout_relocate(p, &r, g, VMSIX_BAR_LAYOUT_MAX_RANGES, ph,
                                               VMSIX_BAR_LAYOUT_MAX_RANGES),
                     err);
    assert_memory_equal(&r, &rb, sizeof(r));
    assert_memory_equal(g, gb, sizeof(g));
    assert_memory_equal(ph, phb, sizeof(ph));
}

static void test_relocate_refusals(void **state)
{
    struct vmsix_bar_reloc_params p;
    struct vmsix_bar_reloc r;

    (void)state;
    bar_set(0, 0xe001); /* I/O */
    sizes[0] = 256;
    bar_set(1, 0xfe000004); /* 64-bit, slots 1 and 2 */
    sizes[1] = 64 * KiB;
    bar_set(3, 0xfd000000); /* 32-bit, 2 GiB */
    sizes[3] = 2 * GiB;
    bar_set(4, 0xfc00000c); /* 64-bit, 2^63 */
    sizes[4] = UINT64_C(1) << 63;

    /* -ENOTSUP: cannot hold them */
    p = rp(0, 16, 4 * KiB, 0);
    expect_relo_refused(&p, -ENOTSUP); /* an I/O BAR */
    p = rp(2, 16, 4 * KiB, 0);
    expect_relo_refused(&p, -ENOTSUP); /* the upper half of a 64-bit BAR */
    p = rp(1, 16, 4 * KiB, VMSIX_BAR_RELOC_FREE_ONLY);
    expect_relo_refused(&p, -ENOTSUP); /* implemented, free slots only */
    p = rp(1, 16, 4 * KiB, 0);
    p.sizes = NULL;
    expect_relo_refused(&p, -ENOTSUP); /* implemented, size unknown */
    /* -ENOSPC: would not fit */
    p = rp(3, 16, 4 * KiB, 0);
    expect_relo_refused(&p, -ENOSPC); /* 32-bit past 2 GiB */
    p = rp(4, 16, 4 * KiB, 0);
    expect_relo_refused(&p, -ENOSPC); /* 64-bit past 2^63 */
    /* the largest that fit */
    sizes[3] = GiB;
    p = rp(3, 16, 4 * KiB, 0);
    assert_int_equal(vmsix_bar_layout_relocate(&p, &r, NULL, 0, NULL, 0), 0);
    assert_int_equal(r.bar_size, 2 * GiB);
    sizes[4] = UINT64_C(1) << 62;
    p = rp(4, 16, 4 * KiB, 0);
    assert_int_equal(vmsix_bar_layout_relocate(&p, &r, NULL, 0, NULL, 0), 0);
    assert_int_equal(r.bar_size, UINT64_C(1) << 63);
    /* a header with 2 slots (a bridge): slot 3 does not exist */
    cfg[0x0e] = 1;
    p = rp(3, 16, 4 * KiB, 0);
    expect_relo_refused(&p, -ENOTSUP);
    cfg[0x0e] = 0;
    /* a 64-bit BAR in the last slot is malformed */
    memset(sizes, 0, sizeof(sizes));
    for (unsigned i = 0; i < 5; i++)
        bar_set(i, 0);
    bar_set(5, 0xfb000004);
    p = rp(5, 16, 4 * KiB, 0);
    p.sizes = NULL;
    expect_relo_refused(&p, -ENOTSUP);
}

static void test_relocate_bad_args(void **state)
{
    struct vmsix_bar_reloc_params p;
    struct vmsix_bar_reloc r;
    struct vmsix_bar_range g[2];

    (void)state;
    bar_set(0, 0xfe000000);
    sizes[0] = 16 * KiB;
    bar_set(1, 0xe001);
    sizes[1] = 256;
    expect_relo_refused(NULL, -EINVAL);
    p = rp(2, 16, 4 * KiB, 0);
    assert_int_equal(vmsix_bar_layout_relocate(&p, NULL, NULL, 0, NULL, 0), -EINVAL);
#define BAD(stmt)                                                                                  \
    do {                                                                                           \
        sizes[0] = 16 * KiB;                                                                       \
        sizes[1] = 256;                                                                            \
        p = rp(2, 16, 4 * KiB, 0);                                                                 \
        p.dev_table_bar = 0;                                                                       \
        p.dev_table_off = 0x1000;                                                                  \
        stmt;                                                                                      \
        expect_relo_refused(&p, -EINVAL);                                                          \
    } while (0)
    BAD(p.cfg = NULL);
    BAD(p.len = 63);
    BAD(p.page_size = 2048);
    BAD(p.page_size = 5000);
    BAD(p.nvec = 0);
    BAD(p.nvec = 2049);
    BAD(p.flags = VMSIX_BAR_LAYOUT_PBA_FROM_DEVICE);
    BAD(p.flags = 0x100);
    BAD(p.target = 6);
    BAD(p.target = 0xfe);
    BAD(p.dev_table_bar = 6);
    BAD(sizes[0] = 12 * KiB);      /* not a power of two */
    BAD(sizes[0] = 0);             /* an implemented BAR without a size */
    BAD(p.sizes = NULL);           /* a device table needs its BAR's size */
    BAD(p.dev_table_off = 0x3f08); /* 256 bytes of table past 16 KiB */
    BAD(p.dev_table_off = UINT64_MAX - 7);
    BAD(p.dev_table_off = 0x1004); /* not qword aligned */
    BAD(p.dev_table_bar = 1);      /* an I/O BAR holds no table */
    BAD(p.dev_table_bar = 3);      /* an unimplemented one neither */
#undef BAD
    sizes[0] = 16 * KiB;
    /* the upper half of a 64-bit BAR has no size of its own */
    bar_set(2, 0xfd000004);
    sizes[2] = 16 * KiB;
    sizes[3] = 16 * KiB;
    p = rp(4, 16, 4 * KiB, 0);
    expect_relo_refused(&p, -EINVAL);
    sizes[3] = 0;
    /* capacities: -ENOSPC, nothing written */
    p = rp(4, 16, 4 * KiB, 0);
    p.dev_table_bar = 0;
    p.dev_table_off = 0x1008; /* 5 physical ranges, 2 of the guest */
    memset(&r, FILL, sizeof(r));
    assert_int_equal(vmsix_bar_layout_relocate(&p, &r, g, 1, NULL, 0), -ENOSPC);
    assert_int_equal(vmsix_bar_layout_relocate(&p, &r, NULL, 0, g, 2), -ENOSPC);
    assert_int_equal(r.slot, FILL);
    assert_int_equal(vmsix_bar_layout_relocate(&p, &r, g, 2, NULL, 0), 0);
    assert_int_equal(r.nguest, 2);
    assert_int_equal(r.nphys, 5);
}

static void test_relocate_ten_ranges(void **state)
{
    /* the most: a 32 KiB BAR whose table (1280 vectors) sits between device
     * pages grows to 128 KiB with PBA_HALF: the device's 5 ranges, the gap
     * to the upper half, table, gap, PBA, rest */
    struct vmsix_bar_reloc_params p;
    struct relo_result x;

    (void)state;
    bar_set(0, 0xfe000000);
    sizes[0] = 32 * KiB;
    p = rp(0, 1280, 4 * KiB, VMSIX_BAR_RELOC_PBA_HALF);
    p.dev_table_bar = 0;
    p.dev_table_off = 0x1008;
    x = relo(&p);
    check_relo(&p, &x);
    assert_int_equal(x.r.bar_size, 128 * KiB);
    expect_ranges(x.g, x.r.nguest,
                  RANGES({0, 0x1000, MAP}, {0x1000, 8, FWD}, {0x1008, 0x5000, ZERO},
                         {0x6008, 0xff8, FWD}, {0x7000, 0x1000, MAP}, {0x8000, 0x8000, ZERO},
                         {0x10000, 0x5000, EMU}, {0x15000, 0x3000, ZERO}, {0x18000, 0xa0, EMU},
                         {0x180a0, 0x7f60, ZERO}),
                  10);
    expect_ranges(x.ph, x.r.nphys,
                  RANGES({0, 0x1000, MAP}, {0x1000, 8, FWD}, {0x1008, 0x5000, ZERO},
                         {0x6008, 0xff8, FWD}, {0x7000, 0x1000, MAP}),
                  5);
}

/* ---- field regressions, by issue number ---- */

/* cloud-hypervisor issue 3237: a ConnectX-5 VF (15b3:1018) behind VFIO
 * lost a quarter of its throughput to EPT_MISCONFIG exits, because the VMM
 * trapped its whole BAR for holding the MSI-X table, although the kernel
 * reported VFIO_REGION_INFO_CAP_MSIX_MAPPABLE. The report shows neither
 * the BAR nor the offsets; the mlx5 VF layout is taken: BAR 0 of 32 MiB,
 * 64-bit, MSI-X capability at 0x9c with its table at 0x2000 and PBA at
 * 0x3000 (12 vectors). Only the table's page (and the PBA's) may trap;
 * the doorbells in the rest of the 32 MiB are mapped, at 4 KiB and at
 * 64 KiB pages, and the host may mmap the whole region. */
static void test_ch3237_cx5_vf_traps_only_the_msix_pages(void **state)
{
    struct vmsix_bar_layout_params p =
        lp(32 * MiB, 4 * KiB, 0x2000, 0x3000, 12, VMSIX_BAR_LAYOUT_MSIX_MAPPABLE);

    (void)state;
    expect_layout(&p,
                  RANGES({0, 0x2000, MAP}, {0x2000, 0xc0, EMU}, {0xc0 + 0x2000, 0xf40, FWD},
                         {0x3000, 8, EMU}, {0x3008, 0xff8, FWD}, {0x4000, 32 * MiB - 0x4000, MAP}),
                  6, VMSIX_BAR_REPORT_FORWARDS | VMSIX_BAR_REPORT_HOST_MMAP_ALL);
    p.page_size = 64 * KiB;
    expect_layout(&p,
                  RANGES({0, 0x2000, FWD}, {0x2000, 0xc0, EMU}, {0x20c0, 0xf40, FWD},
                         {0x3000, 8, EMU}, {0x3008, 0xcff8, FWD},
                         {0x10000, 32 * MiB - 0x10000, MAP}),
                  6, VMSIX_BAR_REPORT_FORWARDS | VMSIX_BAR_REPORT_HOST_MMAP_ALL);
}

/* cloud-hypervisor issue 7898 (fixed by PR 7904): a KIOXIA CD8P NVMe SSD,
 * BAR 0 of 64 KiB (64-bit), MSI-X with 129 vectors, table at 0x5200, PBA at
 * 0xd600, a host that reports MSIX_MAPPABLE. The VMM doubled the BAR and
 * moved the table to its upper half, then carved mmap holes in the 64 KiB
 * physical BAR at the relocated offsets: mmap() failed with EINVAL. Here
 * the physical layout is a separate output in the device BAR's own offsets:
 * with MSIX_MAPPABLE the whole 64 KiB is one mapping; without, the old
 * table's pages trap; nothing ever reaches past 64 KiB. */
static void test_ch7898_relocation_keeps_physical_offsets(void **state)
{
    struct vmsix_bar_layout_params lay =
        lp(64 * KiB, 4 * KiB, 0x5200, 0xd600, 129, VMSIX_BAR_LAYOUT_MSIX_MAPPABLE);
    struct vmsix_bar_reloc_params p;
    struct relo_result x;

    (void)state;
    /* in place, at 4 KiB pages: the nine ranges of a table and a PBA each
     * between device registers */
    expect_layout(&lay,
                  RANGES({0, 0x5000, MAP}, {0x5000, 0x200, FWD}, {0x5200, 0x810, EMU},
                         {0x5a10, 0x5f0, FWD}, {0x6000, 0x7000, MAP}, {0xd000, 0x600, FWD},
                         {0xd600, 0x18, EMU}, {0xd618, 0x9e8, FWD}, {0xe000, 0x2000, MAP}),
                  9, VMSIX_BAR_REPORT_FORWARDS | VMSIX_BAR_REPORT_HOST_MMAP_ALL);

    bar_set(0, 0xc6710004);
    sizes[0] = 64 * KiB;
    p = rp(0, 129, 4 * KiB, VMSIX_BAR_LAYOUT_MSIX_MAPPABLE);
    p.dev_table_bar = 0;
    p.dev_table_off = 0x5200;
    x = relo(&p);
    check_relo(&p, &x);
    assert_true(x.r.grown);
    assert_int_equal(x.r.kind, VMSIX_BAR_MEM64);
    assert_int_equal(x.r.bar_size, 128 * KiB);
    assert_int_equal(x.r.table_off, 0x10000);
    assert_int_equal(x.r.pba_off, 0x10810);
    expect_ranges(x.g, x.r.nguest,
                  RANGES({0, 64 * KiB, MAP}, {0x10000, 0x828, EMU}, {0x10828, 0xf7d8, ZERO}), 3);
    /* what the host mmaps and carves: the physical BAR only */
    expect_ranges(x.ph, x.r.nphys, RANGES({0, 64 * KiB, MAP}), 1);
    assert_true(x.r.table_off >= sizes[0]);

    /* an older kernel: the old table's pages stay trapped, still in the
     * device's offsets */
    p.flags = 0;
    x = relo(&p);
    check_relo(&p, &x);
    expect_ranges(x.ph, x.r.nphys,
                  RANGES({0, 0x5000, MAP}, {0x5000, 0x200, FWD}, {0x5200, 0x810, ZERO},
                         {0x5a10, 0x5f0, FWD}, {0x6000, 0xa000, MAP}),
                  5);
    for (unsigned i = 0; i < x.r.nphys; i++)
        assert_true(x.ph[i].off + x.ph[i].len <= sizes[0]);
}

/* cloud-hypervisor PR 7939: an Intel NVMe SSD on an aarch64 host with
 * 64 KiB pages, BAR 0 of 16 KiB holding MSI-X (136 vectors) at 0x2000 and
 * its PBA at 0x3000. Mapping a 16 KiB piece of it made
 * KVM_SET_USER_MEMORY_REGION fail with EINVAL: a slot is whole pages. The
 * layout traps the whole BAR as one page (no map range at all); at 4 KiB
 * pages its first 8 KiB are mapped. Relocated, the table starts at a page
 * boundary of the grown BAR (64 KiB). */
static void test_ch_pr7939_subpage_bar_at_64k_pages(void **state)
{
    struct vmsix_bar_layout_params lay = lp(16 * KiB, 64 * KiB, 0x2000, 0x3000, 136, 0);
    struct vmsix_bar_reloc_params p;
    struct relo_result x;

    (void)state;
    expect_layout(&lay,
                  RANGES({0, 0x2000, FWD}, {0x2000, 0x880, EMU}, {0x2880, 0x780, FWD},
                         {0x3000, 0x18, EMU}, {0x3018, 0xfe8, FWD}),
                  5, VMSIX_BAR_REPORT_FORWARDS);
    lay.page_size = 4 * KiB;
    expect_layout(&lay,
                  RANGES({0, 0x2000, MAP}, {0x2000, 0x880, EMU}, {0x2880, 0x780, FWD},
                         {0x3000, 0x18, EMU}, {0x3018, 0xfe8, FWD}),
                  5, VMSIX_BAR_REPORT_FORWARDS);

    bar_set(0, 0x40010004);
    sizes[0] = 16 * KiB;
    p = rp(0, 136, 64 * KiB, VMSIX_BAR_LAYOUT_MSIX_MAPPABLE);
    p.dev_table_bar = 0;
    p.dev_table_off = 0x2000;
    x = relo(&p);
    check_relo(&p, &x);
    assert_int_equal(x.r.bar_size, 128 * KiB);
    assert_int_equal(x.r.table_off, 64 * KiB);
    assert_int_equal(x.r.table_off % (64 * KiB), 0);
    /* the device's sub-page BAR is still trapped whole: its old table reads
     * 0, its registers are forwarded */
    expect_ranges(x.ph, x.r.nphys,
                  RANGES({0, 0x2000, FWD}, {0x2000, 0x880, ZERO}, {0x2880, 0x1780, FWD}), 3);
    for (unsigned i = 0; i < x.r.nguest; i++)
        assert_int_not_equal(x.g[i].kind, MAP);
}

/* ACRN PR 8256: ACRN trapped the MSI-X table of a pass-through function in
 * 4 KiB pages, and other registers in those pages were lost to the guest;
 * the fix forwards them to the device. The PR names no device: the
 * geometry is the one its text describes, a table sharing its 4 KiB page
 * with registers (16 vectors at 0x2000 of a 16 KiB BAR, PBA at 0x2100,
 * registers in the rest of that page). Exactly the rest of the page is
 * forwarded; no byte outside it is trapped. */
static void test_acrn_pr8256_registers_in_the_table_page_are_forwarded(void **state)
{
    struct vmsix_bar_layout_params p = lp(16 * KiB, 4 * KiB, 0x2000, 0x2100, 16, 0);
    struct vmsix_bar_range r[VMSIX_BAR_LAYOUT_MAX_RANGES];
    uint64_t fwd = 0;
    int n;

    (void)state;
    expect_layout(
        &p,
        RANGES({0, 0x2000, MAP}, {0x2000, 0x108, EMU}, {0x2108, 0xef8, FWD}, {0x3000, 0x1000, MAP}),
        4, VMSIX_BAR_REPORT_FORWARDS);
    n = vmsix_bar_layout_compute(&p, r, VMSIX_BAR_LAYOUT_MAX_RANGES, NULL);
    for (int i = 0; i < n; i++)
        if (r[i].kind == FWD) {
            assert_true(r[i].off >= 0x2000 && r[i].off + r[i].len <= 0x3000);
            fwd += r[i].len;
        }
    assert_int_equal(fwd, 0x1000 - 0x100 - 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_at_start_pba_on_its_page),
        cmocka_unit_test(test_table_fills_the_last_page),
        cmocka_unit_test(test_table_in_the_middle),
        cmocka_unit_test(test_pba_from_device),
        cmocka_unit_test(test_nine_ranges),
        cmocka_unit_test(test_bar_below_a_page),
        cmocka_unit_test(test_nothing_in_the_bar),
        cmocka_unit_test(test_msix_mappable_is_reported_only),
        cmocka_unit_test(test_huge_bars),
        cmocka_unit_test(test_pba_sizes),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_capacity),
        cmocka_unit_test_setup(test_relocate_to_a_free_slot, setup),
        cmocka_unit_test_setup(test_relocate_auto, setup),
        cmocka_unit_test_setup(test_relocate_by_growing, setup),
        cmocka_unit_test_setup(test_relocate_pba_half, setup),
        cmocka_unit_test_setup(test_relocate_msix_on_msi_placement, setup),
        cmocka_unit_test_setup(test_relocate_refusals, setup),
        cmocka_unit_test_setup(test_relocate_bad_args, setup),
        cmocka_unit_test_setup(test_relocate_ten_ranges, setup),
        cmocka_unit_test_setup(test_ch3237_cx5_vf_traps_only_the_msix_pages, setup),
        cmocka_unit_test_setup(test_ch7898_relocation_keeps_physical_offsets, setup),
        cmocka_unit_test_setup(test_ch_pr7939_subpage_bar_at_64k_pages, setup),
        cmocka_unit_test_setup(test_acrn_pr8256_registers_in_the_table_page_are_forwarded, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
