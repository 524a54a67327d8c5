/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The composed device's test world, shared by tests/unit/test_msix_on_msi.c
 * and tests/fuzz/fuzz_device.c: a simulated function (examples/sim) with
 * real MSI behaviour, a real remapping unit with its tables and its
 * reference decoder (VT-d, AMD-Vi with 32-bit or 128-bit entries, or the
 * GICv3-ITS-like unit of its_ref.h with its doorbell behind an IOMMU
 * through the MSI doorbell window: set dw_backend before world_init()), a
 * counting backend shim that can fail any call (fault injection) and
 * checks the DESIGN 4.3 order, the
 * hypervisor's hooks with an isolation policy, and check_invariants(), the
 * isolation invariants checked against the physical registers and the
 * tables. Or, instead of a remapping unit (DW_HOSTMSG), a host that owns
 * the function's messages (vmsix_dev_init_hostmsg(): VFIO + KVM, modelled
 * by hostmsg_model.h, failing through the same fault injection), and the
 * invariants of software masking by the host.
 *
 * Include it once per program, after defining DW_FAIL(fmt, ...) (how a
 * broken invariant is reported; it must not return) and, optionally, NENT
 * (the entries of the VT-d table and of each AMD-Vi table, default 256).
 */
#ifndef VMSIX_TESTS_DEV_WORLD_H
#define VMSIX_TESTS_DEV_WORLD_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vmsix/vmsix.h>

#include "doorbell_model.h"
#include "hostmsg_model.h"
#include "its_ref.h"
#include "oracle.h"
#include "simfn.h"

#ifndef DW_FAIL
#error "define DW_FAIL(fmt, ...) before including dev_world.h"
#endif

