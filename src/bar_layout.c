/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * BAR layout (DESIGN 4.6): which ranges of a BAR that holds an MSI-X table
 * a VMM maps, emulates and forwards for a host page size, and relocating
 * the table and PBA to a free slot or a doubled BAR. Pure functions of
 * their arguments, like bar.c, whose decoding they use.
 */
#include <string.h>

#include <vmsix/bar.h>
#include <vmsix/bar_layout.h>

#include "bits.h"
#include "pci_regs.h"
#include "vmsix_errno.h"

#define MIN_PAGE 4096u
#define MAX_MEM32 UINT64_C(0x80000000) /* the largest 32-bit memory BAR */
#define MAX_MEM64 (UINT64_C(1) << 63)  /* the largest 64-bit one */
#define MAX_SLOT 5u

#define LAYOUT_FLAGS (VMSIX_BAR_LAYOUT_PBA_FROM_DEVICE | VMSIX_BAR_LAYOUT_MSIX_MAPPABLE)
#define RELOC_FLAGS                                                                                \
    (VMSIX_BAR_LAYOUT_MSIX_MAPPABLE | VMSIX_BAR_RELOC_FREE_ONLY | VMSIX_BAR_RELOC_MEM32 |          \
     VMSIX_BAR_RELOC_NO_PREFETCH | VMSIX_BAR_RELOC_PBA_HALF)

/*
 * A layout is painted: intervals of one kind each, in order, a later one
 * winning where they overlap (the BAR's base kind first, then the trapped
 * windows, then the table and PBA bytes), then read back as sorted ranges.
 * At most 8 spans: the guest's grown BAR has a base, the device's part (up
 * to 5 ranges), the table and the PBA.
 */
#define MAX_SPANS 8u
#define MAX_RENDER (2u * MAX_SPANS + 1u)

struct span {
    uint64_t lo, hi;
    uint32_t kind;
};

struct canvas {
    uint64_t size;
    unsigned n;
    struct span s[MAX_SPANS];
};

static void canvas_init(struct canvas *c, uint64_t size, uint32_t base)
{
    c->size = size;
    c->s[0].lo = 0;
    c->s[0].hi = size;
    c->s[0].kind = base;
    c->n = 1;
}

static void paint(struct canvas *c, uint64_t lo, uint64_t hi, uint32_t kind)
{
    if (lo >= hi || c->n >= MAX_SPANS)
        return;
    c->s[c->n].lo = lo;
    c->s[c->n].hi = hi;
    c->s[c->n].kind = kind;
    c->n++;
}

/* The page-rounded window of [off, off + len), clipped to the BAR. The BAR
 * is at least a page, so its size is a multiple of the page: no wrap. */
static void paint_trap(struct canvas *c, uint64_t off, uint64_t len, uint64_t page)
{
    uint64_t hi = vmsix_align_up(off + len, page);

    paint(c, vmsix_align_down(off, page), hi < c->size ? hi : c->size, VMSIX_BAR_RANGE_FORWARD);
}

/* The canvas as ranges: every boundary of a span cuts, each piece gets the
 * kind of the last span that covers it, equal neighbours merge. */
static unsigned render(const struct canvas *c, struct vmsix_bar_range r[MAX_RENDER])
{
    uint64_t pts[2u * MAX_SPANS + 2u];
    unsigned np = 0, n = 0, i, j;

    pts[np++] = 0;
    pts[np++] = c->size;
    for (i = 0; i < c->n; i++) {
        pts[np++] = c->s[i].lo;
        pts[np++] = c->s[i].hi;
    }
    for (i = 1; i < np; i++) /* insertion sort: a few points */
        for (j = i; j > 0 && pts[j - 1] > pts[j]; j--) {
            uint64_t t = pts[j];
            pts[j] = pts[j - 1];
            pts[j - 1] = t;
        }
    for (i = 0; i + 1 < np; i++) {
        uint64_t a = pts[i], b = pts[i + 1];
        uint32_t kind = 0;

        if (a == b)
            continue;
        for (j = 0; j < c->n; j++)
            if (c->s[j].lo <= a && b <= c->s[j].hi)
                kind = c->s[j].kind;
        if (n && r[n - 1].kind == kind) {
            r[n - 1].len += b - a;
        } else {
            r[n].off = a;
            r[n].len = b - a;
            r[n].kind = kind;
            n++;
        }
    }
    return n;
}

