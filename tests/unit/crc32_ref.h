/* SPDX-License-Identifier: BSD-3-Clause */
/* Tests: an independent CRC-32 (IEEE 802.3, reflected) to seal saved
 * states whose contents a test changes on purpose. */
#ifndef VMSIX_TESTS_CRC32_REF_H
#define VMSIX_TESTS_CRC32_REF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint32_t crc32_ref(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ ((c & 1) ? 0xedb88320u : 0);
    }
    return ~c;
}

/* Rewrite the last 4 bytes of @b[0..n) with the CRC of the rest (little
 * endian, as the saved formats store it; the tests run on x86). */
static inline void crc32_seal(unsigned char *b, size_t n)
{
    uint32_t c = crc32_ref(b, n - 4);
    memcpy(b + n - 4, &c, 4);
}

#endif
