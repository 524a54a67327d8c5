/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The composed device with host-owned messages (vmsix_dev_init_hostmsg(),
 * vmsix/hostmsg.h), tested against a model of what VFIO and KVM do: a
 * counter per vector (the eventfd) that holds messages while the vector is
 * not routed, a route per vector that delivers straight to the guest (KVM
 * irqfd) while it is, and a recording of every operation. The simulated
 * function (examples/sim) sends the messages. Checked from hostmsg.h's
 * rules: the order of operations, exactly one delivery per masked period
 * that got messages (held, PBA, unmask), nothing lost on errors, the
 * function's MSI capability never written, translate never called.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <vmsix/vmsix.h>

#include "simfn.h" /* the function's configuration space */

#define NV 16u
#define PBA_OFF 0x800u
#define MC 0x52u /* the guest's MSI-X Message Control (MSI at 0x50) */
#define ALL_HELD "U0 U1 U2 U3 U4 U5 U6 U7 U8 U9 U10 U11 U12 U13 U14 U15 "

enum hm_op { HM_ENABLE, HM_DISABLE, HM_ROUTE, HM_UNROUTE, HM_TAKE, HM_RESET, HM_N };

struct hm_world {
    struct simfn fn;
    struct vmsix_dev *dev;
    unsigned char mem[65536] __attribute__((aligned(8)));
    struct vmsix_hostmsg_ops ops;
    struct vmsix_hostmsg hm;

    /* the host (VFIO + KVM) */
    bool enabled;
    uint32_t nvec;
    bool routed[32];
    struct vmsix_msg route[32];
    unsigned held[32]; /* eventfd counts */
    unsigned kvm[32];  /* delivered by KVM through the route */
    struct vmsix_msg kvm_msg[32];
    unsigned injected[32]; /* delivered by vmsix through inject */
    struct vmsix_msg inj_msg[32];
    int fail[HM_N]; /* the next call of this op returns it (once) */
    unsigned calls[HM_N];
    char log[256]; /* the operations as letters: E D R(k) U(k) T(k) X */
    unsigned translate_calls;
    unsigned msi_writes; /* config writes into the function's MSI capability */
};

static struct hm_world *W;

static void note(const char *fmt, ...)
{
    size_t n = strlen(W->log);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(W->log + n, sizeof(W->log) - n, fmt, ap);
    va_end(ap);
}

static int take_fail(enum hm_op op)
{
    int rc = W->fail[op];

    W->calls[op]++;
    W->fail[op] = 0;
    return rc;
}

static int hm_enable(void *ctx, uint32_t nvec)
{
    int rc = take_fail(HM_ENABLE);

    (void)ctx;
    note("E%u ", nvec);
    assert_false(W->enabled);
    if (rc)
        return rc;
    W->enabled = true;
    W->nvec = nvec;
    memset(W->held, 0, sizeof(W->held));
    memset(W->routed, 0, sizeof(W->routed));
    return 0;
}

static int hm_disable(void *ctx)
{
    int rc = take_fail(HM_DISABLE);

    (void)ctx;
    note("D ");
    assert_true(W->enabled);
    /* whatever it returns, the host's vectors are gone */
    W->enabled = false;
    memset(W->routed, 0, sizeof(W->routed));
    memset(W->held, 0, sizeof(W->held));
    return rc;
}

static int hm_route(void *ctx, uint32_t k, const struct vmsix_msg *msg)
{
    int rc = take_fail(HM_ROUTE);
    int held = 0;

    (void)ctx;
    note("R%u ", k);
    assert_true(W->enabled);
    assert_true(k < W->nvec);
    if (rc)
        return rc; /* held stays held, a route stays as it was */
    if (!W->routed[k]) {
        held = W->held[k] > 0; /* drained before the irqfd is assigned */
        W->held[k] = 0;
    }
    W->routed[k] = true;
    W->route[k] = *msg;
    return held;
}

static int hm_unroute(void *ctx, uint32_t k)
{
    int rc = take_fail(HM_UNROUTE);

    (void)ctx;
    note("U%u ", k);
    assert_true(W->enabled);
    assert_true(k < W->nvec);
    if (rc)
        return rc;
    W->routed[k] = false;
    return 0;
}

