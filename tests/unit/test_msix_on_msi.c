/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The composed device end to end: a simulated function (examples/sim) with
 * real MSI behaviour, a remapping unit with real tables resolved by its
 * reference decoder, and guest sequences modelled on Linux; every test runs
 * once per backend: VT-d, AMD-Vi with 32-bit entries, AMD-Vi with 128-bit
 * entries (the index-data unit: blocks aligned to their size), and the
 * GICv3-ITS-like unit of tests/common/its_ref.h (data index, and its
 * doorbell behind an IOMMU, mapped through the MSI doorbell window; its own
 * tests check the order of setup and teardown, the resolver and the
 * refusals: a full window, a failing map). After every
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

#define DW_FAIL(...) fail_msg(__VA_ARGS__)
#include "dev_world.h"
#include "xorshift.h"

static int teardown(void **state)
{
    (void)state;
    dw_free();
    return 0;
}

/* ---- guest accesses ---- */

static int gcfg_w(uint16_t off, unsigned size, uint32_t v)
{
    return vmsix_dev_cfg_write(W.dev, off, size, v);
}

static int gtab_w(unsigned vec, unsigned field, unsigned size, uint64_t v)
{
    return vmsix_dev_mmio_write(W.dev, 16 * vec + field, size, v);
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
    assert_int_equal(dw_cfg(bar, 4), ~(st.bar_size - 1));
    assert_int_equal(gcfg_w(bar, 4, 0xfeb00000), 0);
    assert_int_equal(W.bar_addr, VMSIX_BAR_UNMAPPED);               /* placed, not decoding yet */
    assert_int_equal(gcfg_w(0x04, 2, dw_cfg(0x04, 2) | 0x0006), 0); /* Memory, Bus Master */
    assert_int_equal(W.bar_addr, 0xfeb00000);
    assert_true(phys(0x04, 2) & 0x0002); /* the function decodes its own BARs */
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
    assert_int_equal(dw_cfg(0x50, 1), 0x11);
    assert_int_equal(dw_cfg(0x51, 1), 0x70);
    assert_int_equal(dw_cfg(0x52, 2), 31);
    assert_int_equal(dw_cfg(0x54, 4), 2);         /* table: BIR 2, offset 0 */
    assert_int_equal(dw_cfg(0x58, 4), 0x800 | 2); /* PBA */
    for (uint16_t o = 0x5c; o < 0x68; o++)
        assert_int_equal(dw_cfg(o, 1), 0);
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
    assert_int_equal(dw_mmio(0x800, 8), 1u << 7);
    /* unmask: delivered exactly once */
    assert_int_equal(gtab_w(7, 12, 4, 0), 0);
    check_invariants("unmask 7");
    assert_int_equal(W.injected[7], 2);
    assert_int_equal(dw_mmio(0x800, 8), 0);
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
    assert_int_equal(dw_free_count(), W.pool_free0);
    assert_int_equal(phys(W.fn.msi_off + 2, 2) & 1, 0);
    assert_int_equal(phys(0x04, 2) & 0x0400, 0); /* INTx back to the guest's choice */
}

/* A guest read of the PBA is one snapshot of the function's Pending Bits:
 * at most one config read of it however many masked vectors the read
 * covers (a hypervisor's config access is slow; 32 of them per PBA read
 * were one each per masked vector), none when every vector it covers is
 * live, and each bit still the function's own. */
static void test_pba_read_one_config_read(void **state)
{
    uint16_t mc_off;

    (void)state;
    world_init(5, true);
    mc_off = (uint16_t)(W.fn.msi_off + 2);
    linux_enable(32);
    /* all live: the PBA is vmsix's own, no config read */
    unsigned long calls = W.fn.calls;
    assert_int_equal(dw_mmio(0x800, 8), 0);
    assert_int_equal(dw_mmio(0x800, 4), 0);
    assert_int_equal(W.fn.calls, calls);
    /* Function Mask: every vector masked, two held at the function */
    assert_int_equal(gcfg_w(mc_off, 2, 0xc000), 0);
    assert_int_equal(simfn_fire(&W.fn, 3), 0);
    assert_int_equal(simfn_fire(&W.fn, 30), 0);
    calls = W.fn.calls;
    assert_int_equal(dw_mmio(0x800, 8), (1u << 3) | (1u << 30));
    assert_int_equal(W.fn.calls, calls + 1);
    calls = W.fn.calls;
    assert_int_equal(dw_mmio(0x800, 4), (1u << 3) | (1u << 30));
    assert_int_equal(W.fn.calls, calls + 1);
    /* the upper dword covers no vector: nothing to ask */
    calls = W.fn.calls;
    assert_int_equal(dw_mmio(0x804, 4), 0);
    assert_int_equal(W.fn.calls, calls);
    /* the next read asks again: a snapshot lasts one guest access */
    assert_int_equal(simfn_fire(&W.fn, 5), 0);
    calls = W.fn.calls;
    assert_int_equal(dw_mmio(0x800, 8), (1u << 3) | (1u << 5) | (1u << 30));
    assert_int_equal(W.fn.calls, calls + 1);
    /* one vector masked, the rest live: one read, only its bit polled */
    assert_int_equal(gcfg_w(mc_off, 2, 0x8000), 0);
    assert_int_equal(W.injected[3], 1);
    assert_int_equal(gtab_w(9, 12, 4, 1), 0);
    assert_int_equal(simfn_fire(&W.fn, 9), 0);
    calls = W.fn.calls;
    assert_int_equal(dw_mmio(0x800, 8), 1u << 9);
    assert_int_equal(W.fn.calls, calls + 1);
    check_invariants("pba reads");
    /* a failed config read: the function's bits read 0 */
    W.fn.fail_at = W.fn.calls + 1;
    assert_int_equal(dw_mmio(0x800, 8), 0);
    W.fn.fail_at = 0;
    assert_int_equal(dw_mmio(0x800, 8), 1u << 9);
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
            assert_int_equal(dw_cfg(o, 1), 0);
    }
    for (uint16_t o = 0x54; o < 0x68; o += 4)
        assert_int_equal(gcfg_w(o, 4, 0xffffffff), 0);
    for (uint16_t o = 0x54; o < 0x68; o += 2)
        assert_int_equal(gcfg_w(o, 2, 0xffff), 0);
    /* nothing of it reached the function, the table location is read-only */
    assert_memory_equal(&W.fn.cfg[0x50], before, sizeof(before));
    assert_int_equal(dw_cfg(0x54, 4), 2);
    assert_int_equal(dw_cfg(0x58, 4), 0x802);
    /* a 4-byte write to the capability's first dword: only Message
     * Control bits 15:14 take, the ID and next pointer are read-only */
    assert_int_equal(gcfg_w(0x50, 4, 0xffffffff), 0);
    assert_int_equal(dw_cfg(0x50, 4), 0xc0077011);
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
    /* a live vector moved to a CPU that is not the guest's: refused,
     * masked at the function, entry cleared, and no longer live */
    assert_int_equal(gtab_w(3, 0, 4, 0xfee07000), -EPERM);
    check_invariants("live refused");
    struct vmsix_dev_state st;
    assert_int_equal(vmsix_dev_get_state(W.dev, &st), 0);
    assert_int_equal(st.active & 8, 0);
    assert_int_equal(simfn_fire(&W.fn, 3), 0); /* held */
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
    assert_int_equal(dw_cfg(0x52, 2), 7);
    assert_int_equal(dw_cfg(0x18, 4), 0); /* the table BAR */
    assert_int_equal(dw_mmio(12, 4), 1);  /* masked */
    assert_int_equal(dw_free_count(), W.pool_free0);
    linux_enable(8);
    assert_int_equal(vmsix_dev_reset(W.dev), 0);
    check_invariants("reset");
    assert_int_equal(dw_free_count(), W.pool_free0);
    linux_enable(8);
    assert_int_equal(vmsix_dev_teardown(W.dev), 0);
    assert_int_equal(dw_free_count(), W.pool_free0);
    assert_true(dw_tables_zero());
}

