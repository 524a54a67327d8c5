/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vmsix/doorbell.h - the MSI doorbell window: device-visible addresses for
 * MSI doorbells that sit behind an IOMMU (DESIGN 4.7).
 *
 * On Arm (a GICv3 ITS behind an SMMU) and on any platform whose MSI
 * doorbell is translated by the IOMMU, a device's MSI write is a DMA write:
 * the address in its MSI capability must be an IOVA that the IOMMU maps to
 * the doorbell. The VMM sets aside a window of IOVA space for this, outside
 * the guest's memory, and the mappings are made as MSI/MSI-X is set up (the
 * shape the VFIO doorbell discussion settled on). This module is that
 * window:
 *
 * - The window is [iova_base, iova_base + len), cut into slots of one
 *   granule (the IOMMU page size: 4 KiB, 16 KiB, 64 KiB, ...). It holds at
 *   most min(len / granule, max_pages) mappings at once.
 * - vmsix_doorbell_get() gives the device-visible address of a doorbell
 *   physical address: the doorbell's granule-aligned page gets one slot,
 *   mapped through the host's map hook the first time, and every later get
 *   of an address in that page reuses it (a reference count). The address
 *   is the slot's IOVA plus the doorbell's offset in its page. This is
 *   Linux's iommu_dma_get_msi_page() (drivers/iommu/dma-iommu.c): one
 *   mapping per granule-aligned doorbell page, reused. Linux never unmaps
 *   (its pages live as long as the domain) and never reuses IOVA; here the
 *   last vmsix_doorbell_put() unmaps the page and frees its slot, and a new
 *   page takes the lowest free slot.
 * - A full window is -ENOSPC; a map hook that fails leaves nothing mapped
 *   and nothing changed.
 * - vmsix_doorbell_init() refuses a window that overlaps guest memory (the
 *   host gives its guest RAM ranges): a device write to the window must
 *   never be a write to guest memory, nor a guest DMA buffer reach the
 *   doorbell.
 *
 * Cost: get, put and translate look at each slot once (O(slots)); a VM
 * has a handful of doorbells. Storage: vmsix_doorbell_storage_size().
 *
 * Locking: the window takes no lock; a window shared by several devices is
 * serialized by the caller. Hooks are called only from the functions that
 * say so, and may not call the window.
 *
 * A window pointer that did not come from a successful
 * vmsix_doorbell_init() is refused as NULL is (-EINVAL): only a marker at
 * the start of the storage is read, nothing is written, no hook is called.
 */
#ifndef VMSIX_DOORBELL_H
#define VMSIX_DOORBELL_H

#include <vmsix/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Alignment that the storage given to vmsix_doorbell_init() must have. */
#define VMSIX_DOORBELL_ALIGN 8u
/* Most doorbell pages one window can hold. */
#define VMSIX_DOORBELL_MAX_PAGES 4096u
/* Smallest and largest granule. */
#define VMSIX_DOORBELL_GRANULE_MIN 4096u
#define VMSIX_DOORBELL_GRANULE_MAX (1u << 30)

struct vmsix_doorbell;

/* A range of guest memory, as the host gives it: [base, base + len). */
struct vmsix_doorbell_range {
    uint64_t base;
    uint64_t len; /* 0: no range (ignored) */
};

/* The window's parameters. */
struct vmsix_doorbell_params {
    uint64_t iova_base;  /* first IOVA of the window, a multiple of @granule */
    uint64_t len;        /* bytes, a non-zero multiple of @granule; the window may end
                            at 2^64 but not wrap */
    uint64_t granule;    /* the IOMMU page size: a power of two, 4 KiB .. 1 GiB */
    uint32_t max_pages;  /* the most pages mapped at once (1 .. VMSIX_DOORBELL_MAX_PAGES):
                            the storage's size */
    uint32_t nguest_ram; /* entries of @guest_ram */
    const struct vmsix_doorbell_range *guest_ram; /* the guest's memory (NULL if none);
                                                     read by init only */
};

/*
 * The host's IOMMU, as hooks.
 *
 * Callers: set @size to sizeof(struct vmsix_doorbell_ops) as you compile
 * it. Add new members only at the end; NULL must keep the old behaviour. A
 * caller built with an older doorbell.h passes a smaller size, and the
 * members it lacks are taken as NULL; a caller built with a newer one
 * passes a larger size, accepted when every member this library does not
 * know is 0 (vmsix_doorbell_init() returns -ENOTSUP otherwise).
 */
