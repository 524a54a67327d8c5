/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz-device: the composed MSI-X-on-MSI device (vmsix_dev) over the
 * simulated function of examples/sim and a real VT-d, AMD-Vi or
 * GICv3-ITS-like unit, or a host that owns the function's messages (VFIO +
 * KVM, vmsix_dev_init_hostmsg()), as the input picks, with or without the
 * function's per-vector mask bits, in the world of
 * tests/common/dev_world.h (shared with the unit test), driven by a stream
 * of guest configuration and MMIO accesses, device-side interrupts, host
 * resets, save/restore and failing hooks.
 *
 * Input: 2 header bytes, then operations (missing bytes read as 0; at most
 * MAX_OPS operations).
 *   h0  bits 2:0 MMC - 1 (1..5, 6 and 7 read as 5); bit 3 a 64-bit address;
 *       bits 6:4 log2 of the vectors shown (0: all; above MMC: all);
 *       bit 7: with the ITS unit, the host already holds pages of the
 *       doorbell window (1 + h1 bit 6 of them); with any other, the
 *       function has no per-vector mask bits (software masking: the divert
 *       hook, or the host holding masked vectors' messages)
 *   h1  bits 1:0 the table BAR size: 4096 << (h1 & 3); bits 3:2 the
 *       remapping unit: 0 VT-d, 1 AMD-Vi with 32-bit entries, 2 AMD-Vi
 *       with 128-bit entries, 3 the GICv3-ITS-like unit; bit 4: the
 *       function is conventional PCI with Advanced Features instead of
 *       PCI Express; bit 5: its PMCSR's No_Soft_Reset is set; bits 7:6
 *       with the ITS unit, its doorbell window granule: 4, 16, 64 KiB, and
 *       3: 64 KiB too with host pages (h0 bit 7), else a function without
 *       mask bits, which the ITS-like unit cannot serve (no live switch):
 *       the device must be refused at init with -ENOTSUP, nothing touched,
 *       and the input ends there; with the other units, bit 7: no unit but
 *       host-owned messages (DW_HOSTMSG: bits 3:2 then say nothing), whose
 *       host has no reset operation when bit 6 is set (vmsix writes the
 *       guest's FLR to the function)
 * (Inputs of the harness before host-owned messages and functions without
 * mask bits keep their meaning where these bits were 0 for the VT-d and
 * AMD-Vi units; for the ITS unit, unless h1 bits 7:6 are 3 with h0 bit 7
 * clear, which read as 64 KiB before, as 2 did.)
 * Each operation is one byte (mod 12) and its operands:
 *   0 guest config write (an interesting register or any offset, any size
 *     including invalid ones, Message Control values biased to Enable and
 *     Function Mask), 1 guest config read, 2 table/PBA write (a field of an
 *     entry or anywhere, any size; messages to one of this guest's CPUs or
 *     to a foreign one, data with a delivery mode), 3 table/PBA read,
 *   4 the function raises interrupt k (k 0..32), 5 the host says vector k
 *     of the block fired (vmsix_dev_irq, k 0..39), 6 vmsix_dev_reset,
 *   7 vmsix_dev_teardown (a device it ended is made anew on its storage),
 *   8 a guest reset of the function (FLR through PCI Express or Advanced
 *     Features, a PM transition to D3hot, D0 or D1), 9 arm a fault
 *     (the n-th next backend/hook call, the ITS world's IOMMU map
 *     included, or config access at the function, fails), 10 save and restore (into the same device or a fresh one, a
 *     part of the pool taken meanwhile), 11 size or move the table BAR, or flip
 *     Memory Space Enable.
 *
 * After every operation (abort() on failure):
 * - the isolation invariants of dev_world.h check_invariants(): every
 *   present entry has SVT 1, SQ 0, the function's requester ID, fixed or
 *   lowest-priority delivery and exactly the target translate gives for
 *   its vector's current message, only for effectively unmasked vectors,
 *   inside the block (aligned to its size on AMD-Vi and the ITS, whose
 *   data is the index); on the ITS, the doorbell mapped once through the
 *   window while MSI is set up and not at all otherwise, compose before
 *   doorbell_map before the address write, doorbell_unmap after MSI is
 *   off and the entries cleared and before release, the neighbour's
 *   event table and the host's doorbell pages untouched; MME is log2 of
 *   the vectors and never above the
 *   block; every effectively masked vector is masked at the function; the
 *   pool's accounting is exact; entries are programmed and cleared only
 *   while masked at the function (DESIGN 4.3); no hook or backend call
 *   with a vector out of range; no remapped message with another source
 *   or vector; every cfg hook call naturally aligned; the host's table
 *   trap exactly where the table BAR decodes in the guest view (after
 *   FLR, reset, restore, Memory Space Enable and moves), each bar_moved
 *   report starting where the last one left it; no guest value reaches a
 *   BAR or the ROM of the function (every one is virtual); a torn-down
 *   device leaves nothing behind (and is made anew);
 * - every delivery the guest saw in this step is one of a vector that is
 *   now enabled and unmasked (or was unmasked before an 8-byte write of
 *   its Message Data and Vector Control: that is a write of the data,
 *   then of the control, and in between it is unmasked), carries that
 *   vector's message as the table holds it, happened at most once, and
 *   was caused by this step: the vector fired while it was unmasked, or
 *   it was pending (for the guest, or held at the function) and this
 *   step made it deliverable (the guest unmasked it, or vmsix made it
 *   live);
 * - an interrupt the function sent for a vector vmsix had live (programmed
 *   and unmasked) is delivered exactly once;
 * - every call returns 0 or a negative errno; accesses the API calls
 *   invalid (size, offset) return -EINVAL;
 * - teardown (and the end of the input) gives the pool back whole and
 *   leaves no entry present.
 * Without mask bits (on a unit that switches a live entry), the world's
 * invariants of software masking: every enabled message has an entry
 * (diverted or live) unless a failure left none, a masked vector's entry
 * is its divert target, programs are live switches, the PBA is the
 * software bits alone.
 * With host-owned messages (the fake host of tests/common/hostmsg_model.h:
 * an eventfd count per vector while held, a KVM route while routed; the
 * function's messages reach it at the address and data the host
 * programmed, not through vmsix), after every step (dw_hm_check):
 * - the vectors vmsix routes are exactly the host's; each (but one an
 *   unroute failed to remove) is unmasked and enabled for the guest and
 *   routed to the message its entry holds now; an unmasked vector is
 *   routed unless a failure intervened; the host's vectors are enabled
 *   exactly while the guest's MSI-X is (unless enable failed);
 * - a held vector's messages are never delivered while the guest has it
 *   masked (KVM delivers only routed vectors; vmsix injects only vectors
 *   unmasked now, above);
 * - a masked period that got messages delivers exactly one when the
 *   vector is routed again: vmsix injects only what it took from the
 *   host (take_pending, a route that drained the eventfd) or pended
 *   itself, once; what it took is its software pending bit until then,
 *   never lost (a failure keeps it held); a routed vector has none;
 *   messages the host held are lost only by a step that disabled MSI-X,
 *   reset or tore down the device (or restored one with MSI-X off), and
 *   pending bits only by a reset;
 * - a guest read of the PBA returns the software bits and the held
 *   messages of the masked vectors it takes (those of a failing
 *   take_pending stay held), and the software bits are what it returned;
 * - hostmsg.h's contract: no operation after disable but enable (and
 *   reset), vectors in range, take_pending never for a routed vector;
 *   translate and divert never called; the function's MSI capability
 *   never written by vmsix; teardown leaves the host nothing.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracle.h"
