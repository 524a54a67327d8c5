/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The virtual configuration-space register model: shadow bytes, per-bit
 * attributes, pass-through bits and field handlers (DESIGN 4.1 rules 5, 6).
 */
#include <string.h>

#include <vmsix/capchain.h>
#include <vmsix/cfgspace.h>

#include "capchain_priv.h"
#include "cfgspace_priv.h"
#include "ops_copy.h"
#include "pci_regs.h"
#include "vmsix_errno.h"

#define CFG_MAX PCI_CFG_SPACE_EXP_SIZE

size_t vmsix_cfg_storage_size(uint16_t size)
{
    if (size != PCI_CFG_SPACE_SIZE && size != CFG_MAX)
        return 0;
    return VMSIX_CFG_STORAGE_SIZE(size);
}

int vmsix_cfg_init(void *mem, size_t len, uint16_t size, const struct vmsix_cfg_ops *ops, void *ctx,
                   struct vmsix_cfg **out)
{
    struct vmsix_cfg *c = mem;
    struct vmsix_cfg_ops o;
    size_t need = vmsix_cfg_storage_size(size);
    int rc;

    if (!mem || !out || need == 0 || len < need || ((uintptr_t)mem & 7u))
        return -EINVAL;
    /* copied before the storage is written: a refused @ops leaves it as it was */
    memset(&o, 0, sizeof(o));
    if (ops && (rc = vmsix_ops_copy(&o, sizeof(o), ops, VMSIX_CFG_OPS_SIZE_V1)) != 0)
        return rc;
    memset(c, 0, need);
    c->size = size;
    c->ops = o;
    c->ctx = ctx;
    c->shadow = c->bytes;
    c->a0 = c->shadow + size;
    c->a1 = c->a0 + size;
    c->pt = c->a1 + size;
    c->fidx = c->pt + size;
    c->magic = CFG_MAGIC;
    *out = c;
    return 0;
}

int vmsix_cfg_load(struct vmsix_cfg *c, const uint8_t *img, size_t n)
{
    if (!cfg_ok(c) || !img || n > c->size)
        return -EINVAL;
    memcpy(c->shadow, img, n);
    return 0;
}

static bool attr_valid(unsigned attr)
{
    unsigned kind = attr & ~VMSIX_CFG_PT;

    if (attr & ~(VMSIX_CFG_PT | 3u))
        return false;
    return kind != VMSIX_CFG_RSVD || !(attr & VMSIX_CFG_PT);
}

static void attr_byte(struct vmsix_cfg *c, unsigned b, uint8_t m, unsigned attr)
{
    unsigned kind = attr & 3u;

    c->a0[b] = (uint8_t)((c->a0[b] & ~m) | ((kind & 1u) ? m : 0));
    c->a1[b] = (uint8_t)((c->a1[b] & ~m) | ((kind & 2u) ? m : 0));
    c->pt[b] = (uint8_t)((c->pt[b] & ~m) | ((attr & VMSIX_CFG_PT) ? m : 0));
}

int vmsix_cfg_set_attr(struct vmsix_cfg *c, uint16_t off, unsigned size, uint32_t bits,
                       unsigned attr)
{
    unsigned i;

    if (!cfg_ok(c) || (size != 1 && size != 2 && size != 4) || off + size > c->size ||
        !attr_valid(attr))
        return -EINVAL;
    for (i = 0; i < size; i++)
        attr_byte(c, off + i, (uint8_t)(bits >> (8 * i)), attr);
    return 0;
}

int vmsix_cfg_set_range(struct vmsix_cfg *c, uint16_t off, uint16_t len, unsigned attr)
{
    unsigned i;

    if (!cfg_ok(c) || (unsigned)off + len > c->size || !attr_valid(attr))
        return -EINVAL;
    for (i = 0; i < len; i++)
        attr_byte(c, off + i, 0xffu, attr);
    return 0;
}

int vmsix_cfg_poke(struct vmsix_cfg *c, uint16_t off, unsigned size, uint32_t val)
{
    unsigned i;

    if (!cfg_ok(c) || size < 1 || size > 4 || off + size > c->size)
        return -EINVAL;
    for (i = 0; i < size; i++)
        c->shadow[off + i] = (uint8_t)(val >> (8 * i));
    return 0;
}

int vmsix_cfg_peek(const struct vmsix_cfg *c, uint16_t off, unsigned size, uint32_t *val)
{
    unsigned i;
    uint32_t v = 0;

    if (!cfg_ok(c) || !val || size < 1 || size > 4 || off + size > c->size)
        return -EINVAL;
    for (i = 0; i < size; i++)
        v |= (uint32_t)c->shadow[off + i] << (8 * i);
    *val = v;
    return 0;
}

