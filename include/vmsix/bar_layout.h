/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vmsix/bar_layout.h - which bytes of a BAR holding an MSI-X table a VMM
 * maps, traps and emulates, for any host page size; and a new home for the
 * table when its trapped pages would cover device registers (DESIGN 4.6).
 *
 * The MSI-X table of a pass-through function must never be mapped to the
 * guest: the VMM traps it and emulates it (vmsix/msix_table.h). Everything
 * else should be mapped, or the device's registers exit on every access.
 * Mappings are made of whole host pages, so the pages that hold the table
 * are trapped, and the device registers that share them must be forwarded
 * to the device. vmsix_bar_layout_compute() says, for one BAR, which ranges
 * are which; vmsix_bar_layout_relocate() moves the table and the PBA out of
 * the way, as QEMU's x-msix-relocation does, and gives the guest's layout
 * and the physical one as separate outputs.
 *
 * Both are pure functions of their arguments: they call no hook, keep no
 * state, read nothing but their inputs and write nothing but their outputs,
 * and nothing at all when they fail.
 */
#ifndef VMSIX_BAR_LAYOUT_H
#define VMSIX_BAR_LAYOUT_H

#include <vmsix/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What the VMM does with the guest's accesses to a range of a BAR. */
#define VMSIX_BAR_RANGE_MAP 1u     /* map it: the guest reaches the device directly */
#define VMSIX_BAR_RANGE_EMULATE 2u /* table or PBA bytes: hand them to msix_table */
/* device bytes inside a trapped page: trap, and pass the access to the
 * device (VFIO: the region's read/write) */
#define VMSIX_BAR_RANGE_FORWARD 3u
/* no device bytes the guest may reach: trap; reads return 0, writes are
 * dropped. Only relocation makes them: the part of a grown or new BAR that
 * no device bytes back, and the device's own table once the guest's table
 * lives elsewhere (a guest never writes an interrupt message into it) */
#define VMSIX_BAR_RANGE_ZERO 4u

/* One range [off, off + len) of a BAR, len > 0. */
struct vmsix_bar_range {
    uint64_t off;
    uint64_t len;
    uint32_t kind; /* VMSIX_BAR_RANGE_* */
};

/* The most ranges one output holds: 9 for vmsix_bar_layout_compute(), 10 for
 * the guest's BAR of vmsix_bar_layout_relocate() (the device's part, up to
 * 5, the unbacked rest of its lower half, and the table and PBA in their
 * region with the unbacked bytes between and after them). */
#define VMSIX_BAR_LAYOUT_MAX_RANGES 10u

/* table_off or pba_off: not in this BAR. */
#define VMSIX_BAR_LAYOUT_ABSENT UINT64_MAX

/* Flags of vmsix_bar_layout_compute() (and MSIX_MAPPABLE of relocation). */
/* The guest's PBA reads go to the device: the PBA is forwarded (or mapped),
 * not emulated, and its pages are not trapped for it. This is what Linux
 * vfio-pci does: it keeps the guest (user space) out of the table only. */
#define VMSIX_BAR_LAYOUT_PBA_FROM_DEVICE 0x01u
/* The host kernel lets the whole region be mmapped although it holds the
 * table (VFIO_REGION_INFO_CAP_MSIX_MAPPABLE, Linux 4.16 on). The guest's
 * mapping does not change (its table is still trapped); it is reported
 * (VMSIX_BAR_REPORT_HOST_MMAP_ALL) and lets relocation map the device's
 * old table pages. */
#define VMSIX_BAR_LAYOUT_MSIX_MAPPABLE 0x02u

/* What vmsix_bar_layout_compute() reports besides the ranges (*report). */
/* The host may mmap [0, bar_size) in one piece (VMSIX_BAR_LAYOUT_MSIX_MAPPABLE
 * with a BAR of at least a page): it may make the guest's mappings from that
 * one mapping and serve the forwarded ranges through it rather than through
 * the region's read/write. Without it, the host may mmap the map ranges
 * only (older kernels exclude the table's pages from the mmap areas). */
#define VMSIX_BAR_REPORT_HOST_MMAP_ALL 0x01u
/* Some range is forwarded: device registers share a trapped page, and each
 * guest access to them exits. vmsix_bar_layout_relocate() can help. */
#define VMSIX_BAR_REPORT_FORWARDS 0x02u