static uint64_t table_bytes(uint32_t nvec)
{
    return (uint64_t)nvec * PCI_MSIX_ENTRY_SIZE;
}

static uint64_t pba_bytes(uint32_t nvec)
{
    return 8u * ((nvec + PCI_MSIX_PBA_QWORD_VECS - 1u) / PCI_MSIX_PBA_QWORD_VECS);
}

static bool page_ok(uint64_t page)
{
    return vmsix_is_pow2(page) && page >= MIN_PAGE;
}

static bool nvec_ok(uint32_t nvec)
{
    return nvec >= 1 && nvec <= PCI_MSIX_MAX_VECTORS;
}

/* [off, off + len) qword aligned and inside [0, size), without wrapping. */
static bool fits(uint64_t off, uint64_t len, uint64_t size)
{
    return !(off & PCI_MSIX_BIR_MASK) && off <= size && len <= size - off;
}

int vmsix_bar_layout_compute(const struct vmsix_bar_layout_params *p, struct vmsix_bar_range *out,
                             unsigned cap, uint32_t *report)
{
    struct vmsix_bar_range r[MAX_RENDER];
    struct canvas c;
    uint64_t tlen, plen;
    bool table, pba, pba_emul;
    uint32_t rep = 0;
    unsigned n, i;

    if (!p || !vmsix_is_pow2(p->bar_size) || !page_ok(p->page_size) || !nvec_ok(p->nvec) ||
        (p->flags & ~LAYOUT_FLAGS))
        return -EINVAL;
    tlen = table_bytes(p->nvec);
    plen = pba_bytes(p->nvec);
    table = p->table_off != VMSIX_BAR_LAYOUT_ABSENT;
    pba = p->pba_off != VMSIX_BAR_LAYOUT_ABSENT;
    if ((table && !fits(p->table_off, tlen, p->bar_size)) ||
        (pba && !fits(p->pba_off, plen, p->bar_size)))
        return -EINVAL;
    if (table && pba && p->table_off < p->pba_off + plen && p->pba_off < p->table_off + tlen)
        return -EINVAL;
    pba_emul = pba && !(p->flags & VMSIX_BAR_LAYOUT_PBA_FROM_DEVICE);

    /* DESIGN 4.6 rule 2 */
    if (p->bar_size < p->page_size) {
        /* one trapped page: no part of it can be mapped */
        canvas_init(&c, p->bar_size, VMSIX_BAR_RANGE_FORWARD);
    } else {
        canvas_init(&c, p->bar_size, VMSIX_BAR_RANGE_MAP);
        if (table)
            paint_trap(&c, p->table_off, tlen, p->page_size);
        if (pba_emul)
            paint_trap(&c, p->pba_off, plen, p->page_size);
    }
    if (table)
        paint(&c, p->table_off, p->table_off + tlen, VMSIX_BAR_RANGE_EMULATE);
    if (pba_emul)
        paint(&c, p->pba_off, p->pba_off + plen, VMSIX_BAR_RANGE_EMULATE);
    n = render(&c, r);

    if (out && n > cap)
        return -ENOSPC;
    if (out)
        memcpy(out, r, n * sizeof(r[0]));
    if (report) {
        if ((p->flags & VMSIX_BAR_LAYOUT_MSIX_MAPPABLE) && p->bar_size >= p->page_size)
            rep |= VMSIX_BAR_REPORT_HOST_MMAP_ALL;
        for (i = 0; i < n; i++)
            if (r[i].kind == VMSIX_BAR_RANGE_FORWARD)
                rep |= VMSIX_BAR_REPORT_FORWARDS;
        *report = rep;
    }
    return (int)n;
}

/* The checks of the sizes the host gave against the registers: 0 or a
 * power of two each; an implemented BAR has a size, an upper half none. */
static bool sizes_ok(const struct vmsix_bar *bars, unsigned count, const uint64_t *sizes)
{
    unsigned i;

    for (i = 0; sizes && i < count; i++) {
        uint8_t k = bars[i].kind;

        if (sizes[i] && !vmsix_is_pow2(sizes[i]))
            return false;
        if (k == VMSIX_BAR_MEM64_HI && sizes[i])
            return false;
        if ((k == VMSIX_BAR_IO || k == VMSIX_BAR_MEM32 || k == VMSIX_BAR_MEM64) && !sizes[i])
            return false;
    }
    return true;
}

