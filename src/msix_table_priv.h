/* SPDX-License-Identifier: BSD-3-Clause */
/* Private: what the core needs of msix_table.c beyond its public header. */
#ifndef VMSIX_SRC_MSIX_TABLE_PRIV_H
#define VMSIX_SRC_MSIX_TABLE_PRIV_H

#include <vmsix/msix_table.h>

/* TEMPORARY until the struct moves here: an upper bound. */
#define VMSIX_MSIX_STORAGE_SIZE(nvec) (256u + 17u * (size_t)(nvec))

/*
 * vmsix_msix_restore_valid() - would vmsix_msix_restore(@m, @buf, @len)
 * accept the buffer? Every check restore makes before it changes
 * anything; changes nothing, calls no hook.
 */
bool vmsix_msix_restore_valid(const struct vmsix_msix *m, const void *buf, size_t len);

#endif /* VMSIX_SRC_MSIX_TABLE_PRIV_H */
