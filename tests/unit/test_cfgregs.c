/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of vmsix_cfg_regs_add(), declaring registers from a table:
 * every per-bit attribute combination read and written back through
 * vmsix_cfg_read/write against a pass-through fake and a per-bit reference
 * kept here; the handlers; the equivalence with the three calls it replaces;
 * the size, mask, overlap and dword rules; and that every refusal changes
 * nothing.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <vmsix/cfgspace.h>

#include "cfg_ref.h"

/* ---- the pass-through fake: a function whose bits keep what is written ---- */

static uint8_t hw[4096];
static unsigned pt_reads, pt_writes;
static uint16_t w_off;
static unsigned w_size;
static uint32_t w_val, w_mask;

static unsigned misaligned; /* hook calls that were not naturally aligned */

static int pt_read(void *ctx, uint16_t off, unsigned size, uint32_t *val)
{
    uint32_t v = 0;

    (void)ctx;
    misaligned += off % size != 0;
    pt_reads++;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)hw[off + i] << (8 * i);
    *val = v;
    return 0;
}

static int pt_write(void *ctx, uint16_t off, unsigned size, uint32_t val, uint32_t mask)
{
    (void)ctx;
    misaligned += off % size != 0;
    pt_writes++;
    w_off = off;
    w_size = size;
    w_val = val;
    w_mask = mask;
    for (unsigned i = 0; i < size; i++) {
        uint8_t m = (uint8_t)(mask >> (8 * i));
        hw[off + i] = (uint8_t)((hw[off + i] & ~m) | ((val >> (8 * i)) & m));
    }
    return 0;
}

static const struct vmsix_cfg_ops hw_ops = {sizeof(struct vmsix_cfg_ops), pt_read, pt_write};

/* ---- handlers that log their calls ---- */

struct fcall {
    void *ctx;
    uint16_t off;
    unsigned len;
    uint32_t old, val;
};
static struct fcall fcalls[8];
static unsigned nfcalls, nfreads;
static void *fread_ctx;

static int f_read(void *ctx, uint16_t off, unsigned len, uint32_t *val)
{
    (void)off;
    (void)len;
    nfreads++;
    fread_ctx = ctx;
    *val ^= 0x01;
    return 0;
}

static int f_write(void *ctx, uint16_t off, unsigned len, uint32_t old, uint32_t val)
{
    if (nfcalls < 8)
        fcalls[nfcalls] = (struct fcall){ctx, off, len, old, val};
    nfcalls++;
    return 0;
}

#define FOPS_SIZE sizeof(struct vmsix_cfg_field_ops)
static const struct vmsix_cfg_field_ops log_ops = {FOPS_SIZE, f_read, f_write};
static const struct vmsix_cfg_field_ops wlog_ops = {FOPS_SIZE, NULL, f_write};

/* ---- models ---- */

static unsigned char mem[32768] __attribute__((aligned(8)));
static unsigned char mem2[32768] __attribute__((aligned(8)));
static unsigned char snap[32768];

static struct vmsix_cfg *new_model(unsigned char *m, uint16_t size)
{
    struct vmsix_cfg *c;

    assert_true(vmsix_cfg_storage_size(size) <= sizeof(mem));
    assert_int_equal(vmsix_cfg_init(m, vmsix_cfg_storage_size(size), size, &hw_ops, NULL, &c), 0);
    pt_reads = pt_writes = nfcalls = nfreads = 0;
    return c;
}

/* ---- the per-bit reference ---- */

static uint8_t cls[256][8];
static bool ptb[256][8];
static uint8_t sh[256]; /* the shadow the reference expects */

/* The seven valid combinations of one bit. */
static const struct {
    uint8_t cls;
    bool pt;
} combo[7] = {
    {C_RO, false}, {C_RW, false}, {C_W1C, false}, {C_RSVD, false},
    {C_RO, true},  {C_RW, true},  {C_W1C, true},
};

/* A register whose bit i has combination (i + shift) % 7: every
 * combination in every byte position of the register. */
static struct vmsix_cfg_reg mixed_reg(uint16_t off, uint8_t size, unsigned shift)
{
    struct vmsix_cfg_reg r = {off, size, 0, 0, 0, 0, NULL};