#include "fuzz_check.h"

#define NENT 64u /* a small unit: the invariants scan it after every step */
#define DW_FAIL(...) (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr), abort())
#include "dev_world.h"

#define MAX_OPS 192
#define SAVE_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned char save_a[SAVE_MAX], save_b[SAVE_MAX];
static unsigned long fires_live, deliveries; /* activity, for the replay runner's curiosity */
/* the vector whose Message Data and Vector Control this step wrote in one
 * 8-byte write, else -1 */
static int split_vec = -1;
static bool trace; /* FUZZ_DEVICE_TRACE is set: print each step */

/* The harness's own reads (snapshots, invariants) go through the same
 * hooks as the guest's: they must neither trip an armed fault nor move its
 * countdown. A fault that fired is recorded first (dw_fault_seen: for the
 * world's rules, a failure happened in this world, whatever is armed
 * later). */
struct fault_clock {
    unsigned long calls, fail_at, fn_calls, fn_fail_at;
};

static struct fault_clock clock_stop(void)
{
    struct fault_clock c = {W.calls, W.fail_at, W.fn.calls, W.fn.fail_at};
    if (dw_faulted())
        dw_fault_seen = true;
    W.fail_at = 0;
    W.fn.fail_at = 0;
    return c;
}

static void clock_start(struct fault_clock c)
{
    W.calls = c.calls;
    W.fail_at = c.fail_at;
    W.fn.calls = c.fn_calls;
    W.fn.fail_at = c.fn_fail_at;
}

