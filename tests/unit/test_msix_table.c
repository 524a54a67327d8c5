/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of the MSI-X table state machine (DESIGN 4.2):
 * - a reference model (tests/common/msix_model.h, shared with
 *   fuzz-msix-table) with a different structure (raw table bytes, and hook
 *   events derived by diffing every vector's effective state before and
 *   after each step) that the implementation must match call for call;
 * - the exhaustive access matrix (every offset around a table of 8 vectors
 *   and its PBA x sizes 1, 2, 3, 4, 8, 16, reads and writes);
 * - one scenario test per rule, with hand-written expected hook sequences;
 * - a seeded lockstep random test (>= 10^6 operations);
 * - save/restore round trips and corrupted buffers.
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

#include "crc32_ref.h"
/* the reference model, the event log and the comparison (shared with
 * tests/fuzz/fuzz_msix_table.c) */
#include "msix_model.h"
#include "xorshift.h"

#include <vmsix/msix_table.h>

/* ---- the implementation's hooks, recorded as events ---- */

static struct evlog impl_log;
static int update_rc;         /* what vector_update returns (0, or a first error) */
static unsigned update_fails; /* failing calls so far: each returns a different error */

static struct vmsix_msix *mx;

/* Re-entry: what a hook does inside, after it is recorded (set by a test;
 * pair_init() clears them). */
static void (*in_deliver)(uint16_t vec, const struct vmsix_msg *msg);
static void (*in_update)(uint16_t vec, const struct vmsix_msg *msg, bool active);
static void (*in_poll)(uint16_t first, unsigned count);

static void h_deliver(void *ctx, uint16_t vec, const struct vmsix_msg *msg)
{
    (void)ctx;
    ev_add(&impl_log, EV_DELIVER, vec, msg->addr, msg->data, true);
    if (in_deliver)
        in_deliver(vec, msg);
}

static bool fire_in_update; /* the owner's device sends what it held while activating */

static int h_update(void *ctx, uint16_t vec, const struct vmsix_msg *msg, bool active)
{
    (void)ctx;
    ev_add(&impl_log, EV_UPDATE, vec, msg->addr, msg->data, active);
    if (fire_in_update && active)
        assert_int_equal(vmsix_msix_fire(mx, vec), 1);
    if (in_update)
        in_update(vec, msg, active);
    return update_rc ? update_rc - (int)update_fails++ : 0;
}

static unsigned poll_nvec; /* the object's nvec, for the range check */

/* The device's bits of the range, and every bit past @count set: the
 * object must ignore them. */
static uint64_t h_poll(void *ctx, uint16_t first, unsigned count)
{
    (void)ctx;
    if (count < 1 || count > 64 || (unsigned)first + count > poll_nvec)
        fail_msg("pending_poll(%u, %u) with nvec %u", (unsigned)first, count, poll_nvec);
    ev_add(&impl_log, EV_POLL, first, 0, count, false);
    if (in_poll)
        in_poll(first, count);
    return dev_pending_bits(first, count) | (count < 64 ? ~(uint64_t)0 << count : 0);
}

static const struct vmsix_msix_ops ops_poll = {sizeof(struct vmsix_msix_ops), h_deliver, h_update,
                                               h_poll};
static const struct vmsix_msix_ops ops_nopoll = {sizeof(struct vmsix_msix_ops), h_deliver, h_update,
                                                 NULL};

/* ---- the pair under test ---- */

static unsigned char mem[sizeof(uint64_t) * 8192] __attribute__((aligned(16)));
static unsigned char save_a[64 * 1024], save_b[64 * 1024];
static struct model ref;

static void pair_init(unsigned nvec, uint32_t toff, uint32_t poff, uint32_t flags, bool poll)
{
    struct vmsix_msix_params p = {(uint16_t)nvec, toff, poff, flags};
    size_t need = vmsix_msix_storage_size((uint16_t)nvec);
    assert_true(need > 0 && need <= sizeof(mem));
    assert_int_equal(vmsix_msix_init(mem, need, &p, poll ? &ops_poll : &ops_nopoll, NULL, &mx), 0);
    m_init(&ref, nvec, toff, poff, flags, poll);
    impl_log.n = impl_log.overflow = 0;
    update_rc = 0;
    poll_nvec = nvec;
    in_deliver = NULL;
    in_update = NULL;
    in_poll = NULL;
}

static void logs_match(const char *what)
{
    char why[256];

    assert_int_equal(impl_log.overflow, 0);
    assert_int_equal(ref.log.overflow, 0);
    if (ev_compare(&impl_log, &ref.log, why, sizeof(why)))
        fail_msg("%s: %s", what, why);
    impl_log.n = ref.log.n = 0;
}

/* The whole guest-visible state of both sides is the same. */
static void states_match(const char *what)
{
    int v;

    assert_int_equal(vmsix_msix_ctrl_read(mx), m_ctrl_read(&ref));
    v = m_state_mismatch(&ref, mx);
    if (v >= 0)
        fail_msg("%s: vector %u differs from the model", what, (unsigned)v);
}

/* ---- the exhaustive access matrix ---- */

#define MX_TOFF 0x100u /* 8 vectors: 0x100..0x17f */
#define MX_POFF 0x1c0u /* PBA: 0x1c0..0x1c7; a gap between them */

static void both_write(uint64_t off, unsigned size, uint64_t val)
{
    int a = vmsix_msix_mmio_write(mx, off, size, val);
    int b = m_write(&ref, off, size, val);
    if (a != b)
        fail_msg("write %#llx size %u: rc %d, model %d", (unsigned long long)off, size, a, b);
}

static void both_ctrl(uint16_t val)
{
    assert_int_equal(vmsix_msix_ctrl_write(mx, val), 0);
    m_ctrl_write(&ref, val);
}

static void both_fire(unsigned v)
{
    assert_int_equal(vmsix_msix_fire(mx, (uint16_t)v), m_fire(&ref, v));
}

/* Vectors 0..3 active, 4..7 masked, 5 and 7 pending; distinct messages and
 * reserved Vector Control bits. */
static void matrix_setup(uint32_t flags, bool poll)
{
    pair_init(8, MX_TOFF, MX_POFF, flags, poll);
    for (unsigned v = 0; v < 8; v++) {
        both_write(MX_TOFF + 16 * v, 8, 0x0000000afee00000ull + 0x1000 * v);
        both_write(MX_TOFF + 16 * v + 8, 4, 0x4000 + v);
        both_write(MX_TOFF + 16 * v + 12, 4, (v < 4 ? 0 : 1) | (0x10000u * v));
    }
    both_ctrl(0x8000);
    both_fire(5);
    both_fire(7);
    dev_pending[4] = true;
    dev_pending[6] = false;
    impl_log.n = ref.log.n = 0;
}

static void matrix_reads(uint32_t flags, bool poll)
{
    static const unsigned sizes[] = {1, 2, 3, 4, 8, 16};
    matrix_setup(flags, poll);
    for (uint64_t off = MX_TOFF - 0x20; off < MX_POFF + 0x20; off++) {
        for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
            uint64_t a = 0x1111111111111111ull, b = 0x1111111111111111ull;
            int ra = vmsix_msix_mmio_read(mx, off, sizes[s], &a);
            int rb = m_read(&ref, off, sizes[s], &b);
            if (ra != rb || a != b)
                fail_msg("read %#llx size %u: rc %d val %#llx, model rc %d val %#llx",
                         (unsigned long long)off, sizes[s], ra, (unsigned long long)a, rb,
                         (unsigned long long)b);
            logs_match("read");
        }
    }
    states_match("after reads");
}

static void test_matrix_reads(void **state)
{
    (void)state;
    matrix_reads(0, false);
    matrix_reads(0, true);
    matrix_reads(VMSIX_MSIX_UNDEF_READS_ONES, true);
}

static void matrix_writes(uint32_t flags)
{
    static const unsigned sizes[] = {1, 2, 3, 4, 8, 16};
    static const uint64_t vals[] = {0, ~0ull, 0x00000001fee01005ull, 0x0000000100004321ull};

    for (uint64_t off = MX_TOFF - 0x20; off < MX_POFF + 0x20; off++) {
        for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
            for (unsigned k = 0; k < sizeof(vals) / sizeof(vals[0]); k++) {
                char what[64];
                matrix_setup(flags, true);
                snprintf(what, sizeof(what), "write %#llx size %u val %u", (unsigned long long)off,
                         sizes[s], k);
                both_write(off, sizes[s], vals[k]);
                logs_match(what);
                states_match(what);
            }
        }
    }
}

static void test_matrix_writes(void **state)
{
    (void)state;
    matrix_writes(0);
    matrix_writes(VMSIX_MSIX_DEFER_UPDATE);
}

/* ---- scenario tests, one per rule of DESIGN 4.2, with hand-written expectations ---- */

