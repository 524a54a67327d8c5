/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private: what the VT-d files of the core share (vtd_irte.c, the codec;
 * vtd_unit.c, the unit and its write protocol; backend_vtd.c, the remap
 * backend): the unit object, its init marker and the IRTE and MSI bit names
 * more than one of them needs.
 */
#ifndef VMSIX_SRC_VTD_PRIV_H
#define VMSIX_SRC_VTD_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <vmsix/vtd.h>

/* IRTE low qword (bits 63:0), both formats. */
#define LO_P (1ull << 0)   /* Present */
#define LO_IM (1ull << 15) /* IRTE Mode: posted format */

/* Remappable-format MSI address (DESIGN 4.4). */
#define MSI_BASE 0xfee00000u      /* the interrupt range, bits 31:20 = 0xFEE */
#define MSI_BASE_MASK 0xfff00000u /* bits 31:20 */
#define MSI_REMAPPABLE (1u << 4)  /* Interrupt Format: remappable */
#define MSI_SHV (1u << 3)         /* SubHandle Valid: data[15:0] is added */
#define MSI_H15 (1u << 2)         /* handle bit 15 */
#define MSI_HANDLE_SHIFT 5        /* bits 19:5 = handle bits 14:0 */
#define MSI_HANDLE_LOW 0x7fffu    /* the handle bits in 19:5 */
#define MSI_HANDLE_15 0x8000u     /* the handle bit in address bit 2 */

#define UNIT_MAGIC 0x76746475u /* "vtdu": set by a successful vmsix_vtd_unit_init() */

struct vmsix_vtd_unit {
    uint32_t magic; /* UNIT_MAGIC; first, so that nothing else is read before it */
    uint32_t nentries;
    uint32_t flags;
    uint8_t mhmv;
    uint8_t order; /* log2(nentries) */
    uint64_t *table;
    struct vmsix_vtd_ops ops;
    void *ctx;
    /* remap backend (backend_vtd.c) */
    struct vmsix_irte_pool *pool;
    uint32_t remap_flags;
};

/* @u came from a successful vmsix_vtd_unit_init() (not NULL, marker set). */
static inline bool vmsix_vtd_unit_valid(const struct vmsix_vtd_unit *u)
{
    return u && u->magic == UNIT_MAGIC;
}

/* Entry @index (< u->nentries) of a valid unit is present: one 64-bit
 * load of its low qword. Not exported: the library is built with hidden
 * visibility. */
/* Can the unit replace a present entry in one atomic 128-bit store (the
 * store128 hook, or cmpxchg16b)? (vtd_unit.c) */
bool vmsix_vtd_unit_live_switch(const struct vmsix_vtd_unit *u);

bool vmsix_vtd_entry_present(const struct vmsix_vtd_unit *u, uint32_t index);

#endif /* VMSIX_SRC_VTD_PRIV_H */
