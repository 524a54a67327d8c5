/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fake kernel of the libvmsix-vfio tests (see fake_kernel.h): VFIO,
 * eventfd and KVM modelled from the kernel's rules, every call recorded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>

#include <linux/kvm.h>
#include <linux/vfio.h>

#include "fake_kernel.h"

#define FK_FIRST_FD 10
#define REGION_SHIFT 40

static void fk_rec(struct fake_kernel *fk, const char *fmt, ...)
{
    va_list ap;

    if (fk->nrec >= FK_MAXREC)
        return;
    va_start(ap, fmt);
    vsnprintf(fk->rec[fk->nrec], FK_LINE, fmt, ap);
    va_end(ap);
    fk->nrec++;
}

/* Number the call; 1 when it is the one to fail (recorded as such). */
static int fk_fails(struct fake_kernel *fk)
{
    fk->seq++;
    if (fk->fail_at && fk->seq == fk->fail_at) {
        fk->failed = true;
        if (fk->nrec)
            snprintf(fk->failed_line, FK_LINE, "%s", fk->rec[fk->nrec - 1]);
        return 1;
    }
    return 0;
}

static void fk_after(struct fake_kernel *fk)
{
    if (fk->after)
        fk->after(fk, fk->seq);
}

static int new_file(struct fake_kernel *fk, enum fk_type type)
{
    int i;

    for (i = 0; i < FK_MAXFILES; i++) {
        if (fk->f[i].type == FK_FREE) {
            memset(&fk->f[i], 0, sizeof(fk->f[i]));
            fk->f[i].type = type;
            fk->f[i].group_container = -1;
            return i;
        }
    }
    return -1;
}

static int new_fd(struct fake_kernel *fk, int file)
{
    int fd;

    for (fd = FK_FIRST_FD; fd < FK_MAXFD; fd++) {
        if (fk->fdt[fd] < 0) {
            fk->fdt[fd] = file;
            fk->f[file].fd_refs++;
            return fd;
        }
    }
    return -EMFILE;
}

static int file_of(const struct fake_kernel *fk, int fd)
{
    return fd >= 0 && fd < FK_MAXFD ? fk->fdt[fd] : -1;
}

struct fk_file *fk_file(struct fake_kernel *fk, int fd)
{
    int i = file_of(fk, fd);

    return i < 0 ? NULL : &fk->f[i];
}

void fk_init(struct fake_kernel *fk, const char *bdf)
{
    int i;

    memset(fk, 0, sizeof(*fk));
    for (i = 0; i < FK_MAXFD; i++)
        fk->fdt[i] = -1;
    for (i = 0; i < 32; i++)
        fk->trig[i] = -1;
    fk->api_version = VFIO_API_VERSION;
    fk->has_type1v2 = fk->has_type1 = true;
    fk->bdf = bdf;
    fk->group = 7;
    fk->group_exists = true;
    fk->viable = true;
    fk->dev_flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
    fk->num_regions = VFIO_PCI_NUM_REGIONS;
    fk->num_irqs = VFIO_PCI_NUM_IRQS;
    fk->msi_count = 16;
    fk->grant = 16;
    fk->cfg_size = 256;
    fk->bar_size[0] = sizeof(fk->bar0);
    fk->bar_flags[0] = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
                       VFIO_REGION_INFO_FLAG_MMAP;
    fk->consume_on_wakeup = true;
    for (i = 0; i < (int)sizeof(fk->cfg); i++)
        fk->cfg[i] = (uint8_t)(i * 7 + 1);
    fk->vm_fd = new_fd(fk, new_file(fk, FK_VM));
}

int fk_device_fd(struct fake_kernel *fk)
{
    return new_fd(fk, new_file(fk, FK_DEVICE));
}

unsigned fk_open_fds(const struct fake_kernel *fk, enum fk_type type)
{
    unsigned n = 0;
    int fd;

    for (fd = 0; fd < FK_MAXFD; fd++)
        if (fk->fdt[fd] >= 0 && fk->f[fk->fdt[fd]].type == type)
            n++;
    return n;
}

const struct fk_route *fk_route(const struct fake_kernel *fk, uint32_t gsi)
{
    uint32_t i;

    for (i = 0; i < fk->nroutes; i++)
        if (fk->routes[i].gsi == gsi && fk->routes[i].type == KVM_IRQ_ROUTING_MSI)
            return &fk->routes[i];
    return NULL;
}

