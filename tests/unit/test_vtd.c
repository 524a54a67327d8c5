/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the VT-d code, vtd_irte.c, vtd_unit.c and backend_vtd.c
 * (DESIGN 4.4, 4.5): golden IRTE / MSI / IEC values computed by hand from
 * the bit tables, encode/decode round trips and refusals, every fault of
 * the reference decoder, the write protocol observed through recording
 * hooks, and the remap backend over an irte_alloc pool.
 *
 * Every expected value here comes from the DESIGN 4.4 tables, never from
 * the code under test: golden vectors carry their hand computation, and the
 * reserved-bit masks and source-ID masks are written out independently.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <vmsix/irte_alloc.h>
#include <vmsix/remap.h>
#include <vmsix/vtd.h>

/* ---- helpers ----------------------------------------------------------- */

/* Mask of bits hi..lo of a 64-bit word. */
static uint64_t bits(unsigned hi, unsigned lo)
{
    uint64_t m = hi == 63 ? ~0ull : ((1ull << (hi + 1)) - 1);
    return m & ~((1ull << lo) - 1);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static void assert_irte_equal(const struct vmsix_vtd_irte *a, const struct vmsix_vtd_irte *b)
{
    assert_int_equal(a->present, b->present);
    assert_int_equal(a->fpd, b->fpd);
    assert_int_equal(a->posted, b->posted);
    assert_int_equal(a->vector, b->vector);
    assert_int_equal(a->avail, b->avail);
    assert_int_equal(a->dest_logical, b->dest_logical);
    assert_int_equal(a->redir_hint, b->redir_hint);
    assert_int_equal(a->level, b->level);
    assert_int_equal(a->delivery, b->delivery);
    assert_int_equal(a->dest, b->dest);
    assert_int_equal(a->urgent, b->urgent);
    assert_int_equal(a->pda, b->pda);
    assert_int_equal(a->sid, b->sid);
    assert_int_equal(a->sq, b->sq);
    assert_int_equal(a->svt, b->svt);
}

/* encode(f) must be exactly (lo, hi), and decode(lo, hi) exactly f. */
static void check_golden(const struct vmsix_vtd_irte *f, uint64_t lo, uint64_t hi)
{
    uint64_t out[2] = {0xdeadbeefull, 0xdeadbeefull};
    uint64_t in[2] = {lo, hi};
    struct vmsix_vtd_irte d;

    assert_int_equal(vmsix_vtd_irte_encode(f, out), 0);
    assert_int_equal(out[0], lo);
    assert_int_equal(out[1], hi);
    memset(&d, 0xa5, sizeof(d));
    assert_int_equal(vmsix_vtd_irte_decode(in, &d), 0);
    assert_irte_equal(&d, f);
}

/* ---- golden vectors (hand computed from DESIGN 4.4) -------------------- */

static void test_golden_xapic_physical(void **state)
{
    struct vmsix_vtd_irte f = {0};
    uint32_t dest = 0;
    (void)state;
    /* xAPIC, APIC ID 0x05, physical, fixed, edge, vector 0x31,
     * requester 03:02.0 = 0x0310, SVT 1, SQ 0.
     *   P            bit 0           -> 0x1
     *   vector 0x31  bits 23:16      -> 0x0031_0000
     *   dest 0x05    bits 47:40      -> 0x05 << 40 = 0x0000_0500_0000_0000
     *   lo = 0x0000_0500_0031_0001
     *   SID 0x0310   bits 79:64      -> hi 0x0310
     *   SVT 1        bits 83:82      -> hi bit 18 = 0x4_0000
     *   hi = 0x0000_0000_0004_0310 */
    assert_int_equal(vmsix_vtd_dest_place(false, 0x05, &dest), 0);
    assert_int_equal(dest, 0x0500);
    f.present = true;
    f.vector = 0x31;
    f.dest = dest;
    assert_int_equal(vmsix_vtd_sv_rid(&f, 0x0310), 0);
    check_golden(&f, 0x0000050000310001ull, 0x0000000000040310ull);
}

static void test_golden_x2apic(void **state)
{
    struct vmsix_vtd_irte f = {0};
    uint32_t dest = 0;
    (void)state;
    /* x2APIC, APIC ID 0x12345678, physical, fixed, vector 0xEC, SID 0x0008.
     *   P bit 0 -> 0x1; vector 0xEC << 16 -> 0x00EC_0000
     *   dest: all 32 bits in 63:32 -> 0x1234_5678_0000_0000
     *   lo = 0x1234_5678_00EC_0001
     *   hi = SID 0x0008 | SVT 1 << 18 (0x4_0000) = 0x0000_0000_0004_0008 */
    assert_int_equal(vmsix_vtd_dest_place(true, 0x12345678u, &dest), 0);
    assert_int_equal(dest, 0x12345678u);
    f.present = true;
    f.vector = 0xec;
    f.dest = dest;
    f.sid = 0x0008;
    f.svt = 1;
    check_golden(&f, 0x1234567800ec0001ull, 0x0000000000040008ull);
}

static void test_golden_logical_lowpri_rh(void **state)
{
    struct vmsix_vtd_irte f = {0};
    (void)state;
    /* xAPIC logical destination 0x0F, lowest priority, redirection hint,
     * vector 0x40, SID 0x0100.
     *   P bit 0 = 0x01, DM bit 2 = 0x04, RH bit 3 = 0x08,
     *   DLM 1 in 7:5 = 0x20   -> 0x2D
     *   vector 0x40 << 16     -> 0x0040_0000
     *   dest 0x0F in 47:40    -> 0x0000_0F00_0000_0000
     *   lo = 0x0000_0F00_0040_002D
     *   hi = 0x0100 | 0x4_0000 = 0x0000_0000_0004_0100 */
    f.present = true;
    f.dest_logical = true;
    f.redir_hint = true;
    f.delivery = VMSIX_REMAP_DLM_LOWPRI;
    f.vector = 0x40;
    f.dest = 0x0f00;
    f.sid = 0x0100;
    f.svt = 1;
    check_golden(&f, 0x00000f000040002dull, 0x0000000000040100ull);
}

static void test_golden_level(void **state)
{
    struct vmsix_vtd_irte f = {0};
    (void)state;
    /* level trigger, x2APIC dest 1, vector 0x51, SID 0xABCD.
     *   P 0x01 | TM bit 4 0x10 = 0x11; vector 0x51 << 16 = 0x0051_0000
     *   dest 1 << 32 = 0x0000_0001_0000_0000
     *   lo = 0x0000_0001_0051_0011
     *   hi = 0xABCD | 0x4_0000 = 0x0000_0000_0004_ABCD */
    f.present = true;
    f.level = true;
    f.vector = 0x51;
    f.dest = 1;
    f.sid = 0xabcd;
    f.svt = 1;
    check_golden(&f, 0x0000000100510011ull, 0x000000000004abcdull);
}

static void test_golden_fpd_avail(void **state)
{
    struct vmsix_vtd_irte f = {0};
    (void)state;
    /* FPD, available bits 0xA, vector 0x22, dest 0, SID 0x0001.
     *   P 0x1 | FPD bit 1 0x2 = 0x3; avail 0xA in 11:8 = 0xA00
     *   vector 0x22 << 16 = 0x22_0000
     *   lo = 0x0000_0000_0022_0A03
     *   hi = 0x0001 | 0x4_0000 = 0x0000_0000_0004_0001 */
    f.present = true;
    f.fpd = true;
    f.avail = 0xa;
    f.vector = 0x22;
    f.sid = 0x0001;
    f.svt = 1;
    check_golden(&f, 0x0000000000220a03ull, 0x0000000000040001ull);
}

static void test_golden_svt2_bus_range(void **state)
{
    struct vmsix_vtd_irte f = {0};
    (void)state;
    /* SVT 2, buses 0x05..0x07, vector 0x30, xAPIC dest 0x02.
     *   lo = P 0x1 | 0x30 << 16 = 0x30_0000 | 0x02 << 40 = 0x0200_0000_0000
     *      = 0x0000_0200_0030_0001
     *   SID = start << 8 | end = 0x0507; SVT 2 in 83:82 = hi bit 19 = 0x8_0000
     *   hi = 0x0000_0000_0008_0507 */
    assert_int_equal(vmsix_vtd_sv_bus_range(&f, 0x05, 0x07), 0);
    assert_int_equal(f.sid, 0x0507);
    assert_int_equal(f.svt, 2);
    f.present = true;
    f.vector = 0x30;
    f.dest = 0x0200;
    check_golden(&f, 0x0000020000300001ull, 0x0000000000080507ull);
}

static void test_golden_sid_sq(void **state)
{
    struct vmsix_vtd_irte f = {0};
    (void)state;
    /* SID 0x0218 (02:03.0) with SQ 3 (ignore function bits 2:0), SVT 1,
     * vector 0x99, dest 0.
     *   lo = 0x1 | 0x99 << 16 = 0x0000_0000_0099_0001
     *   hi: SID 0x0218; SQ 3 in 81:80 = hi bits 17:16 = 0x3_0000;
     *       SVT 1 in 83:82 = 0x4_0000 -> 0x0000_0000_0007_0218 */
    f.present = true;
    f.vector = 0x99;
    f.sid = 0x0218;
    f.sq = 3;
    f.svt = 1;
    check_golden(&f, 0x0000000000990001ull, 0x0000000000070218ull);
}

static void test_golden_posted_urgent(void **state)
{
    struct vmsix_vtd_irte f = {0};
    (void)state;
    /* posted, descriptor 0x0000_0012_3456_7FC0, guest vector 0x61, urgent,
     * SID 0x0310, SVT 1.
     *   P 0x1 | URG bit 14 0x4000 | IM bit 15 0x8000 = 0xC001
     *   vector 0x61 << 16 = 0x61_0000                -> 0x0061_C001
     *   pda[31:6] = 0x3456_7FC0 >> 6 = 0xD1_59FF, into 63:38:
     *   0xD159FF << 38 = (0xD159FF << 6) << 32 = 0x3456_7FC0 << 32
     *   lo = 0x3456_7FC0_0061_C001
     *   pda[63:32] = 0x12 into 127:96 = hi 63:32 -> 0x0000_0012_0000_0000
     *   hi = 0x0000_0012_0000_0000 | 0x4_0000 | 0x0310 = 0x0000_0012_0004_0310 */
    f.present = true;
    f.posted = true;
    f.urgent = true;
    f.vector = 0x61;
    f.pda = 0x0000001234567fc0ull;
    f.sid = 0x0310;
    f.svt = 1;
    check_golden(&f, 0x34567fc00061c001ull, 0x0000001200040310ull);
}

static void test_golden_posted_split(void **state)
{
    struct vmsix_vtd_irte f = {0};
    (void)state;
    /* posted, not urgent, descriptor 0xFEDC_BA98_7654_3200 (low 6 bits 0),
     * guest vector 0x20, SVT 2 buses 0x0A..0x0B.
     *   P 0x1 | IM 0x8000 | 0x20 << 16 = 0x0020_8001
     *   pda[31:6] into 63:38 = (0x7654_3200 & ~0x3F) << 32
     *   lo = 0x7654_3200_0020_8001
     *   hi = 0xFEDC_BA98 << 32 | SVT 2 0x8_0000 | SID 0x0A0B
     *      = 0xFEDC_BA98_0008_0A0B */
    f.present = true;
    f.posted = true;
    f.vector = 0x20;
    f.pda = 0xfedcba9876543200ull;
    f.sid = 0x0a0b;
    f.svt = 2;
    check_golden(&f, 0x7654320000208001ull, 0xfedcba9800080a0bull);
}

static void test_golden_not_present(void **state)
{
    struct vmsix_vtd_irte f = {0};
    (void)state;
    /* a not-present entry may keep SVT 0: all fields 0 -> both qwords 0;
     * vector 0xFF alone -> lo = 0xFF << 16 = 0x0000_0000_00FF_0000 */
    check_golden(&f, 0, 0);
    f.vector = 0xff;
    check_golden(&f, 0x0000000000ff0000ull, 0);
}

static void check_compose(uint16_t handle, uint64_t addr)
{
    struct vmsix_msg m = {0xdeadbeefull, 0xdeadbeefu};

    vmsix_vtd_msi_compose(handle, &m);
    assert_int_equal(m.addr, addr);
    assert_int_equal(m.data, 0);
}

static void test_golden_compose(void **state)
{
    (void)state;
    /* handle 0x8001: 0xFEE << 20 = 0xFEE0_0000; handle[14:0] = 1 << 5 = 0x20;
     * bit 4 = 0x10; SHV bit 3 = 0x08; handle[15] = 1 -> bit 2 = 0x04
     * -> 0xFEE0_003C */
    check_compose(0x8001, 0xfee0003cull);
    /* handle 0x7FFF: 0x7FFF << 5 = 0xF_FFE0; | 0x18; bit 2 = 0 -> 0xFEEF_FFF8 */
    check_compose(0x7fff, 0xfeeffff8ull);
    /* handle 0xABCD: [14:0] = 0x2BCD << 5 = 0x5_79A0; | 0x10 | 0x08 | 0x04
     * -> 0xFEE5_79BC */
    check_compose(0xabcd, 0xfee579bcull);
    /* handle 0: 0xFEE0_0000 | 0x18 = 0xFEE0_0018 */
    check_compose(0, 0xfee00018ull);
    vmsix_vtd_msi_compose(1, NULL); /* no crash */
}

static void test_golden_iec(void **state)
{
    uint64_t d[2] = {1, 1};
    (void)state;
    /* aligned block of 32 at index 64: type 4 in 3:0 = 0x4; G bit 4 = 0x10;
     * IM = 5 in 31:27 = 5 << 27 = 0x2800_0000; index 64 = 0x40 in 47:32
     * -> 0x0000_0040_2800_0014, hi 0 */
    assert_int_equal(vmsix_vtd_iec_index(64, 5, d), 0);
    assert_int_equal(d[0], 0x0000004028000014ull);
    assert_int_equal(d[1], 0);
    /* one entry 0x1234: IM 0; 0x1234 << 32 | 0x14 -> 0x0000_1234_0000_0014 */
    assert_int_equal(vmsix_vtd_iec_index(0x1234, 0, d), 0);
    assert_int_equal(d[0], 0x0000123400000014ull);
    assert_int_equal(d[1], 0);
    /* global: type 4, G 0 -> 0x4 */
    d[0] = d[1] = 1;
    vmsix_vtd_iec_global(d);
    assert_int_equal(d[0], 0x4);
    assert_int_equal(d[1], 0);
    /* refusals: misaligned index, IM too large, index too large */
    assert_int_equal(vmsix_vtd_iec_index(65, 5, d), -EINVAL);
    assert_int_equal(vmsix_vtd_iec_index(0, 17, d), -EINVAL);
    assert_int_equal(vmsix_vtd_iec_index(0x10000, 0, d), -EINVAL);
    assert_int_equal(vmsix_vtd_iec_index(0, 0, NULL), -EINVAL);
    vmsix_vtd_iec_global(NULL);
}

static void test_dest_place(void **state)
{
    uint32_t v = 7;
    (void)state;
    /* xAPIC: ID in field bits 15:8 (IRTE 47:40); x2APIC: as is */
    assert_int_equal(vmsix_vtd_dest_place(false, 0xff, &v), 0);
    assert_int_equal(v, 0xff00);
    assert_int_equal(vmsix_vtd_dest_place(false, 0, &v), 0);
    assert_int_equal(v, 0);
    v = 7;
    assert_int_equal(vmsix_vtd_dest_place(false, 0x100, &v), -EINVAL);
    assert_int_equal(v, 7);
    assert_int_equal(vmsix_vtd_dest_place(true, 0xffffffffu, &v), 0);
    assert_int_equal(v, 0xffffffffu);
    assert_int_equal(vmsix_vtd_dest_place(true, 1, NULL), -EINVAL);
    assert_int_equal(vmsix_vtd_sv_rid(NULL, 1), -EINVAL);
    {
        struct vmsix_vtd_irte f = {0};
        assert_int_equal(vmsix_vtd_sv_bus_range(&f, 8, 7), -EINVAL);
        assert_int_equal(f.svt, 0);
        assert_int_equal(vmsix_vtd_sv_bus_range(&f, 7, 7), 0);
        assert_int_equal(f.sid, 0x0707);
        assert_int_equal(vmsix_vtd_sv_bus_range(NULL, 1, 2), -EINVAL);
    }
}

/* ---- round trips, refusals, reserved bits ------------------------------ */

static void random_valid(struct vmsix_vtd_irte *f)
{
    uint64_t r = rnd();

    memset(f, 0, sizeof(*f));
    f->present = r & 1;
    f->fpd = (r >> 1) & 1;
    f->posted = (r >> 2) & 1;
    f->vector = (uint8_t)(r >> 8);
    f->avail = (uint8_t)((r >> 16) & 0xf);
    f->sid = (uint16_t)(r >> 20);
    f->svt = (uint8_t)((r >> 36) % 3);
    if (f->present && f->svt == 0)
        f->svt = 1 + ((r >> 38) & 1);
    f->sq = (uint8_t)((r >> 40) & 3);
    if (f->posted) {
        f->urgent = (r >> 3) & 1;
        f->pda = rnd() & ~63ull;
    } else {
        f->dest_logical = (r >> 3) & 1;
        f->redir_hint = (r >> 4) & 1;
        f->level = (r >> 5) & 1;
        f->delivery = (r >> 6) & 1;
        f->dest = (uint32_t)rnd();
    }
}

static void test_roundtrip_random_fields(void **state)
{
    int i;
    (void)state;
    for (i = 0; i < 20000; i++) {
        struct vmsix_vtd_irte f, d;
        uint64_t q[2], q2[2];

        random_valid(&f);
        assert_int_equal(vmsix_vtd_irte_encode(&f, q), 0);
        assert_int_equal(vmsix_vtd_irte_decode(q, &d), 0);
        assert_irte_equal(&d, &f);
        assert_int_equal(vmsix_vtd_irte_encode(&d, q2), 0);
        assert_int_equal(q2[0], q[0]);
        assert_int_equal(q2[1], q[1]);
    }
}

/* Reserved bits per format, from the DESIGN 4.4 tables (and SVT 3). */
static bool raw_reserved(const uint64_t q[2])
{
    bool posted = q[0] & (1ull << 15);
    uint64_t rlo, rhi;

    if (posted) {
        rlo = bits(7, 2) | bits(13, 12) | bits(37, 24);
        rhi = bits(95 - 64, 84 - 64);
    } else {
        rlo = bits(14, 12) | bits(31, 24);
        rhi = bits(127 - 64, 84 - 64);
    }
    return (q[0] & rlo) || (q[1] & rhi) || ((q[1] >> 18) & 3) == 3;
}

static void test_roundtrip_random_bits(void **state)
{
    int i, nbad = 0, ngood = 0;
    (void)state;
    for (i = 0; i < 40000; i++) {
        uint64_t q[2], q2[2];
        struct vmsix_vtd_irte d;
        int rc;

        q[0] = rnd();
        q[1] = rnd();
        /* thin out the reserved bits so that both outcomes are common */
        if (i & 1) {
            q[0] &= ~(bits(37, 24) | bits(14, 12) | bits(7, 2));
            q[1] &= ~bits(63, 20);
        }
        rc = vmsix_vtd_irte_decode(q, &d);
        if (raw_reserved(q)) {
            assert_int_equal(rc, -EBADMSG);
            nbad++;
            continue;
        }
        assert_int_equal(rc, 0);
        if ((q[0] & 1) && ((q[1] >> 18) & 3) == 0)
            continue; /* present with SVT 0: decodable, never encodable */
        if (!(q[0] & (1ull << 15)) && ((q[0] >> 5) & 7) > 1)
            continue; /* delivery modes 2..7: decodable, never encodable */
        assert_int_equal(vmsix_vtd_irte_encode(&d, q2), 0);
        assert_int_equal(q2[0], q[0]);
        assert_int_equal(q2[1], q[1]);
        ngood++;
    }
    assert_true(nbad > 1000);
    assert_true(ngood > 1000);
}

static void test_decode_reserved_each_bit(void **state)
{
    unsigned b;
    (void)state;
    /* every reserved bit of each format, alone, in an otherwise valid
     * present entry: -EBADMSG; every other bit: 0 */
    for (b = 0; b < 128; b++) {
        uint64_t base_r[2] = {0x1, 0x40000};    /* remapped, SVT 1 */
        uint64_t base_p[2] = {0x8001, 0x40000}; /* posted, SVT 1 */
        uint64_t q[2];
        struct vmsix_vtd_irte d;
        bool rsvd_r = (b >= 12 && b <= 14) || (b >= 24 && b <= 31) || b >= 84;
        bool rsvd_p = (b >= 2 && b <= 7) || (b >= 12 && b <= 13) || (b >= 24 && b <= 37) ||
                      (b >= 84 && b <= 95);

        if (b == 15)
            continue; /* the format bit itself */
        memcpy(q, base_r, sizeof(q));
        q[b / 64] |= 1ull << (b % 64);
        if (b == 83) /* SVT becomes 3 */
            rsvd_r = true;
        assert_int_equal(vmsix_vtd_irte_decode(q, &d), rsvd_r ? -EBADMSG : 0);
        memcpy(q, base_p, sizeof(q));
        q[b / 64] |= 1ull << (b % 64);
        if (b == 83)
            rsvd_p = true;
        assert_int_equal(vmsix_vtd_irte_decode(q, &d), rsvd_p ? -EBADMSG : 0);
    }
    {
        uint64_t q[2] = {0x1, 0x3ull << 18}; /* SVT 3 */
        struct vmsix_vtd_irte d;
        assert_int_equal(vmsix_vtd_irte_decode(q, &d), -EBADMSG);
        assert_int_equal(d.svt, 3);
        assert_int_equal(vmsix_vtd_irte_decode(NULL, &d), -EINVAL);
        assert_int_equal(vmsix_vtd_irte_decode(q, NULL), -EINVAL);
    }
}

static void expect_refused(const struct vmsix_vtd_irte *f)
{
    uint64_t q[2] = {0x1111, 0x2222};

    assert_int_equal(vmsix_vtd_irte_encode(f, q), -EINVAL);
    assert_int_equal(q[0], 0x1111);
    assert_int_equal(q[1], 0x2222);
}

static void test_encode_refusals(void **state)
{
    struct vmsix_vtd_irte ok = {0}, f;
    uint64_t q[2];
    unsigned dlm;
    (void)state;
    ok.present = true;
    ok.vector = 0x40;
    ok.sid = 0x0100;
    ok.svt = 1;
    assert_int_equal(vmsix_vtd_irte_encode(&ok, q), 0);
    assert_int_equal(vmsix_vtd_irte_encode(NULL, q), -EINVAL);
    assert_int_equal(vmsix_vtd_irte_encode(&ok, NULL), -EINVAL);
    /* delivery modes: only fixed (0) and lowest priority (1) */
    for (dlm = 0; dlm < 256; dlm++) {
        f = ok;
        f.delivery = (uint8_t)dlm;
        if (dlm <= 1)
            assert_int_equal(vmsix_vtd_irte_encode(&f, q), 0);
        else
            expect_refused(&f);
    }
    f = ok, f.avail = 16, expect_refused(&f);
    f = ok, f.sq = 4, expect_refused(&f);
    f = ok, f.svt = 3, expect_refused(&f);
    f = ok, f.svt = 200, expect_refused(&f);
    f = ok, f.svt = 0, expect_refused(&f); /* present with SVT 0 */
    f = ok, f.svt = 0, f.present = false;
    assert_int_equal(vmsix_vtd_irte_encode(&f, q), 0); /* not present: fine */
    f = ok, f.urgent = true, expect_refused(&f);       /* remapped: posted-only fields */
    f = ok, f.pda = 0x1000, expect_refused(&f);
    /* posted */
    ok.posted = true;
    ok.pda = 0x1000;
    assert_int_equal(vmsix_vtd_irte_encode(&ok, q), 0);
    f = ok, f.pda = 0x1020, expect_refused(&f); /* not 64-byte aligned */
    f = ok, f.pda = 0x1001, expect_refused(&f);
    f = ok, f.pda = 0x103f, expect_refused(&f);
    f = ok, f.dest = 1, expect_refused(&f); /* remapped-only fields */
    f = ok, f.dest_logical = true, expect_refused(&f);
    f = ok, f.redir_hint = true, expect_refused(&f);
    f = ok, f.level = true, expect_refused(&f);
    f = ok, f.delivery = 1, expect_refused(&f);
    f = ok, f.svt = 0, expect_refused(&f);
}

/* ---- a unit with recording hooks --------------------------------------- */

enum ev_kind { EV_FLUSH, EV_INVAL, EV_STORE128 };

struct ev {
    enum ev_kind kind;
    uint32_t index; /* entry flushed / stored */
    uint64_t q[2];  /* entry content at the flush, stored value, or descriptor */
};

#define MAX_EV 4096

struct fake {
    uint64_t *table;
    uint32_t nentries;
    struct ev ev[MAX_EV];
    unsigned nev;
    int inval_rc;      /* what the invalidation hook returns ... */
    int inval_fail_at; /* ... from this call on (0-based), -1 never */
    unsigned ninval;
    int locked;
    int max_locked;
};

static struct ev *push(struct fake *fk, enum ev_kind k)
{
    assert_true(fk->nev < MAX_EV);
    memset(&fk->ev[fk->nev], 0, sizeof(fk->ev[0]));
    fk->ev[fk->nev].kind = k;
    return &fk->ev[fk->nev++];
}

static uint32_t entry_of(struct fake *fk, const void *addr)
{
    uintptr_t off = (uintptr_t)addr - (uintptr_t)fk->table;

    assert_true((uintptr_t)addr >= (uintptr_t)fk->table);
    assert_int_equal(off % 16, 0);
    assert_true(off / 16 < fk->nentries);
    return (uint32_t)(off / 16);
}

static void fk_flush(void *ctx, const void *addr, size_t len)
{
    struct fake *fk = ctx;
    struct ev *e = push(fk, EV_FLUSH);

    assert_int_equal(len, 16);
    e->index = entry_of(fk, addr);
    memcpy(e->q, addr, 16);
}

static int fk_inval(void *ctx, const uint64_t desc[2])
{
    struct fake *fk = ctx;
    struct ev *e = push(fk, EV_INVAL);
    int n = (int)fk->ninval++;

    e->q[0] = desc[0];
    e->q[1] = desc[1];
    if (fk->inval_fail_at >= 0 && n >= fk->inval_fail_at)
        return fk->inval_rc;
    return 0;
}

static void fk_store128(void *ctx, void *entry, const uint64_t val[2])
{
    struct fake *fk = ctx;
    struct ev *e = push(fk, EV_STORE128);

    e->index = entry_of(fk, entry);
    e->q[0] = val[0];
    e->q[1] = val[1];
    memcpy(entry, val, 16);
}

static void fk_lock(void *ctx)
{
    struct fake *fk = ctx;

    assert_int_equal(fk->locked, 0);
    fk->locked++;
    if (fk->locked > fk->max_locked)
        fk->max_locked = fk->locked;
}

static void fk_unlock(void *ctx)
{
    struct fake *fk = ctx;

    assert_int_equal(fk->locked, 1);
    fk->locked--;
}

struct rig {
    struct fake fk;
    uint64_t *table;
    _Alignas(8) unsigned char mem[512];
    struct vmsix_vtd_unit *u;
};

/* A unit of @n entries with the recording hooks (@with_store128 selects
 * the store128 hook). */
static struct rig *rig_new(uint32_t n, uint32_t flags, uint8_t mhmv, bool with_store128)
{
    struct rig *r = calloc(1, sizeof(*r));
    struct vmsix_vtd_params p;
    struct vmsix_vtd_ops ops;

    assert_non_null(r);
    assert_true(vmsix_vtd_unit_storage_size() <= sizeof(r->mem));
    r->table = aligned_alloc(4096, n * 16 < 4096 ? 4096 : n * 16);
    assert_non_null(r->table);
    memset(r->table, 0, n * 16);
    r->fk.table = r->table;
    r->fk.nentries = n;
    r->fk.inval_fail_at = -1;
    memset(&p, 0, sizeof(p));
    p.table = r->table;
    p.nentries = n;
    p.flags = flags;
    p.mhmv = mhmv;
    memset(&ops, 0, sizeof(ops));
    ops.size = sizeof(struct vmsix_vtd_ops);
    ops.flush = fk_flush;
    ops.invalidate = fk_inval;
    ops.store128 = with_store128 ? fk_store128 : NULL;
    ops.lock = fk_lock;
    ops.unlock = fk_unlock;
    assert_int_equal(vmsix_vtd_unit_init(r->mem, sizeof(r->mem), &p, &ops, &r->fk, &r->u), 0);
    return r;
}

static void rig_free(struct rig *r)
{
    assert_int_equal(r->fk.locked, 0);
    free(r->table);
    free(r);
}

static void rig_clear_events(struct rig *r)
{
    r->fk.nev = 0;
}

static void expect_flush(const struct rig *r, unsigned i, uint32_t index, uint64_t lo, uint64_t hi)
{
    assert_true(i < r->fk.nev);
    assert_int_equal(r->fk.ev[i].kind, EV_FLUSH);
    assert_int_equal(r->fk.ev[i].index, index);
    assert_int_equal(r->fk.ev[i].q[0], lo);
    assert_int_equal(r->fk.ev[i].q[1], hi);
}

static void expect_inval(const struct rig *r, unsigned i, uint64_t lo)
{
    assert_true(i < r->fk.nev);
    assert_int_equal(r->fk.ev[i].kind, EV_INVAL);
    assert_int_equal(r->fk.ev[i].q[0], lo);
    assert_int_equal(r->fk.ev[i].q[1], 0);
}

static void expect_store128(const struct rig *r, unsigned i, uint32_t index, uint64_t lo,
                            uint64_t hi)
{
    assert_true(i < r->fk.nev);
    assert_int_equal(r->fk.ev[i].kind, EV_STORE128);
    assert_int_equal(r->fk.ev[i].index, index);
    assert_int_equal(r->fk.ev[i].q[0], lo);
    assert_int_equal(r->fk.ev[i].q[1], hi);
}

/* A remapped entry: vector @vec, xAPIC dest @apic, SID 0x0310 SVT 1. */
static struct vmsix_vtd_irte remapped(uint8_t vec, uint8_t apic)
{
    struct vmsix_vtd_irte f = {0};

    f.present = true;
    f.vector = vec;
    f.dest = (uint32_t)apic << 8;
    f.sid = 0x0310;
    f.svt = 1;
    return f;
}

/* lo/hi of remapped(vec, apic), by hand from the table. */
#define R_LO(vec, apic) (0x1ull | ((uint64_t)(vec) << 16) | ((uint64_t)(apic) << 40))
#define R_HI 0x0000000000040310ull

/* ---- unit init and argument checks ------------------------------------- */

static void test_unit_init_refusals(void **state)
{
    _Alignas(8) unsigned char mem[512];
    struct vmsix_vtd_params p;
    struct vmsix_vtd_ops ops;
    struct vmsix_vtd_unit *u = NULL;
    uint64_t *t = aligned_alloc(4096, 8192);
    (void)state;
    assert_non_null(t);
    memset(&p, 0, sizeof(p));
    memset(&ops, 0, sizeof(ops));
    p.table = t;
    p.nentries = 256;
    ops.size = sizeof(struct vmsix_vtd_ops);
    ops.invalidate = fk_inval;
    assert_int_equal(vmsix_vtd_unit_init(mem, sizeof(mem), &p, &ops, NULL, &u), 0);
    assert_non_null(u);
    assert_int_equal(vmsix_vtd_unit_init(NULL, sizeof(mem), &p, &ops, NULL, &u), -EINVAL);
    assert_int_equal(
        vmsix_vtd_unit_init(mem, vmsix_vtd_unit_storage_size() - 1, &p, &ops, NULL, &u), -EINVAL);
    assert_int_equal(vmsix_vtd_unit_init(mem + 4, sizeof(mem) - 4, &p, &ops, NULL, &u), -EINVAL);
    assert_int_equal(vmsix_vtd_unit_init(mem, sizeof(mem), NULL, &ops, NULL, &u), -EINVAL);
    assert_int_equal(vmsix_vtd_unit_init(mem, sizeof(mem), &p, NULL, NULL, &u), -EINVAL);
    assert_int_equal(vmsix_vtd_unit_init(mem, sizeof(mem), &p, &ops, NULL, NULL), -EINVAL);
    p.table = (char *)t + 16; /* not 4 KiB aligned */
    assert_int_equal(vmsix_vtd_unit_init(mem, sizeof(mem), &p, &ops, NULL, &u), -EINVAL);
    p.table = NULL;
    assert_int_equal(vmsix_vtd_unit_init(mem, sizeof(mem), &p, &ops, NULL, &u), -EINVAL);
    p.table = t;
    p.nentries = 1;
    assert_int_equal(vmsix_vtd_unit_init(mem, sizeof(mem), &p, &ops, NULL, &u), -EINVAL);
    p.nentries = 384;
    assert_int_equal(vmsix_vtd_unit_init(mem, sizeof(mem), &p, &ops, NULL, &u), -EINVAL);
    p.nentries = 131072;
    assert_int_equal(vmsix_vtd_unit_init(mem, sizeof(mem), &p, &ops, NULL, &u), -EINVAL);
    p.nentries = 2;
    assert_int_equal(vmsix_vtd_unit_init(mem, sizeof(mem), &p, &ops, NULL, &u), 0);
    p.mhmv = 16;
    assert_int_equal(vmsix_vtd_unit_init(mem, sizeof(mem), &p, &ops, NULL, &u), -EINVAL);
    p.mhmv = 15;
    p.flags = 0x100;
    assert_int_equal(vmsix_vtd_unit_init(mem, sizeof(mem), &p, &ops, NULL, &u), -EINVAL);
    p.flags = 0;
    ops.lock = fk_lock; /* lock without unlock */
    assert_int_equal(vmsix_vtd_unit_init(mem, sizeof(mem), &p, &ops, NULL, &u), -EINVAL);
    ops.lock = NULL;
    ops.invalidate = NULL;
    assert_int_equal(vmsix_vtd_unit_init(mem, sizeof(mem), &p, &ops, NULL, &u), -EINVAL);
    free(t);
}

/* A zeroed 256-entry table for a unit made by hand: @fk records on it,
 * @p names it. Freed by the caller. */
static uint64_t *bare_table(struct fake *fk, struct vmsix_vtd_params *p)
{
    uint64_t *t = aligned_alloc(4096, 4096);

    assert_non_null(t);
    memset(t, 0, 4096);
    fk->table = t;
    fk->nentries = 256;
    fk->inval_fail_at = -1;
    p->table = t;
    p->nentries = 256;
    return t;
}

/* A refused init writes nothing: neither the storage nor *out. */
static void expect_init_refused(const struct vmsix_vtd_params *p, const void *ops, int want)
{
    _Alignas(8) unsigned char mem[512];
    unsigned char before[sizeof(mem)];
    struct vmsix_vtd_unit *sentinel = (struct vmsix_vtd_unit *)(uintptr_t)0x5a5a0;
    struct vmsix_vtd_unit *u = sentinel;
    uint64_t q[2];

    memset(mem, 0xa5, sizeof(mem));
    memcpy(before, mem, sizeof(mem));
    assert_int_equal(vmsix_vtd_unit_init(mem, sizeof(mem), p, ops, NULL, &u), want);
    assert_memory_equal(mem, before, sizeof(mem));
    assert_ptr_equal(u, sentinel);
    /* and the storage is no unit */
    assert_int_equal(vmsix_vtd_irte_read((struct vmsix_vtd_unit *)(void *)mem, 0, q), -EINVAL);
}

/* struct vmsix_vtd_ops carries its size: below the first version's is
 * refused before anything is written. */
static void test_unit_init_ops_size_small(void **state)
{
    struct vmsix_vtd_params p = {0};
    struct vmsix_vtd_ops ops = {0};
    uint64_t *t = aligned_alloc(4096, 4096);
    (void)state;
    assert_non_null(t);
    p.table = t;
    p.nentries = 256;
    ops.invalidate = fk_inval;
    ops.size = 0;
    expect_init_refused(&p, &ops, -EINVAL);
    ops.size = sizeof(size_t); /* the size member alone */
    expect_init_refused(&p, &ops, -EINVAL);
    ops.size = VMSIX_VTD_OPS_SIZE_V1 - 1;
    expect_init_refused(&p, &ops, -EINVAL);
    ops.size = (size_t)-1; /* garbage, never scanned */
    expect_init_refused(&p, &ops, -EINVAL);
    free(t);
}

/* A caller compiled with a newer, larger struct vmsix_vtd_ops: accepted
 * when the members this library does not know are zero, refused with
 * -ENOTSUP (nothing written) when any byte of them is set. */
static void test_unit_init_ops_size_larger(void **state)
{
    struct newer_ops {
        struct vmsix_vtd_ops v1;
        void (*future)(void *ctx);
        uint64_t more;
    } big;
    struct vmsix_vtd_params p = {0};
    _Alignas(8) unsigned char mem[512];
    struct vmsix_vtd_unit *u = NULL;
    struct fake fk = {0};
    struct vmsix_vtd_irte f = remapped(0x41, 2);
    _Alignas(8) unsigned char too_big[1100];
    size_t too_big_size = 1025;
    uint64_t *t = bare_table(&fk, &p);
    (void)state;
    memset(&big, 0, sizeof(big));
    big.v1.size = sizeof(big);
    big.v1.flush = fk_flush;
    big.v1.invalidate = fk_inval;
    assert_int_equal(vmsix_vtd_unit_init(mem, sizeof(mem), &p, &big.v1, &fk, &u), 0);
    /* the known hooks were taken: a write flushes twice, then one descriptor */
    assert_int_equal(vmsix_vtd_irte_write(u, 1, &f, 0), 0);
    assert_int_equal(vmsix_vtd_invalidate(u, 1, 1), 0);
    assert_int_equal(fk.nev, 3);
    assert_int_equal(fk.ev[0].kind, EV_FLUSH);
    assert_int_equal(fk.ev[1].kind, EV_FLUSH);
    assert_int_equal(fk.ev[2].kind, EV_INVAL);
    /* a hook this library does not know */
    big.future = fk_lock;
    expect_init_refused(&p, &big.v1, -ENOTSUP);
    big.future = NULL;
    /* any non-zero byte past the known struct, up to the last one */
    big.more = 1ull << 56;
    expect_init_refused(&p, &big.v1, -ENOTSUP);
    big.more = 1;
    expect_init_refused(&p, &big.v1, -ENOTSUP);
    big.more = 0;
    assert_int_equal(vmsix_vtd_unit_init(mem, sizeof(mem), &p, &big.v1, &fk, &u), 0);
    /* larger than any hook struct: refused, not scanned */
    memset(too_big, 0, sizeof(too_big));
    memcpy(too_big, &big.v1, sizeof(big.v1));
    memcpy(too_big, &too_big_size, sizeof(too_big_size));
    expect_init_refused(&p, too_big, -EINVAL);
    free(t);
}

static void test_unit_arg_refusals(void **state)
{
    struct rig *r = rig_new(256, 0, 4, true);
    struct vmsix_vtd_irte f = remapped(0x40, 1);
    uint64_t q[2];
    (void)state;
    assert_int_equal(vmsix_vtd_irte_write(NULL, 0, &f, 0), -EINVAL);
    assert_int_equal(vmsix_vtd_irte_write(r->u, 256, &f, 0), -EINVAL);
    assert_int_equal(vmsix_vtd_irte_write(r->u, 0, NULL, 0), -EINVAL);
    assert_int_equal(vmsix_vtd_irte_write(r->u, 0, &f, 0x2), -EINVAL);
    f.present = false; /* write only makes entries present */
    assert_int_equal(vmsix_vtd_irte_write(r->u, 0, &f, 0), -EINVAL);
    f = remapped(0x40, 1);
    f.svt = 0; /* never present with SVT 0 */
    assert_int_equal(vmsix_vtd_irte_write(r->u, 0, &f, 0), -EINVAL);
    f = remapped(0x40, 1);
    f.delivery = 4; /* NMI */
    assert_int_equal(vmsix_vtd_irte_write(r->u, 0, &f, 0), -EINVAL);
    /* xAPIC unit: the destination field may only use bits 15:8 */
    f = remapped(0x40, 1);
    f.dest = 0x00ff0000; /* bits 23:16 */
    assert_int_equal(vmsix_vtd_irte_write(r->u, 0, &f, 0), -EINVAL);
    f.dest = 0x1;
    assert_int_equal(vmsix_vtd_irte_write(r->u, 0, &f, 0), -EINVAL);
    f.dest = 0x10000;
    assert_int_equal(vmsix_vtd_irte_write(r->u, 0, &f, 0), -EINVAL);
    /* posted on a unit without posting */
    f = remapped(0x40, 0);
    f.dest = 0;
    f.posted = true;
    f.pda = 0x4000;
    assert_int_equal(vmsix_vtd_irte_write(r->u, 0, &f, 0), -ENOTSUP);
    assert_int_equal(r->fk.nev, 0); /* nothing stored, nothing flushed */
    assert_int_equal(r->table[0], 0);
    assert_int_equal(r->table[1], 0);
    assert_int_equal(vmsix_vtd_irte_clear(r->u, 256), -EINVAL);
    assert_int_equal(vmsix_vtd_irte_clear(NULL, 0), -EINVAL);
    assert_int_equal(vmsix_vtd_irte_read(r->u, 256, q), -EINVAL);
    assert_int_equal(vmsix_vtd_irte_read(r->u, 0, NULL), -EINVAL);
    assert_int_equal(vmsix_vtd_invalidate(r->u, 0, 0), -EINVAL);
    assert_int_equal(vmsix_vtd_invalidate(r->u, 255, 2), -EINVAL);
    assert_int_equal(vmsix_vtd_invalidate(r->u, 256, 1), -EINVAL);
    assert_int_equal(vmsix_vtd_invalidate(NULL, 0, 1), -EINVAL);
    assert_int_equal(r->fk.nev, 0);
    rig_free(r);
}

static void test_unit_x2apic_dest(void **state)
{
    struct rig *r = rig_new(256, VMSIX_VTD_X2APIC, 4, true);
    struct vmsix_vtd_irte f = remapped(0x40, 0);
    uint64_t q[2];
    (void)state;
    f.dest = 0xfedcba98u; /* any 32-bit ID in x2APIC mode */
    assert_int_equal(vmsix_vtd_irte_write(r->u, 3, &f, 0), 0);
    assert_int_equal(vmsix_vtd_irte_read(r->u, 3, q), 0);
    /* 0x1 | 0x40 << 16 | 0xFEDCBA98 << 32 */
    assert_int_equal(q[0], 0xfedcba9800400001ull);
    assert_int_equal(q[1], R_HI);
    rig_free(r);
}

/* ---- write protocol ---------------------------------------------------- */

static void test_protocol_new_entry(void **state)
{
    struct rig *r = rig_new(256, 0, 4, true);
    struct vmsix_vtd_irte f = remapped(0x41, 2);
    (void)state;
    /* a stale high qword in the not-present slot */
    r->table[2 * 7 + 1] = 0xffff;
    assert_int_equal(vmsix_vtd_irte_write(r->u, 7, &f, 0), 0);
    /* high qword first (low still not present), then the low qword */
    assert_int_equal(r->fk.nev, 2);
    expect_flush(r, 0, 7, 0, R_HI);
    expect_flush(r, 1, 7, R_LO(0x41, 2), R_HI);
    /* then the invalidation of that one entry: index 7 << 32 | G | type */
    assert_int_equal(vmsix_vtd_invalidate(r->u, 7, 1), 0);
    assert_int_equal(r->fk.nev, 3);
    expect_inval(r, 2, 0x0000000700000014ull);
    assert_int_equal(r->fk.max_locked, 1);
    rig_free(r);
}

static void test_protocol_change_atomic_hook(void **state)
{
    struct rig *r = rig_new(256, 0, 4, true);
    struct vmsix_vtd_irte f = remapped(0x41, 2);
    (void)state;
    assert_int_equal(vmsix_vtd_irte_write(r->u, 7, &f, 0), 0);
    rig_clear_events(r);
    /* present and live: one 128-bit store, then one flush */
    f = remapped(0x42, 3);
    assert_int_equal(vmsix_vtd_irte_write(r->u, 7, &f, 0), 0);
    assert_int_equal(r->fk.nev, 2);
    expect_store128(r, 0, 7, R_LO(0x42, 3), R_HI);
    expect_flush(r, 1, 7, R_LO(0x42, 3), R_HI);
    rig_free(r);
}

static void test_protocol_change_native(void **state)
{
    struct rig *r = rig_new(256, 0, 4, false);
    struct vmsix_vtd_irte f = remapped(0x41, 2);
    uint64_t q[2];
    int rc;
    (void)state;
    assert_int_equal(vmsix_vtd_irte_write(r->u, 7, &f, 0), 0);
    rig_clear_events(r);
    f = remapped(0x42, 3);
    f.sid = 0x0311;
    rc = vmsix_vtd_irte_write(r->u, 7, &f, 0);
    assert_int_equal(vmsix_vtd_irte_read(r->u, 7, q), 0);
#if defined(__x86_64__) && defined(__GNUC__)
    /* built-in cmpxchg16b: one store, one flush showing both halves new */
    assert_int_equal(rc, 0);
    assert_int_equal(r->fk.nev, 1);
    expect_flush(r, 0, 7, R_LO(0x42, 3), 0x0000000000040311ull);
    assert_int_equal(q[0], R_LO(0x42, 3));
    assert_int_equal(q[1], 0x0000000000040311ull);
#else
    /* elsewhere, without a store128 hook: refused, entry unchanged */
    assert_int_equal(rc, -ENOTSUP);
    assert_int_equal(r->fk.nev, 0);
    assert_int_equal(q[0], R_LO(0x41, 2));
    assert_int_equal(q[1], R_HI);
#endif
    rig_free(r);
}

static void test_protocol_change_no_atomic(void **state)
{
    struct rig *r = rig_new(256, VMSIX_VTD_NO_CX16, 4, false);
    struct vmsix_vtd_irte f = remapped(0x41, 2);
    uint64_t q[2];
    (void)state;
    assert_int_equal(vmsix_vtd_irte_write(r->u, 7, &f, 0), 0); /* new: no atomic needed */
    rig_clear_events(r);
    f = remapped(0x42, 3);
    assert_int_equal(vmsix_vtd_irte_write(r->u, 7, &f, 0), -ENOTSUP);
    assert_int_equal(r->fk.nev, 0);
    assert_int_equal(vmsix_vtd_irte_read(r->u, 7, q), 0);
    assert_int_equal(q[0], R_LO(0x41, 2));
    assert_int_equal(q[1], R_HI);
    /* quiesced (masked at the device): allowed, high then low */
    f.sid = 0x0311;
    assert_int_equal(vmsix_vtd_irte_write(r->u, 7, &f, VMSIX_VTD_WR_QUIESCED), 0);
    assert_int_equal(r->fk.nev, 2);
    expect_flush(r, 0, 7, R_LO(0x41, 2), 0x0000000000040311ull);
    expect_flush(r, 1, 7, R_LO(0x42, 3), 0x0000000000040311ull);
    rig_free(r);
}

static void test_protocol_change_quiesced(void **state)
{
    struct rig *r = rig_new(256, 0, 4, true);
    struct vmsix_vtd_irte f = remapped(0x41, 2);
    (void)state;
    assert_int_equal(vmsix_vtd_irte_write(r->u, 9, &f, 0), 0);
    rig_clear_events(r);
    f = remapped(0x42, 3);
    f.sid = 0x0311;
    assert_int_equal(vmsix_vtd_irte_write(r->u, 9, &f, VMSIX_VTD_WR_QUIESCED), 0);
    /* no 128-bit store: high first (old low still there), then low */
    assert_int_equal(r->fk.nev, 2);
    expect_flush(r, 0, 9, R_LO(0x41, 2), 0x0000000000040311ull);
    expect_flush(r, 1, 9, R_LO(0x42, 3), 0x0000000000040311ull);
    rig_free(r);
}

/* posted entry: guest vector 0x61, descriptor 0x12_3456_7FC0, SID 0x0310 */
static struct vmsix_vtd_irte posted_entry(void)
{
    struct vmsix_vtd_irte f = {0};

    f.present = true;
    f.posted = true;
    f.vector = 0x61;
    f.pda = 0x0000001234567fc0ull;
    f.sid = 0x0310;
    f.svt = 1;
    return f;
}
#define P_LO 0x34567fc000618001ull /* as the golden vector, without Urgent */
#define P_HI 0x0000001200040310ull

static void test_protocol_posted(void **state)
{
    struct rig *r = rig_new(256, VMSIX_VTD_POSTED, 4, true);
    struct vmsix_vtd_irte f = posted_entry();
    (void)state;
    /* even a new posted entry is one 128-bit store, quiesced or not */
    assert_int_equal(vmsix_vtd_irte_write(r->u, 5, &f, VMSIX_VTD_WR_QUIESCED), 0);
    assert_int_equal(r->fk.nev, 2);
    expect_store128(r, 0, 5, P_LO, P_HI);
    expect_flush(r, 1, 5, P_LO, P_HI);
    /* posted -> remapped, even quiesced: one 128-bit store */
    rig_clear_events(r);
    f = remapped(0x41, 2);
    assert_int_equal(vmsix_vtd_irte_write(r->u, 5, &f, VMSIX_VTD_WR_QUIESCED), 0);
    assert_int_equal(r->fk.nev, 2);
    expect_store128(r, 0, 5, R_LO(0x41, 2), R_HI);
    /* clear of a posted entry: Present off first, then the rest */
    f = posted_entry();
    assert_int_equal(vmsix_vtd_irte_write(r->u, 5, &f, 0), 0);
    rig_clear_events(r);
    assert_int_equal(vmsix_vtd_irte_clear(r->u, 5), 0);
    assert_int_equal(r->fk.nev, 2);
    expect_flush(r, 0, 5, 0, P_HI);
    expect_flush(r, 1, 5, 0, 0);
    rig_free(r);
}

static void test_protocol_posted_no_atomic(void **state)
{
    struct rig *r = rig_new(256, VMSIX_VTD_POSTED | VMSIX_VTD_NO_CX16, 4, false);
    struct vmsix_vtd_irte f = posted_entry();
    (void)state;
    assert_int_equal(vmsix_vtd_irte_write(r->u, 5, &f, 0), -ENOTSUP);
    assert_int_equal(vmsix_vtd_irte_write(r->u, 5, &f, VMSIX_VTD_WR_QUIESCED), -ENOTSUP);
    assert_int_equal(r->fk.nev, 0);
    assert_int_equal(r->table[10], 0);
    assert_int_equal(r->table[11], 0);
    rig_free(r);
}

static void test_protocol_posted_native(void **state)
{
    struct rig *r = rig_new(256, VMSIX_VTD_POSTED, 4, false);
    struct vmsix_vtd_irte f = posted_entry();
    int rc;
    (void)state;
    rc = vmsix_vtd_irte_write(r->u, 5, &f, 0);
#if defined(__x86_64__) && defined(__GNUC__)
    assert_int_equal(rc, 0);
    assert_int_equal(r->fk.nev, 1);
    expect_flush(r, 0, 5, P_LO, P_HI);
#else
    assert_int_equal(rc, -ENOTSUP);
    assert_int_equal(r->fk.nev, 0);
#endif
    rig_free(r);
}

static void test_protocol_clear(void **state)
{
    struct rig *r = rig_new(256, 0, 4, true);
    struct vmsix_vtd_irte f = remapped(0x41, 2);
    (void)state;
    assert_int_equal(vmsix_vtd_irte_write(r->u, 7, &f, 0), 0);
    rig_clear_events(r);
    assert_int_equal(vmsix_vtd_irte_clear(r->u, 7), 0);
    /* low qword (Present) first, then high */
    assert_int_equal(r->fk.nev, 2);
    expect_flush(r, 0, 7, 0, R_HI);
    expect_flush(r, 1, 7, 0, 0);
    assert_int_equal(vmsix_vtd_invalidate(r->u, 7, 1), 0);
    expect_inval(r, 2, 0x0000000700000014ull);
    rig_free(r);
}

static void test_protocol_no_flush_hook(void **state)
{
    _Alignas(8) unsigned char mem[512];
    struct vmsix_vtd_params p = {0};
    struct vmsix_vtd_ops ops = {.size = sizeof(struct vmsix_vtd_ops)};
    struct vmsix_vtd_unit *u;
    struct fake fk = {0};
    struct vmsix_vtd_irte f = remapped(0x41, 2);
    uint64_t *t = bare_table(&fk, &p);
    (void)state;
    ops.invalidate = fk_inval; /* coherent unit: no flush hook, no lock */
    assert_int_equal(vmsix_vtd_unit_init(mem, sizeof(mem), &p, &ops, &fk, &u), 0);
    assert_int_equal(vmsix_vtd_irte_write(u, 1, &f, 0), 0);
    assert_int_equal(t[2], R_LO(0x41, 2));
    assert_int_equal(t[3], R_HI);
    assert_int_equal(vmsix_vtd_invalidate(u, 1, 1), 0);
    assert_int_equal(fk.nev, 1);
    assert_int_equal(vmsix_vtd_irte_clear(u, 1), 0);
    assert_int_equal(t[2], 0);
    assert_int_equal(t[3], 0);
    free(t);
}

static void test_invalidate_failure(void **state)
{
    static const int rcs[3][2] = {{-ETIMEDOUT, -ETIMEDOUT}, {1, -EIO}, {-EIO, -EIO}};
    unsigned i;
    (void)state;
    for (i = 0; i < 3; i++) {
        struct rig *r = rig_new(256, 0, 4, true);
        struct vmsix_vtd_irte f = remapped(0x41, 2);
        uint64_t q[2];

        assert_int_equal(vmsix_vtd_irte_write(r->u, 7, &f, 0), 0);
        rig_clear_events(r);
        r->fk.inval_fail_at = 0;
        r->fk.inval_rc = rcs[i][0];
        assert_int_equal(vmsix_vtd_invalidate(r->u, 7, 1), rcs[i][1]);
        /* the descriptor, then the entry cleared (low first) */
        assert_int_equal(r->fk.nev, 3);
        expect_inval(r, 0, 0x0000000700000014ull);
        expect_flush(r, 1, 7, 0, R_HI);
        expect_flush(r, 2, 7, 0, 0);
        assert_int_equal(vmsix_vtd_irte_read(r->u, 7, q), 0);
        assert_int_equal(q[0], 0);
        assert_int_equal(q[1], 0);
        rig_free(r);
    }
}

static void test_invalidate_failure_range(void **state)
{
    struct rig *r = rig_new(256, 0, 0, true); /* MHMV 0: one descriptor per entry */
    unsigned i;
    (void)state;
    for (i = 0; i < 9; i++) {
        struct vmsix_vtd_irte f = remapped((uint8_t)(0x40 + i), 1);
        assert_int_equal(vmsix_vtd_irte_write(r->u, 16 + i, &f, 0), 0);
    }
    rig_clear_events(r);
    r->fk.inval_fail_at = 2;
    r->fk.inval_rc = -ETIMEDOUT;
    assert_int_equal(vmsix_vtd_invalidate(r->u, 16, 8), -ETIMEDOUT);
    /* three descriptors (the third failed), then 8 entries cleared */
    assert_int_equal(r->fk.nev, 3 + 16);
    expect_inval(r, 0, 0x0000001000000014ull);
    expect_inval(r, 1, 0x0000001100000014ull);
    expect_inval(r, 2, 0x0000001200000014ull);
    for (i = 0; i < 8; i++) {
        expect_flush(r, 3 + 2 * i, 16 + i, 0, R_HI);
        expect_flush(r, 4 + 2 * i, 16 + i, 0, 0);
    }
    /* the entry after the range is untouched */
    assert_int_equal(r->table[2 * 24], R_LO(0x48, 1));
    rig_free(r);
}

/* Decode an IEC descriptor by the table: index-selective, type 4. */
static void iec_fields(const uint64_t d[2], uint32_t *index, unsigned *im)
{
    assert_int_equal(d[0] & 0xf, 0x4);
    assert_int_equal((d[0] >> 4) & 1, 1);
    assert_int_equal(d[0] & (bits(26, 5) | bits(63, 48)), 0);
    assert_int_equal(d[1], 0);
    *im = (unsigned)((d[0] >> 27) & 0x1f);
    *index = (uint32_t)((d[0] >> 32) & 0xffff);
}

static void test_invalidate_chunks(void **state)
{
    struct {
        uint8_t mhmv;
        uint32_t index, count;
        unsigned n;
        uint64_t d[4];
    } c[] = {
        /* 32 at 64, MHMV 5: IM 5 -> 0x0000_0040_2800_0014 */
        {5, 64, 32, 1, {0x0000004028000014ull}},
        /* 32 at 64, MHMV 3: 4 x IM 3 (3 << 27 = 0x1800_0000) at 64, 72, 80, 88 */
        {3,
         64,
         32,
         4,
         {0x0000004018000014ull, 0x0000004818000014ull, 0x0000005018000014ull,
          0x0000005818000014ull}},
        /* 5 at 3, MHMV 4: entry 3 alone, then 4..7 as IM 2 (0x1000_0000) */
        {4, 3, 5, 2, {0x0000000300000014ull, 0x0000000410000014ull}},
        /* 4 at 0, MHMV 0: entry by entry */
        {0,
         0,
         4,
         4,
         {0x0000000000000014ull, 0x0000000100000014ull, 0x0000000200000014ull,
          0x0000000300000014ull}},
        /* the whole 256-entry table, MHMV 15: IM 8 (0x4000_0000) */
        {15, 0, 256, 1, {0x0000000040000014ull}},
    };
    unsigned i, j;
    (void)state;
    for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        struct rig *r = rig_new(256, 0, c[i].mhmv, true);
        assert_int_equal(vmsix_vtd_invalidate(r->u, c[i].index, c[i].count), 0);
        assert_int_equal(r->fk.nev, c[i].n);
        for (j = 0; j < c[i].n; j++)
            expect_inval(r, j, c[i].d[j]);
        rig_free(r);
    }
}

