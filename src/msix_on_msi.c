/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MSI-X on multi-message MSI (DESIGN 4.3): the eligibility check and the
 * guest view of a function's configuration space.
 */
#include <string.h>

#include <vmsix/capchain.h>
#include <vmsix/cfgspace.h>
#include <vmsix/msix_on_msi.h>
#include <vmsix/msix_table.h>
#include <vmsix/remap.h>

#include "bytes.h"
#include "vmsix_errno.h"

#define MSI_CTRL_64BIT 0x0080u
#define MSI_CTRL_PVM 0x0100u
#define MSIX_CAP_LEN 12u
#define DEFAULT_BAR_SIZE 4096u

static const char *const reason_names[] = {
    "no-msi",      "has-msix", "single-vector",   "no-per-vector-mask",
    "no-free-bar", "bridge",   "malformed-chain", "truncated",
};

const char *vmsix_elig_reason_name(uint32_t reason)
{
    unsigned i;

    for (i = 0; i < sizeof(reason_names) / sizeof(reason_names[0]); i++)
        if (reason == (1u << i))
            return reason_names[i];
    return NULL;
}

static int check(const uint8_t *cfg, size_t len, struct vmsix_eligibility *e)
{
    struct vmsix_cap msi, msix, exp;
    unsigned flags = 0, slot;
    bool have_msi, have_msix;
    uint8_t htype;

    memset(e, 0, sizeof(*e));
    e->table_bar = -1;
    htype = cfg[0x0e] & 0x7fu;
    /* a bridge by its header, its class (host, ISA, PCI... bridges), or
     * its PCI Express port type (root, switch and PCIe/PCI bridge ports) */
    if (htype == 1 || htype == 2 || cfg[0x0b] == 0x06)
        e->reasons |= VMSIX_ELIG_BRIDGE;
    if (vmsix_capchain_lookup(cfg, len, false, VMSIX_CAP_ID_EXP, &exp, NULL) == 0) {
        unsigned type = (cfg[exp.off + 2] >> 4) & 0x0fu;
        if (type >= 0x4 && type <= 0x8)
            e->reasons |= VMSIX_ELIG_BRIDGE;
    }

    /* two walks of the same chain, in small constant stack space */
    have_msi = vmsix_capchain_lookup(cfg, len, false, VMSIX_CAP_ID_MSI, &msi, &flags) == 0;
    have_msix = vmsix_capchain_lookup(cfg, len, false, VMSIX_CAP_ID_MSIX, &msix, NULL) == 0;
    if (flags & VMSIX_CHAIN_TRUNCATED)
        e->reasons |= VMSIX_ELIG_TRUNCATED;
    else if (flags)
        e->reasons |= VMSIX_ELIG_MALFORMED_CHAIN;

    if (have_msix) {
        e->msix_off = msix.off;
        e->msix_vectors = (uint16_t)((vmsix_rd16(cfg + msix.off + 2) & 0x7ffu) + 1u);
        e->reasons |= VMSIX_ELIG_HAS_MSIX;
    }
    if (have_msi) {
        unsigned mc = vmsix_rd16(cfg + msi.off + 2);
        unsigned mmc = (mc >> 1) & 7u;
        e->msi_off = msi.off;
        e->addr64 = (mc & MSI_CTRL_64BIT) != 0;
        e->per_vector_mask = (mc & MSI_CTRL_PVM) != 0;
        if (mmc > 5) {
            e->reasons |= VMSIX_ELIG_MALFORMED_CHAIN; /* a reserved encoding */
        } else {
            e->vectors = (uint8_t)(1u << mmc);
            if (e->vectors < 2)
                e->reasons |= VMSIX_ELIG_SINGLE_VECTOR;
        }
        if (!e->per_vector_mask)
            e->reasons |= VMSIX_ELIG_NO_PER_VECTOR_MASK;
    } else if (!flags) {
        /* only a complete chain proves that there is no MSI */
        e->reasons |= VMSIX_ELIG_NO_MSI;
    }

    if (vmsix_bar_free_slot(cfg, len, NULL, &slot) == 0)
        e->table_bar = (int8_t)slot;
    else
        e->reasons |= VMSIX_ELIG_NO_FREE_BAR;
    return e->reasons ? -ENOTSUP : 0;
}

int vmsix_dev_check(const uint8_t *cfg, size_t len, struct vmsix_eligibility *out)
{
    if (!cfg || !out || len < 64)
        return -EINVAL;
    return check(cfg, len, out);
}

static bool is_pow2(uint32_t v)
{
    return v && !(v & (v - 1u));
}

