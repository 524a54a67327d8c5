/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz-bar-layout: vmsix_bar_layout_compute() and
 * vmsix_bar_layout_relocate() (DESIGN 4.6) on arbitrary arguments.
 *
 * Input: records of up to 48 bytes, one call each (at most MAX_CALLS; bytes
 * past the end read 0). Byte 0 even: compute; odd: relocate.
 *   compute   BAR size 2^(b % 64) (or that plus a few bytes: not a power of
 *             two), page 2^(10 + b % 24), vectors 0..2100, flags 0..7, table
 *             and PBA offsets chosen among: absent, inside the BAR (qword
 *             aligned or not), right after the other, at the BAR's end, any
 *             64-bit value;
 *   relocate  a header type, six BAR registers (none, I/O, 32-bit,
 *             prefetchable, 64-bit, any value), host sizes or none (powers of
 *             two, 0, or any value), target and device-table BIR (0..7 or
 *             0xff), the device table's offset, vectors, page, flags 0..0xff.
 *
 * Invariants (abort() on failure):
 * - compute succeeds exactly when the arguments are valid by the header's
 *   rules (checked here independently), else -EINVAL; a layout has every
 *   property of tests/common/bar_layout_ref.h's layout_check() and, for a
 *   BAR of at most 4096 pages, equals the rule restated page by page; one
 *   entry too few is -ENOSPC;
 * - relocate: on success the guest's ranges partition the guest's BAR (at
 *   most 10), its emulated bytes are exactly the table and the PBA at the
 *   guest's offsets, it maps only whole pages of the device's part; the
 *   physical ranges partition the device's table BAR (at most 5), never
 *   emulate, and hold the old table's bytes as ZERO (or all MAP with
 *   MSIX_MAPPABLE); the BAR is a power of two of at least a page that a
 *   32-bit BAR keeps within 2 GiB; a grown BAR keeps the device's bytes
 *   below its table; a refusal writes nothing.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vmsix/bar.h>
#include <vmsix/bar_layout.h>

#include "bar_layout_ref.h"
#include "fuzz_check.h"
#include "oracle.h"

#define MAX_CALLS 256
#define RECORD 48

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool pow2(uint64_t v)
{
    return v && !(v & (v - 1));
}

/* An offset of the kind @sel picks, for a BAR of @size. */
static uint64_t pick_off(struct fuzz_in *in, uint64_t size, uint64_t other_end)
{
    uint8_t sel = fuzz_get8(in);
    uint64_t v = fuzz_get(in, 8);

    switch (sel % 6) {
    case 0:
        return VMSIX_BAR_LAYOUT_ABSENT;
    case 1:
        return size ? v % size & ~UINT64_C(7) : v;
    case 2:
        return size ? v % size : v; /* maybe not aligned */
    case 3:
        return other_end;
    case 4:
        return size - (v % 64) * 8;
    default:
        return v;
    }
}

/* The header's rules, restated. */
static VMSIX_ORACLE bool compute_valid(const struct vmsix_bar_layout_params *p)
{
    uint64_t tl = ref_tlen(p->nvec), pl = ref_plen(p->nvec);
    bool t = p->table_off != VMSIX_BAR_LAYOUT_ABSENT, q = p->pba_off != VMSIX_BAR_LAYOUT_ABSENT;

    if (!pow2(p->bar_size) || !pow2(p->page_size) || p->page_size < 4096 || p->nvec < 1 ||
        p->nvec > 2048 || (p->flags & ~3u))
        return false;
    if (t && ((p->table_off & 7) || p->table_off > p->bar_size || tl > p->bar_size - p->table_off))
        return false;
    if (q && ((p->pba_off & 7) || p->pba_off > p->bar_size || pl > p->bar_size - p->pba_off))
        return false;
    return !(t && q && ref_meets(p->table_off, p->table_off + tl, p->pba_off, p->pba_off + pl));
}

