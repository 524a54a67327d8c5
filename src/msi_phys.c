/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The physical side of MSI-X on MSI (DESIGN 4.3): the function's MSI
 * registers, its INTx Disable while MSI is ours, and the block of
 * remapping entries, driven in remap.h's order of calls. Only host
 * targets reach it, never a guest's message.
 */
#include <string.h>

#include "bits.h"
#include "msi_phys.h"
#include "ops_copy.h"
#include "pci_regs.h"
#include "vmsix_errno.h"

#define ALL_MASKED 0xffffffffu

/* Log a failed step and pass its error on. */
static int failed(struct vmsix_msi_phys *p, int vec, const char *what, int rc)
{
    return vmsix_log_failed(p->log, vec, what, rc);
}

static uint16_t reg(const struct vmsix_msi_phys *p, unsigned off)
{
    return (uint16_t)(p->msi_off + off);
}

int vmsix_msi_phys_init(struct vmsix_msi_phys *p, const struct vmsix_remap *backend,
                        const struct vmsix_remap_source *src, uint16_t msi_off, bool addr64,
                        uint8_t nvec)
{
    const struct vmsix_remap_ops *b = &p->be;
    int rc;

    /* a block is a power of two, and MSI sends at most 32 messages */
    if (!vmsix_is_pow2(nvec) || nvec > VMSIX_MSI_MAX_VECTORS)
        return failed(p, -1, "vector count (not a power of two up to 32)", -EINVAL);
    rc = vmsix_ops_copy(&p->be, sizeof(p->be), backend->ops, VMSIX_REMAP_OPS_SIZE_V1);
    if (rc)
        return failed(p, -1, "backend ops", rc);
    if (!b->caps || !b->reserve || !b->release || !b->program || !b->clear || !b->invalidate ||
        !b->compose)
        return failed(p, -1, "backend ops (a mandatory operation is NULL)", -EINVAL);
    p->be_ctx = backend->ctx;
    p->src = *src;
    p->msi_off = msi_off;
    p->addr64 = addr64;
    p->nvec = nvec;
    p->mask = ALL_MASKED;
    rc = b->caps(p->be_ctx, &p->caps);
    if (rc)
        return failed(p, -1, "backend caps", rc);
    if (vmsix_log2_ceil(nvec) > p->caps.max_order || (p->caps.nentries && nvec > p->caps.nentries))
        return failed(p, -1, "backend too small for the vectors", -ENOTSUP);
    if (p->divert && !(p->caps.flags & VMSIX_REMAP_CAP_LIVE_SWITCH))
        return failed(p, -1, "software masking (the backend cannot switch a live entry)", -ENOTSUP);
    return 0;
}

/* Write the function's MSI mask bits. p->mask is what vmsix wants there,
 * written or not: a write the function refuses leaves the register
 * unknown (mask_stale), and the next write, which carries every bit vmsix
 * wants, repairs it; until one succeeds, no entry is programmed as
 * quiesced. With software masking the function has no such register:
 * only the bits are kept. */
static int write_mask(struct vmsix_msi_phys *p, uint32_t mask)
{
    int rc = p->divert ? 0 : p->cfg_write(p->ctx, reg(p, pci_msi_mask_reg(p->addr64)), 4, mask);

    p->mask = mask;
    p->mask_stale = rc != 0;
    return rc ? failed(p, -1, "MSI mask bits write", rc) : 0;
}

int vmsix_msi_phys_update16(struct vmsix_msi_phys *p, uint16_t off, uint16_t clear, uint16_t set)
{
    uint32_t v;
    int rc = p->cfg_read(p->ctx, off, 2, &v);

    if (rc)
        return failed(p, -1, "config read", rc);
    v = (v & ~(uint32_t)clear) | set;
    rc = p->cfg_write(p->ctx, off, 2, v & 0xffffu);
    return rc ? failed(p, -1, "config write", rc) : 0;
}

/* The function's INTx Disable: set while MSI is ours, else the guest's. */
static int sync_intx(struct vmsix_msi_phys *p)
{
    bool off = p->on || p->guest_intx;

    return vmsix_msi_phys_update16(p, PCI_COMMAND, off ? 0 : PCI_COMMAND_INTX_DISABLE,
                                   off ? PCI_COMMAND_INTX_DISABLE : 0);
}