/* Resolve the options against the function: slot, BAR size, vectors. */
static int resolve(const uint8_t *cfg, size_t len, const struct vmsix_dev_options *opt,
                   const struct vmsix_eligibility *e, unsigned *slot, uint32_t *bar_size,
                   unsigned *nvec)
{
    struct vmsix_bar bars[6];
    unsigned n;

    *slot = (unsigned)e->table_bar;
    *bar_size = DEFAULT_BAR_SIZE;
    *nvec = e->vectors;
    if (!opt)
        return 0;
    if (opt->bar_size) {
        if (!is_pow2(opt->bar_size) || opt->bar_size < DEFAULT_BAR_SIZE ||
            opt->bar_size > 0x80000000u)
            return -ENOTSUP;
        *bar_size = opt->bar_size;
    }
    if (opt->nvec) {
        if (!is_pow2(opt->nvec) || opt->nvec > e->vectors || opt->nvec < 2)
            return -ENOTSUP;
        *nvec = opt->nvec;
    }
    if (opt->table_bar_set) {
        if (vmsix_bar_decode(cfg, len, bars, &n) || opt->table_bar >= n ||
            bars[opt->table_bar].kind != VMSIX_BAR_NONE)
            return -ENOTSUP;
        *slot = opt->table_bar;
    }
    return 0;
}

int vmsix_dev_virtual_cfg(const uint8_t *cfg, size_t len, const struct vmsix_dev_options *opt,
                          uint8_t *out, size_t out_len)
{
    struct vmsix_eligibility e;
    struct vmsix_cap msi;
    uint8_t cap[MSIX_CAP_LEN];
    unsigned slot, nvec;
    uint32_t bar_size;
    int rc;

    if (!cfg || !out || len < 64 || out_len > 4096 || out_len < 64)
        return -EINVAL;
    if (check(cfg, len, &e))
        return -ENOTSUP;
    rc = resolve(cfg, len, opt, &e, &slot, &bar_size, &nvec);
    if (rc)
        return rc;
    /* the capability must lie inside @out: check before writing anything */
    if (vmsix_capchain_lookup(cfg, len, false, VMSIX_CAP_ID_MSI, &msi, NULL) ||
        msi.off + msi.len > out_len || 0x10u + 4u * slot + 4u > out_len)
        return -ENOTSUP;
    memset(out, 0xff, out_len);
    memcpy(out, cfg, len < out_len ? len : out_len);

    /* MSI-X: ID, (next kept), Message Control = N - 1, table at 0 in the
     * slot, PBA at half the BAR */
    memset(cap, 0, sizeof(cap));
    cap[0] = VMSIX_CAP_ID_MSIX;
    cap[2] = (uint8_t)(nvec - 1u);
    vmsix_wr32(cap + 4, slot);
    vmsix_wr32(cap + 8, (bar_size / 2u) | slot);
    rc = vmsix_capchain_replace(out, out_len, false, msi.off, cap, sizeof(cap));
    if (rc)
        return rc;
    vmsix_wr32(out + 0x10 + 4u * slot, 0); /* an unassigned 32-bit memory BAR */
    return 0;
}

/* ---- the device ---- */

#define CMD_INTX_DISABLE 0x0400u
#define MSI_CTRL_ENABLE 0x0001u
#define MSI_CTRL_MME_SHIFT 4
#define MSI_CTRL_MME_MASK 0x0070u
#define EXP_DEVCTL 8u
#define EXP_DEVCTL_FLR 0x8000u
#define DEV_MAX_VEC 32u
#define DEV_MAGIC 0x76646576u /* "vdev": set last by a successful vmsix_dev_init() */

struct vmsix_dev {
    uint32_t magic; /* DEV_MAGIC; first, so that nothing else is read before it */
    struct vmsix_dev_ops ops;
    void *ctx;
    struct vmsix_remap backend;
    struct vmsix_remap_caps caps;
    struct vmsix_remap_source src;

    /* the function */
    uint16_t msi_off, exp_off;
    bool addr64;
    uint8_t nvec;
    uint8_t slot;
    uint32_t bar_size;

    /* the physical side */
    bool phys_on;
    bool doorbell;
    bool blk_held; /* the backend refused to release blk: it is still reserved */
    struct vmsix_remap_block blk;
    struct vmsix_msg phys_msg;
    uint32_t mask;   /* the MSI mask bits vmsix wants (see phys_write_mask) */
    bool mask_stale; /* the function refused the last write of them */
    uint32_t active; /* bit k: entry k programmed and k unmasked */

    struct vmsix_cfg *cfg;
    struct vmsix_msix *msix;

    /* storage of the parts */
    uint64_t cfg_mem[(sizeof(struct vmsix_cfg *) + 5u * 4096u + 2048u) / 8u];
    uint64_t msix_mem[(256u + DEV_MAX_VEC * 17u) / 8u];
    /* init only: the guest view, and the physical image, whose space the
     * parsed chain reuses once the view is built */
    struct {
        uint8_t view[4096];
        union {
            uint8_t phys[4096]; /* also scratch msix storage in restore */
            struct vmsix_capchain chain;
            uint64_t align;
        } u;
    } scratch;
};

size_t vmsix_dev_storage_size(void)
{
    return sizeof(struct vmsix_dev);
}

/* @d came from a successful vmsix_dev_init(). */
static bool dev_ok(const struct vmsix_dev *d)
{
    return d && d->magic == DEV_MAGIC;
}

/* Offsets of the physical MSI registers. */
static uint16_t msi_mask_reg(const struct vmsix_dev *d)
{
    return (uint16_t)(d->msi_off + (d->addr64 ? 0x10u : 0x0cu));
}

