/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test oracles of the BAR layout (DESIGN 4.6), shared by the unit tests
 * and the fuzz harness:
 *
 * - ref_layout(): the rule of vmsix_bar_layout_compute() restated page by
 *   page ("a page is trapped when it holds a byte the guest must not reach
 *   directly"), a different construction from the library's painting of
 *   page-rounded windows;
 * - layout_check(): the properties every layout has (a sorted partition of
 *   the BAR, merged neighbours, whole-page map ranges, the emulated bytes
 *   exactly the table and the emulated PBA, forwarded bytes only inside
 *   trapped pages);
 * - qemu_fixup() and qemu_relocate(): what QEMU's hw/vfio/pci.c does in
 *   vfio_pci_fixup_msix_region() and vfio_pci_relocate_msix() (QEMU 7.2 to
 *   10.x behave alike here), restated from reading it, not copied;
 * - linux_excluded(): the window Linux vfio-pci keeps user space out of in
 *   vfio_pci_bar_rw() (drivers/vfio/pci): [table_off, table_off + 16 n).
 *
 * Hosted code (tests only). Every function returns NULL or a static string
 * that says what is wrong.
 */
#ifndef VMSIX_TESTS_BAR_LAYOUT_REF_H
#define VMSIX_TESTS_BAR_LAYOUT_REF_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <vmsix/bar_layout.h>

#include "oracle.h"

#define REF_MAX_RANGES 64u

static inline uint64_t ref_tlen(uint32_t nvec)
{
    return 16u * (uint64_t)nvec;
}

static inline uint64_t ref_plen(uint32_t nvec)
{
    return 8u * (((uint64_t)nvec + 63u) / 64u);
}

/* Does [a, b) meet [c, d)? */
static inline bool ref_meets(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    return a < d && c < b;
}

/* The bytes the guest must not reach directly: the table, and the PBA
 * unless it is read from the device. */
static inline bool ref_guarded(const struct vmsix_bar_layout_params *p, uint64_t a, uint64_t b)
{
    if (p->table_off != VMSIX_BAR_LAYOUT_ABSENT &&
        ref_meets(a, b, p->table_off, p->table_off + ref_tlen(p->nvec)))
        return true;
    return p->pba_off != VMSIX_BAR_LAYOUT_ABSENT &&
           !(p->flags & VMSIX_BAR_LAYOUT_PBA_FROM_DEVICE) &&
           ref_meets(a, b, p->pba_off, p->pba_off + ref_plen(p->nvec));
}

/* Append [off, off + len) of @kind, merging with an equal neighbour. */
static inline void ref_push(struct vmsix_bar_range *r, unsigned *n, uint64_t off, uint64_t len,
                            uint32_t kind)
{
    if (!len)
        return;
    if (*n && r[*n - 1].kind == kind && r[*n - 1].off + r[*n - 1].len == off) {
        r[*n - 1].len += len;
        return;
    }
    if (*n < REF_MAX_RANGES) {
        r[*n].off = off;
        r[*n].len = len;
        r[*n].kind = kind;
    }
    (*n)++;
}

/* One trapped page [a, b): its guarded bytes emulated, the rest forwarded,
 * cut at every edge of the table and the PBA inside it. */
static inline void ref_trapped_page(const struct vmsix_bar_layout_params *p, uint64_t a, uint64_t b,
                                    struct vmsix_bar_range *r, unsigned *n)
{
    uint64_t cut[6], x = a;
    unsigned nc = 0, i, j;

    if (p->table_off != VMSIX_BAR_LAYOUT_ABSENT) {
        cut[nc++] = p->table_off;
        cut[nc++] = p->table_off + ref_tlen(p->nvec);
    }
    if (p->pba_off != VMSIX_BAR_LAYOUT_ABSENT) {
        cut[nc++] = p->pba_off;
        cut[nc++] = p->pba_off + ref_plen(p->nvec);
    }
    cut[nc++] = b;
    for (i = 1; i < nc; i++)
        for (j = i; j > 0 && cut[j - 1] > cut[j]; j--) {
            uint64_t t = cut[j];
            cut[j] = cut[j - 1];
            cut[j - 1] = t;
        }
    for (i = 0; i < nc; i++) {
        uint64_t y = cut[i] < a ? a : cut[i] > b ? b : cut[i];
        if (y <= x)
            continue;
        ref_push(r, n, x, y - x,
                 ref_guarded(p, x, y) ? VMSIX_BAR_RANGE_EMULATE : VMSIX_BAR_RANGE_FORWARD);
        x = y;
    }
}

/*
 * The layout by the rule, page by page: a BAR below a page is one trapped
 * page; otherwise page k is trapped when it holds a guarded byte, and a
 * page that is not trapped is mapped. O(bar_size / page_size): for the
 * sizes of the sweep and the corpus. Returns the number of ranges.
 */
static VMSIX_ORACLE unsigned ref_layout(const struct vmsix_bar_layout_params *p,
                                        struct vmsix_bar_range *r)
{
    uint64_t pg = p->page_size, a;
    unsigned n = 0;

    if (p->bar_size < pg) {
        ref_trapped_page(p, 0, p->bar_size, r, &n);
        return n;
    }
    for (a = 0; a < p->bar_size; a += pg) {
        if (ref_guarded(p, a, a + pg))
            ref_trapped_page(p, a, a + pg, r, &n);
        else
            ref_push(r, &n, a, pg, VMSIX_BAR_RANGE_MAP);
    }
    return n;
}

/* Bytes of [a, b) inside [c, d). */
static inline uint64_t ref_overlap(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    uint64_t lo = a > c ? a : c, hi = b < d ? b : d;
    return hi > lo ? hi - lo : 0;
}

/* Is [a, b) inside the trapped pages (the page-rounded windows of the
 * guarded bytes)? Two windows at most; they may touch or overlap. */
static inline bool ref_in_trapped(const struct vmsix_bar_layout_params *p, uint64_t a, uint64_t b)
{
    uint64_t pg = p->page_size, w[2][2];
    unsigned n = 0;

    if (p->bar_size < pg)
        return true;
    if (p->table_off != VMSIX_BAR_LAYOUT_ABSENT) {
        w[n][0] = p->table_off / pg * pg;
        w[n][1] = (p->table_off + ref_tlen(p->nvec) + pg - 1) / pg * pg;
        n++;
    }
    if (p->pba_off != VMSIX_BAR_LAYOUT_ABSENT && !(p->flags & VMSIX_BAR_LAYOUT_PBA_FROM_DEVICE)) {
        w[n][0] = p->pba_off / pg * pg;
        w[n][1] = (p->pba_off + ref_plen(p->nvec) + pg - 1) / pg * pg;
        n++;
    }
    for (unsigned i = 0; i < n; i++)
        if (w[i][0] <= a && b <= w[i][1])
            return true;
    /* both windows, touching or overlapping, as one */
    return n == 2 && w[0][0] <= w[1][1] && w[1][0] <= w[0][1] &&
           (w[0][0] < w[1][0] ? w[0][0] : w[1][0]) <= a &&
           b <= (w[0][1] > w[1][1] ? w[0][1] : w[1][1]);
}

/* The properties of any layout of @p (what the header promises), in O(n). */
static VMSIX_ORACLE const char *layout_check(const struct vmsix_bar_layout_params *p,
                                             const struct vmsix_bar_range *r, unsigned n)
{
    uint64_t x = 0, emul = 0, pg = p->page_size, want = 0;
    bool table = p->table_off != VMSIX_BAR_LAYOUT_ABSENT;
    bool pba_emul =
        p->pba_off != VMSIX_BAR_LAYOUT_ABSENT && !(p->flags & VMSIX_BAR_LAYOUT_PBA_FROM_DEVICE);
    unsigned i;

    if (n < 1 || n > 9)
        return "count outside 1..9";
    for (i = 0; i < n; i++) {
        const struct vmsix_bar_range *g = &r[i];
        uint64_t e = g->off + g->len, in = 0;

        if (g->off != x)
            return "not a sorted partition (gap or overlap)";
        if (g->len == 0 || g->len > p->bar_size - g->off)
            return "empty range or past the BAR";
        if (i && r[i - 1].kind == g->kind)
            return "equal neighbours not merged";
        switch (g->kind) {
        case VMSIX_BAR_RANGE_MAP:
            if (p->bar_size < pg || g->off % pg || g->len % pg)
                return "map range not whole pages";
            /* a page is trapped iff it holds a guarded byte */
            if (ref_guarded(p, g->off, e))
                return "a mapped page is trapped";
            break;
        case VMSIX_BAR_RANGE_EMULATE:
            emul += g->len;
            if (table)
                in += ref_overlap(g->off, e, p->table_off, p->table_off + ref_tlen(p->nvec));
            if (pba_emul)
                in += ref_overlap(g->off, e, p->pba_off, p->pba_off + ref_plen(p->nvec));
            if (in != g->len)
                return "an emulated byte is neither table nor emulated PBA";
            break;
        case VMSIX_BAR_RANGE_FORWARD:
            if (ref_guarded(p, g->off, e))
                return "a guarded byte is forwarded";
            if (!ref_in_trapped(p, g->off, e))
                return "a forwarded byte lies outside the trapped pages";
            break;
        default:
            return "kind not map, emulate or forward";
        }
        x = e;
    }
    if (x != p->bar_size)
        return "ranges do not end at the BAR's end";
    if (table)
        want += ref_tlen(p->nvec);
    if (pba_emul)
        want += ref_plen(p->nvec);
    if (emul != want)
        return "emulated bytes are not exactly the table and the emulated PBA";
    return NULL;
}

/* Equal range lists? */
static inline bool ranges_equal(const struct vmsix_bar_range *a, unsigned na,
                                const struct vmsix_bar_range *b, unsigned nb)
{
    unsigned i;

    if (na != nb)
        return false;
    for (i = 0; i < na; i++)
        if (a[i].off != b[i].off || a[i].len != b[i].len || a[i].kind != b[i].kind)
            return false;
    return true;
}

/* ---- Linux vfio-pci ----
 * vfio_pci_bar_rw() refuses user space the bytes [msix_offset, msix_offset
 * + msix_size), msix_size being 16 bytes a vector: reads there fill with
 * all ones, writes are dropped. The PBA is not in it. */
static inline void linux_excluded(uint64_t table_off, uint32_t nvec, uint64_t *lo, uint64_t *hi)
{
    *lo = table_off;
    *hi = table_off + ref_tlen(nvec);
}

/* ---- QEMU, vfio_pci_fixup_msix_region() ----
 *
 * QEMU starts from one mmap covering the whole BAR (anything else: it
 * leaves the region alone). With MSIX_MAPPABLE it keeps that mmap and lays
 * its emulated table over it. Otherwise it cuts the table's window out:
 * start = table_off rounded down to the host page, end = table_off + 16 n
 * rounded up. Window at offset 0 reaching the BAR's end: no mmap at all;
 * at offset 0 only: one mmap [end, size); reaching the end only: one mmap
 * [0, start); else two, [0, start) and [end, size). Only the table is cut:
 * QEMU keeps its PBA region disabled until a masked vector fires, so the
 * guest reads the device's PBA through the mapping.
 *
 * qemu_fixup() gives the host mmaps of the region (*whole when the
 * capability keeps the one mmap), as [off, off + len) pairs, *n of them.
 */
struct qemu_mmap {
    uint64_t off, len;
};

static inline void qemu_fixup(uint64_t size, uint64_t table_off, uint32_t entries, uint64_t page,
                              bool msix_mappable, struct qemu_mmap m[2], unsigned *n, bool *whole)
{
    uint64_t start = table_off & ~(page - 1u);
    uint64_t end = (table_off + ref_tlen(entries) + page - 1u) & ~(page - 1u);

    *whole = msix_mappable;
    *n = 0;
    if (msix_mappable) {
        m[(*n)++] = (struct qemu_mmap){0, size};
        return;
    }
    if (start == 0 && end >= size)
        return;
    if (start != 0)
        m[(*n)++] = (struct qemu_mmap){0, start};
    if (end < size)
        m[(*n)++] = (struct qemu_mmap){end, size - end};
}

/* ---- QEMU, vfio_pci_relocate_msix() (x-msix-relocation=barN) ----
 *
 * QEMU's view of the BARs: per slot its region size (0: unimplemented, or
 * the upper half of a 64-bit BAR), I/O or memory, 64-bit. The structures
 * need 16 n table bytes plus the PBA (n rounded up to 64, one bit each),
 * rounded up to a host page and then to a power of two: msix_sz.
 * Refusals, in this order: an I/O BAR; a slot of size 0 right after a
 * 64-bit BAR (its upper half); a 32-bit BAR larger than 1 GiB (doubling
 * it would pass 2 GiB). A slot of size 0 becomes a new prefetchable BAR
 * of msix_sz, 64-bit when it is not the last slot and the next one has
 * size 0 too, with the table at 0. Otherwise the BAR grows to the larger
 * of twice its size and twice msix_sz and the table starts at half the
 * new size. The PBA follows the table (table_off + 16 n), in the same BAR.
 */
struct qemu_bar {
    uint64_t size;
    bool ioport, mem64, prefetch;
};

struct qemu_relo {
    bool ok;
    bool mem64, prefetch;
    uint64_t size, table_off, pba_off;
};

static inline uint64_t qemu_pow2ceil(uint64_t v)
{
    uint64_t p = 1;
    while (p < v)
        p <<= 1;
    return p;
}

static inline struct qemu_relo qemu_relocate(const struct qemu_bar bars[6], unsigned target,
                                             uint32_t entries, uint64_t page)
{
    struct qemu_relo r;
    uint64_t need = ref_tlen(entries) + ((uint64_t)entries + 63u) / 64u * 8u;
    uint64_t msix_sz = qemu_pow2ceil((need + page - 1u) / page * page);

    memset(&r, 0, sizeof(r));
    if (bars[target].ioport)
        return r;
    if (bars[target].size == 0 && target > 0 && bars[target - 1].mem64)
        return r;
    if (bars[target].size > (UINT64_C(1) << 30) && !bars[target].mem64)
        return r;
    r.ok = true;
    if (bars[target].size == 0) {
        r.mem64 = target < 5 && bars[target + 1].size == 0;
        r.prefetch = true;
        r.size = msix_sz;
        r.table_off = 0;
    } else {
        r.mem64 = bars[target].mem64;
        r.prefetch = bars[target].prefetch;
        r.size = 2 * bars[target].size > 2 * msix_sz ? 2 * bars[target].size : 2 * msix_sz;
        r.table_off = r.size / 2;
    }
    r.pba_off = r.table_off + ref_tlen(entries);
    return r;
}

#endif