static int hm_take(void *ctx, uint32_t k)
{
    int rc = take_fail(HM_TAKE);

    (void)ctx;
    note("T%u ", k);
    assert_true(W->enabled);
    assert_false(W->routed[k]); /* hostmsg.h: never for a routed vector */
    if (rc)
        return rc;
    if (!W->held[k])
        return 0;
    W->held[k] = 0;
    return 1;
}

static int hm_reset(void *ctx)
{
    int rc = take_fail(HM_RESET);

    (void)ctx;
    note("X ");
    assert_false(W->enabled); /* after disable */
    return rc;
}

/* The function's message k reaches the host's vector k (the host owns the
 * address and data, and its remapping entry k resolves it): routed, KVM
 * delivers it with the route's message; held, the eventfd counts it. */
static void fn_emit(void *ctx, const struct vmsix_msg *m)
{
    unsigned k = m->data & (NV - 1);

    (void)ctx;
    assert_true(W->enabled);
    if (W->routed[k]) {
        W->kvm[k]++;
        W->kvm_msg[k] = W->route[k];
    } else {
        W->held[k]++;
    }
}

static int h_cfg_read(void *c, uint16_t off, unsigned size, uint32_t *val)
{
    (void)c;
    return simfn_cfg_read(&W->fn, off, size, val);
}

static int h_cfg_write(void *c, uint16_t off, unsigned size, uint32_t val)
{
    /* the capability ends after the data, or after the pending bits */
    unsigned end = W->fn.pvm ? simfn_msi_mask_reg(&W->fn) + 8u : simfn_msi_data_reg(&W->fn) + 2u;

    (void)c;
    if (off < end && off + size > W->fn.msi_off)
        W->msi_writes++;
    return simfn_cfg_write(&W->fn, off, size, val);
}

static int h_translate(void *c, uint16_t vec, const struct vmsix_msg *g,
                       struct vmsix_remap_target *t)
{
    (void)c;
    (void)vec;
    (void)g;
    (void)t;
    W->translate_calls++;
    return -EPERM;
}

static void h_inject(void *c, uint16_t vec, const struct vmsix_msg *g)
{
    (void)c;
    assert_true(vec < NV);
    W->injected[vec]++;
    W->inj_msg[vec] = *g;
}

static const struct vmsix_dev_ops dev_ops = {
    .size = sizeof(struct vmsix_dev_ops),
    .cfg_read = h_cfg_read,
    .cfg_write = h_cfg_write,
    .translate = h_translate,
    .inject = h_inject,
};

/* The function sends its message k (the host programmed its MSI: the
 * message reaches the host's vector k). */
static void fire(unsigned k)
{
    struct vmsix_msg m = {.addr = 0xfee00000u, .data = k};

    fn_emit(NULL, &m);
}

static void world(bool pvm)
{
    W = calloc(1, sizeof(*W));
    assert_non_null(W);
    simfn_init(&W->fn, 4, true); /* 16 vectors, 64-bit, like the xHCI */
    if (!pvm)
        simfn_drop_mask_bits(&W->fn);
    W->ops = (struct vmsix_hostmsg_ops){.size = sizeof(struct vmsix_hostmsg_ops),
                                        .enable = hm_enable,
                                        .disable = hm_disable,
                                        .route = hm_route,
                                        .unroute = hm_unroute,
                                        .take_pending = hm_take,
                                        .reset = hm_reset};
    W->hm.ops = &W->ops;
    W->hm.ctx = W;
}

static void make_dev(void)
{
    struct vmsix_dev_options opt;

    memset(&opt, 0, sizeof(opt));
    simfn_bars(&W->fn, opt.bars);
    assert_int_equal(
        vmsix_dev_init_hostmsg(W->mem, sizeof(W->mem), &W->hm, &opt, &dev_ops, NULL, &W->dev), 0);
}

static int done(void **state)
{
    (void)state;
    if (W) {
        assert_int_equal(W->translate_calls, 0);
        assert_int_equal(W->msi_writes, 0);
    }
    free(W);
    W = NULL;
    return 0;
}

static int gcfg_w(uint16_t off, unsigned size, uint32_t v)
{
    return vmsix_dev_cfg_write(W->dev, off, size, v);
}

static int gtab_w(unsigned vec, unsigned field, unsigned size, uint64_t v)
{
    return vmsix_dev_mmio_write(W->dev, 16 * vec + field, size, v);
}

static uint64_t pba(void)
{
    uint64_t v = 0;

    assert_int_equal(vmsix_dev_mmio_read(W->dev, PBA_OFF, 8, &v), 0);
    return v;
}

