/* SPDX-License-Identifier: BSD-3-Clause */
/* Private: little-endian loads and stores of configuration bytes. */
#ifndef VMSIX_SRC_BYTES_H
#define VMSIX_SRC_BYTES_H

#include <stdint.h>

static inline uint16_t vmsix_rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t vmsix_rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline void vmsix_wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

#endif /* VMSIX_SRC_BYTES_H */