const struct fk_irqfd *fk_irqfd_of(const struct fake_kernel *fk, int fd)
{
    int file = file_of(fk, fd), i;

    for (i = 0; file >= 0 && i < FK_MAXIRQFD; i++)
        if (fk->irqfd[i].active && fk->irqfd[i].file == file)
            return &fk->irqfd[i];
    return NULL;
}

unsigned fk_injections(const struct fake_kernel *fk, uint32_t gsi, unsigned from)
{
    unsigned i, n = 0;

    for (i = from; i < fk->ninj; i++)
        if (fk->inj[i].gsi == gsi)
            n++;
    return n;
}

/* KVM delivers GSI @gsi with its route as it is now. */
static void inject(struct fake_kernel *fk, uint32_t gsi)
{
    const struct fk_route *r = fk_route(fk, gsi);
    struct fk_inj *in;

    if (fk->ninj >= FK_MAXINJ)
        return;
    in = &fk->inj[fk->ninj++];
    in->gsi = gsi;
    in->routed = r != NULL;
    if (r)
        in->msg = r->msg;
}

static void eventfd_signal(struct fake_kernel *fk, int file)
{
    int i;

    fk->f[file].count++;
    for (i = 0; i < FK_MAXIRQFD; i++) {
        if (!fk->irqfd[i].active || fk->irqfd[i].file != file)
            continue;
        if (fk->consume_on_wakeup)
            fk->f[file].count = 0;
        inject(fk, fk->irqfd[i].gsi);
    }
}

void fk_msi_fire(struct fake_kernel *fk, uint32_t k)
{
    if (fk->msi_enabled && k < fk->msi_nvec && fk->trig[k] >= 0)
        eventfd_signal(fk, fk->trig[k]);
}

/* The last fd of a file went: an eventfd's irqfds detach (POLLHUP); a
 * group leaves its container. The file lives on while vfio-pci holds it
 * as a trigger. */
static void release(struct fake_kernel *fk, int file)
{
    int i;
    bool trigger = false;

    for (i = 0; i < FK_MAXIRQFD; i++)
        if (fk->irqfd[i].active && fk->irqfd[i].file == file)
            fk->irqfd[i].active = false;
    for (i = 0; i < 32; i++)
        trigger |= fk->trig[i] == file;
    if (fk->f[file].type == FK_GROUP && fk->f[file].group_container >= 0)
        fk->f[fk->f[file].group_container].container_has_group = false;
    if (!trigger)
        fk->f[file].type = FK_FREE;
}

static int sys_open(void *ctx, const char *path, int flags)
{
    struct fake_kernel *fk = ctx;
    char grp[32];
    int file;

    fk_rec(fk, "open %s%s", path, (flags & O_CLOEXEC) && (flags & O_RDWR) ? "" : " (flags!)");
    if (fk_fails(fk))
        return FK_FAIL_RC;
    snprintf(grp, sizeof(grp), "/dev/vfio/%u", (unsigned)fk->group);
    if (!strcmp(path, "/dev/vfio/vfio")) {
        file = new_file(fk, FK_CONTAINER);
    } else if (!strcmp(path, grp)) {
        if (!fk->group_exists)
            return -ENOENT;
        if (fk->group_busy)
            return -EBUSY;
        file = new_file(fk, FK_GROUP);
    } else {
        return -ENOENT;
    }
    file = new_fd(fk, file);
    fk_after(fk);
    return file;
}

static int sys_close(void *ctx, int fd)
{
    struct fake_kernel *fk = ctx;
    int file = file_of(fk, fd), failed;

    fk_rec(fk, "close %d", fd);
    failed = fk_fails(fk);
    if (file < 0)
        return -EBADF;
    /* Linux releases the fd even when close reports an error. */
    fk->fdt[fd] = -1;
    if (--fk->f[file].fd_refs == 0)
        release(fk, file);
    fk_after(fk);
    return failed ? FK_FAIL_RC : 0;
}

static int sys_eventfd(void *ctx, unsigned int initval, int flags)
{
    struct fake_kernel *fk = ctx;
    int file, fd;

    fk_rec(fk, "eventfd%s%s", flags & EFD_NONBLOCK ? " NONBLOCK" : "",
           flags & EFD_CLOEXEC ? " CLOEXEC" : "");
    if (fk_fails(fk))
        return FK_FAIL_RC;
    file = new_file(fk, FK_EVENTFD);
    fk->f[file].count = initval;
    fd = new_fd(fk, file);
    fk_after(fk);
    return fd;
}