static uint16_t msi_pending_reg(const struct vmsix_dev *d)
{
    return (uint16_t)(d->msi_off + (d->addr64 ? 0x14u : 0x10u));
}

static int first_error(int ret, int rc)
{
    return ret ? ret : (rc > 0 ? -EIO : rc);
}

/* Write the function's MSI mask bits. d->mask is what vmsix wants there,
 * written or not: a write the function refuses leaves the register
 * unknown (mask_stale), and the next write, which carries every bit vmsix
 * wants, repairs it; until one succeeds, no entry is programmed as
 * quiesced. */
static int phys_write_mask(struct vmsix_dev *d, uint32_t mask)
{
    int rc = d->ops.cfg_write(d->ctx, msi_mask_reg(d), 4, mask);

    d->mask = mask;
    d->mask_stale = rc != 0;
    return rc > 0 ? -EIO : rc;
}

/* Set or clear bits of a physical 16-bit register (read, modify, write). */
static int phys_update16(struct vmsix_dev *d, uint16_t off, uint16_t clear, uint16_t set)
{
    uint32_t v;
    int rc = d->ops.cfg_read(d->ctx, off, 2, &v);

    if (rc)
        return rc > 0 ? -EIO : rc;
    v = (v & ~(uint32_t)clear) | set;
    rc = d->ops.cfg_write(d->ctx, off, 2, v & 0xffffu);
    return rc > 0 ? -EIO : rc;
}

static bool guest_intx_disabled(const struct vmsix_dev *d)
{
    uint32_t cmd = 0;

    vmsix_cfg_peek(d->cfg, 0x04, 2, &cmd);
    return (cmd & CMD_INTX_DISABLE) != 0;
}

/* The function's INTx Disable: the guest's, or set while MSI is ours. */
static int phys_sync_intx(struct vmsix_dev *d)
{
    bool off = d->phys_on || guest_intx_disabled(d);

    return phys_update16(d, 0x04, off ? 0 : CMD_INTX_DISABLE, off ? CMD_INTX_DISABLE : 0);
}

static unsigned log2u(unsigned v)
{
    unsigned n = 0;

    while (v > 1u) {
        v >>= 1;
        n++;
    }
    return n;
}

/* Give the block back. A backend that refuses leaves it reserved: it is
 * kept and released again at the next setup, reset or teardown, so that
 * nothing leaks for as long as the device lives. */
static int blk_release(struct vmsix_dev *d)
{
    int rc = d->backend.ops->release(d->backend.ctx, &d->blk);

    d->blk_held = rc != 0;
    return rc > 0 ? -EIO : rc;
}

/* Mask every vector, disable MSI, clear and invalidate every entry,
 * release the block. Goes on after errors; returns the first. */
static int phys_teardown(struct vmsix_dev *d)
{
    const struct vmsix_remap_ops *b = d->backend.ops;
    int ret = 0;
    uint32_t k;

    if (!d->phys_on)
        return d->blk_held ? blk_release(d) : 0;
    ret = first_error(ret, phys_write_mask(d, 0xffffffffu));
    d->active = 0;
    ret = first_error(
        ret, phys_update16(d, (uint16_t)(d->msi_off + 2), MSI_CTRL_ENABLE | MSI_CTRL_MME_MASK, 0));
    for (k = 0; k < d->blk.count; k++)
        ret = first_error(ret, b->clear(d->backend.ctx, &d->blk, k));
    ret = first_error(ret, b->invalidate(d->backend.ctx, &d->blk, 0, d->blk.count));
    ret = first_error(ret, blk_release(d));
    if (d->doorbell && b->doorbell_unmap)
        ret = first_error(ret, b->doorbell_unmap(d->backend.ctx, &d->blk));
    d->doorbell = false;
    d->phys_on = false;
    ret = first_error(ret, phys_sync_intx(d));
    return ret;
}

/* The guest enabled MSI-X: a block, the composed message, MSI enabled with
 * every vector masked. On failure everything done is undone. */