/* The function refuses the write that masks a vector: the next write of
 * the mask register carries that bit too (found by fuzz-device: the bit
 * stayed clear at the function while the guest had the vector masked). */
static void test_refused_mask_write_repaired(void **state)
{
    (void)state;
    world_init(3, true);
    linux_enable(8);
    W.fn.fail_at = W.fn.calls + 1; /* vmsix's next config access: the mask write */
    assert_int_equal(gtab_w(0, 12, 4, 1), -EIO);
    W.fn.fail_at = 0;
    assert_false(phys(simfn_msi_mask_reg(&W.fn), 4) & 1); /* refused: still unmasked */
    assert_int_equal(gtab_w(5, 12, 4, 1), 0);             /* any later mask write */
    assert_int_equal(phys(simfn_msi_mask_reg(&W.fn), 4) & 0x21, 0x21);
    check_invariants("repaired");
    /* and a vector programmed while the register was unknown is quiesced
     * first: program it again after another refusal */
    W.fn.fail_at = W.fn.calls + 1;
    assert_int_equal(gtab_w(1, 12, 4, 1), -EIO);
    W.fn.fail_at = 0;
    assert_int_equal(gtab_w(1, 12, 4, 0), 0);
    check_invariants("reprogrammed");
    assert_int_equal(simfn_fire(&W.fn, 1), 1);
}

/* A backend that refuses to release the block: the device keeps it (no
 * leak, no second block) and releases it at the next setup or teardown. */
static void test_release_refused(void **state)
{
    struct vmsix_dev_state st;

    (void)state;
    world_init(3, true);
    linux_enable(8);
    W.release_refusals = 1;
    assert_int_equal(gcfg_w(0x52, 2, 0), -EIO); /* MSI-X off: the release fails */
    assert_int_equal(vmsix_dev_get_state(W.dev, &st), 0);
    assert_false(st.phys_enabled);
    assert_true(st.block_held);
    assert_int_equal(W.pool_free0 - dw_free_count(), st.block.count);
    check_invariants("release refused");
    /* enabling again gives the old block back first: one block at a time */
    W.release_refusals = 1;
    assert_int_equal(gcfg_w(0x52, 2, 0x8000), -EIO); /* refused again: no setup */
    assert_int_equal(vmsix_dev_get_state(W.dev, &st), 0);
    assert_true(st.block_held && !st.phys_enabled);
    assert_int_equal(gcfg_w(0x52, 2, 0), 0);
    assert_int_equal(gcfg_w(0x52, 2, 0x8000), 0);
    assert_int_equal(vmsix_dev_get_state(W.dev, &st), 0);
    assert_true(st.phys_enabled && !st.block_held);
    assert_int_equal(W.pool_free0 - dw_free_count(), st.block.count);
    check_invariants("enabled again");
    /* teardown with a refusal: held, and the device stays alive so that a
     * second teardown can release it; then it is dead */
    W.release_refusals = 1;
    assert_int_equal(vmsix_dev_teardown(W.dev), -EIO);
    assert_int_equal(vmsix_dev_get_state(W.dev, &st), 0);
    assert_true(st.block_held);
    assert_int_equal(vmsix_dev_teardown(W.dev), 0);
    assert_int_equal(vmsix_dev_get_state(W.dev, &st), -EINVAL);
    assert_int_equal(vmsix_dev_irq(W.dev, 0), -EINVAL);
    assert_int_equal(dw_free_count(), W.pool_free0);
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
    assert_int_equal(dw_free_count(), W.pool_free0);
    assert_true(dw_tables_zero());
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
        {22, 0x04}, /* Command bits other than the guest's (I/O, Memory, INTx Disable) */
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
    assert_int_equal(dw_free_count(), W.pool_free0);
    assert_int_equal(W.bar_addr, 0xfe000000); /* the guest moved it */
    assert_int_equal(vmsix_dev_restore(W.dev, a, n), 0);
    check_invariants("restored");
    assert_int_equal(W.bar_addr, 0xfeb00000); /* the host moves its trap back */
    assert_int_equal(dw_cfg(0x18, 4), 0xfeb00000);
    assert_int_equal(vmsix_dev_get_state(W.dev, &st2), 0);
    assert_true(st2.phys_enabled);
    assert_int_equal(st2.active, st.active);
    assert_int_equal(vmsix_dev_save(W.dev, c, sizeof(c), &n2), 0);
    assert_memory_equal(a, c, n);
    assert_int_equal(simfn_fire(&W.fn, 5), 1);
    assert_int_equal(W.last_guest_addr[5], guest_addr(3));
    /* still masked: held by the function, or (without mask bits) sent to
     * its divert target and pended; not delivered either way */
    unsigned long inj2 = W.injected[2];
    assert_int_equal(simfn_fire(&W.fn, 2), W.fn.pvm ? 0 : 1);
    assert_int_equal(W.injected[2], inj2);

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
    assert_int_equal(dw_free_count(), W.pool_free0);
}

/* A hostile guest: random config writes anywhere (any size, any value),
 * random table/PBA accesses, device fires; the invariants hold after every
 * step and deliveries only ever carry what the guest programmed. */
static uint64_t rstate = 0x243f6a8885a308d3ull;