static int sys_read(void *ctx, int fd, void *buf, size_t len)
{
    struct fake_kernel *fk = ctx;
    int file = file_of(fk, fd);
    uint64_t c;

    if (file < 0 || fk->f[file].type != FK_EVENTFD || len < 8) {
        fk_rec(fk, "read %d (bad)", fd);
        fk_fails(fk);
        return file < 0 ? -EBADF : -EINVAL;
    }
    c = fk->f[file].count;
    if (c)
        fk_rec(fk, "read %d -> %llu", fd, (unsigned long long)c);
    else
        fk_rec(fk, "read %d -> EAGAIN", fd);
    if (fk_fails(fk))
        return FK_FAIL_RC;
    fk->f[file].count = 0;
    fk_after(fk);
    if (!c)
        return -EAGAIN;
    memcpy(buf, &c, 8);
    return 8;
}

static int sys_write(void *ctx, int fd, const void *buf, size_t len)
{
    struct fake_kernel *fk = ctx;
    int file = file_of(fk, fd);
    uint64_t c;

    fk_rec(fk, "write %d", fd);
    if (fk_fails(fk))
        return FK_FAIL_RC;
    if (file < 0 || fk->f[file].type != FK_EVENTFD || len != 8)
        return -EINVAL;
    memcpy(&c, buf, 8);
    while (c--)
        eventfd_signal(fk, file);
    return 8;
}

/* A region access of the device fd: the bytes behind it, or NULL. */
static uint8_t *region_bytes(struct fake_kernel *fk, int fd, size_t len, uint64_t off)
{
    struct fk_file *f = fk_file(fk, fd);
    uint64_t index = off >> REGION_SHIFT, o = off & ((UINT64_C(1) << REGION_SHIFT) - 1u);

    if (!f || f->type != FK_DEVICE)
        return NULL;
    if (index == VFIO_PCI_CONFIG_REGION_INDEX && o + len <= fk->cfg_size)
        return fk->cfg + o;
    if (index == VFIO_PCI_BAR0_REGION_INDEX && o + len <= sizeof(fk->bar0))
        return fk->bar0 + o;
    return NULL;
}

/* pread or pwrite of a region: short by a byte while short_io lasts. */
static int region_io(struct fake_kernel *fk, int fd, void *buf, size_t len, uint64_t off,
                     bool write)
{
    uint8_t *p;

    fk_rec(fk, "%s %d off=0x%llx len=%zu", write ? "pwrite" : "pread", fd,
           (unsigned long long)off, len);
    if (fk_fails(fk))
        return FK_FAIL_RC;
    p = region_bytes(fk, fd, len, off);
    if (!p)
        return -EINVAL;
    if (fk->short_io) {
        fk->short_io--;
        len--;
    }
    if (write)
        memcpy(p, buf, len);
    else
        memcpy(buf, p, len);
    return (int)len;
}

static int sys_pread(void *ctx, int fd, void *buf, size_t len, uint64_t off)
{
    return region_io(ctx, fd, buf, len, off, false);
}

static int sys_pwrite(void *ctx, int fd, const void *buf, size_t len, uint64_t off)
{
    return region_io(ctx, fd, (void *)(uintptr_t)buf, len, off, true);
}

static int sys_readlink(void *ctx, const char *path, char *buf, size_t len)
{
    struct fake_kernel *fk = ctx;
    char want[128], link[64];
    size_t n;

    fk_rec(fk, "readlink %s", path);
    if (fk_fails(fk))
        return FK_FAIL_RC;
    snprintf(want, sizeof(want), "/sys/bus/pci/devices/%s/iommu_group", fk->bdf);
    if (strcmp(path, want))
        return -ENOENT;
    n = (size_t)snprintf(link, sizeof(link), "../../../kernel/iommu_groups/%u",
                         (unsigned)fk->group);
    if (n > len)
        n = len; /* readlink truncates silently */
    memcpy(buf, link, n);
    return (int)n;
}

/* ---- ioctls ---- */

