/* SPDX-License-Identifier: BSD-3-Clause */
/* Private: the log lines of the composed device, formatted without libc,
 * and the error plumbing of its failed steps. */
#ifndef VMSIX_SRC_LOG_H
#define VMSIX_SRC_LOG_H

#include <stddef.h>

#include <vmsix/common.h>

#include "vmsix_errno.h"

/* Where a layer's failure lines go: the host's log hook, or nowhere. */
struct vmsix_logger {
    void (*fn)(void *ctx, int level, const char *msg);
    void *ctx;
};

#define VMSIX_LOG_LINE 128u

/* Append @s to the line at *@n (truncating, always NUL-terminated). */
static inline void vmsix_log_puts(char *line, size_t *n, const char *s)
{
    while (*s && *n + 1u < VMSIX_LOG_LINE)
        line[(*n)++] = *s++;
    line[*n] = '\0';
}

/* Append the decimal value of @v. */
static inline void vmsix_log_putd(char *line, size_t *n, long v)
{
    char digits[24];
    unsigned long u = v < 0 ? 0ul - (unsigned long)v : (unsigned long)v;
    size_t i = sizeof(digits) - 1u;

    digits[i] = '\0';
    do {
        digits[--i] = (char)('0' + u % 10u);
        u /= 10u;
    } while (u && i > 1u);
    if (v < 0)
        digits[--i] = '-';
    vmsix_log_puts(line, n, digits + i);
}

/*
 * One line "vmsix: [vector V: ]<what> failed (<rc>)" at VMSIX_LOG_ERR; @vec
 * < 0 leaves the vector out. Nothing happens without a hook or for rc 0.
 */
static inline void vmsix_log_fail(const struct vmsix_logger *l, int vec, const char *what, int rc)
{
    char line[VMSIX_LOG_LINE];
    size_t n = 0;

    if (!l || !l->fn || rc == 0)
        return;
    vmsix_log_puts(line, &n, "vmsix: ");
    if (vec >= 0) {
        vmsix_log_puts(line, &n, "vector ");
        vmsix_log_putd(line, &n, vec);
        vmsix_log_puts(line, &n, ": ");
    }
    vmsix_log_puts(line, &n, what);
    vmsix_log_puts(line, &n, " failed (");
    vmsix_log_putd(line, &n, rc);
    vmsix_log_puts(line, &n, ")");
    l->fn(l->ctx, VMSIX_LOG_ERR, line);
}

/* A hook's or backend's return as a negative errno (a positive one is a
 * broken promise: -EIO). */
static inline int vmsix_errno_of(int rc)
{
    return rc > 0 ? -EIO : rc;
}

/* The first error of a sequence of steps that goes on after errors. */
static inline int vmsix_first_error(int ret, int rc)
{
    return ret ? ret : vmsix_errno_of(rc);
}

/* Log a failed step and pass its error on (as a negative errno). */
static inline int vmsix_log_failed(const struct vmsix_logger *l, int vec, const char *what, int rc)
{
    rc = vmsix_errno_of(rc);
    vmsix_log_fail(l, vec, what, rc);
    return rc;
}

#endif /* VMSIX_SRC_LOG_H */
