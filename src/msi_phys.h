/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private: the physical side of MSI-X on MSI (msi_phys.c). It owns the
 * function's MSI registers (address, data, Multiple Message Enable,
 * Enable, mask bits, pending bits), INTx Disable while MSI is on, and the
 * block of remapping entries, and keeps remap.h's order of calls. It never
 * sees a guest value: it takes host targets that the device's translate
 * hook produced, so isolation is structural.
 */
#ifndef VMSIX_SRC_MSI_PHYS_H
#define VMSIX_SRC_MSI_PHYS_H

#include <vmsix/remap.h>

#include "log.h"

#define VMSIX_MSI_MAX_VECTORS 32u /* Multiple Message Capable 5 */

struct vmsix_msi_phys {
    /* the function (the device's cfg hooks) */
    int (*cfg_read)(void *ctx, uint16_t off, unsigned size, uint32_t *val);
    int (*cfg_write)(void *ctx, uint16_t off, unsigned size, uint32_t val);
    void *ctx;
    const struct vmsix_logger *log;
    uint16_t msi_off;
    bool addr64;
    uint8_t nvec; /* the block's size asked, and the most messages enabled */
    /* Software masking (a function without per-vector mask bits): a masked
     * vector's entry delivers to the host's divert target for it (whose
     * handler pends the vector), switched in one step; the function's MSI
     * mask and pending registers are never touched. NULL: the function's
     * mask bits. */
    int (*divert)(void *ctx, uint16_t vec, struct vmsix_remap_target *t);

    /* the backend */
    struct vmsix_remap_ops be; /* copied by the size rule */
    void *be_ctx;
    struct vmsix_remap_caps caps;
    struct vmsix_remap_source src;

    /* state */
    bool on;         /* the block is set up and MSI enabled */
    bool doorbell;   /* doorbell_map() succeeded for the block */
    bool blk_held;   /* the backend refused to release blk: it is still reserved */
    bool mask_stale; /* the function refused the last write of the mask bits */
    bool guest_intx; /* the guest's INTx Disable */
    struct vmsix_remap_block blk;
    struct vmsix_msg msg; /* the composed physical message */
    uint32_t mask;        /* the mask bits vmsix wants at the function (software
                             masking: the vectors diverted) */
    uint32_t active;      /* bit k: entry k programmed and k unmasked */
};

/*
 * vmsix_msi_phys_init() - bind the physical side to a function and a
 * backend. Copies the backend's ops by the size rule and asks caps().
 * Touches nothing at the function. Software masking (p->divert set
 * before the call) needs a backend with VMSIX_REMAP_CAP_LIVE_SWITCH.
 * Return: 0; -EINVAL (@nvec not a power of two up to 32, a missing
 * mandatory operation, an ops size below the first version); -ENOTSUP (an
 * operation this library does not know is set; the backend cannot hold
 * @nvec vectors, or cannot switch a live entry for software masking); a
 * caps() error.
 */
int vmsix_msi_phys_init(struct vmsix_msi_phys *p, const struct vmsix_remap *backend,
                        const struct vmsix_remap_source *src, uint16_t msi_off, bool addr64,
                        uint8_t nvec);

/* Setup (remap.h "Order of calls"): reserve, compose, [doorbell_map], mask
 * all, address/data, MME, MSI Enable, INTx Disable. With software masking
 * every entry is programmed to its divert target and invalidated before
 * the address/data (no mask bits are written). Undone on failure; a
 * composed message the capability cannot hold as it is (above 4 GiB on a
 * 32-bit capability, data past 16 bits) is -ENOTSUP. Does nothing when
 * already on. */
int vmsix_msi_phys_setup(struct vmsix_msi_phys *p);

/* Teardown: mask all (software masking: nothing), MSI Enable and MME
 * clear, clear and invalidate every
 * entry, [doorbell_unmap], release, INTx Disable back to the guest's. Goes
 * on after errors and returns the first. Releases a held block when off. */
int vmsix_msi_phys_teardown(struct vmsix_msi_phys *p);

/* Vector @vec is (or stays) live with host target @t: check @t against the
 * unit's caps, mask at the function when needed, program quiesced,
 * invalidate, unmask. Software masking: program @t in one step (no
 * quiesce), invalidate. On failure the vector is masked (diverted), not
 * live; with mask bits its entry is cleared, with software masking it is
 * diverted again, or cleared if that fails too. @vec outside the block:
 * -EINVAL, nothing touched. */
int vmsix_msi_phys_vec_on(struct vmsix_msi_phys *p, uint16_t vec,
                          const struct vmsix_remap_target *t);

/* Vector @vec goes: mask it first, then clear and invalidate its entry.
 * Software masking: its entry is switched to its divert target in one step
 * and invalidated (cleared if that fails: never live while masked). */
int vmsix_msi_phys_vec_off(struct vmsix_msi_phys *p, uint16_t vec);

/* The function's MSI Pending Bits of [@first, @first + @count) as bits
 * from 0 (one config read; 0 when it fails or MSI is not ours, and with
 * software masking, where the function has no such register and the
 * divert handler pends vectors in software). */
uint64_t vmsix_msi_phys_pending(struct vmsix_msi_phys *p, uint16_t first, unsigned count);

/* The guest's INTx Disable changed: the function has it set while MSI is
 * ours, else the guest's value. */
int vmsix_msi_phys_set_guest_intx(struct vmsix_msi_phys *p, bool disabled);

/* Read-modify-write a 16-bit register of the function (FLR, Command). */
int vmsix_msi_phys_update16(struct vmsix_msi_phys *p, uint16_t off, uint16_t clear, uint16_t set);

#endif /* VMSIX_SRC_MSI_PHYS_H */
