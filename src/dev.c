/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The composed device of MSI-X on MSI (DESIGN 4.3): the glue between the
 * guest's traps (configuration and table BAR accesses), the guest view
 * (the register model and the MSI-X table), the host's translate and
 * inject hooks and the physical side (msi_phys.c over a remap backend, or
 * dev_hostmsg.c when the host owns the messages: dispatched here); init,
 * interrupts, reset, teardown and the log.
 */
#include <string.h>

#include "bytes.h"
#include "dev_priv.h"
#include "ops_copy.h"
#include "vmsix_errno.h"

/* The parts' storage is what their own size functions ask for. */
_Static_assert(sizeof(((struct vmsix_dev *)0)->cfg_mem) >=
                   VMSIX_CFG_STORAGE_SIZE(PCI_CFG_SPACE_EXP_SIZE),
               "a 4096-byte register model fits the device");
_Static_assert(sizeof(((struct vmsix_dev *)0)->msix_mem) >= VMSIX_MSIX_STORAGE_SIZE(DEV_MAX_VEC),
               "a 32-vector table fits the device");

size_t vmsix_dev_storage_size(void)
{
    return sizeof(struct vmsix_dev);
}

/* Log a failed step of the glue and pass its error on. */
static int failed(struct vmsix_dev *d, int vec, const char *what, int rc)
{
    return vmsix_log_failed(&d->log, vec, what, rc);
}

/* ---- msix_table hooks: the guest's vectors ---- */

static void dev_deliver(void *ctx, uint16_t vec, const struct vmsix_msg *msg)
{
    struct vmsix_dev *d = ctx;

    d->ops.inject(d->ctx, vec, msg);
}

/* A vector became live, or its message changed while live: translate the
 * guest's message here (the physical side only ever sees host targets);
 * or it went. */
static int dev_vector_update(void *ctx, uint16_t vec, const struct vmsix_msg *msg, bool active)
{
    struct vmsix_dev *d = ctx;
    struct vmsix_remap_target t;
    int rc;

    if (d->host_owned) /* the guest's message is the route itself */
        return vmsix_dev_hm_vector(d, vec, msg, active);
    if (!active)
        return vmsix_msi_phys_vec_off(&d->phys, vec);
    if (!d->phys.on) /* setup failed: nothing can be programmed */
        return failed(d, vec, "vector on (MSI is not set up)", -EIO);
    memset(&t, 0, sizeof(t));
    rc = d->ops.translate(d->ctx, vec, msg, &t);
    if (rc) {
        /* stays masked, with no entry */
        (void)vmsix_msi_phys_vec_off(&d->phys, vec);
        return failed(d, vec, "translate of the guest's message", rc);
    }
    return vmsix_msi_phys_vec_on(&d->phys, vec, &t);
}

static uint64_t dev_pending_poll(void *ctx, uint16_t first, unsigned count)
{
    struct vmsix_dev *d = ctx;

    if (d->host_owned)
        return vmsix_dev_hm_pending(d, first, count);
    return vmsix_msi_phys_pending(&d->phys, first, count);
}

static const struct vmsix_msix_ops dev_msix_ops = {
    .size = sizeof(struct vmsix_msix_ops),
    .deliver = dev_deliver,
    .vector_update = dev_vector_update,
    .pending_poll = dev_pending_poll,
};

/* ---- register model hooks: pass-through bytes ---- */

static int dev_pt_read(void *ctx, uint16_t off, unsigned size, uint32_t *val)
{
    struct vmsix_dev *d = ctx;
    int rc = d->ops.cfg_read(d->ctx, off, size, val);

    return rc ? failed(d, -1, "config read of a pass-through register", rc) : 0;
}