int vmsix_msi_phys_set_guest_intx(struct vmsix_msi_phys *p, bool disabled)
{
    p->guest_intx = disabled;
    return sync_intx(p);
}

/* Give the block back. A backend that refuses leaves it reserved: it is
 * kept and released again at the next setup, reset or teardown, so that
 * nothing leaks for as long as the device lives. */
static int release(struct vmsix_msi_phys *p)
{
    int rc = p->be.release(p->be_ctx, &p->blk);

    p->blk_held = rc != 0;
    return rc ? failed(p, -1, "backend release", rc) : 0;
}

int vmsix_msi_phys_teardown(struct vmsix_msi_phys *p)
{
    const struct vmsix_remap_ops *b = &p->be;
    int ret = 0;
    uint32_t k;

    if (!p->on)
        return p->blk_held ? release(p) : 0;
    ret = vmsix_first_error(ret, write_mask(p, ALL_MASKED));
    p->active = 0;
    ret = vmsix_first_error(ret,
                            vmsix_msi_phys_update16(p, reg(p, PCI_MSI_FLAGS),
                                                    PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE, 0));
    for (k = 0; k < p->blk.count; k++) {
        int rc = b->clear(p->be_ctx, &p->blk, k);
        if (rc)
            ret = vmsix_first_error(ret, failed(p, (int)k, "backend clear", rc));
    }
    if (p->blk.count) {
        int rc = b->invalidate(p->be_ctx, &p->blk, 0, p->blk.count);
        if (rc)
            ret = vmsix_first_error(ret, failed(p, -1, "backend invalidate of the block", rc));
    }
    /* the doorbell goes before the block it was mapped for (release may
     * forget the block) */
    if (p->doorbell && b->doorbell_unmap) {
        int rc = b->doorbell_unmap(p->be_ctx, &p->blk);
        if (rc)
            ret = vmsix_first_error(ret, failed(p, -1, "backend doorbell_unmap", rc));
    }
    p->doorbell = false;
    ret = vmsix_first_error(ret, release(p));
    p->on = false;
    return vmsix_first_error(ret, sync_intx(p));
}

/* Address, data, Multiple Message Enable and Enable of the function's MSI,
 * every vector masked. A message the capability cannot hold as it is (an
 * address above 4 GiB for a 32-bit capability, data past 16 bits, an
 * address not dword aligned) is refused, never cut short: cut, it would
 * reach another address or entry. */
static int write_msi(struct vmsix_msi_phys *p)
{
    /* never more messages than vectors shown, never more than the block */
    unsigned mme = vmsix_log2_ceil(p->nvec);
    int rc;

    if ((!p->addr64 && (p->msg.addr >> 32)) || p->msg.data > 0xffffu || (p->msg.addr & 3u))
        return failed(p, -1, "backend message (the MSI capability cannot hold it)", -ENOTSUP);
    rc = write_mask(p, ALL_MASKED);
    if (rc)
        return rc;
    rc = p->cfg_write(p->ctx, reg(p, PCI_MSI_ADDRESS_LO), 4, (uint32_t)p->msg.addr);
    if (!rc && p->addr64)
        rc = p->cfg_write(p->ctx, reg(p, PCI_MSI_ADDRESS_HI), 4, (uint32_t)(p->msg.addr >> 32));
    if (!rc)
        rc = p->cfg_write(p->ctx, reg(p, pci_msi_data_reg(p->addr64)), 2, p->msg.data & 0xffffu);
    if (rc)
        return failed(p, -1, "MSI address/data write", rc);
    return vmsix_msi_phys_update16(
        p, reg(p, PCI_MSI_FLAGS), PCI_MSI_FLAGS_QSIZE,
        (uint16_t)((mme << PCI_MSI_FLAGS_QSIZE_SHIFT) | PCI_MSI_FLAGS_ENABLE));
}

/* Can the unit hold @t at all? (Its own checks come later, in program.)
 * Return: 0; -ENOTSUP for a posted target on a unit without posting;
 * -EINVAL for a destination or vector wider than the unit's. */