static uint64_t rnd64(void)
{
    return xorshift64(&rstate);
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
        assert_int_equal(dw_free_count(), W.pool_free0);
    }
    print_message("random guest: %lu steps, %lu with active vectors, %lu deliveries\n", steps, live,
                  delivered);
    assert_true(live > steps / 10 && delivered > 500);
}

/* Every failed step logs one line that names it: the vector, the step,
 * the error. */
static void test_log_names_the_step(void **state)
{
    (void)state;
    world_init(2, false);
    linux_enable(4);
    assert_int_equal(W.logs, 0); /* a story without failures logs nothing */

    assert_int_equal(gtab_w(1, 12, 4, 1), 0);
    assert_int_equal(gtab_w(1, 0, 8, 0xfee07000), 0); /* CPU 7: not this guest's */
    assert_int_equal(gtab_w(1, 12, 4, 0), -EPERM);
    assert_int_equal(W.logs, 1);
    assert_string_equal(W.last_log,
                        "vmsix: vector 1: translate of the guest's message failed (-1)");

    /* the unit times out on the invalidation after program: the unmask of
     * vector 2 calls translate, program, invalidate */
    assert_int_equal(gtab_w(2, 12, 4, 1), 0);
    W.fail_at = W.calls + 3;
    assert_int_equal(gtab_w(2, 12, 4, 0), -ETIMEDOUT);
    W.fail_at = 0;
    assert_string_equal(W.last_log, "vmsix: vector 2: backend invalidate failed (-110)");
    check_invariants("invalidate failed");

    /* the function refuses the mask write of a vector going off */
    W.fn.fail_at = W.fn.calls + 1;
    assert_int_equal(gtab_w(3, 12, 4, 1), -EIO);
    W.fn.fail_at = 0;
    assert_string_equal(W.last_log, "vmsix: MSI mask bits write failed (-5)");
}

/* A target the unit cannot hold (an xAPIC unit: 8-bit destinations) is
 * refused before program(): the vector stays masked, with no entry. */
static void test_target_beyond_the_unit(void **state)
{
    struct vmsix_dev_state st;

    (void)state;
    world_init(2, false);
    linux_enable(4);
    assert_int_equal(gtab_w(1, 12, 4, 1), 0);
    dw_force_dest = 0x100;
    unsigned long hooks = W.hooks;
    assert_int_equal(gtab_w(1, 12, 4, 0), -EINVAL);
    dw_force_dest = -1;
    /* translate, then mask (cfg), clear, invalidate: no program */
    assert_int_equal(W.hooks - hooks, 1 + 1 + 2);
    assert_string_equal(
        W.last_log,
        "vmsix: vector 1: target check (the unit cannot hold translate's target) failed (-22)");
    check_invariants("target refused");
    assert_int_equal(vmsix_dev_get_state(W.dev, &st), 0);
    assert_int_equal(st.active & 2, 0);
    assert_int_equal(simfn_fire(&W.fn, 1), 0); /* held at the function */
}

/* The host hears of every change of where the table BAR decodes (issue 14,
 * defect 2): a guest FLR, a reset, Memory Space Enable, a move, restore;
 * each report starts where the last one left it (dev_world checks that,
 * and that the trap is where the guest view decodes, after every step). */
static void test_bar_decode_follows(void **state)
{
    unsigned char a[4096];
    size_t n;
    unsigned long hooks;

    (void)state;
    world_init(3, true);
    linux_enable(8);
    assert_int_equal(W.bar_addr, 0xfeb00000);
    assert_int_equal(vmsix_dev_save(W.dev, a, sizeof(a), &n), 0);
    /* Memory Space Enable off and on */
    assert_int_equal(gcfg_w(0x04, 2, dw_cfg(0x04, 2) & ~0x2u), 0);
    assert_int_equal(W.bar_addr, VMSIX_BAR_UNMAPPED);
    assert_false(phys(0x04, 2) & 0x2); /* the function's too */
    /* a move while not decoding is reported when decoding starts */
    hooks = W.hooks;
    assert_int_equal(gcfg_w(0x18, 4, 0xfe800000), 0);
    assert_int_equal(W.bar_addr, VMSIX_BAR_UNMAPPED);
    assert_int_equal(gcfg_w(0x04, 2, dw_cfg(0x04, 2) | 0x2u), 0);
    assert_int_equal(W.bar_addr, 0xfe800000);
    assert_true(W.hooks > hooks);
    check_invariants("moved");
    /* a guest FLR: the BAR reads 0 and decodes nowhere */
    assert_int_equal(gcfg_w(0x78, 2, 0x8000), 0);
    assert_int_equal(W.bar_addr, VMSIX_BAR_UNMAPPED);
    assert_int_equal(dw_cfg(0x18, 4), 0);
    check_invariants("flr");
    /* restore brings the saved place back */
    assert_int_equal(vmsix_dev_restore(W.dev, a, n), 0);
    assert_int_equal(W.bar_addr, 0xfeb00000);
    check_invariants("restored");
    /* a host reset */
    assert_int_equal(vmsix_dev_reset(W.dev), 0);
    assert_int_equal(W.bar_addr, VMSIX_BAR_UNMAPPED);
    check_invariants("reset");
    /* restore into a fresh device on a torn-down one's storage */
    assert_int_equal(vmsix_dev_teardown(W.dev), 0);
    dw_make_dev();
    assert_int_equal(vmsix_dev_restore(W.dev, a, n), 0);
    assert_int_equal(W.bar_addr, 0xfeb00000);
    check_invariants("restored into a fresh device");
    assert_int_equal(simfn_fire(&W.fn, 1), 1);
}

/* A function taken from D3hot to D0 with No_Soft_Reset clear resets
 * itself; the device follows as after an FLR (issue 14, defect 3). */