static void test_invalidate_chunks_random(void **state)
{
    unsigned t;
    (void)state;
    for (t = 0; t < 3000; t++) {
        uint8_t mhmv = (uint8_t)(rnd() % 16);
        uint32_t index = (uint32_t)(rnd() % 1024);
        uint32_t count = 1 + (uint32_t)(rnd() % (1024 - index));
        struct rig *r;
        uint32_t next;
        unsigned j;

        if (t % 3 == 0) { /* aligned power-of-two blocks too */
            unsigned k = (unsigned)(rnd() % 9);
            count = 1u << k;
            index = (uint32_t)(rnd() % (1024 >> k)) << k;
        }
        next = index;
        r = rig_new(1024, 0, mhmv, true);
        assert_int_equal(vmsix_vtd_invalidate(r->u, index, count), 0);
        for (j = 0; j < r->fk.nev; j++) {
            uint32_t ix;
            unsigned im;
            assert_int_equal(r->fk.ev[j].kind, EV_INVAL);
            iec_fields(r->fk.ev[j].q, &ix, &im);
            assert_true(im <= mhmv);
            assert_int_equal(ix & ((1u << im) - 1), 0); /* aligned */
            assert_int_equal(ix, next);                 /* contiguous, in order */
            next += 1u << im;
        }
        assert_int_equal(next, index + count); /* exactly the range */
        if ((count & (count - 1)) == 0 && !(index & (count - 1)) && count <= (1u << mhmv))
            assert_int_equal(r->fk.nev, 1);
        rig_free(r);
    }
}

