/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The libvmsix-vfio tests' log hook: records the lines the library logs
 * (the first LOG_RECORD_LINES, each cut to 255 characters), so that a test
 * can ask whether one said what it should.
 */
#ifndef VMSIX_TESTS_LOG_RECORD_H
#define VMSIX_TESTS_LOG_RECORD_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define LOG_RECORD_LINES 64u

struct log_record {
    char line[LOG_RECORD_LINES][256];
    unsigned n;
};

/* The log hook of struct vmsix_vfio_dev_params / vmsix_vfio_msi_params;
 * @ctx is the struct log_record. */
static inline void log_record_hook(void *ctx, int level, const char *msg)
{
    struct log_record *r = ctx;

    (void)level;
    if (r->n < LOG_RECORD_LINES)
        snprintf(r->line[r->n++], sizeof(r->line[0]), "%s", msg);
}

/* Did a recorded line contain @what? */
static inline bool log_record_has(const struct log_record *r, const char *what)
{
    for (unsigned i = 0; i < r->n; i++)
        if (strstr(r->line[i], what))
            return true;
    return false;
}

#endif