    for (unsigned i = 0; i < 8u * size; i++) {
        unsigned k = (i + shift) % 7;
        uint32_t bit = 1u << i;
        if (combo[k].cls == C_RW)
            r.rw |= bit;
        else if (combo[k].cls == C_W1C)
            r.rw1c |= bit;
        else if (combo[k].cls == C_RSVD)
            r.rsvd |= bit;
        if (combo[k].pt)
            r.pt |= bit;
    }
    return r;
}

/* The reference of a declared register (bits in no mask: RO). */
static void ref_declare(uint16_t base, const struct vmsix_cfg_reg *r)
{
    for (unsigned i = 0; i < 8u * r->size; i++) {
        unsigned b = base + r->off + i / 8, bit = i % 8;
        uint32_t m = 1u << i;
        cls[b][bit] = (r->rw & m) ? C_RW : (r->rw1c & m) ? C_W1C : (r->rsvd & m) ? C_RSVD : C_RO;
        ptb[b][bit] = (r->pt & m) != 0;
    }
}

static uint32_t ref_read(unsigned off, unsigned size, bool *pt_used)
{
    *pt_used = false;
    return cfg_ref_read(cls, ptb, sh, hw, off, size, pt_used);
}

/* A guest write on the reference; returns the mask pt_write must get. */
static uint32_t ref_write(unsigned off, unsigned size, uint32_t val)
{
    return cfg_ref_write(cls, ptb, sh, off, size, val);
}

static void check_reads(struct vmsix_cfg *c, unsigned from, unsigned to)
{
    for (unsigned off = from; off < to; off++)
        for (unsigned size = 1; size <= 4; size *= 2) {
            uint32_t v, want;
            bool pt_used;
            if (off % 4 + size > 4)
                continue;
            pt_reads = 0;
            assert_int_equal(vmsix_cfg_read(c, (uint16_t)off, size, &v), 0);
            want = ref_read(off, size, &pt_used);
            if (v != want)
                fail_msg("read %#x/%u: got %#x want %#x", off, size, v, want);
            struct cfg_ref_piece pc[4];
            unsigned np = cfg_ref_pieces(off, size, cfg_ref_pt_read_mask(cls, ptb, off, size), pc);
            assert_int_equal(np != 0, pt_used);
            assert_int_equal(pt_reads, np);
            assert_int_equal(misaligned, 0);
        }
}

static void check_shadow(struct vmsix_cfg *c, unsigned from, unsigned to)
{
    for (unsigned b = from; b < to; b++) {
        uint32_t v;
        assert_int_equal(vmsix_cfg_peek(c, (uint16_t)b, 1, &v), 0);
        if (v != sh[b])
            fail_msg("shadow[%#x] %#x want %#x", b, v, sh[b]);
    }
}

/* Every combination read, written (all ones, zeros, a pattern) and read back,
 * through every access width and offset, on registers of every size, at
 * every offset in a dword, one crossing dwords (no handlers). */