/* Some byte of @len at @off is in a field already. */
static bool field_busy(const struct vmsix_cfg *c, unsigned off, unsigned len)
{
    unsigned i;

    for (i = 0; i < len; i++)
        if (c->fidx[off + i])
            return true;
    return false;
}

/* Make a field of @len bytes at @off, checked by the caller (inside one
 * dword and the model, no overlap, a free slot). */
static void field_insert(struct vmsix_cfg *c, unsigned off, unsigned len,
                         const struct vmsix_cfg_field_ops *ops, void *ctx)
{
    struct cfg_field *f = &c->fields[c->nfields++];
    unsigned i;

    f->off = (uint16_t)off;
    f->len = (uint8_t)len;
    f->ops = ops;
    f->ctx = ctx;
    for (i = 0; i < len; i++)
        c->fidx[off + i] = c->nfields;
}

/* Field handlers are kept by pointer, not copied: only their size is checked. */
static int field_ops_check(const struct vmsix_cfg_field_ops *ops)
{
    return vmsix_ops_check(ops, sizeof(*ops), VMSIX_CFG_FIELD_OPS_SIZE_V1);
}

int vmsix_cfg_field_add(struct vmsix_cfg *c, uint16_t off, unsigned len,
                        const struct vmsix_cfg_field_ops *ops, void *ctx)
{
    int rc;

    if (!cfg_ok(c) || !ops || len < 1 || len > 4 || (off & 3u) + len > 4 || off + len > c->size)
        return -EINVAL;
    rc = field_ops_check(ops);
    if (rc)
        return rc;
    if (field_busy(c, off, len))
        return -EBUSY;
    if (c->nfields >= VMSIX_CFG_MAX_FIELDS)
        return -ENOSPC;
    field_insert(c, off, len, ops, ctx);
    return 0;
}

/* Where a table register is: in 32 bits, so that base + off past 0xffff is
 * outside the model rather than wrapped back into it. */
static uint32_t reg_off(uint16_t base, const struct vmsix_cfg_reg *r)
{
    return (uint32_t)base + r->off;
}

/* The checks of one table register that need nothing but it and the model:
 * size, masks, place; its handlers' size. */
static int reg_check(const struct vmsix_cfg *c, uint16_t base, const struct vmsix_cfg_reg *r)
{
    uint32_t off = reg_off(base, r);
    uint32_t all;

    if (r->size != 1 && r->size != 2 && r->size != 4)
        return -EINVAL;
    all = (uint32_t)(((uint64_t)1 << (8u * r->size)) - 1u);
    if ((r->rw | r->rw1c | r->rsvd | r->pt) & ~all)
        return -EINVAL;
    if ((r->rw & r->rw1c) || (r->rsvd & (r->rw | r->rw1c | r->pt)))
        return -EINVAL;
    if (off + r->size > c->size)
        return -EINVAL;
    if (!r->ops)
        return 0;
    if ((off & 3u) + r->size > 4) /* a field lies inside one dword */
        return -EINVAL;
    return field_ops_check(r->ops);
}

int vmsix_cfg_regs_add(struct vmsix_cfg *c, uint16_t base, const struct vmsix_cfg_reg *regs,
                       size_t n, void *ctx)
{
    uint8_t seen[CFG_MAX / 8]; /* bytes declared by the table so far */
    unsigned nops = 0;
    size_t k;
    int rc;

    if (!cfg_ok(c) || !regs)
        return -EINVAL;
    /* Registers that do not overlap are at least a byte each: more than
     * the model holds overlap, and the checks below stay O(size). */
    if (n > c->size)
        return -EINVAL;
    memset(seen, 0, sizeof(seen));
    for (k = 0; k < n; k++) {
        const struct vmsix_cfg_reg *r = &regs[k];
        unsigned i, off = reg_off(base, r);

        rc = reg_check(c, base, r);
        if (rc)
            return rc;
        for (i = off; i < off + r->size; i++) {
            if (seen[i / 8] & (1u << (i % 8)))
                return -EINVAL;
            seen[i / 8] |= (uint8_t)(1u << (i % 8));
        }
    }
    for (k = 0; k < n; k++) {
        if (!regs[k].ops)
            continue;
        if (field_busy(c, reg_off(base, &regs[k]), regs[k].size))
            return -EBUSY;
        nops++;
    }
    if (c->nfields + nops > VMSIX_CFG_MAX_FIELDS)
        return -ENOSPC;

    /* Everything checked: nothing below fails. */
    for (k = 0; k < n; k++) {
        const struct vmsix_cfg_reg *r = &regs[k];
        unsigned i, off = reg_off(base, r);

        for (i = 0; i < r->size; i++) {
            unsigned b = off + i, sh = 8 * i;

            /* every bit of the register gets its attribute: RO unless a mask says */
            attr_byte(c, b, 0xffu, VMSIX_CFG_RO);
            attr_byte(c, b, (uint8_t)(r->rw >> sh), VMSIX_CFG_RW);
            attr_byte(c, b, (uint8_t)(r->rw1c >> sh), VMSIX_CFG_RW1C);
            attr_byte(c, b, (uint8_t)(r->rsvd >> sh), VMSIX_CFG_RSVD);
            c->pt[b] = (uint8_t)(r->pt >> sh);
        }
        if (r->ops)
            field_insert(c, off, r->size, r->ops, ctx);
    }
    return 0;
}