static void test_pm_reset(void **state)
{
    struct vmsix_dev_state st;

    (void)state;
    world_init(3, true);
    linux_enable(8);
    assert_int_equal(gcfg_w(0x44, 2, 0x0003), 0); /* D3hot */
    check_invariants("d3hot");
    assert_int_equal(vmsix_dev_get_state(W.dev, &st), 0);
    assert_true(st.phys_enabled);
    assert_int_equal(gcfg_w(0x44, 2, 0x0000), 0); /* D0: the function resets */
    check_invariants("d3hot -> d0");
    assert_int_equal(vmsix_dev_get_state(W.dev, &st), 0);
    assert_false(st.phys_enabled);
    assert_int_equal(dw_cfg(0x52, 2), 7); /* MSI-X disabled */
    assert_int_equal(dw_cfg(0x18, 4), 0); /* the table BAR unassigned */
    assert_int_equal(W.bar_addr, VMSIX_BAR_UNMAPPED);
    assert_int_equal(dw_free_count(), W.pool_free0);
    /* a state the function does not support (D1) is ignored, as the
     * function ignores it */
    assert_int_equal(gcfg_w(0x44, 2, 0x0001), 0);
    assert_int_equal(dw_cfg(0x44, 2) & 3, 0);
    /* a function whose No_Soft_Reset is set (hardwired: vmsix reads it at
     * init) keeps its state, and so does vmsix */
    world_init_dev(3, true, false);
    W.fn.cfg[0x44] |= 0x08;
    dw_make_dev();
    linux_enable(8);
    assert_int_equal(gcfg_w(0x44, 2, 0x0003), 0);
    assert_int_equal(dw_cfg(0x44, 2) & 3, 3);
    assert_int_equal(W.fn.cfg[0x44] & 3, 3); /* written to the function */
    assert_int_equal(gcfg_w(0x44, 2, 0x0000), 0);
    check_invariants("no soft reset");
    assert_int_equal(vmsix_dev_get_state(W.dev, &st), 0);
    assert_true(st.phys_enabled);
    unsigned long before = W.injected[1];
    assert_int_equal(simfn_fire(&W.fn, 1), 1);
    assert_int_equal(W.injected[1], before + 1);
}

/* Advanced Features' FLR (conventional PCI) is emulated as the PCI Express
 * one is (issue 14, defect 3). */
static void test_af_flr(void **state)
{
    struct vmsix_dev_state st;

    (void)state;
    dw_af_layout = true;
    world_init(3, true);
    dw_af_layout = false;
    assert_int_equal(W.fn.exp_off, 0);
    assert_int_equal(W.fn.af_off, 0x70);
    linux_enable(8);
    assert_int_equal(gcfg_w(0x74, 1, 0x01), 0); /* Initiate FLR */
    check_invariants("af flr");
    assert_int_equal(dw_cfg(0x74, 1), 0); /* reads 0 */
    assert_int_equal(vmsix_dev_get_state(W.dev, &st), 0);
    assert_false(st.phys_enabled);
    assert_int_equal(dw_cfg(0x52, 2), 7);
    assert_int_equal(W.bar_addr, VMSIX_BAR_UNMAPPED);
    assert_int_equal(dw_free_count(), W.pool_free0);
    linux_enable(8); /* and the guest can start again */
    assert_int_equal(simfn_fire(&W.fn, 2), 1);
}

/* Posted targets in the composed device (issue 14): translate gives the
 * guest vector and a posted-interrupt descriptor on an x2APIC unit with
 * posting; every entry is a posted one with source validation, the
 * reference decoder resolves each message to it, the interrupt is posted
 * (vmsix_dev_irq is not involved), and moving a live vector to another CPU
 * rewrites its entry with one 128-bit store (the vector stays quiesced). */
static void test_posted_targets(void **state)
{
    (void)state;
    dw_posted = true;
    world_init(3, true);
    dw_posted = false;
    linux_enable(8);
    check_invariants("posted");
    for (unsigned k = 0; k < 8; k++) {
        uint64_t raw[2];
        struct vmsix_vtd_irte e;
        struct vmsix_dev_state st;
        assert_int_equal(vmsix_dev_get_state(W.dev, &st), 0);
        assert_int_equal(vmsix_vtd_irte_read(W.unit, st.block.base + k, raw), 0);
        assert_int_equal(vmsix_vtd_irte_decode(raw, &e), 0);
        assert_true(e.present && e.posted && e.svt == 1 && e.sid == RID);
        assert_int_equal(e.vector, 0x50 + k);
        assert_int_equal(e.pda, PD_BASE + 64u * (k % NCPU));
        assert_int_equal(simfn_fire(&W.fn, k), 1);
        assert_int_equal(W.posted[k], 1);
        assert_int_equal(W.posted_vector[k], 0x50 + k);
        assert_int_equal(W.injected[k], 0); /* not through vmsix_dev_irq */
    }
    /* a live vector moved (Linux masks first; a direct rewrite too) */
    assert_int_equal(gtab_w(3, 0, 4, (uint32_t)guest_addr(1)), 0);
    check_invariants("posted moved");
    assert_int_equal(simfn_fire(&W.fn, 3), 1);
    assert_int_equal(W.posted_pd[3], PD_BASE + 64u * 1);
    assert_int_equal(W.bad_deliveries, 0);
    assert_int_equal(W.faults, 0);
}

/* Every BAR the host describes is virtual (issue 14): the guest sizes and
 * places the function's 64-bit BAR 0-1 and an expansion ROM with the
 * sizing protocol, bar_moved says where each decodes, and no guest value
 * ever reaches the function's registers (dev_world counts any config write
 * to them as a violation); an opted-in pass-through BAR reaches it. */