static void test_attr_matrix(void **state)
{
    static const uint32_t vals[] = {0xffffffffu, 0x00000000u, 0xa5c3963cu, 0x5a3c69c3u};
    const uint16_t base = 0x40;
    struct vmsix_cfg_reg regs[] =
        {
            mixed_reg(0x00, 4, 0), mixed_reg(0x04, 2, 1), mixed_reg(0x06, 1, 2),
            mixed_reg(0x07, 1, 3), mixed_reg(0x09, 2, 4), mixed_reg(0x0b, 1, 5),
            mixed_reg(0x0e, 4, 6), /* crosses the dword at 0x10 */
            mixed_reg(0x13, 1, 0), mixed_reg(0x15, 2, 3),
        };
    const unsigned n = sizeof(regs) / sizeof(regs[0]);
    struct vmsix_cfg *c = new_model(mem, 256);
    uint8_t img[256];

    (void)state;
    for (unsigned b = 0; b < 256; b++) {
        img[b] = (uint8_t)(b * 37 + 11);
        hw[b] = (uint8_t)(b * 91 + 5);
        sh[b] = img[b];
    }
    assert_int_equal(vmsix_cfg_load(c, img, sizeof(img)), 0);
    /* a careless earlier state: every bit RW, emulated; declaring a
     * register replaces it for all of the register's bits */
    assert_int_equal(vmsix_cfg_set_range(c, 0, 256, VMSIX_CFG_RW), 0);
    for (unsigned b = 0; b < 256; b++)
        for (unsigned bit = 0; bit < 8; bit++) {
            cls[b][bit] = C_RW;
            ptb[b][bit] = false;
        }
    assert_int_equal(vmsix_cfg_regs_add(c, base, regs, n, NULL), 0);
    for (unsigned k = 0; k < n; k++)
        ref_declare(base, &regs[k]);
    assert_int_equal(pt_reads + pt_writes, 0); /* declaring calls no hook */
    check_shadow(c, 0, 256);                   /* nor changes a shadow value */
    check_reads(c, base - 4, base + 0x1c);

    for (unsigned v = 0; v < sizeof(vals) / sizeof(vals[0]); v++)
        for (unsigned off = base - 4; off < base + 0x1c; off++)
            for (unsigned size = 1; size <= 4; size *= 2) {
                uint32_t ptm, val = vals[v] ^ (off * 0x01010101u);
                if (off % 4 + size > 4)
                    continue;
                ptm = ref_write(off, size, val);
                pt_writes = 0;
                assert_int_equal(vmsix_cfg_write(c, (uint16_t)off, size, val), 0);
                /* one aligned write per piece with pass-through bits; the
                 * last one seen is the last piece */
                struct cfg_ref_piece pc[4];
                unsigned np = cfg_ref_pieces(off, size, ptm, pc);
                assert_int_equal(pt_writes, np);
                assert_int_equal(misaligned, 0);
                if (np) {
                    assert_int_equal(w_off, pc[np - 1].off);
                    assert_int_equal(w_size, pc[np - 1].size);
                    assert_int_equal(w_mask, pc[np - 1].mask);
                    assert_int_equal(w_val, (val >> pc[np - 1].shift) & pc[np - 1].mask);
                }
                check_shadow(c, off & ~3u, (off & ~3u) + 4);
                check_reads(c, off & ~3u, (off & ~3u) + 4);
            }
    check_shadow(c, 0, 256);
}

/* Handlers: a register with ops is a field at base + off of its size, with
 * the table's ctx; reached by any access that touches it (rule 5). */
static void test_handlers(void **state)
{
    static const struct vmsix_cfg_reg tbl[] = {
        {0x00, 1, 0x00, 0, 0, 0, NULL},        /* ID: RO, no handlers */
        {0x02, 2, 0xc000, 0, 0, 0, &wlog_ops}, /* Message Control-like */
        {0x04, 4, 0xfffffffc, 0, 0x3, 0, &log_ops},
        {0x09, 1, 0xff, 0, 0, 0, &log_ops}, /* one byte inside a dword */
    };
    struct vmsix_cfg *c = new_model(mem, 256);
    int ctx;
    uint32_t v;

    (void)state;
    assert_int_equal(vmsix_cfg_poke(c, 0x60, 4, 0x00075011), 0);
    assert_int_equal(vmsix_cfg_regs_add(c, 0x60, tbl, 4, &ctx), 0);
    assert_int_equal(vmsix_cfg_write(c, 0x63, 1, 0xff), 0);
    assert_int_equal(nfcalls, 1);
    assert_ptr_equal(fcalls[0].ctx, &ctx);
    assert_int_equal(fcalls[0].off, 0x62);
    assert_int_equal(fcalls[0].len, 2);
    assert_int_equal(fcalls[0].old, 0x0007);
    assert_int_equal(fcalls[0].val, 0xc007);
    /* a dword write: the one field in it, even unchanged */
    nfcalls = 0;
    assert_int_equal(vmsix_cfg_write(c, 0x60, 4, 0xffffffff), 0);
    assert_int_equal(nfcalls, 1); /* 0x60 has no handlers; 0x62 did not change but is called */
    assert_int_equal(fcalls[0].off, 0x62);
    nfcalls = 0;
    assert_int_equal(vmsix_cfg_write(c, 0x64, 2, 0xffff), 0);
    assert_int_equal(nfcalls, 1);
    assert_int_equal(fcalls[0].off, 0x64);
    assert_int_equal(fcalls[0].len, 4);
    assert_int_equal(fcalls[0].val, 0x0000fffc); /* rsvd bits 0 and 1 stay 0 */
    assert_int_equal(vmsix_cfg_read(c, 0x64, 4, &v), 0);
    assert_int_equal(v, 0x0000fffd); /* f_read flips bit 0 */
    assert_ptr_equal(fread_ctx, &ctx);
    nfcalls = 0;
    assert_int_equal(vmsix_cfg_write(c, 0x68, 4, 0x0000ab00), 0);
    assert_int_equal(nfcalls, 1);
    assert_int_equal(fcalls[0].off, 0x69);
    assert_int_equal(fcalls[0].len, 1);
    assert_int_equal(fcalls[0].val, 0xab);
    /* the same table again at another base: another instance of it */
    assert_int_equal(vmsix_cfg_regs_add(c, 0x80, tbl, 4, NULL), 0);
    nfcalls = 0;
    assert_int_equal(vmsix_cfg_write(c, 0x82, 2, 0x8000), 0);
    assert_int_equal(nfcalls, 1);
    assert_int_equal(fcalls[0].off, 0x82);
    assert_null(fcalls[0].ctx);
    /* an empty table declares nothing */
    memcpy(snap, mem, vmsix_cfg_storage_size(256));
    assert_int_equal(vmsix_cfg_regs_add(c, 0xa0, tbl, 0, NULL), 0);
    assert_memory_equal(snap, mem, vmsix_cfg_storage_size(256));
}