static void expect_ev(unsigned i, uint8_t kind, uint16_t vec, uint64_t addr, uint32_t data,
                      bool active)
{
    assert_true(i < impl_log.n);
    assert_int_equal(impl_log.e[i].kind, kind);
    assert_int_equal(impl_log.e[i].vec, vec);
    assert_int_equal(impl_log.e[i].addr, addr);
    assert_int_equal(impl_log.e[i].data, data);
    assert_int_equal(impl_log.e[i].active, active);
}

static void wr(uint64_t off, unsigned size, uint64_t val)
{
    assert_int_equal(vmsix_msix_mmio_write(mx, off, size, val), 0);
}

static uint64_t rd(uint64_t off, unsigned size)
{
    uint64_t v = 0xdead;
    assert_int_equal(vmsix_msix_mmio_read(mx, off, size, &v), 0);
    return v;
}

/* Rule 8: reset values. */
static void test_reset_values(void **state)
{
    (void)state;
    pair_init(4, 0, 0x800, 0, false);
    assert_int_equal(vmsix_msix_ctrl_read(mx), 0x0003);
    for (unsigned v = 0; v < 4; v++) {
        assert_int_equal(rd(16 * v, 8), 0);
        assert_int_equal(rd(16 * v + 8, 8), 0x100000000ull); /* masked */
    }
    assert_int_equal(rd(0x800, 8), 0);
    /* dirty everything, then reset */
    wr(0, 8, 0xfee00000);
    wr(8, 8, 0x55);        /* data 0x55, unmasked */
    wr(28, 4, 0xfffffffe); /* vector 1: reserved bits, unmasked */
    assert_int_equal(vmsix_msix_ctrl_write(mx, 0xc000), 0);
    assert_int_equal(vmsix_msix_fire(mx, 2), 0);
    assert_int_equal(vmsix_msix_ctrl_write(mx, 0x8000), 0);
    impl_log.n = 0;
    vmsix_msix_reset(mx);
    /* active vectors 0 and 1 were released, with the messages they had */
    assert_int_equal(impl_log.n, 2);
    expect_ev(0, EV_UPDATE, 0, 0xfee00000, 0x55, false);
    expect_ev(1, EV_UPDATE, 1, 0, 0, false);
    assert_int_equal(vmsix_msix_ctrl_read(mx), 0x0003);
    for (unsigned v = 0; v < 4; v++) {
        assert_int_equal(rd(16 * v, 8), 0);
        assert_int_equal(rd(16 * v + 8, 8), 0x100000000ull);
    }
    assert_int_equal(rd(0x800, 8), 0);
}

/* Four vectors, MSI-X enabled, vector 1 programmed (0xfee01000 / 0x21)
 * and still masked: nothing reported yet. */
static void vector1_masked(bool poll)
{
    pair_init(4, 0, 0x800, 0, poll);
    wr(16, 8, 0xfee01000);
    wr(24, 4, 0x21);
    assert_int_equal(vmsix_msix_ctrl_write(mx, 0x8000), 0);
    assert_int_equal(impl_log.n, 0);
}

/* Rule 3: pending on mask, sent once on unmask, a level not a counter. */
static void test_pending_then_unmask(void **state)
{
    (void)state;
    vector1_masked(false);
    assert_int_equal(vmsix_msix_fire(mx, 1), 0);
    assert_int_equal(vmsix_msix_fire(mx, 1), 0);
    assert_int_equal(vmsix_msix_fire(mx, 1), 0);
    assert_int_equal(impl_log.n, 0);
    assert_int_equal(rd(0x800, 8), 0x2);
    wr(28, 4, 0);
    assert_int_equal(impl_log.n, 2); /* update, then exactly one message */
    expect_ev(0, EV_UPDATE, 1, 0xfee01000, 0x21, true);
    expect_ev(1, EV_DELIVER, 1, 0xfee01000, 0x21, true);
    assert_int_equal(rd(0x800, 8), 0);
    assert_int_equal(vmsix_msix_fire(mx, 1), 1);
    expect_ev(2, EV_DELIVER, 1, 0xfee01000, 0x21, true);
}

/* An interrupt pending in software and one the owner's device held
 * (sent from inside vector_update, when the owner unmasks the device) are
 * one pending state: exactly one message on unmask (a fuzz-device finding:
 * the vector was delivered twice). */
static void test_pending_and_held_one_message(void **state)
{
    (void)state;
    vector1_masked(false);
    assert_int_equal(vmsix_msix_fire(mx, 1), 0);
    assert_int_equal(rd(0x800, 8), 0x2);
    fire_in_update = true;
    wr(28, 4, 0);
    fire_in_update = false;
    assert_int_equal(impl_log.n, 2);
    expect_ev(0, EV_UPDATE, 1, 0xfee01000, 0x21, true);
    expect_ev(1, EV_DELIVER, 1, 0xfee01000, 0x21, true);
    assert_int_equal(rd(0x800, 8), 0);
}

/* The same when the device's message comes later (a host that queues it):
 * a software pending bit with the device holding one too is dropped on
 * unmask, so the device's message is the only one. */
static void test_pending_and_held_polled(void **state)
{
    (void)state;
    vector1_masked(true);
    assert_int_equal(vmsix_msix_fire(mx, 1), 0);
    dev_pending[1] = true; /* the device held another one */
    impl_log.n = 0;
    wr(28, 4, 0);
    dev_pending[1] = false;
    assert_int_equal(impl_log.n, 2);       /* asked, activated, and no second message */
    expect_ev(0, EV_POLL, 1, 0, 1, false); /* vector 1 alone */
    expect_ev(1, EV_UPDATE, 1, 0xfee01000, 0x21, true);
    assert_int_equal(vmsix_msix_pending(mx, 1), 0);
    /* without the device holding one, the software bit is sent */
    assert_int_equal(vmsix_msix_ctrl_write(mx, 0xc000), 0);
    assert_int_equal(vmsix_msix_fire(mx, 1), 0);
    impl_log.n = 0;
    assert_int_equal(vmsix_msix_ctrl_write(mx, 0x8000), 0);
    assert_int_equal(impl_log.n, 3);
    expect_ev(0, EV_POLL, 1, 0, 1, false);
    expect_ev(1, EV_UPDATE, 1, 0xfee01000, 0x21, true);
    expect_ev(2, EV_DELIVER, 1, 0xfee01000, 0x21, true);
}

/* Rule 2: an 8-byte write of data + control applies the data first. */
static void test_8byte_data_then_unmask(void **state)
{
    (void)state;
    pair_init(2, 0, 0x800, 0, false);
    wr(0, 8, 0xfee02000);
    assert_int_equal(vmsix_msix_ctrl_write(mx, 0x8000), 0);
    assert_int_equal(vmsix_msix_fire(mx, 0), 0);
    wr(8, 8, 0x0000000000000077ull); /* data 0x77 and Mask 0 at once */
    assert_int_equal(impl_log.n, 2);
    expect_ev(0, EV_UPDATE, 0, 0xfee02000, 0x77, true); /* the new message, once */
    expect_ev(1, EV_DELIVER, 0, 0xfee02000, 0x77, true);
    /* and masking with a new data: the data change is reported, then the mask */
    wr(8, 8, 0x0000000100000078ull);
    assert_int_equal(impl_log.n, 4);
    expect_ev(2, EV_UPDATE, 0, 0xfee02000, 0x78, true);
    expect_ev(3, EV_UPDATE, 0, 0xfee02000, 0x78, false);
    /* an 8-byte address write is one change */
    wr(8, 4, 0x78);
    wr(12, 4, 0);
    impl_log.n = 0;
    wr(0, 8, 0x00000001fee03000ull);
    assert_int_equal(impl_log.n, 1);
    expect_ev(0, EV_UPDATE, 0, 0x1fee03000ull, 0x78, true);
    /* the same message again changes nothing */
    wr(0, 8, 0x00000001fee03000ull);
    wr(0, 4, 0xfee03000);
    wr(8, 4, 0x78);
    assert_int_equal(impl_log.n, 1);
}

/* Rule 9 and its policy: message change of an active vector. */
static void test_message_change_policies(void **state)
{
    (void)state;
    pair_init(1, 0, 0x800, 0, false);
    wr(0, 8, 0xfee00000);
    wr(12, 4, 0);
    assert_int_equal(vmsix_msix_ctrl_write(mx, 0x8000), 0);
    impl_log.n = 0;
    wr(8, 4, 0x31);
    assert_int_equal(impl_log.n, 1);
    expect_ev(0, EV_UPDATE, 0, 0xfee00000, 0x31, true);

    pair_init(1, 0, 0x800, VMSIX_MSIX_DEFER_UPDATE, false);
    wr(0, 8, 0xfee00000);
    wr(12, 4, 0);
    assert_int_equal(vmsix_msix_ctrl_write(mx, 0x8000), 0);
    impl_log.n = 0;
    wr(8, 4, 0x31);
    assert_int_equal(impl_log.n, 0); /* deferred */
    assert_int_equal(vmsix_msix_fire(mx, 0), 1);
    expect_ev(0, EV_DELIVER, 0, 0xfee00000, 0x31, true); /* the table's message */
    wr(12, 4, 1);
    wr(12, 4, 0);
    assert_int_equal(impl_log.n, 3);
    expect_ev(1, EV_UPDATE, 0, 0xfee00000, 0x31, false);
    expect_ev(2, EV_UPDATE, 0, 0xfee00000, 0x31, true); /* applied at unmask */
}