static int container_ioctl(struct fake_kernel *fk, int file, unsigned long req, void *arg)
{
    struct fk_file *c = &fk->f[file];
    unsigned long v = (unsigned long)(uintptr_t)arg;
    int i;

    switch (req) {
    case VFIO_GET_API_VERSION:
        fk_rec(fk, "VFIO_GET_API_VERSION");
        return fk_fails(fk) ? FK_FAIL_RC : (int)fk->api_version;
    case VFIO_CHECK_EXTENSION:
        fk_rec(fk, "VFIO_CHECK_EXTENSION %lu", v);
        if (fk_fails(fk))
            return FK_FAIL_RC;
        return (v == VFIO_TYPE1v2_IOMMU && fk->has_type1v2) || (v == VFIO_TYPE1_IOMMU && fk->has_type1);
    case VFIO_SET_IOMMU:
        fk_rec(fk, "VFIO_SET_IOMMU %lu", v);
        if (fk_fails(fk))
            return FK_FAIL_RC;
        if (!c->container_has_group || c->iommu_set)
            return -EINVAL;
        if (!((v == VFIO_TYPE1v2_IOMMU && fk->has_type1v2) || (v == VFIO_TYPE1_IOMMU && fk->has_type1)))
            return -EINVAL;
        c->iommu_set = true;
        return 0;
    case VFIO_IOMMU_MAP_DMA: {
        struct vfio_iommu_type1_dma_map *m = arg;
        fk_rec(fk, "VFIO_IOMMU_MAP_DMA iova=0x%llx size=0x%llx flags=%u",
               (unsigned long long)m->iova, (unsigned long long)m->size, (unsigned)m->flags);
        if (fk_fails(fk))
            return FK_FAIL_RC;
        if (!c->iommu_set || m->argsz < sizeof(*m))
            return -EINVAL;
        for (i = 0; i < 8; i++) {
            if (!fk->dma[i].used) {
                fk->dma[i].used = true;
                fk->dma[i].iova = m->iova;
                fk->dma[i].size = m->size;
                fk->dma[i].vaddr = m->vaddr;
                fk->dma[i].flags = m->flags;
                return 0;
            }
        }
        return -ENOSPC;
    }
    case VFIO_IOMMU_UNMAP_DMA: {
        struct vfio_iommu_type1_dma_unmap *u = arg;
        uint64_t size = u->size;
        fk_rec(fk, "VFIO_IOMMU_UNMAP_DMA iova=0x%llx size=0x%llx", (unsigned long long)u->iova,
               (unsigned long long)u->size);
        if (fk_fails(fk))
            return FK_FAIL_RC;
        if (!c->iommu_set)
            return -EINVAL;
        u->size = 0;
        for (i = 0; i < 8; i++) {
            if (fk->dma[i].used && fk->dma[i].iova == u->iova && fk->dma[i].size == size) {
                fk->dma[i].used = false;
                u->size = size;
            }
        }
        return 0;
    }
    default:
        fk_rec(fk, "container ioctl 0x%lx", req);
        fk_fails(fk);
        return -ENOTTY;
    }
}

static int group_ioctl(struct fake_kernel *fk, int file, unsigned long req, void *arg)
{
    struct fk_file *g = &fk->f[file];
    int fd;

    switch (req) {
    case VFIO_GROUP_GET_STATUS: {
        struct vfio_group_status *st = arg;
        fk_rec(fk, "VFIO_GROUP_GET_STATUS");
        if (fk_fails(fk))
            return FK_FAIL_RC;
        if (st->argsz < sizeof(*st))
            return -EINVAL;
        st->flags = (fk->viable ? VFIO_GROUP_FLAGS_VIABLE : 0u) |
                    (g->group_container >= 0 ? VFIO_GROUP_FLAGS_CONTAINER_SET : 0u);
        return 0;
    }
    case VFIO_GROUP_SET_CONTAINER: {
        int cfd = *(const int *)arg, cf = file_of(fk, cfd);
        fk_rec(fk, "VFIO_GROUP_SET_CONTAINER %d", cfd);
        if (fk_fails(fk))
            return FK_FAIL_RC;
        if (cf < 0 || fk->f[cf].type != FK_CONTAINER || g->group_container >= 0)
            return -EINVAL;
        if (!fk->viable)
            return -EBUSY;
        g->group_container = cf;
        fk->f[cf].container_has_group = true;
        return 0;
    }
    case VFIO_GROUP_GET_DEVICE_FD:
        fk_rec(fk, "VFIO_GROUP_GET_DEVICE_FD %s", (const char *)arg);
        if (fk_fails(fk))
            return FK_FAIL_RC;
        if (g->group_container < 0 || !fk->f[g->group_container].iommu_set)
            return -EINVAL;
        if (strcmp((const char *)arg, fk->bdf))
            return -ENODEV;
        fd = new_fd(fk, new_file(fk, FK_DEVICE));
        fk_after(fk);
        return fd;
    default:
        fk_rec(fk, "group ioctl 0x%lx", req);
        fk_fails(fk);
        return -ENOTTY;
    }
}

