/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The composed device end to end: a simulated function (examples/sim) with
 * real MSI behaviour, a VT-d unit with a real table resolved by the
 * reference decoder, and guest sequences modelled on Linux. After every
 * guest step the isolation invariants are checked against the physical
 * registers and the table; fault injection fails every hook and backend
 * call in turn and checks that nothing leaks and failed vectors stay
 * masked.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crc32_ref.h"

#include <vmsix/vmsix.h>

#include "simfn.h"

#define RID 0x0310u      /* 03:02.0 */
#define NENT 256u        /* VT-d table entries */
#define HOST_VEC0 0x40u  /* host vector of guest vector k: 0x40 + k */
#define NCPU 4u          /* the guest's CPUs: APIC IDs 0..3, host APIC IDs 8..11 */
#define POOL_RESERVED 16 /* entries 0..15: the host's IOAPIC */

struct world {
    struct simfn fn;
    uint64_t *table;
    unsigned char unit_mem[4096] __attribute__((aligned(8)));
    unsigned char pool_mem[65536] __attribute__((aligned(8)));
    struct vmsix_vtd_unit *unit;
    struct vmsix_irte_pool *pool;
    struct vmsix_remap vtd;      /* the real backend */
    struct vmsix_remap_ops shim; /* counting (and failing) wrapper around it */
    struct vmsix_remap backend;
    struct vmsix_dev *dev;
    unsigned char *dev_mem;
    uint32_t pool_free0;
    /* fault injection over hooks and backend operations */
    unsigned long calls, fail_at;
    /* what the guest received: per guest vector */
    unsigned long injected[32];
    uint32_t last_guest_data[32];
    uint32_t last_guest_addr[32];
    unsigned long faults, bad_deliveries;
    uint64_t bar_addr;
};

static struct world W;

static bool inject_fault(void)
{
    return ++W.calls == W.fail_at;
}

/* ---- the backend shim ---- */

static int max_order_cap = -1; /* >= 0: the backend says its blocks are at most this order */