static uint64_t gaddr(unsigned cpu)
{
    return 0xfee00000u | (cpu << 12);
}

/* Linux: BAR, enable with Function Mask, program, clear Function Mask, unmask. */
static void linux_enable(void)
{
    assert_int_equal(gcfg_w(0x18, 4, 0xfeb00000), 0);
    assert_int_equal(gcfg_w(0x04, 2, 0x0006), 0);
    assert_int_equal(gcfg_w(MC, 2, 0xc000), 0);
    for (unsigned k = 0; k < NV; k++) {
        assert_int_equal(gtab_w(k, 0, 8, gaddr(k % 4)), 0);
        assert_int_equal(gtab_w(k, 8, 4, 0x40 + k), 0);
    }
    assert_int_equal(gcfg_w(MC, 2, 0x8000), 0);
    for (unsigned k = 0; k < NV; k++)
        assert_int_equal(gtab_w(k, 12, 4, 0), 0);
}

/* The whole story: routes carry the guest's messages; a masked period
 * with messages gives exactly one delivery, however it is observed. */
static void check_story(bool pvm)
{
    struct vmsix_dev_state st;

    world(pvm);
    make_dev();
    assert_int_equal(vmsix_dev_get_state(W->dev, &st), 0);
    assert_int_equal(st.nvec, NV);
    assert_false(st.phys_enabled);
    linux_enable();
    assert_int_equal(W->calls[HM_ENABLE], 1);
    assert_int_equal(W->nvec, NV);
    for (unsigned k = 0; k < NV; k++) {
        assert_true(W->routed[k]);
        assert_int_equal(W->route[k].addr, gaddr(k % 4));
        assert_int_equal(W->route[k].data, 0x40 + k);
        fire(k);
        assert_int_equal(W->kvm[k], 1);
    }
    assert_int_equal(vmsix_dev_get_state(W->dev, &st), 0);
    assert_true(st.phys_enabled);
    assert_int_equal(st.active, 0xffffu);

    /* masked: held; three messages are one pending state */
    W->log[0] = 0;
    assert_int_equal(gtab_w(7, 12, 4, 1), 0);
    assert_string_equal(W->log, "U7 ");
    fire(7);
    fire(7);
    assert_int_equal(W->kvm[7], 1);
    W->log[0] = 0;
    assert_int_equal(pba(), 1u << 7);
    assert_string_equal(W->log, "T7 "); /* only the masked vector is asked */
    W->log[0] = 0;
    assert_int_equal(pba(), 1u << 7); /* kept: not asked again */
    assert_string_equal(W->log, "");
    fire(7);
    assert_int_equal(gtab_w(7, 12, 4, 0), 0);
    assert_int_equal(W->injected[7] + W->kvm[7], 2); /* exactly one for the masked period */
    assert_int_equal(W->injected[7], 1);
    assert_int_equal(W->inj_msg[7].data, 0x47);
    assert_int_equal(pba(), 0);
    fire(7);
    assert_int_equal(W->kvm[7], 2);

    /* masked and unmasked without a message: nothing */
    assert_int_equal(gtab_w(8, 12, 4, 1), 0);
    assert_int_equal(gtab_w(8, 12, 4, 0), 0);
    assert_int_equal(W->injected[8], 0);

    /* masked with a message never read through the PBA: one on unmask */
    assert_int_equal(gtab_w(9, 12, 4, 1), 0);
    fire(9);
    assert_int_equal(gtab_w(9, 12, 4, 0), 0);
    assert_int_equal(W->injected[9], 1);

    /* a new message for a live vector: the route changes, nothing held */
    W->log[0] = 0;
    assert_int_equal(gtab_w(3, 0, 4, (uint32_t)gaddr(2)), 0);
    assert_string_equal(W->log, "R3 ");
    fire(3);
    assert_int_equal(W->kvm_msg[3].addr, gaddr(2));
    assert_int_equal(W->injected[3], 0);

    /* Function Mask: every vector held, then routed again */
    assert_int_equal(gcfg_w(MC, 2, 0xc000), 0);
    for (unsigned k = 0; k < NV; k++)
        assert_false(W->routed[k]);
    fire(1);
    fire(12);
    assert_int_equal(pba(), (1u << 1) | (1u << 12));
    assert_int_equal(gcfg_w(MC, 2, 0x8000), 0);
    assert_int_equal(W->injected[1], 1);
    assert_int_equal(W->injected[12], 1);
    assert_int_equal(pba(), 0);

    /* disable: every vector held first (the table deactivates each), then
     * the host's vectors go */
    W->log[0] = 0;
    assert_int_equal(gcfg_w(MC, 2, 0), 0);
    assert_string_equal(W->log, ALL_HELD "D ");
    assert_false(W->enabled);
    assert_int_equal(vmsix_dev_get_state(W->dev, &st), 0);
    assert_false(st.phys_enabled);
    assert_int_equal(st.active, 0);
    assert_int_equal(vmsix_dev_teardown(W->dev), 0);
    assert_int_equal(W->calls[HM_DISABLE], 1);
}