/* The three calls a register took before, for the equivalence test. */
static void declare_by_three_calls(struct vmsix_cfg *c, uint16_t base,
                                   const struct vmsix_cfg_reg *r, void *ctx)
{
    uint16_t off = (uint16_t)(base + r->off);
    uint32_t rest = ~(r->rw | r->rw1c | r->rsvd);

    assert_int_equal(vmsix_cfg_set_range(c, off, r->size, VMSIX_CFG_RO), 0);
    assert_int_equal(vmsix_cfg_set_attr(c, off, r->size, r->rw & ~r->pt, VMSIX_CFG_RW), 0);
    assert_int_equal(
        vmsix_cfg_set_attr(c, off, r->size, r->rw & r->pt, VMSIX_CFG_RW | VMSIX_CFG_PT), 0);
    assert_int_equal(vmsix_cfg_set_attr(c, off, r->size, r->rw1c & ~r->pt, VMSIX_CFG_RW1C), 0);
    assert_int_equal(
        vmsix_cfg_set_attr(c, off, r->size, r->rw1c & r->pt, VMSIX_CFG_RW1C | VMSIX_CFG_PT), 0);
    assert_int_equal(vmsix_cfg_set_attr(c, off, r->size, rest & r->pt, VMSIX_CFG_RO | VMSIX_CFG_PT),
                     0);
    assert_int_equal(vmsix_cfg_set_attr(c, off, r->size, r->rsvd, VMSIX_CFG_RSVD), 0);
    if (r->ops)
        assert_int_equal(vmsix_cfg_field_add(c, off, r->size, r->ops, ctx), 0);
}

/* One guest access on model @c: its result, the pass-through write it made
 * (the fake's bytes after it, restored to @hw0 first) and the handler calls. */
struct outcome {
    int rc;
    uint32_t val;
    unsigned pt_reads, pt_writes, nfcalls, nfreads;
    uint32_t w_val, w_mask;
    struct fcall f[8];
    uint8_t hw[8];
};

static void do_access(struct vmsix_cfg *c, bool write, uint16_t off, unsigned size, uint32_t val,
                      const uint8_t *hw0, struct outcome *o)
{
    memcpy(hw, hw0, 256);
    pt_reads = pt_writes = nfcalls = nfreads = 0;
    w_val = w_mask = 0;
    memset(fcalls, 0, sizeof(fcalls));
    memset(o, 0, sizeof(*o));
    if (write) {
        o->rc = vmsix_cfg_write(c, off, size, val);
        o->val = 0;
    } else {
        o->rc = vmsix_cfg_read(c, off, size, &o->val);
    }
    o->pt_reads = pt_reads;
    o->pt_writes = pt_writes;
    o->nfcalls = nfcalls;
    o->nfreads = nfreads;
    o->w_val = w_val;
    o->w_mask = w_mask;
    memcpy(o->f, fcalls, sizeof(fcalls));
    memcpy(o->hw, hw + (off & ~3u), 8);
}