#define DW_CHECK(cond)                                                                             \
    do {                                                                                           \
        if (!(cond))                                                                               \
            DW_FAIL("%s:%d: %s", __FILE__, __LINE__, #cond);                                       \
    } while (0)

#define DW_CHECK_EQ(a, b)                                                                          \
    do {                                                                                           \
        unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b);             \
        if (a_ != b_)                                                                              \
            DW_FAIL("%s:%d: %s == %s: %#llx != %#llx", __FILE__, __LINE__, #a, #b, a_, b_);        \
    } while (0)

#define RID 0x0310u /* 03:02.0 */
#ifndef NENT
#define NENT 256u /* VT-d table entries; AMD-Vi: entries of each table */
#endif
#define RID2 0x0318u  /* 03:03.0, AMD-Vi: a neighbour with a table of its own */
#define DW_NDTE 1024u /* AMD-Vi: DTEs of the device table (RID and RID2 below it) */
#define DW_AMD_RESERVED 5 /* AMD-Vi: entries 0..4 of RID's table, the host's */

/* The remapping unit under the device, chosen before world_init(). */
enum dw_backend {
    DW_VTD,      /* VT-d, xAPIC */
    DW_AMDVI,    /* AMD-Vi, 32-bit entries */
    DW_AMDVI_GA, /* AMD-Vi, 128-bit entries (GAEn), xAPIC destinations */
    DW_ITS,      /* the GICv3-ITS-like unit (its_ref.h): data index, doorbell behind an IOMMU */
    DW_HOSTMSG,  /* no unit: the host owns the messages (hostmsg.h, hostmsg_model.h) */
};
static enum dw_backend dw_backend = DW_VTD;
#define HOST_VEC0 0x40u  /* host vector of guest vector k: 0x40 + k */
#define NCPU 4u          /* the guest's CPUs: APIC IDs 0..3, host APIC IDs 8..11 */
#define POOL_RESERVED 16 /* entries 0..15: the host's IOAPIC */
/* ITS: the MSI doorbell window, in IOVA space below the guest's RAM (QEMU
 * virt: RAM at 1 GiB), of DW_WIN_SLOTS granules; the granule is chosen
 * before world_init() (4, 16 or 64 KiB) */
#define DW_WIN_BASE 0x0a000000ull
#define DW_WIN_SLOTS 2u
#define DW_RAM_BASE 0x40000000ull
#define DW_RAM_LEN 0x40000000ull
#define DW_HOST_DOORBELL 0x2f000000ull /* ITS: another doorbell the host maps in the window */
static uint64_t dw_its_granule = 0x10000;
/* ITS: the host holds this many other doorbell pages in the window before
 * the device is made (DW_WIN_SLOTS: the window is full) */
static unsigned dw_its_host_pages;
/* DW_HOSTMSG: the host has no reset operation (vmsix writes the guest's FLR
 * to the function itself) */
static bool dw_hostmsg_no_reset;
/* DW_HOSTMSG: the function's MSI as the host programs it (a remappable
 * address, handle 16 with SHV; the data is the subhandle, message k) */
#define DW_HM_ADDR 0xfee00218u

struct world {
    struct simfn fn;
    enum dw_backend kind;
    uint64_t *table; /* VT-d: the table */
    unsigned char unit_mem[4096] __attribute__((aligned(8)));
    unsigned char pool_mem[65536] __attribute__((aligned(8)));
    struct vmsix_vtd_unit *unit;
    struct vmsix_irte_pool *pool; /* the device's index space (AMD-Vi: RID's table's) */
    struct vmsix_remap vtd;       /* VT-d: the real backend */
    /* AMD-Vi */
    uint64_t *dev_table;        /* DW_NDTE DTEs */
    void *amd_table, *amd_table2; /* RID's and RID2's tables */
    uint64_t dte_q2[2];           /* RID's and RID2's DTE interrupt qwords as written */
    uint64_t cw_sem;              /* the COMPLETION_WAIT semaphore */
    unsigned char amd_unit_mem[1024] __attribute__((aligned(8)));
    struct vmsix_amdvi_unit *amd;
    struct vmsix_remap amdvi; /* AMD-Vi: the real backend */
    /* ITS */
    struct its_unit its;
    struct dbm_iommu iommu; /* the IOMMU the window maps through */
    unsigned char win_mem[256] __attribute__((aligned(8)));
    struct vmsix_doorbell *win;
    uint64_t host_db_iova[DW_WIN_SLOTS]; /* the host's own doorbell pages */
    char oplog[64]; /* ITS: the order of setup and teardown steps (dw_oplog) */
    unsigned oplen;
    struct vmsix_remap real;  /* the real backend of this world (vtd or amdvi) */
    uint32_t real_caps;       /* its caps flags */
    struct vmsix_remap_ops shim; /* counting (and failing) wrapper around it */
    struct vmsix_remap backend;
    /* DW_HOSTMSG: the host (VFIO + KVM) */
    struct hmm hm;
    struct vmsix_hostmsg_ops hm_ops;
    struct vmsix_hostmsg hm_backend;
    int hm_irq_vec;              /* the vector of the vmsix_dev_irq() running (dw_irq), or -1 */
    unsigned long hm_extra;      /* injections nothing was owed for (hmm_delivered) */
    unsigned long hm_translates; /* translate or divert called */
    unsigned long hm_msi_writes; /* vmsix's config writes into the function's MSI capability */
    struct vmsix_dev *dev;
    unsigned char *dev_mem;
    uint32_t pool_free0;
    /* fault injection over hooks and backend operations */
    unsigned long calls, fail_at;
    unsigned release_refusals; /* the next n releases fail */
    unsigned long hooks;       /* calls of every hook and backend operation */
    /* what the guest received: per guest vector */
    unsigned long injected[32];
    unsigned long diverted[32]; /* nomask: messages the unit sent to vector k's divert target */
    uint32_t last_guest_data[32];
    uint32_t last_guest_addr[32];
    unsigned long faults, bad_deliveries;
    uint64_t bar_addr;              /* where the host traps the table BAR (bar_moved) */
    uint64_t bar_at[VMSIX_DEV_NBARS]; /* where it maps each virtual BAR (bar_moved) */
    unsigned long bar_writes;       /* cfg writes that reached a BAR or the ROM of the function */
    unsigned table_slot;            /* the table BAR's slot */
    unsigned long bar_violations;   /* a bar_moved report that did not follow the last one */
    unsigned nvec;                  /* the device's vectors (after init) */
    unsigned stale;                 /* DW_REG_*: the function refused the last write of these */
    unsigned long range_violations; /* a hook or backend call with a vector out of range */
    struct vmsix_dev_params dp;     /* what the device was made with */
    unsigned long misaligned;       /* cfg hook calls off their contract (alignment, size) */
    unsigned long logs;             /* lines the device logged */
    bool posted_mode;               /* made with dw_posted */
    unsigned long posted[32];       /* posted_mode: interrupts the unit posted, per vector */
    uint8_t posted_vector[32];      /* and the guest vector and descriptor of the last one */
    uint64_t posted_pd[32];
    char last_log[160];             /* the last of them */
};

/* Options of the next world's device (zero: the defaults). */
static struct vmsix_dev_options dw_opt;
/* The next world's function is conventional PCI with Advanced Features
 * (simfn_init_af) instead of PCI Express. */
static bool dw_af_layout;
/* The next world's VT-d unit is x2APIC with posted interrupts, and translate
 * gives posted targets: the guest vector, to a posted-interrupt descriptor
 * per guest CPU (PD_BASE + 64 * cpu). */
static bool dw_posted;
#define PD_BASE 0x7f000000u
/* The next world's function has no per-vector mask bits
 * (simfn_drop_mask_bits): vmsix masks in software through the host's
 * divert hook, whose target for vector k is host vector DIVERT_VEC0 + k
 * (its handler calls vmsix_dev_irq(k), which pends it). On a unit without
 * VMSIX_REMAP_CAP_LIVE_SWITCH (the ITS-like one) the device is refused. */
static bool dw_nomask;
#define DIVERT_VEC0 0x80u
#define DIVERT_DEST 8u

static struct world W;

static bool inject_fault(void)
{
    return ++W.calls == W.fail_at;
}

/* ---- the backend shim ---- */

/* The physical registers vmsix writes (struct world.stale). */
#define DW_REG_CMD 0x1u  /* Command */
#define DW_REG_CTRL 0x2u /* MSI Message Control */
#define DW_REG_MSG 0x4u  /* MSI address and data */
#define DW_REG_MASK 0x8u /* MSI Mask Bits */

/* ITS: note a step of setup or teardown (R reserve, C compose, M
 * doorbell_map, A the MSI address written, U doorbell_unmap, L release);
 * the last 63 are kept. */
static void dw_oplog(char c)
{
    if (W.oplen == sizeof(W.oplog) - 1) {
        memmove(W.oplog, W.oplog + 1, W.oplen - 1);
        W.oplen--;
    }
    W.oplog[W.oplen++] = c;
    W.oplog[W.oplen] = 0;
}

static bool dw_its(void)
{
    return W.kind == DW_ITS;
}

static int max_order_cap = -1; /* >= 0: the backend says its blocks are at most this order */
static long dw_force_dest = -1; /* >= 0: translate gives this host destination */

static int s_caps(void *c, struct vmsix_remap_caps *caps)
{
    W.hooks++;
    (void)c;
    if (inject_fault())
        return -EIO;
    int rc = W.real.ops->caps(W.real.ctx, caps);
    if (max_order_cap >= 0)
        caps->max_order = (uint8_t)max_order_cap;
    return rc;
}
static unsigned long order_violations;

static int s_reserve(void *c, const struct vmsix_remap_source *src, uint32_t n, uint32_t a,
                     struct vmsix_remap_block *b)
{
    W.hooks++;
    (void)c;
    /* remap.h: with CAP_DATA_INDEX the device replaces the low bits of the
     * data, so it must ask for a block aligned to its size (the pool would
     * align it anyway: the request is what is checked) */
    if ((W.real_caps & VMSIX_REMAP_CAP_DATA_INDEX) && a < n)
        order_violations++;
    if (dw_its())
        dw_oplog('R');
    return inject_fault() ? -ENOSPC : W.real.ops->reserve(W.real.ctx, src, n, a, b);
}
static bool composed; /* compose() succeeded for the block reserved now */
static int s_release(void *c, struct vmsix_remap_block *b)
{
    W.hooks++;
    (void)c;
    if (W.release_refusals) { /* a backend that keeps refusing */
        W.release_refusals--;
        return -EIO;
    }
    if (dw_its()) {
        dw_oplog('L');
        /* remap.h: the doorbell is unmapped before the block goes */
        if (its_db_of(&W.its, b))
            order_violations++;
    }
    if (inject_fault())
        return -EIO;
    int rc = W.real.ops->release(W.real.ctx, b);
    if (rc == 0)
        composed = false;
    return rc;
}
/* The order of DESIGN 4.3: an entry is programmed or cleared only while
 * its vector is masked at the function (or MSI is off there). */
static bool masked_at_function(uint32_t k)
{
    uint32_t mc = 0, mask = 0;
    for (unsigned i = 0; i < 2; i++)
        mc |= (uint32_t)W.fn.cfg[W.fn.msi_off + 2 + i] << (8 * i);
    for (unsigned i = 0; i < 4; i++)
        mask |= (uint32_t)W.fn.cfg[simfn_msi_mask_reg(&W.fn) + i] << (8 * i);
    return !(mc & 1) || (mask & (1u << k));
}

static bool msi_enabled_at_function(void)
{
    return W.fn.cfg[W.fn.msi_off + 2] & 1;
}

static bool mask_write_failed; /* the last write of the mask register failed */

/* A fault fired in this world before the one armed now, as a caller that
 * arms faults again and again (fuzz-device) records it; reset by
 * world_init(). */
static bool dw_fault_seen;

/* Has an injected fault happened in this world yet (a hook, a backend
 * operation, or the function refusing an access)? */
static bool dw_faulted(void)
{
    return dw_fault_seen || (W.fail_at && W.calls >= W.fail_at) ||
           (W.fn.fail_at && W.fn.calls >= W.fn.fail_at);
}

static int s_program(void *c, const struct vmsix_remap_block *b, uint32_t k,
                     const struct vmsix_remap_target *t, uint32_t f)
{
    W.hooks++;
    (void)c;
    if (k >= b->count || k >= W.nvec) {
        W.range_violations++;
        return -EINVAL;
    }
    /* with mask bits: quiesced, under the mask; without: a live switch
     * (never "quiesced" while the function can send) */
    if (W.fn.pvm ? !masked_at_function(k) || !(f & VMSIX_REMAP_PROG_QUIESCED)
                 : (f & VMSIX_REMAP_PROG_QUIESCED) && msi_enabled_at_function())
        order_violations++;
    return inject_fault() ? -EIO : W.real.ops->program(W.real.ctx, b, k, t, f);
}
static int s_clear(void *c, const struct vmsix_remap_block *b, uint32_t k)
{
    W.hooks++;
    (void)c;
    if (k >= b->count) {
        W.range_violations++;
        return -EINVAL;
    }
    /* (after a failed mask write, clearing anyway is the safe fallback;
     * without mask bits, an entry is cleared while the function can send
     * only as the last resort after a failure) */
    if (W.fn.pvm ? !masked_at_function(k) && !mask_write_failed
                 : msi_enabled_at_function() && !dw_faulted())
        order_violations++;
    /* a failing backend: the entry is not present anyway (remap.h) */
    int rc = W.real.ops->clear(W.real.ctx, b, k);
    return inject_fault() ? -EIO : rc;
}
static int s_invalidate(void *c, const struct vmsix_remap_block *b, uint32_t f, uint32_t n)
{
    W.hooks++;
    (void)c;
    if (n == 0 || f >= b->count || n > b->count - f) {
        W.range_violations++;
        return -EINVAL;
    }
    if (inject_fault()) {
        /* a failing unit: the real backend's contract is to leave the range
         * not present; do what it does when its hook times out */
        for (uint32_t k = f; k < f + n; k++)
            W.real.ops->clear(W.real.ctx, b, k);
        return -ETIMEDOUT;
    }
    return W.real.ops->invalidate(W.real.ctx, b, f, n);
}
static int s_compose(void *c, const struct vmsix_remap_block *b, struct vmsix_msg *m)
{
    W.hooks++;
    (void)c;
    if (dw_its())
        dw_oplog('C');
    if (inject_fault())
        return -EIO;
    int rc = W.real.ops->compose(W.real.ctx, b, m);
    composed = composed || rc == 0;
    return rc;
}
static int s_doorbell_map(void *c, const struct vmsix_remap_block *b, struct vmsix_msg *m)
{
    W.hooks++;
    (void)c;
    dw_oplog('M');
    /* DESIGN 4.3: compose, then doorbell_map, then the address is written
     * and MSI enabled (a refused Message Control write of an earlier
     * teardown may have left Enable set: vmsix cannot clear it either, and
     * every vector stays masked until the new address is written) */
    if (!composed || (msi_enabled_at_function() && !(W.stale & DW_REG_CTRL)))
        order_violations++;
    if (inject_fault())
        return -EIO;
    return W.real.ops->doorbell_map ? W.real.ops->doorbell_map(W.real.ctx, b, m) : -ENOTSUP;
}
static int s_doorbell_unmap(void *c, const struct vmsix_remap_block *b)
{
    W.hooks++;
    (void)c;
    dw_oplog('U');
    /* teardown: MSI off at the function and every entry of the block
     * cleared before the doorbell goes (a refused Message Control write
     * leaves MSI Enable as it was: the entries are what counts then) */
    if (dw_its()) {
        struct its_table *t = its_blk_table(&W.its, b);
        if (!t)
            W.range_violations++;
        for (uint32_t k = 0; t && k < b->count; k++)
            if (t->ite[b->base + k].valid)
                order_violations++;
    }
    if (msi_enabled_at_function() && !(W.stale & DW_REG_CTRL))
        order_violations++;
    /* a failing backend: the mapping is gone anyway (as for clear) */
    int rc = W.real.ops->doorbell_unmap ? W.real.ops->doorbell_unmap(W.real.ctx, b) : -ENOTSUP;
    return inject_fault() ? -EIO : rc;
}

/* ---- host-owned messages: the host's operations (DW_HOSTMSG) ---- */

/* The step under check may lose what the host held (it disabled MSI-X,
 * reset or tore down the device: hostmsg.h's disable drops held messages),
 * or the device's pending bits (a reset). Set by the caller for the step,
 * cleared by check_invariants(). */
static bool dw_hm_held_loss_ok, dw_hm_pend_loss_ok;

/* The host writes the function's MSI itself (VFIO), not through vmsix's
 * hooks: no fault of the function's config accesses applies. */
static void dw_hm_fn_write(uint16_t off, unsigned size, uint32_t val)
{
    unsigned long calls = W.fn.calls, fail_at = W.fn.fail_at;

    W.fn.fail_at = 0;
    DW_CHECK_EQ(simfn_cfg_write(&W.fn, off, size, val), 0);
    W.fn.calls = calls;
    W.fn.fail_at = fail_at;
}

static void dw_hm_fn_msi(bool on, uint32_t nvec)
{
    uint32_t mc = (uint32_t)W.fn.cfg[W.fn.msi_off + 2] | (uint32_t)W.fn.cfg[W.fn.msi_off + 3] << 8;
    unsigned mme = 0;

    while ((1u << mme) < nvec)
        mme++;
    mc &= ~0x71u;
    if (on) {
        dw_hm_fn_write((uint16_t)(W.fn.msi_off + 4), 4, DW_HM_ADDR);
        if (W.fn.addr64)
            dw_hm_fn_write((uint16_t)(W.fn.msi_off + 8), 4, 0);
        dw_hm_fn_write(simfn_msi_data_reg(&W.fn), 2, 0);
        mc |= (mme << 4) | 1u;
    }
    dw_hm_fn_write((uint16_t)(W.fn.msi_off + 2), 2, mc);
}

static int s_hm_enable(void *c, uint32_t nvec)
{
    (void)c;
    W.hooks++;
    int rc = hmm_enable(&W.hm, nvec, 1u << W.fn.mmc, inject_fault());
    if (rc == 0) /* VFIO_DEVICE_SET_IRQS: the host programs the function */
        dw_hm_fn_msi(true, nvec);
    return rc;
}

static int s_hm_disable(void *c)
{
    (void)c;
    W.hooks++;
    int rc = hmm_disable(&W.hm, inject_fault());
    dw_hm_fn_msi(false, 0); /* gone whatever it returns */
    return rc;
}

static int s_hm_route(void *c, uint32_t k, const struct vmsix_msg *msg)
{
    (void)c;
    W.hooks++;
    return hmm_route(&W.hm, k, msg, inject_fault());
}

static int s_hm_unroute(void *c, uint32_t k)
{
    (void)c;
    W.hooks++;
    return hmm_unroute(&W.hm, k, inject_fault());
}

static int s_hm_take(void *c, uint32_t k)
{
    (void)c;
    W.hooks++;
    return hmm_take(&W.hm, k, inject_fault());
}

/* VFIO_DEVICE_RESET: the function's FLR, by the host. */
static int s_hm_reset(void *c)
{
    (void)c;
    W.hooks++;
    int rc = hmm_reset(&W.hm, inject_fault());
    if (rc == 0 && W.fn.exp_off)
        dw_hm_fn_write((uint16_t)(W.fn.exp_off + 8), 2, 0x8000);
    else if (rc == 0 && W.fn.af_off)
        dw_hm_fn_write((uint16_t)(W.fn.af_off + 4), 1, 0x01);
    return rc;
}

static bool dw_hostmsg(void)
{
    return W.kind == DW_HOSTMSG;
}

/* vmsix_dev_irq(k) as the host calls it; for DW_HOSTMSG, a vector it
 * leaves pending is owed one delivery, and a live one's injection is its
 * own (not a pending state's). */
static inline int dw_irq(uint16_t k)
{
    W.hm_irq_vec = k;
    int rc = vmsix_dev_irq(W.dev, k);
    W.hm_irq_vec = -1;
    if (dw_hostmsg() && rc == 0 && k < HMM_MAXV)
        hmm_pended(&W.hm, k);
    return rc;
}

/* ---- the unit's entries, whatever the backend ---- */

/* One entry of the device's index space, as the unit holds it. */
struct dw_entry {
    bool present;  /* VT-d Present, AMD-Vi RemapEn */
    bool zero;     /* every bit 0 */
    bool src_ok;   /* VT-d: SVT 1, SQ 0, RID; AMD-Vi: the table is RID's */
    bool plain;    /* decodes cleanly, remapped format, physical, no flags vmsix never sets */
    uint8_t vector;
    uint32_t dest; /* the APIC ID */
    uint8_t delivery;
    bool posted;  /* VT-d posted format (a posted_mode world) */
    uint64_t pda; /* its descriptor */
    bool urgent;
};

static bool dw_amd(void)
{
    return W.kind == DW_AMDVI || W.kind == DW_AMDVI_GA;
}

static void dw_entry_read(uint32_t i, struct dw_entry *e)
{
    uint64_t raw[2];

    memset(e, 0, sizeof(*e));
    if (dw_hostmsg()) { /* no unit: the host's entries are its own */
        e->zero = true;
        return;
    }
    if (dw_its()) {
        /* RID's event table (the unit indexes by DeviceID): an event maps
         * to an LPI (the host vector) and a collection (the destination);
         * it has no delivery mode (fixed) */
        const struct its_ite *t = &W.its.t[0].ite[i];
        e->zero = !t->valid && !t->lpi && !t->icid;
        e->present = t->valid;
        e->plain = true;
        e->src_ok = true;
        e->vector = (uint8_t)t->lpi;
        e->dest = t->icid;
        if (t->lpi > 0xff)
            e->plain = false;
        return;
    }
    if (!dw_amd()) {
        struct vmsix_vtd_irte f;
        DW_CHECK_EQ(vmsix_vtd_irte_read(W.unit, i, raw), 0);
        e->zero = !raw[0] && !raw[1];
        e->present = raw[0] & 1;
        if (!e->present)
            return;
        /* remapped entries in xAPIC mode (the destination in bits 15:8 of
         * the field), posted ones only in a posted_mode world (x2APIC) */
        /* (without mask bits, a posted world's divert targets are remapped) */
        e->plain = vmsix_vtd_irte_decode(raw, &f) == 0 &&
                   (f.posted == W.posted_mode ||
                    (!W.fn.pvm && !f.posted && f.vector >= DIVERT_VEC0)) &&
                   !f.dest_logical && !f.redir_hint && !f.level && !f.fpd && !f.avail &&
                   (W.posted_mode || !(f.dest & ~0xff00u));
        e->src_ok = f.svt == VMSIX_VTD_SVT_RID && f.sq == VMSIX_VTD_SQ_ALL && f.sid == RID;
        e->vector = f.vector;
        e->dest = W.posted_mode ? f.dest : f.dest >> 8;
        e->delivery = f.delivery;
        e->posted = f.posted;
        e->pda = f.pda;
        e->urgent = f.urgent;
    } else {
        struct vmsix_amdvi_irte f;
        int rc;
        DW_CHECK_EQ(vmsix_amdvi_irte_read(W.amd, RID, i, raw), 0);
        e->zero = !raw[0] && !raw[1];
        e->present = raw[0] & 1;
        if (!e->present)
            return;
        rc = W.kind == DW_AMDVI_GA ? vmsix_amdvi_irte128_decode(raw, &f)
                                   : vmsix_amdvi_irte32_decode((uint32_t)raw[0], &f);
        e->plain = rc == 0 && !f.guest_mode && !f.dm && !f.rq_eoi && !f.sup_iopf && !f.ga_tag;
        e->src_ok = true; /* RID's own table: the unit indexes by DeviceID */
        e->vector = f.vector;
        e->dest = f.dest;
        e->delivery = f.int_type;
    }
}

static bool dw_entry_present(uint32_t i)
{
    struct dw_entry e;

    dw_entry_read(i, &e);
    return e.present;
}

/* The message the backend composes for a block at @base. */
/* ITS: the IOVA at which the IOMMU maps GITS_TRANSLATER, or 0 (there is
 * at most one such mapping: the window maps a page once). */
static uint64_t dw_its_doorbell_iova(void)
{
    uint64_t found = 0;
    unsigned n = 0;

    for (unsigned i = 0; i < W.iommu.n; i++) {
        if (ITS_TRANSLATER - W.iommu.phys[i] < W.iommu.size[i]) {
            found = W.iommu.iova[i] + (ITS_TRANSLATER - W.iommu.phys[i]);
            n++;
        }
    }
    if (n > 1)
        DW_FAIL("the doorbell is mapped %u times", n);
    return found;
}

static struct vmsix_msg dw_compose(uint32_t base)
{
    struct vmsix_msg m = {0, 0};

    if (dw_its()) {
        m.addr = dw_its_doorbell_iova();
        m.data = base;
    } else if (!dw_amd())
        vmsix_vtd_msi_compose((uint16_t)base, &m);
    else
        DW_CHECK_EQ(vmsix_amdvi_msi_compose(base, W.kind == DW_AMDVI_GA ? VMSIX_AMDVI_GA : 0, &m),
                    0);
    return m;
}

/* Every entry of every table of the world is zero (nothing left behind),
 * and the DTEs are as the host wrote them. */
static bool dw_tables_zero(void)
{
    if (dw_hostmsg()) /* the host holds no vector and no route */
        return !W.hm.enabled && !W.hm.routed && !hmm_held_bits(&W.hm);
    if (dw_its()) {
        for (unsigned i = 0; i < NENT; i++)
            if (W.its.t[0].ite[i].valid || W.its.t[0].ite[i].lpi || W.its.t[0].ite[i].icid)
                return false;
        return dw_its_doorbell_iova() == 0; /* and the doorbell unmapped */
    }
    if (!dw_amd()) {
        for (unsigned i = 0; i < NENT * 2; i++)
            if (W.table[i])
                return false;
        return true;
    }
    size_t len = NENT * (W.kind == DW_AMDVI_GA ? 16u : 4u);
    for (size_t i = 0; i < len; i++)
        if (((unsigned char *)W.amd_table)[i])
            return false;
    return true;
}

/* The neighbour's table and the DTEs: never touched by the backend. */
static void dw_check_untouched(const char *when)
{
    if (dw_hostmsg()) {
        /* the host owns the function's MSI: vmsix never writes it, never
         * translates or diverts; the host's contract is kept */
        if (W.hm_msi_writes)
            DW_FAIL("%s: vmsix wrote the function's MSI capability %lu times", when,
                    W.hm_msi_writes);
        if (W.hm_translates)
            DW_FAIL("%s: translate or divert called %lu times with host-owned messages", when,
                    W.hm_translates);
        if (W.hm.violations)
            DW_FAIL("%s: %lu host operations off hostmsg.h's contract, first: %s", when,
                    W.hm.violations, W.hm.why);
        if (W.hm_extra)
            DW_FAIL("%s: %lu injections with nothing pending (more than one per masked period)",
                    when, W.hm_extra);
        return;
    }
    if (dw_its()) {
        struct its_ite zero;
        memset(&zero, 0, sizeof(zero));
        for (unsigned i = 0; i < NENT; i++)
            if (memcmp(&W.its.t[1].ite[i], &zero, sizeof(zero)))
                DW_FAIL("%s: the neighbour's event table was written", when);
        /* the host's own doorbell pages stay mapped where they were */
        for (unsigned i = 0; i < dw_its_host_pages; i++) {
            uint64_t phys = 0;
            if (dbm_iommu_translate(&W.iommu, W.host_db_iova[i], &phys) ||
                phys != DW_HOST_DOORBELL + i * dw_its_granule)
                DW_FAIL("%s: the host's doorbell page %u was unmapped", when, i);
        }
        if (W.iommu.violations)
            DW_FAIL("%s: %lu IOMMU hook calls off their contract", when, W.iommu.violations);
        return;
    }
    if (!dw_amd())
        return;
    size_t len = NENT * (W.kind == DW_AMDVI_GA ? 16u : 4u);
    for (size_t i = 0; i < len; i++)
        if (((unsigned char *)W.amd_table2)[i])
            DW_FAIL("%s: the neighbour's table was written", when);
    if (W.dev_table[RID * 4 + 2] != W.dte_q2[0] || W.dev_table[RID2 * 4 + 2] != W.dte_q2[1])
        DW_FAIL("%s: a DTE was written", when);
}

/* ---- host hooks ---- */


static unsigned dw_regs_of(uint16_t off, unsigned size)
{
    unsigned r = 0, m = W.fn.msi_off, mask = simfn_msi_mask_reg(&W.fn);

    if (off < 0x06 && off + size > 0x04)
        r |= DW_REG_CMD;
    if (off < m + 4 && off + size > m + 2)
        r |= DW_REG_CTRL;
    if (off < mask && off + size > m + 4)
        r |= DW_REG_MSG;
    if (off < mask + 4 && off + size > mask)
        r |= DW_REG_MASK;
    return r;
}

/* A failed read fails the read-modify-write vmsix was doing too. */
/* The hooks' contract: 1, 2 or 4 bytes, naturally aligned, inside the
 * function's configuration space. */
static void dw_check_access(uint16_t off, unsigned size)
{
    if ((size != 1 && size != 2 && size != 4) || off % size || off + size > 4096)
        W.misaligned++;
}

static int h_cfg_read(void *c, uint16_t off, unsigned size, uint32_t *val)
{
    W.hooks++;
    dw_check_access(off, size);
    (void)c;
    int rc = simfn_cfg_read(&W.fn, off, size, val);
    if (rc)
        W.stale |= dw_regs_of(off, size);
    return rc;
}

/* Is config byte @b in a BAR or the ROM register that the host did not
 * opt in to pass through? No guest value may ever reach it. */
static bool dw_virtual_bar_byte(unsigned b)
{
    unsigned i;

    if (b >= 0x30 && b < 0x34)
        return !W.dp.opt.bars[VMSIX_DEV_ROM].passthrough;
    if (b < 0x10 || b >= 0x28)
        return false;
    i = (b - 0x10) / 4;
    return !W.dp.opt.bars[i].passthrough && !(i > 0 && W.dp.opt.bars[i - 1].passthrough &&
                                              W.dp.opt.bars[i - 1].kind == VMSIX_BAR_MEM64);
}

static int h_cfg_write(void *c, uint16_t off, unsigned size, uint32_t val)
{
    W.hooks++;
    dw_check_access(off, size);
    for (unsigned b = off; b < off + size; b++)
        if (dw_virtual_bar_byte(b))
            W.bar_writes++;
    /* host-owned messages: the function's MSI capability is the host's
     * (to its last register: the data, or the pending bits) */
    if (dw_hostmsg()) {
        unsigned end = W.fn.pvm ? simfn_msi_mask_reg(&W.fn) + 8u : simfn_msi_data_reg(&W.fn) + 2u;
        if (off < end && off + size > W.fn.msi_off)
            W.hm_msi_writes++;
    }
    struct vmsix_dev_state st;

    (void)c;
    /* an unmask at the function only for a present (programmed) entry */
    if (W.dev && off == simfn_msi_mask_reg(&W.fn) && size == 4 &&
        vmsix_dev_get_state(W.dev, &st) == 0 && st.phys_enabled) {
        uint32_t old = 0;
        for (unsigned i = 0; i < 4; i++)
            old |= (uint32_t)W.fn.cfg[off + i] << (8 * i);
        for (uint32_t k = 0; k < 32; k++) {
            if (!((old & ~val) & (1u << k)))
                continue;
            if (st.block.base + k >= NENT || !dw_entry_present(st.block.base + k))
                order_violations++;
        }
    }
    /* ITS: the address written is one the IOMMU maps to the doorbell
     * (doorbell_map came first); the window is below 4 GiB */
    if (dw_its() && off == W.fn.msi_off + 4) {
        uint64_t phys = 0;
        dw_oplog('A');
        if (size != 4 || dbm_iommu_translate(&W.iommu, val, &phys) || phys != ITS_TRANSLATER)
            order_violations++;
    }
    int rc = simfn_cfg_write(&W.fn, off, size, val);
    if (off == simfn_msi_mask_reg(&W.fn))
        mask_write_failed = rc != 0;
    /* a register the function refused to write holds what it held: the
     * invariants about it wait for the next successful write */
    unsigned regs = dw_regs_of(off, size);
    W.stale = rc ? W.stale | regs : W.stale & ~regs;
    return rc;
}

/* The hypervisor's policy: fixed or lowest priority, physical mode, to one
 * of this guest's CPUs; host vector 0x40 + k on the host CPU of that vCPU. */
static int h_translate(void *c, uint16_t vec, const struct vmsix_msg *g,
                       struct vmsix_remap_target *t)
{
    W.hooks++;
    uint32_t dest = (uint32_t)(g->addr >> 12) & 0xff, dm = (g->data >> 8) & 7;

    (void)c;
    if (dw_hostmsg())
        W.hm_translates++; /* the guest's message is the route: never translated */
    if (vec >= W.nvec) {
        W.range_violations++;
        return -EINVAL;
    }
    if (inject_fault())
        return -EPERM;
    if ((g->addr & 0xfff00000u) != 0xfee00000u || dest >= NCPU || dm > 1 || (g->addr & 4))
        return -EPERM;
    memset(t, 0, sizeof(*t));
    if (W.posted_mode) {
        t->posted = true;
        t->vector = g->data & 0xffu;
        t->pd_addr = PD_BASE + 64u * dest;
        return 0;
    }
    t->vector = HOST_VEC0 + vec;
    t->dest = dw_force_dest >= 0 ? (uint32_t)dw_force_dest : 8 + dest;
    t->delivery = (uint8_t)dm;
    return 0;
}

/* The host's divert target of vector k: host vector DIVERT_VEC0 + k, whose
 * handler (emit below) calls vmsix_dev_irq(k). */
static int h_divert(void *c, uint16_t vec, struct vmsix_remap_target *t)
{
    W.hooks++;
    (void)c;
    if (dw_hostmsg())
        W.hm_translates++; /* the host holds masked vectors itself */
    if (vec >= W.nvec) {
        W.range_violations++;
        return -EINVAL;
    }
    if (inject_fault())
        return -EIO;
    memset(t, 0, sizeof(*t));
    t->vector = DIVERT_VEC0 + vec;
    t->dest = DIVERT_DEST;
    return 0;
}

static void h_inject(void *c, uint16_t vec, const struct vmsix_msg *g)
{
    W.hooks++;
    (void)c;
    if (vec >= W.nvec) {
        W.range_violations++;
        return;
    }
    W.injected[vec]++;
    W.last_guest_data[vec] = g->data;
    W.last_guest_addr[vec] = (uint32_t)g->addr;
    /* host-owned messages: vmsix injects only what it took from the host
     * (or pended itself), once; a live vector's vmsix_dev_irq is apart */
    if (dw_hostmsg() && W.hm_irq_vec != (int)vec && !hmm_delivered(&W.hm, vec))
        W.hm_extra++;
}

/* The host's trap follows where the table BAR decodes; each report starts
 * from where the previous one left it. */
static void h_bar_moved(void *c, unsigned bar, uint64_t old_addr, uint64_t new_addr)
{
    W.hooks++;
    (void)c;
    if (bar >= VMSIX_DEV_NBARS || old_addr != W.bar_at[bar] || new_addr == old_addr) {
        W.bar_violations++;
        return;
    }
    W.bar_at[bar] = new_addr;
    if (bar == W.table_slot)
        W.bar_addr = new_addr;
}

/* vmsix's log: every failed step gets a line; keep the last one. */
static void h_log(void *c, int level, const char *msg)
{
    (void)c;
    DW_CHECK(level == VMSIX_LOG_ERR && msg && strncmp(msg, "vmsix: ", 7) == 0);
    W.logs++;
    strncpy(W.last_log, msg, sizeof(W.last_log) - 1);
}

static const struct vmsix_dev_ops dev_ops = {
    .size = sizeof(struct vmsix_dev_ops),
    .cfg_read = h_cfg_read,
    .cfg_write = h_cfg_write,
    .translate = h_translate,
    .inject = h_inject,
    .bar_moved = h_bar_moved,
    .log = h_log,
    .divert = h_divert,
};

/* The function's memory write reaches the unit: remap, then the host's
 * handler of that vector tells the device. */
static void emit(void *c, const struct vmsix_msg *m)
{
    unsigned vector;
    (void)c;
    if (dw_hostmsg()) {
        /* the host's vector k (the data is the subhandle): held by its
         * eventfd, or delivered by KVM with the route's message */
        if (m->addr != DW_HM_ADDR || m->data >= HMM_MAXV) {
            W.bad_deliveries++;
            return;
        }
        switch (hmm_message(&W.hm, m->data)) {
        case HMM_NOWHERE:
            W.faults++;
            break;
        case HMM_KVM:
            W.injected[m->data]++;
            W.last_guest_data[m->data] = W.hm.route[m->data].data;
            W.last_guest_addr[m->data] = (uint32_t)W.hm.route[m->data].addr;
            break;
        default: /* held; or stray, through a route an unroute failed to remove */
            break;
        }
        return;
    }
    if (dw_its()) {
        /* through the IOMMU to GITS_TRANSLATER, DeviceID RID, EventID = data */
        struct its_result r;
        if (its_resolve(&W.its, RID, m, &r) != 0) {
            W.faults++;
            return;
        }
        vector = r.lpi;
    } else if (!dw_amd()) {
        struct vmsix_vtd_result r;
        if (vmsix_vtd_resolve(W.unit, RID, m, &r) != 0) {
            W.faults++;
            return;
        }
        if (r.compat || r.irte.sid != RID) {
            W.bad_deliveries++;
            return;
        }
        if (r.irte.posted) { /* the unit posts it to the vCPU: vmsix is not involved */
            struct vmsix_dev_state st;
            if (vmsix_dev_get_state(W.dev, &st) || r.index < st.block.base ||
                r.index >= st.block.base + W.nvec) {
                W.bad_deliveries++;
                return;
            }
            W.posted[r.index - st.block.base]++;
            W.posted_vector[r.index - st.block.base] = r.irte.vector;
            W.posted_pd[r.index - st.block.base] = r.irte.pda;
            return;
        }
        vector = r.irte.vector;
    } else {
        struct vmsix_amdvi_result r;
        if (vmsix_amdvi_resolve(W.amd, RID, m, &r) != 0) {
            W.faults++;
            return;
        }
        if (r.passthrough) {
            W.bad_deliveries++;
            return;
        }
        vector = r.irte.vector;
    }
    if (!W.fn.pvm && vector >= DIVERT_VEC0 && vector < DIVERT_VEC0 + W.nvec) {
        /* the divert handler: the device pends it (or, live again by now,
         * injects it) */
        W.diverted[vector - DIVERT_VEC0]++;
        vmsix_dev_irq(W.dev, (uint16_t)(vector - DIVERT_VEC0));
        return;
    }
    if (vector < HOST_VEC0 || vector >= HOST_VEC0 + 32) {
        W.bad_deliveries++;
        return;
    }
    vmsix_dev_irq(W.dev, (uint16_t)(vector - HOST_VEC0));
}

static int vtd_inval(void *c, const uint64_t d[2])
{
    (void)c;
    (void)d;
    return 0;
}

static const struct vmsix_vtd_ops vtd_ops = {
    .size = sizeof(struct vmsix_vtd_ops),
    .invalidate = vtd_inval,
};

/* The AMD-Vi command queue: completes every command at once (a
 * COMPLETION_WAIT with S stores its data at the semaphore). */
static int amdvi_command(void *c, const uint64_t cmd[2])
{
    (void)c;
    if ((cmd[0] >> 60) == VMSIX_AMDVI_CMD_COMPLETION_WAIT && (cmd[0] & 1)) {
        DW_CHECK_EQ(cmd[0] & 0x000ffffffffffff8ull, (uintptr_t)&W.cw_sem);
        W.cw_sem = cmd[1];
    }
    return 0;
}

static const struct vmsix_amdvi_ops amdvi_ops = {
    .size = sizeof(struct vmsix_amdvi_ops),
    .command = amdvi_command,
};

/* The world's memory, given back (a new world_init() also does it). */
static void dw_free(void)
{
    free(W.table);
    free(W.dev_mem);
    free(W.dev_table);
    free(W.amd_table);
    free(W.amd_table2);
    W.table = NULL;
    W.dev_mem = NULL;
    W.dev_table = NULL;
    W.amd_table = NULL;
    W.amd_table2 = NULL;
}

/* AMD-Vi: the DTE of @devid remapping through @table, as the host writes it. */
static uint64_t dw_amd_dte(uint32_t devid, const void *table)
{
    struct vmsix_amdvi_dte_intr d;
    unsigned len = 0;

    while ((1u << len) < NENT)
        len++;
    memset(&d, 0, sizeof(d));
    d.iv = true;
    d.int_tab_len = (uint8_t)len;
    d.root = (uintptr_t)table;
    d.int_ctl = VMSIX_AMDVI_INTCTL_REMAP;
    DW_CHECK_EQ(vmsix_amdvi_dte_intr_encode(&d, &W.dev_table[devid * 4 + 2]), 0);
    return W.dev_table[devid * 4 + 2];
}

/* The AMD-Vi unit: a device table, RID2's table (no pool: the backend must
 * not use it) added first, then RID's with its pool. */
static void dw_amd_init(void)
{
    struct vmsix_amdvi_params ap;
    size_t tlen = ((size_t)NENT * (W.kind == DW_AMDVI_GA ? 16u : 4u) + 127) & ~(size_t)127;

    W.dev_table = aligned_alloc(4096, DW_NDTE * 32);
    W.amd_table = aligned_alloc(128, tlen);
    W.amd_table2 = aligned_alloc(128, tlen);
    DW_CHECK(W.dev_table && W.amd_table && W.amd_table2);
    memset(W.dev_table, 0, DW_NDTE * 32);
    memset(W.amd_table, 0, tlen);
    memset(W.amd_table2, 0, tlen);
    memset(&ap, 0, sizeof(ap));
    ap.dev_table = W.dev_table;
    ap.ndte = DW_NDTE;
    ap.nentries = NENT;
    ap.flags = W.kind == DW_AMDVI_GA ? VMSIX_AMDVI_GA : 0;
    ap.max_tables = 2;
    ap.cw_addr = (uintptr_t)&W.cw_sem;
    DW_CHECK_EQ(vmsix_amdvi_unit_init(W.amd_unit_mem, sizeof(W.amd_unit_mem), &ap, &amdvi_ops,
                                      NULL, &W.amd),
                0);
    DW_CHECK_EQ(vmsix_irte_pool_init(W.pool_mem, sizeof(W.pool_mem), NENT, &W.pool), 0);
    DW_CHECK_EQ(vmsix_irte_reserve(W.pool, 0, DW_AMD_RESERVED), 0);
    DW_CHECK_EQ(vmsix_amdvi_table_add(W.amd, RID2, W.amd_table2, (uintptr_t)W.amd_table2, NULL),
                0);
    DW_CHECK_EQ(vmsix_amdvi_table_add(W.amd, RID, W.amd_table, (uintptr_t)W.amd_table, W.pool),
                0);
    W.dte_q2[0] = dw_amd_dte(RID, W.amd_table);
    W.dte_q2[1] = dw_amd_dte(RID2, W.amd_table2);
    DW_CHECK_EQ(vmsix_amdvi_remap_init(W.amd, 0, &W.amdvi), 0);
    W.real = W.amdvi;
}

/* ITS: the IOMMU the window maps through (the world's model of it). */
static int dw_iommu_map(void *c, uint64_t iova, uint64_t phys, uint64_t size)
{
    (void)c;
    W.hooks++;
    if (inject_fault())
        return -ENOMEM; /* the IOMMU cannot map: nothing mapped */
    return dbm_iommu_map(&W.iommu, iova, phys, size);
}
static int dw_iommu_unmap(void *c, uint64_t iova, uint64_t size)
{
    (void)c;
    W.hooks++;
    return dbm_iommu_unmap(&W.iommu, iova, size);
}
static int dw_iommu_translate(void *c, uint64_t iova, uint64_t *phys)
{
    (void)c;
    return dbm_iommu_translate(&W.iommu, iova, phys);
}
static const struct vmsix_doorbell_ops dw_window_ops = {
    .size = sizeof(struct vmsix_doorbell_ops),
    .map = dw_iommu_map,
    .unmap = dw_iommu_unmap,
};

/* The ITS-like unit: RID's event table (the first DW_AMD_RESERVED events
 * the host's, so that only an aligned request gives an aligned block),
 * RID2's, the window (the guest's RAM given, so that init checks it) and
 * the host's own doorbell pages in it. */
static void dw_its_init(void)
{
    static const struct vmsix_doorbell_range ram = {DW_RAM_BASE, DW_RAM_LEN};
    struct vmsix_doorbell_params wp;

    memset(&wp, 0, sizeof(wp));
    wp.iova_base = DW_WIN_BASE;
    wp.len = DW_WIN_SLOTS * dw_its_granule;
    wp.granule = dw_its_granule;
    wp.max_pages = DW_WIN_SLOTS;
    wp.nguest_ram = 1;
    wp.guest_ram = &ram;
    DW_CHECK(vmsix_doorbell_storage_size(DW_WIN_SLOTS) <= sizeof(W.win_mem));
    DW_CHECK_EQ(
        vmsix_doorbell_init(W.win_mem, sizeof(W.win_mem), &wp, &dw_window_ops, NULL, &W.win), 0);
    its_init(&W.its, W.win, dw_iommu_translate, NULL);
    DW_CHECK_EQ(its_table_add(&W.its, RID, NENT, DW_AMD_RESERVED), 0);
    DW_CHECK_EQ(its_table_add(&W.its, RID2, NENT, 0), 1);
    for (unsigned i = 0; i < dw_its_host_pages && i < DW_WIN_SLOTS; i++)
        DW_CHECK_EQ(vmsix_doorbell_get(W.win, DW_HOST_DOORBELL + i * dw_its_granule,
                                       &W.host_db_iova[i]),
                    0);
    W.real.ops = &its_remap_ops;
    W.real.ctx = &W.its;
}

/* The free entries of the device's index space (the pool's, or the ITS
 * table's; with host-owned messages there is none). */
static uint32_t dw_free_count(void)
{
    if (dw_hostmsg())
        return 0;
    return dw_its() ? W.its.t[0].nfree : vmsix_irte_free_count(W.pool);
}

/* Take a block of @n entries of the device's index space for someone
 * else, and give it back. */
static inline int dw_take(uint32_t n, uint32_t *base)
{
    if (dw_hostmsg())
        return -ENOSPC;
    return dw_its() ? its_events_take(&W.its.t[0], n, n, base) : vmsix_irte_alloc(W.pool, n, base);
}
static inline int dw_give(uint32_t base, uint32_t n)
{
    if (dw_hostmsg())
        return -EINVAL;
    if (dw_its()) {
        its_events_give(&W.its.t[0], base, n);
        return 0;
    }
    return vmsix_irte_free(W.pool, base, n);
}

/* The device, made (again: after a teardown) on the world's storage, with
 * no fault armed meanwhile. */
static void dw_make_dev(void)
{
    struct vmsix_dev_state st;
    unsigned long fail_at = W.fail_at, fn_fail_at = W.fn.fail_at;

    W.fail_at = 0;
    W.fn.fail_at = 0;

    if (dw_hostmsg()) {
        DW_CHECK_EQ(vmsix_dev_init_hostmsg(W.dev_mem, vmsix_dev_storage_size(), &W.hm_backend,
                                           &W.dp.opt, &dev_ops, NULL, &W.dev),
                    0);
    } else if (!W.fn.pvm && !(W.real_caps & VMSIX_REMAP_CAP_LIVE_SWITCH)) {
        /* software masking needs a unit that switches a live entry */
        DW_CHECK_EQ(
            vmsix_dev_init(W.dev_mem, vmsix_dev_storage_size(), &W.dp, &dev_ops, NULL, &W.dev),
            -ENOTSUP);
        W.dev = NULL;
        W.fail_at = fail_at;
        W.fn.fail_at = fn_fail_at;
        return;
    } else {
        DW_CHECK_EQ(
            vmsix_dev_init(W.dev_mem, vmsix_dev_storage_size(), &W.dp, &dev_ops, NULL, &W.dev), 0);
    }
    DW_CHECK_EQ(vmsix_dev_get_state(W.dev, &st), 0);
    W.nvec = st.nvec;
    W.table_slot = st.table_bar;
    W.bar_addr = VMSIX_BAR_UNMAPPED; /* a new device's table BAR reads 0 */
    for (unsigned i = 0; i < VMSIX_DEV_NBARS; i++)
        W.bar_at[i] = VMSIX_BAR_UNMAPPED;
    W.fail_at = fail_at;
    W.fn.fail_at = fn_fail_at;
}

/* The host of host-owned messages, with its reset operation or without
 * (dw_hostmsg_no_reset). */
static void dw_hm_init(void)
{
    hmm_init(&W.hm);
    W.hm_ops = (struct vmsix_hostmsg_ops){.size = sizeof(struct vmsix_hostmsg_ops),
                                          .enable = s_hm_enable,
                                          .disable = s_hm_disable,
                                          .route = s_hm_route,
                                          .unroute = s_hm_unroute,
                                          .take_pending = s_hm_take,
                                          .reset = dw_hostmsg_no_reset ? NULL : s_hm_reset};
    W.hm_backend.ops = &W.hm_ops;
    W.hm_backend.ctx = NULL;
}

static void world_init_dev(unsigned mmc, bool addr64, bool make_dev)
{
    struct vmsix_vtd_params vp;
    struct vmsix_dev_params dp;

    struct vmsix_remap_caps caps;

    dw_free();
    memset(&W, 0, sizeof(W));
    W.hm_irq_vec = -1;
    dw_hm_held_loss_ok = dw_hm_pend_loss_ok = false;
    dw_fault_seen = false;
    order_violations = 0;
    mask_write_failed = false;
    composed = false;
    dw_force_dest = -1;
    W.kind = dw_backend;
    if (dw_af_layout)
        simfn_init_af(&W.fn, mmc, addr64);
    else
        simfn_init(&W.fn, mmc, addr64);
    if (dw_nomask)
        simfn_drop_mask_bits(&W.fn);
    W.fn.emit = emit;
    W.posted_mode = dw_posted && W.kind == DW_VTD;
    if (W.kind == DW_VTD) {
        /* (C11: the size a multiple of the alignment) */
        W.table = aligned_alloc(4096, (NENT * 16 + 4095) & ~(size_t)4095);
        memset(W.table, 0, NENT * 16);
        memset(&vp, 0, sizeof(vp));
        vp.table = W.table;
        vp.nentries = NENT;
        vp.mhmv = 4;
        vp.flags = W.posted_mode ? VMSIX_VTD_X2APIC | VMSIX_VTD_POSTED : 0;
        DW_CHECK_EQ(
            vmsix_vtd_unit_init(W.unit_mem, sizeof(W.unit_mem), &vp, &vtd_ops, NULL, &W.unit), 0);
        DW_CHECK_EQ(vmsix_irte_pool_init(W.pool_mem, sizeof(W.pool_mem), NENT, &W.pool), 0);
        DW_CHECK_EQ(vmsix_irte_reserve(W.pool, 0, POOL_RESERVED), 0);
        DW_CHECK_EQ(vmsix_vtd_remap_init(W.unit, W.pool, 0, &W.vtd), 0);
        W.real = W.vtd;
    } else if (W.kind == DW_ITS) {
        dw_its_init();
    } else if (W.kind == DW_HOSTMSG) {
        dw_hm_init();
    } else {
        dw_amd_init();
    }
    if (W.real.ops) {
        DW_CHECK_EQ(W.real.ops->caps(W.real.ctx, &caps), 0);
        W.real_caps = caps.flags;
    }
    W.shim = (struct vmsix_remap_ops){.size = sizeof(struct vmsix_remap_ops),
                                      .caps = s_caps,
                                      .reserve = s_reserve,
                                      .release = s_release,
                                      .program = s_program,
                                      .clear = s_clear,
                                      .invalidate = s_invalidate,
                                      .compose = s_compose,
                                      .doorbell_map = s_doorbell_map,
                                      .doorbell_unmap = s_doorbell_unmap};
    W.backend.ops = &W.shim;
    W.backend.ctx = NULL;
    W.pool_free0 = dw_free_count();
    W.dev_mem = aligned_alloc(8, (vmsix_dev_storage_size() + 7) & ~(size_t)7);
    memset(&dp, 0, sizeof(dp));
    dp.backend = &W.backend;
    dp.src.id = RID;
    dp.opt = dw_opt;
    /* the host describes the function's BARs as it sized them (simfn's:
     * BAR 0-1, 64-bit prefetchable, 16 KiB), unless the test did */
    bool any = false;
    for (unsigned i = 0; i < VMSIX_DEV_NBARS; i++)
        any |= dw_opt.bars[i].size || dw_opt.bars[i].passthrough;
    if (!any)
        simfn_bars(&W.fn, dp.opt.bars);
    W.dp = dp;
    if (make_dev)
        dw_make_dev();
}

static inline void world_init(unsigned mmc, bool addr64)
{
    world_init_dev(mmc, addr64, true);
}

/* ---- the guest's view, read back (an error is an invariant failure) ---- */

static uint32_t dw_cfg(uint16_t off, unsigned size)
{
    uint32_t v = 0;
    DW_CHECK_EQ(vmsix_dev_cfg_read(W.dev, off, size, &v), 0);
    return v;
}

static uint64_t dw_mmio(uint64_t off, unsigned size)
{
    uint64_t v = 0;
    DW_CHECK_EQ(vmsix_dev_mmio_read(W.dev, off, size, &v), 0);
    return v;
}

static VMSIX_ORACLE uint32_t phys(uint16_t off, unsigned size)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)W.fn.cfg[off + i] << (8 * i);
    return v;
}

