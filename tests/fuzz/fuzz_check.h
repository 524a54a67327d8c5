/* SPDX-License-Identifier: BSD-3-Clause */
/* CHECK(): an invariant of a fuzz harness; abort() on failure, so that
 * libFuzzer and the replay runner both report it. */
#ifndef VMSIX_FUZZ_CHECK_H
#define VMSIX_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
