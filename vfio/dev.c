/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libvmsix-vfio: the device's setup and teardown: container, IOMMU group
 * and device fd from a PCI address (or a device fd the VMM already has),
 * the device's regions and MSI vector count, closing, VFIO_DEVICE_RESET.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include <linux/vfio.h>

#include "vfio_priv.h"

#define VFIO_CONTAINER_PATH "/dev/vfio/vfio"
#define SYSFS_PCI_DEVICES "/sys/bus/pci/devices"

VMSIX_API size_t vmsix_vfio_dev_storage_size(void)
{
    return sizeof(struct vmsix_vfio_dev);
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* "DDDD:BB:DD.F" as sysfs spells it (%04x:%02x:%02x.%d; a domain may have
 * more digits), lower-case; nothing else reaches a path. */
static bool bdf_valid(const char *s)
{
    size_t n, i, dom;

    if (!s)
        return false;
    n = strlen(s);
    if (n < 12 || n > 16)
        return false;
    dom = n - 8; /* ":BB:DD.F" */
    for (i = 0; i < dom; i++)
        if (!is_hex(s[i]))
            return false;
    s += dom;
    if (s[0] != ':' || !is_hex(s[1]) || !is_hex(s[2]) || s[3] != ':' || !is_hex(s[4]) ||
        !is_hex(s[5]) || s[6] != '.' || s[7] < '0' || s[7] > '7')
        return false;
    /* device 0..0x1f */
    return s[4] <= '1';
}

static void close_owned(struct vmsix_vfio_dev *d, int *first)
{
    struct vmsix_vfio_dev_info *in = &d->info;
    int rc;

    if (d->own_device && in->device_fd >= 0) {
        rc = vfio_sys_close(&d->sys, in->device_fd);
        if (rc && !*first)
            *first = rc;
    }
    if (d->own_group && in->group_fd >= 0) {
        rc = vfio_sys_close(&d->sys, in->group_fd);
        if (rc && !*first)
            *first = rc;
    }
    if (d->own_container && in->container_fd >= 0) {
        rc = vfio_sys_close(&d->sys, in->container_fd);
        if (rc && !*first)
            *first = rc;
    }
    d->own_device = d->own_group = d->own_container = false;
}

static int fail(struct vmsix_vfio_dev *d, const char *step, int rc)
{
    char b[16];

    vfio_log(&d->log, VMSIX_LOG_ERR, d->name, "%s failed (%s)", step, vfio_errname(rc, b));
    return rc;
}

static int region_info(struct vmsix_vfio_dev *d, uint32_t index, struct vmsix_vfio_region *out)
{
    struct vfio_region_info ri;
    int rc;

    memset(&ri, 0, sizeof(ri));
    ri.argsz = sizeof(ri);
    ri.index = index;
    rc = vfio_sys_ioctl(&d->sys, d->info.device_fd, VFIO_DEVICE_GET_REGION_INFO, &ri);
    if (rc < 0)
        return rc;
    out->offset = ri.offset;
    out->size = ri.size;
    out->flags = ri.flags;
    return 0;
}

static int irq_count(struct vmsix_vfio_dev *d, uint32_t index, uint32_t *count)
{
    struct vfio_irq_info ii;
    int rc;

    *count = 0;
    if (index >= d->info.num_irqs)
        return 0;
    memset(&ii, 0, sizeof(ii));
    ii.argsz = sizeof(ii);
    ii.index = index;
    rc = vfio_sys_ioctl(&d->sys, d->info.device_fd, VFIO_DEVICE_GET_IRQ_INFO, &ii);
    if (rc < 0)
        return rc;
    *count = ii.count;
    return 0;
}

/* What the device is: info, regions, interrupt counts (the attach part). */
static int query(struct vmsix_vfio_dev *d)
{
    struct vmsix_vfio_dev_info *in = &d->info;
    struct vfio_device_info di;
    uint32_t i;
    int rc;

    memset(&di, 0, sizeof(di));
    di.argsz = sizeof(di);
    rc = vfio_sys_ioctl(&d->sys, in->device_fd, VFIO_DEVICE_GET_INFO, &di);
    if (rc < 0)
        return fail(d, "VFIO_DEVICE_GET_INFO", rc);
    in->flags = di.flags;
    in->num_regions = di.num_regions;
    in->num_irqs = di.num_irqs;
    if (!(di.flags & VFIO_DEVICE_FLAGS_PCI) || di.num_regions <= VFIO_PCI_CONFIG_REGION_INDEX)
        return fail(d, "a PCI device with a configuration region", -ENOTSUP);
    rc = region_info(d, VFIO_PCI_CONFIG_REGION_INDEX, &in->cfg);
    if (rc < 0)
        return fail(d, "VFIO_DEVICE_GET_REGION_INFO (config)", rc);
    if (in->cfg.size == 0)
        return fail(d, "a configuration region of non-zero size", -ENOTSUP);
    for (i = 0; i < 6; i++) {
        rc = region_info(d, VFIO_PCI_BAR0_REGION_INDEX + i, &in->bar[i]);
        if (rc < 0)
            return fail(d, "VFIO_DEVICE_GET_REGION_INFO (BAR)", rc);
    }
    rc = region_info(d, VFIO_PCI_ROM_REGION_INDEX, &in->rom);
    if (rc < 0)
        return fail(d, "VFIO_DEVICE_GET_REGION_INFO (ROM)", rc);
    rc = irq_count(d, VFIO_PCI_MSI_IRQ_INDEX, &in->msi_count);
    if (rc < 0)
        return fail(d, "VFIO_DEVICE_GET_IRQ_INFO (MSI)", rc);
    rc = irq_count(d, VFIO_PCI_MSIX_IRQ_INDEX, &in->msix_count);
    if (rc < 0)
        return fail(d, "VFIO_DEVICE_GET_IRQ_INFO (MSI-X)", rc);
    return 0;
}

/* The common start of open and attach: storage, sys, log, no fds. */
static int dev_start(void *mem, size_t len, const struct vmsix_vfio_dev_params *p,
                     struct vmsix_vfio_dev **out, struct vmsix_vfio_dev **dp)
{
    struct vmsix_vfio_dev *d = mem;
    int rc;

    if (!mem || !p || !out || len < sizeof(*d) || ((uintptr_t)mem & 7u))
        return -EINVAL;
    memset(d, 0, sizeof(*d));
    rc = vfio_sys_init(&d->sys, p->sys, p->sys_ctx);
    if (rc)
        return rc;
    d->log.fn = p->log;
    d->log.ctx = p->log_ctx;
    d->info.container_fd = -1;
    d->info.group_fd = -1;
    d->info.device_fd = -1;
    d->info.group = UINT32_MAX;
    *dp = d;
    return 0;
}

/* The group number of @bdf from its sysfs iommu_group link. */
static int group_of(struct vmsix_vfio_dev *d, const char *bdf, uint32_t *group)
{
    char path[96], link[256];
    const char *base;
    uint64_t g = 0;
    int n;

    snprintf(path, sizeof(path), SYSFS_PCI_DEVICES "/%s/iommu_group", bdf);
    n = vfio_sys_readlink(&d->sys, path, link, sizeof(link) - 1u);
    if (n < 0) {
        if (n == -ENOENT)
            vfio_log(&d->log, VMSIX_LOG_ERR, d->name,
                     "%s is missing: no such device, or it is behind no IOMMU (intel_iommu=on?)",
                     path);
        return fail(d, "readlink iommu_group", n);
    }
    link[n] = '\0';
    base = strrchr(link, '/');
    base = base ? base + 1 : link;
    if (!*base)
        return fail(d, "parse iommu_group", -ENOENT);
    for (; *base; base++) {
        if (*base < '0' || *base > '9' || g > UINT32_MAX / 10u)
            return fail(d, "parse iommu_group", -ENOENT);
        g = g * 10u + (uint64_t)(*base - '0');
    }
    if (g >= UINT32_MAX)
        return fail(d, "parse iommu_group", -ENOENT);
    *group = (uint32_t)g;
    return 0;
}

/* A new container: open it, check the API, pick the IOMMU model. */
static int container_open(struct vmsix_vfio_dev *d, uint32_t *type)
{
    int fd, rc;

    fd = vfio_sys_open(&d->sys, VFIO_CONTAINER_PATH, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return fail(d, "open " VFIO_CONTAINER_PATH, fd);
    d->info.container_fd = fd;
    d->own_container = true;
    rc = vfio_sys_ioctl(&d->sys, fd, VFIO_GET_API_VERSION, NULL);
    if (rc < 0)
        return fail(d, "VFIO_GET_API_VERSION", rc);
    if (rc != VFIO_API_VERSION)
        return fail(d, "VFIO_GET_API_VERSION (an unknown version)", -ENOTSUP);
    rc = vfio_sys_ioctl(&d->sys, fd, VFIO_CHECK_EXTENSION, (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU);
    if (rc < 0)
        return fail(d, "VFIO_CHECK_EXTENSION", rc);
    if (rc > 0) {
        *type = VFIO_TYPE1v2_IOMMU;
        return 0;
    }
    rc = vfio_sys_ioctl(&d->sys, fd, VFIO_CHECK_EXTENSION, (void *)(uintptr_t)VFIO_TYPE1_IOMMU);
    if (rc < 0)
        return fail(d, "VFIO_CHECK_EXTENSION", rc);
    if (rc == 0)
        return fail(d, "VFIO_CHECK_EXTENSION (no type 1 IOMMU)", -ENOTSUP);
    *type = VFIO_TYPE1_IOMMU;
    return 0;
}

static int open_steps(struct vmsix_vfio_dev *d, const struct vmsix_vfio_dev_params *p)
{
    struct vmsix_vfio_dev_info *in = &d->info;
    struct vfio_group_status st;
    uint32_t type = 0;
    char path[32];
    int fd, rc;

    if (p->container_fd < 0) {
        rc = container_open(d, &type);
        if (rc)
            return rc;
    } else {
        in->container_fd = p->container_fd;
    }
    rc = group_of(d, p->bdf, &in->group);
    if (rc)
        return rc;
    snprintf(path, sizeof(path), "/dev/vfio/%u", (unsigned)in->group);
    fd = vfio_sys_open(&d->sys, path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        if (fd == -ENOENT)
            vfio_log(&d->log, VMSIX_LOG_ERR, d->name,
                     "%s is missing: is the device bound to vfio-pci?", path);
        else if (fd == -EBUSY)
            vfio_log(&d->log, VMSIX_LOG_ERR, d->name, "%s is open in another process", path);
        return fail(d, "open the group", fd);
    }
    in->group_fd = fd;
    d->own_group = true;
    memset(&st, 0, sizeof(st));
    st.argsz = sizeof(st);
    rc = vfio_sys_ioctl(&d->sys, fd, VFIO_GROUP_GET_STATUS, &st);
    if (rc < 0)
        return fail(d, "VFIO_GROUP_GET_STATUS", rc);
    if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
        vfio_log(&d->log, VMSIX_LOG_ERR, d->name,
                 "IOMMU group %u is not viable: bind every device of "
                 "/sys/kernel/iommu_groups/%u/devices to vfio-pci (or unbind it)",
                 (unsigned)in->group, (unsigned)in->group);
        return fail(d, "VFIO_GROUP_GET_STATUS (not viable)", -EBUSY);
    }
    rc = vfio_sys_ioctl(&d->sys, fd, VFIO_GROUP_SET_CONTAINER, &in->container_fd);
    if (rc < 0)
        return fail(d, "VFIO_GROUP_SET_CONTAINER", rc);
    if (d->own_container) {
        /* The IOMMU model is set once a group is in the container. */
        rc = vfio_sys_ioctl(&d->sys, in->container_fd, VFIO_SET_IOMMU, (void *)(uintptr_t)type);
        if (rc < 0)
            return fail(d, "VFIO_SET_IOMMU", rc);
        in->iommu_type = type;
    }
    fd = vfio_sys_ioctl(&d->sys, in->group_fd, VFIO_GROUP_GET_DEVICE_FD, (void *)(uintptr_t)p->bdf);
    if (fd < 0)
        return fail(d, "VFIO_GROUP_GET_DEVICE_FD", fd);
    in->device_fd = fd;
    d->own_device = true;
    return query(d);
}

VMSIX_API int vmsix_vfio_dev_open(void *mem, size_t len, const struct vmsix_vfio_dev_params *p,
                                  struct vmsix_vfio_dev **out)
{
    struct vmsix_vfio_dev *d;
    int rc, ignore = 0;

    if (!p || !bdf_valid(p->bdf))
        return -EINVAL;
    rc = dev_start(mem, len, p, out, &d);
    if (rc)
        return rc;
    snprintf(d->name, sizeof(d->name), "%s", p->bdf);
    rc = open_steps(d, p);
    if (rc) {
        close_owned(d, &ignore);
        return rc;
    }
    d->magic = VFIO_DEV_MAGIC;
    *out = d;
    return 0;
}

VMSIX_API int vmsix_vfio_dev_attach(void *mem, size_t len, const struct vmsix_vfio_dev_params *p,
                                    struct vmsix_vfio_dev **out)
{
    struct vmsix_vfio_dev *d;
    int rc;

    if (!p || p->device_fd < 0)
        return -EINVAL;
    rc = dev_start(mem, len, p, out, &d);
    if (rc)
        return rc;
    snprintf(d->name, sizeof(d->name), "fd %d", p->device_fd);
    d->info.device_fd = p->device_fd;
    d->info.container_fd = p->container_fd < 0 ? -1 : p->container_fd;
    rc = query(d);
    if (rc)
        return rc;
    d->magic = VFIO_DEV_MAGIC;
    *out = d;
    return 0;
}

VMSIX_API const struct vmsix_vfio_dev_info *vmsix_vfio_dev_info(const struct vmsix_vfio_dev *d)
{
    const struct vmsix_vfio_dev *v = vfio_dev_valid(d);

    return v ? &v->info : NULL;
}

VMSIX_API int vmsix_vfio_dev_close(struct vmsix_vfio_dev *d)
{
    int first = 0;

    if (!vfio_dev_valid(d))
        return -EINVAL;
    d->magic = 0;
    close_owned(d, &first);
    return first;
}

VMSIX_API int vmsix_vfio_dev_reset(struct vmsix_vfio_dev *d)
{
    int rc;

    if (!vfio_dev_valid(d))
        return -EINVAL;
    if (!(d->info.flags & VFIO_DEVICE_FLAGS_RESET))
        return fail(d, "VFIO_DEVICE_RESET (the device cannot reset)", -ENOTSUP);
    rc = vfio_sys_ioctl(&d->sys, d->info.device_fd, VFIO_DEVICE_RESET, NULL);
    return rc < 0 ? fail(d, "VFIO_DEVICE_RESET", rc) : 0;
}