static int target_check(const struct vmsix_remap_caps *c, const struct vmsix_remap_target *t)
{
    uint64_t dest_lim = (uint64_t)1 << (c->dest_bits && c->dest_bits < 32 ? c->dest_bits : 32);
    uint64_t vec_lim = (uint64_t)1 << (c->vector_bits && c->vector_bits < 32 ? c->vector_bits : 32);

    if (t->posted && !(c->flags & VMSIX_REMAP_CAP_POSTED))
        return -ENOTSUP;
    return t->dest < dest_lim && t->vector < vec_lim ? 0 : -EINVAL;
}

/* Software masking: vector @vec's messages go to the host's divert target
 * (its handler pends the vector), switched in one step, then invalidated.
 * Return: 0 or the first error (logged); the entry is then as the backend
 * left it (the caller clears it). */
static int divert_one(struct vmsix_msi_phys *p, uint16_t vec)
{
    struct vmsix_remap_target t;
    int rc;

    memset(&t, 0, sizeof(t));
    rc = p->divert(p->ctx, vec, &t);
    if (rc)
        return failed(p, vec, "divert target", rc);
    rc = target_check(&p->caps, &t);
    if (rc)
        return failed(p, vec, "target check (the unit cannot hold the divert target)", rc);
    rc = p->be.program(p->be_ctx, &p->blk, vec, &t, 0);
    if (rc)
        return failed(p, vec, "backend program of the divert target", rc);
    rc = p->be.invalidate(p->be_ctx, &p->blk, vec, 1);
    return rc ? failed(p, vec, "backend invalidate", rc) : 0;
}

/* Software masking at setup: every entry present and diverted before the
 * function may send (MSI Enable comes after): a message is held, never
 * lost to a non-present entry. */
static int divert_all(struct vmsix_msi_phys *p)
{
    for (uint16_t k = 0; k < p->nvec; k++) {
        int rc = divert_one(p, k);
        if (rc)
            return rc;
    }
    return 0;
}

int vmsix_msi_phys_setup(struct vmsix_msi_phys *p)
{
    const struct vmsix_remap_ops *b = &p->be;
    uint32_t align = (p->caps.flags & VMSIX_REMAP_CAP_DATA_INDEX) ? p->nvec : 1u;
    int rc;

    if (p->on)
        return 0;
    if (p->blk_held && (rc = release(p)) != 0)
        return rc;
    rc = b->reserve(p->be_ctx, &p->src, p->nvec, align, &p->blk);
    if (rc)
        return failed(p, -1, "backend reserve", rc);
    if (p->blk.count < p->nvec) { /* a backend that broke its contract */
        (void)release(p);
        return failed(p, -1, "backend reserve (a block smaller than asked)", -EIO);
    }
    rc = b->compose(p->be_ctx, &p->blk, &p->msg);
    if (rc) {
        rc = failed(p, -1, "backend compose", rc);
    } else if (p->caps.flags & VMSIX_REMAP_CAP_DOORBELL) {
        rc = b->doorbell_map ? b->doorbell_map(p->be_ctx, &p->blk, &p->msg) : -ENOTSUP;
        p->doorbell = rc == 0;
        if (rc)
            rc = failed(p, -1, "backend doorbell_map", rc);
    }
    if (!rc && p->divert)
        rc = divert_all(p);
    if (!rc)
        rc = write_msi(p);
    if (!rc) {
        p->on = true;
        p->active = 0;
        rc = sync_intx(p); /* INTx off while MSI is ours */
    }
    if (rc) {
        p->on = true; /* let teardown undo every step */
        (void)vmsix_msi_phys_teardown(p);
    }
    return rc;
}

/* Software masking, vector off (or a vector on that failed): diverted,
 * or, when that fails, cleared (its messages then fault: lost, but never
 * delivered while the guest has it masked). Return: divert's error. */
static int soft_hold(struct vmsix_msi_phys *p, uint16_t vec)
{
    int rc = divert_one(p, vec);

    p->active &= ~(1u << vec);
    p->mask |= 1u << vec;
    if (rc) {
        (void)p->be.clear(p->be_ctx, &p->blk, vec);
        (void)p->be.invalidate(p->be_ctx, &p->blk, vec, 1);
    }
    return rc;
}

