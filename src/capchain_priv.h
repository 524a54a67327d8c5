/* SPDX-License-Identifier: BSD-3-Clause */
/* Private: the walker that capchain.c and capchain_edit.c share, and one
 * walk over a chain with a visitor, for core modules that need every
 * capability without a 10 KiB struct vmsix_capchain. */
#ifndef VMSIX_SRC_CAPCHAIN_PRIV_H
#define VMSIX_SRC_CAPCHAIN_PRIV_H

#include <vmsix/capchain.h>

#define CAPCHAIN_CFG_MAX 4096u
#define CAPCHAIN_DWORDS (CAPCHAIN_CFG_MAX / 4u)

/* ---- the walker, shared by capchain.c (reading) and capchain_edit.c ---- */

struct walker {
    const uint8_t *cfg;
    unsigned view;  /* bytes of cfg looked at: min(len, 4096) */
    unsigned flags; /* VMSIX_CHAIN_* */
    uint16_t fault_at;
    bool pcie;
    /* bit (off / 4): a listed capability starts at off; measures unknown lengths */
    uint64_t seen[CAPCHAIN_DWORDS / 64];
    /* called for each listed capability in chain order; @link is the offset
     * of the pointer that leads to it (the head pointer, the predecessor's
     * next byte, or the predecessor's extended header; 0 for the first
     * extended capability) */
    void (*visit)(void *arg, const struct vmsix_cap *cap, unsigned link);
    void *arg;
};

/* Walk both lists of @cfg[0, @len) and call @visit per listed capability;
 * false for a bad view (NULL or shorter than 64 bytes). */
bool vmsix_capchain_walker_run(struct walker *w, const uint8_t *cfg, size_t len,
                               void (*visit)(void *, const struct vmsix_cap *, unsigned),
                               void *arg);

/* Length of a capability the walk listed (see capchain.h's length rules). */
uint16_t vmsix_capchain_cap_len(const struct walker *w, const struct vmsix_cap *cap);

/* Known length of a standard capability from its first 4 bytes; 0 when its
 * ID does not fix one. */
unsigned vmsix_capchain_std_len(const uint8_t *cap);

/* The head pointer's offset; 0 when the header type has no list. */
unsigned vmsix_capchain_std_head(const uint8_t *cfg);

/* ---- for the rest of the core ---- */

/*
 * vmsix_capchain_walk() - visit every capability parse would list, in
 * chain order (standard first), in one walk of small constant stack.
 * @cfg, @len: the view, as for vmsix_capchain_parse()
 * @visit: called per capability; cap->len is the known length of MSI,
 *         MSI-X, PM and PCI Express, 0 for every other ID (measuring those
 *         needs the whole chain)
 * @arg: passed to @visit
 *
 * Return: the VMSIX_CHAIN_* flags of the walk (0: well formed), or
 * VMSIX_CHAIN_TRUNCATED for a view shorter than 64 bytes or NULL @cfg.
 */
unsigned vmsix_capchain_walk(const uint8_t *cfg, size_t len,
                             void (*visit)(void *arg, const struct vmsix_cap *cap), void *arg);

#endif /* VMSIX_SRC_CAPCHAIN_PRIV_H */
