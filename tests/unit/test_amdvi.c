/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the AMD-Vi code, amdvi_irte.c, amdvi_unit.c and
 * backend_amdvi.c (DESIGN 4.5): golden IRTE (both formats, both 128-bit
 * views), DTE, command and MSI values computed by hand from the bit tables
 * of the AMD IOMMU specification (as DESIGN 4.5 and vmsix/amdvi.h list
 * them), a cross-check of the codec against the bitfield layout Linux
 * declares for the same entries, encode/decode round trips and refusals,
 * every outcome of the reference decoder, the write protocol observed
 * through recording hooks, and the remap backend over per-DeviceID pools.
 *
 * Every expected value here comes from the tables, never from the code
 * under test: golden vectors carry their hand computation, and the
 * reserved-bit masks are written out independently.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <vmsix/amdvi.h>
#include <vmsix/irte_alloc.h>
#include <vmsix/remap.h>

/* ---- helpers ----------------------------------------------------------- */

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void)
{
    /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static void assert_irte_equal(const struct vmsix_amdvi_irte *a, const struct vmsix_amdvi_irte *b)
{
    assert_int_equal(a->remap_en, b->remap_en);
    assert_int_equal(a->sup_iopf, b->sup_iopf);
    assert_int_equal(a->int_type, b->int_type);
    assert_int_equal(a->rq_eoi, b->rq_eoi);
    assert_int_equal(a->dm, b->dm);
    assert_int_equal(a->guest_mode, b->guest_mode);
    assert_int_equal(a->dest, b->dest);
    assert_int_equal(a->vector, b->vector);
    assert_int_equal(a->ga_tag, b->ga_tag);
    assert_int_equal(a->ga_log_intr, b->ga_log_intr);
    assert_int_equal(a->is_run, b->is_run);
    assert_int_equal(a->ga_root, b->ga_root);
}

static void assert_dte_equal(const struct vmsix_amdvi_dte_intr *a,
                             const struct vmsix_amdvi_dte_intr *b)
{
    assert_int_equal(a->iv, b->iv);
    assert_int_equal(a->int_tab_len, b->int_tab_len);
    assert_int_equal(a->ig, b->ig);
    assert_int_equal(a->root, b->root);
    assert_int_equal(a->init_pass, b->init_pass);
    assert_int_equal(a->eint_pass, b->eint_pass);
    assert_int_equal(a->nmi_pass, b->nmi_pass);
    assert_int_equal(a->int_ctl, b->int_ctl);
    assert_int_equal(a->lint0_pass, b->lint0_pass);
    assert_int_equal(a->lint1_pass, b->lint1_pass);
}

/* encode(f) must be exactly @want, and decode(@want) exactly f. */
static void check_golden32(const struct vmsix_amdvi_irte *f, uint32_t want)
{
    uint32_t out = 0xdeadbeefu;
    struct vmsix_amdvi_irte d;

    assert_int_equal(vmsix_amdvi_irte32_encode(f, &out), 0);
    assert_int_equal(out, want);
    memset(&d, 0xa5, sizeof(d));
    assert_int_equal(vmsix_amdvi_irte32_decode(want, &d), 0);
    assert_irte_equal(&d, f);
}

static void check_golden128(const struct vmsix_amdvi_irte *f, uint64_t lo, uint64_t hi)
{
    uint64_t out[2] = {0xdeadbeefull, 0xdeadbeefull};
    uint64_t in[2] = {lo, hi};
    struct vmsix_amdvi_irte d;

    assert_int_equal(vmsix_amdvi_irte128_encode(f, out), 0);
    assert_int_equal(out[0], lo);
    assert_int_equal(out[1], hi);
    memset(&d, 0xa5, sizeof(d));
    assert_int_equal(vmsix_amdvi_irte128_decode(in, &d), 0);
    assert_irte_equal(&d, f);
}

static void check_golden_dte(const struct vmsix_amdvi_dte_intr *f, uint64_t want)
{
    uint64_t out = 0xdeadbeefull;
    struct vmsix_amdvi_dte_intr d;

    assert_int_equal(vmsix_amdvi_dte_intr_encode(f, &out), 0);
    assert_int_equal(out, want);
    memset(&d, 0xa5, sizeof(d));
    assert_int_equal(vmsix_amdvi_dte_intr_decode(want, &d), 0);
    assert_dte_equal(&d, f);
}

/* ---- golden vectors (hand computed from the specification's tables) ---- */

static void test_golden_irte32_fixed(void **state)
{
    struct vmsix_amdvi_irte f = {0};
    (void)state;
    /* 32-bit format: RemapEn, fixed, physical, APIC ID 0x05, vector 0x31.
     *   RemapEn       bit 0       -> 0x0000_0001
     *   IntType 0     bits 4:2    -> 0
     *   DM 0          bit 6       -> 0
     *   Destination   bits 15:8   -> 0x05 << 8  = 0x0000_0500
     *   Vector 0x31   bits 23:16  -> 0x31 << 16 = 0x0031_0000
     *   entry = 0x0031_0501 */
    f.remap_en = true;
    f.dest = 0x05;
    f.vector = 0x31;
    check_golden32(&f, 0x00310501u);
}

static void test_golden_irte32_every_flag(void **state)
{
    struct vmsix_amdvi_irte f = {0};
    (void)state;
    /* 32-bit format: RemapEn, SupIOPF, arbitrated, RqEoi, logical, APIC
     * ID 0xFF, vector 0xEC.
     *   RemapEn bit 0 = 0x01, SupIOPF bit 1 = 0x02, IntType 1 in 4:2 =
     *   1 << 2 = 0x04, RqEoi bit 5 = 0x20, DM bit 6 = 0x40  -> 0x67
     *   Destination 0xFF << 8                                -> 0xFF00
     *   Vector 0xEC << 16                                    -> 0xEC_0000
     *   entry = 0x00EC_FF67 (bit 7 and bits 31:24 reserved, 0) */
    f.remap_en = true;
    f.sup_iopf = true;
    f.int_type = VMSIX_AMDVI_INT_ARBITRATED;
    f.rq_eoi = true;
    f.dm = true;
    f.dest = 0xff;
    f.vector = 0xec;
    check_golden32(&f, 0x00ecff67u);
}

static void test_golden_irte128_x2apic(void **state)
{
    struct vmsix_amdvi_irte f = {0};
    (void)state;
    /* 128-bit, GuestMode 0: RemapEn, fixed, physical, x2APIC ID
     * 0x1234_5678, vector 0x40, GATag 0xCAFE_F00D.
     *   low qword:  RemapEn bit 0                       -> 0x1
     *               Destination[23:0] = 0x34_5678 in 31:8 -> 0x3456_7800
     *               GATag in 63:32 -> 0xCAFE_F00D_0000_0000
     *               lo = 0xCAFE_F00D_3456_7801
     *   high qword: Vector in 7:0 (bits 71:64)            -> 0x40
     *               Destination[31:24] = 0x12 in 63:56    -> 0x1200_0000_0000_0000
     *               hi = 0x1200_0000_0000_0040 */
    f.remap_en = true;
    f.dest = 0x12345678u;
    f.vector = 0x40;
    f.ga_tag = 0xcafef00du;
    check_golden128(&f, 0xcafef00d34567801ull, 0x1200000000000040ull);
}

static void test_golden_irte128_logical_arbitrated(void **state)
{
    struct vmsix_amdvi_irte f = {0};
    (void)state;
    /* 128-bit, GuestMode 0: RemapEn, arbitrated, logical, xAPIC ID 0x03,
     * vector 0x51.
     *   lo: RemapEn 0x01 | IntType 1 << 2 = 0x04 | DM bit 6 = 0x40 = 0x45;
     *       Destination 0x03 << 8 = 0x300 -> lo = 0x0000_0000_0000_0345
     *   hi: Vector 0x51 -> 0x0000_0000_0000_0051 */
    f.remap_en = true;
    f.int_type = VMSIX_AMDVI_INT_ARBITRATED;
    f.dm = true;
    f.dest = 0x03;
    f.vector = 0x51;
    check_golden128(&f, 0x0000000000000345ull, 0x0000000000000051ull);
}

static void test_golden_irte128_vapic(void **state)
{
    struct vmsix_amdvi_irte f = {0};
    (void)state;
    /* 128-bit, GuestMode 1 (the vAPIC view): RemapEn, GALogIntr, IsRun,
     * Destination 0x0102_0304 (the running vCPU's physical CPU), GATag
     * 0x42, guest vector 0x61, vAPIC backing page 0x12_3456_7000.
     *   lo: RemapEn 0x01 | GALogIntr bit 2 = 0x04 | IsRun bit 6 = 0x40 |
     *       GuestMode bit 7 = 0x80 = 0xC5;
     *       Destination[23:0] = 0x02_0304 << 8 = 0x0203_0400;
     *       GATag 0x42 << 32 = 0x42_0000_0000
     *       lo = 0x0000_0042_0203_04C5
     *   hi: Vector 0x61 in 7:0; GA root pointer = page bits 51:12 in
     *       bits 51:12 -> 0x12_3456_7000; Destination[31:24] = 0x01 << 56
     *       hi = 0x0100_0012_3456_7061 */
    f.remap_en = true;
    f.guest_mode = true;
    f.ga_log_intr = true;
    f.is_run = true;
    f.dest = 0x01020304u;
    f.ga_tag = 0x42;
    f.vector = 0x61;
    f.ga_root = 0x0000001234567000ull;
    check_golden128(&f, 0x00000042020304c5ull, 0x0100001234567061ull);
}

static void test_golden_not_remapped(void **state)
{
    struct vmsix_amdvi_irte f = {0};
    (void)state;
    /* an entry without RemapEn still carries its fields */
    f.vector = 0x22;
    f.dest = 0x07;
    /* 32-bit: 0x07 << 8 | 0x22 << 16 = 0x0022_0700 */
    check_golden32(&f, 0x00220700u);
    /* 128-bit: lo 0x07 << 8 = 0x700, hi 0x22 */
    check_golden128(&f, 0x0000000000000700ull, 0x0000000000000022ull);
}

static void test_golden_dte(void **state)
{
    struct vmsix_amdvi_dte_intr f = {0};
    (void)state;
    /* remapped through a 512-entry table at 0x1234_5680 (128-byte
     * aligned: 0x80 = 128):
     *   IV bit 0                      -> 0x1
     *   IntTabLen 9 (512) in 4:1      -> 9 << 1 = 0x12
     *   IntTableRootPtr: address bits 51:6 in qword bits 51:6 -> 0x1234_5680
     *   IntCtl 2 in 61:60             -> 2 << 60 = 0x2000_0000_0000_0000
     *   q2 = 0x2000_0000_1234_5693 */
    f.iv = true;
    f.int_tab_len = 9;
    f.root = 0x12345680ull;
    f.int_ctl = VMSIX_AMDVI_INTCTL_REMAP;
    check_golden_dte(&f, 0x2000000012345693ull);
}

static void test_golden_dte_every_field(void **state)
{
    struct vmsix_amdvi_dte_intr f = {0};
    (void)state;
    /* IV, IntTabLen 11 (2048), IG, the highest 128-byte aligned root
     * below 2^52, every pass bit, IntCtl 1.
     *   IV 0x1 | 11 << 1 = 0x16 | IG bit 5 = 0x20          -> 0x37
     *   root 0x000F_FFFF_FFFF_FF80 (bits 51:7)
     *   InitPass 56, EIntPass 57, NMIPass 58 -> bits 58:56 = 0x07 << 56
     *   IntCtl 1 << 60 = 0x10 << 56; Lint0Pass 62 = 0x40 << 56; Lint1Pass
     *   63 = 0x80 << 56 -> bits 63:56 = 0x07 | 0x10 | 0x40 | 0x80 = 0xD7
     *   q2 = 0xD70F_FFFF_FFFF_FFB7 (0xFF80 | 0x37 = 0xFFB7) */
    f.iv = true;
    f.int_tab_len = 11;
    f.ig = true;
    f.root = 0x000fffffffffff80ull;
    f.init_pass = true;
    f.eint_pass = true;
    f.nmi_pass = true;
    f.int_ctl = VMSIX_AMDVI_INTCTL_FORWARD;
    f.lint0_pass = true;
    f.lint1_pass = true;
    check_golden_dte(&f, 0xd70fffffffffffb7ull);
}

static void test_golden_commands(void **state)
{
    uint64_t c[2] = {1, 1};
    (void)state;
    /* INVALIDATE_INTERRUPT_TABLE, DeviceID 0x0310: DeviceID in bits 15:0,
     * opcode 0x05 in bits 63:60 -> 0x5000_0000_0000_0310; bits 127:64 0 */
    vmsix_amdvi_cmd_inv_int_table(0x0310, c);
    assert_int_equal(c[0], 0x5000000000000310ull);
    assert_int_equal(c[1], 0);
    vmsix_amdvi_cmd_inv_int_table(0xffff, c);
    assert_int_equal(c[0], 0x500000000000ffffull);
    vmsix_amdvi_cmd_inv_int_table(0, NULL); /* nothing happens */
    /* COMPLETION_WAIT with store at 0xAB_CDEF_0128, data
     * 0x1122_3344_5566_7788: S bit 0 = 1; the address bits 51:3 in place
     * (0xAB_CDEF_0128 has bits 2:0 clear); opcode 0x01 << 60
     *   -> 0x1000_00AB_CDEF_0129; bits 127:64 = the data */
    assert_int_equal(vmsix_amdvi_cmd_completion_wait(VMSIX_AMDVI_CW_STORE, 0xabcdef0128ull,
                                                     0x1122334455667788ull, c),
                     0);
    assert_int_equal(c[0], 0x100000abcdef0129ull);
    assert_int_equal(c[1], 0x1122334455667788ull);
    /* store and interrupt at the highest address: S | I = 0x3, address
     * 0x000F_FFFF_FFFF_FFF8 -> 0x100F_FFFF_FFFF_FFFB */
    assert_int_equal(vmsix_amdvi_cmd_completion_wait(VMSIX_AMDVI_CW_STORE | VMSIX_AMDVI_CW_INT,
                                                     0x000ffffffffffff8ull, 1, c),
                     0);
    assert_int_equal(c[0], 0x100ffffffffffffbull);
    assert_int_equal(c[1], 1);
    /* no store: only the opcode -> 0x1000_0000_0000_0000 */
    assert_int_equal(vmsix_amdvi_cmd_completion_wait(0, 0, 0, c), 0);
    assert_int_equal(c[0], 0x1000000000000000ull);
    assert_int_equal(c[1], 0);
    /* refusals leave @out alone */
    c[0] = c[1] = 7;
    assert_int_equal(vmsix_amdvi_cmd_completion_wait(VMSIX_AMDVI_CW_STORE, 0x1004, 1, c), -EINVAL);
    assert_int_equal(
        vmsix_amdvi_cmd_completion_wait(VMSIX_AMDVI_CW_STORE, 0x0010000000000000ull, 1, c),
        -EINVAL);
    assert_int_equal(vmsix_amdvi_cmd_completion_wait(0, 0x1000, 0, c), -EINVAL);
    assert_int_equal(vmsix_amdvi_cmd_completion_wait(0, 0, 5, c), -EINVAL);
    assert_int_equal(vmsix_amdvi_cmd_completion_wait(0x4, 0, 0, c), -EINVAL);
    assert_int_equal(vmsix_amdvi_cmd_completion_wait(0, 0, 0, NULL), -EINVAL);
    assert_int_equal(c[0], 7);
    assert_int_equal(c[1], 7);
}

static void test_golden_compose(void **state)
{
    struct vmsix_msg m = {1, 1};
    (void)state;
    /* the fixed interrupt range, nothing else in the address; data = the
     * index */
    assert_int_equal(vmsix_amdvi_msi_compose(0x40, 0, &m), 0);
    assert_int_equal(m.addr, 0xfee00000ull);
    assert_int_equal(m.data, 0x40);
    assert_int_equal(vmsix_amdvi_msi_compose(511, VMSIX_AMDVI_GA, &m), 0);
    assert_int_equal(m.addr, 0xfee00000ull);
    assert_int_equal(m.data, 511);
    /* the 2K mode: DM (address bit 2) set, so data 10:0 is the index ->
     * 0xFEE0_0004 */
    assert_int_equal(vmsix_amdvi_msi_compose(0x7f8, VMSIX_AMDVI_2K, &m), 0);
    assert_int_equal(m.addr, 0xfee00004ull);
    assert_int_equal(m.data, 0x7f8);
    /* out of range: no index above 511 without 2K (bits 10:9 would be a
     * message type), none above 2047 */
    m.addr = 9;
    assert_int_equal(vmsix_amdvi_msi_compose(512, 0, &m), -EINVAL);
    assert_int_equal(vmsix_amdvi_msi_compose(2048, VMSIX_AMDVI_2K, &m), -EINVAL);
    assert_int_equal(vmsix_amdvi_msi_compose(0, 0, NULL), -EINVAL);
    assert_int_equal(m.addr, 9);
}

/* ---- the layout Linux declares ----------------------------------------- */

/* The entry layouts as bitfields, in the order and widths of the fields of
 * drivers/iommu/amd/amd_iommu_types.h (union irte, union irte_ga_lo with
 * its fields_remap and fields_vapic views, union irte_ga_hi), written here
 * from the field table: the compiler (gcc and clang on x86-64 allocate
 * bitfields from the least significant bit) gives the bit positions, an
 * independent reading of the same layout. */
union lx_irte32 {
    uint32_t val;
    struct {
        uint32_t remap_en : 1, sup_iopf : 1, int_type : 3, rq_eoi : 1, dm : 1, rsvd_1 : 1, dest : 8,
            vector : 8, rsvd_2 : 8;
    } f;
};

union lx_ga_lo {
    uint64_t val;
    struct {
        uint64_t remap_en : 1, sup_iopf : 1, int_type : 3, rq_eoi : 1, dm : 1, guest_mode : 1,
            dest : 24, ga_tag : 32;
    } remap;
    struct {
        uint64_t remap_en : 1, sup_iopf : 1, ga_log_intr : 1, rsvd : 3, is_run : 1, guest_mode : 1,
            dest : 24, ga_tag : 32;
    } vapic;
};

union lx_ga_hi {
    uint64_t val;
    struct {
        uint64_t vector : 8, rsvd_1 : 4, ga_root_ptr : 40, rsvd_2 : 4, dest_hi : 8;
    } f;
};

static void test_linux_layout(void **state)
{
    (void)state;
    assert_int_equal(sizeof(union lx_irte32), 4);
    assert_int_equal(sizeof(union lx_ga_lo), 8);
    assert_int_equal(sizeof(union lx_ga_hi), 8);
    for (unsigned i = 0; i < 20000; i++) {
        uint64_t r = rnd(), s = rnd();
        struct vmsix_amdvi_irte f = {0};
        union lx_irte32 l32 = {0};
        union lx_ga_lo lo = {0};
        union lx_ga_hi hi = {0};
        uint32_t w;
        uint64_t q[2];

        f.remap_en = r & 1;
        f.sup_iopf = (r >> 1) & 1;
        f.vector = (uint8_t)(r >> 8);
        f.ga_tag = (uint32_t)(s >> 32);
        f.dest = (uint32_t)s;
        if (r & 0x10000) {
            /* the vAPIC view */
            f.guest_mode = true;
            f.ga_log_intr = (r >> 2) & 1;
            f.is_run = (r >> 3) & 1;
            f.ga_root = (rnd() & 0x000ffffffffff000ull);
            lo.vapic.remap_en = f.remap_en;
            lo.vapic.sup_iopf = f.sup_iopf;
            lo.vapic.ga_log_intr = f.ga_log_intr;
            lo.vapic.is_run = f.is_run;
            lo.vapic.guest_mode = 1;
            lo.vapic.dest = f.dest & 0xffffff;
            lo.vapic.ga_tag = f.ga_tag;
            hi.f.ga_root_ptr = f.ga_root >> 12;
        } else {
            f.int_type = (r >> 2) & 1;
            f.rq_eoi = (r >> 3) & 1;
            f.dm = (r >> 4) & 1;
            lo.remap.remap_en = f.remap_en;
            lo.remap.sup_iopf = f.sup_iopf;
            lo.remap.int_type = f.int_type;
            lo.remap.rq_eoi = f.rq_eoi;
            lo.remap.dm = f.dm;
            lo.remap.dest = f.dest & 0xffffff;
            lo.remap.ga_tag = f.ga_tag;
            /* the 32-bit format of the same remapped entry (8-bit dest) */
            struct vmsix_amdvi_irte g = f;
            g.dest &= 0xff;
            g.ga_tag = 0;
            l32.f.remap_en = g.remap_en;
            l32.f.sup_iopf = g.sup_iopf;
            l32.f.int_type = g.int_type;
            l32.f.rq_eoi = g.rq_eoi;
            l32.f.dm = g.dm;
            l32.f.dest = g.dest;
            l32.f.vector = g.vector;
            assert_int_equal(vmsix_amdvi_irte32_encode(&g, &w), 0);
            assert_int_equal(w, l32.val);
        }
        hi.f.vector = f.vector;
        hi.f.dest_hi = f.dest >> 24;
        assert_int_equal(vmsix_amdvi_irte128_encode(&f, q), 0);
        assert_int_equal(q[0], lo.val);
        assert_int_equal(q[1], hi.val);
    }
}

/* The DTE bits Linux names (DEV_ENTRY_* are DTE bit numbers, DTE_IRQ_* and
 * DTE_INTTABLEN* masks of qword 2), applied independently. */
static void test_linux_dte_bits(void **state)
{
    struct vmsix_amdvi_dte_intr f = {0};
    uint64_t q;
    (void)state;
    /* DTE_IRQ_REMAP_ENABLE 1, DTE_INTTABLEN (9 << 1), DTE_IRQ_REMAP_INTCTL
     * (2 << 60), the root under GENMASK(51, 6): what Linux writes for a
     * 512-entry table */
    f.iv = true;
    f.int_tab_len = 9;
    f.int_ctl = VMSIX_AMDVI_INTCTL_REMAP;
    f.root = 0x00000abcdef12380ull;
    assert_int_equal(vmsix_amdvi_dte_intr_encode(&f, &q), 0);
    assert_int_equal(q, 1ull | (9ull << 1) | (2ull << 60) |
                            (0x00000abcdef12380ull & 0x000fffffffffffc0ull));
    /* DEV_ENTRY_INIT_PASS 0xb8, _EINT_PASS 0xb9, _NMI_PASS 0xba,
     * _LINT0_PASS 0xbe, _LINT1_PASS 0xbf: DTE bits, so qword 2 bit - 128 */
    struct {
        bool *field;
        unsigned dte_bit;
    } pass[] = {{&f.init_pass, 0xb8},
                {&f.eint_pass, 0xb9},
                {&f.nmi_pass, 0xba},
                {&f.lint0_pass, 0xbe},
                {&f.lint1_pass, 0xbf}};
    for (unsigned i = 0; i < 5; i++) {
        memset(&f, 0, sizeof(f));
        *pass[i].field = true;
        assert_int_equal(vmsix_amdvi_dte_intr_encode(&f, &q), 0);
        assert_int_equal(q, 1ull << (pass[i].dte_bit - 128));
    }
}

/* ---- round trips, reserved bits, refusals ------------------------------ */

static void test_roundtrip_random_bits(void **state)
{
    /* Reserved bits, written out from the tables: 32-bit 7 and 31:24;
     * 128-bit remapped view 119:72 (hi 55:8); vAPIC view 5:3, 75:72 (hi
     * 11:8), 119:116 (hi 55:52); DTE 55:52 and 59. */
    const uint32_t rsvd32 = 0xff000080u;
    const uint64_t rsvd_hi_remap = 0x00ffffffffffff00ull;
    const uint64_t rsvd_lo_vapic = 0x38ull, rsvd_hi_vapic = 0x00f0000000000f00ull;
    const uint64_t rsvd_dte = 0x08f0000000000000ull;
    (void)state;
    for (unsigned i = 0; i < 50000; i++) {
        uint32_t w = (uint32_t)rnd(), w2;
        uint64_t in[2] = {rnd(), rnd()}, out[2], q = rnd(), q2;
        struct vmsix_amdvi_irte f;
        struct vmsix_amdvi_dte_intr d;
        int rc;

        /* 32-bit: decode is exact on every non-reserved bit */
        rc = vmsix_amdvi_irte32_decode(w, &f);
        assert_int_equal(rc, (w & rsvd32) ? -EBADMSG : 0);
        if (f.int_type <= 1) {
            assert_int_equal(vmsix_amdvi_irte32_encode(&f, &w2), 0);
            assert_int_equal(w2, w & ~rsvd32);
        }
        /* 128-bit, both views */
        rc = vmsix_amdvi_irte128_decode(in, &f);
        if (in[0] & 0x80) {
            bool bad = (in[0] & rsvd_lo_vapic) || (in[1] & rsvd_hi_vapic);
            assert_int_equal(rc, bad ? -EBADMSG : 0);
            assert_int_equal(vmsix_amdvi_irte128_encode(&f, out), 0);
            assert_int_equal(out[0], in[0] & ~rsvd_lo_vapic);
            assert_int_equal(out[1], in[1] & ~rsvd_hi_vapic);
        } else {
            assert_int_equal(rc, (in[1] & rsvd_hi_remap) ? -EBADMSG : 0);
            if (f.int_type <= 1) {
                assert_int_equal(vmsix_amdvi_irte128_encode(&f, out), 0);
                assert_int_equal(out[0], in[0]);
                assert_int_equal(out[1], in[1] & ~rsvd_hi_remap);
            }
        }
        /* DTE */
        rc = vmsix_amdvi_dte_intr_decode(q, &d);
        bool illegal =
            (q & rsvd_dte) || ((q >> 1) & 0xf) > 11 || ((q >> 60) & 3) == 3 || (q & 0x40);
        assert_int_equal(rc, illegal ? -EBADMSG : 0);
        if (!illegal) {
            assert_int_equal(vmsix_amdvi_dte_intr_encode(&d, &q2), 0);
            assert_int_equal(q2, q);
        }
    }
}

static void test_decode_reserved_each_bit(void **state)
{
    struct vmsix_amdvi_irte f;
    struct vmsix_amdvi_dte_intr d;
    (void)state;
    for (unsigned b = 0; b < 32; b++) {
        bool rsvd = b == 7 || b >= 24;
        assert_int_equal(vmsix_amdvi_irte32_decode(1u << b, &f), rsvd ? -EBADMSG : 0);
    }
    for (unsigned b = 0; b < 128; b++) {
        uint64_t remap[2] = {0, 0}, vapic[2] = {0x80, 0};
        bool r_rsvd = b >= 72 && b <= 119;
        bool v_rsvd = (b >= 3 && b <= 5) || (b >= 72 && b <= 75) || (b >= 116 && b <= 119);
        if (b != 7) {
            remap[b / 64] |= 1ull << (b % 64);
            assert_int_equal(vmsix_amdvi_irte128_decode(remap, &f), r_rsvd ? -EBADMSG : 0);
        }
        vapic[b / 64] |= 1ull << (b % 64);
        assert_int_equal(vmsix_amdvi_irte128_decode(vapic, &f), v_rsvd ? -EBADMSG : 0);
    }
    for (unsigned b = 0; b < 64; b++) {
        /* 52..55 and 59 reserved; bit 6 would be a root not 128-byte
         * aligned; IntTabLen bit 4 alone (8 << 1) is 8 and legal; IntCtl
         * bits alone are 1 or 2 and legal */
        bool bad = (b >= 52 && b <= 55) || b == 59 || b == 6;
        assert_int_equal(vmsix_amdvi_dte_intr_decode(1ull << b, &d), bad ? -EBADMSG : 0);
    }
    assert_int_equal(vmsix_amdvi_dte_intr_decode(12ull << 1, &d), -EBADMSG); /* IntTabLen 12 */
    assert_int_equal(d.int_tab_len, 12);
    assert_int_equal(vmsix_amdvi_dte_intr_decode(3ull << 60, &d), -EBADMSG); /* IntCtl 3 */
    assert_int_equal(d.int_ctl, 3);
    assert_int_equal(vmsix_amdvi_dte_intr_decode(11ull << 1, &d), 0);
}

static void test_encode_refusals(void **state)
{
    struct vmsix_amdvi_irte f;
    struct vmsix_amdvi_dte_intr d;
    uint32_t w = 0x5a5a5a5au;
    uint64_t q[2] = {7, 7};
    (void)state;
    memset(&f, 0, sizeof(f));
    f.remap_en = true;
    f.vector = 0x40;
    assert_int_equal(vmsix_amdvi_irte32_encode(NULL, &w), -EINVAL);
    assert_int_equal(vmsix_amdvi_irte32_encode(&f, NULL), -EINVAL);
    assert_int_equal(vmsix_amdvi_irte128_encode(NULL, q), -EINVAL);
    assert_int_equal(vmsix_amdvi_irte128_encode(&f, NULL), -EINVAL);
    assert_int_equal(vmsix_amdvi_irte32_decode(0, NULL), -EINVAL);
    assert_int_equal(vmsix_amdvi_irte128_decode(NULL, &f), -EINVAL);
    assert_int_equal(vmsix_amdvi_irte128_decode(q, NULL), -EINVAL);
    /* IntType: only fixed and arbitrated, in both formats */
    for (uint8_t t = 2; t < 8; t++) {
        f.int_type = t;
        assert_int_equal(vmsix_amdvi_irte32_encode(&f, &w), -EINVAL);
        assert_int_equal(vmsix_amdvi_irte128_encode(&f, q), -EINVAL);
    }
    f.int_type = 0;
    /* 32-bit: 8-bit destinations, none of the 128-bit fields */
    f.dest = 0x100;
    assert_int_equal(vmsix_amdvi_irte32_encode(&f, &w), -EINVAL);
    f.dest = 0;
    f.guest_mode = true;
    assert_int_equal(vmsix_amdvi_irte32_encode(&f, &w), -EINVAL);
    f.guest_mode = false;
    f.ga_tag = 1;
    assert_int_equal(vmsix_amdvi_irte32_encode(&f, &w), -EINVAL);
    f.ga_tag = 0;
    f.ga_log_intr = true;
    assert_int_equal(vmsix_amdvi_irte32_encode(&f, &w), -EINVAL);
    assert_int_equal(vmsix_amdvi_irte128_encode(&f, q), -EINVAL); /* not in the remapped view */
    f.ga_log_intr = false;
    f.is_run = true;
    assert_int_equal(vmsix_amdvi_irte32_encode(&f, &w), -EINVAL);
    assert_int_equal(vmsix_amdvi_irte128_encode(&f, q), -EINVAL);
    f.is_run = false;
    f.ga_root = 0x1000;
    assert_int_equal(vmsix_amdvi_irte32_encode(&f, &w), -EINVAL);
    assert_int_equal(vmsix_amdvi_irte128_encode(&f, q), -EINVAL);
    /* the vAPIC view: no IntType, RqEoi or DM; a 4 KiB aligned root below 2^52 */
    f.guest_mode = true;
    f.ga_root = 0x1800;
    assert_int_equal(vmsix_amdvi_irte128_encode(&f, q), -EINVAL);
    f.ga_root = 0x0010000000000000ull;
    assert_int_equal(vmsix_amdvi_irte128_encode(&f, q), -EINVAL);
    f.ga_root = 0x000ffffffffff000ull;
    assert_int_equal(vmsix_amdvi_irte128_encode(&f, q), 0);
    q[0] = q[1] = 7;
    f.int_type = 1;
    assert_int_equal(vmsix_amdvi_irte128_encode(&f, q), -EINVAL);
    f.int_type = 0;
    f.rq_eoi = true;
    assert_int_equal(vmsix_amdvi_irte128_encode(&f, q), -EINVAL);
    f.rq_eoi = false;
    f.dm = true;
    assert_int_equal(vmsix_amdvi_irte128_encode(&f, q), -EINVAL);
    assert_int_equal(w, 0x5a5a5a5au);
    assert_int_equal(q[0], 7);
    assert_int_equal(q[1], 7);
    /* DTE */
    memset(&d, 0, sizeof(d));
    q[0] = 7;
    assert_int_equal(vmsix_amdvi_dte_intr_encode(NULL, q), -EINVAL);
    assert_int_equal(vmsix_amdvi_dte_intr_encode(&d, NULL), -EINVAL);
    assert_int_equal(vmsix_amdvi_dte_intr_decode(0, NULL), -EINVAL);
    d.int_tab_len = 12;
    assert_int_equal(vmsix_amdvi_dte_intr_encode(&d, q), -EINVAL);
    d.int_tab_len = 0;
    d.int_ctl = 3;
    assert_int_equal(vmsix_amdvi_dte_intr_encode(&d, q), -EINVAL);
    d.int_ctl = 0;
    d.root = 0x40; /* 64-byte aligned only */
    assert_int_equal(vmsix_amdvi_dte_intr_encode(&d, q), -EINVAL);
    d.root = 0x0010000000000000ull;
    assert_int_equal(vmsix_amdvi_dte_intr_encode(&d, q), -EINVAL);
    assert_int_equal(q[0], 7);
}

/* ---- a unit with recording hooks --------------------------------------- */

enum ev_kind { EV_FLUSH, EV_CMD, EV_STORE128 };

struct ev {
    enum ev_kind kind;
    uint32_t index;  /* flush/store128: the entry */
    uint64_t q[2];   /* flush: the entry after the store; cmd, store128: the value */
    unsigned locked; /* lock depth when it happened */
};

#define NDTE 256u   /* DeviceIDs 0..255 */
#define DEVID 0x31u /* the device of most tests */
#define OTHER 0x32u /* a neighbour with a table of its own */

struct fake {
    struct ev ev[64];
    unsigned nev, locked, max_locked, nlock;
    int cmd_fail_at; /* >= 0: the n-th command and later return cmd_rc */
    int cmd_rc;
    unsigned ncmd;
    bool wide;
    uint8_t *table; /* the table whose entries the events name */
};

static struct ev *push(struct fake *fk, enum ev_kind k)
{
    struct ev *e;

    assert_true(fk->nev < 64);
    e = &fk->ev[fk->nev++];
    memset(e, 0, sizeof(*e));
    e->kind = k;
    e->locked = fk->locked;
    return e;
}

static uint32_t entry_of(const struct fake *fk, const void *p)
{
    return (uint32_t)(((const uint8_t *)p - fk->table) / (fk->wide ? 16 : 4));
}

static void fk_flush(void *ctx, const void *addr, size_t len)
{
    struct fake *fk = ctx;
    struct ev *e = push(fk, EV_FLUSH);

    assert_int_equal(len, fk->wide ? 16 : 4);
    e->index = entry_of(fk, addr);
    if (fk->wide) {
        memcpy(e->q, addr, 16);
    } else {
        uint32_t w;
        memcpy(&w, addr, 4);
        e->q[0] = w;
    }
}

static int fk_command(void *ctx, const uint64_t cmd[2])
{
    struct fake *fk = ctx;
    struct ev *e = push(fk, EV_CMD);
    int n = (int)fk->ncmd++;

    e->q[0] = cmd[0];
    e->q[1] = cmd[1];
    if (fk->cmd_fail_at >= 0 && n >= fk->cmd_fail_at)
        return fk->cmd_rc;
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
    fk->nlock++;
    if (fk->locked > fk->max_locked)
        fk->max_locked = fk->locked;
}

static void fk_unlock(void *ctx)
{
    struct fake *fk = ctx;

    assert_int_equal(fk->locked, 1);
    fk->locked--;
}

#define CW_ADDR 0x00000000fed00008ull /* the rig's completion-wait semaphore */

struct rig {
    struct fake fk;
    uint64_t *dev_table;     /* NDTE DTEs */
    uint8_t *table, *table2; /* DEVID's and OTHER's tables */
    uint32_t n;              /* their entries */
    unsigned char *pool_mem, *pool2_mem;
    struct vmsix_irte_pool *pool, *pool2;
    _Alignas(8) unsigned char mem[2048];
    struct vmsix_amdvi_unit *u;
    uint32_t flags;
};

/* The "address" the unit reads a table at: the rig uses its virtual
 * address, which is below 2^52 and 128-byte aligned on the hosts the tests
 * run on. */
static uint64_t root_of(const void *table)
{
    return (uint64_t)(uintptr_t)table;
}

/* The DTE of @devid remapping through @table of 2^@len entries. */
static void rig_dte(struct rig *r, uint32_t devid, const void *table, uint8_t len)
{
    struct vmsix_amdvi_dte_intr d = {0};

    d.iv = true;
    d.int_tab_len = len;
    d.root = root_of(table);
    d.int_ctl = VMSIX_AMDVI_INTCTL_REMAP;
    assert_int_equal(vmsix_amdvi_dte_intr_encode(&d, &r->dev_table[devid * 4 + 2]), 0);
}

static unsigned log2u(uint32_t n)
{
    unsigned k = 0;
    while ((1u << k) < n)
        k++;
    return k;
}

/* A unit of @n-entry tables with the recording hooks, DEVID's and OTHER's
 * tables added with pools of @n entries (entries 0..2 of DEVID's reserved
 * for the host) and their DTEs written. */
static struct rig *rig_new(uint32_t n, uint32_t flags, bool with_store128)
{
    struct rig *r = calloc(1, sizeof(*r));
    struct vmsix_amdvi_params p;
    struct vmsix_amdvi_ops ops;
    size_t esz = (flags & VMSIX_AMDVI_GA) ? 16 : 4, tlen = (n * esz + 127) & ~(size_t)127;
    size_t plen = vmsix_irte_pool_storage_size(n);

    assert_non_null(r);
    assert_true(vmsix_amdvi_unit_storage_size(4) <= sizeof(r->mem));
    r->n = n;
    r->flags = flags;
    r->dev_table = aligned_alloc(4096, NDTE * 32);
    r->table = aligned_alloc(128, tlen);
    r->table2 = aligned_alloc(128, tlen);
    r->pool_mem = aligned_alloc(8, (plen + 7) & ~(size_t)7);
    r->pool2_mem = aligned_alloc(8, (plen + 7) & ~(size_t)7);
    assert_true(r->dev_table && r->table && r->table2 && r->pool_mem && r->pool2_mem);
    memset(r->dev_table, 0, NDTE * 32);
    memset(r->table, 0, tlen);
    memset(r->table2, 0, tlen);
    assert_int_equal(vmsix_irte_pool_init(r->pool_mem, plen, n, &r->pool), 0);
    assert_int_equal(vmsix_irte_pool_init(r->pool2_mem, plen, n, &r->pool2), 0);
    if (n >= 8)
        assert_int_equal(vmsix_irte_reserve(r->pool, 0, 3), 0);
    r->fk.table = r->table;
    r->fk.wide = (flags & VMSIX_AMDVI_GA) != 0;
    r->fk.cmd_fail_at = -1;
    memset(&p, 0, sizeof(p));
    p.dev_table = r->dev_table;
    p.ndte = NDTE;
    p.nentries = n;
    p.flags = flags;
    p.max_tables = 4;
    p.cw_addr = CW_ADDR;
    memset(&ops, 0, sizeof(ops));
    ops.size = sizeof(struct vmsix_amdvi_ops);
    ops.flush = fk_flush;
    ops.command = fk_command;
    ops.store128 = with_store128 ? fk_store128 : NULL;
    ops.lock = fk_lock;
    ops.unlock = fk_unlock;
    assert_int_equal(vmsix_amdvi_unit_init(r->mem, sizeof(r->mem), &p, &ops, &r->fk, &r->u), 0);
    /* the neighbour first, so that a lookup that takes the first table is wrong */
    assert_int_equal(vmsix_amdvi_table_add(r->u, OTHER, r->table2, root_of(r->table2), r->pool2),
                     0);
    assert_int_equal(vmsix_amdvi_table_add(r->u, DEVID, r->table, root_of(r->table), r->pool), 0);
    rig_dte(r, DEVID, r->table, (uint8_t)log2u(n));
    rig_dte(r, OTHER, r->table2, (uint8_t)log2u(n));
    r->fk.nev = 0;
    return r;
}

static void rig_free(struct rig *r)
{
    assert_int_equal(r->fk.locked, 0);
    free(r->dev_table);
    free(r->table);
    free(r->table2);
    free(r->pool_mem);
    free(r->pool2_mem);
    free(r);
}

static uint32_t t32(const struct rig *r, uint32_t i)
{
    uint32_t w;
    memcpy(&w, r->table + 4 * i, 4);
    return w;
}

static uint64_t t128(const struct rig *r, uint32_t i, unsigned q)
{
    uint64_t v;
    memcpy(&v, r->table + 16 * i + 8 * q, 8);
    return v;
}

static void expect_flush(const struct rig *r, unsigned i, uint32_t index, uint64_t lo, uint64_t hi)
{
    assert_true(i < r->fk.nev);
    assert_int_equal(r->fk.ev[i].kind, EV_FLUSH);
    assert_int_equal(r->fk.ev[i].index, index);
    assert_int_equal(r->fk.ev[i].q[0], lo);
    assert_int_equal(r->fk.ev[i].q[1], hi);
    assert_int_equal(r->fk.ev[i].locked, 1);
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

static void expect_cmd(const struct rig *r, unsigned i, uint64_t q0, uint64_t q1)
{
    assert_true(i < r->fk.nev);
    assert_int_equal(r->fk.ev[i].kind, EV_CMD);
    assert_int_equal(r->fk.ev[i].q[0], q0);
    assert_int_equal(r->fk.ev[i].q[1], q1);
    assert_int_equal(r->fk.ev[i].locked, 1);
}

/* A remapped entry: fixed, physical, vector @vec, APIC ID @apic. */
static struct vmsix_amdvi_irte remapped(uint8_t vec, uint32_t apic)
{
    struct vmsix_amdvi_irte f = {0};

    f.remap_en = true;
    f.vector = vec;
    f.dest = apic;
    return f;
}

/* By hand from the tables: 32-bit RemapEn | apic << 8 | vec << 16;
 * 128-bit lo RemapEn | apic[23:0] << 8, hi vec | apic[31:24] << 56. */
#define E32(vec, apic) (0x1u | ((uint32_t)(apic) << 8) | ((uint32_t)(vec) << 16))
#define LO128(apic) (0x1ull | ((uint64_t)((apic)&0xffffff) << 8))
#define HI128(vec, apic) ((uint64_t)(vec) | ((uint64_t)((uint32_t)(apic) >> 24) << 56))

/* The INVALIDATE_INTERRUPT_TABLE of DEVID, and the n-th COMPLETION_WAIT
 * (S = 1 at CW_ADDR = 0xFED0_0008, data n) -> 0x1000_0000_FED0_0009. */
#define INV_DEVID (0x5000000000000000ull | DEVID)
#define CW_Q0 0x10000000fed00009ull

/* ---- unit init, tables, arguments -------------------------------------- */

static void test_unit_init_refusals(void **state)
{
    _Alignas(8) unsigned char mem[2048];
    struct vmsix_amdvi_params p;
    struct vmsix_amdvi_ops ops;
    struct vmsix_amdvi_unit *u = NULL;
    uint64_t *dt = aligned_alloc(4096, 8192);
    (void)state;
    assert_non_null(dt);
    memset(&p, 0, sizeof(p));
    memset(&ops, 0, sizeof(ops));
    p.dev_table = dt;
    p.ndte = 128;
    p.nentries = 512;
    p.max_tables = 4;
    ops.size = sizeof(ops);
    ops.command = fk_command;
    assert_int_equal(vmsix_amdvi_unit_storage_size(0), 0);
    assert_int_equal(vmsix_amdvi_unit_storage_size(65537), 0);
    assert_true(vmsix_amdvi_unit_storage_size(65536) > vmsix_amdvi_unit_storage_size(1));
    assert_int_equal(vmsix_amdvi_unit_init(mem, sizeof(mem), &p, &ops, NULL, &u), 0);
    assert_non_null(u);
    assert_int_equal(vmsix_amdvi_unit_init(NULL, sizeof(mem), &p, &ops, NULL, &u), -EINVAL);
    assert_int_equal(
        vmsix_amdvi_unit_init(mem, vmsix_amdvi_unit_storage_size(4) - 1, &p, &ops, NULL, &u),
        -EINVAL);
    assert_int_equal(vmsix_amdvi_unit_init(mem + 4, sizeof(mem) - 4, &p, &ops, NULL, &u), -EINVAL);
    assert_int_equal(vmsix_amdvi_unit_init(mem, sizeof(mem), NULL, &ops, NULL, &u), -EINVAL);
    assert_int_equal(vmsix_amdvi_unit_init(mem, sizeof(mem), &p, NULL, NULL, &u), -EINVAL);
    assert_int_equal(vmsix_amdvi_unit_init(mem, sizeof(mem), &p, &ops, NULL, NULL), -EINVAL);
    static const struct {
        uint32_t what, val;
    } bad[] = {
        {0, 0},      /* device table NULL */
        {1, 0},      /* device table not 4 KiB aligned */
        {2, 0},      /* ndte 0 */
        {2, 100},    /* not a multiple of 128 */
        {2, 65664},  /* above 65536 */
        {3, 0},      /* nentries 0 */
        {3, 384},    /* not a power of two */
        {3, 1024},   /* above 512 without 2K */
        {4, 0x20},   /* unknown flag */
        {4, 0x2},    /* X2APIC without GA */
        {4, 0x4},    /* VAPIC without GA */
        {5, 0},      /* max_tables 0 */
        {5, 65537},  /* above 65536 */
        {6, 0x1004}, /* cw_addr not 8-byte aligned */
        {7, 0},      /* cw_addr at 2^52 */
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct vmsix_amdvi_params q = p;
        switch (bad[i].what) {
        case 0:
            q.dev_table = NULL;
            break;
        case 1:
            q.dev_table = (char *)dt + 64;
            break;
        case 2:
            q.ndte = bad[i].val;
            break;
        case 3:
            q.nentries = bad[i].val;
            break;
        case 4:
            q.flags = bad[i].val;
            break;
        case 5:
            q.max_tables = bad[i].val;
            break;
        case 6:
            q.cw_addr = bad[i].val;
            break;
        default:
            q.cw_addr = 1ull << 52;
            break;
        }
        assert_int_equal(vmsix_amdvi_unit_init(mem, sizeof(mem), &q, &ops, NULL, &u), -EINVAL);
    }
    /* the limits that are accepted */
    p.ndte = 65536;
    p.nentries = 1;
    assert_int_equal(vmsix_amdvi_unit_init(mem, sizeof(mem), &p, &ops, NULL, &u), 0);
    p.nentries = 2048;
    p.flags = VMSIX_AMDVI_2K | VMSIX_AMDVI_GA | VMSIX_AMDVI_X2APIC | VMSIX_AMDVI_VAPIC |
              VMSIX_AMDVI_NO_CX16;
    p.cw_addr = 0x000ffffffffffff8ull;
    assert_int_equal(vmsix_amdvi_unit_init(mem, sizeof(mem), &p, &ops, NULL, &u), 0);
    p.nentries = 4096;
    assert_int_equal(vmsix_amdvi_unit_init(mem, sizeof(mem), &p, &ops, NULL, &u), -EINVAL);
    p.nentries = 512;
    ops.lock = fk_lock; /* lock without unlock */
    assert_int_equal(vmsix_amdvi_unit_init(mem, sizeof(mem), &p, &ops, NULL, &u), -EINVAL);
    ops.lock = NULL;
    ops.command = NULL;
    assert_int_equal(vmsix_amdvi_unit_init(mem, sizeof(mem), &p, &ops, NULL, &u), -EINVAL);
    free(dt);
}

/* A refused init writes nothing: neither the storage nor *out. */
static void expect_init_refused(const struct vmsix_amdvi_params *p, const void *ops, int want)
{
    _Alignas(8) unsigned char mem[2048];
    unsigned char before[sizeof(mem)];
    struct vmsix_amdvi_unit *sentinel = (struct vmsix_amdvi_unit *)(uintptr_t)0x5a5a0;
    struct vmsix_amdvi_unit *u = sentinel;
    uint64_t q[2];

    memset(mem, 0xa5, sizeof(mem));
    memcpy(before, mem, sizeof(mem));
    assert_int_equal(vmsix_amdvi_unit_init(mem, sizeof(mem), p, ops, NULL, &u), want);
    assert_memory_equal(mem, before, sizeof(mem));
    assert_ptr_equal(u, sentinel);
    assert_int_equal(vmsix_amdvi_irte_read((struct vmsix_amdvi_unit *)(void *)mem, 0, 0, q),
                     -EINVAL);
}

static void test_unit_init_ops_size(void **state)
{
    struct newer_ops {
        struct vmsix_amdvi_ops v1;
        void (*future)(void *ctx);
        uint64_t more;
    } big;
    struct vmsix_amdvi_params p = {0};
    struct vmsix_amdvi_ops ops = {0};
    _Alignas(8) unsigned char mem[2048];
    struct vmsix_amdvi_unit *u = NULL;
    uint64_t *dt = aligned_alloc(4096, 4096);
    (void)state;
    assert_non_null(dt);
    p.dev_table = dt;
    p.ndte = 128;
    p.nentries = 512;
    p.max_tables = 1;
    ops.command = fk_command;
    ops.size = 0;
    expect_init_refused(&p, &ops, -EINVAL);
    ops.size = VMSIX_AMDVI_OPS_SIZE_V1 - 1;
    expect_init_refused(&p, &ops, -EINVAL);
    ops.size = (size_t)-1;
    expect_init_refused(&p, &ops, -EINVAL);
    /* the first version's size is the whole struct of this version */
    assert_int_equal(VMSIX_AMDVI_OPS_SIZE_V1, sizeof(struct vmsix_amdvi_ops));
    memset(&big, 0, sizeof(big));
    big.v1.size = sizeof(big);
    big.v1.command = fk_command;
    assert_int_equal(vmsix_amdvi_unit_init(mem, sizeof(mem), &p, &big.v1, NULL, &u), 0);
    big.future = fk_lock;
    expect_init_refused(&p, &big.v1, -ENOTSUP);
    big.future = NULL;
    big.more = 1ull << 56;
    expect_init_refused(&p, &big.v1, -ENOTSUP);
    free(dt);
}

static void test_tables(void **state)
{
    struct rig *r = rig_new(512, 0, false);
    uint8_t *t3 = aligned_alloc(128, 2048), *t4 = aligned_alloc(128, 2048);
    uint64_t q[2];
    (void)state;
    assert_true(t3 && t4);
    memset(t3, 0, 2048);
    memset(t4, 0, 2048);
    /* refusals: bad arguments */
    assert_int_equal(vmsix_amdvi_table_add(NULL, 1, t3, root_of(t3), NULL), -EINVAL);
    assert_int_equal(vmsix_amdvi_table_add(r->u, NDTE, t3, root_of(t3), NULL), -EINVAL);
    assert_int_equal(vmsix_amdvi_table_add(r->u, 1, NULL, root_of(t3), NULL), -EINVAL);
    assert_int_equal(vmsix_amdvi_table_add(r->u, 1, t3 + 64, root_of(t3), NULL), -EINVAL);
    assert_int_equal(vmsix_amdvi_table_add(r->u, 1, t3, 0x40, NULL), -EINVAL);
    assert_int_equal(vmsix_amdvi_table_add(r->u, 1, t3, 1ull << 52, NULL), -EINVAL);
    assert_int_equal(
        vmsix_amdvi_table_add(r->u, 1, t3, root_of(t3), (struct vmsix_irte_pool *)(void *)t4),
        -EINVAL); /* no pool */
    /* a DeviceID has one table */
    assert_int_equal(vmsix_amdvi_table_add(r->u, DEVID, t3, root_of(t3), NULL), -EBUSY);
    /* capacity 4: two more, then full */
    assert_int_equal(vmsix_amdvi_table_add(r->u, 1, t3, root_of(t3), NULL), 0);
    assert_int_equal(vmsix_amdvi_table_add(r->u, 2, t4, root_of(t4), NULL), 0);
    assert_int_equal(vmsix_amdvi_table_add(r->u, 3, t4, root_of(t4), NULL), -ENOSPC);
    /* remove: unknown, then remapped, then fine; the slot serves again */
    assert_int_equal(vmsix_amdvi_table_remove(r->u, 3), -ENOENT);
    assert_int_equal(vmsix_amdvi_table_remove(NULL, 1), -EINVAL);
    struct vmsix_amdvi_irte f = remapped(0x40, 1);
    assert_int_equal(vmsix_amdvi_irte_write(r->u, 1, 511, &f, 0), 0);
    assert_int_equal(vmsix_amdvi_table_remove(r->u, 1), -EBUSY);
    assert_int_equal(vmsix_amdvi_irte_clear(r->u, 1, 511), 0);
    assert_int_equal(vmsix_amdvi_table_remove(r->u, 1), 0);
    assert_int_equal(vmsix_amdvi_irte_read(r->u, 1, 0, q), -ENOENT);
    assert_int_equal(vmsix_amdvi_table_add(r->u, 3, t4, root_of(t4), NULL), 0);
    assert_int_equal(vmsix_amdvi_irte_read(r->u, 3, 0, q), 0);
    /* every table call takes the lock once */
    assert_int_equal(r->fk.max_locked, 1);
    free(t3);
    free(t4);
    rig_free(r);
}

static void test_unit_arg_refusals(void **state)
{
    struct rig *r = rig_new(512, 0, true);
    struct vmsix_amdvi_irte f = remapped(0x40, 1);
    uint64_t q[2];
    (void)state;
    assert_int_equal(vmsix_amdvi_irte_write(NULL, DEVID, 0, &f, 0), -EINVAL);
    assert_int_equal(vmsix_amdvi_irte_write(r->u, DEVID, 512, &f, 0), -EINVAL);
    assert_int_equal(vmsix_amdvi_irte_write(r->u, DEVID, 0, NULL, 0), -EINVAL);
    assert_int_equal(vmsix_amdvi_irte_write(r->u, DEVID, 0, &f, 0x2), -EINVAL);
    assert_int_equal(vmsix_amdvi_irte_write(r->u, 0x40, 0, &f, 0), -ENOENT);
    f.remap_en = false; /* write only makes entries remapped */
    assert_int_equal(vmsix_amdvi_irte_write(r->u, DEVID, 0, &f, 0), -EINVAL);
    f = remapped(0x40, 0x100); /* 32-bit format: 8-bit destinations */
    assert_int_equal(vmsix_amdvi_irte_write(r->u, DEVID, 0, &f, 0), -EINVAL);
    f = remapped(0x40, 1);
    f.int_type = 4; /* NMI */
    assert_int_equal(vmsix_amdvi_irte_write(r->u, DEVID, 0, &f, 0), -EINVAL);
    f = remapped(0x40, 1);
    f.guest_mode = true; /* no vAPIC view in the 32-bit format */
    assert_int_equal(vmsix_amdvi_irte_write(r->u, DEVID, 0, &f, 0), -EINVAL);
    assert_int_equal(r->fk.nev, 0);
    assert_int_equal(t32(r, 0), 0);
    assert_int_equal(vmsix_amdvi_irte_clear(NULL, DEVID, 0), -EINVAL);
    assert_int_equal(vmsix_amdvi_irte_clear(r->u, DEVID, 512), -EINVAL);
    assert_int_equal(vmsix_amdvi_irte_clear(r->u, 0x40, 0), -ENOENT);
    assert_int_equal(vmsix_amdvi_irte_read(r->u, DEVID, 512, q), -EINVAL);
    assert_int_equal(vmsix_amdvi_irte_read(r->u, DEVID, 0, NULL), -EINVAL);
    assert_int_equal(vmsix_amdvi_irte_read(NULL, DEVID, 0, q), -EINVAL);
    assert_int_equal(vmsix_amdvi_invalidate(r->u, DEVID, 0, 0), -EINVAL);
    assert_int_equal(vmsix_amdvi_invalidate(r->u, DEVID, 511, 2), -EINVAL);
    assert_int_equal(vmsix_amdvi_invalidate(r->u, DEVID, 512, 1), -EINVAL);
    assert_int_equal(vmsix_amdvi_invalidate(NULL, DEVID, 0, 1), -EINVAL);
    assert_int_equal(vmsix_amdvi_invalidate(r->u, 0x40, 0, 1), -ENOENT);
    assert_int_equal(r->fk.nev, 0);
    rig_free(r);
}

static void test_unit_ga_modes(void **state)
{
    struct rig *r = rig_new(512, VMSIX_AMDVI_GA, true);
    struct rig *x = rig_new(512, VMSIX_AMDVI_GA | VMSIX_AMDVI_X2APIC | VMSIX_AMDVI_VAPIC, true);
    struct vmsix_amdvi_irte f = remapped(0x40, 0x100);
    (void)state;
    /* xAPIC unit: the destination is an 8-bit APIC ID */
    assert_int_equal(vmsix_amdvi_irte_write(r->u, DEVID, 3, &f, 0), -EINVAL);
    /* the vAPIC view on a unit without GAMEn */
    f = remapped(0x40, 1);
    f.guest_mode = true;
    assert_int_equal(vmsix_amdvi_irte_write(r->u, DEVID, 3, &f, 0), -ENOTSUP);
    assert_int_equal(r->fk.nev, 0);
    /* x2APIC: any 32-bit ID; 0x1 | 0xBA98 << 8... by hand:
     * lo = 0x1 | 0xDC_BA98 << 8 = 0xDCBA_9801, hi = 0x40 | 0xFE << 56 */
    f = remapped(0x40, 0xfedcba98u);
    assert_int_equal(vmsix_amdvi_irte_write(x->u, DEVID, 3, &f, 0), 0);
    assert_int_equal(t128(x, 3, 0), 0x00000000dcba9801ull);
    assert_int_equal(t128(x, 3, 1), 0xfe00000000000040ull);
    rig_free(r);
    rig_free(x);
}

/* ---- write protocol ---------------------------------------------------- */

static void test_protocol_32(void **state)
{
    struct rig *r = rig_new(512, 0, true);
    struct vmsix_amdvi_irte f = remapped(0x41, 2);
    (void)state;
    /* new, changed live, changed quiesced: each one 32-bit store, one flush */
    assert_int_equal(vmsix_amdvi_irte_write(r->u, DEVID, 7, &f, 0), 0);
    assert_int_equal(r->fk.nev, 1);
    expect_flush(r, 0, 7, E32(0x41, 2), 0);
    f = remapped(0x42, 3);
    assert_int_equal(vmsix_amdvi_irte_write(r->u, DEVID, 7, &f, 0), 0);
    assert_int_equal(r->fk.nev, 2);
    expect_flush(r, 1, 7, E32(0x42, 3), 0);
    f = remapped(0x43, 4);
    assert_int_equal(vmsix_amdvi_irte_write(r->u, DEVID, 7, &f, VMSIX_AMDVI_WR_QUIESCED), 0);
    expect_flush(r, 2, 7, E32(0x43, 4), 0);
    /* no store128 needed, none used, even without any 128-bit store */
    for (unsigned i = 0; i < r->fk.nev; i++)
        assert_int_not_equal(r->fk.ev[i].kind, EV_STORE128);
    /* clear: one store of 0 */
    r->fk.nev = 0;
    assert_int_equal(vmsix_amdvi_irte_clear(r->u, DEVID, 7), 0);
    assert_int_equal(r->fk.nev, 1);
    expect_flush(r, 0, 7, 0, 0);
    /* the neighbour's table is untouched */
    for (unsigned i = 0; i < 512 * 4; i++)
        assert_int_equal(r->table2[i], 0);
    rig_free(r);
}

static void test_protocol_32_no_atomic128(void **state)
{
    struct rig *r = rig_new(512, VMSIX_AMDVI_NO_CX16, false);
    struct vmsix_amdvi_irte f = remapped(0x41, 2);
    (void)state;
    /* a 32-bit entry never needs a 128-bit store */
    assert_int_equal(vmsix_amdvi_irte_write(r->u, DEVID, 7, &f, 0), 0);
    f = remapped(0x42, 3);
    assert_int_equal(vmsix_amdvi_irte_write(r->u, DEVID, 7, &f, 0), 0);
    assert_int_equal(t32(r, 7), E32(0x42, 3));
    rig_free(r);
}

static void test_protocol_128_new(void **state)
{
    struct rig *r = rig_new(512, VMSIX_AMDVI_GA, true);
    struct vmsix_amdvi_irte f = remapped(0x41, 2);
    uint64_t stale;
    (void)state;
    /* a stale high qword in the slot: it is replaced first, while RemapEn
     * is still clear */
    stale = 0xffull;
    memcpy(r->table + 16 * 7 + 8, &stale, 8);
    assert_int_equal(vmsix_amdvi_irte_write(r->u, DEVID, 7, &f, 0), 0);
    assert_int_equal(r->fk.nev, 2);
    expect_flush(r, 0, 7, 0, HI128(0x41, 2));
    expect_flush(r, 1, 7, LO128(2), HI128(0x41, 2));
    /* then the invalidation: INVALIDATE_INTERRUPT_TABLE(DEVID), then
     * COMPLETION_WAIT storing sequence number 1 at CW_ADDR */
    assert_int_equal(vmsix_amdvi_invalidate(r->u, DEVID, 7, 1), 0);
    assert_int_equal(r->fk.nev, 4);
    expect_cmd(r, 2, INV_DEVID, 0);
    expect_cmd(r, 3, CW_Q0, 1);
    /* the next one stores 2 */
    assert_int_equal(vmsix_amdvi_invalidate(r->u, DEVID, 0, 512), 0);
    expect_cmd(r, 4, INV_DEVID, 0);
    expect_cmd(r, 5, CW_Q0, 2);
    assert_int_equal(r->fk.max_locked, 1);
    rig_free(r);
}

static void test_protocol_128_change(void **state)
{
    struct rig *r = rig_new(512, VMSIX_AMDVI_GA, true);
    struct vmsix_amdvi_irte f = remapped(0x41, 2);
    (void)state;
    assert_int_equal(vmsix_amdvi_irte_write(r->u, DEVID, 7, &f, 0), 0);
    r->fk.nev = 0;
    /* live: one 128-bit store, then one flush */
    f = remapped(0x42, 0x03000003u);
    assert_int_equal(vmsix_amdvi_irte_write(r->u, DEVID, 7, &f, 0), -EINVAL); /* xAPIC */
    f = remapped(0x42, 3);
    assert_int_equal(vmsix_amdvi_irte_write(r->u, DEVID, 7, &f, 0), 0);
    assert_int_equal(r->fk.nev, 2);
    expect_store128(r, 0, 7, LO128(3), HI128(0x42, 3));
    expect_flush(r, 1, 7, LO128(3), HI128(0x42, 3));
    /* quiesced: high first (old low still there), then low */
    r->fk.nev = 0;
    f = remapped(0x43, 4);
    assert_int_equal(vmsix_amdvi_irte_write(r->u, DEVID, 7, &f, VMSIX_AMDVI_WR_QUIESCED), 0);
    assert_int_equal(r->fk.nev, 2);
    expect_flush(r, 0, 7, LO128(3), HI128(0x43, 4));
    expect_flush(r, 1, 7, LO128(4), HI128(0x43, 4));
    /* clear: low (RemapEn) first, then high */
    r->fk.nev = 0;
    assert_int_equal(vmsix_amdvi_irte_clear(r->u, DEVID, 7), 0);
    assert_int_equal(r->fk.nev, 2);
    expect_flush(r, 0, 7, 0, HI128(0x43, 4));
    expect_flush(r, 1, 7, 0, 0);
    rig_free(r);
}

static void test_protocol_128_native_and_none(void **state)
{
    struct rig *r = rig_new(512, VMSIX_AMDVI_GA, false);
    struct rig *n = rig_new(512, VMSIX_AMDVI_GA | VMSIX_AMDVI_NO_CX16, false);
    struct vmsix_amdvi_irte f = remapped(0x41, 2);
    int rc;
    (void)state;
    assert_int_equal(vmsix_amdvi_irte_write(r->u, DEVID, 7, &f, 0), 0);
    r->fk.nev = 0;
    f = remapped(0x42, 3);
    rc = vmsix_amdvi_irte_write(r->u, DEVID, 7, &f, 0);
#if defined(__x86_64__) && defined(__GNUC__)
    /* built-in cmpxchg16b: one store, one flush showing both halves new */
    assert_int_equal(rc, 0);
    assert_int_equal(r->fk.nev, 1);
    expect_flush(r, 0, 7, LO128(3), HI128(0x42, 3));
#else
    assert_int_equal(rc, -ENOTSUP);
    assert_int_equal(r->fk.nev, 0);
#endif
    /* neither: a live change is refused and the entry left as it was;
     * new and quiesced writes do not need it */
    f = remapped(0x41, 2);
    assert_int_equal(vmsix_amdvi_irte_write(n->u, DEVID, 7, &f, 0), 0);
    n->fk.nev = 0;
    f = remapped(0x42, 3);
    assert_int_equal(vmsix_amdvi_irte_write(n->u, DEVID, 7, &f, 0), -ENOTSUP);
    assert_int_equal(n->fk.nev, 0);
    assert_int_equal(t128(n, 7, 0), LO128(2));
    assert_int_equal(t128(n, 7, 1), HI128(0x41, 2));
    assert_int_equal(vmsix_amdvi_irte_write(n->u, DEVID, 7, &f, VMSIX_AMDVI_WR_QUIESCED), 0);
    assert_int_equal(t128(n, 7, 0), LO128(3));
    rig_free(r);
    rig_free(n);
}

static void test_protocol_vapic(void **state)
{
    struct rig *r = rig_new(512, VMSIX_AMDVI_GA | VMSIX_AMDVI_VAPIC, true);
    struct rig *n = rig_new(512, VMSIX_AMDVI_GA | VMSIX_AMDVI_VAPIC | VMSIX_AMDVI_NO_CX16, false);
    struct vmsix_amdvi_irte f = {0};
    (void)state;
    f.remap_en = true;
    f.guest_mode = true;
    f.vector = 0x61;
    f.dest = 2;
    f.ga_root = 0x5000;
    /* even a new vAPIC entry is one 128-bit store, quiesced or not:
     * lo = RemapEn | GuestMode 0x80 | 2 << 8 = 0x281; hi = 0x61 | 0x5000 */
    assert_int_equal(vmsix_amdvi_irte_write(r->u, DEVID, 5, &f, VMSIX_AMDVI_WR_QUIESCED), 0);
    assert_int_equal(r->fk.nev, 2);
    expect_store128(r, 0, 5, 0x281, 0x5061);
    /* vAPIC -> remapped, even quiesced: one 128-bit store */
    r->fk.nev = 0;
    struct vmsix_amdvi_irte g = remapped(0x41, 2);
    assert_int_equal(vmsix_amdvi_irte_write(r->u, DEVID, 5, &g, VMSIX_AMDVI_WR_QUIESCED), 0);
    expect_store128(r, 0, 5, LO128(2), HI128(0x41, 2));
    /* without any 128-bit store: refused, nothing stored */
    assert_int_equal(vmsix_amdvi_irte_write(n->u, DEVID, 5, &f, VMSIX_AMDVI_WR_QUIESCED), -ENOTSUP);
    assert_int_equal(n->fk.nev, 0);
    assert_int_equal(t128(n, 5, 0), 0);
    rig_free(r);
    rig_free(n);
}

static void test_protocol_no_hooks(void **state)
{
    _Alignas(8) unsigned char mem[2048];
    struct vmsix_amdvi_params p = {0};
    struct vmsix_amdvi_ops ops = {0};
    struct vmsix_amdvi_unit *u;
    struct fake fk = {0};
    struct vmsix_amdvi_irte f = remapped(0x41, 2);
    uint64_t *dt = aligned_alloc(4096, 4096);
    uint32_t *t = aligned_alloc(128, 2048);
    (void)state;
    assert_true(dt && t);
    memset(t, 0, 2048);
    fk.cmd_fail_at = -1;
    p.dev_table = dt;
    p.ndte = 128;
    p.nentries = 512;
    p.max_tables = 1;
    ops.size = sizeof(ops);
    ops.command = fk_command; /* coherent unit: no flush hook, no lock; no cw_addr */
    assert_int_equal(vmsix_amdvi_unit_init(mem, sizeof(mem), &p, &ops, &fk, &u), 0);
    assert_int_equal(vmsix_amdvi_table_add(u, 5, t, root_of(t), NULL), 0);
    assert_int_equal(vmsix_amdvi_irte_write(u, 5, 1, &f, 0), 0);
    assert_int_equal(t[1], E32(0x41, 2));
    assert_int_equal(vmsix_amdvi_invalidate(u, 5, 1, 1), 0);
    /* INVALIDATE_INTERRUPT_TABLE(5); COMPLETION_WAIT with S = 0: the
     * opcode alone */
    assert_int_equal(fk.nev, 2);
    assert_int_equal(fk.ev[0].q[0], 0x5000000000000005ull);
    assert_int_equal(fk.ev[1].q[0], 0x1000000000000000ull);
    assert_int_equal(fk.ev[1].q[1], 0);
    assert_int_equal(vmsix_amdvi_irte_clear(u, 5, 1), 0);
    assert_int_equal(t[1], 0);
    free(dt);
    free(t);
}

static void test_invalidate_failure(void **state)
{
    /* fail the INVALIDATE (at 0) or the COMPLETION_WAIT (at 1), with a
     * negative, a positive and an odd code */
    static const struct {
        int at, rc, want;
        unsigned ncmd;
    } cases[] = {{0, -ETIMEDOUT, -ETIMEDOUT, 1},
                 {1, -ETIMEDOUT, -ETIMEDOUT, 2},
                 {0, 1, -EIO, 1},
                 {1, 7, -EIO, 2},
                 {1, -EIO, -EIO, 2}};
    (void)state;
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (unsigned wide = 0; wide < 2; wide++) {
            struct rig *r = rig_new(512, wide ? VMSIX_AMDVI_GA : 0, true);
            struct vmsix_amdvi_irte f = remapped(0x41, 2);
            uint64_t q[2];

            for (uint32_t k = 8; k < 12; k++)
                assert_int_equal(vmsix_amdvi_irte_write(r->u, DEVID, k, &f, 0), 0);
            r->fk.nev = 0;
            r->fk.cmd_fail_at = cases[i].at;
            r->fk.cmd_rc = cases[i].rc;
            assert_int_equal(vmsix_amdvi_invalidate(r->u, DEVID, 9, 2), cases[i].want);
            /* the commands, then entries 9 and 10 cleared, RemapEn first */
            unsigned e = cases[i].ncmd;
            assert_int_equal(r->fk.nev, e + (wide ? 4 : 2));
            expect_cmd(r, 0, INV_DEVID, 0);
            for (uint32_t k = 9; k < 11; k++) {
                if (wide) {
                    expect_flush(r, e++, k, 0, HI128(0x41, 2));
                    expect_flush(r, e++, k, 0, 0);
                } else {
                    expect_flush(r, e++, k, 0, 0);
                }
                assert_int_equal(vmsix_amdvi_irte_read(r->u, DEVID, k, q), 0);
                assert_int_equal(q[0], 0);
                assert_int_equal(q[1], 0);
            }
            /* outside the range: kept */
            assert_int_equal(vmsix_amdvi_irte_read(r->u, DEVID, 8, q), 0);
            assert_int_equal(q[0] & 1, 1);
            assert_int_equal(vmsix_amdvi_irte_read(r->u, DEVID, 11, q), 0);
            assert_int_equal(q[0] & 1, 1);
            rig_free(r);
        }
    }
}

/* ---- the reference decoder --------------------------------------------- */

static struct vmsix_msg msi(uint32_t addr, uint32_t data)
{
    struct vmsix_msg m;

    m.addr = addr;
    m.data = data;
    return m;
}

static int resolve(const struct rig *r, uint32_t devid, uint32_t addr, uint32_t data,
                   struct vmsix_amdvi_result *res)
{
    struct vmsix_msg m = msi(addr, data);

    return vmsix_amdvi_resolve(r->u, (uint16_t)devid, &m, res);
}

static void test_resolve_success(void **state)
{
    struct vmsix_amdvi_result res;
    (void)state;
    for (unsigned wide = 0; wide < 2; wide++) {
        struct rig *r = rig_new(512, wide ? VMSIX_AMDVI_GA : 0, true);
        struct vmsix_amdvi_irte f = remapped(0x4c, 6);
        f.int_type = VMSIX_AMDVI_INT_ARBITRATED;
        f.dm = true;
        assert_int_equal(vmsix_amdvi_irte_write(r->u, DEVID, 300, &f, 0), 0);
        /* data = the index; index 300 = 0x12C: bit 8 set, so the message
         * type bits 10:8 read 1 (arbitrated), still remapped */
        memset(&res, 0xa5, sizeof(res));
        assert_int_equal(resolve(r, DEVID, 0xfee00000u, 300, &res), 0);
        assert_false(res.passthrough);
        assert_int_equal(res.index, 300);
        assert_int_equal(res.apic_id, 6);
        assert_int_equal(res.irte.vector, 0x4c);
        assert_int_equal(res.irte.int_type, 1);
        assert_true(res.irte.dm);
        assert_true(res.dte.iv);
        assert_int_equal(res.dte.int_tab_len, 9);
        /* DM in the address is allowed (no 2K mode: ignored) */
        assert_int_equal(resolve(r, DEVID, 0xfee00004u, 300, &res), 0);
        /* the same index from the neighbour: its own table, empty */
        assert_int_equal(resolve(r, OTHER, 0xfee00000u, 300, &res), VMSIX_AMDVI_FAULT_NOT_REMAPPED);
        rig_free(r);
    }
}

static void test_resolve_not_interrupt(void **state)
{
    struct rig *r = rig_new(512, 0, true);
    struct vmsix_amdvi_result res;
    struct vmsix_msg m = msi(0xfee00000u, 0);
    (void)state;
    assert_int_equal(resolve(r, DEVID, 0xfed00000u, 0, &res), -EINVAL);
    assert_int_equal(resolve(r, DEVID, 0xfef00000u, 0, &res), -EINVAL);
    assert_int_equal(resolve(r, DEVID, 0x00000000u, 0, &res), -EINVAL);
    m.addr = 0x1fee00000ull;
    assert_int_equal(vmsix_amdvi_resolve(r->u, DEVID, &m, &res), -EINVAL);
    m.addr = 0xfee00000u;
    assert_int_equal(vmsix_amdvi_resolve(NULL, DEVID, &m, &res), -EINVAL);
    assert_int_equal(vmsix_amdvi_resolve(r->u, DEVID, NULL, &res), -EINVAL);
    assert_int_equal(vmsix_amdvi_resolve(r->u, DEVID, &m, NULL), -EINVAL);
    rig_free(r);
}

static void test_resolve_devid_and_dte(void **state)
{
    struct rig *r = rig_new(512, 0, true);
    struct vmsix_amdvi_result res;
    uint64_t *q2 = &r->dev_table[DEVID * 4 + 2];
    (void)state;
    /* beyond the device table (NDTE = 256 DTEs) */
    assert_int_equal(resolve(r, NDTE, 0xfee00000u, 0, &res), VMSIX_AMDVI_FAULT_DEVID);
    assert_int_equal(resolve(r, 0xffff, 0xfee00000u, 0, &res), VMSIX_AMDVI_FAULT_DEVID);
    /* IV clear: forwarded unmapped, whatever the rest says */
    assert_int_equal(resolve(r, 0x10, 0xfee00000u, 0, &res), 0);
    assert_true(res.passthrough);
    *q2 &= ~1ull;
    assert_int_equal(resolve(r, DEVID, 0xfee00000u, 5, &res), 0);
    assert_true(res.passthrough);
    *q2 |= 1ull << 59; /* even with a reserved bit: IV says the rest is invalid */
    assert_int_equal(resolve(r, DEVID, 0xfee00000u, 5, &res), 0);
    assert_true(res.passthrough);
    /* illegal interrupt fields (IV set): each one */
    static const uint64_t bad[] = {
        3ull << 60,             /* IntCtl 3 (OR-ed onto IntCtl 2) */
        4ull << 1,              /* IntTabLen 12 (OR-ed onto 9: 0b1001 | 0b0100 = 0b1101 = 13) */
        1ull << 52,             /* reserved 55:52 */
        1ull << 55, 1ull << 59, /* reserved 59 */
        1ull << 6,              /* root bit 6: not 128-byte aligned */
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rig_dte(r, DEVID, r->table, 9);
        *q2 |= bad[i];
        memset(&res, 0, sizeof(res));
        assert_int_equal(resolve(r, DEVID, 0xfee00000u, 0, &res), VMSIX_AMDVI_FAULT_DTE);
    }
    rig_free(r);
}

static void test_resolve_message_types(void **state)
{
    struct rig *r = rig_new(512, 0, true);
    struct vmsix_amdvi_result res;
    uint64_t *q2 = &r->dev_table[DEVID * 4 + 2];
    struct vmsix_amdvi_irte f = remapped(0x40, 1);
    (void)state;
    assert_int_equal(vmsix_amdvi_irte_write(r->u, DEVID, 0, &f, 0), 0);
    /* data bits 10:8: 2 SMI, 3 and 6 reserved: aborted */
    assert_int_equal(resolve(r, DEVID, 0xfee00000u, 0x200, &res), VMSIX_AMDVI_FAULT_MSG_TYPE);
    assert_int_equal(resolve(r, DEVID, 0xfee00000u, 0x300, &res), VMSIX_AMDVI_FAULT_MSG_TYPE);
    assert_int_equal(resolve(r, DEVID, 0xfee00000u, 0x600, &res), VMSIX_AMDVI_FAULT_MSG_TYPE);
    /* NMI 4 (NMIPass bit 58), INIT 5 (InitPass 56), ExtINT 7 (EIntPass
     * 57): aborted without the pass bit (as vmsix's DTEs are), passed
     * through with it */
    static const struct {
        uint32_t mt;
        unsigned bit;
    } pass[] = {{4, 58}, {5, 56}, {7, 57}};
    for (unsigned i = 0; i < 3; i++) {
        uint32_t data = pass[i].mt << 8 | 0x20;
        rig_dte(r, DEVID, r->table, 9);
        assert_int_equal(resolve(r, DEVID, 0xfee00000u, data, &res), VMSIX_AMDVI_FAULT_MSG_TYPE);
        *q2 |= 1ull << pass[i].bit;
        assert_int_equal(resolve(r, DEVID, 0xfee00000u, data, &res), 0);
        assert_true(res.passthrough);
        assert_true(res.dte.iv);
        /* the other pass bits do not let it through */
        rig_dte(r, DEVID, r->table, 9);
        *q2 |= (7ull << 56 | 3ull << 62) & ~(1ull << pass[i].bit);
        assert_int_equal(resolve(r, DEVID, 0xfee00000u, data, &res), VMSIX_AMDVI_FAULT_MSG_TYPE);
    }
    rig_free(r);
}

static void test_resolve_intctl(void **state)
{
    struct rig *r = rig_new(512, 0, true);
    struct vmsix_amdvi_result res;
    uint64_t *q2 = &r->dev_table[DEVID * 4 + 2];
    struct vmsix_amdvi_irte f = remapped(0x40, 1);
    (void)state;
    assert_int_equal(vmsix_amdvi_irte_write(r->u, DEVID, 4, &f, 0), 0);
    *q2 &= ~(3ull << 60); /* IntCtl 0: target abort */
    assert_int_equal(resolve(r, DEVID, 0xfee00000u, 4, &res), VMSIX_AMDVI_FAULT_ABORT);
    /* (an arbitrated-type request too) */
    assert_int_equal(resolve(r, DEVID, 0xfee00000u, 0x104, &res), VMSIX_AMDVI_FAULT_ABORT);
    *q2 |= 1ull << 60; /* IntCtl 1: forwarded unmapped */
    assert_int_equal(resolve(r, DEVID, 0xfee00000u, 4, &res), 0);
    assert_true(res.passthrough);
    assert_int_equal(res.dte.int_ctl, 1);
    rig_free(r);
}

static void test_resolve_reserved_request(void **state)
{
    struct rig *r = rig_new(512, 0, true);
    struct vmsix_amdvi_result res;
    struct vmsix_amdvi_irte f = remapped(0x40, 1);
    (void)state;
    assert_int_equal(vmsix_amdvi_irte_write(r->u, DEVID, 0, &f, 0), 0);
    assert_int_equal(resolve(r, DEVID, 0xfee00000u, 0, &res), 0);
    /* address bits 19:3 and 1:0 (bit 2 is DM), data bits 31:11 */
    for (unsigned b = 0; b < 20; b++) {
        int want = b == 2 ? 0 : VMSIX_AMDVI_FAULT_RSVD_REQ;
        assert_int_equal(resolve(r, DEVID, 0xfee00000u | (1u << b), 0, &res), want);
    }
    for (unsigned b = 11; b < 32; b++)
        assert_int_equal(resolve(r, DEVID, 0xfee00000u, 1u << b, &res), VMSIX_AMDVI_FAULT_RSVD_REQ);
    rig_free(r);
}

static void test_resolve_index(void **state)
{
    struct rig *r = rig_new(512, 0, true);
    struct vmsix_amdvi_result res;
    struct vmsix_amdvi_irte f = remapped(0x40, 1);
    (void)state;
    assert_int_equal(vmsix_amdvi_irte_write(r->u, DEVID, 15, &f, 0), 0);
    assert_int_equal(vmsix_amdvi_irte_write(r->u, DEVID, 16, &f, 0), 0);
    /* a DTE that says 16 entries (IntTabLen 4): index 16 is beyond, even
     * though the memory there holds a remapped entry (QEMU would read it) */
    rig_dte(r, DEVID, r->table, 4);
    assert_int_equal(resolve(r, DEVID, 0xfee00000u, 15, &res), 0);
    assert_int_equal(resolve(r, DEVID, 0xfee00000u, 16, &res), VMSIX_AMDVI_FAULT_INDEX);
    assert_int_equal(res.index, 16);
    /* IntTabLen 0: one entry */
    rig_dte(r, DEVID, r->table, 0);
    assert_int_equal(resolve(r, DEVID, 0xfee00000u, 1, &res), VMSIX_AMDVI_FAULT_INDEX);
    assert_int_equal(resolve(r, DEVID, 0xfee00000u, 0, &res), VMSIX_AMDVI_FAULT_NOT_REMAPPED);
    rig_free(r);
}

static void test_resolve_unknown_table(void **state)
{
    struct rig *r = rig_new(512, 0, true);
    struct vmsix_amdvi_result res;
    (void)state;
    /* a DTE remapping through a table the unit was not given */
    rig_dte(r, 0x20, r->table, 9);
    assert_int_equal(resolve(r, 0x20, 0xfee00000u, 0, &res), -ENOENT);
    /* DEVID's DTE naming the neighbour's table */
    rig_dte(r, DEVID, r->table2, 9);
    assert_int_equal(resolve(r, DEVID, 0xfee00000u, 0, &res), -ENOENT);
    /* a DTE that says more entries than the unit's tables hold */
    rig_dte(r, DEVID, r->table, 10);
    assert_int_equal(resolve(r, DEVID, 0xfee00000u, 0, &res), -ENOENT);
    rig_free(r);
}

static void test_resolve_entry_faults(void **state)
{
    struct vmsix_amdvi_result res;
    (void)state;
    /* 32-bit format */
    {
        struct rig *r = rig_new(512, 0, true);
        uint32_t w;
        assert_int_equal(resolve(r, DEVID, 0xfee00000u, 9, &res), VMSIX_AMDVI_FAULT_NOT_REMAPPED);
        assert_int_equal(res.index, 9);
        for (uint32_t t = 2; t < 8; t++) {
            w = E32(0x40, 1) | t << 2; /* IntType in 4:2 */
            memcpy(r->table + 4 * 9, &w, 4);
            assert_int_equal(resolve(r, DEVID, 0xfee00000u, 9, &res), VMSIX_AMDVI_FAULT_INT_TYPE);
        }
        static const uint32_t rsvd[] = {1u << 7, 1u << 24, 1u << 31};
        for (unsigned i = 0; i < 3; i++) {
            w = E32(0x40, 1) | rsvd[i];
            memcpy(r->table + 4 * 9, &w, 4);
            assert_int_equal(resolve(r, DEVID, 0xfee00000u, 9, &res), VMSIX_AMDVI_FAULT_RSVD_IRTE);
        }
        /* RemapEn clear wins over everything else in the entry */
        w = 0xffffff00u | 0x1c;
        memcpy(r->table + 4 * 9, &w, 4);
        assert_int_equal(resolve(r, DEVID, 0xfee00000u, 9, &res), VMSIX_AMDVI_FAULT_NOT_REMAPPED);
        rig_free(r);
    }
    /* 128-bit format, xAPIC, no vAPIC */
    {
        struct rig *r = rig_new(512, VMSIX_AMDVI_GA, true);
        uint64_t e[2];
        e[0] = LO128(1) | 3u << 2; /* IntType 3 */
        e[1] = HI128(0x40, 1);
        memcpy(r->table + 16 * 9, e, 16);
        assert_int_equal(resolve(r, DEVID, 0xfee00000u, 9, &res), VMSIX_AMDVI_FAULT_INT_TYPE);
        e[0] = LO128(1);
        e[1] = HI128(0x40, 1) | 1ull << 8; /* reserved in the remapped view */
        memcpy(r->table + 16 * 9, e, 16);
        assert_int_equal(resolve(r, DEVID, 0xfee00000u, 9, &res), VMSIX_AMDVI_FAULT_RSVD_IRTE);
        e[1] = HI128(0x40, 0x01000000u); /* destination above 0xff, xAPIC unit */
        memcpy(r->table + 16 * 9, e, 16);
        assert_int_equal(resolve(r, DEVID, 0xfee00000u, 9, &res), VMSIX_AMDVI_FAULT_RSVD_IRTE);
        e[0] = LO128(0x100);
        e[1] = HI128(0x40, 0);
        memcpy(r->table + 16 * 9, e, 16);
        assert_int_equal(resolve(r, DEVID, 0xfee00000u, 9, &res), VMSIX_AMDVI_FAULT_RSVD_IRTE);
        e[0] = 0x81; /* the vAPIC view, GAMEn off */
        e[1] = 0x40;
        memcpy(r->table + 16 * 9, e, 16);
        assert_int_equal(resolve(r, DEVID, 0xfee00000u, 9, &res), VMSIX_AMDVI_FAULT_RSVD_IRTE);
        e[0] = LO128(0xff);
        e[1] = HI128(0x40, 0);
        memcpy(r->table + 16 * 9, e, 16);
        assert_int_equal(resolve(r, DEVID, 0xfee00000u, 9, &res), 0);
        assert_int_equal(res.apic_id, 0xff);
        rig_free(r);
    }
    /* 128-bit, x2APIC and vAPIC */
    {
        struct rig *r = rig_new(512, VMSIX_AMDVI_GA | VMSIX_AMDVI_X2APIC | VMSIX_AMDVI_VAPIC, true);
        uint64_t e[2];
        e[0] = LO128(0x12345678u);
        e[1] = HI128(0x40, 0x12345678u);
        memcpy(r->table + 16 * 9, e, 16);
        assert_int_equal(resolve(r, DEVID, 0xfee00000u, 9, &res), 0);
        assert_int_equal(res.apic_id, 0x12345678u);
        e[0] = 0x81 | 0x40; /* vAPIC view, IsRun */
        e[1] = 0x61 | 0x7000;
        memcpy(r->table + 16 * 9, e, 16);
        assert_int_equal(resolve(r, DEVID, 0xfee00000u, 9, &res), 0);
        assert_true(res.irte.guest_mode);
        assert_true(res.irte.is_run);
        assert_int_equal(res.irte.ga_root, 0x7000);
        assert_int_equal(res.irte.vector, 0x61);
        e[0] |= 1u << 4; /* reserved 5:3 in the vAPIC view (not an IntType) */
        memcpy(r->table + 16 * 9, e, 16);
        assert_int_equal(resolve(r, DEVID, 0xfee00000u, 9, &res), VMSIX_AMDVI_FAULT_RSVD_IRTE);
        rig_free(r);
    }
}

static void test_resolve_2k(void **state)
{
    struct rig *r = rig_new(2048, VMSIX_AMDVI_GA | VMSIX_AMDVI_2K, true);
    struct vmsix_amdvi_result res;
    struct vmsix_amdvi_irte f = remapped(0x40, 1);
    (void)state;
    assert_int_equal(vmsix_amdvi_irte_write(r->u, DEVID, 0x7ff, &f, 0), 0);
    assert_int_equal(vmsix_amdvi_irte_write(r->u, DEVID, 0x420, &f, 0), 0);
    assert_int_equal(r->dev_table[DEVID * 4 + 2] & 0x1e, 11u << 1);
    /* DM = 1: data 10:0 is the index whatever bits 10:8 say */
    assert_int_equal(resolve(r, DEVID, 0xfee00004u, 0x7ff, &res), 0);
    assert_int_equal(res.index, 0x7ff);
    assert_int_equal(resolve(r, DEVID, 0xfee00004u, 0x420, &res), 0);
    /* DM = 0: bits 10:8 are the message type (0x420: 4, NMI) */
    assert_int_equal(resolve(r, DEVID, 0xfee00000u, 0x420, &res), VMSIX_AMDVI_FAULT_MSG_TYPE);
    /* without the 2K mode, DM changes nothing: a unit of 512 entries */
    struct rig *s = rig_new(512, VMSIX_AMDVI_GA, true);
    assert_int_equal(resolve(s, DEVID, 0xfee00004u, 0x420, &res), VMSIX_AMDVI_FAULT_MSG_TYPE);
    rig_free(r);
    rig_free(s);
}

/* ---- the remap backend ------------------------------------------------- */

static void test_backend_caps(void **state)
{
    static const struct {
        uint32_t n, flags;
        uint8_t order, dest_bits;
    } cases[] = {{512, 0, 9, 8},
                 {512, VMSIX_AMDVI_GA, 9, 8},
                 {256, VMSIX_AMDVI_GA | VMSIX_AMDVI_X2APIC, 8, 32},
                 {2048, VMSIX_AMDVI_GA | VMSIX_AMDVI_2K, 11, 8}};
    (void)state;
    for (unsigned i = 0; i < 4; i++) {
        struct rig *r = rig_new(cases[i].n, cases[i].flags, true);
        struct vmsix_remap be;
        struct vmsix_remap_caps c;

        assert_int_equal(vmsix_amdvi_remap_init(r->u, 0, &be), 0);
        assert_ptr_equal(be.ctx, r->u);
        assert_int_equal(be.ops->size, sizeof(struct vmsix_remap_ops));
        assert_null(be.ops->doorbell_map);
        assert_null(be.ops->doorbell_unmap);
        memset(&c, 0xa5, sizeof(c));
        assert_int_equal(be.ops->caps(be.ctx, &c), 0);
        /* 32-bit entries are one store; the rig gives 128-bit ones store128 */
        assert_int_equal(c.flags, VMSIX_REMAP_CAP_DATA_INDEX | VMSIX_REMAP_CAP_LIVE_SWITCH);
        assert_int_equal(c.nentries, cases[i].n);
        assert_int_equal(c.max_order, cases[i].order);
        assert_int_equal(c.dest_bits, cases[i].dest_bits);
        assert_int_equal(c.vector_bits, 8);
        assert_int_equal(be.ops->caps(be.ctx, NULL), -EINVAL);
        assert_int_equal(be.ops->caps(NULL, &c), -EINVAL);
        assert_int_equal(vmsix_amdvi_remap_init(r->u, 1, &be), -EINVAL);
        assert_int_equal(vmsix_amdvi_remap_init(NULL, 0, &be), -EINVAL);
        assert_int_equal(vmsix_amdvi_remap_init(r->u, 0, NULL), -EINVAL);
        rig_free(r);
    }
}

static const struct vmsix_remap_source src_dev = {DEVID, VMSIX_REMAP_SRC_RID, 0};

static struct vmsix_remap_target target(uint32_t vec, uint32_t dest)
{
    struct vmsix_remap_target t;

    memset(&t, 0, sizeof(t));
    t.vector = vec;
    t.dest = dest;
    return t;
}

/* Reserve, compose, program every entry, fire every message k as the
 * function does (the data's low bits replaced by k), clear, release. */
static void backend_story(uint32_t flags)
{
    struct rig *r = rig_new(512, flags, true);
    struct vmsix_remap be;
    struct vmsix_remap_block b, b2;
    struct vmsix_msg m;
    struct vmsix_amdvi_result res;
    uint32_t free0 = vmsix_irte_free_count(r->pool);

    assert_int_equal(vmsix_amdvi_remap_init(r->u, 0, &be), 0);
    /* 3 entries asked with align 4: a block of 4 at 4 (0..2 are the
     * host's, 3 is free but 4-aligned blocks start at 0 and 4) */
    assert_int_equal(be.ops->reserve(be.ctx, &src_dev, 3, 4, &b), 0);
    assert_int_equal(b.base, 4);
    assert_int_equal(b.count, 4);
    assert_int_equal(b.src.id, DEVID);
    /* 8 with align 8: at 8; the pool gives the neighbour nothing */
    assert_int_equal(be.ops->reserve(be.ctx, &src_dev, 8, 8, &b2), 0);
    assert_int_equal(b2.base, 8);
    assert_int_equal(b2.count, 8);
    assert_int_equal(vmsix_irte_free_count(r->pool), free0 - 12);
    assert_int_equal(vmsix_irte_free_count(r->pool2), 512);
    /* one message: address 0xFEE0_0000, data = base */
    assert_int_equal(be.ops->compose(be.ctx, &b2, &m), 0);
    assert_int_equal(m.addr, 0xfee00000u);
    assert_int_equal(m.data, 8);
    for (uint32_t k = 0; k < 8; k++) {
        struct vmsix_remap_target t = target(0x50 + k, k);
        t.delivery = (k & 1) ? VMSIX_REMAP_DLM_LOWPRI : VMSIX_REMAP_DLM_FIXED;
        t.dest_logical = (k & 2) != 0;
        assert_int_equal(be.ops->program(be.ctx, &b2, k, &t, VMSIX_REMAP_PROG_QUIESCED), 0);
    }
    r->fk.nev = 0;
    assert_int_equal(be.ops->invalidate(be.ctx, &b2, 0, 8), 0);
    expect_cmd(r, 0, INV_DEVID, 0);
    expect_cmd(r, 1, CW_Q0, 1);
    for (uint32_t k = 0; k < 8; k++) {
        struct vmsix_msg mk = m;
        mk.data = (m.data & ~7u) | k; /* MME 3: the low 3 bits replaced */
        assert_int_equal(vmsix_amdvi_resolve(r->u, DEVID, &mk, &res), 0);
        assert_int_equal(res.index, 8 + k);
        assert_int_equal(res.irte.vector, 0x50 + k);
        assert_int_equal(res.apic_id, k);
        assert_int_equal(res.irte.int_type, k & 1);
        assert_int_equal(res.irte.dm, (k & 2) != 0);
        assert_false(res.irte.sup_iopf);
        assert_false(res.irte.rq_eoi);
    }
    /* nothing in the other block or the neighbour's table */
    assert_int_equal(resolve(r, DEVID, 0xfee00000u, 4, &res), VMSIX_AMDVI_FAULT_NOT_REMAPPED);
    assert_int_equal(resolve(r, OTHER, 0xfee00000u, 8, &res), VMSIX_AMDVI_FAULT_NOT_REMAPPED);
    /* a live change without QUIESCED (128-bit: atomic; 32-bit: one store) */
    struct vmsix_remap_target t = target(0x99, 3);
    assert_int_equal(be.ops->program(be.ctx, &b2, 2, &t, 0), 0);
    m.data = 10;
    assert_int_equal(vmsix_amdvi_resolve(r->u, DEVID, &m, &res), 0);
    assert_int_equal(res.irte.vector, 0x99);
    /* release refuses while an entry is remapped */
    assert_int_equal(be.ops->release(be.ctx, &b2), -EBUSY);
    assert_int_equal(vmsix_amdvi_table_remove(r->u, DEVID), -EBUSY);
    for (uint32_t k = 0; k < 8; k++)
        assert_int_equal(be.ops->clear(be.ctx, &b2, k), 0);
    assert_int_equal(be.ops->invalidate(be.ctx, &b2, 0, 8), 0);
    assert_int_equal(vmsix_amdvi_table_remove(r->u, DEVID), -EBUSY); /* blocks held */
    assert_int_equal(be.ops->release(be.ctx, &b2), 0);
    assert_int_equal(b2.count, 0);
    assert_int_equal(be.ops->release(be.ctx, &b2), -EINVAL); /* released */
    assert_int_equal(be.ops->release(be.ctx, &b), 0);
    assert_int_equal(vmsix_irte_free_count(r->pool), free0);
    assert_int_equal(vmsix_amdvi_table_remove(r->u, DEVID), 0);
    assert_int_equal(r->fk.locked, 0);
    rig_free(r);
}

static void test_backend_story_32(void **state)
{
    (void)state;
    backend_story(0);
}

static void test_backend_story_128(void **state)
{
    (void)state;
    backend_story(VMSIX_AMDVI_GA);
}

static void test_backend_story_2k(void **state)
{
    struct rig *r = rig_new(2048, VMSIX_AMDVI_GA | VMSIX_AMDVI_2K | VMSIX_AMDVI_X2APIC, true);
    struct vmsix_remap be;
    struct vmsix_remap_block b;
    struct vmsix_msg m;
    struct vmsix_amdvi_result res;
    (void)state;
    assert_int_equal(vmsix_amdvi_remap_init(r->u, 0, &be), 0);
    /* fill the table below 0x7e0 so that the block lands where data bits
     * 10:8 are 7 (ExtINT if read as a message type) */
    assert_int_equal(vmsix_irte_reserve(r->pool, 3, 0x7e0 - 3), 0);
    assert_int_equal(be.ops->reserve(be.ctx, &src_dev, 32, 32, &b), 0);
    assert_int_equal(b.base, 0x7e0);
    assert_int_equal(be.ops->compose(be.ctx, &b, &m), 0);
    assert_int_equal(m.addr, 0xfee00004u); /* DM: the 2K index */
    assert_int_equal(m.data, 0x7e0);
    for (uint32_t k = 0; k < 32; k++) {
        struct vmsix_remap_target t = target(0x20 + k, 0x10000 + k);
        assert_int_equal(be.ops->program(be.ctx, &b, k, &t, VMSIX_REMAP_PROG_QUIESCED), 0);
    }
    for (uint32_t k = 0; k < 32; k++) {
        struct vmsix_msg mk = m;
        mk.data = (m.data & ~31u) | k;
        assert_int_equal(vmsix_amdvi_resolve(r->u, DEVID, &mk, &res), 0);
        assert_int_equal(res.index, 0x7e0 + k);
        assert_int_equal(res.apic_id, 0x10000 + k);
    }
    rig_free(r);
}

static void test_backend_refusals(void **state)
{
    struct rig *r = rig_new(512, 0, true);
    struct vmsix_remap be;
    struct vmsix_remap_block b, bad;
    struct vmsix_remap_source s = src_dev;
    struct vmsix_remap_target t = target(0x40, 1);
    struct vmsix_msg m;
    uint8_t *t3 = aligned_alloc(128, 2048);
    (void)state;
    assert_true(t3 != NULL);
    memset(t3, 0, 2048);
    assert_int_equal(vmsix_amdvi_remap_init(r->u, 0, &be), 0);
    /* reserve */
    assert_int_equal(be.ops->reserve(be.ctx, NULL, 1, 1, &b), -EINVAL);
    assert_int_equal(be.ops->reserve(be.ctx, &s, 1, 1, NULL), -EINVAL);
    assert_int_equal(be.ops->reserve(NULL, &s, 1, 1, &b), -EINVAL);
    assert_int_equal(be.ops->reserve(be.ctx, &s, 0, 1, &b), -EINVAL);
    assert_int_equal(be.ops->reserve(be.ctx, &s, 4, 3, &b), -EINVAL);
    assert_int_equal(be.ops->reserve(be.ctx, &s, 4096, 1, &b), -EINVAL);
    assert_int_equal(be.ops->reserve(be.ctx, &s, 1024, 1, &b), -ENOTSUP);
    assert_int_equal(be.ops->reserve(be.ctx, &s, 1, 1024, &b), -ENOTSUP);
    s.kind = VMSIX_REMAP_SRC_BUS_RANGE;
    s.bus_last = 0xff;
    assert_int_equal(be.ops->reserve(be.ctx, &s, 1, 1, &b), -EINVAL);
    s.kind = 7;
    assert_int_equal(be.ops->reserve(be.ctx, &s, 1, 1, &b), -EINVAL);
    s = src_dev;
    s.id = 0x10000;
    assert_int_equal(be.ops->reserve(be.ctx, &s, 1, 1, &b), -EINVAL);
    s.id = 0x40; /* no table */
    assert_int_equal(be.ops->reserve(be.ctx, &s, 1, 1, &b), -EINVAL);
    assert_int_equal(vmsix_amdvi_table_add(r->u, 0x40, t3, root_of(t3), NULL), 0);
    assert_int_equal(be.ops->reserve(be.ctx, &s, 1, 1, &b), -EINVAL); /* no pool */
    /* the pool full at 512 (509 after the host's 3): one of 256 fits, the
     * next of 256 does not */
    assert_int_equal(be.ops->reserve(be.ctx, &src_dev, 256, 256, &b), 0);
    assert_int_equal(b.base, 256);
    assert_int_equal(be.ops->reserve(be.ctx, &src_dev, 256, 256, &bad), -ENOSPC);
    assert_int_equal(be.ops->release(be.ctx, &b), 0);
    /* a remapped entry where the pool says free: -EBUSY, given back */
    struct vmsix_amdvi_irte f = remapped(0x40, 1);
    assert_int_equal(vmsix_amdvi_irte_write(r->u, DEVID, 5, &f, 0), 0);
    uint32_t free_before = vmsix_irte_free_count(r->pool);
    assert_int_equal(be.ops->reserve(be.ctx, &src_dev, 4, 4, &b), -EBUSY);
    assert_int_equal(vmsix_irte_free_count(r->pool), free_before);
    assert_int_equal(vmsix_amdvi_irte_clear(r->u, DEVID, 5), 0);
    /* program refusals */
    assert_int_equal(be.ops->reserve(be.ctx, &src_dev, 4, 4, &b), 0);
    assert_int_equal(be.ops->program(be.ctx, &b, 4, &t, 0), -EINVAL);
    assert_int_equal(be.ops->program(be.ctx, &b, 0, NULL, 0), -EINVAL);
    assert_int_equal(be.ops->program(be.ctx, &b, 0, &t, 2), -EINVAL);
    assert_int_equal(be.ops->program(be.ctx, NULL, 0, &t, 0), -EINVAL);
    t = target(15, 1);
    assert_int_equal(be.ops->program(be.ctx, &b, 0, &t, 0), -EINVAL);
    t = target(256, 1);
    assert_int_equal(be.ops->program(be.ctx, &b, 0, &t, 0), -EINVAL);
    t = target(0x40, 0x100); /* 8-bit destinations */
    assert_int_equal(be.ops->program(be.ctx, &b, 0, &t, 0), -EINVAL);
    t = target(0x40, 1);
    t.level = true;
    assert_int_equal(be.ops->program(be.ctx, &b, 0, &t, 0), -EINVAL);
    t = target(0x40, 1);
    t.redir_hint = true;
    assert_int_equal(be.ops->program(be.ctx, &b, 0, &t, 0), -EINVAL);
    t = target(0x40, 1);
    t.delivery = 4;
    assert_int_equal(be.ops->program(be.ctx, &b, 0, &t, 0), -EINVAL);
    t = target(0x40, 1);
    t.pd_addr = 0x1000;
    assert_int_equal(be.ops->program(be.ctx, &b, 0, &t, 0), -EINVAL);
    t = target(0x40, 0);
    t.posted = true;
    assert_int_equal(be.ops->program(be.ctx, &b, 0, &t, 0), -ENOTSUP);
    for (uint32_t i = 0; i < 512; i++)
        assert_int_equal(t32(r, i), 0);
    /* foreign blocks */
    bad = b;
    bad.priv = 0;
    assert_int_equal(be.ops->program(be.ctx, &bad, 0, &t, 0), -EINVAL);
    assert_int_equal(be.ops->clear(be.ctx, &bad, 0), -EINVAL);
    assert_int_equal(be.ops->invalidate(be.ctx, &bad, 0, 1), -EINVAL);
    assert_int_equal(be.ops->compose(be.ctx, &bad, &m), -EINVAL);
    assert_int_equal(be.ops->release(be.ctx, &bad), -EINVAL);
    bad = b;
    bad.priv += 1; /* inside the unit, not a table */
    assert_int_equal(be.ops->compose(be.ctx, &bad, &m), -EINVAL);
    bad = b;
    bad.src.id = OTHER; /* another table's DeviceID */
    assert_int_equal(be.ops->compose(be.ctx, &bad, &m), -EINVAL);
    bad = b;
    bad.count = 3;
    assert_int_equal(be.ops->compose(be.ctx, &bad, &m), -EINVAL);
    bad = b;
    bad.base = 510;
    assert_int_equal(be.ops->compose(be.ctx, &bad, &m), -EINVAL);
    /* clear, invalidate, compose ranges */
    assert_int_equal(be.ops->clear(be.ctx, &b, 4), -EINVAL);
    assert_int_equal(be.ops->invalidate(be.ctx, &b, 0, 0), -EINVAL);
    assert_int_equal(be.ops->invalidate(be.ctx, &b, 3, 2), -EINVAL);
    assert_int_equal(be.ops->invalidate(be.ctx, &b, 4, 1), -EINVAL);
    assert_int_equal(be.ops->compose(be.ctx, &b, NULL), -EINVAL);
    /* a pool larger than the table: a block outside it is refused */
    assert_int_equal(be.ops->release(be.ctx, &b), 0);
    rig_free(r);
    free(t3);
}

static void test_backend_pool_beyond_table(void **state)
{
    struct rig *r = rig_new(512, 0, true);
    struct vmsix_remap be;
    struct vmsix_remap_block b;
    struct vmsix_remap_source s = {5, VMSIX_REMAP_SRC_RID, 0};
    size_t plen = vmsix_irte_pool_storage_size(1024);
    unsigned char *pm = aligned_alloc(8, (plen + 7) & ~(size_t)7);
    uint8_t *t5 = aligned_alloc(128, 2048);
    struct vmsix_irte_pool *pool;
    (void)state;
    assert_true(pm && t5);
    memset(t5, 0, 2048);
    assert_int_equal(vmsix_irte_pool_init(pm, plen, 1024, &pool), 0);
    assert_int_equal(vmsix_irte_reserve(pool, 0, 512), 0); /* only 512..1023 free */
    assert_int_equal(vmsix_amdvi_table_add(r->u, 5, t5, root_of(t5), pool), 0);
    assert_int_equal(vmsix_amdvi_remap_init(r->u, 0, &be), 0);
    assert_int_equal(be.ops->reserve(be.ctx, &s, 8, 8, &b), -ERANGE);
    assert_int_equal(vmsix_irte_free_count(pool), 512); /* given back */
    rig_free(r);
    free(pm);
    free(t5);
}

/* PROG_QUIESCED reaches the unit as WR_QUIESCED: on a unit without any
 * 128-bit store a live entry changes only while quiesced. */
static void test_backend_quiesced(void **state)
{
    struct rig *r = rig_new(512, VMSIX_AMDVI_GA | VMSIX_AMDVI_NO_CX16, false);
    struct vmsix_remap be;
    struct vmsix_remap_block b;
    struct vmsix_remap_target t = target(0x40, 1);
    (void)state;
    assert_int_equal(vmsix_amdvi_remap_init(r->u, 0, &be), 0);
    assert_int_equal(be.ops->reserve(be.ctx, &src_dev, 4, 4, &b), 0);
    assert_int_equal(be.ops->program(be.ctx, &b, 1, &t, 0), 0); /* new: two ordered stores */
    t = target(0x41, 2);
    assert_int_equal(be.ops->program(be.ctx, &b, 1, &t, 0), -ENOTSUP);
    assert_int_equal(t128(r, b.base + 1, 1), HI128(0x40, 1)); /* as it was */
    assert_int_equal(be.ops->program(be.ctx, &b, 1, &t, VMSIX_REMAP_PROG_QUIESCED), 0);
    assert_int_equal(t128(r, b.base + 1, 0), LO128(2));
    assert_int_equal(t128(r, b.base + 1, 1), HI128(0x41, 2));
    rig_free(r);
}

static void test_backend_invalidate_failure(void **state)
{
    struct rig *r = rig_new(512, VMSIX_AMDVI_GA, true);
    struct vmsix_remap be;
    struct vmsix_remap_block b;
    struct vmsix_remap_target t = target(0x40, 1);
    uint64_t q[2];
    (void)state;
    assert_int_equal(vmsix_amdvi_remap_init(r->u, 0, &be), 0);
    assert_int_equal(be.ops->reserve(be.ctx, &src_dev, 4, 4, &b), 0);
    for (uint32_t k = 0; k < 4; k++)
        assert_int_equal(be.ops->program(be.ctx, &b, k, &t, VMSIX_REMAP_PROG_QUIESCED), 0);
    r->fk.cmd_fail_at = 1;
    r->fk.cmd_rc = -ETIMEDOUT;
    /* remap.h: on failure every entry of the range is left not remapped */
    assert_int_equal(be.ops->invalidate(be.ctx, &b, 1, 2), -ETIMEDOUT);
    for (uint32_t k = 0; k < 4; k++) {
        assert_int_equal(vmsix_amdvi_irte_read(r->u, DEVID, b.base + k, q), 0);
        assert_int_equal(q[0] & 1, (k == 1 || k == 2) ? 0 : 1);
    }
    rig_free(r);
}

/* Random reserve/program/clear/release against the pool and the table:
 * every block aligned to its size, inside the table, every remapped entry
 * inside a held block, the pool's accounting exact. */
static void test_backend_random_churn(void **state)
{
    struct rig *r = rig_new(512, VMSIX_AMDVI_GA, true);
    struct vmsix_remap be;
    struct vmsix_remap_block blk[16];
    bool held[16] = {false};
    uint32_t free0 = vmsix_irte_free_count(r->pool);
    (void)state;
    assert_int_equal(vmsix_amdvi_remap_init(r->u, 0, &be), 0);
    for (unsigned step = 0; step < 20000; step++) {
        unsigned i = (unsigned)(rnd() % 16);
        r->fk.nev = 0; /* the events of one step */
        if (!held[i]) {
            uint32_t count = 1 + (uint32_t)(rnd() % 32);
            uint32_t align = 1u << (rnd() % 6);
            int rc = be.ops->reserve(be.ctx, &src_dev, count, align, &blk[i]);
            if (rc == 0) {
                uint32_t n = blk[i].count;
                assert_true(n >= count && n >= align && (n & (n - 1)) == 0);
                assert_int_equal(blk[i].base % n, 0);
                assert_true(blk[i].base + n <= 512);
                held[i] = true;
            } else {
                assert_int_equal(rc, -ENOSPC);
            }
        } else if (rnd() % 3) {
            uint32_t k = (uint32_t)(rnd() % blk[i].count);
            struct vmsix_remap_target t = target(0x20 + (uint32_t)(rnd() % 200), rnd() % 256);
            if (rnd() % 2)
                assert_int_equal(be.ops->program(be.ctx, &blk[i], k, &t, 0), 0);
            else
                assert_int_equal(be.ops->clear(be.ctx, &blk[i], k), 0);
        } else {
            int rc = be.ops->release(be.ctx, &blk[i]);
            if (rc == -EBUSY) {
                for (uint32_t k = 0; k < blk[i].count; k++)
                    assert_int_equal(be.ops->clear(be.ctx, &blk[i], k), 0);
                continue;
            }
            assert_int_equal(rc, 0);
            held[i] = false;
        }
        /* every remapped entry lies in a held block */
        if (step % 97 == 0) {
            uint32_t total = 0;
            for (unsigned j = 0; j < 16; j++)
                if (held[j])
                    total += blk[j].count;
            assert_int_equal(free0 - vmsix_irte_free_count(r->pool), total);
            for (uint32_t e = 0; e < 512; e++) {
                if (!(t128(r, e, 0) & 1))
                    continue;
                bool in = false;
                for (unsigned j = 0; j < 16; j++)
                    in |= held[j] && e >= blk[j].base && e < blk[j].base + blk[j].count;
                assert_true(in);
            }
        }
    }
    rig_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_irte32_fixed),
        cmocka_unit_test(test_golden_irte32_every_flag),
        cmocka_unit_test(test_golden_irte128_x2apic),
        cmocka_unit_test(test_golden_irte128_logical_arbitrated),
        cmocka_unit_test(test_golden_irte128_vapic),
        cmocka_unit_test(test_golden_not_remapped),
        cmocka_unit_test(test_golden_dte),
        cmocka_unit_test(test_golden_dte_every_field),
        cmocka_unit_test(test_golden_commands),
        cmocka_unit_test(test_golden_compose),
        cmocka_unit_test(test_linux_layout),
        cmocka_unit_test(test_linux_dte_bits),
        cmocka_unit_test(test_roundtrip_random_bits),
        cmocka_unit_test(test_decode_reserved_each_bit),
        cmocka_unit_test(test_encode_refusals),
        cmocka_unit_test(test_unit_init_refusals),
        cmocka_unit_test(test_unit_init_ops_size),
        cmocka_unit_test(test_tables),
        cmocka_unit_test(test_unit_arg_refusals),
        cmocka_unit_test(test_unit_ga_modes),
        cmocka_unit_test(test_protocol_32),
        cmocka_unit_test(test_protocol_32_no_atomic128),
        cmocka_unit_test(test_protocol_128_new),
        cmocka_unit_test(test_protocol_128_change),
        cmocka_unit_test(test_protocol_128_native_and_none),
        cmocka_unit_test(test_protocol_vapic),
        cmocka_unit_test(test_protocol_no_hooks),
        cmocka_unit_test(test_invalidate_failure),
        cmocka_unit_test(test_resolve_success),
        cmocka_unit_test(test_resolve_not_interrupt),
        cmocka_unit_test(test_resolve_devid_and_dte),
        cmocka_unit_test(test_resolve_message_types),
        cmocka_unit_test(test_resolve_intctl),
        cmocka_unit_test(test_resolve_reserved_request),
        cmocka_unit_test(test_resolve_index),
        cmocka_unit_test(test_resolve_unknown_table),
        cmocka_unit_test(test_resolve_entry_faults),
        cmocka_unit_test(test_resolve_2k),
        cmocka_unit_test(test_backend_caps),
        cmocka_unit_test(test_backend_story_32),
        cmocka_unit_test(test_backend_story_128),
        cmocka_unit_test(test_backend_story_2k),
        cmocka_unit_test(test_backend_refusals),
        cmocka_unit_test(test_backend_pool_beyond_table),
        cmocka_unit_test(test_backend_quiesced),
        cmocka_unit_test(test_backend_invalidate_failure),
        cmocka_unit_test(test_backend_random_churn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
