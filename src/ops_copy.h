/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private: copying a caller's hook struct that carries its own size, so
 * that hook structs can grow without breaking the ABI (docs/design.md,
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
 * Copy the hook struct at @src, whose first member is its size_t size as
 * the caller compiled it, into @dst (@dst_size bytes: this library's
 * struct). @min is the size of the struct's first public version: a
 * smaller size (or one past VMSIX_OPS_SIZE_MAX) is refused. Members the caller's struct does not
 * have are NULL (their absence keeps the older behaviour); members of a newer caller's struct that
 * this library does not know must be zero, or the copy is refused (the caller asked for a hook this
 * library cannot call). Return: 0, -EINVAL (size too small) or -ENOTSUP (an unknown hook set);
 * @dst is untouched on error.
 */
static inline int vmsix_ops_copy(void *dst, size_t dst_size, const void *src, size_t min)
{
    size_t size;
    const uint8_t *s = src;

    memcpy(&size, src, sizeof(size));
    if (size < min || size > VMSIX_OPS_SIZE_MAX)
        return -EINVAL;
    if (size > dst_size) {
        size_t i;
        for (i = dst_size; i < size; i++)
            if (s[i])
                return -ENOTSUP;
        size = dst_size;
    }
    memset(dst, 0, dst_size);
    memcpy(dst, src, size);
    return 0;
}

#endif /* VMSIX_SRC_OPS_COPY_H */