/* ---- reference decoder ------------------------------------------------- */

static struct vmsix_msg rmsg(uint16_t handle, uint32_t data)
{
    struct vmsix_msg m;

    vmsix_vtd_msi_compose(handle, &m);
    m.data = data;
    return m;
}

static void test_resolve_success_subhandle(void **state)
{
    struct rig *r = rig_new(256, 0, 4, true);
    struct vmsix_vtd_result res;
    struct vmsix_msg m;
    unsigned k;
    (void)state;
    for (k = 0; k < 8; k++) {
        struct vmsix_vtd_irte f = remapped((uint8_t)(0x50 + k), (uint8_t)k);
        assert_int_equal(vmsix_vtd_irte_write(r->u, 0x10 + k, &f, 0), 0);
    }
    /* handle 0x10, SHV = 1: data k selects entry 0x10 + k */
    for (k = 0; k < 8; k++) {
        m = rmsg(0x10, k);
        assert_int_equal(vmsix_vtd_resolve(r->u, 0x0310, &m, &res), 0);
        assert_false(res.compat);
        assert_int_equal(res.index, 0x10 + k);
        assert_int_equal(res.irte.vector, 0x50 + k);
        assert_int_equal(res.apic_id, k);
        assert_true(res.irte.present);
    }
    /* handle 0x12 + subhandle 3 = 0x15 (an add, not an OR) */
    m = rmsg(0x12, 3);
    assert_int_equal(vmsix_vtd_resolve(r->u, 0x0310, &m, &res), 0);
    assert_int_equal(res.index, 0x15);
    /* SHV = 0: the data is ignored, the entry is the handle */
    m = rmsg(0x13, 3);
    m.addr &= ~0x8ull;
    assert_int_equal(vmsix_vtd_resolve(r->u, 0x0310, &m, &res), 0);
    assert_int_equal(res.index, 0x13);
    assert_int_equal(res.irte.vector, 0x53);
    /* address written by hand: 0xFEE0_0000 | 0x11 << 5 (0x220) | 0x10 | 0x08 */
    m.addr = 0xfee00238ull;
    m.data = 1;
    assert_int_equal(vmsix_vtd_resolve(r->u, 0x0310, &m, &res), 0);
    assert_int_equal(res.index, 0x12);
    rig_free(r);
}

