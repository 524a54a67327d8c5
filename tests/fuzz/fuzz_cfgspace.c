/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz-cfgspace: a register model driven by a stream of operations, checked
 * bit by bit against a reference kept here.
 *
 * Input: bytes 0..4095 (zero-padded) are the shadow image; the device behind
 * PT bits holds the image XOR 0x5a. The rest is a stream: one byte of
 * options (bit 0: a 256-byte model), then operations (see run_op()):
 * set_attr / set_range with random bits and attributes, field_add (handlers
 * that log their calls), poke, and guest reads and writes of any offset and
 * size, including invalid ones.
 *
 * Invariants (abort() on failure):
 * - set_attr, set_range, field_add and poke succeed exactly when their
 *   arguments are valid, else fail with nothing changed;
 * - an invalid guest access returns -EINVAL (a read gives all ones), calls
 *   no hook and changes nothing (the whole model storage is compared);
 * - a write: non-PT RW bits take the written value, non-PT RW1C bits only
 *   clear (where a 1 was written), RO, RSVD and PT bits keep their shadow;
 *   no other storage byte changes; pt_write is called once exactly when the
 *   access holds PT RW/RW1C bits, with exactly those bits as the mask (so
 *   emulated bits never reach it), pt_read never; the write handler of each
 *   field the access touches, and no other, is called in offset order with
 *   the field's shadow before and after;
 * - a read (also done after every write): RSVD bits read 0, PT bits the
 *   device, others the shadow; pt_read once exactly when the access holds
 *   PT bits; the read handler of each touched field, and only those;
 * - offsets past a 256-byte model read 0 and ignore writes, no hooks;
 * - at the end, peek returns the reference shadow for every byte.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vmsix/cfgspace.h>

#include "cfg_ref.h"
#include "oracle.h"
#include "fuzz_check.h"

#define MAX_OPS 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- the reference ---- */
static unsigned msz;         /* model size, 256 or 4096 */
static uint8_t shadow[4096]; /* raw shadow as stored */
static uint8_t hw[4096];     /* the physical device */
static uint8_t cls[4096][8]; /* C_* per bit */
static bool ptb[4096][8];    /* pass-through per bit */
static struct {
    uint16_t off;
    unsigned len;
} fld[VMSIX_CFG_MAX_FIELDS];
static unsigned nfld;

/* ---- hook and handler log ---- */
enum { K_PT_READ, K_PT_WRITE, K_F_READ, K_F_WRITE };
struct call {
    int kind;
    uint16_t off;
    unsigned len;
    uint32_t a, b;
};
#define MAX_CALLS 16
static struct call calls[MAX_CALLS];
static unsigned ncalls;

static void log_call(int kind, uint16_t off, unsigned len, uint32_t a, uint32_t b)
{
    if (ncalls < MAX_CALLS)
        calls[ncalls] = (struct call){kind, off, len, a, b};
    ncalls++;
}

static int pt_read(void *ctx, uint16_t off, unsigned size, uint32_t *val)
{
    uint32_t v = 0;

    (void)ctx;
    CHECK(size == 1 || size == 2 || size == 4);
    CHECK(off % size == 0 && off + size <= msz); /* naturally aligned, always */
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)hw[off + i] << (8 * i);
    *val = v;
    log_call(K_PT_READ, off, size, 0, 0);
    return 0;
}

static int pt_write(void *ctx, uint16_t off, unsigned size, uint32_t val, uint32_t mask)
{
    (void)ctx;
    CHECK(size == 1 || size == 2 || size == 4);
    CHECK(off % size == 0 && off + size <= msz); /* naturally aligned, always */
    log_call(K_PT_WRITE, off, size, val, mask);
    return 0;
}

static int f_read(void *ctx, uint16_t off, unsigned len, uint32_t *val)
{
    (void)ctx;
    log_call(K_F_READ, off, len, *val, 0);
    *val ^= 0x5a5a5a5au & (len == 4 ? 0xffffffffu : ((1u << (8 * len)) - 1));
    return 0;
}