static int phys_setup(struct vmsix_dev *d)
{
    const struct vmsix_remap_ops *b = d->backend.ops;
    void *bctx = d->backend.ctx;
    uint32_t align = (d->caps.flags & VMSIX_REMAP_CAP_DATA_INDEX) ? d->nvec : 1u;
    uint16_t mc_off = (uint16_t)(d->msi_off + 2);
    unsigned mme;
    int rc;

    if (d->phys_on)
        return 0;
    if (d->blk_held && (rc = blk_release(d)) != 0)
        return rc;
    rc = b->reserve(bctx, &d->src, d->nvec, align, &d->blk);
    if (rc)
        return rc > 0 ? -EIO : rc;
    if (d->blk.count < d->nvec) { /* a backend that broke its contract */
        (void)blk_release(d);
        return -EIO;
    }
    rc = b->compose(bctx, &d->blk, &d->phys_msg);
    if (rc == 0 && (d->caps.flags & VMSIX_REMAP_CAP_DOORBELL)) {
        rc = b->doorbell_map ? b->doorbell_map(bctx, &d->blk, &d->phys_msg) : -ENOTSUP;
        d->doorbell = rc == 0;
    }
    if (rc)
        goto undo;
    /* never more messages than vectors shown, never more than the block */
    mme = log2u(d->nvec);
    rc = phys_write_mask(d, 0xffffffffu);
    if (!rc)
        rc = d->ops.cfg_write(d->ctx, (uint16_t)(d->msi_off + 4), 4, (uint32_t)d->phys_msg.addr);
    if (!rc && d->addr64)
        rc = d->ops.cfg_write(d->ctx, (uint16_t)(d->msi_off + 8), 4,
                              (uint32_t)(d->phys_msg.addr >> 32));
    if (!rc)
        rc = d->ops.cfg_write(d->ctx, (uint16_t)(d->msi_off + (d->addr64 ? 0x0cu : 0x08u)), 2,
                              d->phys_msg.data & 0xffffu);
    if (!rc)
        rc = phys_update16(d, mc_off, MSI_CTRL_MME_MASK,
                           (uint16_t)((mme << MSI_CTRL_MME_SHIFT) | MSI_CTRL_ENABLE));
    if (rc)
        goto undo;
    d->phys_on = true;
    d->active = 0;
    rc = phys_sync_intx(d); /* INTx off while MSI is ours */
    if (rc)
        goto undo;
    return 0;

undo:
    d->phys_on = true; /* let teardown undo every step */
    (void)phys_teardown(d);
    return rc > 0 ? -EIO : rc;
}

/* msix_table hooks */

static void dev_deliver(void *ctx, uint16_t vec, const struct vmsix_msg *msg)
{
    struct vmsix_dev *d = ctx;

    d->ops.inject(d->ctx, vec, msg);
}

static int vec_on(struct vmsix_dev *d, uint16_t vec, const struct vmsix_msg *msg)
{
    const struct vmsix_remap_ops *b = d->backend.ops;
    struct vmsix_remap_target t;
    uint32_t bit = 1u << vec;
    int rc;

    memset(&t, 0, sizeof(t));
    rc = d->ops.translate(d->ctx, vec, msg, &t);
    if (rc)
        goto fail;
    /* a new message for a live vector, or a mask register the function
     * refused to write: quiesce it */
    if (!(d->mask & bit) || d->mask_stale) {
        rc = phys_write_mask(d, d->mask | bit);
        if (rc)
            goto fail;
    }
    d->active &= ~bit;
    rc = b->program(d->backend.ctx, &d->blk, vec, &t, VMSIX_REMAP_PROG_QUIESCED);
    if (rc)
        goto fail;
    rc = b->invalidate(d->backend.ctx, &d->blk, vec, 1);
    if (rc)
        goto fail;
    rc = phys_write_mask(d, d->mask & ~bit);
    if (rc)
        goto fail;
    d->active |= bit;
    return 0;

fail:
    /* stays masked, and not live; an entry that may be present is cleared */
    d->active &= ~bit;
    (void)phys_write_mask(d, d->mask | bit);
    (void)b->clear(d->backend.ctx, &d->blk, vec);
    (void)b->invalidate(d->backend.ctx, &d->blk, vec, 1);
    return rc > 0 ? -EIO : rc;
}

static int vec_off(struct vmsix_dev *d, uint16_t vec)
{
    const struct vmsix_remap_ops *b = d->backend.ops;
    int ret;

    /* mask first, then the entry goes */
    ret = phys_write_mask(d, d->mask | (1u << vec));
    d->active &= ~(1u << vec);
    ret = first_error(ret, b->clear(d->backend.ctx, &d->blk, vec));
    ret = first_error(ret, b->invalidate(d->backend.ctx, &d->blk, vec, 1));
    return ret;
}

static int dev_vector_update(void *ctx, uint16_t vec, const struct vmsix_msg *msg, bool active)
{
    struct vmsix_dev *d = ctx;

    if (!d->phys_on)
        return active ? -EIO : 0; /* setup failed: nothing can be programmed */
    return active ? vec_on(d, vec, msg) : vec_off(d, vec);
}

/* The function's Pending Bits of vectors [first, first + count): one read
 * of the register per call (msix_table asks once per guest PBA read), the
 * one coherent picture of it. first + count <= nvec <= 32. */
static uint64_t dev_pending_poll(void *ctx, uint16_t first, unsigned count)
{
    struct vmsix_dev *d = ctx;
    uint32_t v;

    if (!d->phys_on)
        return 0;
    if (d->ops.cfg_read(d->ctx, msi_pending_reg(d), 4, &v))
        v = 0; /* unknown: not pending, for the whole access */
    return ((uint64_t)v >> first) & (count < 64 ? ((uint64_t)1 << count) - 1u : ~(uint64_t)0);
}

static const struct vmsix_msix_ops dev_msix_ops = {
    .size = sizeof(struct vmsix_msix_ops),
    .deliver = dev_deliver,
    .vector_update = dev_vector_update,
    .pending_poll = dev_pending_poll,
};

/* register model hooks */