/* Write the bits of @mask: the function's other bits in those bytes keep
 * their value (the emulated bits vmsix keeps are RW at the function, never
 * RW1C, so reading them back is safe). Bytes without a bit of @mask are not
 * written at all where the access can shrink to the naturally aligned
 * byte or word that holds the mask: a guest's dword that straddles the end
 * of an emulated register (the 14-byte MSI capability of a 64-bit function
 * without mask bits) does not write that register back, which with
 * host-owned messages is the host's (hostmsg.h). */
static int dev_pt_write(void *ctx, uint16_t off, unsigned size, uint32_t val, uint32_t mask)
{
    struct vmsix_dev *d = ctx;
    uint32_t full, hw = 0;
    int rc;

    while (size > 1) {
        unsigned half = size / 2;
        uint32_t low = (1u << (8u * half)) - 1u;
        if (!(mask & low)) { /* the low half has no bit: the high one */
            off = (uint16_t)(off + half);
            val >>= 8u * half;
            mask >>= 8u * half;
        } else if (mask >> (8u * half)) {
            break; /* bits in both halves: the whole access */
        }
        size = half;
    }
    full = size == 4 ? 0xffffffffu : (1u << (8u * size)) - 1u;
    mask &= full;
    val &= full;
    if ((mask & full) != full) {
        rc = d->ops.cfg_read(d->ctx, off, size, &hw);
        if (rc)
            return failed(d, -1, "config read of a pass-through register", rc);
    }
    rc = d->ops.cfg_write(d->ctx, off, size, (val & mask) | (hw & ~mask & full));
    return rc ? failed(d, -1, "config write of a pass-through register", rc) : 0;
}

static const struct vmsix_cfg_ops dev_cfg_ops = {
    .size = sizeof(struct vmsix_cfg_ops),
    .pt_read = dev_pt_read,
    .pt_write = dev_pt_write,
};

/* ---- field handlers of the guest view ---- */

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
        ret = vmsix_dev_phys_setup(d);
    ret = vmsix_first_error(ret, vmsix_msix_ctrl_write(d->msix, (uint16_t)val));
    if (was && !now)
        ret = vmsix_first_error(ret, vmsix_dev_phys_teardown(d));
    return ret;
}

int vmsix_dev_phys_setup(struct vmsix_dev *d)
{
    return d->host_owned ? vmsix_dev_hm_enable(d) : vmsix_msi_phys_setup(&d->phys);
}

int vmsix_dev_phys_teardown(struct vmsix_dev *d)
{
    return d->host_owned ? vmsix_dev_hm_disable(d) : vmsix_msi_phys_teardown(&d->phys);
}

/* Command: the guest's I/O and Memory Space Enable are its own and are
 * written to the function too (it decodes its BARs with them); the table
 * BAR decodes with the guest's Memory Space Enable. The guest's INTx
 * Disable is its own; the function's follows it unless MSI is ours. */
static int command_write(void *ctx, uint16_t off, unsigned len, uint32_t old, uint32_t val)
{
    struct vmsix_dev *d = ctx;
    uint16_t decode = PCI_COMMAND_IO | PCI_COMMAND_MEMORY;
    uint16_t changed = (uint16_t)((old ^ val) & decode);
    int ret = 0;

    (void)off;
    (void)len;
    if (changed)
        ret = vmsix_msi_phys_update16(&d->phys, PCI_COMMAND, changed & (uint16_t)~val,
                                      changed & (uint16_t)val);
    if ((old ^ val) & PCI_COMMAND_INTX_DISABLE)
        ret = vmsix_first_error(
            ret, vmsix_msi_phys_set_guest_intx(&d->phys, (val & PCI_COMMAND_INTX_DISABLE) != 0));
    vmsix_dev_sync_decode(d);
    return ret;
}

/* A guest's Initiate Function Level Reset (bit @flr of the @len-byte
 * register at @off: PCI Express Device Control, or Advanced Features' AF
 * Control on a conventional function) is emulated: vmsix starts the FLR at
 * the function itself and then resets everything of its own. The bit reads
 * 0; the rest of the register passes through. */
