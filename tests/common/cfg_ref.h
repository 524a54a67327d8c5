/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-bit reference of a configuration-space register model, shared by
 * the tests that check vmsix_cfg_read/write against it (unit tests and
 * fuzz-cfgspace). The test keeps, per byte, each bit's class (C_RO, C_RW,
 * C_W1C, C_RSVD) and pass-through flag, the shadow bytes and the bytes of
 * the function behind the pass-through bits; the functions here say what
 * the model must do with them, from the rules of vmsix/cfgspace.h.
 */
#ifndef VMSIX_TESTS_CFG_REF_H
#define VMSIX_TESTS_CFG_REF_H

#include <stdbool.h>
#include <stdint.h>

#include "oracle.h"

enum { C_RO, C_RW, C_W1C, C_RSVD };

/* The shadow value of @len bytes at @off in @sh, reserved bits 0 (what a
 * field handler sees). */
static inline VMSIX_ORACLE uint32_t cfg_ref_shadow(uint8_t (*cls)[8], const uint8_t *sh,
                                                   unsigned off, unsigned len)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < len; i++)
        for (unsigned bit = 0; bit < 8; bit++)
            if (cls[off + i][bit] != C_RSVD && ((sh[off + i] >> bit) & 1))
                v |= 1u << (8 * i + bit);
    return v;
}

/* What a guest reads of @len bytes at @off before field handlers: reserved
 * bits 0, pass-through bits from @hw, the others from @sh. Sets *@pt_used
 * when the access holds pass-through bits (leaves it alone otherwise). */
static inline VMSIX_ORACLE uint32_t cfg_ref_read(uint8_t (*cls)[8], bool (*pt)[8],
                                                 const uint8_t *sh, const uint8_t *hw,
                                                 unsigned off, unsigned len, bool *pt_used)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < len; i++) {
        for (unsigned bit = 0; bit < 8; bit++) {
            unsigned b = off + i, src;
            if (cls[b][bit] == C_RSVD)
                continue;
            if (pt[b][bit]) {
                *pt_used = true;
                src = (hw[b] >> bit) & 1;
            } else {
                src = (sh[b] >> bit) & 1;
            }
            v |= src << (8 * i + bit);
        }
    }
    return v;
}

/* A guest write of @val to @size bytes at @off, applied to the shadow @sh:
 * emulated RW bits take the written value, emulated RW1C bits clear where a
 * 1 is written, RO, RSVD and pass-through bits keep their shadow. Return:
 * the mask pt_write must get (the pass-through RW and RW1C bits), 0 when it
 * must not be called. */
static inline VMSIX_ORACLE uint32_t cfg_ref_write(uint8_t (*cls)[8], bool (*pt)[8], uint8_t *sh,
                                                  unsigned off, unsigned size, uint32_t val)
{
    uint32_t ptmask = 0;
    for (unsigned i = 0; i < size; i++) {
        unsigned b = off + i;
        for (unsigned bit = 0; bit < 8; bit++) {
            unsigned g = (val >> (8 * i + bit)) & 1;
            uint8_t c = cls[b][bit];
            if (pt[b][bit]) {
                if (c == C_RW || c == C_W1C)
                    ptmask |= 1u << (8 * i + bit);
                continue;
            }
            if (c == C_RW)
                sh[b] = (uint8_t)((sh[b] & ~(1u << bit)) | (g << bit));
            else if (c == C_W1C && g)
                sh[b] &= (uint8_t) ~(1u << bit);
        }
    }
    return ptmask;
}

/* The pass-through bits a read of @len bytes at @off asks the hook for:
 * pass-through and not reserved. */
static inline VMSIX_ORACLE uint32_t cfg_ref_pt_read_mask(uint8_t (*cls)[8], bool (*pt)[8],
                                                         unsigned off, unsigned len)
{
    uint32_t m = 0;
    for (unsigned i = 0; i < len; i++)
        for (unsigned bit = 0; bit < 8; bit++)
            if (pt[off + i][bit] && cls[off + i][bit] != C_RSVD)
                m |= 1u << (8 * i + bit);
    return m;
}

/* One hook call the model must make for an access: the hooks get only
 * naturally aligned accesses (vmsix/cfgspace.h), so a 2-byte access at an
 * odd offset reaches them as its two bytes, and a piece with no
 * pass-through bit is not passed through at all. */
struct cfg_ref_piece {
    unsigned off, size; /* the piece */
    unsigned shift;     /* its bits in the access's value: >> shift */
    uint32_t mask;      /* its pass-through bits, from bit 0 */
};

/* The pieces of an access of @size bytes at @off whose pass-through @mask
 * (bits of the access) is not zero; returns how many (at most 2). */
static inline VMSIX_ORACLE unsigned cfg_ref_pieces(unsigned off, unsigned size, uint32_t mask,
                                                   struct cfg_ref_piece out[4])
{
    unsigned piece = off % size ? 1u : size, n = 0;
    for (unsigned i = 0; i < size; i += piece) {
        uint32_t m = (mask >> (8 * i)) & (piece == 4 ? 0xffffffffu : (1u << (8 * piece)) - 1u);
        if (!m)
            continue;
        out[n].off = off + i;
        out[n].size = piece;
        out[n].shift = 8 * i;
        out[n].mask = m;
        n++;
    }
    return n;
}

#endif /* VMSIX_TESTS_CFG_REF_H */