static int dev_pt_read(void *ctx, uint16_t off, unsigned size, uint32_t *val)
{
    struct vmsix_dev *d = ctx;
    int rc = d->ops.cfg_read(d->ctx, off, size, val);

    return rc > 0 ? -EIO : rc;
}

/* Write the bits of @mask: the function's other bits in those bytes keep
 * their value (the emulated bits vmsix keeps are RW at the function, never
 * RW1C, so reading them back is safe). */
static int dev_pt_write(void *ctx, uint16_t off, unsigned size, uint32_t val, uint32_t mask)
{
    struct vmsix_dev *d = ctx;
    uint32_t full = size == 4 ? 0xffffffffu : (1u << (8u * size)) - 1u;
    uint32_t hw = 0;
    int rc;

    if ((mask & full) != full) {
        rc = d->ops.cfg_read(d->ctx, off, size, &hw);
        if (rc)
            return rc > 0 ? -EIO : rc;
    }
    rc = d->ops.cfg_write(d->ctx, off, size, (val & mask) | (hw & ~mask & full));
    return rc > 0 ? -EIO : rc;
}

static const struct vmsix_cfg_ops dev_cfg_ops = {
    .size = sizeof(struct vmsix_cfg_ops),
    .pt_read = dev_pt_read,
    .pt_write = dev_pt_write,
};

/* MSI-X Message Control: Enable sets up the physical side first; Disable
 * tears it down after the vectors went inactive. */
static int msix_ctrl_write(void *ctx, uint16_t off, unsigned len, uint32_t old, uint32_t val)
{
    struct vmsix_dev *d = ctx;
    bool was = (old & VMSIX_MSIX_CTRL_ENABLE) != 0, now = (val & VMSIX_MSIX_CTRL_ENABLE) != 0;
    int ret = 0;

    (void)off;
    (void)len;
    if (!was && now)
        ret = phys_setup(d);
    ret = first_error(ret, vmsix_msix_ctrl_write(d->msix, (uint16_t)val));
    if (was && !now)
        ret = first_error(ret, phys_teardown(d));
    return ret;
}

static int command_write(void *ctx, uint16_t off, unsigned len, uint32_t old, uint32_t val)
{
    struct vmsix_dev *d = ctx;

    (void)off;
    (void)len;
    if (!((old ^ val) & CMD_INTX_DISABLE))
        return 0;
    return phys_sync_intx(d);
}

/* Initiate Function Level Reset is emulated (the rest of Device Control
 * passes through): vmsix starts the FLR at the function itself and then
 * resets everything of its own. The bit reads 0. */
static int devctl_write(void *ctx, uint16_t off, unsigned len, uint32_t old, uint32_t val)
{
    struct vmsix_dev *d = ctx;
    int ret;

    (void)len;
    (void)old;
    if (!(val & EXP_DEVCTL_FLR))
        return 0;
    vmsix_cfg_poke(d->cfg, off, 2, val & ~(uint32_t)EXP_DEVCTL_FLR);
    ret = phys_update16(d, off, 0, EXP_DEVCTL_FLR);
    return first_error(ret, vmsix_dev_reset(d));
}

static const struct vmsix_cfg_field_ops msix_ctrl_field = {sizeof(struct vmsix_cfg_field_ops), NULL,
                                                           msix_ctrl_write};
static const struct vmsix_cfg_field_ops command_field = {sizeof(struct vmsix_cfg_field_ops), NULL,
                                                         command_write};
static const struct vmsix_cfg_field_ops devctl_field = {sizeof(struct vmsix_cfg_field_ops), NULL,
                                                        devctl_write};

static void dev_bar_moved(void *ctx, unsigned bar, uint64_t addr)
{
    struct vmsix_dev *d = ctx;

    if (d->ops.bar_moved)
        d->ops.bar_moved(d->ctx, bar, addr);
}

/* Read the function's configuration space: dwords until the first failure
 * past 64 bytes. Returns the view's length, 0 when even 64 bytes fail. */
static size_t read_function(struct vmsix_dev *d, uint8_t *img)
{
    unsigned off;

    memset(img, 0xff, 4096);
    for (off = 0; off < 4096; off += 4) {
        uint32_t v;
        if (d->ops.cfg_read(d->ctx, (uint16_t)off, 4, &v))
            break;
        vmsix_wr32(img + off, v);
    }
    if (off < 64)
        return 0;
    return off >= 4096 ? 4096 : (off >= 256 ? 256 : 64);
}