static void test_bars_virtual(void **state)
{
    uint32_t bar0 = phys(0x10, 4), bar1 = phys(0x14, 4);

    (void)state;
    memset(&dw_opt, 0, sizeof(dw_opt));
    dw_opt.bars[0].size = 0x4000;
    dw_opt.bars[0].kind = VMSIX_BAR_MEM64;
    dw_opt.bars[0].prefetch = true;
    dw_opt.bars[VMSIX_DEV_ROM].size = 0x10000;
    world_init(3, true);
    memset(&dw_opt, 0, sizeof(dw_opt));
    bar0 = phys(0x10, 4);
    bar1 = phys(0x14, 4);
    /* reset: type bits, address 0 */
    assert_int_equal(dw_cfg(0x10, 4), 0x0000000c);
    assert_int_equal(dw_cfg(0x14, 4), 0);
    assert_int_equal(dw_cfg(0x30, 4), 0);
    /* sizing */
    assert_int_equal(gcfg_w(0x10, 4, 0xffffffff), 0);
    assert_int_equal(gcfg_w(0x14, 4, 0xffffffff), 0);
    assert_int_equal(gcfg_w(0x30, 4, 0xfffff800), 0);
    assert_int_equal(dw_cfg(0x10, 4), 0xffffc00c);
    assert_int_equal(dw_cfg(0x14, 4), 0xffffffff);
    assert_int_equal(dw_cfg(0x30, 4), 0xffff0000);
    /* placed above 4 GiB, the ROM below; nothing decodes before Memory
     * Space Enable (and the ROM's enable) */
    assert_int_equal(gcfg_w(0x10, 4, 0xfe000000), 0);
    assert_int_equal(gcfg_w(0x14, 4, 0x00000001), 0);
    assert_int_equal(gcfg_w(0x30, 4, 0xfd000000), 0);
    assert_int_equal(W.bar_at[0], VMSIX_BAR_UNMAPPED);
    assert_int_equal(gcfg_w(0x04, 2, dw_cfg(0x04, 2) | 0x2), 0);
    assert_int_equal(W.bar_at[0], 0x1fe000000ull);
    assert_int_equal(W.bar_at[VMSIX_DEV_ROM], VMSIX_BAR_UNMAPPED);
    assert_int_equal(gcfg_w(0x30, 4, 0xfd000001), 0);
    assert_int_equal(W.bar_at[VMSIX_DEV_ROM], 0xfd000000);
    /* the function's registers never saw any of it */
    assert_int_equal(phys(0x10, 4), bar0);
    assert_int_equal(phys(0x14, 4), bar1);
    assert_int_equal(W.bar_writes, 0);
    check_invariants("bars placed");
    /* the rest works as before, and an FLR unmaps all of them */
    assert_int_equal(gcfg_w(0x04, 2, dw_cfg(0x04, 2) & ~0x2u), 0);
    assert_int_equal(W.bar_at[0], VMSIX_BAR_UNMAPPED);
    linux_enable(8);
    assert_int_equal(W.bar_at[0], 0x1fe000000ull);
    assert_int_equal(simfn_fire(&W.fn, 3), 1);
    assert_int_equal(gcfg_w(0x78, 2, 0x8000), 0);
    assert_int_equal(W.bar_at[0], VMSIX_BAR_UNMAPPED);
    assert_int_equal(W.bar_at[VMSIX_DEV_ROM], VMSIX_BAR_UNMAPPED);
    assert_int_equal(dw_cfg(0x10, 4), 0x0000000c);
    check_invariants("flr");

    /* a host that opts in: BAR 0-1 pass through as before */
    dw_opt.bars[0].passthrough = true;
    world_init(3, true);
    memset(&dw_opt, 0, sizeof(dw_opt));
    assert_int_equal(gcfg_w(0x10, 4, 0xfe000000), 0);
    assert_int_equal(phys(0x10, 4), 0xfe00000c);
    assert_int_equal(dw_cfg(0x30, 4), 0); /* an undescribed ROM reads 0 */
    check_invariants("pass-through");
}

/* A host layout that does not fit the function is refused at init. */
static void test_bars_refused(void **state)
{
    struct vmsix_dev_params dp;
    struct vmsix_dev *d;
    unsigned char *mem;
    static const struct vmsix_dev_bar bad[] = {
        {0x4000, VMSIX_BAR_MEM32, true, false},  /* the function's BAR 0 is 64-bit */
        {0x4000, VMSIX_BAR_MEM64, false, false}, /* and prefetchable */
        {0x3000, VMSIX_BAR_MEM64, true, false},  /* not a power of two */
        {8, VMSIX_BAR_MEM64, true, false},       /* below 16 bytes */
        {0x4000, 9, true, false},                /* no such kind */
    };

    (void)state;
    world_init_dev(3, true, false);
    mem = aligned_alloc(8, (vmsix_dev_storage_size() + 7) & ~(size_t)7);
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        dp = W.dp;
        memset(dp.opt.bars, 0, sizeof(dp.opt.bars));
        dp.opt.bars[0] = bad[i];
        assert_int_equal(vmsix_dev_init(mem, vmsix_dev_storage_size(), &dp, &dev_ops, NULL, &d),
                         -ENOTSUP);
    }
    /* a 64-bit BAR in slot 0 takes slot 1: describing slot 1 too is refused */
    dp = W.dp;
    dp.opt.bars[1].size = 0x1000;
    dp.opt.bars[1].kind = VMSIX_BAR_MEM32;
    assert_int_equal(vmsix_dev_init(mem, vmsix_dev_storage_size(), &dp, &dev_ops, NULL, &d),
                     -ENOTSUP);
    /* the table's slot is never a described BAR */
    dp = W.dp;
    dp.opt.table_bar_set = true;
    dp.opt.table_bar = 2;
    dp.opt.bars[2].size = 0x1000;
    dp.opt.bars[2].kind = VMSIX_BAR_MEM32;
    assert_int_equal(vmsix_dev_init(mem, vmsix_dev_storage_size(), &dp, &dev_ops, NULL, &d),
                     -ENOTSUP);
    /* a ROM below 2 KiB */
    dp = W.dp;
    dp.opt.bars[VMSIX_DEV_ROM].size = 1024;
    assert_int_equal(vmsix_dev_init(mem, vmsix_dev_storage_size(), &dp, &dev_ops, NULL, &d),
                     -ENOTSUP);
    /* and the default world's layout works */
    dp = W.dp;
    assert_int_equal(vmsix_dev_init(mem, vmsix_dev_storage_size(), &dp, &dev_ops, NULL, &d), 0);
    free(mem);
}

/* A guest's 2-byte access at an odd offset (byte enables 0110) reaches the
 * function's cfg hooks as naturally aligned accesses only, whatever the
 * register, and a write carries only the bytes the guest wrote. */
static void test_unaligned_guest_access(void **state)
{
    (void)state;
    world_init(3, true);
    linux_enable(8);
    for (unsigned off = 1; off < 0x100; off += 4) {
        uint32_t v;
        (void)vmsix_dev_cfg_read(W.dev, (uint16_t)off, 2, &v);
        assert_int_equal(W.misaligned, 0);
    }
    /* Command's high byte and Status's low byte: INTx Disable kept, the
     * other byte of each register untouched at the function */
    uint32_t cmd = phys(0x04, 2), status_hi = phys(0x07, 1);
    assert_int_equal(gcfg_w(0x05, 2, 0x0000), 0);
    assert_int_equal(W.misaligned, 0);
    assert_int_equal(phys(0x04, 1), cmd & 0xff);
    assert_int_equal(phys(0x07, 1), status_hi);
    assert_true(phys(0x04, 2) & 0x0400); /* MSI is vmsix's: INTx stays off */
    check_invariants("unaligned");
}