/* Software masking, vector on: the entry switches from the divert target
 * (or the old target) to @t in one step; messages accepted before the
 * switch went to the divert handler, which pends (or, once the vector is
 * live, injects) them: none is lost. */
static int soft_vec_on(struct vmsix_msi_phys *p, uint16_t vec, const struct vmsix_remap_target *t)
{
    int rc = p->be.program(p->be_ctx, &p->blk, vec, t, 0);

    if (rc) {
        rc = failed(p, vec, "backend program", rc);
    } else if ((rc = p->be.invalidate(p->be_ctx, &p->blk, vec, 1)) != 0) {
        rc = failed(p, vec, "backend invalidate", rc);
    } else {
        p->mask &= ~(1u << vec);
        p->active |= 1u << vec;
        return 0;
    }
    (void)soft_hold(p, vec);
    return rc;
}

int vmsix_msi_phys_vec_on(struct vmsix_msi_phys *p, uint16_t vec,
                          const struct vmsix_remap_target *t)
{
    const struct vmsix_remap_ops *b = &p->be;
    uint32_t bit;
    int rc;

    if (vec >= p->nvec)
        return failed(p, vec, "vector number (outside the block)", -EINVAL);
    if (!p->on)
        return failed(p, vec, "vector on while MSI is not set up", -EIO);
    bit = 1u << vec;
    rc = target_check(&p->caps, t);
    if (rc) {
        rc = failed(p, vec, "target check (the unit cannot hold translate's target)", rc);
        goto fail;
    }
    if (p->divert)
        return soft_vec_on(p, vec, t);
    /* a new message for a live vector, or a mask register the function
     * refused to write: quiesce it */
    if (!(p->mask & bit) || p->mask_stale) {
        rc = write_mask(p, p->mask | bit);
        if (rc)
            goto fail;
    }
    p->active &= ~bit;
    rc = b->program(p->be_ctx, &p->blk, vec, t, VMSIX_REMAP_PROG_QUIESCED);
    if (rc) {
        rc = failed(p, vec, "backend program", rc);
        goto fail;
    }
    rc = b->invalidate(p->be_ctx, &p->blk, vec, 1);
    if (rc) {
        rc = failed(p, vec, "backend invalidate", rc);
        goto fail;
    }
    rc = write_mask(p, p->mask & ~bit);
    if (rc)
        goto fail;
    p->active |= bit;
    return 0;

fail:
    if (p->divert) {
        (void)soft_hold(p, vec);
        return rc;
    }
    /* stays masked, and not live; an entry that may be present is cleared */
    p->active &= ~bit;
    (void)write_mask(p, p->mask | bit);
    (void)b->clear(p->be_ctx, &p->blk, vec);
    (void)b->invalidate(p->be_ctx, &p->blk, vec, 1);
    return rc;
}

int vmsix_msi_phys_vec_off(struct vmsix_msi_phys *p, uint16_t vec)
{
    const struct vmsix_remap_ops *b = &p->be;
    int ret, rc;

    if (vec >= p->nvec)
        return failed(p, vec, "vector number (outside the block)", -EINVAL);
    if (!p->on)
        return 0; /* nothing is programmed */
    if (p->divert)
        return soft_hold(p, vec);
    /* mask first, then the entry goes */
    ret = write_mask(p, p->mask | (1u << vec));
    p->active &= ~(1u << vec);
    rc = b->clear(p->be_ctx, &p->blk, vec);
    if (rc)
        ret = vmsix_first_error(ret, failed(p, vec, "backend clear", rc));
    rc = b->invalidate(p->be_ctx, &p->blk, vec, 1);
    if (rc)
        ret = vmsix_first_error(ret, failed(p, vec, "backend invalidate", rc));
    return ret;
}

uint64_t vmsix_msi_phys_pending(struct vmsix_msi_phys *p, uint16_t first, unsigned count)
{
    uint32_t v;

    if (!p->on || p->divert || first >= 32u || count == 0)
        return 0;
    /* unknown: not pending, for the whole access */
    if (p->cfg_read(p->ctx, reg(p, pci_msi_pending_reg(p->addr64)), 4, &v))
        return 0;
    v >>= first;
    return count >= 32u ? v : v & ((1u << count) - 1u);
}