static void test_story_no_mask_bits(void **state)
{
    (void)state;
    check_story(false);
}

/* A function with mask bits is served the same way: the host may not
 * touch them, vmsix leaves them alone. */
static void test_story_with_mask_bits(void **state)
{
    (void)state;
    check_story(true);
    /* (the mask register was never written: done() checks the capability) */
}

/* A route that fails leaves the vector held, its message kept: the
 * error is returned, and the next unmask delivers it once. */
static void test_route_fails(void **state)
{
    (void)state;
    world(false);
    make_dev();
    linux_enable();
    assert_int_equal(gtab_w(4, 12, 4, 1), 0);
    fire(4);
    W->fail[HM_ROUTE] = -EIO;
    assert_int_equal(gtab_w(4, 12, 4, 0), -EIO);
    assert_false(W->routed[4]);
    assert_int_equal(W->held[4], 1); /* kept */
    assert_int_equal(W->injected[4], 0);
    assert_int_equal(gtab_w(4, 12, 4, 1), 0); /* nothing routed: no unroute */
    assert_int_equal(gtab_w(4, 12, 4, 0), 0);
    assert_int_equal(W->injected[4], 1);
    assert_true(W->routed[4]);
    assert_int_equal(vmsix_dev_teardown(W->dev), 0);
}

/* A route that fails for a live vector whose message the guest changed:
 * the host keeps the old route (hostmsg.h), so vmsix holds the vector
 * instead of leaving it routed to a message the guest no longer has; its
 * messages are kept and delivered once, with the new message, at the next
 * route. */
static void test_route_fails_live(void **state)
{
    (void)state;
    world(false);
    make_dev();
    linux_enable();
    W->fail[HM_ROUTE] = -EIO;
    W->log[0] = 0;
    assert_int_equal(gtab_w(3, 0, 4, (uint32_t)gaddr(2)), -EIO);
    assert_string_equal(W->log, "R3 U3 ");
    assert_false(W->routed[3]); /* never routed to the stale message */
    fire(3);
    assert_int_equal(W->kvm[3], 0);
    assert_int_equal(W->held[3], 1);
    assert_int_equal(gtab_w(3, 8, 4, 0x53), 0); /* routed again: the held one, once */
    assert_true(W->routed[3]);
    assert_int_equal(W->injected[3], 1);
    assert_int_equal(W->inj_msg[3].addr, gaddr(2));
    assert_int_equal(W->inj_msg[3].data, 0x53);
    fire(3);
    assert_int_equal(W->kvm[3], 1);
    assert_int_equal(W->kvm_msg[3].data, 0x53);
    assert_int_equal(vmsix_dev_teardown(W->dev), 0);
}

/* A host that grants fewer vectors: MSI-X Enable reports it; nothing is
 * routed, and a later enable works. */
static void test_enable_fails(void **state)
{
    struct vmsix_dev_state st;

    (void)state;
    world(false);
    make_dev();
    W->fail[HM_ENABLE] = -ENOSPC;
    assert_int_equal(gcfg_w(MC, 2, 0x8000), -ENOSPC);
    assert_int_equal(vmsix_dev_get_state(W->dev, &st), 0);
    assert_false(st.phys_enabled);
    assert_int_equal(gtab_w(0, 8, 4, 0x40), 0);
    assert_int_equal(gtab_w(0, 12, 4, 0), -EIO); /* no vectors: stays held nowhere */
    assert_int_equal(W->calls[HM_ROUTE], 0);
    assert_int_equal(gcfg_w(MC, 2, 0), 0);
    assert_int_equal(W->calls[HM_DISABLE], 0); /* nothing to disable */
    assert_int_equal(gcfg_w(MC, 2, 0x8000), 0);
    assert_true(W->routed[0]);
    assert_int_equal(vmsix_dev_teardown(W->dev), 0);
}