static VMSIX_ORACLE void one_compute(struct fuzz_in *in)
{
    struct vmsix_bar_layout_params p;
    struct vmsix_bar_range r[VMSIX_BAR_LAYOUT_MAX_RANGES], ref[REF_MAX_RANGES], keep[2];
    uint8_t b = fuzz_get8(in);
    uint32_t rep;
    int n;

    memset(&p, 0, sizeof(p));
    p.bar_size = (uint64_t)1 << (b % 64);
    if (b & 0x40)
        p.bar_size += fuzz_get8(in);
    p.page_size = (uint64_t)1 << (10 + fuzz_get8(in) % 24);
    p.nvec = (uint32_t)(fuzz_get(in, 2) % 2101);
    p.flags = fuzz_get8(in) % 8;
    p.table_off = pick_off(in, p.bar_size, 0);
    p.pba_off =
        pick_off(in, p.bar_size,
                 p.table_off == VMSIX_BAR_LAYOUT_ABSENT ? 0 : p.table_off + ref_tlen(p.nvec));

    memset(r, 0x5a, sizeof(r));
    n = vmsix_bar_layout_compute(&p, r, VMSIX_BAR_LAYOUT_MAX_RANGES, &rep);
    if (!compute_valid(&p)) {
        CHECK(n == -EINVAL);
        for (size_t i = 0; i < sizeof(r); i++)
            CHECK(((const uint8_t *)r)[i] == 0x5a);
        return;
    }
    CHECK(n >= 1 && n <= 9);
    CHECK(layout_check(&p, r, (unsigned)n) == NULL);
    if (p.bar_size / p.page_size <= 4096)
        CHECK(ranges_equal(r, (unsigned)n, ref, ref_layout(&p, ref)));
    CHECK(vmsix_bar_layout_compute(&p, NULL, 0, NULL) == n);
    memset(keep, 0x33, sizeof(keep));
    if (n > 1) {
        CHECK(vmsix_bar_layout_compute(&p, keep, (unsigned)n - 1, NULL) == -ENOSPC);
        CHECK(keep[0].off == UINT64_C(0x3333333333333333));
    }
}

/* The BAR registers and sizes of a relocation. */
static void make_bars(struct fuzz_in *in, uint8_t cfg[64], uint64_t sizes[6], bool *have_sizes)
{
    uint8_t mode = fuzz_get8(in);

    memset(cfg, 0, 64);
    cfg[0x0e] = (mode & 0x30) == 0x30 ? (uint8_t)(mode & 3) : 0; /* mostly type 0 */
    for (unsigned i = 0; i < 6; i++) {
        uint8_t k = fuzz_get8(in), lg = fuzz_get8(in);
        uint32_t v = 0;

        switch (k % 7) {
        case 0:
        case 1:
            break;
        case 2:
            v = 0xe001;
            break;
        case 3:
            v = 0xfe000000u;
            break;
        case 4:
            v = 0xfe000008u;
            break;
        case 5:
            v = 0xfe00000cu; /* 64-bit: the next register is its upper half */
            break;
        default:
            v = (uint32_t)fuzz_get(in, 4);
            break;
        }
        memcpy(cfg + 0x10 + 4 * i, &v, 4);
        switch (lg >> 6) {
        case 0:
            sizes[i] = 0;
            break;
        case 3:
            sizes[i] = fuzz_get(in, 8);
            break;
        default:
            sizes[i] = (uint64_t)1 << (lg % 64);
            break;
        }
    }
    *have_sizes = !(mode & 1);
}

static VMSIX_ORACLE void check_partition(const struct vmsix_bar_range *r, unsigned n, uint64_t size)
{
    uint64_t e = 0;

    for (unsigned i = 0; i < n; i++) {
        CHECK(r[i].off == e && r[i].len > 0 && r[i].len <= size - e);
        CHECK(r[i].kind >= VMSIX_BAR_RANGE_MAP && r[i].kind <= VMSIX_BAR_RANGE_ZERO);
        CHECK(!i || r[i].kind != r[i - 1].kind);
        e += r[i].len;
    }
    CHECK(e == size);
}

