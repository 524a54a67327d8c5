/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private: copying or checking a caller's hook struct that carries its own
 * size, so that hook structs can grow without breaking the ABI (docs/design.md,
 * "Hook structs grow at the end").
 */
#ifndef VMSIX_SRC_OPS_COPY_H
#define VMSIX_SRC_OPS_COPY_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vmsix_errno.h"

/* A size past this is no hook struct but garbage: nothing is read there. */
#define VMSIX_OPS_SIZE_MAX 1024u

/*
 * Check the hook struct at @src, whose first member is its size_t size as
 * the caller compiled it, against this library's struct of @lib_size bytes,
 * without copying it (for hook structs the library keeps by pointer). @min
 * is the size of the struct's first public version: a smaller size (or one
 * past VMSIX_OPS_SIZE_MAX) is refused. Members of a newer caller's struct
 * that this library does not know must be zero, or the struct is refused
 * (the caller asked for a hook this library cannot call). A caller's struct
 * smaller than @lib_size is accepted: its missing members must then be read
 * as NULL, never from the caller's memory (the user of the pointer checks
 * the size before reading a member past @min).
 * Return: 0, -EINVAL (size too small or too large) or -ENOTSUP (an unknown
 * hook set).
 */
static inline int vmsix_ops_check(const void *src, size_t lib_size, size_t min)
{
    size_t size, i;
    const uint8_t *s = src;

    memcpy(&size, src, sizeof(size));
    if (size < min || size > VMSIX_OPS_SIZE_MAX)
        return -EINVAL;
    for (i = lib_size; i < size; i++)
        if (s[i])
            return -ENOTSUP;
    return 0;
}

/*
 * Copy the hook struct at @src, checked as vmsix_ops_check() does, into
 * @dst (@dst_size bytes: this library's struct). Members the caller's
 * struct does not have are NULL (their absence keeps the older behaviour).
 * Return: 0, -EINVAL (size too small or too large) or -ENOTSUP (an unknown
 * hook set); @dst is untouched on error.
 */
static inline int vmsix_ops_copy(void *dst, size_t dst_size, const void *src, size_t min)
{
    size_t size;
    int rc = vmsix_ops_check(src, dst_size, min);

    if (rc)
        return rc;
    memcpy(&size, src, sizeof(size));
    memset(dst, 0, dst_size);
    memcpy(dst, src, size < dst_size ? size : dst_size);
    return 0;
}

#endif /* VMSIX_SRC_OPS_COPY_H */