/* Attributes of the guest view (see the header). */
static int build_model(struct vmsix_dev *d, const uint8_t *view, size_t len, unsigned msi_len)
{
    struct vmsix_cfg *c = d->cfg;
    uint16_t m = d->msi_off;
    struct vmsix_cap exp;
    int rc;

    rc = vmsix_cfg_load(c, view, len);
    if (!rc)
        rc = vmsix_cfg_set_range(c, 0, (uint16_t)len, VMSIX_CFG_RW | VMSIX_CFG_PT);
    if (!rc) /* the guest's INTx Disable is its own */
        rc = vmsix_cfg_set_attr(c, 0x04, 2, CMD_INTX_DISABLE, VMSIX_CFG_RW);
    if (!rc)
        rc = vmsix_cfg_field_add(c, 0x04, 2, &command_field, d);
    if (!rc && vmsix_capchain_parse(view, len, &d->scratch.u.chain) == 0)
        rc = vmsix_cfg_protect_caps(c, &d->scratch.u.chain);
    /* MSI-X: emulated; only Enable and Function Mask are writable */
    if (!rc)
        rc = vmsix_cfg_set_range(c, m, 12, VMSIX_CFG_RO);
    if (!rc)
        rc = vmsix_cfg_set_attr(c, (uint16_t)(m + 2), 2,
                                VMSIX_MSIX_CTRL_ENABLE | VMSIX_MSIX_CTRL_FMASK, VMSIX_CFG_RW);
    if (!rc)
        rc = vmsix_cfg_field_add(c, (uint16_t)(m + 2), 2, &msix_ctrl_field, d);
    if (!rc && msi_len > 12)
        rc = vmsix_cfg_set_range(c, (uint16_t)(m + 12), (uint16_t)(msi_len - 12), VMSIX_CFG_RSVD);
    if (!rc)
        rc = vmsix_cfg_bar_emulate(c, d->slot, d->bar_size, VMSIX_BAR_MEM32, dev_bar_moved, d);
    if (!rc && vmsix_capchain_lookup(view, len, false, VMSIX_CAP_ID_EXP, &exp, NULL) == 0) {
        d->exp_off = exp.off;
        rc = vmsix_cfg_set_attr(c, (uint16_t)(exp.off + EXP_DEVCTL), 2, EXP_DEVCTL_FLR,
                                VMSIX_CFG_RW);
        if (!rc)
            rc = vmsix_cfg_field_add(c, (uint16_t)(exp.off + EXP_DEVCTL), 2, &devctl_field, d);
    }
    return rc;
}

int vmsix_dev_init(void *mem, size_t len, const struct vmsix_dev_params *p,
                   const struct vmsix_dev_ops *ops, void *ctx, struct vmsix_dev **out)
{
    struct vmsix_dev *d = mem;
    struct vmsix_eligibility e;
    struct vmsix_msix_params mp;
    struct vmsix_cap msi;
    const struct vmsix_remap_ops *b;
    unsigned slot, nvec;
    uint32_t bar_size;
    size_t view;
    int rc;

    if (!mem || len < sizeof(*d) || ((uintptr_t)mem & 7u) || !p || !ops || !out || !p->backend)
        return -EINVAL;
    b = p->backend->ops;
    if (!ops->cfg_read || !ops->cfg_write || !ops->translate || !ops->inject || !b || !b->caps ||
        !b->reserve || !b->release || !b->program || !b->clear || !b->invalidate || !b->compose)
        return -EINVAL;
    memset(d, 0, sizeof(*d)); /* no marker until everything below succeeded */
    d->ops = *ops;
    d->ctx = ctx;
    d->backend = *p->backend;
    d->src = p->src;
    rc = b->caps(d->backend.ctx, &d->caps);
    if (rc)
        return rc > 0 ? -EIO : rc;

    view = read_function(d, d->scratch.u.phys);
    if (view == 0)
        return -EIO;
    if (check(d->scratch.u.phys, view, &e))
        return -ENOTSUP;
    rc = resolve(d->scratch.u.phys, view, &p->opt, &e, &slot, &bar_size, &nvec);
    if (rc)
        return rc;
    if (nvec > DEV_MAX_VEC || log2u(nvec) > d->caps.max_order)
        return -ENOTSUP;
    if (vmsix_capchain_lookup(d->scratch.u.phys, view, false, VMSIX_CAP_ID_MSI, &msi, NULL))
        return -ENOTSUP;
    d->msi_off = e.msi_off;
    d->addr64 = e.addr64;
    d->nvec = (uint8_t)nvec;
    d->slot = (uint8_t)slot;
    d->bar_size = bar_size;
    rc = vmsix_dev_virtual_cfg(d->scratch.u.phys, view, &p->opt, d->scratch.view, view);
    if (rc)
        return rc;

    rc = vmsix_cfg_init(d->cfg_mem, sizeof(d->cfg_mem), view > 256 ? 4096 : 256, &dev_cfg_ops, d,
                        &d->cfg);
    if (rc)
        return rc;
    rc = build_model(d, d->scratch.view, view, msi.len);
    if (rc)
        return rc;

    mp.nvec = (uint16_t)nvec;
    mp.table_off = 0;
    mp.pba_off = bar_size / 2u;
    mp.flags = 0;
    rc = vmsix_msix_init(d->msix_mem, sizeof(d->msix_mem), &mp, &dev_msix_ops, d, &d->msix);
    if (rc)
        return rc;
    d->mask = 0xffffffffu;
    d->magic = DEV_MAGIC;
    *out = d;
    return 0;
}

int vmsix_dev_cfg_read(struct vmsix_dev *d, uint16_t off, unsigned size, uint32_t *val)
{
    if (!dev_ok(d)) {
        if (val)
            *val = 0xffffffffu;
        return -EINVAL;
    }
    return vmsix_cfg_read(d->cfg, off, size, val);
}

