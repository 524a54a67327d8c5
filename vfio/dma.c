/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libvmsix-vfio: DMA mappings of the device's container
 * (VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_UNMAP_DMA), for guest RAM.
 */
#include <errno.h>
#include <string.h>

#include <linux/vfio.h>

#include "vfio_priv.h"

#define DMA_FLAGS (VMSIX_VFIO_DMA_READ | VMSIX_VFIO_DMA_WRITE)

/* The range is non-empty and does not wrap; the device has a container. */
static int dma_check(const struct vmsix_vfio_dev *d, uint64_t iova, uint64_t size)
{
    if (size == 0 || iova + (size - 1u) < iova)
        return -EINVAL;
    return d->info.container_fd < 0 ? -EBADF : 0;
}

VMSIX_API int vmsix_vfio_dma_map(struct vmsix_vfio_dev *d, uint64_t iova, uint64_t size,
                                 void *vaddr, uint32_t flags)
{
    struct vfio_iommu_type1_dma_map m;
    char b[16];
    int rc;

    if (!vfio_dev_valid(d) || !vaddr || !(flags & DMA_FLAGS) || (flags & ~DMA_FLAGS))
        return -EINVAL;
    rc = dma_check(d, iova, size);
    if (rc)
        return rc;
    memset(&m, 0, sizeof(m));
    m.argsz = sizeof(m);
    m.flags = (flags & VMSIX_VFIO_DMA_READ ? VFIO_DMA_MAP_FLAG_READ : 0u) |
              (flags & VMSIX_VFIO_DMA_WRITE ? VFIO_DMA_MAP_FLAG_WRITE : 0u);
    m.vaddr = (uint64_t)(uintptr_t)vaddr;
    m.iova = iova;
    m.size = size;
    rc = vfio_sys_ioctl(&d->sys, d->info.container_fd, VFIO_IOMMU_MAP_DMA, &m);
    if (rc < 0) {
        vfio_log(&d->log, VMSIX_LOG_ERR, d->name,
                 "VFIO_IOMMU_MAP_DMA iova 0x%llx size 0x%llx failed (%s)", (unsigned long long)iova,
                 (unsigned long long)size, vfio_errname(rc, b));
        return rc;
    }
    return 0;
}

VMSIX_API int vmsix_vfio_dma_unmap(struct vmsix_vfio_dev *d, uint64_t iova, uint64_t size)
{
    struct vfio_iommu_type1_dma_unmap u;
    char b[16];
    int rc;

    if (!vfio_dev_valid(d))
        return -EINVAL;
    rc = dma_check(d, iova, size);
    if (rc)
        return rc;
    memset(&u, 0, sizeof(u));
    u.argsz = sizeof(u);
    u.iova = iova;
    u.size = size;
    rc = vfio_sys_ioctl(&d->sys, d->info.container_fd, VFIO_IOMMU_UNMAP_DMA, &u);
    if (rc >= 0 && u.size != size)
        rc = -EIO; /* the kernel says how much it unmapped */
    if (rc < 0) {
        vfio_log(&d->log, VMSIX_LOG_ERR, d->name,
                 "VFIO_IOMMU_UNMAP_DMA iova 0x%llx size 0x%llx failed (%s)",
                 (unsigned long long)iova, (unsigned long long)size, vfio_errname(rc, b));
        return rc;
    }
    return 0;
}