static bool access_valid(uint16_t off, unsigned size)
{
    if (size != 1 && size != 2 && size != 4)
        return false;
    return off < CFG_MAX && (off & 3u) + size <= 4;
}

/* The fields an access touches, in offset order; returns how many (<= 4). */
static unsigned fields_touched(const struct vmsix_cfg *c, unsigned off, unsigned size,
                               struct cfg_field *out[4])
{
    unsigned i, n = 0, last = 0;

    for (i = 0; i < size; i++) {
        unsigned idx = c->fidx[off + i];
        if (idx && idx != last)
            out[n++] = (struct cfg_field *)&c->fields[idx - 1];
        last = idx;
    }
    return n;
}

/* @dst holds @dlen bytes starting at offset @doff, @src @slen bytes from
 * @soff: return @dst with the bytes that both cover taken from @src. */
static uint32_t overlay(uint32_t dst, unsigned doff, unsigned dlen, uint32_t src, unsigned soff,
                        unsigned slen)
{
    unsigned b;

    for (b = doff; b < doff + dlen; b++) {
        if (b >= soff && b < soff + slen) {
            unsigned ds = 8 * (b - doff), ss = 8 * (b - soff);
            dst = (dst & ~(0xffu << ds)) | (((src >> ss) & 0xffu) << ds);
        }
    }
    return dst;
}

/* The bits of a piece of @n bytes, from bit 0. */
static uint32_t bytes_mask(unsigned n)
{
    return n == 4 ? 0xffffffffu : (1u << (8u * n)) - 1u;
}

/* The hooks get naturally aligned accesses only (a physical accessor such
 * as Linux's pci_read_config_word, or a readw of ECAM on arm64, refuses or
 * faults on anything else): the one guest access that is not, 2 bytes at an
 * odd offset (byte enables 0110), reaches them as its two bytes. Pieces
 * without pass-through bits are not passed through. */
static unsigned pt_piece(uint16_t off, unsigned size)
{
    return (off & (size - 1u)) ? 1u : size;
}

/* Read the pass-through bits @ptm of the access in aligned pieces. */
static int pt_read_pieces(struct vmsix_cfg *c, uint16_t off, unsigned size, uint32_t ptm,
                          uint32_t *hw)
{
    unsigned piece = pt_piece(off, size), i;

    *hw = 0;
    for (i = 0; i < size; i += piece) {
        uint32_t v = 0;
        int rc;

        if (!((ptm >> (8u * i)) & bytes_mask(piece)))
            continue;
        rc = c->ops.pt_read ? c->ops.pt_read(c->ctx, (uint16_t)(off + i), piece, &v) : -EIO;
        if (rc)
            return rc < 0 ? rc : -EIO;
        *hw |= (v & bytes_mask(piece)) << (8u * i);
    }
    return 0;
}

/* Write the pass-through bits @ptm of the access in aligned pieces, each
 * with exactly its own bits in the mask (never widened over bits the
 * guest did not write). Goes on after an error; returns the first. */
static int pt_write_pieces(struct vmsix_cfg *c, uint16_t off, unsigned size, uint32_t val,
                           uint32_t ptm)
{
    unsigned piece = pt_piece(off, size), i;
    int ret = 0;

    for (i = 0; i < size; i += piece) {
        uint32_t m = (ptm >> (8u * i)) & bytes_mask(piece);
        int rc;

        if (!m)
            continue;
        rc = c->ops.pt_write
                 ? c->ops.pt_write(c->ctx, (uint16_t)(off + i), piece, (val >> (8u * i)) & m, m)
                 : -EIO;
        if (rc && !ret)
            ret = rc < 0 ? rc : -EIO;
    }
    return ret;
}

