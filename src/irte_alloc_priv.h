/* SPDX-License-Identifier: BSD-3-Clause */
/* Private: what other modules of the core may ask of an irte_alloc pool. */
#ifndef VMSIX_SRC_IRTE_ALLOC_PRIV_H
#define VMSIX_SRC_IRTE_ALLOC_PRIV_H

#include <stdbool.h>

#include <vmsix/irte_alloc.h>

/* @p came from a successful vmsix_irte_pool_init() (not NULL, marker set).
 * Not exported: the library is built with hidden visibility. */
bool vmsix_irte_pool_valid(const struct vmsix_irte_pool *p);

#endif
