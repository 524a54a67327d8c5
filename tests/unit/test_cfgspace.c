/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the configuration-space register model. The exhaustive
 * matrix checks every offset 0..4095 x sizes 1, 2, 4 (and invalid sizes)
 * for reads and writes against a per-bit reference written here, on a
 * model that mixes RO, RW, RW1C, RSVD and pass-through bits with fields.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <vmsix/capchain.h>
#include <vmsix/cfgspace.h>

#include "cfg_ref.h"

/* ---- the fake physical device behind PT bits ---- */

struct hook_log {
    unsigned reads, writes;
    uint16_t w_off; /* the last write */
    unsigned w_size;
    uint32_t w_val, w_mask;
    int read_rc, write_rc;
    unsigned misaligned; /* hook calls that were not naturally aligned */
    struct {
        uint16_t off;
        unsigned size;
        uint32_t val, mask;
    } r[4], w[4]; /* the first reads and writes */
};

static uint8_t hw[4096];
static struct hook_log hl;

static int pt_read(void *ctx, uint16_t off, unsigned size, uint32_t *val)
{
    uint32_t v = 0;

    (void)ctx;
    if (off % size)
        hl.misaligned++;
    if (hl.reads < 4) {
        hl.r[hl.reads].off = off;
        hl.r[hl.reads].size = size;
    }
    hl.reads++;
    if (hl.read_rc)
        return hl.read_rc;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)hw[off + i] << (8 * i);
    *val = v;
    return 0;
}

static int pt_write(void *ctx, uint16_t off, unsigned size, uint32_t val, uint32_t mask)
{
    (void)ctx;
    if (off % size)
        hl.misaligned++;
    if (hl.writes < 4) {
        hl.w[hl.writes].off = off;
        hl.w[hl.writes].size = size;
        hl.w[hl.writes].val = val;
        hl.w[hl.writes].mask = mask;
    }
    hl.writes++;
    hl.w_off = off;
    hl.w_size = size;
    hl.w_val = val;
    hl.w_mask = mask;
    return hl.write_rc;
}

static const struct vmsix_cfg_ops hw_ops = {sizeof(struct vmsix_cfg_ops), pt_read, pt_write};

/* ---- fields with logging handlers ---- */

struct field_call {
    uint16_t off;
    unsigned len;
    uint32_t old, val;
};

static struct field_call fcalls[8];
static unsigned nfcalls, nfreads;
static int field_write_rc;

static int f_read_xor(void *ctx, uint16_t off, unsigned len, uint32_t *val)
{
    (void)ctx;
    (void)off;
    nfreads++;
    *val ^= 0x5a5a5a5au & (len == 4 ? 0xffffffffu : ((1u << (8 * len)) - 1));
    return 0;
}

static int f_read_const(void *ctx, uint16_t off, unsigned len, uint32_t *val)
{
    (void)ctx;
    (void)off;
    (void)len;
    nfreads++;
    *val = 0x77;
    return 0;
}

static int f_write(void *ctx, uint16_t off, unsigned len, uint32_t old, uint32_t val)
{
    (void)ctx;
    if (nfcalls < 8)
        fcalls[nfcalls] = (struct field_call){off, len, old, val};
    nfcalls++;
    /* the second and later calls of one access fail differently */
    return nfcalls > 1 && field_write_rc ? field_write_rc - 1 : field_write_rc;
}

#define FOPS_SIZE sizeof(struct vmsix_cfg_field_ops)
static const struct vmsix_cfg_field_ops ops_xor = {FOPS_SIZE, f_read_xor, f_write};
static const struct vmsix_cfg_field_ops ops_wonly = {FOPS_SIZE, NULL, f_write};
static const struct vmsix_cfg_field_ops ops_const = {FOPS_SIZE, f_read_const, f_write};

