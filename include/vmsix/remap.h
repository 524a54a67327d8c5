/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vmsix/remap.h - the interrupt-remapping backend interface.
 *
 * MSI-X on multi-message MSI needs, for one device, a block of N remapping
 * entries (N = 2^MME, MME = Multiple Message Enable) that one physical MSI
 * address/data pair reaches: the device sends message k by replacing the
 * low log2(N) bits of the MSI data with k, and the remapping hardware must
 * turn that into "entry k of the block", whose host target (vector,
 * destination, ...) is programmed independently of the others. This header
 * is the interface between the composed device (msix_on_msi), which knows
 * the PCI side, and a backend, which knows one remapping unit. A backend is
 * a table of operations plus a context pointer (struct vmsix_remap); the
 * library provides one for Intel VT-d (vmsix/vtd.h,
 * vmsix_vtd_remap_init()) and one for AMD-Vi (vmsix/amdvi.h,
 * vmsix_amdvi_remap_init()). Other backends are written by the host.
 *
 * Terms
 *   index space  the set of entry indexes a block is taken from: one global
 *                table per unit (VT-d), one table per source ID (AMD-Vi
 *                interrupt remapping table per device ID, GICv3 ITS event
 *                table per DeviceID)
 *   block        N contiguous indexes [base, base + N), reserved for one
 *                source; the composed device asks for N = a power of two
 *   entry k      index base + k, 0 <= k < N: where message k of the device
 *                lands
 *   host target  what one entry delivers to (struct vmsix_remap_target)
 *
 * How each unit fits
 *   VT-d     global table; compose() writes the remappable format with
 *            handle = base, SHV = 1 and data = 0, and the hardware uses entry
 *            handle + data[15:0], so message k reaches base + k. VT-d needs
 *            no alignment, but blocks come from a buddy pool and are
 *            naturally aligned anyway. Invalidation is an Interrupt Entry
 *            Cache descriptor (index + index mask) per aligned chunk.
 *   AMD-Vi   one interrupt remapping table per device ID (512 or 2048
 *            entries: nentries = the table size, and reserve() picks the
 *            source's table from @src); the
 *            MSI data IS the table index (CAP_DATA_INDEX): compose() puts
 *            base into the data. The device replaces (does not add) the low
 *            bits of the data, so base must be aligned to the block size:
 *            reserve() is called with align = count and must honour it.
 *            The address is the fixed interrupt range (0xFEEx_xxxx).
 *            invalidate() issues INVALIDATE_INTERRUPT_TABLE for the device
 *            (it may invalidate more than the range asked, never less).
 *   GICv3 ITS  per-DeviceID event table of power-of-two size; data =
 *            EventID = base + k (aligned as for AMD-Vi, CAP_DATA_INDEX);
 *            program() maps EventID -> LPI (vector) + collection (dest);
 *            the doorbell GITS_TRANSLATER sits behind the SMMU, so
 *            CAP_DOORBELL is set and doorbell_map() gives the IOVA the
 *            device must write to (vmsix/doorbell.h is a window of IOVA
 *            space such a backend takes it from).
 *
 * Order of calls made by the composed device (and expected by backends)
 *
 *   setup, when the guest enables MSI-X on an N-vector device:
 *     caps()                               once, before anything else
 *     reserve(src, N, align, &blk)         align = N when CAP_DATA_INDEX,
 *                                          else 1
 *     compose(&blk, &msg)                  the one physical MSI message
 *     [doorbell_map(&blk, &msg)]           only with CAP_DOORBELL; rewrites
 *                                          msg.addr to the device-visible
 *                                          address
 *     then every MSI mask bit set, msg written to the device's MSI
 *     capability, Multiple Message Enable = log2(blk.count) at most, MSI
 *     enabled.
 *   a vector k becomes active (or its target changes while active):
 *     program(&blk, k, &target, flags)     flags say whether the device can
 *                                          fire k meanwhile
 *     invalidate(&blk, k, 1)               returns only when the unit no
 *                                          longer uses a stale copy
 *     then MSI mask bit k cleared at the device
 *   a vector k becomes inactive:
 *     MSI mask bit k set at the device FIRST, then
 *     clear(&blk, k)
 *     invalidate(&blk, k, 1)
 *   teardown (MSI-X disable, reset, device removal):
 *     every MSI mask bit set, MSI disabled, then
 *     clear(&blk, k) for every k, invalidate(&blk, 0, blk.count)
 *     [doorbell_unmap(&blk)]               when doorbell_map() succeeded
 *     release(&blk)
 *   On any failure the composed device leaves the vector masked, and on a
 *   failed setup it undoes what succeeded in the reverse order above.
 *
 * What every backend guarantees
 *   - No entry ever becomes usable without source validation: program()
 *     only accepts the source the block was reserved for, and entries of a
 *     block only accept requests from that source (VT-d: SVT 1 with the
 *     requester ID, or SVT 2 with a bus range; AMD-Vi and the ITS index by
 *     source, which is the same guarantee).
 *   - Entries of a fresh block are not present (interrupts to them fault or
 *     are dropped) until program() makes them present.
 *   - program() of an entry that is present and may fire (flags without
 *     VMSIX_REMAP_PROG_QUIESCED) switches from the old to the new target in
 *     one step visible to the hardware (never a mix of both), or fails with
 *     -ENOTSUP and leaves the old entry as it was.
 *   - After invalidate() returns 0, the unit uses the entries of the range
 *     as they are in memory. When it fails, every entry of the range is
 *     left not present (the backend clears it) and the error is returned.
 *   - compose() gives a message that, with any Multiple Message Enable up
 *     to log2(blk.count), reaches entry k for message k and never an entry
 *     outside the block.
 *   - release() refuses (-EBUSY, nothing changed) a block that still has a
 *     present entry, so an index is never handed out while live.
 *   - Operations are not reentrant per backend unless the backend says so;
 *     backends shared by several devices serialize internally (lock hooks)
 *     or require the caller to.
 * Every operation returns 0 or a negative errno; -EINVAL for arguments the
 * backend cannot accept (never a crash), -ENOSPC when no block fits,
 * -ENOTSUP for a feature the unit lacks, -ETIMEDOUT / -EIO for hardware
 * failures.
 */
#ifndef VMSIX_REMAP_H
#define VMSIX_REMAP_H

#include <vmsix/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* struct vmsix_remap_caps.flags (0x1 was a per-source flag that nothing read; it is free) */
/* MSI data carries the index: blocks must be aligned to their size (AMD-Vi, ITS) */
#define VMSIX_REMAP_CAP_DATA_INDEX 0x2u
#define VMSIX_REMAP_CAP_DOORBELL 0x4u /* doorbell_map() must be called (ITS behind an SMMU) */
#define VMSIX_REMAP_CAP_POSTED 0x8u   /* program() accepts posted targets */
/* program() without VMSIX_REMAP_PROG_QUIESCED switches a present entry to any target it
 * accepts in one step (an atomic store of the whole entry): what masking without the
 * function's mask bits (software masking, the device's divert hook) needs
 */
#define VMSIX_REMAP_CAP_LIVE_SWITCH 0x10u

/* What a backend can do. The composed device reads every field: it sizes
 * the device against nentries and max_order at init, and refuses (without
 * calling program()) a target from translate that the unit cannot hold: a
 * destination wider than dest_bits, a vector wider than vector_bits, a
 * posted target without CAP_POSTED. */
struct vmsix_remap_caps {
    uint32_t flags;      /* VMSIX_REMAP_CAP_* */
    uint32_t nentries;   /* size of one index space (the global table, or one
                            per-source table); 0 when the backend sets no bound
                            beyond max_order */
    uint8_t max_order;   /* largest block reserve() may give: 2^max_order entries */
    uint8_t dest_bits;   /* width of a host destination ID: 8 (xAPIC), 32 (x2APIC), ...;
                            0 means 32 */
    uint8_t vector_bits; /* width of a host vector: 8 on x86, LPI INTID width on an ITS;
                            0 means 32 */
};

/* struct vmsix_remap_source.kind */
#define VMSIX_REMAP_SRC_RID 0u /* exactly the requester ID @id */
/* any requester on buses (@id >> 8) .. @bus_last (a device behind a PCIe-to-PCI bridge, whose
 * requests carry the bridge's or the secondary bus's IDs)
 */
#define VMSIX_REMAP_SRC_BUS_RANGE 1u

/* Who may use a block: checked by the unit on every interrupt request. */
struct vmsix_remap_source {
    uint32_t id;      /* PCI requester ID (bus << 8 | devfn) as the unit sees it
                         (after bridge aliasing); an ITS DeviceID */
    uint8_t kind;     /* VMSIX_REMAP_SRC_* */
    uint8_t bus_last; /* SRC_BUS_RANGE: last bus, >= first bus (@id >> 8) */
};

/* A reserved block. Filled by reserve(); the caller keeps it unchanged and
 * passes it to the other operations. */
struct vmsix_remap_block {
    uint32_t base;                 /* first index (VT-d: the IRTE index = handle) */
    uint32_t count;                /* indexes reserved: a power of two >= the count asked */
    struct vmsix_remap_source src; /* the source it was reserved for */
    uintptr_t priv;                /* the backend's own (e.g. a table handle) */
};

/* struct vmsix_remap_target.delivery */
#define VMSIX_REMAP_DLM_FIXED 0u
#define VMSIX_REMAP_DLM_LOWPRI 1u /* lowest priority (x86 only) */

/* Where one entry delivers. Unused fields must be 0. */
struct vmsix_remap_target {
    bool posted;       /* posted interrupt: only @vector, @pd_addr, @urgent */
    uint32_t vector;   /* host vector (x86: 16..255), or the guest vector when posted;
                          an LPI INTID on an ITS */
    uint32_t dest;     /* destination APIC ID (xAPIC 8 bits, x2APIC 32 bits);
                          an ITS collection */
    bool dest_logical; /* destination mode: logical (true) or physical */
    uint8_t delivery;  /* VMSIX_REMAP_DLM_*; nothing else is ever accepted */
    bool level;        /* trigger mode level (true) or edge */
    bool redir_hint;   /* redirection hint (lowest priority among the logical
                          destinations) */
    uint64_t pd_addr;  /* posted: posted-interrupt descriptor address (64-byte aligned) */
    bool urgent;       /* posted: urgent (notify even if the vCPU is not running) */
};

/* program() flags */
/* the device cannot fire this entry now (its MSI mask bit is set): a present entry may be
 * changed in several steps
 */
#define VMSIX_REMAP_PROG_QUIESCED 0x1u

/* The operations. ctx is struct vmsix_remap.ctx. Mandatory unless marked
 * optional. The struct grows at the end: @size is sizeof(struct
 * vmsix_remap_ops) as the backend was compiled; a backend built against an
 * older header has the newer operations NULL (each new one is optional,
 * NULL keeping the older behaviour), and a newer backend's operations this
 * library does not know must be NULL. */
struct vmsix_remap_ops {
    size_t size; /* sizeof(struct vmsix_remap_ops) */
    /* Fill *caps. Calls no other operation. */
    int (*caps)(void *ctx, struct vmsix_remap_caps *caps);
    /* Reserve a block of at least @count (>= 1) indexes whose base is a
     * multiple of @align (a power of two; 0 and 1 mean none) for @src; the
     * block size is rounded up to a power of two (and to @align). Every
     * entry of the block is not present. -ENOSPC when no block fits,
     * -ENOTSUP when @count exceeds 2^max_order. */
    int (*reserve)(void *ctx, const struct vmsix_remap_source *src, uint32_t count, uint32_t align,
                   struct vmsix_remap_block *blk);
    /* Give the block's indexes back. -EBUSY (nothing changed) while an
     * entry of the block is present. */
    int (*release)(void *ctx, struct vmsix_remap_block *blk);
    /* Make entry @k (< blk->count) present with host target @t, source
     * validation for blk->src. Does not invalidate. Without
     * VMSIX_REMAP_PROG_QUIESCED a present entry changes in one atomic step
     * or the call fails with -ENOTSUP. */
    int (*program)(void *ctx, const struct vmsix_remap_block *blk, uint32_t k,
                   const struct vmsix_remap_target *t, uint32_t flags);
    /* Make entry @k not present. Does not invalidate. The entry is not
     * present afterwards whatever is returned: -EINVAL for a bad @blk or @k
     * (nothing done); a backend whose clearing can fail (a command queue
     * that times out) must still leave the entry unusable, as for
     * invalidate(), and then return the error. (VT-d: a store; it cannot
     * fail.) vmsix relies on it: a vector it turns off has no entry. */
    int (*clear)(void *ctx, const struct vmsix_remap_block *blk, uint32_t k);
    /* Make the unit drop cached copies of entries [@first, @first + @n) of
     * the block (n >= 1) and wait until it has. On failure every entry of
     * the range is left not present and the error (-ETIMEDOUT, -EIO) is
     * returned. */
    int (*invalidate)(void *ctx, const struct vmsix_remap_block *blk, uint32_t first, uint32_t n);
    /* The physical MSI address/data for the block (message k = this data
     * with its low log2(count) bits replaced by k). */
    int (*compose)(void *ctx, const struct vmsix_remap_block *blk, struct vmsix_msg *msg);
    /* Optional (NULL unless CAP_DOORBELL): map the doorbell that msg->addr
     * names into the device's address space and replace msg->addr by the
     * address the device must write to. */
    int (*doorbell_map)(void *ctx, const struct vmsix_remap_block *blk, struct vmsix_msg *msg);
    /* Optional: undo doorbell_map(). */
    int (*doorbell_unmap)(void *ctx, const struct vmsix_remap_block *blk);
};

/* The size of the first sized version of struct vmsix_remap_ops (vmsix 0.2). */
#define VMSIX_REMAP_OPS_SIZE_V1                                                                    \
    (offsetof(struct vmsix_remap_ops, doorbell_unmap) +                                            \
     sizeof(((struct vmsix_remap_ops *)0)->doorbell_unmap))

/* A backend: its operations and their context. */
struct vmsix_remap {
    const struct vmsix_remap_ops *ops;
    void *ctx;
};

#ifdef __cplusplus
}
#endif

#endif /* VMSIX_REMAP_H */