static void test_resolve_handle_bit15(void **state)
{
    struct rig *r = rig_new(65536, VMSIX_VTD_X2APIC, 4, true);
    struct vmsix_vtd_irte f = remapped(0x77, 0);
    struct vmsix_vtd_result res;
    struct vmsix_msg m;
    (void)state;
    f.dest = 0x00012345;
    assert_int_equal(vmsix_vtd_irte_write(r->u, 0x8005, &f, 0), 0);
    /* handle 0x8000: bit 2 carries handle[15]; 0xFEE0_0000 | 0x1C */
    m = rmsg(0x8000, 5);
    assert_int_equal(m.addr, 0xfee0001cull);
    assert_int_equal(vmsix_vtd_resolve(r->u, 0x0310, &m, &res), 0);
    assert_int_equal(res.index, 0x8005);
    assert_int_equal(res.apic_id, 0x12345);
    /* without bit 2 it is entry 5: not present */
    m.addr &= ~0x4ull;
    assert_int_equal(vmsix_vtd_resolve(r->u, 0x0310, &m, &res), VMSIX_VTD_FAULT_NOT_PRESENT);
    assert_int_equal(res.index, 5);
    /* 0xFFFF + 0xFFFF does not wrap to 0xFFFE: beyond the table */
    m = rmsg(0xffff, 0xffff);
    assert_int_equal(vmsix_vtd_resolve(r->u, 0x0310, &m, &res), VMSIX_VTD_FAULT_INDEX);
    m = rmsg(0xffff, 0);
    assert_int_equal(vmsix_vtd_resolve(r->u, 0x0310, &m, &res), VMSIX_VTD_FAULT_NOT_PRESENT);
    m = rmsg(0xffff, 1);
    assert_int_equal(vmsix_vtd_resolve(r->u, 0x0310, &m, &res), VMSIX_VTD_FAULT_INDEX);
    rig_free(r);
}