/* The lowest free slot, by the rule of vmsix_bar_free_slot(): a size the
 * host measured counts as a non-zero sizing read-back. */
static int auto_slot(const struct vmsix_bar_reloc_params *p, unsigned count, unsigned *slot)
{
    uint32_t sized[6];
    unsigned i;

    memset(sized, 0, sizeof(sized));
    for (i = 0; p->sizes && i < count; i++)
        sized[i] = p->sizes[i] != 0;
    return vmsix_bar_free_slot(p->cfg, p->len, p->sizes ? sized : NULL, slot) ? -ENOSPC : 0;
}

/* Where the structures go, as the guest sees them (DESIGN 4.6 rule 6). */
struct place {
    unsigned slot;
    bool grown, is64, prefetch;
    uint64_t size, dev_size, table_off, pba_off;
};

static int place(const struct vmsix_bar_reloc_params *p, const struct vmsix_bar *bars,
                 unsigned count, struct place *pl)
{
    uint64_t tlen = table_bytes(p->nvec), m, region;
    const struct vmsix_bar *b;
    int rc;

    if (p->target == VMSIX_BAR_RELOC_AUTO) {
        rc = auto_slot(p, count, &pl->slot);
        if (rc)
            return rc;
    } else {
        pl->slot = p->target;
        if (pl->slot >= count)
            return -ENOTSUP;
    }
    b = &bars[pl->slot];
    if (b->kind == VMSIX_BAR_IO || b->kind == VMSIX_BAR_MEM64_HI || b->kind == VMSIX_BAR_BAD)
        return -ENOTSUP;
    /* a slot that reads 0 but sizes to non-zero is a BAR at address 0 */
    pl->dev_size = p->sizes ? p->sizes[pl->slot] : 0;
    pl->grown = b->kind != VMSIX_BAR_NONE || pl->dev_size != 0;
    if (pl->grown && ((p->flags & VMSIX_BAR_RELOC_FREE_ONLY) || !p->sizes))
        return -ENOTSUP;

    /* the region: whole pages (a page is never shared with the device), a
     * power of two (a BAR's size) */
    if (p->flags & VMSIX_BAR_RELOC_PBA_HALF)
        m = vmsix_roundup_pow2((uint32_t)(2u * tlen));
    else
        m = vmsix_roundup_pow2((uint32_t)(tlen + pba_bytes(p->nvec)));
    if (m < p->page_size)
        m = p->page_size;

    if (!pl->grown) {
        /* 64-bit when the next slot is free too (it becomes the upper half) */
        pl->is64 = !(p->flags & VMSIX_BAR_RELOC_MEM32) && pl->slot + 1u < count &&
                   bars[pl->slot + 1u].kind == VMSIX_BAR_NONE &&
                   !(p->sizes && p->sizes[pl->slot + 1u]);
        pl->prefetch = !(p->flags & VMSIX_BAR_RELOC_NO_PREFETCH);
        pl->size = m;
        pl->table_off = 0;
        region = m;
    } else {
        /* a BAR at address 0 that reads 0 has memory type 0: 32-bit */
        pl->is64 = b->kind == VMSIX_BAR_MEM64;
        pl->prefetch = b->prefetch;
        if (pl->dev_size > MAX_MEM64 / 2u || m > MAX_MEM64 / 2u)
            return -ENOSPC;
        pl->size = 2u * (pl->dev_size > m ? pl->dev_size : m);
        pl->table_off = pl->size / 2u;
        region = pl->size / 2u;
    }
    if (!pl->is64 && pl->size > MAX_MEM32)
        return -ENOSPC;
    if (p->flags & VMSIX_BAR_RELOC_PBA_HALF)
        pl->pba_off = pl->table_off + region / 2u;
    else
        pl->pba_off = pl->table_off + tlen;
    return 0;
}

/* The device's table BAR once the guest's table lives elsewhere (DESIGN 4.6
 * rule 7). */