static int f_write(void *ctx, uint16_t off, unsigned len, uint32_t old, uint32_t val)
{
    (void)ctx;
    log_call(K_F_WRITE, off, len, old, val);
    return 0;
}

static const struct vmsix_cfg_ops hw_ops = {sizeof(struct vmsix_cfg_ops), pt_read, pt_write};
static const struct vmsix_cfg_field_ops f_ops = {sizeof(struct vmsix_cfg_field_ops), f_read,
                                                 f_write};

/* ---- the model ---- */
static struct vmsix_cfg *model;
static uint8_t *mem, *snap;
static size_t mem_len;

/* snap is kept equal to mem between operations: after each operation the
 * blocks that changed are copied (cheaper than a copy before each one) */
static VMSIX_ORACLE void take_snapshot(void)
{
    for (size_t i = 0; i < mem_len; i += 256) {
        size_t l = mem_len - i < 256 ? mem_len - i : 256;
        if (memcmp(mem + i, snap + i, l) != 0)
            memcpy(snap + i, mem + i, l);
    }
}

/* bytes of the storage that differ from the snapshot (memcmp per block) */
static VMSIX_ORACLE unsigned count_diff(void)
{
    unsigned n = 0;
    for (size_t i = 0; i < mem_len; i += 256) {
        size_t l = mem_len - i < 256 ? mem_len - i : 256;
        if (memcmp(mem + i, snap + i, l) == 0)
            continue;
        for (size_t j = i; j < i + l; j++)
            n += mem[j] != snap[j];
    }
    return n;
}

static VMSIX_ORACLE void check_unchanged(void)
{
    CHECK(memcmp(snap, mem, mem_len) == 0);
}

/* ---- input stream ---- */
static const uint8_t *in;
static size_t in_len, in_pos;

static uint8_t u8(void)
{
    return in_pos < in_len ? in[in_pos++] : 0;
}

static uint16_t u16(void)
{
    uint16_t v = u8();
    return (uint16_t)(v | (u8() << 8));
}

static uint32_t u32(void)
{
    uint32_t v = u16();
    return v | ((uint32_t)u16() << 16);
}

/* mostly a valid offset, sometimes anything */
static uint16_t rand_off(void)
{
    uint16_t v = u16();
    return (v & 0x8000) ? (uint16_t)(v & 0x7fff) * 2 + (v & 1) : (uint16_t)(v & 0xfff);
}

/* mostly 1, 2 or 4, sometimes 0..8 */
static unsigned rand_size(void)
{
    static const unsigned sz[] = {1, 2, 4};
    uint8_t s = u8();
    return (s & 0x80) ? s % 9u : sz[s % 3];
}

static unsigned rand_attr(void)
{
    static const unsigned at[] = {VMSIX_CFG_RO,
                                  VMSIX_CFG_RW,
                                  VMSIX_CFG_RW1C,
                                  VMSIX_CFG_RSVD,
                                  VMSIX_CFG_RO | VMSIX_CFG_PT,
                                  VMSIX_CFG_RW | VMSIX_CFG_PT,
                                  VMSIX_CFG_RW1C | VMSIX_CFG_PT,
                                  VMSIX_CFG_RW | VMSIX_CFG_PT,
                                  VMSIX_CFG_RW1C,
                                  VMSIX_CFG_RW};
    uint8_t a = u8();
    return (a & 0x80) ? a & 0x7fu : at[a % 10];
}

static bool attr_valid(unsigned attr)
{
    return attr <= VMSIX_CFG_RSVD || attr == (VMSIX_CFG_RO | VMSIX_CFG_PT) ||
           attr == (VMSIX_CFG_RW | VMSIX_CFG_PT) || attr == (VMSIX_CFG_RW1C | VMSIX_CFG_PT);
}