static void test_resolve_compat(void **state)
{
    struct rig *r = rig_new(256, 0, 4, true);
    struct rig *b = rig_new(256, VMSIX_VTD_BLOCK_COMPAT, 4, true);
    struct vmsix_vtd_result res;
    /* compatibility format: APIC 1 in 19:12, vector 0x41 */
    struct vmsix_msg m = {0xfee01000ull, 0x41};
    (void)state;
    memset(&res, 0xa5, sizeof(res));
    assert_int_equal(vmsix_vtd_resolve(r->u, 0x0310, &m, &res), 0);
    assert_true(res.compat);
    assert_int_equal(res.index, 0);
    assert_int_equal(vmsix_vtd_resolve(b->u, 0x0310, &m, &res), VMSIX_VTD_FAULT_COMPAT);
    assert_false(res.compat);
    /* compatibility format with bit 3 (RH) and 2 (DM) set: still bit 4 = 0 */
    m.addr = 0xfee0100cull;
    assert_int_equal(vmsix_vtd_resolve(b->u, 0x0310, &m, &res), VMSIX_VTD_FAULT_COMPAT);
    rig_free(r);
    rig_free(b);
}

static void test_resolve_not_interrupt(void **state)
{
    struct rig *r = rig_new(256, 0, 4, true);
    struct vmsix_vtd_result res;
    struct vmsix_msg m = rmsg(0, 0);
    (void)state;
    m.addr = 0xfed00018ull; /* not 0xFEE */
    assert_int_equal(vmsix_vtd_resolve(r->u, 0x0310, &m, &res), -EINVAL);
    m = rmsg(0, 0);
    m.addr |= 1ull << 32; /* above 4 GiB: a DMA write, no interrupt */
    assert_int_equal(vmsix_vtd_resolve(r->u, 0x0310, &m, &res), -EINVAL);
    m = rmsg(0, 0);
    assert_int_equal(vmsix_vtd_resolve(NULL, 0x0310, &m, &res), -EINVAL);
    assert_int_equal(vmsix_vtd_resolve(r->u, 0x0310, NULL, &res), -EINVAL);
    assert_int_equal(vmsix_vtd_resolve(r->u, 0x0310, &m, NULL), -EINVAL);
    rig_free(r);
}

static void test_resolve_reserved_request(void **state)
{
    struct rig *r = rig_new(256, VMSIX_VTD_BLOCK_COMPAT, 4, true);
    struct vmsix_vtd_irte f = remapped(0x41, 2);
    struct vmsix_vtd_result res;
    struct vmsix_msg m;
    unsigned b;
    (void)state;
    assert_int_equal(vmsix_vtd_irte_write(r->u, 0, &f, 0), 0);
    m = rmsg(0, 0);
    assert_int_equal(vmsix_vtd_resolve(r->u, 0x0310, &m, &res), 0);
    for (b = 16; b < 32; b++) { /* data bits 31:16 */
        m = rmsg(0, 1u << b);
        assert_int_equal(vmsix_vtd_resolve(r->u, 0x0310, &m, &res), VMSIX_VTD_FAULT_RSVD_REQ);
        m.addr &= ~0x8ull; /* with SHV = 0 too */
        assert_int_equal(vmsix_vtd_resolve(r->u, 0x0310, &m, &res), VMSIX_VTD_FAULT_RSVD_REQ);
    }
    for (b = 0; b < 2; b++) { /* address bits 1:0 */
        m = rmsg(0, 0);
        m.addr |= 1u << b;
        assert_int_equal(vmsix_vtd_resolve(r->u, 0x0310, &m, &res), VMSIX_VTD_FAULT_RSVD_REQ);
    }
    /* the reserved request is caught before the index check */
    m = rmsg(0x1ff, 0x10000);
    assert_int_equal(vmsix_vtd_resolve(r->u, 0x0310, &m, &res), VMSIX_VTD_FAULT_RSVD_REQ);
    rig_free(r);
}