/* The hook structs carry their size: the device's ops and the backend's. */
static void test_ops_size(void **state)
{
    struct {
        struct vmsix_dev_ops ops;
        void (*newer)(void);
    } big;
    struct vmsix_remap_ops shim;
    struct vmsix_remap be;
    struct vmsix_dev_params dp;
    struct vmsix_dev_ops ops = dev_ops;
    struct vmsix_dev *d = NULL;
    unsigned char *mem;

    (void)state;
    world_init(3, true);
    mem = aligned_alloc(8, (vmsix_dev_storage_size() + 7) & ~(size_t)7);
    dp = W.dp;
    ops.size = VMSIX_DEV_OPS_SIZE_V1 - 1;
    assert_int_equal(vmsix_dev_init(mem, vmsix_dev_storage_size(), &dp, &ops, NULL, &d), -EINVAL);
    ops.size = 0;
    assert_int_equal(vmsix_dev_init(mem, vmsix_dev_storage_size(), &dp, &ops, NULL, &d), -EINVAL);
    /* a newer caller's struct: its unknown members must be NULL */
    memset(&big, 0, sizeof(big));
    big.ops = dev_ops;
    big.ops.size = sizeof(big);
    assert_int_equal(vmsix_dev_init(mem, vmsix_dev_storage_size(), &dp, &big.ops, NULL, &d), 0);
    assert_int_equal(vmsix_dev_teardown(d), 0);
    big.newer = (void (*)(void))h_log;
    assert_int_equal(vmsix_dev_init(mem, vmsix_dev_storage_size(), &dp, &big.ops, NULL, &d),
                     -ENOTSUP);
    /* the backend's operations, by the same rule */
    shim = W.shim;
    be.ops = &shim;
    be.ctx = NULL;
    dp.backend = &be;
    shim.size = VMSIX_REMAP_OPS_SIZE_V1 - 1;
    assert_int_equal(vmsix_dev_init(mem, vmsix_dev_storage_size(), &dp, &dev_ops, NULL, &d),
                     -EINVAL);
    assert_string_equal(W.last_log, "vmsix: backend ops failed (-22)");
    shim.size = sizeof(shim);
    shim.compose = NULL;
    assert_int_equal(vmsix_dev_init(mem, vmsix_dev_storage_size(), &dp, &dev_ops, NULL, &d),
                     -EINVAL);
    free(mem);
}

/* ---- the ITS-like unit: data index and a doorbell behind the IOMMU ---- */

/* Hand-computed, for 4, 16 and 64 KiB granules: GITS_TRANSLATER
 * 0x0809_0040 is at offset 0x40 of its page in each, so the device writes
 * window base + 0x40 (slot 0) or + granule + 0x40 (slot 1, when the host
 * holds slot 0); the data is the block's first EventID, which is the
 * lowest multiple of N at or above the 5 events the host holds: 8 for
 * N = 4 and 8, 16 for 16, 32 for 32. Setup is reserve, compose,
 * doorbell_map, then the address write; teardown unmaps the doorbell,
 * then releases the block. */
static void test_its_doorbell_order(void **state)
{
    static const uint64_t granules[] = {0x1000, 0x4000, 0x10000};
    static const unsigned mmcs[] = {2, 3, 4, 5};
    static const uint32_t bases[] = {8, 8, 16, 32};
    struct vmsix_dev_state st;

    (void)state;
    for (unsigned g = 0; g < 3; g++) {
        for (unsigned i = 0; i < 4; i++) {
            for (unsigned host = 0; host < 2; host++) {
                unsigned n = 1u << mmcs[i];
                dw_its_granule = granules[g];
                dw_its_host_pages = host;
                world_init(mmcs[i], (i & 1) != 0);
                W.oplen = 0;
                linux_enable(n);
                assert_string_equal(W.oplog, "RCMA");
                assert_int_equal(vmsix_dev_get_state(W.dev, &st), 0);
                assert_int_equal(st.block.base, bases[i]);
                assert_int_equal(st.block.count, n);
                assert_int_equal(phys(W.fn.msi_off + 4, 4),
                                 DW_WIN_BASE + host * granules[g] + 0x40);
                assert_int_equal(phys(simfn_msi_data_reg(&W.fn), 2), bases[i]);
                /* every message goes IOVA -> GITS_TRANSLATER -> EventID base + k */
                for (unsigned k = 0; k < n; k++) {
                    struct vmsix_msg m = {phys(W.fn.msi_off + 4, 4), bases[i] + k};
                    struct its_result r;
                    assert_int_equal(its_resolve(&W.its, RID, &m, &r), 0);
                    assert_int_equal(r.eventid, bases[i] + k);
                    assert_int_equal(r.lpi, HOST_VEC0 + k);
                    assert_int_equal(r.icid, 8 + k % NCPU);
                    assert_int_equal(simfn_fire(&W.fn, k), 1);
                    assert_int_equal(W.injected[k], 1);
                }
                assert_int_equal(W.faults, 0);
                W.oplen = 0;
                assert_int_equal(gcfg_w((uint16_t)(W.fn.msi_off + 2), 2, 0), 0);
                check_invariants("disable");
                assert_string_equal(W.oplog, "UL");
                assert_int_equal(W.iommu.n, host);
                assert_true(dw_tables_zero());
            }
        }
    }
    dw_its_granule = 0x10000;
    dw_its_host_pages = 0;
}

/* The resolver's reasons, each on its own. */
static void test_its_resolver(void **state)
{
    struct vmsix_dev_state st;
    struct its_result r;
    struct vmsix_msg m;

    (void)state;
    world_init(2, false);
    linux_enable(4);
    assert_int_equal(vmsix_dev_get_state(W.dev, &st), 0);
    m.addr = phys(W.fn.msi_off + 4, 4);
    m.data = st.block.base + 1;
    assert_int_equal(its_resolve(&W.its, RID, &m, &r), 0);
    assert_int_equal(its_resolve(&W.its, RID2, &m, &r), ITS_FAULT_NOT_MAPPED);
    assert_int_equal(its_resolve(&W.its, 0x777, &m, &r), ITS_FAULT_DEVID);
    m.data = NENT;
    assert_int_equal(its_resolve(&W.its, RID, &m, &r), ITS_FAULT_EVENTID);
    m.data = st.block.base + 4; /* outside the block: not mapped */
    assert_int_equal(its_resolve(&W.its, RID, &m, &r), ITS_FAULT_NOT_MAPPED);
    m.data = st.block.base;
    m.addr = ITS_TRANSLATER; /* the physical address: the IOMMU does not map it */
    assert_int_equal(its_resolve(&W.its, RID, &m, &r), ITS_FAULT_IOMMU);
    m.addr = DW_WIN_BASE + 0x40 - 4; /* mapped, but not the doorbell register */
    assert_int_equal(its_resolve(&W.its, RID, &m, &r), ITS_FAULT_NOT_DOORBELL);
    /* a masked vector's event is unmapped */
    assert_int_equal(gtab_w(1, 12, 4, 1), 0);
    m.addr = phys(W.fn.msi_off + 4, 4);
    m.data = st.block.base + 1;
    assert_int_equal(its_resolve(&W.its, RID, &m, &r), ITS_FAULT_NOT_MAPPED);
}

/* Refusals: a full window (-ENOSPC), an IOMMU that cannot map (-ENOMEM),
 * a backend whose doorbell_map fails: setup is undone in reverse (the
 * block released, nothing mapped, MSI off) and the next enable works. */