static void ref_set_bit(unsigned byte, unsigned bit, unsigned attr)
{
    cls[byte][bit] = (uint8_t)(attr & 3);
    ptb[byte][bit] = (attr & VMSIX_CFG_PT) && (attr & 3) != C_RSVD;
}

/* shadow value of bytes, RSVD bits 0, PT bits as stored */
static VMSIX_ORACLE uint32_t ref_shadow(const uint8_t *sh, unsigned off, unsigned len)
{
    return cfg_ref_shadow(cls, sh, off, len);
}

/* what the guest reads before field handlers; *pt: the access holds PT bits */
static VMSIX_ORACLE uint32_t ref_merged(unsigned off, unsigned len, bool *pt)
{
    return cfg_ref_read(cls, ptb, shadow, hw, off, len, pt);
}

static bool access_valid(uint16_t off, unsigned size)
{
    return (size == 1 || size == 2 || size == 4) && off % 4 + size <= 4 && off < 4096;
}

/* fields touched by [off, off+size), in offset order */
static unsigned touched_fields(uint16_t off, unsigned size, unsigned idx[4])
{
    unsigned n = 0;
    for (unsigned b = off; b < off + size; b++) {
        for (unsigned f = 0; f < nfld; f++) {
            if (b >= fld[f].off && b < fld[f].off + fld[f].len && (n == 0 || idx[n - 1] != f))
                idx[n++] = f;
        }
    }
    return n;
}

static void do_read(uint16_t off, unsigned size)
{
    uint32_t val = 0x12345678;
    int rc;

    take_snapshot();
    ncalls = 0;
    rc = vmsix_cfg_read(model, off, size, &val);
    check_unchanged();
    if (!access_valid(off, size)) {
        CHECK(rc == -EINVAL);
        CHECK(val == 0xffffffffu);
        CHECK(ncalls == 0);
        return;
    }
    CHECK(rc == 0);
    if (off >= msz) {
        CHECK(val == 0);
        CHECK(ncalls == 0);
        return;
    }
    bool pt = false;
    uint32_t want = ref_merged(off, size, &pt);
    unsigned idx[4], nf = touched_fields(off, size, idx), k = 0;
    struct cfg_ref_piece pc[4];
    unsigned np = cfg_ref_pieces(off, size, cfg_ref_pt_read_mask(cls, ptb, off, size), pc);
    CHECK((np != 0) == pt);
    CHECK(ncalls == np + nf);
    CHECK(ncalls <= MAX_CALLS);
    for (; k < np; k++)
        CHECK(calls[k].kind == K_PT_READ && calls[k].off == pc[k].off &&
              calls[k].len == pc[k].size);
    for (unsigned j = 0; j < nf; j++, k++) {
        unsigned f = idx[j];
        CHECK(calls[k].kind == K_F_READ);
        CHECK(calls[k].off == fld[f].off && calls[k].len == fld[f].len);
        /* the handler saw the model's value on the bytes of the access */
        for (unsigned b = fld[f].off; b < fld[f].off + fld[f].len; b++) {
            if (b < off || b >= off + size)
                continue;
            uint8_t seen = (uint8_t)(calls[k].a >> (8 * (b - fld[f].off)));
            CHECK(seen == (uint8_t)(want >> (8 * (b - off))));
        }
        for (unsigned b = fld[f].off; b < fld[f].off + fld[f].len; b++)
            if (b >= off && b < off + size)
                want ^= 0x5au << (8 * (b - off));
    }
    CHECK(val == want);
}