static int guest_flr(struct vmsix_dev *d, uint16_t off, unsigned len, uint32_t val, uint16_t flr)
{
    int ret;

    if (!(val & flr))
        return 0;
    vmsix_cfg_poke(d->cfg, off, len, val & ~(uint32_t)flr);
    if (d->host_owned && d->hm.ops.reset) { /* the host resets it (VFIO_DEVICE_RESET) */
        ret = vmsix_dev_reset(d);
        return vmsix_first_error(ret, vmsix_dev_hm_flr(d));
    }
    ret = vmsix_msi_phys_update16(&d->phys, off, 0, flr);
    return vmsix_first_error(ret, vmsix_dev_reset(d));
}

static int devctl_write(void *ctx, uint16_t off, unsigned len, uint32_t old, uint32_t val)
{
    (void)old;
    return guest_flr(ctx, off, len, val, PCI_EXP_DEVCTL_FLR);
}

static int af_ctrl_write(void *ctx, uint16_t off, unsigned len, uint32_t old, uint32_t val)
{
    (void)old;
    return guest_flr(ctx, off, len, val, PCI_AF_CTRL_FLR);
}

/* PMCSR's PowerState is the guest's (read as written; a state the function
 * does not support is ignored, as the function ignores it) and is written
 * to the function; the rest of PMCSR passes through. A function taken from
 * D3hot to D0 with No_Soft_Reset clear resets itself (MSI, its mask bits,
 * Command, BARs): the device's state follows, as after an FLR. Knowing the
 * transition from the guest's own bits, not from a read of the function,
 * the device follows it even when that read would fail. */
static int pmcsr_write(void *ctx, uint16_t off, unsigned len, uint32_t old, uint32_t val)
{
    struct vmsix_dev *d = ctx;
    unsigned was = old & PCI_PM_CTRL_STATE_MASK, now = val & PCI_PM_CTRL_STATE_MASK;
    uint32_t hw;
    int rc;

    (void)len;
    if (was == now)
        return 0;
    if (!(d->pm_states & (1u << now))) {
        vmsix_cfg_poke(d->cfg, off, 2, (val & ~(uint32_t)PCI_PM_CTRL_STATE_MASK) | was);
        return 0;
    }
    /* read, set the state, write: PME_Status (RW1C) is written as 0 */
    rc = d->ops.cfg_read(d->ctx, off, 2, &hw);
    if (!rc)
        rc = d->ops.cfg_write(
            d->ctx, off, 2,
            (hw & ~(uint32_t)(PCI_PM_CTRL_STATE_MASK | PCI_PM_CTRL_PME_STATUS) & 0xffffu) | now);
    if (rc)
        rc = failed(d, -1, "PowerState write to the function", rc);
    if (was == PCI_PM_STATE_D3HOT && now == PCI_PM_STATE_D0 && !d->pm_no_soft_reset)
        rc = vmsix_first_error(rc, vmsix_dev_reset(d));
    return rc;
}

static const struct vmsix_cfg_field_ops af_ctrl_field = {
    .size = sizeof(struct vmsix_cfg_field_ops),
    .write = af_ctrl_write,
};
static const struct vmsix_cfg_field_ops pmcsr_field = {
    .size = sizeof(struct vmsix_cfg_field_ops),
    .write = pmcsr_write,
};
static const struct vmsix_cfg_field_ops msix_ctrl_field = {
    .size = sizeof(struct vmsix_cfg_field_ops),
    .write = msix_ctrl_write,
};
static const struct vmsix_cfg_field_ops command_field = {
    .size = sizeof(struct vmsix_cfg_field_ops),
    .write = command_write,
};
static const struct vmsix_cfg_field_ops devctl_field = {
    .size = sizeof(struct vmsix_cfg_field_ops),
    .write = devctl_write,
};

/* ---- the guest view, declared (see the header for what each means) ---- */

#define ALL16 0xffffu

/* Command: every bit passes through but the guest's own: I/O and Memory
 * Space Enable and INTx Disable (see command_write). */