static void test_its_doorbell_refused(void **state)
{
    uint16_t mc_off;
    struct vmsix_dev_state st;

    (void)state;
    for (unsigned why = 0; why < 3; why++) {
        dw_its_host_pages = why == 0 ? DW_WIN_SLOTS : 0;
        world_init(3, true);
        mc_off = (uint16_t)(W.fn.msi_off + 2);
        if (why == 1)
            W.iommu.fail_next = -ENOMEM;
        if (why == 2)
            W.fail_at = W.calls + 3; /* reserve, compose, doorbell_map */
        W.oplen = 0;
        static const int want[] = {-ENOSPC, -ENOMEM, -EIO};
        assert_int_equal(gcfg_w(mc_off, 2, 0x8000), want[why]);
        char line[80];
        snprintf(line, sizeof(line), "vmsix: backend doorbell_map failed (%d)", want[why]);
        assert_string_equal(W.last_log, line);
        assert_string_equal(W.oplog, "RCML"); /* no address written; the block released */
        check_invariants("refused");
        assert_int_equal(vmsix_dev_get_state(W.dev, &st), 0);
        assert_false(st.phys_enabled);
        assert_int_equal(dw_free_count(), W.pool_free0);
        assert_int_equal(phys(mc_off, 2) & 1, 0);
        assert_int_equal(W.iommu.n, dw_its_host_pages);
        /* room again (the host gives a page back), and the guest retries */
        if (why == 0)
            assert_int_equal(vmsix_doorbell_put(W.win, W.host_db_iova[1]), 0);
        dw_its_host_pages = why == 0 ? 1 : 0;
        assert_int_equal(gcfg_w(mc_off, 2, 0), 0);
        linux_enable(8);
        assert_int_equal(simfn_fire(&W.fn, 5), 1);
        assert_int_equal(W.injected[5], 1);
    }
    dw_its_host_pages = 0;
}

static int use_vtd(void **state)
{
    (void)state;
    dw_backend = DW_VTD;
    return 0;
}

static int use_amdvi(void **state)
{
    (void)state;
    dw_backend = DW_AMDVI;
    return 0;
}

/* ---- a function without per-vector mask bits (software masking) ---- */

static int nomask_teardown(void **state)
{
    dw_nomask = false;
    dw_posted = false;
    return teardown(state);
}

static int use_nomask(void **state)
{
    (void)state;
    dw_nomask = true;
    return 0;
}

/* The xHCI's shape (16 vectors, 64-bit, no mask bits) through the whole
 * Linux story: every vector lands once on its guest vector; a masked one's
 * messages go to its divert target and show in the PBA, and the unmask
 * delivers exactly one, however many came; Function Mask holds them all;
 * a move while live; disable gives the block back. On a unit that cannot
 * switch a live entry (the ITS-like one) the device is refused. */
static void test_nomask_story(void **state)
{
    uint16_t mc = 0x52;

    (void)state;
    dw_nomask = true;
    world_init(4, true);
    if (dw_its()) {
        assert_null(W.dev); /* refused with -ENOTSUP (dw_make_dev checked it) */
        return;
    }
    assert_false(W.fn.pvm);
    assert_int_equal(dw_cfg(0x52, 2), 15); /* MSI-X, 16 vectors */
    linux_enable(16);
    for (unsigned k = 0; k < 16; k++) {
        assert_int_equal(simfn_fire(&W.fn, k), 1);
        assert_int_equal(W.injected[k], 1);
        assert_int_equal(W.last_guest_data[k], 0x50 + k);
        assert_int_equal(W.diverted[k], 0);
    }
    assert_int_equal(W.faults, 0);
    /* masked: diverted, pending, not delivered; three messages are one */
    assert_int_equal(gtab_w(7, 12, 4, 1), 0);
    check_invariants("mask 7");
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(simfn_fire(&W.fn, 7), 1); /* the function cannot hold it */
    assert_int_equal(W.diverted[7], 3);
    assert_int_equal(W.injected[7], 1);
    assert_int_equal(dw_mmio(0x800, 8), 1u << 7);
    check_invariants("pending 7");
    assert_int_equal(gtab_w(7, 12, 4, 0), 0);
    check_invariants("unmask 7");
    assert_int_equal(W.injected[7], 2);
    assert_int_equal(dw_mmio(0x800, 8), 0);
    assert_int_equal(simfn_fire(&W.fn, 7), 1);
    assert_int_equal(W.injected[7], 3);
    assert_int_equal(W.diverted[7], 3);
    /* masked and unmasked without a message: nothing delivered */
    assert_int_equal(gtab_w(8, 12, 4, 1), 0);
    assert_int_equal(gtab_w(8, 12, 4, 0), 0);
    assert_int_equal(W.injected[8], 1);
    /* a move while live */
    assert_int_equal(gtab_w(3, 0, 4, (uint32_t)guest_addr(2)), 0);
    check_invariants("move 3");
    assert_int_equal(simfn_fire(&W.fn, 3), 1);
    assert_int_equal(W.last_guest_addr[3], guest_addr(2));
    /* Function Mask: every message held; each delivered once after */
    assert_int_equal(gcfg_w(mc, 2, 0xc000), 0);
    check_invariants("fmask");
    for (unsigned k = 0; k < 16; k += 5)
        assert_int_equal(simfn_fire(&W.fn, k), 1);
    assert_int_equal(dw_mmio(0x800, 8), 0x8421u);
    assert_int_equal(gcfg_w(mc, 2, 0x8000), 0);
    check_invariants("fmask clear");
    for (unsigned k = 0; k < 16; k++)
        assert_int_equal(W.injected[k], (k == 7 ? 3u : 1u) + (k == 3) + (k % 5 == 0));
    assert_int_equal(dw_mmio(0x800, 8), 0);
    /* the PBA read asks the function nothing: it has no pending bits */
    assert_int_equal(gtab_w(1, 12, 4, 1), 0);
    unsigned long reads = W.fn.calls;
    (void)dw_mmio(0x800, 8);
    assert_int_equal(W.fn.calls, reads);
    assert_int_equal(gcfg_w(mc, 2, 0x0000), 0);
    check_invariants("disable");
    assert_int_equal(dw_free_count(), W.pool_free0);
    assert_int_equal(W.faults, 0);
    assert_int_equal(W.bad_deliveries, 0);
}

/* VT-d posted interrupts without mask bits: an unmasked vector is posted
 * straight to the vCPU, a masked one diverted to the host and pended. */