/* Rules 4 and 5: Function Mask with mixed per-vector masks. */
static void test_function_mask(void **state)
{
    (void)state;
    pair_init(4, 0, 0x800, 0, false);
    for (unsigned v = 0; v < 4; v++) {
        wr(16 * v, 8, 0xfee00000 + 0x1000 * v);
        wr(16 * v + 8, 4, v);
    }
    wr(12, 4, 0); /* vectors 0 and 2 unmasked, 1 and 3 masked */
    wr(44, 4, 0);
    assert_int_equal(vmsix_msix_ctrl_write(mx, 0xc000), 0); /* enable + function mask */
    assert_int_equal(impl_log.n, 0);
    for (unsigned v = 0; v < 4; v++)
        assert_int_equal(vmsix_msix_fire(mx, (uint16_t)v), 0);
    assert_int_equal(rd(0x800, 4), 0xf);
    /* per-vector mask bits are untouched by Function Mask */
    assert_int_equal(rd(12, 4), 0);
    assert_int_equal(rd(28, 4), 1);
    assert_int_equal(vmsix_msix_ctrl_write(mx, 0x8000), 0);
    /* only the individually unmasked vectors become active and send */
    assert_int_equal(impl_log.n, 4);
    expect_ev(0, EV_UPDATE, 0, 0xfee00000, 0, true);
    expect_ev(1, EV_DELIVER, 0, 0xfee00000, 0, true);
    expect_ev(2, EV_UPDATE, 2, 0xfee02000, 2, true);
    expect_ev(3, EV_DELIVER, 2, 0xfee02000, 2, true);
    assert_int_equal(rd(0x800, 4), 0xa);
    /* masking the function again deactivates exactly those */
    assert_int_equal(vmsix_msix_ctrl_write(mx, 0xc000), 0);
    assert_int_equal(impl_log.n, 6);
    expect_ev(4, EV_UPDATE, 0, 0xfee00000, 0, false);
    expect_ev(5, EV_UPDATE, 2, 0xfee02000, 2, false);
    /* unmasking vector 1 under Function Mask changes nothing effective */
    wr(28, 4, 0);
    assert_int_equal(impl_log.n, 6);
}

/* Rule 5 and 11: enable and disable with pending vectors. */
static void test_enable_disable_pending(void **state)
{
    (void)state;
    pair_init(2, 0, 0x800, 0, false);
    wr(0, 8, 0xfee00000);
    wr(12, 4, 0);
    assert_int_equal(vmsix_msix_fire(mx, 0), 0); /* disabled counts as masked */
    assert_int_equal(vmsix_msix_fire(mx, 1), 0);
    assert_int_equal(impl_log.n, 0);
    assert_int_equal(vmsix_msix_ctrl_write(mx, 0x8000), 0);
    assert_int_equal(impl_log.n, 2);
    expect_ev(0, EV_UPDATE, 0, 0xfee00000, 0, true);
    expect_ev(1, EV_DELIVER, 0, 0xfee00000, 0, true);
    assert_int_equal(rd(0x800, 8), 0x2); /* vector 1 is still masked and pending */
    assert_int_equal(vmsix_msix_ctrl_write(mx, 0x0000), 0);
    assert_int_equal(impl_log.n, 3);
    expect_ev(2, EV_UPDATE, 0, 0xfee00000, 0, false);
    /* writing the same enable state again calls nothing */
    assert_int_equal(vmsix_msix_ctrl_write(mx, 0x0000), 0);
    assert_int_equal(vmsix_msix_ctrl_write(mx, 0x4000), 0); /* fmask while disabled */
    assert_int_equal(impl_log.n, 3);
}

/* Rule 6: reserved Vector Control bits are stored; only bit 0 acts. */
static void test_reserved_vector_control(void **state)
{
    (void)state;
    pair_init(1, 0, 0x800, 0, false);
    assert_int_equal(vmsix_msix_ctrl_write(mx, 0x8000), 0);
    wr(12, 4, 0xabcd0001);
    assert_int_equal(impl_log.n, 0);
    assert_int_equal(rd(12, 4), 0xabcd0001);
    wr(12, 4, 0xabcd0000);
    assert_int_equal(impl_log.n, 1);
    wr(12, 4, 0x12340000); /* reserved bits change, mask stays 0: no hook */
    assert_int_equal(impl_log.n, 1);
    assert_int_equal(rd(8, 8), 0x1234000000000000ull);
}

/* Rule 7: read-only Message Control fields. */
static void test_message_control_read_only(void **state)
{
    (void)state;
    pair_init(2048, 0, 0x8000, 0, false);
    assert_int_equal(vmsix_msix_ctrl_read(mx), 0x07ff);
    assert_int_equal(vmsix_msix_ctrl_write(mx, 0x3fff), 0);
    assert_int_equal(vmsix_msix_ctrl_read(mx), 0x07ff);
    assert_int_equal(vmsix_msix_ctrl_write(mx, 0xffff), 0);
    assert_int_equal(vmsix_msix_ctrl_read(mx), 0xc7ff);
    pair_init(1, 0, 0x800, 0, false);
    assert_int_equal(vmsix_msix_ctrl_read(mx), 0x0000);
}

/* Rule 10: 2048 vectors, the last PBA qword; bits past the last vector read 0. */
static void test_2048_vectors_last_pba_qword(void **state)
{
    (void)state;
    pair_init(2048, 0, 0x8000, 0, true);
    assert_int_equal(vmsix_msix_fire(mx, 2047), 0);
    assert_int_equal(vmsix_msix_fire(mx, 1984), 0);
    assert_int_equal(rd(0x8000 + 31 * 8, 8), 0x8000000000000001ull);
    assert_int_equal(rd(0x8000 + 31 * 8 + 4, 4), 0x80000000u);
    uint64_t v;
    assert_int_equal(vmsix_msix_mmio_read(mx, 0x8000 + 32 * 8, 8, &v), -ERANGE);
    wr(2047 * 16, 8, 0x1fee0f000ull);
    wr(2047 * 16 + 8, 8, 0x42);
    assert_int_equal(vmsix_msix_ctrl_write(mx, 0x8000), 0);
    assert_int_equal(rd(0x8000 + 31 * 8, 8), 0x1);
    /* 65 vectors: bits 65..127 of the second qword read 0 even if polled */
    pair_init(65, 0, 0x800, 0, true);
    for (unsigned i = 0; i < 65; i++)
        dev_pending[i] = true;
    dev_pending[65] = dev_pending[66] = true;
    impl_log.n = 0;
    assert_int_equal(rd(0x808, 8), 0x1);
    assert_int_equal(impl_log.n, 1); /* polled vector 64 only */
    expect_ev(0, EV_POLL, 64, 0, 1, false);
    memset(dev_pending, 0, sizeof(dev_pending));
}

/* pending_poll: only for masked vectors, folded in, never latched. */
static void test_pending_poll(void **state)
{
    (void)state;
    pair_init(4, 0, 0x800, 0, true);
    wr(12, 4, 0);
    assert_int_equal(vmsix_msix_ctrl_write(mx, 0x8000), 0);
    dev_pending[0] = dev_pending[2] = true;
    impl_log.n = 0;
    assert_int_equal(rd(0x800, 4), 0x4); /* vector 0 is active: its bit is ignored */
    assert_int_equal(impl_log.n, 1);     /* one question for vectors 0..3 */
    expect_ev(0, EV_POLL, 0, 0, 4, false);
    dev_pending[2] = false;
    assert_int_equal(rd(0x800, 8), 0x0); /* not latched */
    assert_int_equal(vmsix_msix_pending(mx, 2), 0);
    memset(dev_pending, 0, sizeof(dev_pending));
}

/* One PBA read of @size bytes at PBA offset @rel asks the device exactly
 * once, about [@first, @first + @count); and reads what it answered. */
static void expect_one_poll(uint64_t rel, unsigned size, uint16_t first, unsigned count)
{
    uint64_t want = 0;

    for (unsigned i = 0; i < count; i++)
        want |= (uint64_t)dev_pending[first + i] << i;
    impl_log.n = 0;
    assert_int_equal(rd(0x800 + rel, size), want);
    assert_int_equal(impl_log.n, 1);
    expect_ev(0, EV_POLL, first, 0, count, false);
}

