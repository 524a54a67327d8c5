/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The unit tests' one pseudo-random generator: Marsaglia's xorshift64
 * (shifts 13, 7, 17). Each test keeps its own state with a fixed seed, so
 * a failure replays exactly.
 */
#ifndef VMSIX_TESTS_XORSHIFT_H
#define VMSIX_TESTS_XORSHIFT_H

#include <stdint.h>

/* Advance *state (never 0) and return the new value. */
static inline uint64_t xorshift64(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

#endif