static const struct vmsix_cfg_reg header_regs[] = {
    {.off = PCI_COMMAND,
     .size = 2,
     .rw = ALL16,
     .pt = ALL16 & ~DEV_CMD_GUEST,
     .ops = &command_field},
};

/* MSI-X, emulated where MSI was: only Enable and Function Mask are
 * writable. */
static const struct vmsix_cfg_reg msix_cap_regs[] = {
    {.off = PCI_CAP_ID, .size = PCI_CAP_HDR_LEN},
    {.off = PCI_MSIX_FLAGS,
     .size = 2,
     .rw = VMSIX_MSIX_CTRL_ENABLE | VMSIX_MSIX_CTRL_FMASK,
     .ops = &msix_ctrl_field},
    {.off = PCI_MSIX_TABLE, .size = 4},
    {.off = PCI_MSIX_PBA, .size = 4},
};

/* Device Control: Initiate FLR is vmsix's; the rest passes through. */
static const struct vmsix_cfg_reg exp_regs[] = {
    {.off = PCI_EXP_DEVCTL,
     .size = 2,
     .rw = ALL16,
     .pt = ALL16 & ~PCI_EXP_DEVCTL_FLR,
     .ops = &devctl_field},
};

/* PMCSR: PowerState is the guest's (see pmcsr_write), the rest passes
 * through. */
static const struct vmsix_cfg_reg pm_regs[] = {
    {.off = PCI_PM_CTRL,
     .size = 2,
     .rw = ALL16,
     .pt = ALL16 & ~PCI_PM_CTRL_STATE_MASK,
     .ops = &pmcsr_field},
};

/* AF Control: Initiate FLR is vmsix's; the rest passes through. */
static const struct vmsix_cfg_reg af_regs[] = {
    {.off = PCI_AF_CTRL,
     .size = 1,
     .rw = 0xffu,
     .pt = 0xffu & ~PCI_AF_CTRL_FLR,
     .ops = &af_ctrl_field},
};

#define NREGS(t) (sizeof(t) / sizeof((t)[0]))

/* Attributes of the guest view whose bytes the model already holds: every
 * byte passes through (the function enforces its own read-only bits)
 * except the registers above, capability headers, the rest of the old
 * MSI capability (reserved) and the table BAR (emulated with sizing). */
static int build_model(struct vmsix_dev *d, size_t view)
{
    struct vmsix_cfg *c = d->cfg;
    const struct vmsix_mom_layout *l = &d->lay;
    int rc;

    rc = vmsix_cfg_set_range(c, 0, (uint16_t)view, VMSIX_CFG_RW | VMSIX_CFG_PT);
    if (!rc)
        rc = vmsix_cfg_regs_add(c, 0, header_regs, NREGS(header_regs), d);
    if (!rc)
        vmsix_cfg_protect_shadow_chain(c, view);
    if (!rc)
        rc = vmsix_dev_model_bars(d);
    if (!rc && l->exp_off)
        rc = vmsix_cfg_regs_add(c, l->exp_off, exp_regs, NREGS(exp_regs), d);
    if (!rc && l->pm_off)
        rc = vmsix_cfg_regs_add(c, l->pm_off, pm_regs, NREGS(pm_regs), d);
    if (!rc && l->af_off)
        rc = vmsix_cfg_regs_add(c, l->af_off, af_regs, NREGS(af_regs), d);
    /* the physical MSI capability last, so that nothing declared before can
     * pass one of its bytes through (eligibility refuses overlapping
     * capabilities anyway) */
    if (!rc)
        rc = vmsix_cfg_regs_add(c, l->msi_off, msix_cap_regs, NREGS(msix_cap_regs), d);
    if (!rc && l->msi_len > PCI_MSIX_CAP_LEN)
        rc = vmsix_cfg_set_range(c, (uint16_t)(l->msi_off + PCI_MSIX_CAP_LEN),
                                 (uint16_t)(l->msi_len - PCI_MSIX_CAP_LEN), VMSIX_CFG_RSVD);
    return rc;
}