/* pending_poll is range-shaped: one call per PBA read of 4 or 8 bytes, with
 * the vectors the read covers, clipped to nvec (tables whose nvec is not a
 * multiple of 64 or of 32), and no call for a read that covers none. */
static void test_pending_poll_range(void **state)
{
    (void)state;
    for (unsigned v = 0; v < 128; v++)
        dev_pending[v] = (v % 3) == 0 || v == 99;
    pair_init(100, 0, 0x800, 0, true); /* every vector masked */
    expect_one_poll(0, 8, 0, 64);
    expect_one_poll(8, 8, 64, 36);
    expect_one_poll(0, 4, 0, 32);
    expect_one_poll(4, 4, 32, 32);
    expect_one_poll(8, 4, 64, 32);
    expect_one_poll(12, 4, 96, 4);
    /* 40 vectors: one qword, its upper half partly past nvec */
    pair_init(40, 0, 0x800, 0, true);
    expect_one_poll(0, 8, 0, 40);
    expect_one_poll(0, 4, 0, 32);
    expect_one_poll(4, 4, 32, 8);
    /* 20 vectors: the upper half of the qword covers no vector */
    pair_init(20, 0, 0x800, 0, true);
    expect_one_poll(0, 8, 0, 20);
    impl_log.n = 0;
    assert_int_equal(rd(0x804, 4), 0);
    assert_int_equal(impl_log.n, 0);
    memset(dev_pending, 0, sizeof(dev_pending));
}

/* No call when no bit of the read depends on the device: every vector it
 * covers is active or has its software bit set; the device's bits of such
 * vectors are ignored when another vector makes the read ask. */
static void test_pending_poll_not_needed(void **state)
{
    (void)state;
    pair_init(4, 0, 0x800, 0, true);
    wr(12, 4, 0);
    wr(28, 4, 0); /* vectors 0 and 1 unmasked */
    assert_int_equal(vmsix_msix_ctrl_write(mx, 0x8000), 0);
    assert_int_equal(vmsix_msix_fire(mx, 2), 0);
    assert_int_equal(vmsix_msix_fire(mx, 3), 0);
    for (unsigned v = 0; v < 4; v++)
        dev_pending[v] = true;
    impl_log.n = 0;
    assert_int_equal(rd(0x800, 8), 0xc);
    assert_int_equal(rd(0x800, 4), 0xc);
    assert_int_equal(impl_log.n, 0); /* nothing to ask */
    /* vector 3 sent (unmasked, then masked again): its bit is the device's */
    wr(60, 4, 0);
    wr(60, 4, 1);
    dev_pending[2] = false; /* vector 2's software bit stands */
    impl_log.n = 0;
    assert_int_equal(rd(0x800, 8), 0xc); /* 0 and 1 active: their set bits ignored */
    assert_int_equal(impl_log.n, 1);
    expect_ev(0, EV_POLL, 0, 0, 4, false);
    assert_int_equal(vmsix_msix_pending(mx, 3), 0); /* not latched */
    dev_pending[3] = false;
    assert_int_equal(rd(0x800, 8), 0x4);
    memset(dev_pending, 0, sizeof(dev_pending));
}

/* The activation poll asks about the one vector being activated (count 1),
 * only when its software bit is set, and only then. */
static void test_pending_poll_activation(void **state)
{
    (void)state;
    pair_init(70, 0, 0x800, 0, true);
    assert_int_equal(vmsix_msix_ctrl_write(mx, 0x8000), 0);
    impl_log.n = 0;
    wr(16 * 65 + 12, 4, 0); /* no software bit: no question */
    assert_int_equal(impl_log.n, 1);
    expect_ev(0, EV_UPDATE, 65, 0, 0, true);
    wr(16 * 65 + 12, 4, 1);
    assert_int_equal(vmsix_msix_fire(mx, 65), 0);
    dev_pending[64] = dev_pending[66] = true; /* neighbours: not asked about */
    impl_log.n = 0;
    wr(16 * 65 + 12, 4, 0);
    assert_int_equal(impl_log.n, 3);
    expect_ev(0, EV_POLL, 65, 0, 1, false);
    expect_ev(1, EV_UPDATE, 65, 0, 0, true);
    expect_ev(2, EV_DELIVER, 65, 0, 0, true); /* the device held none: sent */
    memset(dev_pending, 0, sizeof(dev_pending));
}

/* Rule 1 and the precise choices: accesses outside, undefined, PBA writes. */
static void test_access_rules(void **state)
{
    uint64_t v = 0x77;

    (void)state;
    pair_init(8, 0x100, 0x200, 0, false);
    assert_int_equal(vmsix_msix_mmio_read(mx, 0x0f8, 8, &v), -ERANGE);
    assert_int_equal(v, 0x77);                                   /* unwritten */
    assert_int_equal(vmsix_msix_mmio_read(mx, 0x0fc, 8, &v), 0); /* straddles: undefined */
    assert_int_equal(v, 0);
    assert_int_equal(vmsix_msix_mmio_write(mx, 0x180, 4, 1), -ERANGE);
    assert_int_equal(vmsix_msix_mmio_write(mx, 0x208, 4, 1), -ERANGE);
    assert_int_equal(vmsix_msix_mmio_write(mx, 0x200, 8, ~0ull), 0); /* PBA: read-only */
    assert_int_equal(rd(0x200, 8), 0);
    assert_int_equal(vmsix_msix_mmio_write(mx, 0x104, 8, ~0ull), 0); /* misaligned: dropped */
    assert_int_equal(rd(0x100, 8), 0);
    assert_int_equal(rd(0x108, 8), 0x100000000ull);
    assert_int_equal(vmsix_msix_mmio_write(mx, 0x100, 2, 0xffff), 0);
    assert_int_equal(rd(0x100, 4), 0);
    /* address bits 1:0 read 0 */
    wr(0x100, 4, 0xfee00003);
    assert_int_equal(rd(0x100, 4), 0xfee00000);
    /* huge offsets and sizes never wrap into the regions */
    assert_int_equal(vmsix_msix_mmio_read(mx, ~0ull - 3, 8, &v), -ERANGE);
    assert_int_equal(vmsix_msix_mmio_read(mx, ~0ull, 4, &v), -ERANGE);
    assert_int_equal(vmsix_msix_mmio_read(mx, 0x0, 0xffffffffu, &v), 0);
    assert_int_equal(vmsix_msix_mmio_read(mx, 0x100, 0, &v), -EINVAL);
    assert_int_equal(vmsix_msix_mmio_read(mx, 0x100, 4, NULL), -EINVAL);
    assert_int_equal(vmsix_msix_mmio_read(NULL, 0x100, 4, &v), -EINVAL);
    assert_int_equal(vmsix_msix_mmio_write(NULL, 0x100, 4, 0), -EINVAL);
    assert_int_equal(vmsix_msix_fire(mx, 8), -EINVAL);
    assert_int_equal(vmsix_msix_fire(NULL, 0), -EINVAL);
    assert_int_equal(vmsix_msix_ctrl_write(NULL, 0), -EINVAL);
    assert_int_equal(vmsix_msix_ctrl_read(NULL), 0);
    vmsix_msix_reset(NULL);
}

/* Table and PBA in one 4 KiB page, PBA before the table, as real devices do. */
static void test_shared_page_layouts(void **state)
{
    (void)state;
    pair_init(16, 0x800, 0x000, 0, false); /* PBA first */
    wr(0x800 + 16, 8, 0xfee01000);
    assert_int_equal(vmsix_msix_fire(mx, 1), 0);
    assert_int_equal(rd(0x000, 8), 0x2);
    assert_int_equal(rd(0x810, 8), 0xfee01000);
    pair_init(16, 0x2000, 0x2100, 0, false);         /* adjacent */
    assert_int_equal(rd(0x20f8, 8), 0x100000000ull); /* vector 15: masked */
    assert_int_equal(rd(0x2100, 8), 0);
}

