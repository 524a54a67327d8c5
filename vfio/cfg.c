/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libvmsix-vfio: configuration space and region access through the
 * device fd (pread/pwrite at a region's offset): the cfg_read/cfg_write
 * hooks of the composed device, and BAR forwarding.
 */
#include <errno.h>
#include <string.h>

#include <linux/vfio.h>

#include "bits.h"
#include "bytes.h"
#include "vfio_priv.h"

/* Little-endian bytes of @size (1, 2, 4, 8) <-> a value: VFIO's regions
 * are little-endian, as PCI is. */
static uint64_t le_load(const uint8_t *b, unsigned size)
{
    switch (size) {
    case 1:
        return b[0];
    case 2:
        return vmsix_rd16(b);
    case 4:
        return vmsix_rd32(b);
    default:
        return vmsix_rd64(b);
    }
}

static void le_store(uint8_t *b, unsigned size, uint64_t v)
{
    switch (size) {
    case 1:
        b[0] = (uint8_t)v;
        break;
    case 2:
        vmsix_wr16(b, (uint16_t)v);
        break;
    case 4:
        vmsix_wr32(b, (uint32_t)v);
        break;
    default:
        vmsix_wr64(b, v);
        break;
    }
}

/* @size is 1, 2, 4 (or 8 when @max is 8), @off is aligned to it, and the
 * access lies inside a region of @region_size bytes. */
static bool access_ok(uint64_t off, unsigned size, unsigned max, uint64_t region_size)
{
    if (!vmsix_is_pow2(size) || size > max || (off & (size - 1u)))
        return false;
    return off < region_size && size <= region_size - off;
}

/* The region of @index (the ones open/attach asked about), or NULL. */
static const struct vmsix_vfio_region *region_of(const struct vmsix_vfio_dev *d, uint32_t index)
{
    if (index >= d->info.num_regions)
        return NULL;
    if (index <= VFIO_PCI_BAR5_REGION_INDEX)
        return &d->info.bar[index - VFIO_PCI_BAR0_REGION_INDEX];
    if (index == VFIO_PCI_ROM_REGION_INDEX)
        return &d->info.rom;
    if (index == VFIO_PCI_CONFIG_REGION_INDEX)
        return &d->info.cfg;
    return NULL;
}

static int rd(struct vmsix_vfio_dev *d, const struct vmsix_vfio_region *r, uint64_t off,
              unsigned size, uint64_t *val)
{
    uint8_t b[8];
    int rc;

    rc = vfio_sys_pread(&d->sys, d->info.device_fd, b, size, r->offset + off);
    if (rc < 0)
        return rc;
    if ((unsigned)rc != size)
        return -EIO;
    *val = le_load(b, size);
    return 0;
}

static int wr(struct vmsix_vfio_dev *d, const struct vmsix_vfio_region *r, uint64_t off,
              unsigned size, uint64_t val)
{
    uint8_t b[8];
    int rc;

    le_store(b, size, val);
    rc = vfio_sys_pwrite(&d->sys, d->info.device_fd, b, size, r->offset + off);
    if (rc < 0)
        return rc;
    return (unsigned)rc != size ? -EIO : 0;
}

VMSIX_API int vmsix_vfio_cfg_read(void *dev, uint16_t off, unsigned size, uint32_t *val)
{
    struct vmsix_vfio_dev *d = vfio_dev_valid(dev);
    uint64_t v;
    int rc;

    if (!d || !val || !access_ok(off, size, 4, d->info.cfg.size))
        return -EINVAL;
    rc = rd(d, &d->info.cfg, off, size, &v);
    if (rc)
        return rc;
    *val = (uint32_t)v;
    return 0;
}

VMSIX_API int vmsix_vfio_cfg_write(void *dev, uint16_t off, unsigned size, uint32_t val)
{
    struct vmsix_vfio_dev *d = vfio_dev_valid(dev);

    if (!d || !access_ok(off, size, 4, d->info.cfg.size))
        return -EINVAL;
    return wr(d, &d->info.cfg, off, size, val);
}

VMSIX_API int vmsix_vfio_region_read(struct vmsix_vfio_dev *d, uint32_t index, uint64_t off,
                                     unsigned size, uint64_t *val)
{
    const struct vmsix_vfio_region *r;

    if (!vfio_dev_valid(d) || !val)
        return -EINVAL;
    r = region_of(d, index);
    if (!r || !(r->flags & VFIO_REGION_INFO_FLAG_READ) || !access_ok(off, size, 8, r->size))
        return -EINVAL;
    return rd(d, r, off, size, val);
}

VMSIX_API int vmsix_vfio_region_write(struct vmsix_vfio_dev *d, uint32_t index, uint64_t off,
                                      unsigned size, uint64_t val)
{
    const struct vmsix_vfio_region *r;

    if (!vfio_dev_valid(d))
        return -EINVAL;
    r = region_of(d, index);
    if (!r || !(r->flags & VFIO_REGION_INFO_FLAG_WRITE) || !access_ok(off, size, 8, r->size))
        return -EINVAL;
    return wr(d, r, off, size, val);
}