/* take_pending failing reads as nothing pending; the message stays held
 * and is delivered on unmask. An unroute that fails is reported. */
static void test_take_and_unroute_fail(void **state)
{
    (void)state;
    world(false);
    make_dev();
    linux_enable();
    assert_int_equal(gtab_w(2, 12, 4, 1), 0);
    fire(2);
    W->fail[HM_TAKE] = -EIO;
    assert_int_equal(pba(), 0);
    assert_int_equal(W->held[2], 1);
    assert_int_equal(pba(), 1u << 2);
    assert_int_equal(gtab_w(2, 12, 4, 0), 0);
    assert_int_equal(W->injected[2], 1);
    W->fail[HM_UNROUTE] = -EIO;
    assert_int_equal(gtab_w(2, 12, 4, 1), -EIO);
    assert_int_equal(vmsix_dev_teardown(W->dev), 0);
}

/* The guest's FLR: vectors disabled, then the host resets the function,
 * then the guest's view is at reset; without the reset op vmsix writes
 * Initiate FLR to the function as on every other path. */
static void test_flr(void **state)
{
    uint32_t v = 0;

    (void)state;
    world(false);
    make_dev();
    linux_enable();
    W->log[0] = 0;
    assert_int_equal(gcfg_w(0x78, 2, 0x8000), 0); /* Device Control: Initiate FLR */
    assert_string_equal(W->log, ALL_HELD "D X ");
    assert_int_equal(vmsix_dev_cfg_read(W->dev, MC, 2, &v), 0);
    assert_int_equal(v & 0xc000, 0);
    assert_int_equal(vmsix_dev_teardown(W->dev), 0);
    done(NULL);

    world(false);
    W->ops.reset = NULL;
    make_dev();
    linux_enable();
    W->log[0] = 0;
    assert_int_equal(gcfg_w(0x78, 2, 0x8000), 0);
    assert_string_equal(W->log, ALL_HELD "D ");
    assert_int_equal(W->calls[HM_RESET], 0);
    assert_int_equal(vmsix_dev_teardown(W->dev), 0);
}

/* Save and restore: the routes come back for the active vectors, the
 * pending bits with them. */
static void test_save_restore(void **state)
{
    static unsigned char img[4096];
    size_t n = 0;

    (void)state;
    world(false);
    make_dev();
    linux_enable();
    assert_int_equal(gtab_w(5, 12, 4, 1), 0);
    fire(5);
    assert_int_equal(pba(), 1u << 5);
    assert_int_equal(vmsix_dev_save(W->dev, img, sizeof(img), &n), 0);
    assert_int_equal(gcfg_w(MC, 2, 0), 0);
    assert_false(W->enabled);
    W->log[0] = 0;
    assert_int_equal(vmsix_dev_restore(W->dev, img, n), 0);
    assert_true(W->enabled);
    for (unsigned k = 0; k < NV; k++)
        assert_int_equal(W->routed[k], k != 5);
    assert_int_equal(pba(), 1u << 5);
    assert_int_equal(gtab_w(5, 12, 4, 0), 0);
    assert_int_equal(W->injected[5], 1);
    assert_int_equal(vmsix_dev_teardown(W->dev), 0);
}

/* A restore into the device while MSI-X is enabled keeps the host's
 * vectors: a message held for a masked vector that the guest never read
 * through the PBA is still pending after it, and delivered once on
 * unmask (a disable would drop it: hostmsg.h). Restoring a state with
 * MSI-X disabled drops the host's vectors, as the guest's disable does. */
static void test_restore_keeps_held(void **state)
{
    static unsigned char img[4096], off_img[4096];
    size_t n = 0, n_off = 0;

    (void)state;
    world(false);
    make_dev();
    assert_int_equal(vmsix_dev_save(W->dev, off_img, sizeof(off_img), &n_off), 0);
    linux_enable();
    assert_int_equal(gtab_w(6, 12, 4, 1), 0);
    fire(6);
    fire(6);
    assert_int_equal(W->held[6], 2); /* not taken: the PBA was not read */
    assert_int_equal(vmsix_dev_save(W->dev, img, sizeof(img), &n), 0);
    W->log[0] = 0;
    assert_int_equal(vmsix_dev_restore(W->dev, img, n), 0);
    assert_int_equal(W->calls[HM_DISABLE], 0);
    assert_true(W->enabled);
    for (unsigned k = 0; k < NV; k++)
        assert_int_equal(W->routed[k], k != 6);
    assert_int_equal(pba(), 1u << 6);
    assert_int_equal(gtab_w(6, 12, 4, 0), 0);
    assert_int_equal(W->injected[6], 1);
    assert_int_equal(pba(), 0);
    /* a state with MSI-X disabled: the host's vectors go */
    assert_int_equal(vmsix_dev_restore(W->dev, off_img, n_off), 0);
    assert_int_equal(W->calls[HM_DISABLE], 1);
    assert_false(W->enabled);
    assert_int_equal(vmsix_dev_teardown(W->dev), 0);
}