static int s_caps(void *c, struct vmsix_remap_caps *caps)
{
    (void)c;
    if (inject_fault())
        return -EIO;
    int rc = W.vtd.ops->caps(W.vtd.ctx, caps);
    if (max_order_cap >= 0)
        caps->max_order = (uint8_t)max_order_cap;
    return rc;
}
static int s_reserve(void *c, const struct vmsix_remap_source *src, uint32_t n, uint32_t a,
                     struct vmsix_remap_block *b)
{
    (void)c;
    return inject_fault() ? -ENOSPC : W.vtd.ops->reserve(W.vtd.ctx, src, n, a, b);
}
static int s_release(void *c, struct vmsix_remap_block *b)
{
    (void)c;
    return inject_fault() ? -EIO : W.vtd.ops->release(W.vtd.ctx, b);
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

static unsigned long order_violations;
static bool mask_write_failed; /* the last write of the mask register failed */

static int s_program(void *c, const struct vmsix_remap_block *b, uint32_t k,
                     const struct vmsix_remap_target *t, uint32_t f)
{
    (void)c;
    if (!masked_at_function(k) || !(f & VMSIX_REMAP_PROG_QUIESCED))
        order_violations++;
    return inject_fault() ? -EIO : W.vtd.ops->program(W.vtd.ctx, b, k, t, f);
}
static int s_clear(void *c, const struct vmsix_remap_block *b, uint32_t k)
{
    (void)c;
    /* (after a failed mask write, clearing anyway is the safe fallback) */
    if (!masked_at_function(k) && !mask_write_failed)
        order_violations++;
    return inject_fault() ? -EIO : W.vtd.ops->clear(W.vtd.ctx, b, k);
}
static int s_invalidate(void *c, const struct vmsix_remap_block *b, uint32_t f, uint32_t n)
{
    (void)c;
    if (inject_fault()) {
        /* a failing unit: the real backend's contract is to leave the range
         * not present; do what it does when its hook times out */
        for (uint32_t k = f; k < f + n; k++)
            W.vtd.ops->clear(W.vtd.ctx, b, k);
        return -ETIMEDOUT;
    }
    return W.vtd.ops->invalidate(W.vtd.ctx, b, f, n);
}
static int s_compose(void *c, const struct vmsix_remap_block *b, struct vmsix_msg *m)
{
    (void)c;
    return inject_fault() ? -EIO : W.vtd.ops->compose(W.vtd.ctx, b, m);
}

/* ---- host hooks ---- */

static int h_cfg_read(void *c, uint16_t off, unsigned size, uint32_t *val)
{
    (void)c;
    return simfn_cfg_read(&W.fn, off, size, val);
}
static int h_cfg_write(void *c, uint16_t off, unsigned size, uint32_t val)
{
    struct vmsix_dev_state st;

    (void)c;
    /* an unmask at the function only for a present (programmed) entry */
    if (W.dev && off == simfn_msi_mask_reg(&W.fn) && size == 4 &&
        vmsix_dev_get_state(W.dev, &st) == 0 && st.phys_enabled) {
        uint32_t old = 0;
        for (unsigned i = 0; i < 4; i++)
            old |= (uint32_t)W.fn.cfg[off + i] << (8 * i);
        for (uint32_t k = 0; k < 32; k++) {
            uint64_t raw[2];
            if (!((old & ~val) & (1u << k)))
                continue;
            vmsix_vtd_irte_read(W.unit, st.block.base + k, raw);
            if (!(raw[0] & 1))
                order_violations++;
        }
    }
    int rc = simfn_cfg_write(&W.fn, off, size, val);
    if (off == simfn_msi_mask_reg(&W.fn))
        mask_write_failed = rc != 0;
    return rc;
}

/* The hypervisor's policy: fixed or lowest priority, physical mode, to one
 * of this guest's CPUs; host vector 0x40 + k on the host CPU of that vCPU. */
static int h_translate(void *c, uint16_t vec, const struct vmsix_msg *g,
                       struct vmsix_remap_target *t)
{
    uint32_t dest = (uint32_t)(g->addr >> 12) & 0xff, dm = (g->data >> 8) & 7;

    (void)c;
    if (inject_fault())
        return -EPERM;
    if ((g->addr & 0xfff00000u) != 0xfee00000u || dest >= NCPU || dm > 1 || (g->addr & 4))
        return -EPERM;
    memset(t, 0, sizeof(*t));
    t->vector = HOST_VEC0 + vec;
    t->dest = 8 + dest;
    t->delivery = (uint8_t)dm;
    return 0;
}

static void h_inject(void *c, uint16_t vec, const struct vmsix_msg *g)
{
    (void)c;
    W.injected[vec]++;
    W.last_guest_data[vec] = g->data;
    W.last_guest_addr[vec] = (uint32_t)g->addr;
}

static void h_bar_moved(void *c, unsigned bar, uint64_t addr)
{
    (void)c;
    (void)bar;
    W.bar_addr = addr;
}

static const struct vmsix_dev_ops dev_ops = {h_cfg_read, h_cfg_write, h_translate, h_inject,
                                             h_bar_moved};

/* The function's memory write reaches the unit: remap, then the host's
 * handler of that vector tells the device. */
static void emit(void *c, const struct vmsix_msg *m)
{
    struct vmsix_vtd_result r;
    (void)c;
    int rc = vmsix_vtd_remap(W.unit, RID, m, &r);
    if (rc != 0) {
        W.faults++;
        return;
    }
    if (r.irte.sid != RID || r.irte.vector < HOST_VEC0 || r.irte.vector >= HOST_VEC0 + 32) {
        W.bad_deliveries++;
        return;
    }
    vmsix_dev_irq(W.dev, (uint16_t)(r.irte.vector - HOST_VEC0));
}

static int vtd_inval(void *c, const uint64_t d[2])
{
    (void)c;
    (void)d;
    return 0;
}

static const struct vmsix_vtd_ops vtd_ops = {NULL, vtd_inval, NULL, NULL, NULL};

static void world_init_dev(unsigned mmc, bool addr64, bool make_dev)
{
    struct vmsix_vtd_params vp;
    struct vmsix_dev_params dp;

    free(W.table);
    free(W.dev_mem);
    memset(&W, 0, sizeof(W));
    order_violations = 0;
    mask_write_failed = false;
    simfn_init(&W.fn, mmc, addr64);
    W.fn.emit = emit;
    W.table = aligned_alloc(4096, NENT * 16);
    memset(W.table, 0, NENT * 16);
    memset(&vp, 0, sizeof(vp));
    vp.table = W.table;
    vp.nentries = NENT;
    vp.mhmv = 4;
    assert_int_equal(
        vmsix_vtd_unit_init(W.unit_mem, sizeof(W.unit_mem), &vp, &vtd_ops, NULL, &W.unit), 0);
    assert_int_equal(vmsix_irte_pool_init(W.pool_mem, sizeof(W.pool_mem), NENT, &W.pool), 0);
    assert_int_equal(vmsix_irte_reserve(W.pool, 0, POOL_RESERVED), 0);
    assert_int_equal(vmsix_vtd_remap_init(W.unit, W.pool, 0, &W.vtd), 0);
    W.shim = (struct vmsix_remap_ops){s_caps,       s_reserve, s_release, s_program, s_clear,
                                      s_invalidate, s_compose, NULL,      NULL};
    W.backend.ops = &W.shim;
    W.backend.ctx = NULL;
    W.pool_free0 = vmsix_irte_free_count(W.pool);
    W.dev_mem = aligned_alloc(8, (vmsix_dev_storage_size() + 7) & ~(size_t)7);
    memset(&dp, 0, sizeof(dp));
    dp.backend = &W.backend;
    dp.src.id = RID;
    if (make_dev)
        assert_int_equal(
            vmsix_dev_init(W.dev_mem, vmsix_dev_storage_size(), &dp, &dev_ops, NULL, &W.dev), 0);
}

static void world_init(unsigned mmc, bool addr64)
{
    world_init_dev(mmc, addr64, true);
}

static int teardown(void **state)
{
    (void)state;
    free(W.table);
    free(W.dev_mem);
    W.table = NULL;
    W.dev_mem = NULL;
    return 0;
}

/* ---- guest accesses ---- */

static uint32_t gcfg(uint16_t off, unsigned size)
{
    uint32_t v;
    assert_int_equal(vmsix_dev_cfg_read(W.dev, off, size, &v), 0);
    return v;
}

static int gcfg_w(uint16_t off, unsigned size, uint32_t v)
{
    return vmsix_dev_cfg_write(W.dev, off, size, v);
}

static int gtab_w(unsigned vec, unsigned field, unsigned size, uint64_t v)
{
    return vmsix_dev_mmio_write(W.dev, 16 * vec + field, size, v);
}

static uint64_t gmmio(uint64_t off, unsigned size)
{
    uint64_t v;
    assert_int_equal(vmsix_dev_mmio_read(W.dev, off, size, &v), 0);
    return v;
}

static uint32_t phys(uint16_t off, unsigned size)
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

static void check_invariants(const char *when)
{
    struct vmsix_dev_state st;
    uint32_t mc = gcfg((uint16_t)(W.fn.msi_off + 2), 2);
    bool enabled = mc & 0x8000, fmask = mc & 0x4000;

    assert_int_equal(vmsix_dev_get_state(W.dev, &st), 0);
    if (st.phys_enabled) {
        struct vmsix_msg want;
        vmsix_vtd_msi_compose((uint16_t)st.block.base, &want);
        if (!(phys(W.fn.msi_off + 2, 2) & 1))
            fail_msg("%s: physical MSI not enabled", when);
        if ((1u << mme_of()) > st.block.count || (1u << mme_of()) != st.nvec)
            fail_msg("%s: MME %u, block %u, vectors %u", when, mme_of(), st.block.count, st.nvec);
        assert_int_equal(phys(W.fn.msi_off + 4, 4), (uint32_t)want.addr);
        assert_int_equal(phys(simfn_msi_data_reg(&W.fn), 2), 0);
        assert_int_equal(W.pool_free0 - vmsix_irte_free_count(W.pool), st.block.count);
        assert_true(phys(0x04, 2) & 0x0400); /* INTx disabled at the function */
    } else {
        assert_int_equal(vmsix_irte_free_count(W.pool), W.pool_free0);
        assert_int_equal(phys(W.fn.msi_off + 2, 2) & 1, 0);
    }
    /* every present entry: SVT 1, SQ 0, our requester ID, fixed or lowest
     * priority, inside the block, for an active vector, with exactly the
     * target translate gives for its current message */
    for (unsigned i = 0; i < NENT; i++) {
        uint64_t raw[2];
        struct vmsix_vtd_irte e;
        assert_int_equal(vmsix_vtd_irte_read(W.unit, i, raw), 0);
        assert_int_equal(vmsix_vtd_irte_decode(raw, &e), 0);
        if (!e.present)
            continue;
        if (!st.phys_enabled || i < st.block.base || i >= st.block.base + st.nvec)
            fail_msg("%s: entry %u present outside the block", when, i);
        unsigned k = i - st.block.base;
        struct vmsix_msg gm;
        struct vmsix_remap_target t;
        uint32_t vc;
        int act = vmsix_msix_entry(NULL, 0, NULL, NULL); /* -EINVAL: no direct access */
        (void)act;
        gm.addr = gmmio(16 * k, 8);
        gm.data = (uint32_t)gmmio(16 * k + 8, 4);
        vc = (uint32_t)gmmio(16 * k + 12, 4);
        if (e.svt != 1 || e.sq != 0 || e.sid != RID || e.delivery > 1)
            fail_msg("%s: entry %u: svt %u sq %u sid %#x dlm %u", when, i, e.svt, e.sq, e.sid,
                     e.delivery);
        if (!enabled || fmask || (vc & 1))
            fail_msg("%s: entry %u present for a masked vector", when, i);
        unsigned long save = W.fail_at;
        W.fail_at = 0;
        assert_int_equal(h_translate(NULL, (uint16_t)k, &gm, &t), 0);
        W.fail_at = save;
        uint32_t dest;
        vmsix_vtd_dest_place(false, t.dest, &dest);
        if (e.vector != t.vector || e.dest != dest || e.delivery != t.delivery)
            fail_msg("%s: entry %u does not hold the target of the guest's message", when, i);
    }
    /* every effectively masked vector is masked at the function */
    for (unsigned k = 0; k < st.nvec; k++) {
        uint32_t vc = (uint32_t)gmmio(16 * k + 12, 4);
        bool masked = !enabled || fmask || (vc & 1);
        if (masked && st.phys_enabled && !(phys(simfn_msi_mask_reg(&W.fn), 4) & (1u << k)))
            fail_msg("%s: vector %u is masked for the guest but not at the function", when, k);
    }
    assert_int_equal(W.bad_deliveries, 0);
    assert_int_equal(order_violations, 0);
}

/* What Linux does: size and place the BAR, enable MSI-X with Function Mask
 * set, program every entry, clear Function Mask, unmask. */
static void linux_enable(unsigned nvec)
{
    struct vmsix_dev_state st;
    uint16_t bar;
    uint16_t mc_off = (uint16_t)(W.fn.msi_off + 2);

    assert_int_equal(vmsix_dev_get_state(W.dev, &st), 0);
    bar = (uint16_t)(0x10 + 4 * st.table_bar);
    assert_int_equal(gcfg_w(bar, 4, 0xffffffff), 0);
    assert_int_equal(gcfg(bar, 4), ~(st.bar_size - 1));
    assert_int_equal(gcfg_w(bar, 4, 0xfeb00000), 0);
    assert_int_equal(W.bar_addr, 0xfeb00000);
    check_invariants("bar");
    assert_int_equal(gcfg_w(mc_off, 2, 0xc000), 0);
    check_invariants("enable+fmask");
    for (unsigned k = 0; k < nvec; k++) {
        assert_int_equal(gtab_w(k, 0, 8, guest_addr(k % NCPU)), 0);
        assert_int_equal(gtab_w(k, 8, 4, 0x50 + k), 0);
        check_invariants("program");
    }
    assert_int_equal(gcfg_w(mc_off, 2, 0x8000), 0);
    check_invariants("fmask clear");
    for (unsigned k = 0; k < nvec; k++) {
        assert_int_equal(gtab_w(k, 12, 4, 0), 0);
        check_invariants("unmask");
    }
}

static void test_linux_story(void **state)
{
    struct vmsix_dev_state st;

    (void)state;
    world_init(5, true);
    /* the guest view: MSI-X with 32 vectors where MSI was */
    assert_int_equal(gcfg(0x50, 1), 0x11);
    assert_int_equal(gcfg(0x51, 1), 0x70);
    assert_int_equal(gcfg(0x52, 2), 31);
    assert_int_equal(gcfg(0x54, 4), 2);         /* table: BIR 2, offset 0 */
    assert_int_equal(gcfg(0x58, 4), 0x800 | 2); /* PBA */
    for (uint16_t o = 0x5c; o < 0x68; o++)
        assert_int_equal(gcfg(o, 1), 0);
    linux_enable(32);
    assert_int_equal(vmsix_dev_get_state(W.dev, &st), 0);
    assert_int_equal(st.active, 0xffffffffu);
    assert_int_equal(phys(simfn_msi_mask_reg(&W.fn), 4), 0);
    /* every vector fired at the function lands on its guest vector and CPU */
    for (unsigned k = 0; k < 32; k++) {
        assert_int_equal(simfn_fire(&W.fn, k), 1);
        assert_int_equal(W.injected[k], 1);
        assert_int_equal(W.last_guest_data[k], 0x50 + k);
        assert_int_equal(W.last_guest_addr[k], guest_addr(k % NCPU));
    }
    assert_int_equal(W.faults, 0);
    /* mask one, fire it: held at the function, visible in the PBA */
    assert_int_equal(gtab_w(7, 12, 4, 1), 0);
    check_invariants("mask 7");
    assert_int_equal(simfn_fire(&W.fn, 7), 0);
    assert_int_equal(W.injected[7], 1);
    assert_int_equal(gmmio(0x800, 8), 1u << 7);
    /* unmask: delivered exactly once */
    assert_int_equal(gtab_w(7, 12, 4, 0), 0);
    check_invariants("unmask 7");
    assert_int_equal(W.injected[7], 2);
    assert_int_equal(gmmio(0x800, 8), 0);
    /* move vector 3 to CPU 2 while live */
    assert_int_equal(gtab_w(3, 0, 4, (uint32_t)guest_addr(2)), 0);
    check_invariants("move 3");
    assert_int_equal(simfn_fire(&W.fn, 3), 1);
    assert_int_equal(W.last_guest_addr[3], guest_addr(2));
    /* function mask: everything held, then exactly restored */
    assert_int_equal(gcfg_w(0x52, 2, 0xc000), 0);
    check_invariants("fmask");
    assert_int_equal(phys(simfn_msi_mask_reg(&W.fn), 4), 0xffffffffu);
    assert_int_equal(gtab_w(9, 12, 4, 1), 0); /* one individually masked meanwhile */
    assert_int_equal(gcfg_w(0x52, 2, 0x8000), 0);
    check_invariants("fmask clear");
    assert_int_equal(phys(simfn_msi_mask_reg(&W.fn), 4), 1u << 9);
    /* disable: all torn down, the pool as it was */
    assert_int_equal(gcfg_w(0x52, 2, 0x0000), 0);
    check_invariants("disable");
    assert_int_equal(vmsix_irte_free_count(W.pool), W.pool_free0);
    assert_int_equal(phys(W.fn.msi_off + 2, 2) & 1, 0);
    assert_int_equal(phys(0x04, 2) & 0x0400, 0); /* INTx back to the guest's choice */
}

/* The old MSI bytes: read 0, writes never reach the function. */
static void test_old_msi_bytes_hidden(void **state)
{
    (void)state;
    world_init(3, true);
    uint8_t before[0x18];
    memcpy(before, &W.fn.cfg[0x50], sizeof(before));
    for (uint16_t o = 0x54; o < 0x68; o++) {
        assert_int_equal(gcfg_w(o, 1, 0xff), 0);
        if (o >= 0x5c)
            assert_int_equal(gcfg(o, 1), 0);
    }
    for (uint16_t o = 0x54; o < 0x68; o += 4)
        assert_int_equal(gcfg_w(o, 4, 0xffffffff), 0);
    for (uint16_t o = 0x54; o < 0x68; o += 2)
        assert_int_equal(gcfg_w(o, 2, 0xffff), 0);
    /* nothing of it reached the function, the table location is read-only */
    assert_memory_equal(&W.fn.cfg[0x50], before, sizeof(before));
    assert_int_equal(gcfg(0x54, 4), 2);
    assert_int_equal(gcfg(0x58, 4), 0x802);
    /* a 4-byte write to the capability's first dword: only Message
     * Control bits 15:14 take, the ID and next pointer are read-only */
    assert_int_equal(gcfg_w(0x50, 4, 0xffffffff), 0);
    assert_int_equal(gcfg(0x50, 4), 0xc0077011);
    check_invariants("poked");
}

/* Guest input that translate refuses: the vector stays masked, the error
 * reaches the caller, other vectors are unaffected. */
static void test_translate_refuses(void **state)
{
    (void)state;
    world_init(2, false);
    linux_enable(4);
    assert_int_equal(gtab_w(1, 12, 4, 1), 0);
    assert_int_equal(gtab_w(1, 0, 8, 0xfee07000), 0); /* CPU 7: not this guest's */
    assert_int_equal(gtab_w(1, 12, 4, 0), -EPERM);
    check_invariants("refused");
    assert_true(phys(simfn_msi_mask_reg(&W.fn), 4) & 2);
    assert_int_equal(simfn_fire(&W.fn, 1), 0); /* held at the function */
    assert_int_equal(W.injected[1], 0);
    assert_int_equal(simfn_fire(&W.fn, 2), 1);
    /* a valid message again: programmed on the next unmask */
    assert_int_equal(gtab_w(1, 12, 4, 1), 0);
    assert_int_equal(gtab_w(1, 0, 8, guest_addr(1)), 0);
    assert_int_equal(gtab_w(1, 12, 4, 0), 0);
    check_invariants("fixed");
    assert_int_equal(W.injected[1], 1); /* the held one, once */
    /* an NMI delivery mode from the guest is refused too */
    assert_int_equal(gtab_w(2, 8, 4, 0x450), -EPERM);
    check_invariants("nmi");
}

/* FLR from the guest and reset from the host: back to the start. */
static void test_flr_and_reset(void **state)
{
    (void)state;
    world_init(3, true);
    linux_enable(8);
    assert_int_equal(gcfg_w(0x78, 2, 0x8000), 0); /* Initiate FLR */
    check_invariants("flr");
    assert_int_equal(gcfg(0x52, 2), 7);
    assert_int_equal(gcfg(0x18, 4), 0); /* the table BAR */
    assert_int_equal(gmmio(12, 4), 1);  /* masked */
    assert_int_equal(vmsix_irte_free_count(W.pool), W.pool_free0);
    linux_enable(8);
    assert_int_equal(vmsix_dev_reset(W.dev), 0);
    check_invariants("reset");
    assert_int_equal(vmsix_irte_free_count(W.pool), W.pool_free0);
    linux_enable(8);
    assert_int_equal(vmsix_dev_teardown(W.dev), 0);
    assert_int_equal(vmsix_irte_free_count(W.pool), W.pool_free0);
    for (unsigned i = 0; i < NENT * 2; i++)
        assert_int_equal(W.table[i], 0);
}

/* Fail the n-th hook or backend call, for every n: the error is reported,
 * failed vectors stay masked, and after teardown nothing has leaked. */
static void run_story_with_fault(unsigned long n, unsigned long *total)
{
    uint16_t mc = 0x52;

    world_init(3, true);
    W.calls = 0;
    W.fn.calls = 0;
    W.fail_at = n;
    W.fn.fail_at = n; /* config accesses count separately: fail both n-th */
    (void)gcfg_w(0x18, 4, 0xfeb00000);
    (void)gcfg_w(mc, 2, 0xc000);
    for (unsigned k = 0; k < 8; k++) {
        (void)gtab_w(k, 0, 8, guest_addr(k % NCPU));
        (void)gtab_w(k, 8, 4, 0x60 + k);
    }
    (void)gcfg_w(mc, 2, 0x8000);
    for (unsigned k = 0; k < 8; k++)
        (void)gtab_w(k, 12, 4, 0);
    for (unsigned k = 0; k < 8; k++)
        simfn_fire(&W.fn, k);
    (void)gtab_w(2, 0, 4, (uint32_t)guest_addr(3));
    (void)gtab_w(5, 12, 4, 1);
    simfn_fire(&W.fn, 5);
    (void)vmsix_dev_mmio_read(W.dev, 0x800, 8, &(uint64_t){0});
    (void)gtab_w(5, 12, 4, 0);
    (void)gcfg_w(mc, 2, 0xc000);
    (void)gcfg_w(mc, 2, 0x8000);
    W.fail_at = 0;
    W.fn.fail_at = 0;
    /* whatever failed: the invariants hold, deliveries went only where
     * the guest asked, and teardown gives everything back */
    check_invariants("after fault");
    assert_int_equal(W.bad_deliveries, 0);
    for (unsigned k = 0; k < 8; k++)
        if (W.injected[k])
            assert_int_equal(W.last_guest_data[k], 0x60 + k);
    assert_int_equal(vmsix_dev_teardown(W.dev), 0);
    check_invariants("teardown");
    assert_int_equal(vmsix_irte_free_count(W.pool), W.pool_free0);
    for (unsigned i = 0; i < NENT * 2; i++)
        assert_int_equal(W.table[i], 0);
    *total = W.calls > W.fn.calls ? W.calls : W.fn.calls;
}

static void test_fault_injection(void **state)
{
    unsigned long total = 0, n;

    (void)state;
    run_story_with_fault(0, &total); /* how many calls the story makes */
    assert_true(total > 50);
    for (n = 1; n <= total + 1; n++) {
        unsigned long t;
        run_story_with_fault(n, &t);
    }
    print_message("fault injection: failed each of %lu calls in turn\n", total);
}

static void test_init_refusals(void **state)
{
    struct vmsix_dev_params dp;
    struct vmsix_dev *d;
    unsigned char *mem;

    (void)state;
    world_init_dev(0, true, false); /* one vector: not eligible */
    mem = aligned_alloc(8, (vmsix_dev_storage_size() + 7) & ~(size_t)7);
    memset(&dp, 0, sizeof(dp));
    dp.backend = &W.backend;
    dp.src.id = RID;
    assert_int_equal(vmsix_dev_init(mem, vmsix_dev_storage_size(), &dp, &dev_ops, NULL, &d),
                     -ENOTSUP);
    world_init(5, true);
    assert_int_equal(vmsix_dev_init(mem, vmsix_dev_storage_size() - 1, &dp, &dev_ops, NULL, &d),
                     -EINVAL);
    assert_int_equal(vmsix_dev_init(mem, vmsix_dev_storage_size(), NULL, &dev_ops, NULL, &d),
                     -EINVAL);
    dp.opt.nvec = 3;
    assert_int_equal(vmsix_dev_init(mem, vmsix_dev_storage_size(), &dp, &dev_ops, NULL, &d),
                     -ENOTSUP);
    dp.opt.nvec = 8;
    dp.opt.bar_size = 65536;
    assert_int_equal(vmsix_dev_init(mem, vmsix_dev_storage_size(), &dp, &dev_ops, NULL, &d), 0);
    assert_int_equal(vmsix_dev_cfg_read(d, 0x58, 4, &(uint32_t){0}), 0);
    uint32_t v;
    vmsix_dev_cfg_read(d, 0x58, 4, &v);
    assert_int_equal(v, 0x8000 | 2);
    vmsix_dev_cfg_read(d, 0x52, 2, &v);
    assert_int_equal(v, 7);
    /* a backend whose blocks are too small for the vectors: refused at init */
    dp.opt.nvec = 0;
    max_order_cap = 4;
    assert_int_equal(vmsix_dev_init(mem, vmsix_dev_storage_size(), &dp, &dev_ops, NULL, &d),
                     -ENOTSUP);
    max_order_cap = 5;
    assert_int_equal(vmsix_dev_init(mem, vmsix_dev_storage_size(), &dp, &dev_ops, NULL, &d), 0);
    max_order_cap = 200; /* a silly value is no reason to misbehave */
    assert_int_equal(vmsix_dev_init(mem, vmsix_dev_storage_size(), &dp, &dev_ops, NULL, &d), 0);
    max_order_cap = -1;
    W.fn.fail_at = W.fn.calls + 1; /* the first config read fails */
    assert_int_equal(vmsix_dev_init(mem, vmsix_dev_storage_size(), &dp, &dev_ops, NULL, &d), -EIO);
    assert_int_equal(vmsix_dev_irq(NULL, 0), -EINVAL);
    assert_int_equal(vmsix_dev_cfg_write(NULL, 0, 4, 0), -EINVAL);
    free(mem);
}

/* Save and restore: the guest state comes back, the physical side is
 * rebuilt, and a corrupted or foreign state changes nothing. */
static void test_save_restore(void **state)
{
    static unsigned char a[4096], b2[4096], c[4096];
    size_t n, n2;
    struct vmsix_dev_state st, st2;

    (void)state;
    world_init(3, true);
    linux_enable(8);
    assert_int_equal(gtab_w(2, 12, 4, 1), 0);
    assert_int_equal(gtab_w(5, 0, 8, guest_addr(3)), 0);
    assert_int_equal(vmsix_dev_save(W.dev, a, 10, &n), -ENOSPC);
    assert_int_equal(n, vmsix_dev_save_size(W.dev));
    assert_int_equal(vmsix_dev_save(W.dev, a, sizeof(a), &n), 0);
    assert_memory_equal(a, "VMSD", 4);
    assert_int_equal(vmsix_dev_get_state(W.dev, &st), 0);

    /* every single-bit flip is refused, and changes nothing */
    for (size_t i = 0; i < n; i++) {
        for (unsigned bit = 0; bit < 8; bit += 3) {
            memcpy(b2, a, n);
            b2[i] ^= (unsigned char)(1u << bit);
            assert_int_equal(vmsix_dev_restore(W.dev, b2, n), -EINVAL);
        }
    }
    assert_int_equal(vmsix_dev_restore(W.dev, a, n - 1), -EINVAL);
    /* valid checksums around impossible contents */
    static const struct {
        size_t off;
        unsigned char val;
    } bad[] = {
        {21, 0x00}, /* MSI-X Enable clear, but the table state says enabled */
        {16, 0x01}, /* BAR type/low bits */
        {17, 0x08}, /* BAR address bits inside the 4 KiB size */
        {22, 0x01}, /* Command bits other than INTx Disable */
        {28, 0x01}, /* reserved */
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memcpy(b2, a, n);
        b2[bad[i].off] = bad[i].val;
        crc32_seal(b2, n);
        assert_int_equal(vmsix_dev_restore(W.dev, b2, n), -EINVAL);
    }
    memcpy(b2, a, n);
    crc32_seal(b2, n);
    assert_int_equal(vmsix_dev_restore(W.dev, b2, n), 0); /* the helper itself is right */
    assert_int_equal(vmsix_dev_save(W.dev, c, sizeof(c), &n2), 0);
    assert_int_equal(n2, n);
    assert_memory_equal(a, c, n);
    check_invariants("refusals");

    /* the guest disables and moves everything; restore brings it back */
    assert_int_equal(gcfg_w(0x52, 2, 0), 0);
    assert_int_equal(gcfg_w(0x18, 4, 0xfe000000), 0);
    assert_int_equal(vmsix_irte_free_count(W.pool), W.pool_free0);
    W.bar_addr = 0;
    assert_int_equal(vmsix_dev_restore(W.dev, a, n), 0);
    check_invariants("restored");
    assert_int_equal(W.bar_addr, 0xfeb00000); /* the host moves its trap back */
    assert_int_equal(gcfg(0x18, 4), 0xfeb00000);
    assert_int_equal(vmsix_dev_get_state(W.dev, &st2), 0);
    assert_true(st2.phys_enabled);
    assert_int_equal(st2.active, st.active);
    assert_int_equal(vmsix_dev_save(W.dev, c, sizeof(c), &n2), 0);
    assert_memory_equal(a, c, n);
    assert_int_equal(simfn_fire(&W.fn, 5), 1);
    assert_int_equal(W.last_guest_addr[5], guest_addr(3));
    assert_int_equal(simfn_fire(&W.fn, 2), 0); /* still masked */

    /* a device of another layout refuses it */
    struct vmsix_dev_params dp;
    struct vmsix_dev *other;
    unsigned char *mem = aligned_alloc(8, (vmsix_dev_storage_size() + 7) & ~(size_t)7);
    memset(&dp, 0, sizeof(dp));
    dp.backend = &W.backend;
    dp.src.id = RID;
    dp.opt.nvec = 4;
    assert_int_equal(vmsix_dev_init(mem, vmsix_dev_storage_size(), &dp, &dev_ops, NULL, &other), 0);
    assert_int_equal(vmsix_dev_restore(other, a, n), -EINVAL);
    free(mem);
    assert_int_equal(vmsix_dev_teardown(W.dev), 0);
    assert_int_equal(vmsix_irte_free_count(W.pool), W.pool_free0);
}

/* A hostile guest: random config writes anywhere (any size, any value),
 * random table/PBA accesses, device fires; the invariants hold after every
 * step and deliveries only ever carry what the guest programmed. */
static uint64_t rstate = 0x243f6a8885a308d3ull;

static uint64_t rnd64(void)
{
    rstate ^= rstate << 13;
    rstate ^= rstate >> 7;
    rstate ^= rstate << 17;
    return rstate;
}

static void test_random_guest(void **state)
{
    unsigned long steps = 0, live = 0, delivered = 0;

    (void)state;
    for (unsigned round = 0; round < 6; round++) {
        world_init(1 + round % 5, round & 1);
        for (unsigned i = 0; i < 6000; i++, steps++) {
            unsigned long before[32];
            memcpy(before, W.injected, sizeof(before));
            unsigned r = (unsigned)(rnd64() % 100);
            static const unsigned sizes[] = {1, 2, 4, 3, 8};
            unsigned size = sizes[rnd64() % 5];
            uint64_t v = rnd64();
            if (r < 30) {
                /* mostly the interesting registers, sometimes anywhere */
                static const uint16_t hot[] = {0x04, 0x18, 0x50, 0x52, 0x52, 0x52,
                                               0x53, 0x54, 0x58, 0x5c, 0x60, 0x64};
                uint16_t off = (rnd64() % 4) ? hot[rnd64() % 12] : (uint16_t)(rnd64() % 4100);
                if (off >= 0x78 && off < 0x7c && (rnd64() % 8))
                    v &= ~0x80008000ull; /* an FLR now and then, not at every hit */
                if (off == 0x52 && (rnd64() % 4)) {
                    v = (rnd64() % 4) ? 0x8000 : 0xc000; /* enable often */
                    size = 2;
                }
                (void)vmsix_dev_cfg_write(W.dev, off, size, (uint32_t)v);
            } else if (r < 70) {
                struct vmsix_dev_state ds;
                vmsix_dev_get_state(W.dev, &ds);
                uint64_t off =
                    (rnd64() % 8) ? 16 * (rnd64() % ds.nvec) + 4 * (rnd64() % 4) : rnd64() % 0x1100;
                if ((off & 15) == 0 && (rnd64() % 4)) {
                    v = guest_addr((unsigned)(rnd64() % 5)); /* sometimes a foreign CPU */
                    size = (rnd64() % 2) ? 8 : 4;
                }
                if ((off & 15) == 8 && (rnd64() % 4)) {
                    /* data, often with an unmask in the same 8-byte write */
                    v = (0x30 + rnd64() % 0xc0) | ((rnd64() % 8 == 0) ? 0x400 : 0);
                    size = (rnd64() % 2) ? 8 : 4;
                }
                if ((off & 15) == 12)
                    v = (rnd64() % 3) ? 0 : 1;
                (void)vmsix_dev_mmio_write(W.dev, off, size, v);
            } else if (r < 80) {
                uint64_t out;
                (void)vmsix_dev_mmio_read(W.dev, rnd64() % 0x1100, size, &out);
                uint32_t c;
                (void)vmsix_dev_cfg_read(W.dev, (uint16_t)(rnd64() % 4100), size, &c);
            } else if (r < 97) {
                simfn_fire(&W.fn, (unsigned)(rnd64() % 33) % (1u << (1 + round % 5) | 1u));
            } else if (r < 98) {
                (void)vmsix_dev_reset(W.dev);
            } else {
                (void)vmsix_dev_irq(W.dev, (uint16_t)(rnd64() % 40));
            }
            check_invariants("random");
            struct vmsix_dev_state st;
            vmsix_dev_get_state(W.dev, &st);
            live += st.active != 0;
            /* a delivery in this step carried the vector's message as the
             * table holds it (one step changes the table at most once,
             * and an unmask delivers with the new message) */
            for (unsigned k = 0; k < 32; k++) {
                if (W.injected[k] == before[k])
                    continue;
                uint64_t a = 0, d = 0;
                assert_int_equal(vmsix_dev_mmio_read(W.dev, 16 * k, 4, &a), 0);
                assert_int_equal(vmsix_dev_mmio_read(W.dev, 16 * k + 8, 4, &d), 0);
                assert_int_equal(W.last_guest_addr[k], (uint32_t)a);
                assert_int_equal(W.last_guest_data[k], (uint32_t)d);
                delivered++;
            }
        }
        assert_int_equal(vmsix_dev_teardown(W.dev), 0);
        check_invariants("random teardown");
        assert_int_equal(vmsix_irte_free_count(W.pool), W.pool_free0);
    }
    print_message("random guest: %lu steps, %lu with active vectors, %lu deliveries\n", steps, live,
                  delivered);
    assert_true(live > steps / 10 && delivered > 500);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_linux_story, teardown),
        cmocka_unit_test_teardown(test_old_msi_bytes_hidden, teardown),
        cmocka_unit_test_teardown(test_translate_refuses, teardown),
        cmocka_unit_test_teardown(test_flr_and_reset, teardown),
        cmocka_unit_test_teardown(test_fault_injection, teardown),
        cmocka_unit_test_teardown(test_init_refusals, teardown),
        cmocka_unit_test_teardown(test_save_restore, teardown),
        cmocka_unit_test_teardown(test_random_guest, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