/* The guest's message for vector k: CPU k % NCPU, vector 0x50 + k. */
static uint64_t guest_addr(unsigned cpu)
{
    return 0xfee00000u | (cpu << 12);
}

/* ---- the invariants ---- */

static unsigned mme_of(void)
{
    return (phys(W.fn.msi_off + 2, 2) >> 4) & 7;
}

/* After a successful teardown the device is dead (every call refuses it)
 * and nothing of it remains: the pool whole, no entry present, the
 * function's MSI off. */
static VMSIX_ORACLE bool dw_dead(const char *when)
{
    struct vmsix_dev_state st;

    if (vmsix_dev_get_state(W.dev, &st) != -EINVAL)
        return false;
    DW_CHECK_EQ(vmsix_dev_cfgspace(W.dev), NULL);
    DW_CHECK_EQ(dw_free_count(), W.pool_free0);
    for (unsigned i = 0; i < NENT; i++)
        if (dw_entry_present(i))
            DW_FAIL("%s: entry %u present after teardown", when, i);
    dw_check_untouched(when);
    if (!(W.stale & DW_REG_CTRL))
        DW_CHECK_EQ(phys(W.fn.msi_off + 2, 2) & 1, 0);
    if (dw_hostmsg() && !dw_tables_zero())
        DW_FAIL("%s: the host's vectors or routes are left after teardown", when);
    return true;
}