/*
 * Read the function's configuration space into the model: dwords until
 * the first failure past 64 bytes. The first 256 bytes go through @head,
 * since the model's size (256 or 4096) is known only once the extended
 * space answered. Returns the view's length (64, 256 or 4096), 0 when even
 * 64 bytes fail; the model is initialized for it, bytes past it are 0.
 */
static size_t read_function(struct vmsix_dev *d, uint8_t head[PCI_CFG_SPACE_SIZE])
{
    unsigned off;
    uint32_t v;

    memset(head, 0xff, PCI_CFG_SPACE_SIZE);
    for (off = 0; off < PCI_CFG_SPACE_SIZE; off += 4) {
        if (d->ops.cfg_read(d->ctx, (uint16_t)off, 4, &v))
            break;
        vmsix_wr32(head + off, v);
    }
    if (off < 64)
        return 0;
    if (off == PCI_CFG_SPACE_SIZE) {
        if (vmsix_cfg_init(d->cfg_mem, sizeof(d->cfg_mem), PCI_CFG_SPACE_EXP_SIZE, &dev_cfg_ops, d,
                           &d->cfg))
            return 0;
        for (; off < PCI_CFG_SPACE_EXP_SIZE; off += 4) {
            if (d->ops.cfg_read(d->ctx, (uint16_t)off, 4, &v))
                break;
            vmsix_cfg_poke(d->cfg, (uint16_t)off, 4, v);
        }
        if (off == PCI_CFG_SPACE_EXP_SIZE) {
            (void)vmsix_cfg_load(d->cfg, head, PCI_CFG_SPACE_SIZE);
            return PCI_CFG_SPACE_EXP_SIZE;
        }
        off = PCI_CFG_SPACE_SIZE; /* the extended space did not answer whole */
    }
    if (vmsix_cfg_init(d->cfg_mem, sizeof(d->cfg_mem), PCI_CFG_SPACE_SIZE, &dev_cfg_ops, d,
                       &d->cfg))
        return 0;
    if (off < PCI_CFG_SPACE_SIZE)
        off = 64;
    (void)vmsix_cfg_load(d->cfg, head, off);
    return off;
}

/* The checks and steps every device shares up to its physical side: the
 * hooks, the function's configuration space, and the plan for @masking.
 * Return: 0 or the error vmsix_dev_init() documents. */
static int init_begin(struct vmsix_dev *d, size_t len, const struct vmsix_dev_options *opt,
                      const struct vmsix_dev_ops *ops, void *ctx, bool host_owned)
{
    struct vmsix_eligibility e;
    uint8_t head[PCI_CFG_SPACE_SIZE];
    size_t view;
    int rc;

    if (!d || len < sizeof(*d) || ((uintptr_t)d & 7u) || !ops)
        return -EINVAL;
    memset(d, 0, sizeof(*d)); /* no marker until everything below succeeded */
    rc = vmsix_ops_copy(&d->ops, sizeof(d->ops), ops, VMSIX_DEV_OPS_SIZE_V1);
    if (rc)
        return rc;
    /* host-owned messages route the guest's own message: no translate */
    if (!d->ops.cfg_read || !d->ops.cfg_write || !d->ops.inject ||
        (!host_owned && !d->ops.translate))
        return -EINVAL;
    d->ctx = ctx;
    d->log.fn = d->ops.log;
    d->log.ctx = ctx;

    view = read_function(d, head);
    if (view == 0)
        return failed(d, -1, "init: reading the function's first 64 bytes", -EIO);
    /* software masking where the host can hold a masked vector's messages:
     * host-owned messages always, a remap backend with the divert hook */
    rc = vmsix_mom_plan(
        d->cfg->shadow, view, opt,
        host_owned || d->ops.divert ? VMSIX_MASKING_SOFTWARE : VMSIX_MASKING_FUNCTION, &e, &d->lay);
    if (rc)
        return failed(d, -1, "init: the function or the options do not qualify", rc);
    if (d->lay.nvec > DEV_MAX_VEC)
        return failed(d, -1, "init: too many vectors", -ENOTSUP);
    d->lay_view = (uint16_t)view;
    d->phys.cfg_read = d->ops.cfg_read;
    d->phys.cfg_write = d->ops.cfg_write;
    d->phys.ctx = ctx;
    d->phys.log = &d->log;
    /* the function's mask bits when it has them (and vmsix may write
     * them), else the divert hook */
    if (!e.per_vector_mask && !host_owned)
        d->phys.divert = d->ops.divert;
    return 0;
}