static const struct {
    uint16_t off;
    unsigned len;
    const struct vmsix_cfg_field_ops *ops;
} fields[] = {
    {0x42, 2, &ops_xor},   /* like MSI Message Control */
    {0x80, 4, &ops_wonly}, /* a whole dword */
    {0x91, 1, &ops_const}, /* one byte */
    {0x101, 3, &ops_xor},  /* three bytes, in extended space */
    {0xffe, 2, &ops_wonly},
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

/* ---- the reference: per-bit classes ---- */

static uint8_t cls[4096][8];
static bool ptb[4096][8];
static uint8_t shadow0[4096];

/* A pattern that mixes every class within dwords and within bytes. */
static void byte_pattern(unsigned b, uint8_t cl[8], bool pt[8])
{
    static const uint8_t mixed[8] = {C_RW, C_RW, C_RW, C_RW, C_W1C, C_W1C, C_RO, C_RSVD};
    static const bool mixed_pt[8] = {false, false, true, false, true, false, true, false};

    for (unsigned i = 0; i < 8; i++) {
        switch (b % 7) {
        case 0: cl[i] = C_RO; pt[i] = false; break;
        case 1: cl[i] = C_RW; pt[i] = false; break;
        case 2: cl[i] = C_W1C; pt[i] = false; break;
        case 3: cl[i] = C_RW; pt[i] = true; break;
        case 4: cl[i] = C_RSVD; pt[i] = false; break;
        case 5: cl[i] = mixed[i]; pt[i] = mixed_pt[i]; break;
        default: cl[i] = (i & 1) ? C_W1C : C_RO; pt[i] = true; break;
        }
    }
}

static unsigned char model_mem[32768] __attribute__((aligned(8)));
static unsigned char model_snap[32768] __attribute__((aligned(8)));
static struct vmsix_cfg *model;
static size_t model_len;

static unsigned attr_of(uint8_t c, bool pt)
{
    static const unsigned a[] = {VMSIX_CFG_RO, VMSIX_CFG_RW, VMSIX_CFG_RW1C, VMSIX_CFG_RSVD};
    return a[c] | (pt ? VMSIX_CFG_PT : 0);
}

/* Build the matrix model: attributes set bit by bit through the API. */
static void build_matrix_model(uint16_t size)
{
    model_len = vmsix_cfg_storage_size(size);
    assert_true(model_len > 0 && model_len <= sizeof(model_mem));
    assert_int_equal(vmsix_cfg_init(model_mem, model_len, size, &hw_ops, NULL, &model), 0);
    srand(12345);
    for (unsigned b = 0; b < 4096; b++) {
        shadow0[b] = (uint8_t)rand();
        hw[b] = (uint8_t)rand();
        byte_pattern(b, cls[b], ptb[b]);
    }
    assert_int_equal(vmsix_cfg_load(model, shadow0, size), 0);
    for (unsigned b = 0; b < size; b++)
        for (unsigned i = 0; i < 8; i++)
            assert_int_equal(vmsix_cfg_set_attr(model, (uint16_t)b, 1, 1u << i,
                                                attr_of(cls[b][i], ptb[b][i])),
                             0);
    for (unsigned f = 0; f < NFIELDS; f++)
        if (fields[f].off < size)
            assert_int_equal(
                vmsix_cfg_field_add(model, fields[f].off, fields[f].len, fields[f].ops, NULL), 0);
    memcpy(model_snap, model_mem, model_len);
}

static int field_at(unsigned b)
{
    for (unsigned f = 0; f < NFIELDS; f++)
        if (b >= fields[f].off && b < fields[f].off + fields[f].len)
            return (int)f;
    return -1;
}

/* Expected shadow-derived value of bytes (reserved bits 0). */
static uint32_t ref_shadow(const uint8_t *sh, unsigned off, unsigned len)
{
    return cfg_ref_shadow(cls, sh, off, len);
}

static uint32_t ref_read(unsigned off, unsigned size, bool *pt_used)
{
    uint32_t v;

    *pt_used = false;
    v = cfg_ref_read(cls, ptb, shadow0, hw, off, size, pt_used);
    /* field read handlers, applied to the field's bytes inside the access */
    for (unsigned i = 0; i < size; i++) {
        int f = field_at(off + i);
        if (f < 0 || !fields[f].ops->read)
            continue;
        unsigned byte_in_field = off + i - fields[f].off;
        uint8_t fb;
        if (fields[f].ops == &ops_const)
            fb = byte_in_field == 0 ? 0x77 : 0;
        else
            fb = (uint8_t)(((v >> (8 * i)) & 0xff) ^ 0x5a);
        v = (v & ~(0xffu << (8 * i))) | ((uint32_t)fb << (8 * i));
    }
    return v;
}

static void test_matrix_reads(void **state)
{
    (void)state;
    build_matrix_model(4096);
    for (unsigned off = 0; off < 4096; off++) {
        for (unsigned size = 0; size <= 8; size++) {
            bool valid = (size == 1 || size == 2 || size == 4) && (off % 4) + size <= 4;
            uint32_t val = 0x12345678, want;
            bool pt_used;
            memset(&hl, 0, sizeof(hl));
            nfreads = 0;
            int rc = vmsix_cfg_read(model, (uint16_t)off, size, &val);
            if (!valid) {
                assert_int_equal(rc, -EINVAL);
                assert_int_equal(val, 0xffffffffu);
                assert_int_equal(hl.reads, 0);
                assert_int_equal(nfreads, 0);
                continue;
            }
            want = ref_read(off, size, &pt_used);
            assert_int_equal(rc, 0);
            if (val != want)
                fail_msg("read off %#x size %u: got %#x want %#x", off, size, val, want);
            /* one naturally aligned hook read per piece with pass-through bits */
            struct cfg_ref_piece pc[4];
            unsigned np = cfg_ref_pieces(off, size, cfg_ref_pt_read_mask(cls, ptb, off, size), pc);
            assert_int_equal(np != 0, pt_used);
            assert_int_equal(hl.reads, np);
            assert_int_equal(hl.misaligned, 0);
            for (unsigned k = 0; k < np; k++) {
                assert_int_equal(hl.r[k].off, pc[k].off);
                assert_int_equal(hl.r[k].size, pc[k].size);
            }
        }
    }
    /* reads never change anything */
    assert_memory_equal(model_mem, model_snap, model_len);
    /* offsets past 4095 */
    uint32_t val = 0;
    assert_int_equal(vmsix_cfg_read(model, 4096, 1, &val), -EINVAL);
    assert_int_equal(val, 0xffffffffu);
    assert_int_equal(vmsix_cfg_read(model, 0xffff, 1, &val), -EINVAL);
    assert_int_equal(vmsix_cfg_read(model, 0, 4, NULL), -EINVAL);
}

static void check_write(unsigned off, unsigned size, uint32_t val)
{
    uint8_t want[4096];
    uint32_t ptmask = 0;
    unsigned nf = 0;
    int touched[4];
    uint32_t old[4];

    memcpy(want, shadow0, sizeof(want));
    for (unsigned i = 0; i < size; i++) {
        int f = field_at(off + i);
        if (f >= 0 && (nf == 0 || touched[nf - 1] != f)) {
            touched[nf] = f;
            old[nf] = ref_shadow(shadow0, fields[f].off, fields[f].len);
            nf++;
        }
    }
    ptmask = cfg_ref_write(cls, ptb, want, off, size, val);

    memcpy(model_mem, model_snap, model_len);
    memset(&hl, 0, sizeof(hl));
    nfcalls = 0;
    assert_int_equal(vmsix_cfg_write(model, (uint16_t)off, size, val), 0);
    /* the accessed bytes hold what the reference says, and nothing else in
     * the whole object changed (the count of changed bytes is exact) */
    unsigned changes = 0, diff = 0;
    for (unsigned b = off & ~3u; b < (off & ~3u) + 4; b++) {
        uint32_t s;
        assert_int_equal(vmsix_cfg_peek(model, (uint16_t)b, 1, &s), 0);
        if (s != want[b])
            fail_msg("write off %#x size %u val %#x: shadow[%#x] %#x want %#x", off, size, val,
                     b, s, want[b]);
        changes += want[b] != shadow0[b];
    }
    for (size_t i = 0; i < model_len; i++)
        diff += model_mem[i] != model_snap[i];
    assert_int_equal(diff, changes);
    /* one naturally aligned hook write per piece with pass-through bits,
     * with exactly those bits in its mask (never widened) */
    struct cfg_ref_piece pc[4];
    unsigned np = cfg_ref_pieces(off, size, ptmask, pc);
    assert_int_equal(hl.writes, np);
    assert_int_equal(hl.misaligned, 0);
    for (unsigned k = 0; k < np; k++) {
        assert_int_equal(hl.w[k].off, pc[k].off);
        assert_int_equal(hl.w[k].size, pc[k].size);
        assert_int_equal(hl.w[k].mask, pc[k].mask);
        assert_int_equal(hl.w[k].val & pc[k].mask, (val >> pc[k].shift) & pc[k].mask);
    }
    assert_int_equal(hl.reads, 0);
    assert_int_equal(nfcalls, nf);
    for (unsigned k = 0; k < nf; k++) {
        int f = touched[k];
        assert_int_equal(fcalls[k].off, fields[f].off);
        assert_int_equal(fcalls[k].len, fields[f].len);
        assert_int_equal(fcalls[k].old, old[k]);
        assert_int_equal(fcalls[k].val, ref_shadow(want, fields[f].off, fields[f].len));
    }
}

static void test_matrix_writes(void **state)
{
    static const uint32_t vals[] = {0xffffffffu, 0x00000000u, 0xa5c3963cu};

    (void)state;
    build_matrix_model(4096);
    for (unsigned off = 0; off < 4096; off++) {
        for (unsigned size = 1; size <= 4; size *= 2) {
            if ((off % 4) + size > 4)
                continue;
            for (unsigned v = 0; v < sizeof(vals) / sizeof(vals[0]); v++)
                check_write(off, size, vals[v]);
        }
    }
}

static void test_matrix_invalid_writes(void **state)
{
    (void)state;
    build_matrix_model(4096);
    for (unsigned off = 0; off < 4100; off++) {
        for (unsigned size = 0; size <= 8; size++) {
            bool valid =
                off < 4096 && (size == 1 || size == 2 || size == 4) && (off % 4) + size <= 4;
            if (valid)
                continue;
            memset(&hl, 0, sizeof(hl));
            nfcalls = 0;
            assert_int_equal(vmsix_cfg_write(model, (uint16_t)off, size, 0xffffffffu), -EINVAL);
            assert_int_equal(hl.writes + hl.reads, 0);
            assert_int_equal(nfcalls, 0);
        }
    }
    assert_memory_equal(model_mem, model_snap, model_len);
}

/* A 256-byte model: 0x100..0xfff reads 0, ignores writes, calls nothing. */
static void test_256_byte_model(void **state)
{
    (void)state;
    build_matrix_model(256);
    for (unsigned off = 0x100; off < 4096; off++) {
        for (unsigned size = 1; size <= 4; size *= 2) {
            uint32_t val = 1;
            if ((off % 4) + size > 4)
                continue;
            memset(&hl, 0, sizeof(hl));
            nfcalls = nfreads = 0;
            assert_int_equal(vmsix_cfg_read(model, (uint16_t)off, size, &val), 0);
            assert_int_equal(val, 0);
            assert_int_equal(vmsix_cfg_write(model, (uint16_t)off, size, 0xffffffffu), 0);
            assert_int_equal(hl.reads + hl.writes + nfcalls + nfreads, 0);
        }
    }
    assert_memory_equal(model_mem, model_snap, model_len);
    /* and the first 256 bytes behave as in the big model */
    uint32_t val;
    bool pt_used;
    assert_int_equal(vmsix_cfg_read(model, 0x40, 4, &val), 0);
    assert_int_equal(val, ref_read(0x40, 4, &pt_used));
}

/* ---- DESIGN 4.1 rule 5: a field is reached by any access that touches it ---- */

static struct vmsix_cfg *small_model(void)
{
    struct vmsix_cfg *c;
    memset(hw, 0, sizeof(hw));
    memset(&hl, 0, sizeof(hl));
    nfcalls = nfreads = 0;
    field_write_rc = 0;
    assert_int_equal(vmsix_cfg_init(model_mem, sizeof(model_mem), 256, &hw_ops, NULL, &c), 0);
    return c;
}

static void test_field_any_width(void **state)
{
    static const struct {
        uint16_t off;
        unsigned size;
        uint32_t val;
    } acc[] = {
        {0x43, 1, 0xc0},       /* the high byte alone */
        {0x42, 2, 0xc000},     /* the register */
        {0x40, 4, 0xc0000000}, /* the dword that holds it */
        {0x42, 1, 0x00},       /* the low byte alone */
        {0x41, 2, 0x0000},     /* across it: next byte + low byte */
    };
    struct vmsix_cfg *c;

    (void)state;
    for (unsigned k = 0; k < sizeof(acc) / sizeof(acc[0]); k++) {
        c = small_model();
        vmsix_cfg_poke(c, 0x40, 4, 0x00070511); /* MSI-X-like: id, next, ctrl 0x0007 */
        vmsix_cfg_set_attr(c, 0x42, 2, 0xc000, VMSIX_CFG_RW);
        assert_int_equal(vmsix_cfg_field_add(c, 0x42, 2, &ops_wonly, NULL), 0);
        assert_int_equal(vmsix_cfg_write(c, acc[k].off, acc[k].size, acc[k].val), 0);
        assert_int_equal(nfcalls, 1);
        assert_int_equal(fcalls[0].off, 0x42);
        assert_int_equal(fcalls[0].len, 2);
        assert_int_equal(fcalls[0].old, 0x0007);
        assert_int_equal(fcalls[0].val, k < 3 ? 0xc007 : 0x0007);
        uint32_t v;
        assert_int_equal(vmsix_cfg_peek(c, 0x40, 2, &v), 0);
        assert_int_equal(v, 0x0511); /* ID and next unchanged (RO) */
    }
}

static void test_field_write_error_passed_on(void **state)
{
    struct vmsix_cfg *c = small_model();
    uint32_t v;

    (void)state;
    vmsix_cfg_set_range(c, 0x40, 4, VMSIX_CFG_RW);
    vmsix_cfg_field_add(c, 0x40, 2, &ops_wonly, NULL);
    vmsix_cfg_field_add(c, 0x42, 2, &ops_wonly, NULL);
    field_write_rc = -EIO;
    assert_int_equal(vmsix_cfg_write(c, 0x40, 4, 0x11223344), -EIO); /* the first error */
    assert_int_equal(nfcalls, 2); /* the second field was still written */
    vmsix_cfg_peek(c, 0x40, 4, &v);
    assert_int_equal(v, 0x11223344);
}

static void test_rw1c(void **state)
{
    struct vmsix_cfg *c = small_model();
    uint32_t v;

    (void)state;
    vmsix_cfg_poke(c, 0x06, 2, 0xf910);
    vmsix_cfg_set_attr(c, 0x06, 2, 0xf900, VMSIX_CFG_RW1C); /* Status error bits */
    assert_int_equal(vmsix_cfg_write(c, 0x04, 4, 0x81000000), 0); /* clear 15 and 8 */
    vmsix_cfg_read(c, 0x06, 2, &v);
    assert_int_equal(v, 0x7810);
    assert_int_equal(vmsix_cfg_write(c, 0x06, 2, 0x0000), 0); /* zeros change nothing */
    vmsix_cfg_read(c, 0x06, 2, &v);
    assert_int_equal(v, 0x7810);
    assert_int_equal(vmsix_cfg_write(c, 0x07, 1, 0xff), 0);
    vmsix_cfg_read(c, 0x06, 2, &v);
    assert_int_equal(v, 0x0010); /* bit 4 (RO) stays */
}

static void test_pt_errors(void **state)
{
    struct vmsix_cfg *c = small_model();
    uint32_t v = 0;

    (void)state;
    vmsix_cfg_set_range(c, 0x10, 4, VMSIX_CFG_RW | VMSIX_CFG_PT);
    hl.read_rc = -EIO;
    assert_int_equal(vmsix_cfg_read(c, 0x10, 4, &v), -EIO);
    assert_int_equal(v, 0xffffffffu);
    hl.write_rc = -ETIMEDOUT;
    assert_int_equal(vmsix_cfg_write(c, 0x10, 4, 1), -ETIMEDOUT);
    /* no hooks at all */
    struct vmsix_cfg *d;
    assert_int_equal(vmsix_cfg_init(model_snap, sizeof(model_snap), 256, NULL, NULL, &d), 0);
    vmsix_cfg_set_range(d, 0x10, 4, VMSIX_CFG_RW | VMSIX_CFG_PT);
    assert_int_equal(vmsix_cfg_read(d, 0x10, 4, &v), -EIO);
    assert_int_equal(vmsix_cfg_write(d, 0x10, 4, 1), -EIO);
    /* emulated bytes next to them still work without hooks */
    assert_int_equal(vmsix_cfg_read(d, 0x14, 4, &v), 0);
}

/* A PT bit that is RO reads the device but is never written to it. */
static void test_pt_read_only_bits(void **state)
{
    struct vmsix_cfg *c = small_model();
    uint32_t v;

    (void)state;
    hw[0x08] = 0x5a;
    vmsix_cfg_set_range(c, 0x08, 1, VMSIX_CFG_RO | VMSIX_CFG_PT);
    assert_int_equal(vmsix_cfg_read(c, 0x08, 1, &v), 0);
    assert_int_equal(v, 0x5a);
    assert_int_equal(vmsix_cfg_write(c, 0x08, 1, 0xff), 0);
    assert_int_equal(hl.writes, 0);
}

static void test_init_and_attr_args(void **state)
{
    struct vmsix_cfg *c;

    (void)state;
    assert_int_equal(vmsix_cfg_storage_size(128), 0);
    assert_int_equal(vmsix_cfg_storage_size(0), 0);
    assert_true(vmsix_cfg_storage_size(256) >= 5 * 256);
    assert_true(vmsix_cfg_storage_size(4096) >= 5 * 4096);
    assert_true(vmsix_cfg_storage_size(4096) < 5 * 4096 + 2048);
    assert_int_equal(vmsix_cfg_init(model_mem, vmsix_cfg_storage_size(256) - 1, 256, NULL, NULL, &c),
                     -EINVAL);
    assert_int_equal(vmsix_cfg_init(model_mem + 4, sizeof(model_mem) - 4, 256, NULL, NULL, &c),
                     -EINVAL);
    assert_int_equal(vmsix_cfg_init(model_mem, sizeof(model_mem), 512, NULL, NULL, &c), -EINVAL);
    assert_int_equal(vmsix_cfg_init(NULL, sizeof(model_mem), 256, NULL, NULL, &c), -EINVAL);
    assert_int_equal(vmsix_cfg_init(model_mem, sizeof(model_mem), 256, NULL, NULL, NULL), -EINVAL);
    c = small_model();
    assert_int_equal(vmsix_cfg_set_attr(c, 0x10, 3, 1, VMSIX_CFG_RW), -EINVAL);
    assert_int_equal(vmsix_cfg_set_attr(c, 0xfe, 4, 1, VMSIX_CFG_RW), -EINVAL);
    assert_int_equal(vmsix_cfg_set_attr(c, 0x10, 4, 1, VMSIX_CFG_RSVD | VMSIX_CFG_PT), -EINVAL);
    assert_int_equal(vmsix_cfg_set_attr(c, 0x10, 4, 1, 0x24), -EINVAL);
    assert_int_equal(vmsix_cfg_set_range(c, 0xf0, 0x11, VMSIX_CFG_RW), -EINVAL);
    assert_int_equal(vmsix_cfg_poke(c, 0xfe, 4, 0), -EINVAL);
    assert_int_equal(vmsix_cfg_poke(c, 0x10, 0, 0), -EINVAL);
    assert_int_equal(vmsix_cfg_load(c, hw, 257), -EINVAL);
    uint32_t v;
    assert_int_equal(vmsix_cfg_peek(c, 0xff, 2, &v), -EINVAL);
}

static void test_field_add_rules(void **state)
{
    struct vmsix_cfg *c = small_model();

    (void)state;
    assert_int_equal(vmsix_cfg_field_add(c, 0x42, 4, &ops_wonly, NULL), -EINVAL); /* crosses */
    assert_int_equal(vmsix_cfg_field_add(c, 0x40, 0, &ops_wonly, NULL), -EINVAL);
    assert_int_equal(vmsix_cfg_field_add(c, 0x40, 2, NULL, NULL), -EINVAL);
    assert_int_equal(vmsix_cfg_field_add(c, 0x40, 2, &ops_wonly, NULL), 0);
    assert_int_equal(vmsix_cfg_field_add(c, 0x41, 1, &ops_wonly, NULL), -EBUSY);
    unsigned added = 1;
    for (unsigned off = 0x44; off < 0x100 && added < VMSIX_CFG_MAX_FIELDS; off += 4, added++)
        assert_int_equal(vmsix_cfg_field_add(c, (uint16_t)off, 4, &ops_wonly, NULL), 0);
    assert_int_equal(vmsix_cfg_field_add(c, 0x42, 1, &ops_wonly, NULL), -ENOSPC);
}

/* ---- hook structs carry their size (vmsix_ops_copy()'s rule) ---- */

/* A newer caller's hook structs: one member this library does not know. */
struct cfg_ops_next {
    struct vmsix_cfg_ops v1;
    int (*later)(void *ctx);
};
struct field_ops_next {
    struct vmsix_cfg_field_ops v1;
    int (*later)(void *ctx);
};

static int later_hook(void *ctx)
{
    (void)ctx;
    return 0;
}

static void check_all(const unsigned char *p, size_t n, unsigned char v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            fail_msg("byte %zu is %#x, want %#x", i, p[i], v);
}

static void test_cfg_ops_size_rule(void **state)
{
    struct vmsix_cfg_ops small = hw_ops;
    struct cfg_ops_next next = {hw_ops, NULL};
    struct vmsix_cfg *c = NULL;
    size_t len = vmsix_cfg_storage_size(256);
    uint32_t v;

    (void)state;
    /* below the first version: refused, the storage untouched */
    small.size = VMSIX_CFG_OPS_SIZE_V1 - 1;
    memset(model_mem, 0xa5, len);
    assert_int_equal(vmsix_cfg_init(model_mem, len, 256, &small, NULL, &c), -EINVAL);
    check_all(model_mem, len, 0xa5);
    assert_null(c);
    small.size = 0; /* a caller that forgot to set it */
    assert_int_equal(vmsix_cfg_init(model_mem, len, 256, &small, NULL, &c), -EINVAL);
    small.size = 1u << 20; /* garbage: refused without reading past the struct */
    assert_int_equal(vmsix_cfg_init(model_mem, len, 256, &small, NULL, &c), -EINVAL);
    check_all(model_mem, len, 0xa5);
    /* a member this library does not know, set: refused */
    next.v1.size = sizeof(next);
    next.later = later_hook;
    assert_int_equal(vmsix_cfg_init(model_mem, len, 256, &next.v1, NULL, &c), -ENOTSUP);
    check_all(model_mem, len, 0xa5);
    assert_null(c);
    /* the same larger struct with that member zero: accepted, hooks copied */
    next.later = NULL;
    assert_int_equal(vmsix_cfg_init(model_mem, len, 256, &next.v1, NULL, &c), 0);
    next.v1.pt_read = NULL; /* copied: a later change is not seen */
    memset(hw, 0, sizeof(hw));
    hw[0x10] = 0x3c;
    memset(&hl, 0, sizeof(hl));
    assert_int_equal(vmsix_cfg_set_range(c, 0x10, 1, VMSIX_CFG_RW | VMSIX_CFG_PT), 0);
    assert_int_equal(vmsix_cfg_read(c, 0x10, 1, &v), 0);
    assert_int_equal(v, 0x3c);
    assert_int_equal(hl.reads, 1);
    /* exactly the first version */
    small = hw_ops;
    small.size = VMSIX_CFG_OPS_SIZE_V1;
    assert_int_equal(vmsix_cfg_init(model_mem, len, 256, &small, NULL, &c), 0);
}

static void test_field_ops_size_rule(void **state)
{
    struct vmsix_cfg_field_ops small = ops_wonly;
    struct field_ops_next next = {ops_wonly, later_hook};
    struct vmsix_cfg *c = small_model();
    size_t len = vmsix_cfg_storage_size(256);

    (void)state;
    memcpy(model_snap, model_mem, len);
    small.size = VMSIX_CFG_FIELD_OPS_SIZE_V1 - 1;
    assert_int_equal(vmsix_cfg_field_add(c, 0x40, 2, &small, NULL), -EINVAL);
    small.size = 0;
    assert_int_equal(vmsix_cfg_field_add(c, 0x40, 2, &small, NULL), -EINVAL);
    small.size = 1u << 20;
    assert_int_equal(vmsix_cfg_field_add(c, 0x40, 2, &small, NULL), -EINVAL);
    next.v1.size = sizeof(next);
    assert_int_equal(vmsix_cfg_field_add(c, 0x40, 2, &next.v1, NULL), -ENOTSUP);
    assert_memory_equal(model_mem, model_snap, len);
    /* larger, its unknown member zero: accepted, and its handler is called */
    next.later = NULL;
    assert_int_equal(vmsix_cfg_field_add(c, 0x40, 2, &next.v1, NULL), 0);
    assert_int_equal(vmsix_cfg_write(c, 0x40, 2, 0), 0);
    assert_int_equal(nfcalls, 1);
    small.size = VMSIX_CFG_FIELD_OPS_SIZE_V1;
    assert_int_equal(vmsix_cfg_field_add(c, 0x44, 2, &small, NULL), 0);
}

/* DESIGN 4.1 rule 6: capability ID and next bytes are read-only. */
static void test_protect_caps(void **state)
{
    static uint8_t img[256];
    static struct vmsix_capchain chain;
    struct vmsix_cfg *c = small_model();
    uint32_t v;

    (void)state;
    memset(img, 0, sizeof(img));
    img[0x06] = 0x10;
    img[0x34] = 0x40;
    img[0x40] = 0x01;
    img[0x41] = 0x50;
    img[0x50] = 0x05;
    vmsix_cfg_load(c, img, sizeof(img));
    vmsix_cfg_set_range(c, 0x00, 256, VMSIX_CFG_RW); /* a careless owner */
    assert_int_equal(vmsix_capchain_parse(img, sizeof(img), &chain), 0);
    assert_int_equal(vmsix_cfg_protect_caps(c, &chain), 0);
    assert_int_equal(vmsix_cfg_write(c, 0x40, 4, 0xffffffff), 0);
    assert_int_equal(vmsix_cfg_write(c, 0x50, 2, 0xffff), 0);
    assert_int_equal(vmsix_cfg_write(c, 0x34, 1, 0x80), 0);
    vmsix_cfg_read(c, 0x40, 4, &v);
    assert_int_equal(v, 0xffff5001);
    vmsix_cfg_read(c, 0x50, 4, &v);
    assert_int_equal(v, 0x00000005);
    vmsix_cfg_read(c, 0x34, 1, &v);
    assert_int_equal(v, 0x40);
    /* an extended capability in a 256-byte model is refused */
    chain.cap[chain.n++] = (struct vmsix_cap){.off = 0x100, .id = 1, .len = 4, .ext = true};
    assert_int_equal(vmsix_cfg_protect_caps(c, &chain), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matrix_reads),
        cmocka_unit_test(test_matrix_writes),
        cmocka_unit_test(test_matrix_invalid_writes),
        cmocka_unit_test(test_256_byte_model),
        cmocka_unit_test(test_field_any_width),
        cmocka_unit_test(test_field_write_error_passed_on),
        cmocka_unit_test(test_rw1c),
        cmocka_unit_test(test_pt_errors),
        cmocka_unit_test(test_pt_read_only_bits),
        cmocka_unit_test(test_init_and_attr_args),
        cmocka_unit_test(test_field_add_rules),
        cmocka_unit_test(test_cfg_ops_size_rule),
        cmocka_unit_test(test_field_ops_size_rule),
        cmocka_unit_test(test_protect_caps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