static void test_nomask_posted(void **state)
{
    (void)state;
    dw_nomask = true;
    dw_posted = true;
    world_init(3, true);
    linux_enable(8);
    assert_int_equal(simfn_fire(&W.fn, 5), 1);
    assert_int_equal(W.posted[5], 1);
    assert_int_equal(W.injected[5], 0);
    assert_int_equal(gtab_w(5, 12, 4, 1), 0);
    check_invariants("mask 5");
    assert_int_equal(simfn_fire(&W.fn, 5), 1);
    assert_int_equal(W.posted[5], 1);
    assert_int_equal(W.diverted[5], 1);
    assert_int_equal(dw_mmio(0x800, 8), 1u << 5);
    assert_int_equal(gtab_w(5, 12, 4, 0), 0);
    check_invariants("unmask 5");
    assert_int_equal(W.injected[5], 1); /* the pending one, by the host */
    assert_int_equal(simfn_fire(&W.fn, 5), 1);
    assert_int_equal(W.posted[5], 2);
}

/* Without the divert hook a function without mask bits is refused, as
 * before software masking existed; vmsix_msix_on_msi_check_masking() says
 * the same. */
static void test_nomask_needs_divert(void **state)
{
    static unsigned char mem[65536] __attribute__((aligned(8)));
    struct vmsix_dev_ops ops = dev_ops;
    struct vmsix_eligibility e;
    struct vmsix_dev *d;

    (void)state;
    dw_nomask = true;
    world_init_dev(3, true, false);
    ops.divert = NULL;
    assert_int_equal(vmsix_dev_init(mem, vmsix_dev_storage_size(), &W.dp, &ops, NULL, &d),
                     -ENOTSUP);
    assert_int_equal(vmsix_msix_on_msi_check(W.fn.cfg, 4096, &e), -ENOTSUP);
    assert_int_equal(e.reasons, VMSIX_ELIG_NO_PER_VECTOR_MASK);
    assert_false(e.per_vector_mask);
    assert_int_equal(vmsix_msix_on_msi_check_masking(W.fn.cfg, 4096, VMSIX_MASKING_FUNCTION, &e),
                     -ENOTSUP);
    assert_int_equal(vmsix_msix_on_msi_check_masking(W.fn.cfg, 4096, VMSIX_MASKING_SOFTWARE, &e),
                     0);
    assert_int_equal(e.reasons, 0);
    assert_false(e.per_vector_mask);
    assert_int_equal(vmsix_msix_on_msi_check_masking(W.fn.cfg, 4096, 2, &e), -EINVAL);
}

static int use_amdvi_ga(void **state)
{
    (void)state;
    dw_backend = DW_AMDVI_GA;
    return 0;
}

static int use_its(void **state)
{
    (void)state;
    dw_backend = DW_ITS;
    dw_its_granule = 0x10000;
    dw_its_host_pages = 0;
    return 0;
}

int main(void)
{
    int failed = 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_linux_story, teardown),
        cmocka_unit_test_teardown(test_pba_read_one_config_read, teardown),
        cmocka_unit_test_teardown(test_old_msi_bytes_hidden, teardown),
        cmocka_unit_test_teardown(test_translate_refuses, teardown),
        cmocka_unit_test_teardown(test_flr_and_reset, teardown),
        cmocka_unit_test_teardown(test_refused_mask_write_repaired, teardown),
        cmocka_unit_test_teardown(test_release_refused, teardown),
        cmocka_unit_test_teardown(test_fault_injection, teardown),
        cmocka_unit_test_teardown(test_init_refusals, teardown),
        cmocka_unit_test_teardown(test_save_restore, teardown),
        cmocka_unit_test_teardown(test_random_guest, teardown),
        cmocka_unit_test_teardown(test_log_names_the_step, teardown),
        cmocka_unit_test_teardown(test_target_beyond_the_unit, teardown),
        cmocka_unit_test_teardown(test_ops_size, teardown),
        cmocka_unit_test_teardown(test_unaligned_guest_access, teardown),
        cmocka_unit_test_teardown(test_bar_decode_follows, teardown),
        cmocka_unit_test_teardown(test_pm_reset, teardown),
        cmocka_unit_test_teardown(test_af_flr, teardown),
        cmocka_unit_test_teardown(test_bars_virtual, teardown),
        cmocka_unit_test_teardown(test_bars_refused, teardown),
    };
    /* a function without mask bits: software masking through the divert hook */
    const struct CMUnitTest nomask[] = {
        cmocka_unit_test_teardown(test_nomask_story, nomask_teardown),
        cmocka_unit_test_setup_teardown(test_fault_injection, use_nomask, nomask_teardown),
        cmocka_unit_test_setup_teardown(test_random_guest, use_nomask, nomask_teardown),
        cmocka_unit_test_setup_teardown(test_save_restore, use_nomask, nomask_teardown),
        cmocka_unit_test_teardown(test_nomask_needs_divert, nomask_teardown),
    };
    const struct CMUnitTest nomask_vtd[] = {
        cmocka_unit_test_teardown(test_nomask_posted, nomask_teardown),
    };
    const struct CMUnitTest nomask_its[] = {
        cmocka_unit_test_teardown(test_nomask_story, nomask_teardown),
    };
    /* VT-d's posted format */
    const struct CMUnitTest vtd_only[] = {
        cmocka_unit_test_teardown(test_posted_targets, teardown),
    };
    /* the ITS-like unit's doorbell and data index */
    const struct CMUnitTest its_only[] = {
        cmocka_unit_test_teardown(test_its_doorbell_order, teardown),
        cmocka_unit_test_teardown(test_its_resolver, teardown),
        cmocka_unit_test_teardown(test_its_doorbell_refused, teardown),
    };
    failed += cmocka_run_group_tests_name("vtd", tests, use_vtd, NULL);
    failed += cmocka_run_group_tests_name("vtd-posted", vtd_only, use_vtd, NULL);
    failed += cmocka_run_group_tests_name("amdvi", tests, use_amdvi, NULL);
    failed += cmocka_run_group_tests_name("amdvi-ga", tests, use_amdvi_ga, NULL);
    failed += cmocka_run_group_tests_name("its", tests, use_its, NULL);
    failed += cmocka_run_group_tests_name("its-doorbell", its_only, use_its, NULL);
    failed += cmocka_run_group_tests_name("vtd-nomask", nomask, use_vtd, NULL);
    failed += cmocka_run_group_tests_name("vtd-posted-nomask", nomask_vtd, use_vtd, NULL);
    failed += cmocka_run_group_tests_name("amdvi-nomask", nomask, use_amdvi, NULL);
    failed += cmocka_run_group_tests_name("amdvi-ga-nomask", nomask, use_amdvi_ga, NULL);
    failed += cmocka_run_group_tests_name("its-nomask", nomask_its, use_its, NULL);
    return failed;
}