/* The device's software pending bits, from a save image (which calls no
 * hook: vmsix_dev_save's layout, then vmsix_msix_save's). */
static VMSIX_ORACLE uint64_t dw_sw_pending(unsigned nvec)
{
    static unsigned char img[4096];
    size_t used;
    uint64_t sw = 0;

    DW_CHECK_EQ(vmsix_dev_save(W.dev, img, sizeof(img), &used), 0);
    const unsigned char *pq = img + 64 + 32 + 16u * nvec; /* device header, table header */
    for (unsigned i = 0; i < 8; i++)
        sw |= (uint64_t)pq[i] << (8 * i);
    return sw;
}

/* Host-owned messages (DW_HOSTMSG): vmsix's routes are exactly the host's,
 * and exactly its live vectors with their current messages; the host's
 * vectors are enabled exactly while MSI-X is; vmsix's pending bits are
 * exactly what it took from the host and did not deliver (none for a
 * routed vector: a masked period that got messages was delivered once at
 * the route); nothing held or taken is lost but where the step allowed
 * it (dw_hm_held_loss_ok, dw_hm_pend_loss_ok). A failed route may leave
 * an unmasked vector held, a failed enable all of them (never a masked
 * one routed, but through an unroute that failed: the model's stuck
 * vectors). */