static int set_irqs(struct fake_kernel *fk, struct vfio_irq_set *s)
{
    const int32_t *fds = (const int32_t *)(void *)s->data;
    char line[FK_LINE];
    size_t n;
    uint32_t k;
    int file;

    n = (size_t)snprintf(line, sizeof(line), "VFIO_DEVICE_SET_IRQS %s %s|%s start=%u count=%u",
                         s->index == VFIO_PCI_MSI_IRQ_INDEX ? "MSI" : "index?",
                         s->flags & VFIO_IRQ_SET_ACTION_TRIGGER ? "TRIGGER" : "action?",
                         s->flags & VFIO_IRQ_SET_DATA_EVENTFD ? "EVENTFD"
                         : s->flags & VFIO_IRQ_SET_DATA_NONE  ? "NONE"
                                                              : "data?",
                         (unsigned)s->start, (unsigned)s->count);
    if (s->flags & VFIO_IRQ_SET_DATA_EVENTFD)
        for (k = 0; k < s->count && k < 32 && n < sizeof(line); k++)
            n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%d", k ? "," : " fds=", fds[k]);
    fk_rec(fk, "%s", line);
    if (fk_fails(fk))
        return FK_FAIL_RC;
    if (s->index != VFIO_PCI_MSI_IRQ_INDEX || !(s->flags & VFIO_IRQ_SET_ACTION_TRIGGER))
        return -EINVAL;
    if ((s->flags & VFIO_IRQ_SET_DATA_NONE) && s->count == 0) {
        if (!fk->msi_enabled)
            return -EINVAL; /* vfio_pci_set_msi_trigger: nothing to disable */
        for (k = 0; k < 32; k++) {
            file = fk->trig[k];
            fk->trig[k] = -1;
            if (file >= 0 && fk->f[file].fd_refs == 0)
                fk->f[file].type = FK_FREE;
        }
        fk->msi_enabled = false;
        fk->msi_nvec = 0;
        return 0;
    }
    if (!(s->flags & VFIO_IRQ_SET_DATA_EVENTFD) || s->start != 0 || s->count == 0 ||
        s->count > fk->msi_count || s->argsz < sizeof(*s) + s->count * sizeof(int32_t))
        return -EINVAL;
    /* Enabled already: vfio_msi_set_block() swaps the triggers it has. */
    if (fk->msi_enabled && s->count > fk->msi_nvec)
        return -EINVAL;
    for (k = 0; k < s->count; k++) {
        file = file_of(fk, fds[k]);
        if (file < 0 || fk->f[file].type != FK_EVENTFD)
            return -EINVAL;
    }
    if (s->count > fk->grant)
        return (int)fk->grant; /* pci_alloc_irq_vectors gave fewer; freed again */
    for (k = 0; k < s->count; k++) {
        int old = fk->trig[k];
        fk->trig[k] = file_of(fk, fds[k]);
        if (old >= 0 && old != fk->trig[k] && fk->f[old].fd_refs == 0)
            fk->f[old].type = FK_FREE;
    }
    if (!fk->msi_enabled)
        fk->msi_nvec = s->count;
    fk->msi_enabled = true;
    return 0;
}

