/* SPDX-License-Identifier: BSD-3-Clause */
/* Private: the layout of a configuration-space model (cfgspace.c, cfgbar.c),
 * its storage size as a constant expression, and protecting the chain in
 * its own shadow (for the device). */
#ifndef VMSIX_SRC_CFGSPACE_PRIV_H
#define VMSIX_SRC_CFGSPACE_PRIV_H

#include <stdbool.h>

#include <vmsix/cfgspace.h>

#define CFG_MAGIC 0x76636667u /* "vcfg": set last by a successful vmsix_cfg_init() */

struct cfg_field {
    uint16_t off;
    uint8_t len;
    const struct vmsix_cfg_field_ops *ops;
    void *ctx;
};

struct cfg_bar {
    uint8_t kind; /* VMSIX_BAR_NONE when not emulated */
    vmsix_bar_moved_fn moved;
    void *ctx;
};

/*
 * Per configuration byte: the shadow value, two attribute planes (per bit:
 * a0 a1 = 00 RO, 10 RW, 01 RW1C, 11 RSVD, with a0 in the low plane), the
 * pass-through bits, and the index + 1 of the field holding the byte.
 */
struct vmsix_cfg {
    uint32_t magic; /* CFG_MAGIC; first, so that nothing else is read before it */
    uint16_t size;
    uint8_t nfields;
    struct vmsix_cfg_ops ops;
    void *ctx;
    struct cfg_field fields[VMSIX_CFG_MAX_FIELDS];
    struct cfg_bar bars[6];
    uint8_t *shadow;
    uint8_t *a0;
    uint8_t *a1;
    uint8_t *pt;
    uint8_t *fidx;
    uint8_t bytes[]; /* 5 planes of size bytes */
};

/* Bytes of a model of @size configuration bytes (vmsix_cfg_storage_size()),
 * as a constant expression for storage embedded in other objects. */
#define VMSIX_CFG_STORAGE_SIZE(size) (sizeof(struct vmsix_cfg) + 5u * (size_t)(size))

/*
 * vmsix_cfg_protect_shadow_chain() - vmsix_cfg_protect_caps() for the
 * chain in the model's own shadow bytes [0, @len), walked once, without a
 * struct vmsix_capchain. Calls no hook.
 */
void vmsix_cfg_protect_shadow_chain(struct vmsix_cfg *c, size_t len);

/* @c came from a successful vmsix_cfg_init(). */
static inline bool cfg_ok(const struct vmsix_cfg *c)
{
    return c && c->magic == CFG_MAGIC;
}

static inline uint8_t cfg_rw(const struct vmsix_cfg *c, unsigned b)
{
    return (uint8_t)(c->a0[b] & ~c->a1[b]);
}

static inline uint8_t cfg_w1c(const struct vmsix_cfg *c, unsigned b)
{
    return (uint8_t)(c->a1[b] & ~c->a0[b]);
}

static inline uint8_t cfg_rsvd(const struct vmsix_cfg *c, unsigned b)
{
    return (uint8_t)(c->a0[b] & c->a1[b]);
}

/* Shadow value of @n (1..4) bytes at @off, reserved bits read as 0. */
static inline uint32_t cfg_shadow_value(const struct vmsix_cfg *c, unsigned off, unsigned n)
{
    uint32_t v = 0;
    unsigned i;

    for (i = 0; i < n; i++)
        v |= (uint32_t)(c->shadow[off + i] & ~cfg_rsvd(c, off + i)) << (8 * i);
    return v;
}

#endif /* VMSIX_SRC_CFGSPACE_PRIV_H */