int vmsix_dev_cfg_write(struct vmsix_dev *d, uint16_t off, unsigned size, uint32_t val)
{
    if (!dev_ok(d))
        return -EINVAL;
    return vmsix_cfg_write(d->cfg, off, size, val);
}

int vmsix_dev_mmio_read(struct vmsix_dev *d, uint64_t off, unsigned size, uint64_t *val)
{
    if (!dev_ok(d))
        return -EINVAL;
    return vmsix_msix_mmio_read(d->msix, off, size, val);
}

int vmsix_dev_mmio_write(struct vmsix_dev *d, uint64_t off, unsigned size, uint64_t val)
{
    if (!dev_ok(d))
        return -EINVAL;
    return vmsix_msix_mmio_write(d->msix, off, size, val);
}

int vmsix_dev_irq(struct vmsix_dev *d, uint16_t vec)
{
    if (!dev_ok(d) || vec >= d->nvec)
        return -EINVAL;
    return vmsix_msix_fire(d->msix, vec);
}

/* The guest view back to reset: MSI-X disabled, table BAR at 0, the
 * guest's INTx Disable clear. */
static void guest_reset(struct vmsix_dev *d)
{
    uint32_t mc = 0, cmd = 0;

    vmsix_cfg_peek(d->cfg, (uint16_t)(d->msi_off + 2), 2, &mc);
    vmsix_cfg_poke(d->cfg, (uint16_t)(d->msi_off + 2), 2,
                   mc & ~(uint32_t)(VMSIX_MSIX_CTRL_ENABLE | VMSIX_MSIX_CTRL_FMASK));
    vmsix_cfg_poke(d->cfg, (uint16_t)(0x10u + 4u * d->slot), 4, 0);
    vmsix_cfg_peek(d->cfg, 0x04, 2, &cmd);
    vmsix_cfg_poke(d->cfg, 0x04, 2, cmd & ~(uint32_t)CMD_INTX_DISABLE);
}

int vmsix_dev_reset(struct vmsix_dev *d)
{
    int ret;

    if (!dev_ok(d))
        return -EINVAL;
    /* the vectors go inactive (masked, cleared) before the block goes */
    vmsix_msix_reset(d->msix);
    ret = phys_teardown(d);
    guest_reset(d);
    return first_error(ret, phys_sync_intx(d));
}

int vmsix_dev_teardown(struct vmsix_dev *d)
{
    return vmsix_dev_reset(d);
}

struct vmsix_cfg *vmsix_dev_cfgspace(struct vmsix_dev *d)
{
    return dev_ok(d) ? d->cfg : NULL;
}

int vmsix_dev_get_state(const struct vmsix_dev *d, struct vmsix_dev_state *out)
{
    if (!dev_ok(d) || !out)
        return -EINVAL;
    memset(out, 0, sizeof(*out));
    out->msi_off = d->msi_off;
    out->nvec = d->nvec;
    out->table_bar = d->slot;
    out->bar_size = d->bar_size;
    out->phys_enabled = d->phys_on;
    out->block_held = d->blk_held;
    if (d->phys_on || d->blk_held)
        out->block = d->blk;
    if (d->phys_on)
        out->phys_msg = d->phys_msg;
    out->mask = d->mask;
    out->active = d->active;
    return 0;
}

/* ---- save / restore ---- */

#define DEV_SAVE_MAGIC 0x44534d56u /* "VMSD" */
#define DEV_SAVE_VERSION 1u
#define DEV_SAVE_HDR 32u

size_t vmsix_dev_save_size(const struct vmsix_dev *d)
{
    if (!dev_ok(d))
        return 0;
    return DEV_SAVE_HDR + vmsix_msix_save_size(d->msix) + 4u;
}

static uint16_t table_bar_reg(const struct vmsix_dev *d)
{
    return (uint16_t)(0x10u + 4u * d->slot);
}

int vmsix_dev_save(const struct vmsix_dev *d, void *buf, size_t len, size_t *used)
{
    uint8_t *b = buf;
    size_t need, mlen = 0;
    uint32_t bar = 0, mc = 0, cmd = 0;
    int rc;

    if (!dev_ok(d) || !used || (!buf && len))
        return -EINVAL;
    need = vmsix_dev_save_size(d);
    *used = need;
    if (len < need)
        return -ENOSPC;
    vmsix_cfg_peek(d->cfg, table_bar_reg(d), 4, &bar);
    vmsix_cfg_peek(d->cfg, (uint16_t)(d->msi_off + 2), 2, &mc);
    vmsix_cfg_peek(d->cfg, 0x04, 2, &cmd);
    memset(b, 0, DEV_SAVE_HDR);
    vmsix_wr32(b + 0, DEV_SAVE_MAGIC);
    vmsix_wr16(b + 4, DEV_SAVE_VERSION);
    vmsix_wr16(b + 6, DEV_SAVE_HDR);
    vmsix_wr16(b + 8, d->msi_off);
    b[10] = d->nvec;
    b[11] = d->slot;
    vmsix_wr32(b + 12, d->bar_size);
    vmsix_wr32(b + 16, bar);
    vmsix_wr16(b + 20, (uint16_t)(mc & (VMSIX_MSIX_CTRL_ENABLE | VMSIX_MSIX_CTRL_FMASK)));
    vmsix_wr16(b + 22, (uint16_t)(cmd & CMD_INTX_DISABLE));
    vmsix_wr32(b + 24, (uint32_t)vmsix_msix_save_size(d->msix));
    rc = vmsix_msix_save(d->msix, b + DEV_SAVE_HDR, need - DEV_SAVE_HDR - 4u, &mlen);
    if (rc)
        return rc;
    vmsix_wr32(b + need - 4u, vmsix_crc32(b, need - 4u));
    return 0;
}