/* One BAR and the MSI-X structures in it. */
struct vmsix_bar_layout_params {
    uint64_t bar_size;  /* a power of two (up to 2^63) */
    uint64_t page_size; /* the host page size: a power of two >= 4096 */
    uint64_t table_off; /* the table's offset (8-byte aligned), or ..._ABSENT */
    uint64_t pba_off;   /* the PBA's offset (8-byte aligned), or ..._ABSENT */
    uint32_t nvec;      /* Table Size + 1: 1..2048 (16 bytes of table, 1 bit of
                           PBA each; the PBA is 8 bytes per 64 vectors) */
    uint32_t flags;     /* VMSIX_BAR_LAYOUT_PBA_FROM_DEVICE, _MSIX_MAPPABLE */
};

/**
 * vmsix_bar_layout_compute() - map, emulate and forward ranges of one BAR.
 * @p: the BAR, its table and PBA (either may be absent), the page size
 * @out: receives the ranges; NULL to learn only how many there are
 * @cap: entries of @out (VMSIX_BAR_LAYOUT_MAX_RANGES is always enough)
 * @report: optional: receives VMSIX_BAR_REPORT_* bits
 *
 * The ranges partition [0, bar_size), sorted by offset, adjacent ranges of
 * one kind merged:
 * - the table's bytes [table_off, table_off + 16 * nvec) are emulated, and
 *   so are the PBA's, unless PBA_FROM_DEVICE;
 * - the trapped pages are the page-rounded windows of the table and (unless
 *   PBA_FROM_DEVICE) of the PBA, [floor(off), ceil(off + length)); a BAR
 *   smaller than a page is one trapped page (nothing of it can be mapped);
 * - the rest of a trapped page is forwarded, the rest of the BAR mapped.
 * Map ranges therefore start and end on page boundaries (the BAR is
 * aligned to its size). Without PBA_FROM_DEVICE the emulated bytes are the
 * table and the PBA; with it they are exactly the window that Linux
 * vfio-pci keeps from user space, [table_off, table_off + 16 * nvec).
 * Calls no hook.
 * Return: the number of ranges (1..9); -EINVAL for a NULL @p, a size or
 * page that is not a power of two (or a page below 4096), nvec outside
 * 1..2048, unknown flags, a table or PBA offset not 8-byte aligned or
 * running past the BAR, a table overlapping the PBA; -ENOSPC when @cap is
 * too small. Nothing is written on an error.
 */
VMSIX_API int vmsix_bar_layout_compute(const struct vmsix_bar_layout_params *p,
                                       struct vmsix_bar_range *out, unsigned cap, uint32_t *report);

/* target: the lowest free slot (never grows a BAR). */
#define VMSIX_BAR_RELOC_AUTO 0xffu
/* dev_table_bar: the device has no table (it is given MSI-X, as by MSI-X on
 * MSI): no physical layout. */
#define VMSIX_BAR_RELOC_NO_TABLE 0xffu

/* Flags of vmsix_bar_layout_relocate() (VMSIX_BAR_LAYOUT_MSIX_MAPPABLE too). */
#define VMSIX_BAR_RELOC_FREE_ONLY 0x10u   /* refuse to grow an implemented BAR */
#define VMSIX_BAR_RELOC_MEM32 0x20u       /* a new BAR is 32-bit even when it could be 64 */
#define VMSIX_BAR_RELOC_NO_PREFETCH 0x40u /* a new BAR is not prefetchable */
/* the PBA at the middle of the table's region (a new BAR: half the BAR)
 * rather than right after the table; the region holds twice the table */
#define VMSIX_BAR_RELOC_PBA_HALF 0x80u

/* Where to move the table and PBA of a function. */
struct vmsix_bar_reloc_params {
    const uint8_t *cfg;     /* its configuration bytes (untrusted): the BAR registers */
    size_t len;             /* bytes in @cfg, at least 64 */
    const uint64_t *sizes;  /* optional: vmsix_bar_count() region sizes as the host
                               sized them (0 unimplemented; a 64-bit BAR's size in its
                               low slot, 0 in its upper one); NULL: a slot is free when
                               it reads 0, and no BAR can be grown */
    uint64_t page_size;     /* the host page size: a power of two >= 4096 */
    uint64_t dev_table_off; /* the device's table: its offset in dev_table_bar */
    uint32_t nvec;          /* 1..2048 */
    uint32_t flags;         /* VMSIX_BAR_RELOC_*, VMSIX_BAR_LAYOUT_MSIX_MAPPABLE */
    uint8_t target;         /* the slot to use (0..5), or VMSIX_BAR_RELOC_AUTO */
    uint8_t dev_table_bar;  /* the device's table BIR (0..5), or ..._NO_TABLE */
};