/* init validation. */
static void test_init_args(void **state)
{
    struct vmsix_msix *o;
    struct vmsix_msix_params p = {8, 0, 0x800, 0};
    struct vmsix_msix_ops bad = {sizeof(struct vmsix_msix_ops), NULL, h_update, NULL};
    size_t need = vmsix_msix_storage_size(8);

    (void)state;
    assert_int_equal(vmsix_msix_storage_size(0), 0);
    assert_int_equal(vmsix_msix_storage_size(2049), 0);
    /* 16 bytes per vector plus two bits (pending, live): the documented figure */
    assert_int_equal(vmsix_msix_storage_size(2048) - vmsix_msix_storage_size(1024),
                     1024 * 16 + 2 * 16 * 8);
    assert_int_equal(vmsix_msix_init(mem, need, &p, &ops_nopoll, NULL, &o), 0);
    assert_int_equal(vmsix_msix_init(mem, need - 1, &p, &ops_nopoll, NULL, &o), -EINVAL);
    assert_int_equal(vmsix_msix_init(mem + 4, need, &p, &ops_nopoll, NULL, &o), -EINVAL);
    assert_int_equal(vmsix_msix_init(mem, need, &p, &bad, NULL, &o), -EINVAL);
    assert_int_equal(vmsix_msix_init(mem, need, &p, NULL, NULL, &o), -EINVAL);
    assert_int_equal(vmsix_msix_init(mem, need, NULL, &ops_nopoll, NULL, &o), -EINVAL);
    assert_int_equal(vmsix_msix_init(mem, need, &p, &ops_nopoll, NULL, NULL), -EINVAL);
    p.flags = 0x4;
    assert_int_equal(vmsix_msix_init(mem, need, &p, &ops_nopoll, NULL, &o), -EINVAL);
    p.flags = 0;
    p.pba_off = 0x70; /* overlaps the table's last entry */
    assert_int_equal(vmsix_msix_init(mem, need, &p, &ops_nopoll, NULL, &o), -EINVAL);
    p.pba_off = 0x80; /* right after it: fine */
    assert_int_equal(vmsix_msix_init(mem, need, &p, &ops_nopoll, NULL, &o), 0);
    p.pba_off = 0x804;
    assert_int_equal(vmsix_msix_init(mem, need, &p, &ops_nopoll, NULL, &o), -EINVAL);
    p.pba_off = 0x800;
    p.table_off = 0xffffff80u + 8; /* runs past 4 GiB */
    assert_int_equal(vmsix_msix_init(mem, need, &p, &ops_nopoll, NULL, &o), -EINVAL);
    p.table_off = 0xffffff80u; /* ends exactly at 4 GiB */
    assert_int_equal(vmsix_msix_init(mem, need, &p, &ops_nopoll, NULL, &o), 0);
    p.nvec = 0;
    assert_int_equal(vmsix_msix_init(mem, sizeof(mem), &p, &ops_nopoll, NULL, &o), -EINVAL);
}

/* A refused init writes nothing: neither the storage nor *out; and the
 * storage is no object. */
static void expect_init_refused(const void *ops, int want)
{
    struct vmsix_msix_params p = {8, 0, 0x800, 0};
    size_t need = vmsix_msix_storage_size(8);
    static unsigned char before[sizeof(mem)];
    struct vmsix_msix *sentinel = (struct vmsix_msix *)(uintptr_t)0x5a5a0, *o = sentinel;

    memset(mem, 0xa5, need);
    memcpy(before, mem, need);
    assert_int_equal(vmsix_msix_init(mem, need, &p, ops, NULL, &o), want);
    assert_memory_equal(mem, before, need);
    assert_ptr_equal(o, sentinel);
    assert_int_equal(vmsix_msix_fire((struct vmsix_msix *)(void *)mem, 0), -EINVAL);
}

/* struct vmsix_msix_ops carries its size: below the first version's is
 * refused before anything is written. */
static void test_init_ops_size_small(void **state)
{
    struct vmsix_msix_ops o = ops_poll;
    struct vmsix_msix_params p = {8, 0, 0x800, 0};

    (void)state;
    assert_int_equal(VMSIX_MSIX_OPS_SIZE_V1, sizeof(struct vmsix_msix_ops));
    o.size = 0;
    expect_init_refused(&o, -EINVAL);
    o.size = sizeof(size_t); /* the size member alone */
    expect_init_refused(&o, -EINVAL);
    o.size = VMSIX_MSIX_OPS_SIZE_V1 - 1;
    expect_init_refused(&o, -EINVAL);
    o.size = (size_t)-1; /* garbage, never scanned */
    expect_init_refused(&o, -EINVAL);
    o.size = VMSIX_MSIX_OPS_SIZE_V1; /* the first version: accepted */
    assert_int_equal(vmsix_msix_init(mem, sizeof(mem), &p, &o, NULL, &mx), 0);
}

/* A caller compiled with a newer, larger struct vmsix_msix_ops: accepted
 * when the members this library does not know are zero (and the known
 * hooks are taken, copied), refused with -ENOTSUP (nothing written) when
 * any byte of them is set. */
static void test_init_ops_size_larger(void **state)
{
    struct newer_ops {
        struct vmsix_msix_ops v1;
        void (*future)(void *ctx);
        uint64_t more;
    } big;
    struct vmsix_msix_params p = {4, 0, 0x800, 0};
    static unsigned char too_big[1100] __attribute__((aligned(8)));
    size_t too_big_size = 1025;

    (void)state;
    memset(&big, 0, sizeof(big));
    big.v1 = ops_poll;
    big.v1.size = sizeof(big);
    pair_init(4, 0, 0x800, 0, true);
    assert_int_equal(vmsix_msix_init(mem, sizeof(mem), &p, &big.v1, NULL, &mx), 0);
    /* copied: what the caller's struct says afterwards does not matter */
    big.v1.deliver = NULL;
    big.v1.pending_poll = NULL;
    wr(12, 4, 0);
    assert_int_equal(vmsix_msix_ctrl_write(mx, 0x8000), 0);
    impl_log.n = 0;
    assert_int_equal(vmsix_msix_fire(mx, 0), 1);
    assert_int_equal(impl_log.n, 1);
    expect_ev(0, EV_DELIVER, 0, 0, 0, true);
    (void)rd(0x800, 8); /* vectors 1..3 masked: the poll hook was taken */
    assert_true(impl_log.n > 1);
    assert_int_equal(impl_log.e[1].kind, EV_POLL);
    big.v1 = ops_poll;
    big.v1.size = sizeof(big);
    /* a hook this library does not know */
    big.future = (void (*)(void *))(uintptr_t)1;
    expect_init_refused(&big.v1, -ENOTSUP);
    big.future = NULL;
    /* any non-zero byte past the known struct, up to the last one */
    big.more = 1ull << 56;
    expect_init_refused(&big.v1, -ENOTSUP);
    big.more = 1;
    expect_init_refused(&big.v1, -ENOTSUP);
    big.more = 0;
    assert_int_equal(vmsix_msix_init(mem, sizeof(mem), &p, &big.v1, NULL, &mx), 0);
    /* larger than any hook struct: refused, not scanned */
    memset(too_big, 0, sizeof(too_big));
    memcpy(too_big, &big.v1, sizeof(big.v1));
    memcpy(too_big, &too_big_size, sizeof(too_big_size));
    expect_init_refused(too_big, -EINVAL);
}

/* A failing vector_update is passed on; the guest's write still happens. */
static void test_update_error_passed_on(void **state)
{
    (void)state;
    pair_init(2, 0, 0x800, 0, false);
    wr(12, 4, 0);
    wr(28, 4, 0);
    assert_int_equal(vmsix_msix_fire(mx, 1), 0);
    update_rc = -EIO;
    update_fails = 0;
    assert_int_equal(vmsix_msix_ctrl_write(mx, 0x8000), -EIO); /* the first error */
    assert_int_equal(vmsix_msix_ctrl_read(mx) & 0x8000, 0x8000);
    assert_int_equal(impl_log.n, 3); /* both vectors, and the pending one still sent */
    expect_ev(2, EV_DELIVER, 1, 0, 0, true);
    update_fails = 0;
    assert_int_equal(vmsix_msix_mmio_write(mx, 12, 4, 1), -EIO);
    assert_int_equal(rd(12, 4), 1);
    /* restore: the first error of the release/re-report sequence */
    size_t n;
    assert_int_equal(vmsix_msix_save(mx, save_a, sizeof(save_a), &n), 0);
    update_fails = 0;
    assert_int_equal(vmsix_msix_restore(mx, save_a, n), -EIO);
    assert_int_equal(update_fails, 2);
    /* an 8-byte data + control write: the data's error comes first */
    update_fails = 0;
    assert_int_equal(vmsix_msix_mmio_write(mx, 24, 8, 0x0000000100000099ull), -EIO);
    assert_int_equal(update_fails, 2);
    update_rc = 0;
}

/* ---- re-entry: the calls a hook may make on the object that called it ---- */

/* What the re-entrant calls returned, in order. */
static int reent_rc[16];
static unsigned reent_n;

static void reent_fire(uint16_t vec)
{
    assert_true(reent_n < 16);
    reent_rc[reent_n++] = vmsix_msix_fire(mx, vec);
}

#define MSG_ADDR(v) (0xfee00000ull + 0x1000u * (v))
#define MSG_DATA(v) (0x40u + (v))

/* Four vectors with distinct messages, all unmasked when @unmasked (else
 * all masked), MSI-X enabled when @enable; the hooks' logs empty. */