/* One call behaves exactly as the three calls per register did: every read
 * and write of every offset and width, on two models built the two ways,
 * has the same result, the same hooks and handler calls, and leaves the
 * same shadow. */
static void test_same_as_three_calls(void **state)
{
    struct vmsix_cfg_reg tbl[] = {
        mixed_reg(0x00, 4, 2), mixed_reg(0x04, 2, 5),
        mixed_reg(0x06, 1, 1), mixed_reg(0x0a, 4, 3), /* crosses a dword, no handlers */
        mixed_reg(0x10, 2, 6),
    };
    static const uint32_t vals[] = {0xffffffffu, 0x00000000u, 0x9c3a65c5u};
    const unsigned n = sizeof(tbl) / sizeof(tbl[0]);
    struct vmsix_cfg *a, *b;
    struct outcome oa, ob;
    uint8_t img[256], hw0[256];
    int ctx;

    (void)state;
    tbl[0].ops = &log_ops;
    tbl[2].ops = &wlog_ops;
    tbl[4].ops = &log_ops;
    for (unsigned i = 0; i < 256; i++) {
        img[i] = (uint8_t)(i * 29 + 3);
        hw0[i] = (uint8_t)(i * 53 + 17);
    }
    a = new_model(mem, 256);
    b = new_model(mem2, 256);
    assert_int_equal(vmsix_cfg_load(a, img, 256), 0);
    assert_int_equal(vmsix_cfg_load(b, img, 256), 0);
    assert_int_equal(vmsix_cfg_set_range(a, 0x40, 0x40, VMSIX_CFG_RW1C), 0);
    assert_int_equal(vmsix_cfg_set_range(b, 0x40, 0x40, VMSIX_CFG_RW1C), 0);
    for (unsigned k = 0; k < n; k++)
        declare_by_three_calls(a, 0x50, &tbl[k], &ctx);
    assert_int_equal(vmsix_cfg_regs_add(b, 0x50, tbl, n, &ctx), 0);
    for (unsigned off = 0x4c; off < 0x68; off++)
        for (unsigned size = 1; size <= 4; size *= 2) {
            if (off % 4 + size > 4)
                continue;
            do_access(a, false, (uint16_t)off, size, 0, hw0, &oa);
            do_access(b, false, (uint16_t)off, size, 0, hw0, &ob);
            assert_memory_equal(&oa, &ob, sizeof(oa));
            for (unsigned v = 0; v < sizeof(vals) / sizeof(vals[0]); v++) {
                uint32_t val = vals[v] ^ off;
                do_access(a, true, (uint16_t)off, size, val, hw0, &oa);
                do_access(b, true, (uint16_t)off, size, val, hw0, &ob);
                assert_memory_equal(&oa, &ob, sizeof(oa));
                for (unsigned i = 0x40; i < 0x80; i++) {
                    uint32_t sa, sb;
                    assert_int_equal(vmsix_cfg_peek(a, (uint16_t)i, 1, &sa), 0);
                    assert_int_equal(vmsix_cfg_peek(b, (uint16_t)i, 1, &sb), 0);
                    assert_int_equal(sa, sb);
                }
            }
        }
}

/* ---- refusals: each changes nothing, even after valid registers ---- */

static struct vmsix_cfg *rc_model;
static size_t rc_len;

static void refuse(uint16_t base, const struct vmsix_cfg_reg *tbl, size_t n, int want)
{
    int rc;

    memcpy(snap, mem, rc_len);
    rc = vmsix_cfg_regs_add(rc_model, base, tbl, n, NULL);
    if (rc != want)
        fail_msg("base %#x, %zu registers: got %d want %d", base, n, rc, want);
    assert_memory_equal(snap, mem, rc_len);
    assert_int_equal(pt_reads + pt_writes, 0);
}

/* A valid register first, then the one under test. */
static void refuse_second(const struct vmsix_cfg_reg *bad, int want)
{
    struct vmsix_cfg_reg tbl[2] = {{0x20, 4, 0xffff0000u, 0, 0, 0xff, &log_ops}, *bad};

    refuse(0x40, tbl, 2, want);
    /* and in the other order */
    tbl[1] = tbl[0];
    tbl[0] = *bad;
    refuse(0x40, tbl, 2, want);
}