static void nop_deliver(void *ctx, uint16_t vec, const struct vmsix_msg *msg)
{
    (void)ctx;
    (void)vec;
    (void)msg;
}

static int nop_update(void *ctx, uint16_t vec, const struct vmsix_msg *msg, bool active)
{
    (void)ctx;
    (void)vec;
    (void)msg;
    (void)active;
    return 0;
}

static const struct vmsix_msix_ops nop_msix_ops = {sizeof(struct vmsix_msix_ops), nop_deliver,
                                                   nop_update, NULL};

/* Everything about a saved state that can be checked without changing
 * anything; the embedded table state is tried on a scratch object. */
static bool dev_restore_valid(struct vmsix_dev *d, const uint8_t *b, size_t len)
{
    size_t mlen = vmsix_msix_save_size(d->msix);
    struct vmsix_msix_params mp;
    struct vmsix_msix *tmp;
    uint32_t bar;
    uint16_t mc;

    if (len != vmsix_dev_save_size(d) || vmsix_rd32(b) != DEV_SAVE_MAGIC ||
        vmsix_rd16(b + 4) != DEV_SAVE_VERSION || vmsix_rd16(b + 6) != DEV_SAVE_HDR)
        return false;
    if (vmsix_rd16(b + 8) != d->msi_off || b[10] != d->nvec || b[11] != d->slot ||
        vmsix_rd32(b + 12) != d->bar_size || vmsix_rd32(b + 24) != mlen || vmsix_rd32(b + 28))
        return false;
    if (vmsix_crc32(b, len - 4u) != vmsix_rd32(b + len - 4u))
        return false;
    bar = vmsix_rd32(b + 16);
    mc = vmsix_rd16(b + 20);
    if (bar & (d->bar_size - 1u)) /* address bits only: a 32-bit memory BAR */
        return false;
    if (mc & ~(uint16_t)(VMSIX_MSIX_CTRL_ENABLE | VMSIX_MSIX_CTRL_FMASK) ||
        vmsix_rd16(b + 22) & ~(uint16_t)CMD_INTX_DISABLE)
        return false;
    /* the table state agrees on Message Control, and is itself valid */
    if (vmsix_rd16(b + DEV_SAVE_HDR + 10) != mc)
        return false;
    mp.nvec = d->nvec;
    mp.table_off = 0;
    mp.pba_off = d->bar_size / 2u;
    mp.flags = 0;
    if (vmsix_msix_init(d->scratch.u.phys, sizeof(d->scratch.u.phys), &mp, &nop_msix_ops, NULL,
                        &tmp))
        return false;
    return vmsix_msix_restore(tmp, b + DEV_SAVE_HDR, mlen) == 0;
}

int vmsix_dev_restore(struct vmsix_dev *d, const void *buf, size_t len)
{
    const uint8_t *b = buf;
    uint32_t cmd = 0, mc = 0, bar;
    int ret;

    if (!dev_ok(d) || !buf || !dev_restore_valid(d, b, len))
        return -EINVAL;
    ret = phys_teardown(d);
    bar = vmsix_rd32(b + 16);
    vmsix_cfg_poke(d->cfg, table_bar_reg(d), 4, bar);
    vmsix_cfg_peek(d->cfg, (uint16_t)(d->msi_off + 2), 2, &mc);
    mc = (mc & ~(uint32_t)(VMSIX_MSIX_CTRL_ENABLE | VMSIX_MSIX_CTRL_FMASK)) | vmsix_rd16(b + 20);
    vmsix_cfg_poke(d->cfg, (uint16_t)(d->msi_off + 2), 2, mc);
    vmsix_cfg_peek(d->cfg, 0x04, 2, &cmd);
    cmd = (cmd & ~(uint32_t)CMD_INTX_DISABLE) | vmsix_rd16(b + 22);
    vmsix_cfg_poke(d->cfg, 0x04, 2, cmd);
    if (mc & VMSIX_MSIX_CTRL_ENABLE)
        ret = first_error(ret, phys_setup(d));
    /* releases what was active (on the new block: harmless), then programs
     * every vector active in the restored state */
    ret = first_error(ret,
                      vmsix_msix_restore(d->msix, b + DEV_SAVE_HDR, vmsix_msix_save_size(d->msix)));
    ret = first_error(ret, phys_sync_intx(d));
    if (d->ops.bar_moved)
        d->ops.bar_moved(d->ctx, d->slot, bar);
    return ret;
}