static void paint_phys(struct canvas *c, const struct vmsix_bar_reloc_params *p, uint64_t size)
{
    uint64_t off = p->dev_table_off, tlen = table_bytes(p->nvec);

    if (size < p->page_size) {
        canvas_init(c, size, VMSIX_BAR_RANGE_FORWARD);
    } else if (p->flags & VMSIX_BAR_LAYOUT_MSIX_MAPPABLE) {
        canvas_init(c, size, VMSIX_BAR_RANGE_MAP);
        return;
    } else {
        canvas_init(c, size, VMSIX_BAR_RANGE_MAP);
        paint_trap(c, off, tlen, p->page_size);
    }
    /* the old table: no guest message may reach it */
    paint(c, off, off + tlen, VMSIX_BAR_RANGE_ZERO);
}

int vmsix_bar_layout_relocate(const struct vmsix_bar_reloc_params *p, struct vmsix_bar_reloc *out,
                              struct vmsix_bar_range *guest, unsigned guest_cap,
                              struct vmsix_bar_range *phys, unsigned phys_cap)
{
    struct vmsix_bar bars[6];
    struct vmsix_bar_range gr[MAX_RENDER], pr[MAX_RENDER];
    struct canvas gc, pc;
    struct place pl;
    unsigned count, ng, np = 0, i;
    bool dev_table;
    int rc;

    if (!p || !out || !page_ok(p->page_size) || !nvec_ok(p->nvec) || (p->flags & ~RELOC_FLAGS))
        return -EINVAL;
    if (p->target > MAX_SLOT && p->target != VMSIX_BAR_RELOC_AUTO)
        return -EINVAL;
    if (p->dev_table_bar > MAX_SLOT && p->dev_table_bar != VMSIX_BAR_RELOC_NO_TABLE)
        return -EINVAL;
    if (vmsix_bar_decode(p->cfg, p->len, bars, &count) || !sizes_ok(bars, count, p->sizes))
        return -EINVAL;
    dev_table = p->dev_table_bar != VMSIX_BAR_RELOC_NO_TABLE;
    if (dev_table) {
        uint8_t k;

        if (!p->sizes || p->dev_table_bar >= count)
            return -EINVAL;
        k = bars[p->dev_table_bar].kind;
        if ((k != VMSIX_BAR_MEM32 && k != VMSIX_BAR_MEM64 && k != VMSIX_BAR_NONE) ||
            !p->sizes[p->dev_table_bar] ||
            !fits(p->dev_table_off, table_bytes(p->nvec), p->sizes[p->dev_table_bar]))
            return -EINVAL;
    }
    rc = place(p, bars, count, &pl);
    if (rc)
        return rc;

    if (dev_table) {
        paint_phys(&pc, p, p->sizes[p->dev_table_bar]);
        np = render(&pc, pr);
    }
    /* the guest's BAR: nothing behind it but the device's part */
    canvas_init(&gc, pl.size, VMSIX_BAR_RANGE_ZERO);
    if (pl.grown && dev_table && pl.slot == p->dev_table_bar) {
        for (i = 0; i < np; i++)
            paint(&gc, pr[i].off, pr[i].off + pr[i].len, pr[i].kind);
    } else if (pl.grown) {
        paint(&gc, 0, pl.dev_size,
              pl.dev_size >= p->page_size ? VMSIX_BAR_RANGE_MAP : VMSIX_BAR_RANGE_FORWARD);
    }
    paint(&gc, pl.table_off, pl.table_off + table_bytes(p->nvec), VMSIX_BAR_RANGE_EMULATE);
    paint(&gc, pl.pba_off, pl.pba_off + pba_bytes(p->nvec), VMSIX_BAR_RANGE_EMULATE);
    ng = render(&gc, gr);

    if ((guest && ng > guest_cap) || (phys && np > phys_cap))
        return -ENOSPC;
    if (guest)
        memcpy(guest, gr, ng * sizeof(gr[0]));
    if (phys)
        memcpy(phys, pr, np * sizeof(pr[0]));
    memset(out, 0, sizeof(*out));
    out->slot = (uint8_t)pl.slot;
    out->kind = pl.is64 ? VMSIX_BAR_MEM64 : VMSIX_BAR_MEM32;
    out->prefetch = pl.prefetch;
    out->grown = pl.grown;
    out->bar_size = pl.size;
    out->dev_size = pl.grown ? pl.dev_size : 0;
    out->table_off = pl.table_off;
    out->pba_off = pl.pba_off;
    out->nguest = ng;
    out->nphys = np;
    return 0;
}