/* The new home, as the guest sees it, and the counts of the two layouts. */
struct vmsix_bar_reloc {
    uint8_t slot;       /* the guest's BAR that holds the table and PBA */
    uint8_t kind;       /* VMSIX_BAR_MEM32 or VMSIX_BAR_MEM64 (vmsix/bar.h) */
    bool prefetch;      /* prefetchable */
    bool grown;         /* an implemented BAR was doubled (else a free slot used) */
    uint64_t bar_size;  /* the guest's size of that BAR */
    uint64_t dev_size;  /* the device's bytes at its start: the old size when
                           grown, 0 for a new BAR */
    uint64_t table_off; /* the guest's table: offset in the guest's BAR */
    uint64_t pba_off;   /* the guest's PBA: offset in the guest's BAR */
    unsigned nguest;    /* ranges of the guest's BAR */
    unsigned nphys;     /* ranges of the device's table BAR; 0 without one */
};

/**
 * vmsix_bar_layout_relocate() - give the table and PBA a new home.
 * @p: the function's BARs, its table, the page size, the target and flags
 * @out: receives the placement and the two counts
 * @guest: receives the ranges of the guest's BAR @out->slot, [0, bar_size);
 *         NULL when not wanted
 * @guest_cap: entries of @guest
 * @phys: receives the ranges of the device's table BAR dev_table_bar, in
 *        that BAR's own offsets [0, its size), as the guest now reaches it;
 *        NULL when not wanted
 * @phys_cap: entries of @phys
 *
 * As QEMU's x-msix-relocation: the structures need 16 * nvec table bytes
 * and the PBA; rounded up to a page and to a power of two that is their
 * region's size m (PBA_HALF: twice the table, at least a page). A free
 * slot (reads 0; sizes to 0 when @sizes is given) becomes a new memory BAR
 * of size m holding the table at 0: 64-bit when the next slot is free too
 * (unless MEM32), prefetchable (unless NO_PREFETCH). An implemented memory
 * BAR of size S grows to max(2 S, 2 m), keeps its type, and holds the table
 * at the start of its upper half; [0, S) is still the device's BAR. The
 * PBA follows the table (PBA_HALF: at the middle of the region).
 *
 * The guest's layout: the table and PBA bytes emulated, the rest of their
 * region ZERO; in a grown BAR the device's part as below (the table's own
 * BAR) or mapped (forwarded under a page), and ZERO past it. The physical
 * layout, of the device's table BAR: its old table is no longer the
 * guest's; with MSIX_MAPPABLE (and a BAR of at least a page) all of it is
 * mapped, old table included, which is what relocation is for (the
 * registers on its pages stop exiting) and what QEMU does: Linux offers
 * that mapping only where interrupt remapping checks the source of every
 * message the device sends. Without it the table's pages stay trapped, its
 * bytes ZERO (no guest value reaches them) and the rest forwarded.
 * These are offsets in the device's BAR and never reach past it, whatever
 * the guest's offsets are.
 *
 * Calls no hook.
 * Return: 0; -ENOTSUP when the target cannot hold them (a slot past the
 * header's, an I/O BAR, the upper half of a 64-bit BAR, a malformed slot,
 * an implemented BAR with FREE_ONLY or without @sizes); -ENOSPC when the
 * result would not fit (a 32-bit BAR past 2 GiB, a 64-bit one past 2^63;
 * AUTO with no free slot) or @guest_cap or @phys_cap is too small;
 * -EINVAL for bad arguments (NULL @p or @out, @len < 64, page, nvec,
 * unknown flags or PBA_FROM_DEVICE, a target or BIR above 5 that is not
 * AUTO or NO_TABLE, a size that is not 0 or a power of two, sizes that
 * contradict the registers, a device table without @sizes, outside its BAR
 * or not 8-byte aligned, or in a BAR that is not memory). Nothing is
 * written on an error.
 */
VMSIX_API int vmsix_bar_layout_relocate(const struct vmsix_bar_reloc_params *p,
                                        struct vmsix_bar_reloc *out, struct vmsix_bar_range *guest,
                                        unsigned guest_cap, struct vmsix_bar_range *phys,
                                        unsigned phys_cap);

#ifdef __cplusplus
}
#endif

#endif /* VMSIX_BAR_LAYOUT_H */