struct vmsix_doorbell_ops {
    size_t size; /* sizeof(struct vmsix_doorbell_ops); >= VMSIX_DOORBELL_OPS_SIZE_V1 */
    /* Mandatory: map [@iova, @iova + @size) to [@phys, @phys + @size) in the
     * device's IOMMU domain, device writes allowed (an MMIO doorbell). @size
     * is the granule; @iova and @phys are aligned to it. 0, or a negative
     * errno: then nothing must be mapped. A positive value is taken as
     * -EIO. */
    int (*map)(void *ctx, uint64_t iova, uint64_t phys, uint64_t size);
    /* Mandatory: remove the mapping of [@iova, @iova + @size) that map()
     * made. 0, or a negative errno: then the mapping is taken as still
     * there (the page stays held). A positive value is taken as -EIO. */
    int (*unmap)(void *ctx, uint64_t iova, uint64_t size);
};

/* The size of struct vmsix_doorbell_ops in its first sized version (through
 * unmap): the smallest @size vmsix_doorbell_init() accepts. */
#define VMSIX_DOORBELL_OPS_SIZE_V1                                                                 \
    (offsetof(struct vmsix_doorbell_ops, unmap) + sizeof(((struct vmsix_doorbell_ops *)0)->unmap))

/**
 * vmsix_doorbell_storage_size() - bytes of storage a window needs.
 * @max_pages: the most pages it maps at once, 1..VMSIX_DOORBELL_MAX_PAGES
 *
 * Return: the size (a fixed header and 16 bytes per page), or 0 for a bad
 * @max_pages. Calls no hook.
 */
VMSIX_API size_t vmsix_doorbell_storage_size(uint32_t max_pages);

/**
 * vmsix_doorbell_init() - make an empty window.
 * @mem: storage, aligned to VMSIX_DOORBELL_ALIGN; it is the window until the
 *       caller stops using it (there is no teardown: put every page first)
 * @len: bytes at @mem; at least vmsix_doorbell_storage_size(@p->max_pages)
 * @p: the parameters; @p->guest_ram is read here and not kept
 * @ops: the IOMMU hooks (copied by the size rule)
 * @ctx: passed to the hooks
 * @out: receives the window (which is @mem)
 *
 * Return: 0; -EINVAL for a NULL or misaligned argument, a short @len, a
 * granule that is not a power of two in 4 KiB..1 GiB, a base or length not
 * a multiple of it, a zero length, a window that wraps past 2^64, a bad
 * @max_pages, a guest RAM range that wraps, @nguest_ram without
 * @guest_ram, an ops size below VMSIX_DOORBELL_OPS_SIZE_V1 or a NULL hook;
 * -ENOTSUP for a hook this library does not know; -EBUSY when the window
 * overlaps a guest RAM range. Nothing is written on a refusal. Calls no
 * hook.
 */
VMSIX_API int vmsix_doorbell_init(void *mem, size_t len, const struct vmsix_doorbell_params *p,
                                  const struct vmsix_doorbell_ops *ops, void *ctx,
                                  struct vmsix_doorbell **out);

/**
 * vmsix_doorbell_get() - the device-visible address of a doorbell.
 * @w: the window
 * @phys: the doorbell's physical address (what an MSI composition gives)
 * @iova: receives the address the device must write to: the IOVA of the
 *        slot mapping @phys's granule-aligned page, plus @phys's offset in it
 *
 * Takes a reference to the page: the first one maps it into the lowest free
 * slot with the map hook; the others reuse the slot.
 *
 * Return: 0; -EINVAL for a NULL or uninitialized argument; -ENOSPC when
 * the page is not mapped and no slot is free (no hook called); -ERANGE
 * when the page's reference count is at its maximum; the map hook's error
 * (nothing mapped, nothing changed, *@iova untouched). Calls map at most
 * once.
 */
VMSIX_API int vmsix_doorbell_get(struct vmsix_doorbell *w, uint64_t phys, uint64_t *iova);

/**
 * vmsix_doorbell_put() - drop a reference that vmsix_doorbell_get() gave.
 * @w: the window
 * @iova: an address that vmsix_doorbell_get() returned (any address in the
 *        slot's page will do)
 *
 * The last reference unmaps the page with the unmap hook and frees its slot.
 *
 * Return: 0; -EINVAL for a NULL or uninitialized window; -ENOENT when
 * @iova is in no mapped slot of the window (nothing changed); the unmap
 * hook's error (the page stays mapped with its last reference: nothing
 * changed, the caller may put again). Calls unmap at most once.
 */
VMSIX_API int vmsix_doorbell_put(struct vmsix_doorbell *w, uint64_t iova);

/**
 * vmsix_doorbell_translate() - what a device write to @iova reaches.
 * @w: the window
 * @iova: a device-visible address
 * @phys: receives the physical address it is mapped to
 * @refs: receives the page's reference count (may be NULL)
 *
 * Return: 0; -EINVAL for a NULL or uninitialized argument; -ERANGE when
 * @iova is outside the window; -ENOENT when its slot is not mapped. Calls
 * no hook.
 */
VMSIX_API int vmsix_doorbell_translate(const struct vmsix_doorbell *w, uint64_t iova,
                                       uint64_t *phys, uint32_t *refs);

#ifdef __cplusplus
}
#endif

#endif /* VMSIX_DOORBELL_H */