int vmsix_cfg_read(struct vmsix_cfg *c, uint16_t off, unsigned size, uint32_t *val)
{
    struct cfg_field *f[4];
    unsigned i, n;
    uint32_t v = 0, ptm = 0;

    if (!val)
        return -EINVAL;
    *val = 0xffffffffu;
    if (!cfg_ok(c) || !access_valid(off, size))
        return -EINVAL;
    if (off >= c->size) {
        *val = 0; /* a 256-byte model has no extended space */
        return 0;
    }
    for (i = 0; i < size; i++) {
        unsigned b = off + i;
        uint8_t live = (uint8_t)~cfg_rsvd(c, b);
        v |= (uint32_t)(c->shadow[b] & live & ~c->pt[b]) << (8 * i);
        ptm |= (uint32_t)(c->pt[b] & live) << (8 * i);
    }
    if (ptm) {
        uint32_t hw;
        int rc = pt_read_pieces(c, off, size, ptm, &hw);
        if (rc)
            return rc;
        v |= hw & ptm;
    }
    n = fields_touched(c, off, size, f);
    for (i = 0; i < n; i++) {
        uint32_t fv;
        int rc;

        if (!f[i]->ops->read)
            continue;
        fv = overlay(cfg_shadow_value(c, f[i]->off, f[i]->len), f[i]->off, f[i]->len, v, off, size);
        rc = f[i]->ops->read(f[i]->ctx, f[i]->off, f[i]->len, &fv);
        if (rc)
            return rc < 0 ? rc : -EIO;
        v = overlay(v, off, size, fv, f[i]->off, f[i]->len);
    }
    *val = v;
    return 0;
}

int vmsix_cfg_write(struct vmsix_cfg *c, uint16_t off, unsigned size, uint32_t val)
{
    struct cfg_field *f[4];
    uint32_t old[4], ptm = 0;
    unsigned i, n;
    int ret = 0;

    if (!cfg_ok(c) || !access_valid(off, size))
        return -EINVAL;
    if (off >= c->size)
        return 0;
    n = fields_touched(c, off, size, f);
    for (i = 0; i < n; i++)
        old[i] = cfg_shadow_value(c, f[i]->off, f[i]->len);

    for (i = 0; i < size; i++) {
        unsigned b = off + i;
        uint8_t g = (uint8_t)(val >> (8 * i));
        uint8_t rw = cfg_rw(c, b), w1c = cfg_w1c(c, b), pt = c->pt[b];
        uint8_t emu_rw = (uint8_t)(rw & ~pt), emu_w1c = (uint8_t)(w1c & ~pt);
        uint8_t s = c->shadow[b];

        s = (uint8_t)((s & ~emu_rw) | (g & emu_rw));
        s = (uint8_t)(s & ~(g & emu_w1c));
        c->shadow[b] = s;
        ptm |= (uint32_t)(pt & (rw | w1c)) << (8 * i);
    }
    if (ptm)
        ret = pt_write_pieces(c, off, size, val, ptm);
    for (i = 0; i < n; i++) {
        int rc;

        if (!f[i]->ops->write)
            continue;
        rc = f[i]->ops->write(f[i]->ctx, f[i]->off, f[i]->len, old[i],
                              cfg_shadow_value(c, f[i]->off, f[i]->len));
        if (rc && ret == 0)
            ret = rc < 0 ? rc : -EIO;
    }
    return ret;
}

/* A capability's ID and next bytes (standard) or its whole header
 * (extended) become read-only and emulated; the shadow is kept. */
static void protect_header(struct vmsix_cfg *c, const struct vmsix_cap *cap)
{
    unsigned b, hdr = cap->ext ? PCI_EXT_CAP_HDR_LEN : PCI_CAP_HDR_LEN;

    for (b = 0; b < hdr; b++)
        attr_byte(c, cap->off + b, 0xffu, VMSIX_CFG_RO);
}

static void protect_head(struct vmsix_cfg *c)
{
    unsigned head = pci_header_cap_ptr(pci_header_type(c->shadow));

    if (head)
        attr_byte(c, head, 0xffu, VMSIX_CFG_RO);
}

int vmsix_cfg_protect_caps(struct vmsix_cfg *c, const struct vmsix_capchain *chain)
{
    unsigned i;

    if (!cfg_ok(c) || !chain || chain->n > VMSIX_CAPCHAIN_MAX)
        return -EINVAL;
    for (i = 0; i < chain->n; i++) {
        const struct vmsix_cap *cap = &chain->cap[i];
        if (cap->off + (cap->ext ? PCI_EXT_CAP_HDR_LEN : PCI_CAP_HDR_LEN) > c->size)
            return -EINVAL;
    }
    protect_head(c);
    for (i = 0; i < chain->n; i++)
        protect_header(c, &chain->cap[i]);
    return 0;
}

static void protect_visit(void *arg, const struct vmsix_cap *cap)
{
    protect_header(arg, cap);
}

void vmsix_cfg_protect_shadow_chain(struct vmsix_cfg *c, size_t len)
{
    protect_head(c);
    (void)vmsix_capchain_walk(c->shadow, len < c->size ? len : c->size, protect_visit, c);
}