/* The guest view in place in the model, the PM facts, the table; then the
 * marker. */
static int init_finish(struct vmsix_dev *d, struct vmsix_dev **out)
{
    struct vmsix_msix_params mp;
    size_t view = d->lay_view;
    int rc;

    rc = vmsix_mom_apply(d->cfg->shadow, view, &d->lay);
    if (!rc)
        rc = build_model(d, view);
    if (rc)
        return failed(d, -1, "init: building the guest view", rc);
    d->phys.guest_intx = dev_guest_intx_disabled(d); /* what the function had */
    for (unsigned i = 0; i < VMSIX_DEV_NBARS; i++)
        d->decode[i] = VMSIX_BAR_UNMAPPED; /* every virtual BAR reads address 0 */
    if (d->lay.pm_off) {                   /* what the function's PM registers say, once */
        uint32_t pmc = 0, pmcsr = 0;
        vmsix_cfg_peek(d->cfg, (uint16_t)(d->lay.pm_off + PCI_PM_PMC), 2, &pmc);
        vmsix_cfg_peek(d->cfg, (uint16_t)(d->lay.pm_off + PCI_PM_CTRL), 2, &pmcsr);
        d->pm_no_soft_reset = (pmcsr & PCI_PM_CTRL_NO_SOFT_RESET) != 0;
        d->pm_states = (uint16_t)((1u << PCI_PM_STATE_D0) | (1u << PCI_PM_STATE_D3HOT) |
                                  ((pmc & PCI_PM_CAP_D1) ? 1u << PCI_PM_STATE_D1 : 0) |
                                  ((pmc & PCI_PM_CAP_D2) ? 1u << PCI_PM_STATE_D2 : 0));
    }

    memset(&mp, 0, sizeof(mp));
    mp.nvec = d->lay.nvec;
    mp.table_off = d->lay.table_off;
    mp.pba_off = d->lay.pba_off;
    rc = vmsix_msix_init(d->msix_mem, sizeof(d->msix_mem), &mp, &dev_msix_ops, d, &d->msix);
    if (rc)
        return failed(d, -1, "init: the MSI-X table", rc);
    d->magic = DEV_MAGIC;
    *out = d;
    return 0;
}

int vmsix_dev_init(void *mem, size_t len, const struct vmsix_dev_params *p,
                   const struct vmsix_dev_ops *ops, void *ctx, struct vmsix_dev **out)
{
    struct vmsix_dev *d = mem;
    int rc;

    if (!p || !out || !p->backend || !p->backend->ops)
        return -EINVAL;
    rc = init_begin(d, len, &p->opt, ops, ctx, false);
    if (!rc)
        rc = vmsix_msi_phys_init(&d->phys, p->backend, &p->src, d->lay.msi_off, d->lay.addr64,
                                 d->lay.nvec);
    return rc ? rc : init_finish(d, out);
}