static int device_ioctl(struct fake_kernel *fk, unsigned long req, void *arg)
{
    switch (req) {
    case VFIO_DEVICE_GET_INFO: {
        struct vfio_device_info *di = arg;
        fk_rec(fk, "VFIO_DEVICE_GET_INFO");
        if (fk_fails(fk))
            return FK_FAIL_RC;
        if (di->argsz < sizeof(*di))
            return -EINVAL;
        di->flags = fk->dev_flags;
        di->num_regions = fk->num_regions;
        di->num_irqs = fk->num_irqs;
        return 0;
    }
    case VFIO_DEVICE_GET_REGION_INFO: {
        struct vfio_region_info *ri = arg;
        fk_rec(fk, "VFIO_DEVICE_GET_REGION_INFO %u", (unsigned)ri->index);
        if (fk_fails(fk))
            return FK_FAIL_RC;
        if (ri->argsz < sizeof(*ri) || ri->index >= fk->num_regions)
            return -EINVAL;
        ri->offset = (uint64_t)ri->index << REGION_SHIFT;
        ri->size = 0;
        ri->flags = 0;
        if (ri->index == VFIO_PCI_CONFIG_REGION_INDEX) {
            ri->size = fk->cfg_size;
            ri->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
        } else if (ri->index <= VFIO_PCI_BAR5_REGION_INDEX) {
            ri->size = fk->bar_size[ri->index];
            ri->flags = fk->bar_flags[ri->index];
        }
        return 0;
    }
    case VFIO_DEVICE_GET_IRQ_INFO: {
        struct vfio_irq_info *ii = arg;
        fk_rec(fk, "VFIO_DEVICE_GET_IRQ_INFO %u", (unsigned)ii->index);
        if (fk_fails(fk))
            return FK_FAIL_RC;
        if (ii->argsz < sizeof(*ii) || ii->index >= fk->num_irqs)
            return -EINVAL;
        ii->flags = VFIO_IRQ_INFO_EVENTFD;
        ii->count = ii->index == VFIO_PCI_MSI_IRQ_INDEX ? fk->msi_count : 0u;
        return 0;
    }
    case VFIO_DEVICE_SET_IRQS:
        return set_irqs(fk, arg);
    case VFIO_DEVICE_RESET:
        fk_rec(fk, "VFIO_DEVICE_RESET");
        if (fk_fails(fk))
            return FK_FAIL_RC;
        if (!(fk->dev_flags & VFIO_DEVICE_FLAGS_RESET))
            return -EINVAL;
        fk->resets++;
        return 0;
    default:
        fk_rec(fk, "device ioctl 0x%lx", req);
        fk_fails(fk);
        return -ENOTTY;
    }
}

static int set_gsi_routing(struct fake_kernel *fk, const struct kvm_irq_routing *t)
{
    uint32_t i, j;

    fk_rec(fk, "KVM_SET_GSI_ROUTING nr=%u", (unsigned)t->nr);
    if (fk_fails(fk))
        return FK_FAIL_RC;
    if (t->nr > FK_MAXROUTES || t->flags)
        return -EINVAL;
    for (i = 0; i < t->nr; i++) {
        const struct kvm_irq_routing_entry *e = &t->entries[i];
        if (e->gsi >= FK_MAXROUTES || e->flags & ~KVM_MSI_VALID_DEVID)
            return -EINVAL;
        if (e->type != KVM_IRQ_ROUTING_MSI && e->type != KVM_IRQ_ROUTING_IRQCHIP)
            return -EINVAL;
        /* kvm_set_irq_routing: one route per non-irqchip GSI, one pin per irqchip */
        for (j = 0; j < i; j++) {
            const struct kvm_irq_routing_entry *o = &t->entries[j];
            if (o->gsi != e->gsi)
                continue;
            if (o->type != KVM_IRQ_ROUTING_IRQCHIP || e->type != KVM_IRQ_ROUTING_IRQCHIP ||
                o->u.irqchip.irqchip == e->u.irqchip.irqchip)
                return -EINVAL;
        }
    }
    fk->nroutes = t->nr;
    for (i = 0; i < t->nr; i++) {
        const struct kvm_irq_routing_entry *e = &t->entries[i];
        struct fk_route *r = &fk->routes[i];
        memset(r, 0, sizeof(*r));
        r->gsi = e->gsi;
        r->type = e->type;
        r->flags = e->flags;
        if (e->type == KVM_IRQ_ROUTING_MSI) {
            r->msg.addr = e->u.msi.address_lo | ((uint64_t)e->u.msi.address_hi << 32);
            r->msg.data = e->u.msi.data;
            r->devid = e->u.msi.devid;
        } else {
            r->chip = e->u.irqchip.irqchip;
            r->pin = e->u.irqchip.pin;
        }
    }
    fk->set_routing_calls++;
    return 0;
}