static void setup_refusals(uint16_t size)
{
    rc_len = vmsix_cfg_storage_size(size);
    rc_model = new_model(mem, size);
    /* a model with some state: attributes, a field */
    assert_int_equal(vmsix_cfg_set_range(rc_model, 0x40, 0x40, VMSIX_CFG_RW), 0);
    assert_int_equal(vmsix_cfg_field_add(rc_model, 0x70, 2, &wlog_ops, NULL), 0);
}

static void test_size_and_mask_rules(void **state)
{
    struct vmsix_cfg_reg r;

    (void)state;
    setup_refusals(256);
    /* sizes other than 1, 2, 4 */
    for (unsigned size = 0; size <= 8; size++) {
        if (size == 1 || size == 2 || size == 4)
            continue;
        r = (struct vmsix_cfg_reg){0x08, (uint8_t)size, 0, 0, 0, 0, NULL};
        refuse_second(&r, -EINVAL);
        r.ops = &log_ops;
        refuse_second(&r, -EINVAL);
    }
    r = (struct vmsix_cfg_reg){0x08, 255, 0, 0, 0, 0, NULL};
    refuse_second(&r, -EINVAL);
    /* overlapping masks */
    r = (struct vmsix_cfg_reg){0x08, 4, 0x0f, 0x10, 0, 0, NULL};
    assert_int_equal(vmsix_cfg_regs_add(rc_model, 0x80, &r, 1, NULL), 0); /* disjoint: fine */
    r = (struct vmsix_cfg_reg){0x08, 4, 0x18, 0x10, 0, 0, NULL};          /* rw & rw1c */
    refuse_second(&r, -EINVAL);
    r = (struct vmsix_cfg_reg){0x08, 4, 0x10, 0, 0x10, 0, NULL}; /* rw & rsvd */
    refuse_second(&r, -EINVAL);
    r = (struct vmsix_cfg_reg){0x08, 4, 0, 0x100, 0x300, 0, NULL}; /* rw1c & rsvd */
    refuse_second(&r, -EINVAL);
    r = (struct vmsix_cfg_reg){0x08, 4, 0, 0, 0x80000000u, 0x80000000u, NULL}; /* rsvd & pt */
    refuse_second(&r, -EINVAL);
    r = (struct vmsix_cfg_reg){0x08, 4, 0, 0, 0x1, 0x1, &log_ops}; /* also with handlers */
    refuse_second(&r, -EINVAL);
    /* pt with rw, rw1c or alone is fine */
    r = (struct vmsix_cfg_reg){0x08, 4, 0x1, 0x2, 0x4, 0xb, NULL};
    assert_int_equal(vmsix_cfg_regs_add(rc_model, 0x80, &r, 1, NULL), 0);
    /* mask bits outside the register's size, each mask: refused; the top
     * bit inside it: accepted */
    for (unsigned size = 1; size <= 2; size++)
        for (unsigned m = 0; m < 4; m++) {
            r = (struct vmsix_cfg_reg){0x08, (uint8_t)size, 0, 0, 0, 0, NULL};
            uint32_t *mask = m == 0 ? &r.rw : m == 1 ? &r.rw1c : m == 2 ? &r.rsvd : &r.pt;
            *mask = 1u << (8 * size);
            refuse_second(&r, -EINVAL);
            *mask = 0x80000000u;
            refuse_second(&r, -EINVAL);
            *mask = 1u << (8 * size - 1);
            assert_int_equal(vmsix_cfg_regs_add(rc_model, 0x80, &r, 1, NULL), 0);
        }
    /* NULL model, NULL table, a model that no init made */
    r = (struct vmsix_cfg_reg){0x08, 4, 0, 0, 0, 0, NULL};
    assert_int_equal(vmsix_cfg_regs_add(NULL, 0x40, &r, 1, NULL), -EINVAL);
    refuse(0x40, NULL, 1, -EINVAL);
    refuse(0x40, NULL, 0, -EINVAL);
    memset(mem2, 0, sizeof(mem2));
    assert_int_equal(vmsix_cfg_regs_add((struct vmsix_cfg *)(void *)mem2, 0x40, &r, 1, NULL),
                     -EINVAL);
    for (size_t i = 0; i < sizeof(mem2); i++)
        assert_int_equal(mem2[i], 0);
}

