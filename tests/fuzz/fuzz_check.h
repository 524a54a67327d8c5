/* SPDX-License-Identifier: BSD-3-Clause */
/* CHECK(): an invariant of a fuzz harness; abort() on failure, so that
 * libFuzzer and the replay runner both report it. */
#ifndef VMSIX_FUZZ_CHECK_H
#define VMSIX_FUZZ_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The harness's input read as a stream of little-endian fields; past its
 * end every byte reads 0, so any input is a complete operation stream. */
struct fuzz_in {
    const uint8_t *p;
    size_t n, pos;
};

static inline uint8_t fuzz_get8(struct fuzz_in *in)
{
    return in->pos < in->n ? in->p[in->pos++] : 0;
}

/* @bytes (<= 8) bytes, little-endian. */
static inline uint64_t fuzz_get(struct fuzz_in *in, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++)
        v |= (uint64_t)fuzz_get8(in) << (8 * i);
    return v;
}

#endif