static void four_vectors(bool unmasked, bool enable, bool poll)
{
    pair_init(4, 0, 0x800, 0, poll);
    for (unsigned v = 0; v < 4; v++) {
        wr(16 * v, 8, MSG_ADDR(v));
        wr(16 * v + 8, 8, ((uint64_t)!unmasked << 32) | MSG_DATA(v));
    }
    if (enable)
        assert_int_equal(vmsix_msix_ctrl_write(mx, 0x8000), 0);
    impl_log.n = 0;
    reent_n = 0;
}

static void expect_msg_ev(unsigned i, uint8_t kind, uint16_t v, bool active)
{
    expect_ev(i, kind, v, MSG_ADDR(v), MSG_DATA(v), active);
}

/* fire(vec) from inside the vector_update that activates vec. */
static void fire_self_when_activated(uint16_t vec, const struct vmsix_msg *msg, bool active)
{
    (void)msg;
    if (active)
        reent_fire(vec);
}

/* The vector being activated, fired from inside its vector_update: sent
 * at once with its message, and nothing follows, whether or not it was
 * pending (and a pending one is no longer). */
static void test_reenter_fire_activating(void **state)
{
    (void)state;
    four_vectors(false, true, false);
    in_update = fire_self_when_activated;
    wr(16 * 1 + 12, 4, 0); /* not pending */
    assert_int_equal(impl_log.n, 2);
    expect_msg_ev(0, EV_UPDATE, 1, true);
    expect_msg_ev(1, EV_DELIVER, 1, true);
    assert_int_equal(reent_n, 1);
    assert_int_equal(reent_rc[0], 1);
    /* pending, activated by Function Mask clearing */
    assert_int_equal(vmsix_msix_ctrl_write(mx, 0xc000), 0);
    assert_int_equal(vmsix_msix_fire(mx, 1), 0);
    impl_log.n = reent_n = 0;
    assert_int_equal(vmsix_msix_ctrl_write(mx, 0x8000), 0);
    assert_int_equal(impl_log.n, 2);
    expect_msg_ev(0, EV_UPDATE, 1, true);
    expect_msg_ev(1, EV_DELIVER, 1, true);
    assert_int_equal(reent_rc[0], 1);
    assert_int_equal(vmsix_msix_pending(mx, 1), 0);
    /* and afterwards the vector is live: a fire outside the hooks sends */
    assert_int_equal(vmsix_msix_fire(mx, 1), 1);
    assert_int_equal(impl_log.n, 3);
}

/* A live vector whose vector_update reports a new message, fired from
 * inside it: sent at once with the new message. */
static void test_reenter_fire_message_change(void **state)
{
    (void)state;
    four_vectors(true, true, false);
    in_update = fire_self_when_activated;
    wr(16 * 2 + 8, 4, 0x77);
    assert_int_equal(impl_log.n, 2);
    expect_ev(0, EV_UPDATE, 2, MSG_ADDR(2), 0x77, true);
    expect_ev(1, EV_DELIVER, 2, MSG_ADDR(2), 0x77, true);
    assert_int_equal(reent_n, 1);
    assert_int_equal(reent_rc[0], 1);
    assert_int_equal(vmsix_msix_pending(mx, 2), 0);
}

/* While vector 1 is activated by a Message Control write, vector 0 (its
 * activation reported) and vector 3 (active, not yet reported) fired. */
static void fire_0_and_3_in_update_1(uint16_t vec, const struct vmsix_msg *msg, bool active)
{
    (void)msg;
    if (vec == 1 && active) {
        reent_fire(0);
        reent_fire(3);
    }
}

/* Other vectors fired from inside an activation: a live one is sent at
 * once; one that the running call has made active but not yet reported is
 * pended and sent after its own vector_update, never before it. */
static void test_reenter_fire_other_vectors(void **state)
{
    (void)state;
    four_vectors(true, false, false);
    in_update = fire_0_and_3_in_update_1;
    assert_int_equal(vmsix_msix_ctrl_write(mx, 0x8000), 0);
    assert_int_equal(reent_n, 2);
    assert_int_equal(reent_rc[0], 1);
    assert_int_equal(reent_rc[1], 0);
    assert_int_equal(impl_log.n, 6);
    expect_msg_ev(0, EV_UPDATE, 0, true);
    expect_msg_ev(1, EV_UPDATE, 1, true);
    expect_msg_ev(2, EV_DELIVER, 0, true); /* inside vector 1's update */
    expect_msg_ev(3, EV_UPDATE, 2, true);
    expect_msg_ev(4, EV_UPDATE, 3, true);
    expect_msg_ev(5, EV_DELIVER, 3, true); /* after its own update */
    assert_int_equal(vmsix_msix_pending(mx, 3), 0);
}

/* fire(vec) from inside the vector_update that deactivates vec, and of a
 * later vector of the same Function Mask write. */
static void fire_in_deactivation(uint16_t vec, const struct vmsix_msg *msg, bool active)
{
    (void)msg;
    if (!active && vec == 0) {
        reent_fire(0);
        reent_fire(3);
    }
}

/* Vectors being deactivated are masked: a fire from inside the
 * deactivation pends them, and they are sent when next activated. */
static void test_reenter_fire_deactivating(void **state)
{
    (void)state;
    four_vectors(true, true, false);
    in_update = fire_in_deactivation;
    assert_int_equal(vmsix_msix_ctrl_write(mx, 0xc000), 0);
    assert_int_equal(reent_n, 2);
    assert_int_equal(reent_rc[0], 0);
    assert_int_equal(reent_rc[1], 0); /* vector 3: not yet reported, but masked */
    assert_int_equal(impl_log.n, 4);  /* four updates, no message */
    for (unsigned v = 0; v < 4; v++)
        expect_msg_ev(v, EV_UPDATE, (uint16_t)v, false);
    assert_int_equal(rd(0x800, 8), 0x9);
    in_update = NULL;
    impl_log.n = 0;
    assert_int_equal(vmsix_msix_ctrl_write(mx, 0x8000), 0);
    assert_int_equal(impl_log.n, 6);
    expect_msg_ev(1, EV_DELIVER, 0, true);
    expect_msg_ev(5, EV_DELIVER, 3, true);
    /* and by its own Mask bit */
    in_update = fire_in_deactivation;
    impl_log.n = reent_n = 0;
    wr(12, 4, 1);
    assert_int_equal(reent_rc[0], 0);
    assert_int_equal(reent_rc[1], 1); /* vector 3 is live */
    assert_int_equal(impl_log.n, 2);
    expect_msg_ev(0, EV_UPDATE, 0, false);
    expect_msg_ev(1, EV_DELIVER, 3, true);
    assert_int_equal(vmsix_msix_pending(mx, 0), 1);
}

/* From inside deliver: fire vector 1 (live: sent, nested) and vector 2
 * (masked: pended), once. */
static void fire_in_deliver(uint16_t vec, const struct vmsix_msg *msg)
{
    (void)msg;
    if (vec == 0) {
        reent_fire(1);
        reent_fire(2);
    }
}

static void test_reenter_fire_from_deliver(void **state)
{
    (void)state;
    four_vectors(true, true, false);
    wr(16 * 2 + 12, 4, 1);
    impl_log.n = 0;
    in_deliver = fire_in_deliver;
    assert_int_equal(vmsix_msix_fire(mx, 0), 1);
    assert_int_equal(reent_n, 2);
    assert_int_equal(reent_rc[0], 1);
    assert_int_equal(reent_rc[1], 0);
    assert_int_equal(impl_log.n, 2);
    expect_msg_ev(0, EV_DELIVER, 0, true);
    expect_msg_ev(1, EV_DELIVER, 1, true);
    assert_int_equal(vmsix_msix_pending(mx, 2), 1);
    /* the deliver that follows an activation: the vector is live by then */
    in_deliver = fire_in_deliver;
    reent_n = 0;
    wr(12, 4, 1);
    assert_int_equal(vmsix_msix_fire(mx, 0), 0);
    impl_log.n = 0;
    wr(12, 4, 0);
    assert_int_equal(reent_rc[0], 1);
    assert_int_equal(reent_rc[1], 0);
    assert_int_equal(impl_log.n, 3);
    expect_msg_ev(0, EV_UPDATE, 0, true);
    expect_msg_ev(1, EV_DELIVER, 0, true);
    expect_msg_ev(2, EV_DELIVER, 1, true);
}

/* From inside pending_poll: fire the first vector of the range. */
static void fire_in_poll(uint16_t first, unsigned count)
{
    (void)count;
    reent_fire(first);
}

/* A fire from inside pending_poll: during a PBA read, of a masked vector
 * (pended; a later read shows it); during the poll of an activation, of
 * the vector being activated (pended: it is not reported yet), which the
 * activation then sends once. */
