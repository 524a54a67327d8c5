/* SPDX-License-Identifier: BSD-3-Clause */
/* Private: the layout of a table object (msix_table.c), for its storage
 * size as a constant expression, and the restore check the device uses. */
#ifndef VMSIX_SRC_MSIX_TABLE_PRIV_H
#define VMSIX_SRC_MSIX_TABLE_PRIV_H

#include <stddef.h>

#include <vmsix/msix_table.h>

/* One table entry as the guest sees it (16 bytes: the per-vector cost).
 * Its first 12 bytes are also the struct vmsix_msg that the hooks are
 * given a pointer to; Vector Control sits where that struct pads. */
union msix_entry {
    struct vmsix_msg msg; /* read only through a hook's pointer */
    struct {
        uint64_t addr; /* bits 1:0 always 0 */
        uint32_t data;
        uint32_t vctrl; /* bit 0 Mask; bits 31:1 stored as written */
    };
};

_Static_assert(sizeof(union msix_entry) == VMSIX_MSIX_ENTRY_SIZE, "an entry is 16 bytes");
_Static_assert(offsetof(union msix_entry, msg.addr) == offsetof(union msix_entry, addr) &&
                   offsetof(union msix_entry, msg.data) == offsetof(union msix_entry, data),
               "the message of an entry is where the hooks read it");

/*
 * Storage: this header, live[] (its last member, at a fixed offset for
 * fire()), the pending bits, the entries. A vector is live when it is
 * active and no call is between making it active and having reported that
 * (activated() sets the bit after its vector_update; every deactivation
 * clears it before its own): outside the hooks, live is exactly active.
 */
struct vmsix_msix {
    uint32_t magic; /* MSIX_MAGIC; first, so that nothing else is read before it */
    uint16_t nvec;
    uint16_t ctrl;       /* Message Control bits 15:14 */
    uint16_t activating; /* the vector whose activation vector_update runs, or NO_VEC */
    uint32_t flags;
    uint64_t table_off, table_len;
    uint64_t pba_off, pba_len;
    struct vmsix_msix_ops ops;
    void *ctx;
    union msix_entry *ent;
    uint64_t *pba;   /* pending bits, ceil(nvec / 64) qwords */
    uint64_t live[]; /* live bits, ceil(nvec / 64) qwords */
};

/* Bytes of a table of @nvec vectors (vmsix_msix_storage_size()), as a
 * constant expression for storage embedded in other objects: the header,
 * the live and pending bits (a qword per 64 vectors each), the entries. */
#define VMSIX_MSIX_STORAGE_SIZE(nvec)                                                              \
    (sizeof(struct vmsix_msix) + 2u * (((size_t)(nvec) + 63u) / 64u) * sizeof(uint64_t) +          \
     (size_t)(nvec) * sizeof(union msix_entry))

/* Is vector @v (< nvec) live: active, and its activation reported? A live
 * vector's vmsix_msix_fire() is exactly deliver(v, vmsix_msix_msg(m, v)):
 * the composed device's interrupt path takes that shortcut. */
static inline bool vmsix_msix_live(const struct vmsix_msix *m, size_t v)
{
    return (m->live[v / 64u] >> (v % 64u)) & 1u;
}

/* Vector @v's message, where the table keeps it. */
static inline const struct vmsix_msg *vmsix_msix_msg(const struct vmsix_msix *m, size_t v)
{
    return &m->ent[v].msg;
}

/*
 * vmsix_msix_restore_valid() - would vmsix_msix_restore(@m, @buf, @len)
 * accept the buffer? Every check restore makes before it changes
 * anything; changes nothing, calls no hook.
 */
bool vmsix_msix_restore_valid(const struct vmsix_msix *m, const void *buf, size_t len);

#endif /* VMSIX_SRC_MSIX_TABLE_PRIV_H */