static VMSIX_ORACLE void dw_hm_check(const char *when, const struct vmsix_dev_state *st,
                                     bool enabled, bool fmask)
{
    struct hmm *h = &W.hm;

    if (st->phys_enabled != h->enabled)
        DW_FAIL("%s: vmsix says the host's vectors are %s, the host that they are %s", when,
                st->phys_enabled ? "on" : "off", h->enabled ? "on" : "off");
    if (!enabled && h->enabled)
        DW_FAIL("%s: MSI-X is disabled but the host's vectors are enabled", when);
    if (enabled && !h->enabled && !h->enable_failed)
        DW_FAIL("%s: MSI-X is enabled but the host's vectors are not", when);
    if (h->enabled && h->nvec != st->nvec)
        DW_FAIL("%s: the host enabled %u vectors for %u", when, h->nvec, st->nvec);
    if (st->active != h->routed)
        DW_FAIL("%s: vmsix has %#x routed, the host %#x", when, st->active, h->routed);
    for (unsigned k = 0; k < st->nvec; k++) {
        uint32_t bit = 1u << k, vc = (uint32_t)dw_mmio(16 * k + 12, 4);
        bool unmasked = enabled && !fmask && !(vc & 1);
        if ((h->routed & bit) && !(h->stuck & bit)) {
            uint64_t addr = dw_mmio(16 * k, 8);
            uint32_t data = (uint32_t)dw_mmio(16 * k + 8, 4);
            if (!unmasked)
                DW_FAIL("%s: vector %u is routed to the guest but masked", when, k);
            if (h->route[k].addr != addr || h->route[k].data != data)
                DW_FAIL("%s: vector %u is routed to %#llx/%#x, its entry says %#llx/%#x", when, k,
                        (unsigned long long)h->route[k].addr, h->route[k].data,
                        (unsigned long long)addr, data);
        }
        if (unmasked && h->enabled && !(h->routed & bit) && !(h->route_failed & bit))
            DW_FAIL("%s: vector %u is unmasked but not routed (and its route did not fail)", when,
                    k);
    }
    uint64_t sw = dw_sw_pending(st->nvec);
    if (sw & ~(uint64_t)h->owed)
        DW_FAIL("%s: vmsix has pending bits %#llx that nothing held gave (owed %#x)", when,
                (unsigned long long)sw, h->owed);
    if (h->owed & ~sw) {
        if (!dw_hm_pend_loss_ok)
            DW_FAIL("%s: pending state %#llx taken from the host is neither pending in vmsix "
                    "(%#llx) nor delivered",
                    when, (unsigned long long)(h->owed & ~sw), (unsigned long long)sw);
        h->owed &= (uint32_t)sw;
    }
    if (sw & (h->routed & ~h->stuck))
        DW_FAIL("%s: routed vectors %#llx still pending", when,
                (unsigned long long)(sw & h->routed));
    if (h->lost && !dw_hm_held_loss_ok)
        DW_FAIL("%s: %lu held messages lost by a disable in a step that kept MSI-X enabled", when,
                h->lost);
    h->lost = 0;
    dw_hm_held_loss_ok = dw_hm_pend_loss_ok = false;
    DW_CHECK_EQ(W.bad_deliveries, 0);
    DW_CHECK_EQ(W.range_violations, 0);
}

