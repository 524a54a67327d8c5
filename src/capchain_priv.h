/* SPDX-License-Identifier: BSD-3-Clause */
/* Private: one walk over a chain with a visitor, for core modules that need
 * every capability without a 10 KiB struct vmsix_capchain (capchain.c). */
#ifndef VMSIX_SRC_CAPCHAIN_PRIV_H
#define VMSIX_SRC_CAPCHAIN_PRIV_H

#include <vmsix/capchain.h>

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
