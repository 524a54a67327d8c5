/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vmsix/bar.h - decoding the BAR slots of untrusted configuration bytes.
 *
 * Like vmsix/capchain.h, these functions work on a caller-owned copy of a
 * function's configuration space (cfg[0..len), untrusted): they are pure
 * functions of those bytes, read nothing outside them, write nothing but
 * their outputs and call no hook. Emulating a BAR in a register model is
 * vmsix_cfg_bar_emulate() (vmsix/cfgspace.h).
 */
#ifndef VMSIX_BAR_H
#define VMSIX_BAR_H

#include <vmsix/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* BAR kinds (struct vmsix_bar.kind, vmsix_cfg_bar_emulate()). */
#define VMSIX_BAR_NONE 0u     /* unimplemented slot (reads 0) */
#define VMSIX_BAR_IO 1u       /* I/O space */
#define VMSIX_BAR_MEM32 2u    /* 32-bit memory */
#define VMSIX_BAR_MEM64 3u    /* 64-bit memory, low half */
#define VMSIX_BAR_MEM64_HI 4u /* upper half of the 64-bit BAR before it */
#define VMSIX_BAR_BAD 5u      /* reserved type bits, or a 64-bit BAR in the last slot */

/* One BAR slot as decoded from configuration bytes. */
struct vmsix_bar {
    uint8_t kind;  /* VMSIX_BAR_* */
    bool prefetch; /* memory BAR with the prefetchable bit */
    uint64_t addr; /* base address (both halves for MEM64) */
};

/**
 * vmsix_bar_count() - how many BAR slots a header type has.
 * @cfg: configuration bytes (at least 64)
 * @len: bytes in @cfg
 *
 * Calls no hook.
 * Return: 6 (type 0), 2 (type 1), 1 (type 2), 0 (others, @cfg NULL or @len < 64).
 */
VMSIX_API unsigned vmsix_bar_count(const uint8_t *cfg, size_t len);

/**
 * vmsix_bar_decode() - decode the BAR slots of configuration bytes.
 * @cfg: configuration bytes (untrusted)
 * @len: bytes in @cfg, at least 64
 * @out: receives vmsix_bar_count() entries (room for 6 is enough)
 * @n: receives the number of slots
 *
 * Calls no hook.
 * Return: 0 or -EINVAL.
 */
VMSIX_API int vmsix_bar_decode(const uint8_t *cfg, size_t len, struct vmsix_bar out[6],
                               unsigned *n);

/**
 * vmsix_bar_free_slot() - the lowest BAR slot free for an emulated BAR.
 * @cfg: configuration bytes (untrusted)
 * @len: bytes in @cfg, at least 64
 * @sized: optional: for each slot, what the register read back after the
 *         host wrote all ones to it (sizing); NULL when the host did not
 *         size (then only "reads 0" is checked)
 * @slot: receives the slot
 *
 * A slot is free when it reads 0, sizes to 0 (when @sized is given), and
 * is not the upper half of a 64-bit BAR (DESIGN 4.1 rule 7). Calls no hook.
 * Return: 0; -ENOSPC when no slot is free; -EINVAL for bad arguments.
 */
VMSIX_API int vmsix_bar_free_slot(const uint8_t *cfg, size_t len, const uint32_t *sized,
                                  unsigned *slot);

#ifdef __cplusplus
}
#endif

#endif /* VMSIX_BAR_H */