/* What the guest sees of each vector before a step. */
struct guest_snap {
    bool unmasked[32]; /* enabled, no Function Mask, vector not masked */
    bool pending[32];  /* its PBA bit or the function's pending bit */
    unsigned long injected[32];
    uint32_t active; /* vmsix's live vectors */
};

static VMSIX_ORACLE void snap_take(struct guest_snap *s)
{
    struct fault_clock c = clock_stop();
    struct vmsix_dev_state st;
    uint32_t mc = dw_cfg((uint16_t)(W.fn.msi_off + 2), 2);
    bool on = (mc & 0x8000) && !(mc & 0x4000);
    uint64_t pba;

    DW_CHECK_EQ(vmsix_dev_get_state(W.dev, &st), 0);
    if (dw_hostmsg()) /* (a PBA read would take what the host holds) */
        pba = dw_sw_pending(st.nvec) | (hmm_held_bits(&W.hm) & ~W.hm.routed);
    else
        pba = dw_mmio(st.bar_size / 2, 4);
    for (unsigned k = 0; k < W.nvec; k++) {
        s->unmasked[k] = on && !(dw_mmio(16 * k + 12, 4) & 1);
        /* pending for the guest, or held at the function (a vector the
         * guest unmasked that vmsix could not make live holds its
         * interrupts there, and delivers them once it is live) */
        s->pending[k] = ((pba >> k) & 1) || ((W.fn.pending >> k) & 1);
    }
    memcpy(s->injected, W.injected, sizeof(s->injected));
    s->active = st.active;
    clock_start(c);
}

/* @fired: the vector this step raised (at the function or at the host),
 * -1 for none. @now receives the state after the step, which is also the
 * next step's @before (nothing runs in between but read-only checks). */
static VMSIX_ORACLE void check_deliveries(const struct guest_snap *before, int fired,
                                          struct guest_snap *now)
{
    snap_take(now);
    for (unsigned k = 0; k < W.nvec; k++) {
        unsigned long n = W.injected[k] - before->injected[k];
        if (n == 0)
            continue;
        deliveries++;
        if (n != 1)
            DW_FAIL("vector %u delivered %lu times in one step", k, n);
        /* an 8-byte write of Message Data and Vector Control is a write
         * of the data, then one of the control (DESIGN 4.2): in between,
         * a vector unmasked before the step is unmasked with its new
         * message, and may deliver */
        bool split = split_vec == (int)k && before->unmasked[k];
        if (!now->unmasked[k] && !split)
            DW_FAIL("vector %u delivered but masked (or disabled) now", k);
        if (W.last_guest_addr[k] != (uint32_t)dw_mmio(16 * k, 4) ||
            W.last_guest_data[k] != (uint32_t)dw_mmio(16 * k + 8, 4))
            DW_FAIL("vector %u delivered with a message that is not its entry's", k);
        bool by_fire = fired == (int)k && before->unmasked[k];
        bool by_unmask =
            before->pending[k] && (!before->unmasked[k] || !(before->active & (1u << k)));
        if (!by_fire && !by_unmask)
            DW_FAIL("vector %u delivered without a cause (fired %d, pending %d, unmasked %d)", k,
                    fired, before->pending[k], before->unmasked[k]);
    }
}