static void test_resolve_index_beyond(void **state)
{
    struct rig *r = rig_new(256, 0, 4, true);
    struct vmsix_vtd_result res;
    struct vmsix_msg m;
    (void)state;
    m = rmsg(256, 0);
    assert_int_equal(vmsix_vtd_resolve(r->u, 0x0310, &m, &res), VMSIX_VTD_FAULT_INDEX);
    m = rmsg(250, 6); /* 250 + 6 = 256 */
    assert_int_equal(vmsix_vtd_resolve(r->u, 0x0310, &m, &res), VMSIX_VTD_FAULT_INDEX);
    m = rmsg(250, 5); /* 255: inside, not present */
    assert_int_equal(vmsix_vtd_resolve(r->u, 0x0310, &m, &res), VMSIX_VTD_FAULT_NOT_PRESENT);
    assert_int_equal(res.index, 255);
    m = rmsg(0x8000, 0);
    assert_int_equal(vmsix_vtd_resolve(r->u, 0x0310, &m, &res), VMSIX_VTD_FAULT_INDEX);
    rig_free(r);
}

static void test_resolve_not_present(void **state)
{
    struct rig *r = rig_new(256, 0, 4, true);
    struct vmsix_vtd_irte f = remapped(0x41, 2);
    struct vmsix_vtd_result res;
    struct vmsix_msg m = rmsg(3, 0);
    (void)state;
    assert_int_equal(vmsix_vtd_resolve(r->u, 0x0310, &m, &res), VMSIX_VTD_FAULT_NOT_PRESENT);
    assert_int_equal(vmsix_vtd_irte_write(r->u, 3, &f, 0), 0);
    assert_int_equal(vmsix_vtd_resolve(r->u, 0x0310, &m, &res), 0);
    assert_int_equal(vmsix_vtd_irte_clear(r->u, 3), 0);
    assert_int_equal(vmsix_vtd_resolve(r->u, 0x0310, &m, &res), VMSIX_VTD_FAULT_NOT_PRESENT);
    /* not present wins over reserved bits and a wrong source */
    r->table[6] = 0xff000000ull; /* reserved 31:24, P = 0 */
    r->table[7] = 0x3ull << 18;  /* SVT 3 */
    assert_int_equal(vmsix_vtd_resolve(r->u, 0x9999, &m, &res), VMSIX_VTD_FAULT_NOT_PRESENT);
    rig_free(r);
}

static void test_resolve_reserved_entry(void **state)
{
    struct rig *r = rig_new(256, 0, 4, true);
    struct rig *x = rig_new(256, VMSIX_VTD_X2APIC | VMSIX_VTD_POSTED, 4, true);
    struct vmsix_vtd_result res;
    struct vmsix_msg m = rmsg(4, 0);
    unsigned b;
    (void)state;
    /* every reserved bit of a present remapped entry */
    for (b = 0; b < 128; b++) {
        bool rsvd = (b >= 12 && b <= 14) || (b >= 24 && b <= 31) || b >= 84;
        if (!rsvd)
            continue;
        r->table[8] = 0x0000010000410001ull; /* P, vector 0x41, xAPIC dest 1 */
        r->table[9] = 0x40310;
        r->table[8 + b / 64] |= 1ull << (b % 64);
        assert_int_equal(vmsix_vtd_resolve(r->u, 0x0310, &m, &res), VMSIX_VTD_FAULT_RSVD_IRTE);
        assert_int_equal(res.index, 4);
    }
    r->table[8] = 0x0000010000410001ull;
    r->table[9] = 0x40310;
    assert_int_equal(vmsix_vtd_resolve(r->u, 0x0310, &m, &res), 0);
    /* SVT 3 */
    r->table[9] = 0xc0310;
    assert_int_equal(vmsix_vtd_resolve(r->u, 0x0310, &m, &res), VMSIX_VTD_FAULT_RSVD_IRTE);
    /* xAPIC mode: destination bits 39:32 and 63:48 are reserved */
    r->table[9] = 0x40310;
    for (b = 32; b < 64; b++) {
        r->table[8] = 0x0000000000410001ull | (1ull << b);
        assert_int_equal(vmsix_vtd_resolve(r->u, 0x0310, &m, &res),
                         (b >= 40 && b <= 47) ? 0 : VMSIX_VTD_FAULT_RSVD_IRTE);
        if (b >= 40 && b <= 47)
            assert_int_equal(res.apic_id, 1u << (b - 40));
    }
    /* ... but not in x2APIC mode */
    x->table[8] = 0xffffffff00410001ull;
    x->table[9] = 0x40310;
    assert_int_equal(vmsix_vtd_resolve(x->u, 0x0310, &m, &res), 0);
    assert_int_equal(res.apic_id, 0xffffffffu);
    /* posted entry on a unit without posting: IM is reserved */
    r->table[8] = P_LO;
    r->table[9] = P_HI;
    assert_int_equal(vmsix_vtd_resolve(r->u, 0x0310, &m, &res), VMSIX_VTD_FAULT_RSVD_IRTE);
    x->table[8] = P_LO;
    x->table[9] = P_HI;
    assert_int_equal(vmsix_vtd_resolve(x->u, 0x0310, &m, &res), 0);
    assert_true(res.irte.posted);
    assert_int_equal(res.irte.pda, 0x0000001234567fc0ull);
    assert_int_equal(res.apic_id, 0);
    /* a reserved bit of the posted format (bit 2) */
    x->table[8] = P_LO | 0x4;
    assert_int_equal(vmsix_vtd_resolve(x->u, 0x0310, &m, &res), VMSIX_VTD_FAULT_RSVD_IRTE);
    /* reserved wins over a wrong source */
    r->table[8] = 0x0000010000411001ull; /* bit 12 */
    r->table[9] = 0x40310;
    assert_int_equal(vmsix_vtd_resolve(r->u, 0x9999, &m, &res), VMSIX_VTD_FAULT_RSVD_IRTE);
    rig_free(r);
    rig_free(x);
}

static void test_resolve_sid_sq(void **state)
{
    /* which function-number bits SQ 0..3 ignore (DESIGN 4.4) */
    static const uint16_t ignored[4] = {0x0, 0x4, 0x6, 0x7};
    struct rig *r = rig_new(256, 0, 4, true);
    struct vmsix_vtd_result res;
    struct vmsix_msg m = rmsg(2, 0);
    unsigned sq, req;
    (void)state;
    for (sq = 0; sq < 4; sq++) {
        struct vmsix_vtd_irte f = remapped(0x41, 2);
        f.sid = 0x0312; /* 03:02.2 */
        f.sq = (uint8_t)sq;
        assert_int_equal(vmsix_vtd_irte_write(r->u, 2, &f, VMSIX_VTD_WR_QUIESCED), 0);
        /* every requester on buses 2..4: match iff equal outside the ignored bits */
        for (req = 0x0200; req < 0x0500; req++) {
            bool match = ((req ^ 0x0312u) & ~(unsigned)ignored[sq] & 0xffffu) == 0;
            assert_int_equal(vmsix_vtd_resolve(r->u, (uint16_t)req, &m, &res),
                             match ? 0 : VMSIX_VTD_FAULT_SID);
        }
        /* spot checks, by hand */
        assert_int_equal(vmsix_vtd_resolve(r->u, 0x0312, &m, &res), 0);
        assert_int_equal(vmsix_vtd_resolve(r->u, 0x0316, &m, &res), /* bit 2 differs */
                         sq >= 1 ? 0 : VMSIX_VTD_FAULT_SID);
        assert_int_equal(vmsix_vtd_resolve(r->u, 0x0310, &m, &res), /* bit 1 differs */
                         sq >= 2 ? 0 : VMSIX_VTD_FAULT_SID);
        assert_int_equal(vmsix_vtd_resolve(r->u, 0x0313, &m, &res), /* bit 0 differs */
                         sq >= 3 ? 0 : VMSIX_VTD_FAULT_SID);
        assert_int_equal(vmsix_vtd_resolve(r->u, 0x031a, &m, &res), /* bit 3: device */
                         VMSIX_VTD_FAULT_SID);
        assert_int_equal(vmsix_vtd_resolve(r->u, 0x0412, &m, &res), /* bus */
                         VMSIX_VTD_FAULT_SID);
        assert_int_equal(res.index, 2);
    }
    rig_free(r);
}

static void test_resolve_sid_bus_range(void **state)
{
    struct rig *r = rig_new(256, 0, 4, true);
    struct vmsix_vtd_irte f = remapped(0x41, 2);
    struct vmsix_vtd_result res;
    struct vmsix_msg m = rmsg(2, 0);
    unsigned req;
    (void)state;
    assert_int_equal(vmsix_vtd_sv_bus_range(&f, 0x05, 0x07), 0);
    assert_int_equal(vmsix_vtd_irte_write(r->u, 2, &f, 0), 0);
    for (req = 0; req < 0x10000; req += 0x37) {
        unsigned bus = req >> 8;
        assert_int_equal(vmsix_vtd_resolve(r->u, (uint16_t)req, &m, &res),
                         (bus >= 5 && bus <= 7) ? 0 : VMSIX_VTD_FAULT_SID);
    }
    assert_int_equal(vmsix_vtd_resolve(r->u, 0x04ff, &m, &res), VMSIX_VTD_FAULT_SID);
    assert_int_equal(vmsix_vtd_resolve(r->u, 0x0500, &m, &res), 0);
    assert_int_equal(vmsix_vtd_resolve(r->u, 0x07ff, &m, &res), 0);
    assert_int_equal(vmsix_vtd_resolve(r->u, 0x0800, &m, &res), VMSIX_VTD_FAULT_SID);
    /* a one-bus range: SQ is not used with SVT 2 */
    f = remapped(0x41, 2);
    assert_int_equal(vmsix_vtd_sv_bus_range(&f, 0x09, 0x09), 0);
    f.sq = 3;
    assert_int_equal(vmsix_vtd_irte_write(r->u, 2, &f, VMSIX_VTD_WR_QUIESCED), 0);
    assert_int_equal(vmsix_vtd_resolve(r->u, 0x0900, &m, &res), 0);
    assert_int_equal(vmsix_vtd_resolve(r->u, 0x09ff, &m, &res), 0);
    assert_int_equal(vmsix_vtd_resolve(r->u, 0x0a00, &m, &res), VMSIX_VTD_FAULT_SID);
    assert_int_equal(vmsix_vtd_resolve(r->u, 0x08ff, &m, &res), VMSIX_VTD_FAULT_SID);
    /* SVT 0 (written by someone else, never by vmsix): no check */
    r->table[4] = 0x0000020000410001ull;
    r->table[5] = 0;
    assert_int_equal(vmsix_vtd_resolve(r->u, 0xabcd, &m, &res), 0);
    rig_free(r);
}

/* ---- the remap backend ------------------------------------------------- */

struct be {
    struct rig *r;
    void *poolmem;
    struct vmsix_irte_pool *pool;
    struct vmsix_remap rm;
};

static struct be *be_new(uint32_t n, uint32_t pool_n, uint32_t uflags, uint8_t mhmv,
                         uint32_t bflags)
{
    struct be *b = calloc(1, sizeof(*b));
    size_t sz = vmsix_irte_pool_storage_size(pool_n);

    assert_non_null(b);
    b->r = rig_new(n, uflags, mhmv, true);
    assert_true(sz > 0);
    b->poolmem = aligned_alloc(64, (sz + 63) & ~(size_t)63);
    assert_non_null(b->poolmem);
    assert_int_equal(vmsix_irte_pool_init(b->poolmem, sz, pool_n, &b->pool), 0);
    assert_int_equal(vmsix_vtd_remap_init(b->r->u, b->pool, bflags, &b->rm), 0);
    assert_ptr_equal(b->rm.ctx, b->r->u);
    return b;
}

static void be_free(struct be *b)
{
    rig_free(b->r);
    free(b->poolmem);
    free(b);
}

static struct vmsix_remap_target tgt(uint32_t vec, uint32_t dest)
{
    struct vmsix_remap_target t;

    memset(&t, 0, sizeof(t));
    t.vector = vec;
    t.dest = dest;
    return t;
}