static int kvm_irqfd(struct fake_kernel *fk, const struct kvm_irqfd *a)
{
    int file = file_of(fk, (int)a->fd), i, slot = -1;

    fk_rec(fk, "KVM_IRQFD%s fd=%d gsi=%u", a->flags & KVM_IRQFD_FLAG_DEASSIGN ? " DEASSIGN" : "",
           (int)a->fd, (unsigned)a->gsi);
    if (fk_fails(fk))
        return FK_FAIL_RC;
    if (file < 0 || fk->f[file].type != FK_EVENTFD)
        return -EBADF;
    if (a->flags & KVM_IRQFD_FLAG_DEASSIGN) {
        for (i = 0; i < FK_MAXIRQFD; i++) {
            if (fk->irqfd[i].active && fk->irqfd[i].file == file && fk->irqfd[i].gsi == a->gsi) {
                fk->irqfd[i].active = false;
                fk->f[file].count = 0; /* irqfd_shutdown: eventfd_ctx_remove_wait_queue */
                fk_after(fk);
                return 0;
            }
        }
        fk->bad_deassign++;
        return 0;
    }
    for (i = 0; i < FK_MAXIRQFD; i++) {
        if (fk->irqfd[i].active && fk->irqfd[i].file == file)
            return -EBUSY;
        if (!fk->irqfd[i].active && slot < 0)
            slot = i;
    }
    if (slot < 0)
        return -ENOSPC;
    fk->irqfd[slot].active = true;
    fk->irqfd[slot].file = file;
    fk->irqfd[slot].gsi = a->gsi;
    /* kvm_irqfd_assign: vfs_poll sees EPOLLIN -> inject, count left as is */
    if (fk->f[file].count)
        inject(fk, a->gsi);
    fk_after(fk);
    return 0;
}

static int sys_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
    struct fake_kernel *fk = ctx;
    int file = file_of(fk, fd), rc;

    if (file < 0) {
        fk_rec(fk, "ioctl on bad fd %d", fd);
        fk_fails(fk);
        return -EBADF;
    }
    switch (fk->f[file].type) {
    case FK_CONTAINER:
        rc = container_ioctl(fk, file, req, arg);
        break;
    case FK_GROUP:
        rc = group_ioctl(fk, file, req, arg);
        break;
    case FK_DEVICE:
        rc = device_ioctl(fk, req, arg);
        break;
    case FK_VM:
        if (req == KVM_IRQFD) {
            rc = kvm_irqfd(fk, arg);
        } else if (req == KVM_SET_GSI_ROUTING) {
            rc = set_gsi_routing(fk, arg);
        } else {
            fk_rec(fk, "vm ioctl 0x%lx", req);
            fk_fails(fk);
            rc = -ENOTTY;
        }
        break;
    default:
        fk_rec(fk, "ioctl 0x%lx on fd %d", req, fd);
        fk_fails(fk);
        rc = -ENOTTY;
        break;
    }
    return rc;
}

const struct vmsix_vfio_sys fk_sys = {
    .size = sizeof(struct vmsix_vfio_sys),
    .open = sys_open,
    .close = sys_close,
    .ioctl = sys_ioctl,
    .read = sys_read,
    .write = sys_write,
    .pread = sys_pread,
    .pwrite = sys_pwrite,
    .eventfd = sys_eventfd,
    .readlink = sys_readlink,
};

const char *fk_dump(const struct fake_kernel *fk, unsigned from)
{
    static char out[FK_MAXREC * 32];
    size_t n = 0;
    unsigned i;

    out[0] = '\0';
    for (i = from; i < fk->nrec && n + FK_LINE + 8 < sizeof(out); i++)
        n += (size_t)snprintf(out + n, sizeof(out) - n, "    %u: %s\n", i, fk->rec[i]);
    return out;
}

int fk_expect(const struct fake_kernel *fk, unsigned from, const char *const *want)
{
    unsigned i, nwant = 0;

    while (want[nwant])
        nwant++;
    for (i = 0; i < nwant || from + i < fk->nrec; i++) {
        const char *got = from + i < fk->nrec ? fk->rec[from + i] : "(nothing)";
        const char *exp = i < nwant ? want[i] : "(nothing)";
        if (strcmp(got, exp)) {
            fprintf(stderr, "call %u: got \"%s\", expected \"%s\"; the calls:\n%s", i, got, exp,
                    fk_dump(fk, from));
            return 0;
        }
    }
    return 1;
}