static uint16_t pick_cfg_off(struct fuzz_in *in)
{
    /* the registers that matter, relative to the MSI (now MSI-X)
     * capability and the PCI Express one; sometimes anywhere */
    static const uint8_t hot[] = {0x04, 0x06, 0x10, 0x14, 0x18, 0x1c, 0x20, 0x3c};
    uint8_t sel = fuzz_get8(in);
    uint16_t msi = W.fn.msi_off, exp = W.fn.exp_off;

    switch (sel & 7) {
    case 0:
    case 1:
        return (uint16_t)(msi + 2 + ((sel >> 3) & 1) * 2); /* Message Control (or byte 3) */
    case 2:
        return (uint16_t)(msi + ((sel >> 3) & 0x1f)); /* in the capability */
    case 3:
        return hot[(sel >> 3) & 7];
    case 4:
        return (uint16_t)(exp + ((sel >> 3) & 0x3f)); /* PCI Express: Device Control, FLR */
    default:
        return (uint16_t)(fuzz_get(in, 2) % 4100u); /* anywhere, and just past the end */
    }
}

static unsigned pick_size(struct fuzz_in *in)
{
    static const unsigned sizes[] = {4, 2, 1, 4, 8, 3, 0, 16};
    return sizes[fuzz_get8(in) & 7];
}

/* Does an access of @size bytes at @off touch [@reg, @reg + @len)? (@reg
 * 0: no such register.) */
static bool touches(unsigned off, unsigned size, unsigned reg, unsigned len)
{
    return reg && off < reg + len && off + size > reg;
}

/* What vmsix_dev_cfg_read/write accept: 1, 2 or 4 bytes inside one dword. */
static bool cfg_access_valid(uint16_t off, unsigned size)
{
    return (size == 1 || size == 2 || size == 4) && (off & 3u) + size <= 4 && off + size <= 4096;
}

static void op_cfg_write(struct fuzz_in *in)
{
    uint16_t off = pick_cfg_off(in);
    unsigned size = pick_size(in);
    uint32_t v = (uint32_t)fuzz_get(in, 4);

    if (off == W.fn.msi_off + 2 && (v & 0x10000)) {
        size = 2; /* Message Control: mostly Enable, with or without Function Mask */
        v = (v & 0x20000) ? 0xc000 : 0x8000;
    }
    if (off >= W.fn.exp_off + 8 && off < W.fn.exp_off + 12 && (v & 0x100000))
        v &= ~0x80008000u; /* an FLR only now and then */
    bool was_on = dw_cfg((uint16_t)(W.fn.msi_off + 2), 2) & 0x8000;
    int rc = vmsix_dev_cfg_write(W.dev, off, size, v);
    bool valid = cfg_access_valid(off, size);
    CHECK(valid ? rc <= 0 : rc == -EINVAL);
    /* a write that disabled MSI-X drops what the host held; an FLR or a
     * PM transition (a reset) the pending bits too */
    bool resets = valid && (touches(off, size, W.fn.exp_off ? W.fn.exp_off + 8 : 0, 2) ||
                            touches(off, size, W.fn.af_off ? W.fn.af_off + 4 : 0, 1) ||
                            touches(off, size, W.fn.pm_off ? W.fn.pm_off + 4 : 0, 2));
    if (resets || (was_on && !(dw_cfg((uint16_t)(W.fn.msi_off + 2), 2) & 0x8000)))
        dw_hm_held_loss_ok = true;
    if (resets)
        dw_hm_pend_loss_ok = true;
}

static void op_cfg_read(struct fuzz_in *in)
{
    uint16_t off = pick_cfg_off(in);
    unsigned size = pick_size(in);
    uint32_t v = 0x12345678;
    int rc = vmsix_dev_cfg_read(W.dev, off, size, &v);
    bool valid = cfg_access_valid(off, size);

    CHECK(valid ? rc <= 0 : rc == -EINVAL);
    if (rc)
        CHECK(v == 0xffffffffu);
}

static uint64_t pick_mmio_off(struct fuzz_in *in, struct vmsix_dev_state *st)
{
    uint8_t sel = fuzz_get8(in);

    switch (sel & 3) {
    case 0:
    case 1: /* a field of an entry */
        return 16u * (fuzz_get8(in) % W.nvec) + 4u * ((sel >> 2) & 3);
    case 2: /* the PBA */
        return st->bar_size / 2 + 4u * ((sel >> 2) & 3);
    default: /* anywhere in and past the BAR */
        return fuzz_get(in, 2) % (st->bar_size + 64u);
    }
}