static void test_reenter_fire_from_poll(void **state)
{
    (void)state;
    four_vectors(false, true, true);
    in_poll = fire_in_poll;
    assert_int_equal(rd(0x800, 8), 0);
    assert_int_equal(reent_n, 1);
    assert_int_equal(reent_rc[0], 0);
    assert_int_equal(vmsix_msix_pending(mx, 0), 1);
    in_poll = NULL;
    impl_log.n = 0;
    assert_int_equal(rd(0x800, 8), 0x1);
    /* the activation's poll */
    in_poll = fire_in_poll;
    impl_log.n = reent_n = 0;
    wr(12, 4, 0);
    assert_int_equal(reent_n, 1);
    assert_int_equal(reent_rc[0], 0);
    assert_int_equal(impl_log.n, 3);
    expect_ev(0, EV_POLL, 0, 0, 1, false);
    expect_msg_ev(1, EV_UPDATE, 0, true);
    expect_msg_ev(2, EV_DELIVER, 0, true);
    assert_int_equal(vmsix_msix_pending(mx, 0), 0);
}

/* What the queries returned from inside a hook. */
struct query {
    uint16_t vec;
    int entry, pending;
    uint16_t ctrl;
    struct vmsix_msg msg, hook_msg;
};
static struct query queries[8];
static unsigned nqueries;

static void query(uint16_t vec, const struct vmsix_msg *hook_msg)
{
    struct query *q = &queries[nqueries++];
    uint32_t vc;

    assert_true(nqueries <= 8);
    q->vec = vec;
    q->entry = vmsix_msix_entry(mx, vec, &q->msg, &vc);
    q->pending = vmsix_msix_pending(mx, vec);
    q->ctrl = vmsix_msix_ctrl_read(mx);
    if (hook_msg)
        q->hook_msg = *hook_msg;
}

static void query_in_update(uint16_t vec, const struct vmsix_msg *msg, bool active)
{
    (void)active;
    query(vec, msg);
}

static void query_in_deliver(uint16_t vec, const struct vmsix_msg *msg)
{
    query(vec, msg);
}

static void query_in_poll(uint16_t first, unsigned count)
{
    (void)count;
    query(first, NULL);
}

/* The queries from inside hooks see the state as the running call has
 * left it: the registers as written, a vector being activated still
 * pending until its vector_update returns. */
static void test_reenter_queries(void **state)
{
    (void)state;
    four_vectors(false, true, true);
    assert_int_equal(vmsix_msix_fire(mx, 1), 0);
    in_update = query_in_update;
    in_deliver = query_in_deliver;
    in_poll = query_in_poll;
    nqueries = 0;
    wr(16 * 1 + 12, 4, 0); /* poll, update, deliver */
    assert_int_equal(nqueries, 3);
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(queries[i].vec, 1);
        assert_int_equal(queries[i].entry, 1); /* its Mask bit is clear */
        assert_int_equal(queries[i].msg.addr, MSG_ADDR(1));
        assert_int_equal(queries[i].msg.data, MSG_DATA(1));
        assert_int_equal(queries[i].ctrl, 0x8003);
    }
    assert_int_equal(queries[0].pending, 1); /* the activation's poll */
    assert_int_equal(queries[1].pending, 1); /* its vector_update */
    assert_int_equal(queries[2].pending, 0); /* the pending message sent */
    assert_int_equal(queries[1].hook_msg.addr, MSG_ADDR(1));
    assert_int_equal(queries[2].hook_msg.data, MSG_DATA(1));
    /* deactivation by Function Mask: the new Message Control, inactive */
    nqueries = 0;
    assert_int_equal(vmsix_msix_ctrl_write(mx, 0xc000), 0);
    assert_int_equal(nqueries, 1);
    assert_int_equal(queries[0].entry, 0);
    assert_int_equal(queries[0].ctrl, 0xc003);
    /* a PBA read's poll */
    nqueries = 0;
    (void)rd(0x800, 4);
    assert_int_equal(nqueries, 1);
    assert_int_equal(queries[0].vec, 0);
    assert_int_equal(queries[0].entry, 0);
    assert_int_equal(queries[0].pending, 0);
}

/* fire from inside the vector_updates of a reset (pended, then cleared by
 * the reset) and of a restore (the deactivations': pended, then replaced by
 * the saved bits; the activations': sent at once, once). */
static void fire_self_always(uint16_t vec, const struct vmsix_msg *msg, bool active)
{
    (void)msg;
    (void)active;
    reent_fire(vec);
}

static void test_reenter_fire_reset_restore(void **state)
{
    size_t n;

    (void)state;
    four_vectors(false, true, false);
    wr(16 * 2 + 12, 4, 0);
    assert_int_equal(vmsix_msix_save(mx, save_a, sizeof(save_a), &n), 0);
    impl_log.n = 0;
    in_update = fire_self_always;
    assert_int_equal(vmsix_msix_restore(mx, save_a, n), 0);
    assert_int_equal(reent_n, 2);
    assert_int_equal(reent_rc[0], 0); /* being deactivated */
    assert_int_equal(reent_rc[1], 1); /* being activated */
    assert_int_equal(impl_log.n, 3);
    expect_msg_ev(0, EV_UPDATE, 2, false);
    expect_msg_ev(1, EV_UPDATE, 2, true);
    expect_msg_ev(2, EV_DELIVER, 2, true);
    assert_int_equal(vmsix_msix_pending(mx, 2), 0);
    assert_int_equal(vmsix_msix_fire(mx, 2), 1); /* live again */
    impl_log.n = reent_n = 0;
    vmsix_msix_reset(mx);
    assert_int_equal(reent_n, 1);
    assert_int_equal(reent_rc[0], 0);
    assert_int_equal(impl_log.n, 1);
    expect_msg_ev(0, EV_UPDATE, 2, false);
    assert_int_equal(vmsix_msix_pending(mx, 2), 0);
}

/* ---- the lockstep random test ---- */

static uint64_t rs;

static uint64_t rnd(void)
{
    return xorshift64(&rs);
}

static void save_restore_roundtrip(void)
{
    size_t used, used2;
    assert_int_equal(vmsix_msix_save(mx, save_a, sizeof(save_a), &used), 0);
    assert_int_equal(used, vmsix_msix_save_size(mx));
    /* restore into the same object: every active vector is released then
     * re-reported; the model does the same */
    m_restore_same(&ref);
    assert_int_equal(vmsix_msix_restore(mx, save_a, used), 0);
    logs_match("restore");
    assert_int_equal(vmsix_msix_save(mx, save_b, sizeof(save_b), &used2), 0);
    assert_int_equal(used, used2);
    assert_memory_equal(save_a, save_b, used);
}

static unsigned long random_run(uint64_t seed, unsigned nvec, uint32_t toff, uint32_t poff,
                                uint32_t flags, unsigned ops)
{
    uint64_t tlen = 16ull * nvec;
    unsigned long count = 0;

    rs = seed;
    memset(dev_pending, 0, sizeof(dev_pending));
    pair_init(nvec, toff, poff, flags, (seed & 1) != 0);
    for (unsigned i = 0; i < ops; i++, count++) {
        unsigned r = (unsigned)(rnd() % 100);
        unsigned v = (unsigned)(rnd() % nvec);
        static const unsigned sizes[] = {4, 4, 4, 8, 8, 1, 2, 3, 16};
        unsigned size = sizes[rnd() % 9];
        uint64_t off, val = rnd();
        /* few distinct messages, so that "no change" writes happen */
        if (rnd() % 2)
            val &= 0x0000000300000003ull | (rnd() % 2 ? 0xfee00000ull : 0);

        if (r < 40) { /* table write, mostly well formed */
            off = toff + 16ull * v + (rnd() % 4) * 4;
            if (rnd() % 8 == 0)
                off += rnd() % 8;
            if (rnd() % 16 == 0)
                off = toff - 32 + rnd() % (tlen + poff + 64);
            both_write(off, size, val);
        } else if (r < 60) { /* reads of table and PBA */
            uint64_t a = 1, b = 1;
            off = (rnd() % 2) ? toff + 16ull * v + (rnd() % 4) * 4 : poff + 8 * (v / 64);
            if (rnd() % 4 == 0)
                off += 4;
            int ra = vmsix_msix_mmio_read(mx, off, size, &a);
            int rb = m_read(&ref, off, size, &b);
            if (ra != rb || a != b)
                fail_msg("seed %llu op %u: read %#llx/%u: %d %#llx, model %d %#llx",
                         (unsigned long long)seed, i, (unsigned long long)off, size, ra,
                         (unsigned long long)a, rb, (unsigned long long)b);
        } else if (r < 75) {
            both_fire(v);
        } else if (r < 85) {
            uint16_t c = (uint16_t)rnd();
            assert_int_equal(vmsix_msix_ctrl_write(mx, c), 0);
            m_ctrl_write(&ref, c);
        } else if (r < 95) {
            dev_pending[v] = !dev_pending[v];
        } else if (r < 96) {
            vmsix_msix_reset(mx);
            m_reset(&ref);
        } else if (r < 97) {
            save_restore_roundtrip();
        } else {
            assert_int_equal(vmsix_msix_ctrl_read(mx), m_ctrl_read(&ref));
        }
        if (impl_log.n > EV_MAX / 2 || ref.log.n > EV_MAX / 2 || i % 64 == 0) {
            char what[64];
            snprintf(what, sizeof(what), "seed %llu op %u", (unsigned long long)seed, i);
            logs_match(what);
        }
        if (i % 4096 == 0)
            states_match("random");
    }
    logs_match("end");
    states_match("end");
    return count;
}