static VMSIX_ORACLE void one_relocate(struct fuzz_in *in)
{
    uint8_t cfg[64];
    uint64_t sizes[6];
    bool have_sizes;
    struct vmsix_bar_reloc_params p;
    struct vmsix_bar_reloc r;
    struct vmsix_bar_range g[VMSIX_BAR_LAYOUT_MAX_RANGES], ph[VMSIX_BAR_LAYOUT_MAX_RANGES];
    uint64_t tl, pl, emul = 0, dsize;
    int rc;

    make_bars(in, cfg, sizes, &have_sizes);
    memset(&p, 0, sizeof(p));
    p.cfg = cfg;
    p.len = sizeof(cfg);
    p.sizes = have_sizes ? sizes : NULL;
    p.target = fuzz_get8(in);
    p.target = p.target >= 0xf0 ? 0xff : p.target % 8;
    p.dev_table_bar = fuzz_get8(in);
    p.dev_table_bar = p.dev_table_bar >= 0xc0 ? 0xff : p.dev_table_bar % 8;
    p.dev_table_off = fuzz_get(in, 4) & ~(fuzz_get8(in) & 1 ? 0u : 7u);
    p.nvec = (uint32_t)(fuzz_get(in, 2) % 2101);
    p.page_size = (uint64_t)1 << (10 + fuzz_get8(in) % 24);
    p.flags = fuzz_get8(in);

    memset(&r, 0x5a, sizeof(r));
    memset(g, 0x5a, sizeof(g));
    memset(ph, 0x5a, sizeof(ph));
    rc = vmsix_bar_layout_relocate(&p, &r, g, VMSIX_BAR_LAYOUT_MAX_RANGES, ph,
                                   VMSIX_BAR_LAYOUT_MAX_RANGES);
    if (rc) {
        const uint8_t *b = (const uint8_t *)&r;
        CHECK(rc == -EINVAL || rc == -ENOTSUP || rc == -ENOSPC);
        for (size_t i = 0; i < sizeof(r); i++)
            CHECK(b[i] == 0x5a);
        for (size_t i = 0; i < sizeof(g); i++)
            CHECK(((const uint8_t *)g)[i] == 0x5a && ((const uint8_t *)ph)[i] == 0x5a);
        return;
    }
    tl = ref_tlen(p.nvec);
    pl = ref_plen(p.nvec);
    /* the placement */
    CHECK(p.nvec >= 1 && p.nvec <= 2048 && p.page_size >= 4096);
    CHECK(p.target == 0xff || r.slot == p.target);
    CHECK(r.kind == VMSIX_BAR_MEM32 || r.kind == VMSIX_BAR_MEM64);
    CHECK(pow2(r.bar_size) && r.bar_size >= p.page_size);
    CHECK(r.kind == VMSIX_BAR_MEM64 || r.bar_size <= UINT64_C(0x80000000));
    CHECK(r.table_off + tl <= r.bar_size && r.pba_off + pl <= r.bar_size);
    CHECK(!ref_meets(r.table_off, r.table_off + tl, r.pba_off, r.pba_off + pl));
    CHECK(r.table_off % p.page_size == 0);
    if (r.grown) {
        CHECK(have_sizes && r.dev_size == sizes[r.slot] && r.dev_size != 0);
        CHECK(r.table_off == r.bar_size / 2 && r.table_off >= r.dev_size);
    } else {
        CHECK(r.dev_size == 0 && r.table_off == 0);
    }
    /* the guest's BAR */
    dsize = r.dev_size;
    CHECK(r.nguest >= 1 && r.nguest <= 10);
    check_partition(g, r.nguest, r.bar_size);
    for (unsigned i = 0; i < r.nguest; i++) {
        if (g[i].kind == VMSIX_BAR_RANGE_EMULATE) {
            emul += g[i].len;
            CHECK(ref_overlap(g[i].off, g[i].off + g[i].len, r.table_off, r.table_off + tl) +
                      ref_overlap(g[i].off, g[i].off + g[i].len, r.pba_off, r.pba_off + pl) ==
                  g[i].len);
        }
        if (g[i].kind == VMSIX_BAR_RANGE_MAP)
            CHECK(g[i].off + g[i].len <= dsize && g[i].off % p.page_size == 0 &&
                  g[i].len % p.page_size == 0);
        if (g[i].kind == VMSIX_BAR_RANGE_FORWARD)
            CHECK(g[i].off + g[i].len <= dsize);
    }
    CHECK(emul == tl + pl);
    /* the device's table BAR */
    if (p.dev_table_bar == VMSIX_BAR_RELOC_NO_TABLE) {
        CHECK(r.nphys == 0);
        return;
    }
    CHECK(r.nphys >= 1 && r.nphys <= 5);
    check_partition(ph, r.nphys, sizes[p.dev_table_bar]);
    for (unsigned i = 0; i < r.nphys; i++) {
        CHECK(ph[i].kind != VMSIX_BAR_RANGE_EMULATE);
        if (ph[i].kind == VMSIX_BAR_RANGE_ZERO)
            CHECK(ph[i].off == p.dev_table_off && ph[i].len == tl);
        if (ph[i].kind == VMSIX_BAR_RANGE_MAP)
            CHECK(!ref_meets(ph[i].off, ph[i].off + ph[i].len, p.dev_table_off,
                             p.dev_table_off + tl) ||
                  (p.flags & VMSIX_BAR_LAYOUT_MSIX_MAPPABLE));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size, 0};

    for (unsigned k = 0; k < MAX_CALLS && in.pos < size; k++) {
        struct fuzz_in rec = {data + in.pos, size - in.pos < RECORD ? size - in.pos : RECORD, 0};

        if (fuzz_get8(&rec) & 1)
            one_relocate(&rec);
        else
            one_compute(&rec);
        in.pos += rec.n;
    }
    return 0;
}