static void op_mmio_write(struct fuzz_in *in)
{
    struct vmsix_dev_state st;
    DW_CHECK_EQ(vmsix_dev_get_state(W.dev, &st), 0);
    uint64_t off = pick_mmio_off(in, &st);
    unsigned size = pick_size(in);
    uint8_t shape = fuzz_get8(in);
    uint64_t v = fuzz_get(in, 8);

    if ((off & 15) == 0 && (shape & 3)) {
        /* an address: a CPU of this guest (0..3) or a foreign one (4) */
        v = guest_addr((shape >> 2) % 5);
        if (size != 8 || !(shape & 0x80))
            size = (shape & 0x40) ? 8 : 4;
    } else if ((off & 15) == 8 && (shape & 3)) {
        /* data: a vector, now and then a delivery mode other than fixed,
         * and in an 8-byte write, the vector control dword too */
        v = (0x30 + (v & 0xbf)) | ((shape & 0x1c) == 0x1c ? (uint64_t)((shape >> 5) & 7) << 8 : 0);
        v |= (uint64_t)((shape >> 2) & 1) << 32;
        size = (shape & 0x40) ? 8 : 4;
    } else if ((off & 15) == 12 && (shape & 3)) {
        v = (shape >> 2) & 1; /* mask or unmask */
        size = 4;
    }
    int rc = vmsix_dev_mmio_write(W.dev, off, size, v);
    /* whatever it returns: a failure in the control half comes after
     * the data half took effect */
    if (size == 8 && (off & 15) == 8 && off < 16u * W.nvec)
        split_vec = (int)(off / 16);
    if (trace)
        fprintf(stderr, "  mmio write %#llx/%u = %#llx: %d\n", (unsigned long long)off, size,
                (unsigned long long)v, rc);
    CHECK(rc <= 0);
    if (size == 0)
        CHECK(rc == -EINVAL);
}

/* Host-owned messages: what a guest read of the whole PBA must return.
 * @maybe: the bits it may return (the software bits, and the masked
 * vectors' held messages it takes); @must: those it must (the software
 * bits: a failing take_pending leaves its vector's messages held). */
static VMSIX_ORACLE void hm_pba_expect(const struct vmsix_dev_state *st, uint64_t *maybe,
                                       uint64_t *must)
{
    struct fault_clock c = clock_stop();
    uint32_t mc = dw_cfg((uint16_t)(W.fn.msi_off + 2), 2), masked = 0;
    bool on = (mc & 0x8000) && !(mc & 0x4000);

    for (unsigned k = 0; k < st->nvec; k++)
        if (!on || (dw_mmio(16 * k + 12, 4) & 1))
            masked |= 1u << k; /* not live: the read asks the host */
    *must = dw_sw_pending(st->nvec);
    *maybe = *must;
    if (W.hm.enabled)
        *maybe |= hmm_held_bits(&W.hm) & masked & ~W.hm.routed;
    clock_start(c);
}

static void op_mmio_read(struct fuzz_in *in)
{
    struct vmsix_dev_state st;
    DW_CHECK_EQ(vmsix_dev_get_state(W.dev, &st), 0);
    uint64_t off = pick_mmio_off(in, &st), v = 0, maybe = 0, must = 0;
    unsigned size = pick_size(in);
    bool pba = dw_hostmsg() && off == st.bar_size / 2 && (size == 4 || size == 8);
    unsigned long calls = W.calls;

    if (pba)
        hm_pba_expect(&st, &maybe, &must);
    int rc = vmsix_dev_mmio_read(W.dev, off, size, &v);

    CHECK(rc <= 0);
    if (size == 0)
        CHECK(rc == -EINVAL);
    if (pba) {
        /* the PBA is the software bits: those it had, and what this read
         * took from the host (all of it unless a take_pending failed) */
        bool failed = W.fail_at && calls < W.fail_at && W.calls >= W.fail_at;
        struct fault_clock c = clock_stop();
        CHECK(rc == 0);
        if ((v & ~maybe) || (must & ~v) || (!failed && v != maybe))
            DW_FAIL("PBA read %#llx: software bits %#llx, held %#llx", (unsigned long long)v,
                    (unsigned long long)must, (unsigned long long)(maybe & ~must));
        if (dw_sw_pending(st.nvec) != v)
            DW_FAIL("PBA read %#llx but the software bits are now %#llx", (unsigned long long)v,
                    (unsigned long long)dw_sw_pending(st.nvec));
        clock_start(c);
    }
}

