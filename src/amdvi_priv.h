/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private: what the AMD-Vi files of the core share (amdvi_irte.c, the
 * codec; amdvi_unit.c, the unit, its tables and write protocol, and the
 * reference decoder; backend_amdvi.c, the remap backend): the unit object,
 * its init marker, and the entry bits more than one of them needs.
 */
#ifndef VMSIX_SRC_AMDVI_PRIV_H
#define VMSIX_SRC_AMDVI_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <vmsix/amdvi.h>

/* IRTE bits 7:0, both formats: RemapEn and (128-bit) GuestMode. */
#define AMDVI_REMAP_EN (1u << 0)
#define AMDVI_GUEST_MODE (1u << 7)

#define AMDVI_MAX_DEVID 65536u
#define AMDVI_UNIT_MAGIC 0x616d6475u /* "amdu": set by a successful vmsix_amdvi_unit_init() */

/* One DeviceID's table, in the unit's storage. */
struct amdvi_table {
    void *mem;                    /* NULL: the slot is free */
    uint64_t root;                /* the address the unit reads it at */
    struct vmsix_irte_pool *pool; /* the backend's index pool, or NULL */
    uint32_t devid;
    uint32_t blocks; /* blocks the remap backend holds in it */
};

struct vmsix_amdvi_unit {
    uint32_t magic; /* AMDVI_UNIT_MAGIC; first, so that nothing else is read before it */
    uint32_t nentries;
    uint32_t flags;
    uint32_t ndte;
    uint32_t max_tables;
    uint8_t order; /* log2(nentries) */
    const uint64_t *dev_table;
    uint64_t cw_addr;
    uint64_t cw_seq; /* the data of the last COMPLETION_WAIT */
    struct vmsix_amdvi_ops ops;
    void *ctx;
    struct amdvi_table tables[]; /* max_tables of them */
};

/* @u came from a successful vmsix_amdvi_unit_init() (not NULL, marker set). */
static inline bool vmsix_amdvi_unit_valid(const struct vmsix_amdvi_unit *u)
{
    return u && u->magic == AMDVI_UNIT_MAGIC;
}

/* The following are not exported (the library is built with hidden
 * visibility): the backend's ways into the unit. */

/* The table of @devid, or NULL; takes no lock (the caller holds it). */
struct amdvi_table *vmsix_amdvi_table_find(const struct vmsix_amdvi_unit *u, uint32_t devid);

/* Entry @index (< u->nentries) of table @t has RemapEn: one load. */
bool vmsix_amdvi_entry_remapped(const struct vmsix_amdvi_unit *u, const struct amdvi_table *t,
                                uint32_t index);

/* The unit's lock hooks. */
/* Can the unit replace a remapped entry in one step: a 32-bit entry (one
 * store), or a 128-bit one with an atomic 128-bit store? (amdvi_unit.c) */
bool vmsix_amdvi_unit_live_switch(const struct vmsix_amdvi_unit *u);

void vmsix_amdvi_lock(const struct vmsix_amdvi_unit *u);
void vmsix_amdvi_unlock(const struct vmsix_amdvi_unit *u);

#endif /* VMSIX_SRC_AMDVI_PRIV_H */