static VMSIX_ORACLE void check_invariants(const char *when)
{
    struct vmsix_dev_state st;

    if (W.misaligned)
        DW_FAIL("%s: %lu config hook calls not naturally aligned", when, W.misaligned);
    if (W.bar_violations)
        DW_FAIL("%s: %lu bar_moved reports out of step", when, W.bar_violations);
    if (W.bar_writes)
        DW_FAIL("%s: %lu guest writes reached a virtual BAR of the function", when, W.bar_writes);
    if (dw_dead(when))
        return;
    /* the host traps the table BAR exactly where it decodes in the guest
     * view: at its address while Memory Space Enable is set, else nowhere */
    uint32_t tbar = dw_cfg((uint16_t)(0x10 + 4 * W.table_slot), 4) & ~0xfu;
    bool mse = dw_cfg(0x04, 2) & 0x2;
    DW_CHECK_EQ(W.bar_addr, mse && tbar ? tbar : VMSIX_BAR_UNMAPPED);
    uint32_t mc = dw_cfg((uint16_t)(W.fn.msi_off + 2), 2);
    bool enabled = mc & 0x8000, fmask = mc & 0x4000;

    DW_CHECK_EQ(vmsix_dev_get_state(W.dev, &st), 0);
    /* the function's registers as vmsix wrote them (unless the function
     * refused a write: then isolation rests on the entries alone) */
    dw_check_untouched(when);
    if (dw_hostmsg()) {
        dw_hm_check(when, &st, enabled, fmask);
        return;
    }
    if (st.phys_enabled) {
        struct vmsix_msg want = dw_compose(st.block.base);
        /* an index-data unit: the function replaces the low log2(N) bits of
         * the data, so message k reaches base + k only in an aligned block */
        if ((W.real_caps & VMSIX_REMAP_CAP_DATA_INDEX) && (st.block.base & (st.block.count - 1)))
            DW_FAIL("%s: block at %u of %u not aligned to its size", when, st.block.base,
                    st.block.count);
        /* ITS: the doorbell is mapped once, through the window, for this
         * device only */
        if (dw_its()) {
            uint64_t phys = 0;
            uint32_t refs = 0;
            if (!want.addr || vmsix_doorbell_translate(W.win, want.addr, &phys, &refs) ||
                phys != ITS_TRANSLATER || refs != 1)
                DW_FAIL("%s: the doorbell is not mapped through the window (iova %#llx, %u refs)",
                        when, (unsigned long long)want.addr, refs);
        }
        if (!(W.stale & DW_REG_CTRL)) {
            if (!(phys(W.fn.msi_off + 2, 2) & 1))
                DW_FAIL("%s: physical MSI not enabled", when);
            if ((1u << mme_of()) > st.block.count || (1u << mme_of()) != st.nvec)
                DW_FAIL("%s: MME %u, block %u, vectors %u", when, mme_of(), st.block.count,
                        st.nvec);
        }
        if (!(W.stale & DW_REG_MSG)) {
            DW_CHECK_EQ(phys(W.fn.msi_off + 4, 4), (uint32_t)want.addr);
            DW_CHECK_EQ(phys(simfn_msi_data_reg(&W.fn), 2), want.data);
        }
        DW_CHECK_EQ(W.pool_free0 - dw_free_count(), st.block.count);
        if (!(W.stale & DW_REG_CMD))
            DW_CHECK(phys(0x04, 2) & 0x0400); /* INTx disabled at the function */
    } else if (dw_its() && dw_its_doorbell_iova()) {
        DW_FAIL("%s: the doorbell is still mapped with MSI off", when);
    } else if (st.block_held) {
        /* a block the backend refused to release: kept, not leaked */
        DW_CHECK_EQ(W.pool_free0 - dw_free_count(), st.block.count);
        if (!(W.stale & DW_REG_CTRL))
            DW_CHECK_EQ(phys(W.fn.msi_off + 2, 2) & 1, 0);
    } else {
        DW_CHECK_EQ(dw_free_count(), W.pool_free0);
        if (!(W.stale & DW_REG_CTRL))
            DW_CHECK_EQ(phys(W.fn.msi_off + 2, 2) & 1, 0);
    }
    /* every present entry: validates our source (VT-d: SVT 1, SQ 0, our
     * requester ID; AMD-Vi: it is in RID's table), fixed or lowest
     * priority, inside the block, for an active vector, with exactly the
     * target translate gives for its current message */
    for (unsigned i = 0; i < NENT; i++) {
        struct dw_entry e;
        dw_entry_read(i, &e);
        if (!e.present) {
            /* not present: cleared whole (the backend zeroes entries) */
            if (!e.zero)
                DW_FAIL("%s: entry %u not present but not zero", when, i);
            continue;
        }
        if (!st.phys_enabled || i < st.block.base || i >= st.block.base + st.nvec)
            DW_FAIL("%s: entry %u present outside the block", when, i);
        unsigned k = i - st.block.base;
        struct vmsix_msg gm;
        struct vmsix_remap_target t;
        uint32_t vc;
        gm.addr = dw_mmio(16 * k, 8);
        gm.data = (uint32_t)dw_mmio(16 * k + 8, 4);
        vc = (uint32_t)dw_mmio(16 * k + 12, 4);
        if (!e.src_ok || !e.plain || e.delivery > 1)
            DW_FAIL("%s: entry %u: source %d, plain %d, dlm %u", when, i, e.src_ok, e.plain,
                    e.delivery);
        bool divert = e.vector == DIVERT_VEC0 + k;
        /* without mask bits a masked vector's entry is its divert target
         * (held for the guest, never delivered to it), and so is that of an
         * unmasked vector vmsix could not make live (translate refused its
         * message, a step failed): its messages reach vmsix_dev_irq */
        if (!W.fn.pvm && divert && !(st.active & (1u << k)) && !e.posted && !e.delivery &&
            e.dest == DIVERT_DEST)
            continue;
        if (!enabled || fmask || (vc & 1)) {
            if (W.fn.pvm)
                DW_FAIL("%s: entry %u present for a masked vector", when, i);
            if (e.posted || e.vector != DIVERT_VEC0 + k || e.dest != DIVERT_DEST || e.delivery)
                DW_FAIL("%s: entry %u of masked vector %u is not its divert target (vector %#x)",
                        when, i, k, e.vector);
            continue;
        }
        unsigned long save = W.fail_at;
        W.fail_at = 0;
        DW_CHECK_EQ(h_translate(NULL, (uint16_t)k, &gm, &t), 0);
        W.fail_at = save;
        if (e.posted != t.posted || e.vector != t.vector ||
            (t.posted ? e.pda != t.pd_addr || e.urgent != t.urgent
                      : e.dest != t.dest || e.delivery != t.delivery))
            DW_FAIL("%s: entry %u does not hold the target of the guest's message (posted %d/%d "
                    "vector %#x/%#x dest %#x/%#x dlm %u/%u pda %#llx/%#llx)",
                    when, i, e.posted, t.posted, e.vector, t.vector, e.dest, t.dest, e.delivery,
                    t.delivery, (unsigned long long)e.pda, (unsigned long long)t.pd_addr);
    }
    /* every effectively masked vector is masked at the function */
    for (unsigned k = 0; k < st.nvec; k++) {
        uint32_t vc = (uint32_t)dw_mmio(16 * k + 12, 4);
        bool masked = !enabled || fmask || (vc & 1);
        if (W.fn.pvm && masked && st.phys_enabled && !(W.stale & DW_REG_MASK) &&
            !(phys(simfn_msi_mask_reg(&W.fn), 4) & (1u << k)))
            DW_FAIL("%s: vector %u is masked for the guest but not at the function", when, k);
        /* without mask bits the function sends any enabled message at any
         * time: each must have its entry (diverted or live), or it would be
         * lost; only a failure vmsix could not divert around may leave one
         * without */
        if (!W.fn.pvm && st.phys_enabled && !(W.stale & DW_REG_CTRL) && !dw_faulted() &&
            !dw_entry_present(st.block.base + k))
            DW_FAIL("%s: vector %u has no entry: the function's message %u would be lost", when,
                    k, k);
        /* a vector vmsix calls live is unmasked for the guest and has its
         * entry (the fire of a live vector must reach the guest) */
        if (st.active & (1u << k)) {
            if (masked || !st.phys_enabled || !dw_entry_present(st.block.base + k))
                DW_FAIL("%s: vector %u live at vmsix but masked or without an entry", when, k);
        }
    }
    DW_CHECK((st.active >> (st.nvec - 1u) >> 1) == 0); /* (nvec may be 32) */
    /* the guest's PBA: the software pending bits, OR the function's own
     * pending bits of the vectors effectively masked for the guest and
     * masked at the function (the software bits from a save image, which
     * calls no hook: vmsix_dev_save's layout, then vmsix_msix_save's) */
    uint64_t sw = dw_sw_pending(st.nvec), want;
    uint32_t fnmask = phys(simfn_msi_mask_reg(&W.fn), 4), guest_masked = 0;
    for (unsigned k = 0; k < st.nvec; k++) {
        uint32_t vc = (uint32_t)dw_mmio(16 * k + 12, 4);
        if (!enabled || fmask || (vc & 1))
            guest_masked |= 1u << k;
    }
    want = sw;
    if (st.phys_enabled && W.fn.pvm) /* (without mask bits the function has no pending bits) */
        want |= W.fn.pending & fnmask & guest_masked;
    uint64_t pba = dw_mmio(st.bar_size / 2u, 8);
    if (pba != want)
        DW_FAIL("%s: PBA %#llx, want software %#llx | function %#x of masked %#x", when,
                (unsigned long long)pba, (unsigned long long)sw, W.fn.pending & fnmask,
                guest_masked);
    DW_CHECK_EQ(W.bad_deliveries, 0);
    DW_CHECK_EQ(order_violations, 0);
    DW_CHECK_EQ(W.range_violations, 0);
}

#endif