static void test_place_rules(void **state)
{
    struct vmsix_cfg_reg r, tbl[3];

    (void)state;
    setup_refusals(256);
    /* outside the model: the end, the extended space of a 256-byte model,
     * and base + off past 0xffff (no wrap to the start) */
    r = (struct vmsix_cfg_reg){0xbe, 4, 0, 0, 0, 0, NULL};
    refuse_second(&r, -EINVAL); /* 0x40 + 0xbe + 4 = 0x102 */
    r.size = 2;
    assert_int_equal(vmsix_cfg_regs_add(rc_model, 0x40, &r, 1, NULL), 0); /* ends at 0x100 */
    r = (struct vmsix_cfg_reg){0xc0, 1, 0, 0, 0, 0, NULL};
    refuse_second(&r, -EINVAL);
    r = (struct vmsix_cfg_reg){0xffff, 1, 0xff, 0, 0, 0, NULL};
    refuse(0x41, &r, 1, -EINVAL); /* 0x41 + 0xffff wraps to 0x40 in 16 bits */
    refuse(0xffff, &r, 1, -EINVAL);
    r.off = 0x10;
    refuse(0xfff8, &r, 1, -EINVAL);
    r.off = 0xfff8;
    refuse(0x10, &r, 1, -EINVAL);
    /* a 4096-byte model has the extended space, to its end */
    setup_refusals(4096);
    r = (struct vmsix_cfg_reg){0xefc, 4, 0xffffffff, 0, 0, 0, &log_ops};
    assert_int_equal(vmsix_cfg_regs_add(rc_model, 0x100, &r, 1, NULL), 0);
    r.off = 0xefd;
    r.ops = NULL;
    refuse(0x100, &r, 1, -EINVAL);

    /* a field (ops set) must lie inside one dword; without ops a register
     * is a byte range and may cross */
    setup_refusals(256);
    static const uint8_t cross[][2] = {{0x02, 4}, {0x01, 4}, {0x03, 2}, {0x03, 4}};
    for (unsigned k = 0; k < 4; k++) {
        r = (struct vmsix_cfg_reg){cross[k][0], cross[k][1], 0x1, 0, 0, 0, &log_ops};
        refuse_second(&r, -EINVAL);
        r.ops = NULL; /* the same register without handlers: accepted */
        assert_int_equal(vmsix_cfg_regs_add(rc_model, 0x90, &r, 1, NULL), 0);
    }
    r = (struct vmsix_cfg_reg){0x01, 2, 0x1, 0, 0, 0, &log_ops}; /* inside: fine */
    assert_int_equal(vmsix_cfg_regs_add(rc_model, 0xa0, &r, 1, NULL), 0);
    /* the dword is the model's, not the base's: base 0x42 + off 0 + 4 crosses */
    r = (struct vmsix_cfg_reg){0x00, 4, 0x1, 0, 0, 0, &log_ops};
    refuse(0x42, &r, 1, -EINVAL);

    /* two registers of one table that overlap, by one byte or wholly, in
     * either order, with or without handlers */
    tbl[0] = (struct vmsix_cfg_reg){0x00, 4, 0, 0, 0, 0, NULL};
    tbl[1] = (struct vmsix_cfg_reg){0x08, 1, 0, 0, 0, 0, NULL};
    tbl[2] = (struct vmsix_cfg_reg){0x03, 2, 0, 0, 0, 0, NULL};
    refuse(0x40, tbl, 3, -EINVAL);
    tbl[2] = (struct vmsix_cfg_reg){0x00, 4, 0, 0, 0, 0, NULL};
    refuse(0x40, tbl, 3, -EINVAL);
    tbl[2] = (struct vmsix_cfg_reg){0x02, 1, 0, 0, 0, 0, &log_ops};
    refuse(0x40, tbl, 3, -EINVAL);
    tbl[0] = (struct vmsix_cfg_reg){0x08, 1, 0, 0, 0, 0, NULL};
    tbl[1] = (struct vmsix_cfg_reg){0x10, 1, 0, 0, 0, 0, NULL};
    tbl[2] = (struct vmsix_cfg_reg){0x06, 4, 0, 0, 0, 0, NULL}; /* reaches 0x08 */
    refuse(0x40, tbl, 3, -EINVAL);
    tbl[2].size = 2; /* 0x06..0x07: adjacent, fine */
    assert_int_equal(vmsix_cfg_regs_add(rc_model, 0x40, tbl, 3, NULL), 0);
}