static void do_write(uint16_t off, unsigned size, uint32_t val)
{
    int rc;

    take_snapshot();
    ncalls = 0;
    rc = vmsix_cfg_write(model, off, size, val);
    if (!access_valid(off, size)) {
        CHECK(rc == -EINVAL);
        CHECK(ncalls == 0);
        check_unchanged();
        return;
    }
    CHECK(rc == 0);
    if (off >= msz) {
        CHECK(ncalls == 0);
        check_unchanged();
        return;
    }

    uint8_t before[4];
    uint32_t ptmask = 0;
    unsigned idx[4], nf = touched_fields(off, size, idx);
    uint32_t old[4];
    unsigned d = off & ~3u;

    for (unsigned j = 0; j < nf; j++)
        old[j] = ref_shadow(shadow, fld[idx[j]].off, fld[idx[j]].len);
    memcpy(before, &shadow[d], 4);
    ptmask = cfg_ref_write(cls, ptb, shadow, off, size, val);
    /* the dword holds the reference shadow, and no other byte of the whole
     * model storage changed (the count of changed bytes is exact) */
    unsigned changes = 0, diff = 0;
    for (unsigned b = d; b < d + 4; b++) {
        uint32_t s = 0xdead;
        CHECK(vmsix_cfg_peek(model, (uint16_t)b, 1, &s) == 0);
        CHECK(s == shadow[b]);
        changes += shadow[b] != before[b - d];
    }
    diff = count_diff();
    CHECK(diff == changes);

    unsigned k = 0;
    struct cfg_ref_piece pc[4];
    unsigned np = cfg_ref_pieces(off, size, ptmask, pc);
    CHECK(ncalls == np + nf);
    CHECK(ncalls <= MAX_CALLS);
    for (; k < np; k++) {
        CHECK(calls[k].kind == K_PT_WRITE);
        CHECK(calls[k].off == pc[k].off && calls[k].len == pc[k].size);
        CHECK(calls[k].b == pc[k].mask); /* exactly the bits written, never widened */
        CHECK((calls[k].a & pc[k].mask) == ((val >> pc[k].shift) & pc[k].mask));
    }
    for (unsigned j = 0; j < nf; j++, k++) {
        unsigned f = idx[j];
        CHECK(calls[k].kind == K_F_WRITE);
        CHECK(calls[k].off == fld[f].off && calls[k].len == fld[f].len);
        CHECK(calls[k].a == old[j]);
        CHECK(calls[k].b == ref_shadow(shadow, fld[f].off, fld[f].len));
    }
    /* read the dword back: RSVD 0, RO kept, RW1C only cleared */
    do_read((uint16_t)d, 4);
}

static void do_set_attr(void)
{
    uint16_t off = rand_off();
    unsigned size = rand_size();
    uint32_t bits = u32();
    unsigned attr = rand_attr();
    bool sz_ok = size == 1 || size == 2 || size == 4;
    uint32_t mask = size >= 4 ? 0xffffffffu : ((1u << (8 * size)) - 1);
    bool valid = sz_ok && off + size <= msz && attr_valid(attr);
    int rc;

    if (u8() & 1)
        bits &= mask;
    take_snapshot();
    rc = vmsix_cfg_set_attr(model, off, size, bits, attr);
    if (rc != 0) {
        CHECK(rc == -EINVAL);
        check_unchanged();
        /* only a questionable request may be refused */
        CHECK(!valid || (bits & ~mask) != 0 || bits == 0);
        return;
    }
    CHECK(sz_ok && off + size <= msz && (attr & ~0x13u) == 0);
    for (unsigned i = 0; i < 8 * size; i++)
        if ((bits >> i) & 1)
            ref_set_bit(off + i / 8, i % 8, attr);
}

static void do_set_range(void)
{
    uint16_t off = rand_off();
    uint16_t len = (uint16_t)(u8() % 40);
    unsigned attr = rand_attr();
    bool valid = off + len <= msz && attr_valid(attr);
    int rc;

    take_snapshot();
    rc = vmsix_cfg_set_range(model, off, len, attr);
    if (rc != 0) {
        CHECK(rc == -EINVAL);
        check_unchanged();
        CHECK(!valid || len == 0);
        return;
    }
    CHECK(off + len <= msz && (attr & ~0x13u) == 0);
    for (unsigned b = off; b < off + len; b++)
        for (unsigned bit = 0; bit < 8; bit++)
            ref_set_bit(b, bit, attr);
}