static void op_arm_fault(struct fuzz_in *in)
{
    uint8_t b = fuzz_get8(in);

    if (b & 0x80)
        W.fn.fail_at = W.fn.calls + 1 + (b & 15); /* a config access at the function */
    else
        W.fail_at = W.calls + 1 + (b & 15); /* a backend call or translate */
}

/* Save, then restore into the same device, or into a fresh one made on a
 * torn-down one's storage (a migration), possibly with part of the pool
 * taken meanwhile, so that the restored block lies elsewhere. */
static void op_save_restore(struct fuzz_in *in)
{
    size_t n = 0, n2 = 0;
    uint8_t sel = fuzz_get8(in);
    uint32_t other = 0;
    bool took = false;

    CHECK(vmsix_dev_save(W.dev, save_a, sizeof(save_a), &n) == 0);
    CHECK(n == vmsix_dev_save_size(W.dev) && n <= sizeof(save_a));
    /* host-owned messages: a teardown drops what the host held, and so
     * does restoring a state with MSI-X off; a restore into the device
     * with MSI-X on keeps it (the pending bits always come back) */
    if ((sel & 1) || !(dw_cfg((uint16_t)(W.fn.msi_off + 2), 2) & 0x8000))
        dw_hm_held_loss_ok = true;
    /* (a teardown that met an error may have ended the device too: only a
     * block the backend still holds keeps it alive) */
    if ((sel & 1) && vmsix_dev_teardown(W.dev) <= 0 && dw_dead("torn down to restore")) {
        took = (sel & 2) && dw_take(4, &other) == 0;
        dw_make_dev();
    }
    int rc = vmsix_dev_restore(W.dev, save_a, n);
    if (took) /* given back before the pool's accounting is checked */
        CHECK(dw_give(other, 4) == 0);
    CHECK(rc <= 0);
    if (rc == 0) {
        /* the restored device saves the same state (unless a hook failed
         * while the physical side was rebuilt: then vectors stay masked) */
        CHECK(vmsix_dev_save(W.dev, save_b, sizeof(save_b), &n2) == 0);
        CHECK(n2 == n);
    }
    /* a state with a flipped byte is refused */
    if (n > 8) {
        memcpy(save_b, save_a, n);
        save_b[n / 2] ^= 0x20;
        CHECK(vmsix_dev_restore(W.dev, save_b, n) == -EINVAL);
    }
}

static void op_bar(struct fuzz_in *in)
{
    struct vmsix_dev_state st;
    DW_CHECK_EQ(vmsix_dev_get_state(W.dev, &st), 0);
    uint16_t bar = (uint16_t)(0x10 + 4 * st.table_bar);
    uint8_t b = fuzz_get8(in);
    uint32_t v = (b & 1) ? 0xffffffffu : (uint32_t)fuzz_get(in, 4);

    CHECK(vmsix_dev_cfg_write(W.dev, bar, 4, v) <= 0);
    if (b & 1)
        CHECK(dw_cfg(bar, 4) == ~(st.bar_size - 1));
    if (b & 2) { /* the guest's Memory Space Enable, flipped (a read of the
                  * function's bits may meet an armed fault) */
        uint32_t cmd;
        if (vmsix_dev_cfg_read(W.dev, 0x04, 2, &cmd) == 0)
            CHECK(vmsix_dev_cfg_write(W.dev, 0x04, 2, cmd ^ 0x2u) <= 0);
    }
}

/* The guest resets the function: an FLR through the capability it has
 * (PCI Express Device Control, or Advanced Features' AF Control), or a
 * Power Management transition (to D3hot; to D0, which resets it unless
 * No_Soft_Reset is set; to D1, which the function does not support). */
static void check_teardown(void);
static void op_reset_by_guest(struct fuzz_in *in)
{
    uint8_t sel = fuzz_get8(in);
    uint16_t pmcsr = (uint16_t)(W.fn.pm_off + 4);

    switch (sel % 4) {
    case 0:
        if (W.fn.af_off)
            CHECK(vmsix_dev_cfg_write(W.dev, (uint16_t)(W.fn.af_off + 4), 1, 0x01) <= 0);
        else
            CHECK(vmsix_dev_cfg_write(W.dev, (uint16_t)(W.fn.exp_off + 8), 2, 0x8000) <= 0);
        check_teardown();
        break;
    case 1:
        CHECK(vmsix_dev_cfg_write(W.dev, pmcsr, 2, 0x0003) <= 0);
        break;
    case 2:
        CHECK(vmsix_dev_cfg_write(W.dev, pmcsr, 2, 0x0000) <= 0);
        break;
    default:
        CHECK(vmsix_dev_cfg_write(W.dev, pmcsr, 2, 0x0001) <= 0);
        break;
    }
}