static void test_backend_caps(void **state)
{
    struct be *b = be_new(256, 256, VMSIX_VTD_POSTED, 3, 0);
    struct be *s = be_new(1024, 1024, VMSIX_VTD_X2APIC, 3, VMSIX_VTD_REMAP_STRICT_MHMV);
    const struct vmsix_remap_ops *o = b->rm.ops;
    struct vmsix_remap_caps c;
    (void)state;
    assert_int_equal(o->caps(b->rm.ctx, &c), 0);
    /* the rig has a store128 hook: a present entry switches in one store */
    assert_int_equal(c.flags, VMSIX_REMAP_CAP_POSTED | VMSIX_REMAP_CAP_LIVE_SWITCH);
    assert_int_equal(c.nentries, 256);
    assert_int_equal(c.max_order, 8);
    assert_int_equal(c.dest_bits, 8);
    assert_int_equal(c.vector_bits, 8);
    assert_null(o->doorbell_map);
    assert_null(o->doorbell_unmap);
    assert_int_equal(s->rm.ops->caps(s->rm.ctx, &c), 0);
    assert_int_equal(c.flags, VMSIX_REMAP_CAP_LIVE_SWITCH);
    assert_int_equal(c.max_order, 3);
    assert_int_equal(c.dest_bits, 32);
    assert_int_equal(o->caps(b->rm.ctx, NULL), -EINVAL);
    assert_int_equal(o->caps(NULL, &c), -EINVAL);
    /* rebinding to another pool is refused, to the same one is fine */
    {
        struct vmsix_remap rm2;
        assert_int_equal(vmsix_vtd_remap_init(b->r->u, s->pool, 0, &rm2), -EBUSY);
        assert_int_equal(vmsix_vtd_remap_init(b->r->u, b->pool, 0, &rm2), 0);
        assert_int_equal(vmsix_vtd_remap_init(b->r->u, b->pool, 0x80, &rm2), -EINVAL);
        assert_int_equal(vmsix_vtd_remap_init(NULL, b->pool, 0, &rm2), -EINVAL);
        assert_int_equal(vmsix_vtd_remap_init(b->r->u, NULL, 0, &rm2), -EINVAL);
        assert_int_equal(vmsix_vtd_remap_init(b->r->u, b->pool, 0, NULL), -EINVAL);
    }
    be_free(b);
    be_free(s);
}

/* Without the store128 hook and with cmpxchg16b refused, a present entry
 * cannot switch in one store: no LIVE_SWITCH, so software masking (which
 * needs it) is refused at device init. */
static void test_backend_caps_no_live_switch(void **state)
{
    struct rig *r = rig_new(256, VMSIX_VTD_NO_CX16, 3, false);
    size_t sz = vmsix_irte_pool_storage_size(256);
    void *mem = aligned_alloc(64, (sz + 63u) & ~(size_t)63u);
    struct vmsix_irte_pool *pool;
    struct vmsix_remap rm;
    struct vmsix_remap_caps c;
    (void)state;
    assert_non_null(mem);
    assert_int_equal(vmsix_irte_pool_init(mem, sz, 256, &pool), 0);
    assert_int_equal(vmsix_vtd_remap_init(r->u, pool, 0, &rm), 0);
    assert_int_equal(rm.ops->caps(rm.ctx, &c), 0);
    assert_int_equal(c.flags & VMSIX_REMAP_CAP_LIVE_SWITCH, 0);
    free(mem);
    rig_free(r);
}

/* The whole lifecycle, in the order remap.h documents, checked through the
 * reference decoder and the pool. */
static void test_backend_lifecycle(void **state)
{
    struct be *b = be_new(256, 256, 0, 4, 0);
    const struct vmsix_remap_ops *o = b->rm.ops;
    void *ctx = b->rm.ctx;
    struct vmsix_remap_source src = {0x0310, VMSIX_REMAP_SRC_RID, 0};
    struct vmsix_remap_block blk, other;
    struct vmsix_remap_source osrc = {0x0400, VMSIX_REMAP_SRC_RID, 0};
    struct vmsix_vtd_result res;
    struct vmsix_msg msg, m;
    uint32_t free0 = vmsix_irte_free_count(b->pool);
    unsigned k;
    (void)state;
    assert_int_equal(free0, 256);
    /* another device first, so the block under test does not start at 0 */
    assert_int_equal(o->reserve(ctx, &osrc, 1, 0, &other), 0);
    assert_int_equal(other.base, 0);
    assert_int_equal(other.count, 1);
    /* 6 vectors: a block of 8, aligned to 8 */
    assert_int_equal(o->reserve(ctx, &src, 6, 1, &blk), 0);
    assert_int_equal(blk.count, 8);
    assert_int_equal(blk.base % 8, 0);
    assert_true(blk.base != 0);
    assert_int_equal(blk.src.id, 0x0310);
    assert_int_equal(vmsix_irte_free_count(b->pool), free0 - 9);
    assert_int_equal(o->compose(ctx, &blk, &msg), 0);
    m = rmsg((uint16_t)blk.base, 0);
    assert_int_equal(msg.addr, m.addr);
    assert_int_equal(msg.data, 0);
    /* fresh block: nothing present */
    for (k = 0; k < 8; k++) {
        m = msg;
        m.data = k;
        assert_int_equal(vmsix_vtd_resolve(b->r->u, 0x0310, &m, &res), VMSIX_VTD_FAULT_NOT_PRESENT);
    }
    /* program + invalidate every vector */
    rig_clear_events(b->r);
    for (k = 0; k < 8; k++) {
        struct vmsix_remap_target t = tgt(0x30 + k, k);
        t.level = k == 1;
        t.dest_logical = k == 2;
        t.delivery = k == 3 ? VMSIX_REMAP_DLM_LOWPRI : 0;
        t.redir_hint = k == 3;
        assert_int_equal(o->program(ctx, &blk, k, &t, 0), 0);
        assert_int_equal(o->invalidate(ctx, &blk, k, 1), 0);
    }
    /* 8 x (2 flushes + 1 descriptor) */
    assert_int_equal(b->r->fk.nev, 24);
    expect_inval(b->r, 2, ((uint64_t)blk.base << 32) | 0x14);
    /* the device's message k reaches entry base + k with its own target */
    for (k = 0; k < 8; k++) {
        m = msg;
        m.data = k;
        assert_int_equal(vmsix_vtd_resolve(b->r->u, 0x0310, &m, &res), 0);
        assert_int_equal(res.index, blk.base + k);
        assert_int_equal(res.irte.vector, 0x30 + k);
        assert_int_equal(res.apic_id, k);
        assert_int_equal(res.irte.svt, 1);
        assert_int_equal(res.irte.sq, 0);
        assert_int_equal(res.irte.sid, 0x0310);
        assert_false(res.irte.fpd);
        assert_int_equal(res.irte.level, k == 1);
        assert_int_equal(res.irte.dest_logical, k == 2);
        assert_int_equal(res.irte.delivery, k == 3 ? 1 : 0);
        assert_int_equal(res.irte.redir_hint, k == 3);
        /* another device emitting the same message is stopped */
        assert_int_equal(vmsix_vtd_resolve(b->r->u, 0x0400, &m, &res), VMSIX_VTD_FAULT_SID);
        assert_int_equal(vmsix_vtd_resolve(b->r->u, 0x0311, &m, &res), VMSIX_VTD_FAULT_SID);
    }
    /* retarget vector 2 while live: one atomic step */
    rig_clear_events(b->r);
    {
        struct vmsix_remap_target t = tgt(0x99, 9);
        assert_int_equal(o->program(ctx, &blk, 2, &t, 0), 0);
        assert_int_equal(b->r->fk.ev[0].kind, EV_STORE128);
        assert_int_equal(o->invalidate(ctx, &blk, 2, 1), 0);
        m = msg;
        m.data = 2;
        assert_int_equal(vmsix_vtd_resolve(b->r->u, 0x0310, &m, &res), 0);
        assert_int_equal(res.irte.vector, 0x99);
        assert_int_equal(res.apic_id, 9);
    }
    /* release refuses a block with a present entry */
    assert_int_equal(o->release(ctx, &blk), -EBUSY);
    assert_int_equal(vmsix_irte_free_count(b->pool), free0 - 9);
    /* vector 5 disabled: clear + invalidate */
    assert_int_equal(o->clear(ctx, &blk, 5), 0);
    assert_int_equal(o->invalidate(ctx, &blk, 5, 1), 0);
    m = msg;
    m.data = 5;
    assert_int_equal(vmsix_vtd_resolve(b->r->u, 0x0310, &m, &res), VMSIX_VTD_FAULT_NOT_PRESENT);
    /* teardown: clear all, invalidate the block (one descriptor: 8 <= 2^4,
     * aligned: IM 3 = 0x1800_0000), release */
    for (k = 0; k < 8; k++)
        assert_int_equal(o->clear(ctx, &blk, k), 0);
    rig_clear_events(b->r);
    assert_int_equal(o->invalidate(ctx, &blk, 0, 8), 0);
    assert_int_equal(b->r->fk.nev, 1);
    expect_inval(b->r, 0, ((uint64_t)blk.base << 32) | 0x18000014ull);
    {
        struct vmsix_remap_block keep = blk;
        assert_int_equal(o->release(ctx, &blk), 0);
        /* the block is spent: a second release is refused */
        assert_int_equal(o->release(ctx, &blk), -EINVAL);
        assert_int_equal(o->release(ctx, &keep), -EINVAL); /* double free in the pool */
    }
    assert_int_equal(o->release(ctx, &other), 0);
    assert_int_equal(vmsix_irte_free_count(b->pool), free0);
    assert_int_equal(vmsix_irte_largest_free(b->pool), 256);
    be_free(b);
}

static void test_backend_bus_range_and_posted(void **state)
{
    struct be *b = be_new(256, 256, VMSIX_VTD_POSTED, 4, 0);
    const struct vmsix_remap_ops *o = b->rm.ops;
    void *ctx = b->rm.ctx;
    struct vmsix_remap_source src = {0x0500, VMSIX_REMAP_SRC_BUS_RANGE, 0x07};
    struct vmsix_remap_block blk;
    struct vmsix_remap_target t;
    struct vmsix_vtd_result res;
    struct vmsix_msg msg;
    (void)state;
    assert_int_equal(o->reserve(ctx, &src, 2, 0, &blk), 0);
    assert_int_equal(o->compose(ctx, &blk, &msg), 0);
    memset(&t, 0, sizeof(t));
    t.posted = true;
    t.vector = 0x61;
    t.pd_addr = 0x0000001234567fc0ull;
    t.urgent = true;
    rig_clear_events(b->r);
    assert_int_equal(o->program(ctx, &blk, 1, &t, VMSIX_REMAP_PROG_QUIESCED), 0);
    assert_int_equal(b->r->fk.ev[0].kind, EV_STORE128);
    /* hand computed: P | URG | IM | 0x61 << 16 | pda[31:6] << 38 ... */
    assert_int_equal(b->r->fk.ev[0].q[0], 0x34567fc00061c001ull);
    /* ... SID 0x0507 (buses 5..7), SVT 2 = 0x8_0000, pda[63:32] = 0x12 */
    assert_int_equal(b->r->fk.ev[0].q[1], 0x0000001200080507ull);
    assert_int_equal(o->invalidate(ctx, &blk, 1, 1), 0);
    msg.data = 1;
    assert_int_equal(vmsix_vtd_resolve(b->r->u, 0x06f8, &msg, &res), 0);
    assert_true(res.irte.posted);
    assert_true(res.irte.urgent);
    assert_int_equal(vmsix_vtd_resolve(b->r->u, 0x0800, &msg, &res), VMSIX_VTD_FAULT_SID);
    /* refusals of program */
    t.pd_addr = 0x1010;
    assert_int_equal(o->program(ctx, &blk, 0, &t, 0), -EINVAL);
    t.pd_addr = 0x1000;
    t.dest = 1;
    assert_int_equal(o->program(ctx, &blk, 0, &t, 0), -EINVAL);
    assert_int_equal(o->clear(ctx, &blk, 1), 0);
    assert_int_equal(o->invalidate(ctx, &blk, 0, 2), 0);
    assert_int_equal(o->release(ctx, &blk), 0);
    assert_int_equal(vmsix_irte_free_count(b->pool), 256);
    be_free(b);
}