/* The MSI capability of a 64-bit function without mask bits is 14 bytes
 * long: a guest's dword write at its last dword (0x5c) reaches the two
 * bytes past it, which pass through; the capability's own bytes (the
 * Message Data, the host's) are not written, not even with the value
 * read back. */
static void test_straddling_write_keeps_msi(void **state)
{
    uint32_t v = 0;

    (void)state;
    world(false);
    make_dev();
    linux_enable();
    assert_int_equal(gcfg_w(0x5c, 4, 0xffffffffu), 0);
    assert_int_equal(gcfg_w(0x5c, 2, 0xffffu), 0);
    assert_int_equal(gcfg_w(0x5e, 2, 0xffffu), 0);
    assert_int_equal(W->msi_writes, 0);
    assert_int_equal(vmsix_dev_cfg_read(W->dev, 0x5c, 4, &v), 0);
    assert_int_equal(v & 0xffff, 0); /* reserved in the guest view */
    assert_int_equal(vmsix_dev_teardown(W->dev), 0);
}

/* Init: the hostmsg ops by the size rule; translate is not needed. */
static void test_init(void **state)
{
    struct vmsix_dev_ops ops = dev_ops;
    struct vmsix_dev *d;
    struct {
        struct vmsix_hostmsg_ops o;
        void (*future)(void);
    } big;

    (void)state;
    world(false);
    ops.translate = NULL;
    assert_int_equal(vmsix_dev_init_hostmsg(W->mem, sizeof(W->mem), &W->hm, NULL, &ops, NULL, &d),
                     0);
    assert_int_equal(vmsix_dev_init_hostmsg(W->mem, sizeof(W->mem), NULL, NULL, &ops, NULL, &d),
                     -EINVAL);
    W->ops.take_pending = NULL;
    assert_int_equal(vmsix_dev_init_hostmsg(W->mem, sizeof(W->mem), &W->hm, NULL, &ops, NULL, &d),
                     -EINVAL);
    W->ops.take_pending = hm_take;
    W->ops.size = VMSIX_HOSTMSG_OPS_SIZE_V1 - 1;
    assert_int_equal(vmsix_dev_init_hostmsg(W->mem, sizeof(W->mem), &W->hm, NULL, &ops, NULL, &d),
                     -EINVAL);
    memset(&big, 0, sizeof(big));
    big.o = W->ops;
    big.o.size = sizeof(big);
    big.future = (void (*)(void))abort;
    W->hm.ops = &big.o;
    assert_int_equal(vmsix_dev_init_hostmsg(W->mem, sizeof(W->mem), &W->hm, NULL, &ops, NULL, &d),
                     -ENOTSUP);
    /* cfg hooks and inject are still required */
    W->hm.ops = &W->ops;
    ops.inject = NULL;
    assert_int_equal(vmsix_dev_init_hostmsg(W->mem, sizeof(W->mem), &W->hm, NULL, &ops, NULL, &d),
                     -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_story_no_mask_bits, done),
        cmocka_unit_test_teardown(test_story_with_mask_bits, done),
        cmocka_unit_test_teardown(test_route_fails, done),
        cmocka_unit_test_teardown(test_route_fails_live, done),
        cmocka_unit_test_teardown(test_enable_fails, done),
        cmocka_unit_test_teardown(test_take_and_unroute_fail, done),
        cmocka_unit_test_teardown(test_flr, done),
        cmocka_unit_test_teardown(test_save_restore, done),
        cmocka_unit_test_teardown(test_restore_keeps_held, done),
        cmocka_unit_test_teardown(test_straddling_write_keeps_msi, done),
        cmocka_unit_test_teardown(test_init, done),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