static void test_ops_rules(void **state)
{
    struct vmsix_cfg_field_ops small = log_ops;
    struct {
        struct vmsix_cfg_field_ops v1;
        int (*later)(void *ctx, uint16_t off, unsigned len, uint32_t *val);
    } next = {log_ops, NULL};
    struct vmsix_cfg_reg r;

    (void)state;
    setup_refusals(256);
    /* the size rule of struct vmsix_cfg_field_ops */
    small.size = VMSIX_CFG_FIELD_OPS_SIZE_V1 - 1;
    r = (struct vmsix_cfg_reg){0x08, 2, 0xffff, 0, 0, 0, &small};
    refuse_second(&r, -EINVAL);
    small.size = 0;
    refuse_second(&r, -EINVAL);
    next.v1.size = sizeof(next);
    next.later = f_read;
    r.ops = &next.v1;
    refuse_second(&r, -ENOTSUP);
    next.later = NULL; /* a larger struct with a zero tail: accepted, used */
    assert_int_equal(vmsix_cfg_regs_add(rc_model, 0x40, &r, 1, NULL), 0);
    nfcalls = 0;
    assert_int_equal(vmsix_cfg_write(rc_model, 0x48, 2, 0x1234), 0);
    assert_int_equal(nfcalls, 1);
    assert_int_equal(fcalls[0].val, 0x1234);
}

static void test_busy_and_nospc(void **state)
{
    struct vmsix_cfg_reg r, tbl[2];

    (void)state;
    setup_refusals(256); /* a field at 0x70..0x71 */
    /* a register with ops over an existing field, by one byte */
    r = (struct vmsix_cfg_reg){0x31, 1, 0xff, 0, 0, 0, &log_ops};
    refuse_second(&r, -EBUSY);
    r = (struct vmsix_cfg_reg){0x30, 4, 0xff, 0, 0, 0, &log_ops};
    refuse_second(&r, -EBUSY);
    /* without ops it only sets the attributes; the field stays */
    r.ops = NULL;
    assert_int_equal(vmsix_cfg_regs_add(rc_model, 0x40, &r, 1, NULL), 0);
    nfcalls = 0;
    assert_int_equal(vmsix_cfg_write(rc_model, 0x70, 1, 0xff), 0);
    assert_int_equal(nfcalls, 1);
    assert_ptr_equal(fcalls[0].ctx, NULL);
    assert_int_equal(fcalls[0].val, 0xff); /* RW from the register, the high byte RO */

    /* not enough free fields: one short, for a table of two */
    setup_refusals(256);
    for (unsigned k = 1; k < VMSIX_CFG_MAX_FIELDS - 1; k++)
        assert_int_equal(
            vmsix_cfg_field_add(rc_model, (uint16_t)(0x80 + 4 * (k - 1)), 1, &wlog_ops, NULL), 0);
    /* VMSIX_CFG_MAX_FIELDS - 1 used, one free */
    tbl[0] = (struct vmsix_cfg_reg){0x00, 2, 0xffff, 0, 0, 0, &log_ops};
    tbl[1] = (struct vmsix_cfg_reg){0x04, 2, 0xffff, 0, 0, 0, &log_ops};
    refuse(0x40, tbl, 2, -ENOSPC);
    /* registers without ops need no field */
    tbl[1].ops = NULL;
    assert_int_equal(vmsix_cfg_regs_add(rc_model, 0x40, tbl, 2, NULL), 0);
    tbl[0].off = 0x08;
    refuse(0x40, tbl, 1, -ENOSPC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attr_matrix),         cmocka_unit_test(test_handlers),
        cmocka_unit_test(test_same_as_three_calls), cmocka_unit_test(test_size_and_mask_rules),
        cmocka_unit_test(test_place_rules),         cmocka_unit_test(test_ops_rules),
        cmocka_unit_test(test_busy_and_nospc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