/* After a reset, teardown or FLR: no entry present, and the pool whole, or
 * short of exactly the block the backend refused to release (kept by the
 * device, released at its next setup, reset or teardown). */
static void check_teardown(void)
{
    struct vmsix_dev_state st;
    if (dw_dead("teardown"))
        return;
    DW_CHECK_EQ(vmsix_dev_get_state(W.dev, &st), 0);
    DW_CHECK(!st.phys_enabled);
    DW_CHECK_EQ(W.pool_free0 - dw_free_count(), st.block_held ? st.block.count : 0);
    for (unsigned i = 0; i < NENT; i++)
        DW_CHECK(!dw_entry_present(i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size, 0};
    uint8_t h0 = fuzz_get8(&in), h1 = fuzz_get8(&in);
    unsigned mmc = 1 + (h0 & 7), shown = (h0 >> 4) & 7;

    if (mmc > 5)
        mmc = 5;
    memset(&dw_opt, 0, sizeof(dw_opt));
    if (shown && shown <= mmc)
        dw_opt.nvec = (uint8_t)(1u << shown);
    dw_opt.bar_size = 4096u << (h1 & 3);
    /* the remapping unit: VT-d, AMD-Vi with 32-bit or with 128-bit entries, the ITS;
     * or none but host-owned messages */
    static const enum dw_backend backends[4] = {DW_VTD, DW_AMDVI, DW_AMDVI_GA, DW_ITS};
    static const uint64_t granules[4] = {0x1000, 0x4000, 0x10000, 0x10000};
    dw_backend = backends[(h1 >> 2) & 3];
    dw_its_granule = 0x10000;
    dw_its_host_pages = 0;
    dw_hostmsg_no_reset = false;
    dw_posted = false;
    if (dw_backend == DW_ITS) {
        dw_its_granule = granules[h1 >> 6];
        dw_its_host_pages = (h0 & 0x80) ? 1u + ((h1 >> 6) & 1) : 0;
        dw_nomask = !(h0 & 0x80) && (h1 >> 6) == 3;
    } else {
        dw_nomask = (h0 & 0x80) != 0;
        if (h1 & 0x80) {
            dw_backend = DW_HOSTMSG;
            dw_hostmsg_no_reset = (h1 & 0x40) != 0;
        }
    }
    dw_af_layout = (h1 & 0x10) != 0;
    world_init_dev(mmc, (h0 & 8) != 0, false);
    if (h1 & 0x20)
        W.fn.cfg[W.fn.pm_off + 4] |= 0x08; /* hardwired: before the device reads it */
    if (dw_nomask && dw_backend == DW_ITS) {
        /* no live switch, no software masking: refused, nothing touched */
        static uint8_t cfg0[sizeof(W.fn.cfg)];
        memcpy(cfg0, W.fn.cfg, sizeof(cfg0));
        dw_make_dev(); /* (checks -ENOTSUP) */
        DW_CHECK(W.dev == NULL);
        DW_CHECK(memcmp(cfg0, W.fn.cfg, sizeof(cfg0)) == 0);
        DW_CHECK_EQ(W.oplen, 0); /* no reserve, compose, doorbell or address write */
        DW_CHECK_EQ(dw_free_count(), W.pool_free0);
        DW_CHECK(dw_tables_zero());
        dw_check_untouched("refused");
        dw_free();
        return 0;
    }
    dw_make_dev();
    check_invariants("init");

    unsigned steps = 0;
    struct guest_snap before, after;
    snap_take(&before);
    trace = getenv("FUZZ_DEVICE_TRACE") != NULL;
    for (unsigned i = 0; i < MAX_OPS && in.pos < in.n; i++, steps++) {
        int fired = -1;
        unsigned long logs = W.logs;
        split_vec = -1;
        W.hm.lost = 0; /* (host-owned messages: what this step lets go) */
        dw_hm_held_loss_ok = dw_hm_pend_loss_ok = false;

        unsigned op = fuzz_get8(&in) % 12;
        if (trace)
            fprintf(stderr, "fuzz-device: step %u: op %u at byte %zu\n", steps, op, in.pos - 1);
        switch (op) {
        case 0:
            op_cfg_write(&in);
            break;
        case 1:
            op_cfg_read(&in);
            break;
        case 2:
            op_mmio_write(&in);
            break;
        case 3:
            op_mmio_read(&in);
            break;
        case 4: {
            unsigned k = fuzz_get8(&in) % 33u;
            unsigned long got = W.injected[k < 32 ? k : 0];
            unsigned long faults = W.faults;
            int sent = simfn_fire(&W.fn, k);
            CHECK(sent >= -1 && sent <= 1);
            fired = (int)k;
            /* (host-owned messages: a vector an unroute failed to unroute
             * is routed at the host but not delivered to the guest's count) */
            if (sent == 1 && k < 32 && (before.active & ~W.hm.stuck & (1u << k))) {
                /* live at vmsix: the message remaps and reaches the guest once */
                fires_live++;
                CHECK(W.faults == faults);
                CHECK(W.injected[k] == got + 1);
            }
            break;
        }
        case 5: {
            unsigned k = fuzz_get8(&in) % 40u;
            unsigned long got = W.injected[k < 32 ? k : 0];
            int rc = dw_irq((uint16_t)k);
            /* 1 injected (exactly once), 0 held pending, -EINVAL out of range */
            CHECK(k < W.nvec ? rc == 0 || rc == 1 : rc == -EINVAL);
            if (k < W.nvec)
                CHECK(W.injected[k] == got + (unsigned long)rc);
            fired = (int)k;
            break;
        }
        case 6:
            dw_hm_held_loss_ok = dw_hm_pend_loss_ok = true;
            CHECK(vmsix_dev_reset(W.dev) <= 0);
            check_teardown();
            break;
        case 7:
            dw_hm_held_loss_ok = dw_hm_pend_loss_ok = true;
            CHECK(vmsix_dev_teardown(W.dev) <= 0);
            check_teardown();
            if (dw_dead("teardown")) /* the host makes a new device for the next guest */
                dw_make_dev();
            break;
        case 8:
            dw_hm_held_loss_ok = dw_hm_pend_loss_ok = true;
            op_reset_by_guest(&in);
            break;
        case 9:
            op_arm_fault(&in);
            break;
        case 10:
            op_save_restore(&in);
            break;
        default:
            op_bar(&in);
            break;
        }
        struct fault_clock c = clock_stop();
        if (trace && W.logs != logs)
            fprintf(stderr, "  %lu log lines, the last: %s\n", W.logs - logs, W.last_log);
        if (trace) {
            struct vmsix_dev_state st;
            DW_CHECK_EQ(vmsix_dev_get_state(W.dev, &st), 0);
            fprintf(stderr,
                    "  phys %d held %d active %#x mask(vmsix) %#x mask(fn) %#x pending(fn) %#x "
                    "stale %#x calls %lu/%lu fn %lu/%lu\n",
                    st.phys_enabled, st.block_held, st.active, st.mask,
                    phys(simfn_msi_mask_reg(&W.fn), 4), W.fn.pending, W.stale, c.calls, c.fail_at,
                    c.fn_calls, c.fn_fail_at);
            if (dw_hostmsg())
                fprintf(stderr, "  host: on %d routed %#x stuck %#x held %#x owed %#x\n",
                        W.hm.enabled, W.hm.routed, W.hm.stuck, hmm_held_bits(&W.hm), W.hm.owed);
        }
        check_invariants("step");
        check_deliveries(&before, fired, &after);
        before = after;
        clock_start(c);
    }
    W.fail_at = 0;
    W.fn.fail_at = 0;
    CHECK(vmsix_dev_teardown(W.dev) == 0);
    check_invariants("end");
    check_teardown();
    DW_CHECK_EQ(dw_free_count(), W.pool_free0); /* nothing held either */
    DW_CHECK(dw_tables_zero());                              /* nothing left in a table */
    dw_free();
    if (getenv("FUZZ_DEVICE_STATS"))
        fprintf(stderr, "fuzz-device: %u steps, %lu deliveries, %lu live fires so far\n", steps,
                deliveries, fires_live);
    return 0;
}