static void test_backend_refusals(void **state)
{
    struct be *b = be_new(256, 256, 0, 4, 0);
    const struct vmsix_remap_ops *o = b->rm.ops;
    void *ctx = b->rm.ctx;
    struct vmsix_remap_source src = {0x0310, VMSIX_REMAP_SRC_RID, 0};
    struct vmsix_remap_source bad;
    struct vmsix_remap_block blk, forged;
    struct vmsix_remap_target t = tgt(0x40, 1);
    struct vmsix_msg msg;
    unsigned dlm;
    (void)state;
    /* reserve */
    assert_int_equal(o->reserve(ctx, &src, 0, 0, &blk), -EINVAL);
    assert_int_equal(o->reserve(ctx, &src, 4, 3, &blk), -EINVAL); /* align not 2^k */
    assert_int_equal(o->reserve(ctx, NULL, 4, 0, &blk), -EINVAL);
    assert_int_equal(o->reserve(ctx, &src, 4, 0, NULL), -EINVAL);
    assert_int_equal(o->reserve(NULL, &src, 4, 0, &blk), -EINVAL);
    bad = src, bad.id = 0x10000;
    assert_int_equal(o->reserve(ctx, &bad, 4, 0, &blk), -EINVAL);
    bad = src, bad.kind = 7;
    assert_int_equal(o->reserve(ctx, &bad, 4, 0, &blk), -EINVAL);
    bad.kind = VMSIX_REMAP_SRC_BUS_RANGE, bad.id = 0x0500, bad.bus_last = 4;
    assert_int_equal(o->reserve(ctx, &bad, 4, 0, &blk), -EINVAL);
    assert_int_equal(o->reserve(ctx, &src, 512, 0, &blk), -ENOTSUP); /* > 2^max_order */
    assert_int_equal(vmsix_irte_free_count(b->pool), 256);
    /* align larger than the count: the block grows to the alignment */
    assert_int_equal(o->reserve(ctx, &src, 2, 16, &blk), 0);
    assert_int_equal(blk.count, 16);
    assert_int_equal(blk.base % 16, 0);
    /* program */
    assert_int_equal(o->program(ctx, &blk, 16, &t, 0), -EINVAL);
    assert_int_equal(o->program(ctx, &blk, 0, NULL, 0), -EINVAL);
    assert_int_equal(o->program(ctx, &blk, 0, &t, 0x8), -EINVAL);
    t = tgt(15, 1); /* vectors 0..15 are not interrupts */
    assert_int_equal(o->program(ctx, &blk, 0, &t, 0), -EINVAL);
    t = tgt(256, 1);
    assert_int_equal(o->program(ctx, &blk, 0, &t, 0), -EINVAL);
    t = tgt(0x40, 0x100); /* xAPIC unit: 8-bit destinations */
    assert_int_equal(o->program(ctx, &blk, 0, &t, 0), -EINVAL);
    for (dlm = 2; dlm < 8; dlm++) { /* SMI, NMI, INIT, ExtINT, ... */
        t = tgt(0x40, 1);
        t.delivery = (uint8_t)dlm;
        assert_int_equal(o->program(ctx, &blk, 0, &t, 0), -EINVAL);
    }
    t = tgt(0x40, 1);
    t.urgent = true; /* posted-only field */
    assert_int_equal(o->program(ctx, &blk, 0, &t, 0), -EINVAL);
    t = tgt(0x40, 0);
    t.posted = true; /* unit without posting */
    assert_int_equal(o->program(ctx, &blk, 0, &t, 0), -ENOTSUP);
    /* a block the backend did not hand out */
    forged = blk;
    forged.priv = 0;
    t = tgt(0x40, 1);
    assert_int_equal(o->program(ctx, &forged, 0, &t, 0), -EINVAL);
    forged = blk;
    forged.base = 250;
    assert_int_equal(o->program(ctx, &forged, 0, &t, 0), -EINVAL);
    assert_int_equal(o->clear(ctx, &forged, 0), -EINVAL);
    assert_int_equal(o->release(ctx, &forged), -EINVAL);
    assert_int_equal(o->compose(ctx, &forged, &msg), -EINVAL);
    /* clear / invalidate / compose ranges */
    assert_int_equal(o->clear(ctx, &blk, 16), -EINVAL);
    assert_int_equal(o->invalidate(ctx, &blk, 0, 0), -EINVAL);
    assert_int_equal(o->invalidate(ctx, &blk, 15, 2), -EINVAL);
    assert_int_equal(o->invalidate(ctx, &blk, 16, 1), -EINVAL);
    assert_int_equal(o->compose(ctx, &blk, NULL), -EINVAL);
    /* nothing reached the table */
    {
        unsigned i;
        for (i = 0; i < 512; i++)
            assert_int_equal(b->r->table[i], 0);
    }
    assert_int_equal(o->release(ctx, &blk), 0);
    assert_int_equal(vmsix_irte_free_count(b->pool), 256);
    be_free(b);
}

static void test_backend_blocks_above_mhmv(void **state)
{
    struct be *b = be_new(256, 256, 0, 2, 0);
    struct be *s = be_new(256, 256, 0, 2, VMSIX_VTD_REMAP_STRICT_MHMV);
    struct vmsix_remap_source src = {0x0310, VMSIX_REMAP_SRC_RID, 0};
    struct vmsix_remap_block blk;
    unsigned k;
    (void)state;
    /* default: a block of 16 > 2^2, invalidated as 4 aligned chunks of 4 */
    assert_int_equal(b->rm.ops->reserve(b->rm.ctx, &src, 16, 0, &blk), 0);
    assert_int_equal(blk.count, 16);
    rig_clear_events(b->r);
    assert_int_equal(b->rm.ops->invalidate(b->rm.ctx, &blk, 0, 16), 0);
    assert_int_equal(b->r->fk.nev, 4);
    for (k = 0; k < 4; k++) /* IM 2 = 0x1000_0000 */
        expect_inval(b->r, k, ((uint64_t)(blk.base + 4 * k) << 32) | 0x10000014ull);
    assert_int_equal(b->rm.ops->release(b->rm.ctx, &blk), 0);
    /* strict: refused, the pool untouched; 4 = 2^MHMV is fine */
    assert_int_equal(s->rm.ops->reserve(s->rm.ctx, &src, 5, 0, &blk), -ENOTSUP);
    assert_int_equal(s->rm.ops->reserve(s->rm.ctx, &src, 1, 8, &blk), -ENOTSUP);
    assert_int_equal(vmsix_irte_free_count(s->pool), 256);
    assert_int_equal(s->rm.ops->reserve(s->rm.ctx, &src, 4, 0, &blk), 0);
    rig_clear_events(s->r);
    assert_int_equal(s->rm.ops->invalidate(s->rm.ctx, &blk, 0, 4), 0);
    assert_int_equal(s->r->fk.nev, 1);
    assert_int_equal(s->rm.ops->release(s->rm.ctx, &blk), 0);
    assert_int_equal(vmsix_irte_free_count(s->pool), 256);
    be_free(b);
    be_free(s);
}

static void test_backend_pool_vs_table(void **state)
{
    /* a pool larger than the table: blocks past the table are refused and
     * given back; a present entry the pool does not know of is never
     * handed out */
    struct be *b = be_new(256, 512, 0, 4, 0);
    struct vmsix_remap_source src = {0x0310, VMSIX_REMAP_SRC_RID, 0};
    struct vmsix_remap_block blk, big;
    struct vmsix_vtd_irte f = remapped(0x41, 1);
    (void)state;
    assert_int_equal(b->rm.ops->reserve(b->rm.ctx, &src, 256, 0, &big), 0);
    assert_int_equal(big.base, 0);
    assert_int_equal(b->rm.ops->reserve(b->rm.ctx, &src, 1, 0, &blk), -ERANGE);
    assert_int_equal(vmsix_irte_free_count(b->pool), 256);
    assert_int_equal(b->rm.ops->release(b->rm.ctx, &big), 0);
    assert_int_equal(vmsix_vtd_irte_write(b->r->u, 1, &f, 0), 0); /* host-owned, not reserved */
    assert_int_equal(b->rm.ops->reserve(b->rm.ctx, &src, 2, 0, &blk), -EBUSY);
    assert_int_equal(vmsix_irte_free_count(b->pool), 512);
    assert_int_equal(b->rm.ops->reserve(b->rm.ctx, &src, 1, 0, &blk), 0);
    assert_int_equal(blk.base, 0);
    assert_int_equal(b->rm.ops->release(b->rm.ctx, &blk), 0);
    assert_int_equal(vmsix_irte_free_count(b->pool), 512);
    be_free(b);
}

static void test_backend_invalidate_failure(void **state)
{
    struct be *b = be_new(256, 256, 0, 4, 0);
    const struct vmsix_remap_ops *o = b->rm.ops;
    void *ctx = b->rm.ctx;
    struct vmsix_remap_source src = {0x0310, VMSIX_REMAP_SRC_RID, 0};
    struct vmsix_remap_block blk;
    struct vmsix_remap_target t = tgt(0x40, 1);
    struct vmsix_vtd_result res;
    struct vmsix_msg msg;
    (void)state;
    assert_int_equal(o->reserve(ctx, &src, 4, 0, &blk), 0);
    assert_int_equal(o->compose(ctx, &blk, &msg), 0);
    assert_int_equal(o->program(ctx, &blk, 3, &t, 0), 0);
    b->r->fk.inval_fail_at = 0;
    b->r->fk.inval_rc = -ETIMEDOUT;
    assert_int_equal(o->invalidate(ctx, &blk, 3, 1), -ETIMEDOUT);
    msg.data = 3;
    assert_int_equal(vmsix_vtd_resolve(b->r->u, 0x0310, &msg, &res), VMSIX_VTD_FAULT_NOT_PRESENT);
    /* nothing leaks: the block can be released at once */
    assert_int_equal(o->release(ctx, &blk), 0);
    assert_int_equal(vmsix_irte_free_count(b->pool), 256);
    be_free(b);
}

static void test_backend_random_churn(void **state)
{
    struct be *b = be_new(1024, 1024, VMSIX_VTD_X2APIC, 5, 0);
    const struct vmsix_remap_ops *o = b->rm.ops;
    void *ctx = b->rm.ctx;
    struct vmsix_remap_block blk[64];
    bool used[64] = {false};
    unsigned i;
    (void)state;
    for (i = 0; i < 3000; i++) {
        unsigned j = (unsigned)(rnd() % 64);
        if (!used[j]) {
            struct vmsix_remap_source src = {(uint32_t)(0x100 + j), VMSIX_REMAP_SRC_RID, 0};
            uint32_t count = 1 + (uint32_t)(rnd() % 32);
            unsigned k;
            int rc = o->reserve(ctx, &src, count, 0, &blk[j]);
            if (rc == -ENOSPC)
                continue;
            assert_int_equal(rc, 0);
            used[j] = true;
            for (k = 0; k < count; k++) {
                struct vmsix_remap_target t = tgt(0x20 + k, j);
                assert_int_equal(o->program(ctx, &blk[j], k, &t, 0), 0);
            }
            assert_int_equal(o->invalidate(ctx, &blk[j], 0, blk[j].count), 0);
        } else {
            struct vmsix_msg msg;
            struct vmsix_vtd_result res;
            unsigned k;
            assert_int_equal(o->compose(ctx, &blk[j], &msg), 0);
            msg.data = 0;
            assert_int_equal(vmsix_vtd_resolve(b->r->u, (uint16_t)(0x100 + j), &msg, &res), 0);
            assert_int_equal(res.apic_id, j);
            for (k = 0; k < blk[j].count; k++)
                assert_int_equal(o->clear(ctx, &blk[j], k), 0);
            assert_int_equal(o->invalidate(ctx, &blk[j], 0, blk[j].count), 0);
            assert_int_equal(o->release(ctx, &blk[j]), 0);
            used[j] = false;
        }
        b->r->fk.nev = 0;
    }
    for (i = 0; i < 64; i++) {
        unsigned k;
        if (!used[i])
            continue;
        for (k = 0; k < blk[i].count; k++)
            assert_int_equal(o->clear(ctx, &blk[i], k), 0);
        assert_int_equal(o->release(ctx, &blk[i]), 0);
        b->r->fk.nev = 0;
    }
    assert_int_equal(vmsix_irte_free_count(b->pool), 1024);
    for (i = 0; i < 2048; i++)
        assert_int_equal(b->r->table[i], 0);
    be_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_xapic_physical),
        cmocka_unit_test(test_golden_x2apic),
        cmocka_unit_test(test_golden_logical_lowpri_rh),
        cmocka_unit_test(test_golden_level),
        cmocka_unit_test(test_golden_fpd_avail),
        cmocka_unit_test(test_golden_svt2_bus_range),
        cmocka_unit_test(test_golden_sid_sq),
        cmocka_unit_test(test_golden_posted_urgent),
        cmocka_unit_test(test_golden_posted_split),
        cmocka_unit_test(test_golden_not_present),
        cmocka_unit_test(test_golden_compose),
        cmocka_unit_test(test_golden_iec),
        cmocka_unit_test(test_dest_place),
        cmocka_unit_test(test_roundtrip_random_fields),
        cmocka_unit_test(test_roundtrip_random_bits),
        cmocka_unit_test(test_decode_reserved_each_bit),
        cmocka_unit_test(test_encode_refusals),
        cmocka_unit_test(test_unit_init_refusals),
        cmocka_unit_test(test_unit_init_ops_size_small),
        cmocka_unit_test(test_unit_init_ops_size_larger),
        cmocka_unit_test(test_unit_arg_refusals),
        cmocka_unit_test(test_unit_x2apic_dest),
        cmocka_unit_test(test_protocol_new_entry),
        cmocka_unit_test(test_protocol_change_atomic_hook),
        cmocka_unit_test(test_protocol_change_native),
        cmocka_unit_test(test_protocol_change_no_atomic),
        cmocka_unit_test(test_protocol_change_quiesced),
        cmocka_unit_test(test_protocol_posted),
        cmocka_unit_test(test_protocol_posted_no_atomic),
        cmocka_unit_test(test_protocol_posted_native),
        cmocka_unit_test(test_protocol_clear),
        cmocka_unit_test(test_protocol_no_flush_hook),
        cmocka_unit_test(test_invalidate_failure),
        cmocka_unit_test(test_invalidate_failure_range),
        cmocka_unit_test(test_invalidate_chunks),
        cmocka_unit_test(test_invalidate_chunks_random),
        cmocka_unit_test(test_resolve_success_subhandle),
        cmocka_unit_test(test_resolve_handle_bit15),
        cmocka_unit_test(test_resolve_compat),
        cmocka_unit_test(test_resolve_not_interrupt),
        cmocka_unit_test(test_resolve_reserved_request),
        cmocka_unit_test(test_resolve_index_beyond),
        cmocka_unit_test(test_resolve_not_present),
        cmocka_unit_test(test_resolve_reserved_entry),
        cmocka_unit_test(test_resolve_sid_sq),
        cmocka_unit_test(test_resolve_sid_bus_range),
        cmocka_unit_test(test_backend_caps),
        cmocka_unit_test(test_backend_caps_no_live_switch),
        cmocka_unit_test(test_backend_lifecycle),
        cmocka_unit_test(test_backend_bus_range_and_posted),
        cmocka_unit_test(test_backend_refusals),
        cmocka_unit_test(test_backend_blocks_above_mhmv),
        cmocka_unit_test(test_backend_pool_vs_table),
        cmocka_unit_test(test_backend_invalidate_failure),
        cmocka_unit_test(test_backend_random_churn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