int vmsix_dev_init_hostmsg(void *mem, size_t len, const struct vmsix_hostmsg *hm,
                           const struct vmsix_dev_options *opt, const struct vmsix_dev_ops *ops,
                           void *ctx, struct vmsix_dev **out)
{
    struct vmsix_dev *d = mem;
    int rc;

    if (!hm || !hm->ops || !out)
        return -EINVAL;
    rc = init_begin(d, len, opt, ops, ctx, true);
    if (!rc)
        rc = vmsix_dev_hm_init(d, hm);
    return rc ? rc : init_finish(d, out);
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

/* The interrupt path is the one hot path of the device (every interrupt
 * of a passthrough function): a live vector goes straight to inject,
 * without the table's own checks and its deliver hop, which are
 * vmsix_msix_fire()'s for a live vector anyway; every other case is the
 * table's. */
#if defined(__GNUC__)
#define DEV_LIKELY(x) __builtin_expect(!!(x), 1)
#else
#define DEV_LIKELY(x) (x)
#endif

int vmsix_dev_irq(struct vmsix_dev *d, uint16_t vec)
{
    if (!dev_ok(d) || vec >= d->lay.nvec)
        return -EINVAL;
    if (DEV_LIKELY(vmsix_msix_live(d->msix, vec))) {
        d->ops.inject(d->ctx, vec, vmsix_msix_msg(d->msix, vec));
        return 1;
    }
    return vmsix_msix_fire(d->msix, vec);
}

void vmsix_dev_guest_reset(struct vmsix_dev *d)
{
    uint32_t mc = 0, cmd = 0;

    vmsix_cfg_peek(d->cfg, dev_msix_ctrl_reg(d), 2, &mc);
    vmsix_cfg_poke(d->cfg, dev_msix_ctrl_reg(d), 2,
                   mc & ~(uint32_t)(VMSIX_MSIX_CTRL_ENABLE | VMSIX_MSIX_CTRL_FMASK));
    vmsix_dev_bars_reset(d);
    vmsix_cfg_peek(d->cfg, PCI_COMMAND, 2, &cmd);
    vmsix_cfg_poke(d->cfg, PCI_COMMAND, 2, cmd & ~(uint32_t)DEV_CMD_GUEST);
}

int vmsix_dev_reset(struct vmsix_dev *d)
{
    int ret;

    if (!dev_ok(d))
        return -EINVAL;
    /* the vectors go inactive (masked, cleared) before the block goes */
    vmsix_msix_reset(d->msix);
    ret = vmsix_dev_phys_teardown(d);
    vmsix_dev_guest_reset(d);
    vmsix_dev_sync_decode(d); /* the virtual BARs decode nowhere now */
    return vmsix_first_error(ret, vmsix_msi_phys_set_guest_intx(&d->phys, false));
}

int vmsix_dev_teardown(struct vmsix_dev *d)
{
    int ret;

    if (!dev_ok(d))
        return -EINVAL;
    ret = vmsix_dev_reset(d);
    /* a block the backend still holds keeps the device alive, so that
     * teardown can be asked again and nothing leaks */
    if (!d->phys.blk_held)
        d->magic = 0;
    return ret;
}

struct vmsix_cfg *vmsix_dev_cfgspace(struct vmsix_dev *d)
{
    return dev_ok(d) ? d->cfg : NULL;
}

int vmsix_dev_get_state(const struct vmsix_dev *d, struct vmsix_dev_state *out)
{
    const struct vmsix_msi_phys *p;

    if (!dev_ok(d) || !out)
        return -EINVAL;
    p = &d->phys;
    memset(out, 0, sizeof(*out));
    out->msi_off = d->lay.msi_off;
    out->nvec = d->lay.nvec;
    out->table_bar = d->lay.slot;
    out->bar_size = d->lay.bar_size;
    out->phys_enabled = p->on;
    out->block_held = p->blk_held;
    if (p->on || p->blk_held)
        out->block = p->blk;
    if (p->on)
        out->phys_msg = p->msg;
    out->mask = p->mask;
    out->active = p->active;
    if (d->host_owned) { /* no block and no message of vmsix's: what is routed */
        out->phys_enabled = d->hm.on;
        out->active = d->hm.routed;
        out->mask = ~d->hm.routed;
    }
    return 0;
}