static void test_random_lockstep(void **state)
{
    unsigned long total = 0;

    (void)state;
    total += random_run(1, 8, 0x000, 0x800, 0, 200000);
    total += random_run(2, 8, 0x100, 0x000, VMSIX_MSIX_DEFER_UPDATE, 150000);
    total += random_run(3, 65, 0x000, 0x800, VMSIX_MSIX_UNDEF_READS_ONES, 200000);
    total += random_run(4, 1, 0x000, 0x010, 0, 100000);
    total += random_run(5, 3, 0x040, 0x000, VMSIX_MSIX_DEFER_UPDATE | VMSIX_MSIX_UNDEF_READS_ONES,
                        150000);
    total += random_run(6, 2048, 0x0000, 0x8000, 0, 150000);
    total += random_run(7, 64, 0x400, 0x000, 0, 100000);
    print_message("lockstep random: %lu operations\n", total);
    assert_true(total >= 1000000);
}

/* ---- save / restore validation ---- */

static void test_save_restore_refusals(void **state)
{
    size_t used, n;

    (void)state;
    pair_init(70, 0, 0x800, 0, true);
    wr(16, 8, 0xfee01000);
    wr(24, 8, 0x55);
    assert_int_equal(vmsix_msix_ctrl_write(mx, 0x8000), 0);
    assert_int_equal(vmsix_msix_fire(mx, 69), 0);
    assert_int_equal(vmsix_msix_save(mx, save_a, 10, &used), -ENOSPC);
    assert_int_equal(used, vmsix_msix_save_size(mx));
    assert_int_equal(vmsix_msix_save(mx, save_a, sizeof(save_a), &used), 0);
    n = used;
    assert_int_equal(n, 32 + 70 * 16 + 2 * 8 + 4);
    assert_memory_equal(save_a, "VMSX", 4);
    impl_log.n = 0;

    /* truncated and extended */
    for (size_t len = 0; len < n; len += (len < 64 ? 1 : 97))
        assert_int_equal(vmsix_msix_restore(mx, save_a, len), -EINVAL);
    assert_int_equal(vmsix_msix_restore(mx, save_a, n + 1), -EINVAL);
    /* every single-bit flip anywhere is caught */
    for (size_t byte = 0; byte < n; byte++) {
        for (unsigned bit = 0; bit < 8; bit++) {
            memcpy(save_b, save_a, n);
            save_b[byte] ^= (unsigned char)(1u << bit);
            assert_int_equal(vmsix_msix_restore(mx, save_b, n), -EINVAL);
        }
    }
    assert_int_equal(impl_log.n, 0); /* no hook was called by any refusal */
    assert_int_equal(vmsix_msix_restore(mx, NULL, n), -EINVAL);
    assert_int_equal(vmsix_msix_restore(NULL, save_a, n), -EINVAL);

    /* another layout: vector count, offsets, flags */
    struct vmsix_msix *other;
    static unsigned char mem2[65536] __attribute__((aligned(16)));
    const struct {
        uint16_t nvec;
        uint32_t t, p, f;
    } lay[] = {{71, 0, 0x800, 0},
               {70, 0x8, 0x800, 0},
               {70, 0, 0x808, 0},
               {70, 0, 0x800, VMSIX_MSIX_DEFER_UPDATE}};
    for (unsigned k = 0; k < 4; k++) {
        struct vmsix_msix_params p = {lay[k].nvec, lay[k].t, lay[k].p, lay[k].f};
        assert_int_equal(vmsix_msix_init(mem2, sizeof(mem2), &p, &ops_nopoll, NULL, &other), 0);
        assert_int_equal(vmsix_msix_restore(other, save_a, n), -EINVAL);
    }
    /* the same layout in another object: accepted and reported */
    struct vmsix_msix_params same = {70, 0, 0x800, 0};
    assert_int_equal(vmsix_msix_init(mem2, sizeof(mem2), &same, &ops_nopoll, NULL, &other), 0);
    impl_log.n = 0;
    assert_int_equal(vmsix_msix_restore(other, save_a, n), 0);
    assert_int_equal(impl_log.n, 1);
    expect_ev(0, EV_UPDATE, 1, 0xfee01000, 0x55, true);
    assert_int_equal(vmsix_msix_pending(other, 69), 1);
}

/* Buffers with a valid checksum but impossible contents. */

static void test_restore_semantic_refusals(void **state)
{
    size_t n;

    (void)state;
    pair_init(70, 0, 0x800, 0, false);
    assert_int_equal(vmsix_msix_save(mx, save_a, sizeof(save_a), &n), 0);
    /* the checksum is the documented CRC-32 */
    uint32_t stored;
    memcpy(&stored, save_a + n - 4, 4);
    assert_int_equal(stored, crc32_ref(save_a, n - 4));

    memcpy(save_b, save_a, n);
    save_b[10] = 0x01; /* Message Control bit 0 */
    crc32_seal(save_b, n);
    assert_int_equal(vmsix_msix_restore(mx, save_b, n), -EINVAL);

    memcpy(save_b, save_a, n);
    save_b[32] = 0x02; /* address bit 1 of vector 0 */
    crc32_seal(save_b, n);
    assert_int_equal(vmsix_msix_restore(mx, save_b, n), -EINVAL);

    memcpy(save_b, save_a, n);
    save_b[32 + 70 * 16 + 8] = 0x40; /* pending bit of vector 70: past nvec */
    crc32_seal(save_b, n);
    assert_int_equal(vmsix_msix_restore(mx, save_b, n), -EINVAL);

    memcpy(save_b, save_a, n);
    save_b[11] = 0x80;        /* enabled */
    save_b[32 + 12] = 0;      /* vector 0 unmasked: active */
    save_b[32 + 70 * 16] = 1; /* and pending: impossible */
    crc32_seal(save_b, n);
    assert_int_equal(vmsix_msix_restore(mx, save_b, n), -EINVAL);
    save_b[32 + 70 * 16] = 0;
    crc32_seal(save_b, n);
    assert_int_equal(vmsix_msix_restore(mx, save_b, n), 0);

    memcpy(save_b, save_a, n);
    save_b[26] = 1; /* reserved header bytes */
    crc32_seal(save_b, n);
    assert_int_equal(vmsix_msix_restore(mx, save_b, n), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matrix_reads),
        cmocka_unit_test(test_matrix_writes),
        cmocka_unit_test(test_reset_values),
        cmocka_unit_test(test_pending_then_unmask),
        cmocka_unit_test(test_pending_and_held_one_message),
        cmocka_unit_test(test_pending_and_held_polled),
        cmocka_unit_test(test_8byte_data_then_unmask),
        cmocka_unit_test(test_message_change_policies),
        cmocka_unit_test(test_function_mask),
        cmocka_unit_test(test_enable_disable_pending),
        cmocka_unit_test(test_reserved_vector_control),
        cmocka_unit_test(test_message_control_read_only),
        cmocka_unit_test(test_2048_vectors_last_pba_qword),
        cmocka_unit_test(test_pending_poll),
        cmocka_unit_test(test_pending_poll_range),
        cmocka_unit_test(test_pending_poll_not_needed),
        cmocka_unit_test(test_pending_poll_activation),
        cmocka_unit_test(test_access_rules),
        cmocka_unit_test(test_shared_page_layouts),
        cmocka_unit_test(test_init_args),
        cmocka_unit_test(test_init_ops_size_small),
        cmocka_unit_test(test_init_ops_size_larger),
        cmocka_unit_test(test_update_error_passed_on),
        cmocka_unit_test(test_reenter_fire_activating),
        cmocka_unit_test(test_reenter_fire_message_change),
        cmocka_unit_test(test_reenter_fire_other_vectors),
        cmocka_unit_test(test_reenter_fire_deactivating),
        cmocka_unit_test(test_reenter_fire_from_deliver),
        cmocka_unit_test(test_reenter_fire_from_poll),
        cmocka_unit_test(test_reenter_queries),
        cmocka_unit_test(test_reenter_fire_reset_restore),
        cmocka_unit_test(test_random_lockstep),
        cmocka_unit_test(test_save_restore_refusals),
        cmocka_unit_test(test_restore_semantic_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