static void do_field_add(void)
{
    uint16_t off = rand_off();
    unsigned len = u8() % 6;
    bool args_ok = len >= 1 && len <= 4 && off % 4 + len <= 4 && off + len <= msz;
    bool overlap = false;
    int rc;

    for (unsigned f = 0; f < nfld; f++)
        if (off < fld[f].off + fld[f].len && fld[f].off < off + len)
            overlap = true;
    take_snapshot();
    rc = vmsix_cfg_field_add(model, off, len, &f_ops, NULL);
    if (!args_ok) {
        CHECK(rc == -EINVAL);
    } else if (overlap && nfld == VMSIX_CFG_MAX_FIELDS) {
        CHECK(rc == -EBUSY || rc == -ENOSPC);
    } else if (overlap) {
        CHECK(rc == -EBUSY);
    } else if (nfld == VMSIX_CFG_MAX_FIELDS) {
        CHECK(rc == -ENOSPC);
    } else {
        CHECK(rc == 0);
    }
    if (rc != 0) {
        check_unchanged();
        return;
    }
    fld[nfld].off = off;
    fld[nfld].len = len;
    nfld++;
}

static void do_poke(void)
{
    uint16_t off = rand_off();
    unsigned size = rand_size();
    uint32_t val = u32();
    bool valid = size >= 1 && size <= 4 && off + size <= msz;
    int rc;

    take_snapshot();
    ncalls = 0;
    rc = vmsix_cfg_poke(model, off, size, val);
    CHECK(ncalls == 0);
    if (!valid) {
        CHECK(rc == -EINVAL);
        check_unchanged();
        return;
    }
    CHECK(rc == 0);
    for (unsigned i = 0; i < size; i++)
        shadow[off + i] = (uint8_t)(val >> (8 * i));
}

static void run_op(uint8_t op)
{
    switch (op % 10) {
    case 0:
        do_set_attr();
        break;
    case 1:
        do_set_range();
        break;
    case 2:
        do_field_add();
        break;
    case 3:
        do_poke();
        break;
    case 4:
    case 5: {
        uint16_t off = rand_off();
        unsigned size = rand_size();
        do_read(off, size);
        break;
    }
    default: {
        uint16_t off = rand_off();
        unsigned size = rand_size();
        do_write(off, size, u32());
        break;
    }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);

    if (!copy)
        abort();
    if (size)
        memcpy(copy, data, size);

    memset(shadow, 0, sizeof(shadow));
    memcpy(shadow, copy, size < 4096 ? size : 4096);
    for (unsigned b = 0; b < 4096; b++)
        hw[b] = shadow[b] ^ 0x5a;
    memset(cls, C_RO, sizeof(cls));
    memset(ptb, 0, sizeof(ptb));
    nfld = 0;
    in = copy;
    in_len = size;
    in_pos = 4096;

    msz = (u8() & 1) ? 256 : 4096;
    mem_len = vmsix_cfg_storage_size((uint16_t)msz);
    CHECK(mem_len >= 5 * msz);
    mem = malloc(mem_len); /* exact size: ASan sees any access past it */
    snap = malloc(mem_len);
    if (!mem || !snap)
        abort();
    CHECK(vmsix_cfg_init(mem, mem_len, (uint16_t)msz, &hw_ops, NULL, &model) == 0);
    CHECK(vmsix_cfg_load(model, shadow, msz) == 0);
    memcpy(snap, mem, mem_len);
    if (msz < 4096)
        memset(shadow + msz, 0, 4096 - msz);

    for (unsigned n = 0; n < MAX_OPS && in_pos < in_len; n++)
        run_op(u8());

    for (unsigned b = 0; b < msz; b++) {
        uint32_t s = 0xdead;
        CHECK(vmsix_cfg_peek(model, (uint16_t)b, 1, &s) == 0);
        CHECK(s == shadow[b]);
    }
    free(mem);
    free(snap);
    free(copy);
    return 0;
}
