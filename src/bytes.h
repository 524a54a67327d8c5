/* SPDX-License-Identifier: BSD-3-Clause */
/* Private: little-endian loads and stores of configuration and saved-state
 * bytes, and the CRC-32 of saved states. */
#ifndef VMSIX_SRC_BYTES_H
#define VMSIX_SRC_BYTES_H

#include <stddef.h>
#include <stdint.h>

static inline uint16_t vmsix_rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t vmsix_rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline uint64_t vmsix_rd64(const uint8_t *p)
{
    return vmsix_rd32(p) | ((uint64_t)vmsix_rd32(p + 4) << 32);
}

static inline void vmsix_wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void vmsix_wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline void vmsix_wr64(uint8_t *p, uint64_t v)
{
    vmsix_wr32(p, (uint32_t)v);
    vmsix_wr32(p + 4, (uint32_t)(v >> 32));
}

/* CRC-32 (IEEE 802.3, reflected) of @n bytes (src/crc32.c). */
uint32_t vmsix_crc32(const uint8_t *p, size_t n);

#endif /* VMSIX_SRC_BYTES_H */
