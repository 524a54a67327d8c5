/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/e2e/outer/vfio_xhci_check: the vfio rig's check, run as root in the
 * outer machine (run-e2e --rig vfio; see tests/e2e/README.md, "the vfio
 * rig"). It proves, with no simulation on the host side, that QEMU's xHCI
 * (1033:0194, 16 MSI vectors, no mask bits) bound to vfio-pci delivers MSI
 * message k, through the real kernel's VT-d interrupt remapping, to
 * eventfd k exactly once, for every k; what a VFIO trigger switch loses;
 * and with --kvm, what KVM_IRQFD does with those eventfds' counts (routes,
 * delivery to the LAPIC's IRR, and the drain trap on assign).
 *
 *   vfio_xhci_check [--bdf DDDD:BB:DD.F] [--kvm] [--rounds N] [--iova HEX]
 *
 * Prints progress lines "VFIO-XHCI: ...", then the verdict lines
 *   VFIO-XHCI: PASS vectors=16 delivered=16/16 ir=1 ...
 *   VFIO-XHCI-SWITCH: PASS restored=16/16 ...
 *   VFIO-XHCI-KVM: PASS routes=16 ...           (with --kvm)
 * Exit 0 pass, 1 fail, 77 skip (no VFIO, no such device or no IOMMU
 * group), the reason printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <libgen.h>

#include <linux/kvm.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include <vmsix/capchain.h>
#include <vmsix/vtd.h>

#include "xhci_irq.h"

#define SKIP 77
#define EVENT_WAIT_MS 2000 /* one delivery's bound */
#define SETTLE_MS 50       /* quiet time before a "nothing else arrived" sweep */
/* KVM half: GSIs of the routes (above the 24 an irqchip's defaults use) and
 * the guest vectors they name (fixed, physical destination APIC 0) */
#define KVM_GSI_BASE 24
#define KVM_VEC_BASE 0x40
#define APIC_IRR 0x200
#define APIC_SPIV 0xf0

static const char *argv0 = "vfio_xhci_check";

static void say(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs("VFIO-XHCI: ", stdout);
    vprintf(fmt, ap);
    putchar('\n');
    fflush(stdout);
    va_end(ap);
}

static int64_t now_us(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static int64_t now_ms(void)
{
    return now_us() / 1000;
}

static void sleep_us(unsigned us)
{
    struct timespec t = {us / 1000000, (long)(us % 1000000) * 1000};

    while (nanosleep(&t, &t) != 0 && errno == EINTR) {
    }
}

/* ---- the device: VFIO container, group, device, BAR 0 ---- */

struct dev {
    char bdf[32];
    int container, group, fd;
    uint64_t cfg_off;             /* the configuration space region in the device fd */
    uint64_t bar0_off, bar0_size; /* BAR 0 region in the device fd */
    unsigned msi_count;           /* VFIO_DEVICE_GET_IRQ_INFO on the MSI index */
    int efd[XHCI_IRQ_MAX];        /* eventfd k: MSI vector k's trigger */
    unsigned nvec;                /* vectors set with VFIO_DEVICE_SET_IRQS */
    void *dma;                    /* the xHCI's DMA area (CPU view) */
    uint64_t iova, dma_size;
    bool dma_mapped;
};

/* BAR 0 through the device fd: exact 32-bit accesses, no mmap needed */
static uint32_t bar_rd32(void *ctx, uint32_t off)
{
    struct dev *d = ctx;
    uint32_t v = 0xffffffffu;

    if (pread(d->fd, &v, 4, (off_t)(d->bar0_off + off)) != 4)
        say("warning: BAR 0 read at 0x%x failed: %s", off, strerror(errno));
    return v;
}

static void bar_wr32(void *ctx, uint32_t off, uint32_t val)
{
    struct dev *d = ctx;

    if (pwrite(d->fd, &val, 4, (off_t)(d->bar0_off + off)) != 4)
        say("warning: BAR 0 write at 0x%x failed: %s", off, strerror(errno));
}

static void io_delay(void *ctx, unsigned us)
{
    (void)ctx;
    sleep_us(us);
}

static int read_sysfs(const char *bdf, const char *attr, char *buf, size_t len)
{
    char path[256];
    ssize_t n;
    int fd;

    snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, attr);
    fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    n = read(fd, buf, len - 1);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return (int)n;
}

/* the first PCI function with the NEC xHCI's IDs, in @bdf */
static int find_xhci(char *bdf, size_t len)
{
    DIR *dir = opendir("/sys/bus/pci/devices");
    struct dirent *e;
    char buf[32];
    int found = -1;

    if (!dir)
        return -1;
    while (found < 0 && (e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (read_sysfs(e->d_name, "vendor", buf, sizeof(buf)) < 0 ||
            strtoul(buf, NULL, 16) != XHCI_NEC_VENDOR_ID)
            continue;
        if (read_sysfs(e->d_name, "device", buf, sizeof(buf)) < 0 ||
            strtoul(buf, NULL, 16) != XHCI_NEC_DEVICE_ID)
            continue;
        if (strlen(e->d_name) < len) {
            memcpy(bdf, e->d_name, strlen(e->d_name) + 1);
            found = 0;
        }
    }
    closedir(dir);
    return found;
}

/*
 * Container (type 1 IOMMU, v2 when offered), group (must be viable), device
 * fd, BAR 0's region and the MSI index's vector count. SKIP when VFIO or
 * the device's IOMMU group is missing.
 */
static int dev_open(struct dev *d)
{
    char link[256], target[256], path[64];
    struct vfio_group_status gs = {.argsz = sizeof(gs)};
    struct vfio_device_info di = {.argsz = sizeof(di)};
    struct vfio_region_info ri = {.argsz = sizeof(ri), .index = VFIO_PCI_BAR0_REGION_INDEX};
    struct vfio_region_info ci = {.argsz = sizeof(ci), .index = VFIO_PCI_CONFIG_REGION_INDEX};
    struct vfio_irq_info ii = {.argsz = sizeof(ii), .index = VFIO_PCI_MSI_IRQ_INDEX};
    ssize_t n;
    int type;

    d->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
    if (d->container < 0) {
        say("skip: /dev/vfio/vfio: %s (no VFIO in this kernel?)", strerror(errno));
        return SKIP;
    }
    if (ioctl(d->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION) {
        say("FAIL reason=vfio-api-version");
        return 1;
    }
    if (ioctl(d->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) == 1)
        type = VFIO_TYPE1v2_IOMMU;
    else if (ioctl(d->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) == 1)
        type = VFIO_TYPE1_IOMMU;
    else {
        say("skip: no type 1 IOMMU backend (vfio_iommu_type1 not loaded?)");
        return SKIP;
    }

    snprintf(link, sizeof(link), "/sys/bus/pci/devices/%s/iommu_group", d->bdf);
    n = readlink(link, target, sizeof(target) - 1);
    if (n < 0) {
        say("skip: %s: %s (no IOMMU group: is the IOMMU on?)", link, strerror(errno));
        return SKIP;
    }
    target[n] = '\0';
    snprintf(path, sizeof(path), "/dev/vfio/%s", basename(target));
    d->group = open(path, O_RDWR | O_CLOEXEC);
    if (d->group < 0) {
        say("FAIL reason=group-open %s: %s (is the device bound to vfio-pci?)", path,
            strerror(errno));
        return 1;
    }
    if (ioctl(d->group, VFIO_GROUP_GET_STATUS, &gs) < 0 || !(gs.flags & VFIO_GROUP_FLAGS_VIABLE)) {
        say("FAIL reason=group-not-viable %s (every device of the group must be bound to "
            "vfio-pci or no driver)",
            path);
        return 1;
    }
    if (ioctl(d->group, VFIO_GROUP_SET_CONTAINER, &d->container) < 0 ||
        ioctl(d->container, VFIO_SET_IOMMU, type) < 0) {
        say("FAIL reason=set-container-iommu: %s", strerror(errno));
        return 1;
    }
    d->fd = ioctl(d->group, VFIO_GROUP_GET_DEVICE_FD, d->bdf);
    if (d->fd < 0) {
        say("FAIL reason=get-device-fd: %s", strerror(errno));
        return 1;
    }
    if (ioctl(d->fd, VFIO_DEVICE_GET_INFO, &di) < 0 || !(di.flags & VFIO_DEVICE_FLAGS_PCI)) {
        say("FAIL reason=device-info");
        return 1;
    }
    if (ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, &ri) < 0 || ri.size < 0x1000 ||
        (ri.flags & (VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE)) !=
            (VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE)) {
        say("FAIL reason=bar0-region");
        return 1;
    }
    d->bar0_off = ri.offset;
    d->bar0_size = ri.size;
    if (ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, &ci) < 0 || ci.size < 0x40) {
        say("FAIL reason=config-region");
        return 1;
    }
    d->cfg_off = ci.offset;
    if (ioctl(d->fd, VFIO_DEVICE_GET_IRQ_INFO, &ii) < 0 || !(ii.flags & VFIO_IRQ_INFO_EVENTFD)) {
        say("FAIL reason=msi-irq-info");
        return 1;
    }
    d->msi_count = ii.count;
    say("device %s: group %s, iommu type %s, %u regions, %u irq indexes, BAR 0 %" PRIu64
        " bytes, MSI count %u",
        d->bdf, basename(target), type == VFIO_TYPE1v2_IOMMU ? "1v2" : "1", di.num_regions,
        di.num_irqs, d->bar0_size, d->msi_count);
    return 0;
}

/*
 * Memory Space and Bus Master Enable in the Command register, through VFIO's
 * config region. vfio-pci enables memory decoding but leaves Bus Master off,
 * and QEMU drops a function's DMA and its MSI writes (they are memory
 * writes too) while Bus Master is off: the xHCI's ERST read would fail
 * (USBSTS.HCE) and no message would arrive.
 */
static int dev_enable_bus_master(struct dev *d)
{
    uint16_t cmd;

    if (pread(d->fd, &cmd, 2, (off_t)(d->cfg_off + PCI_COMMAND)) != 2)
        return -1;
    cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
    if (pwrite(d->fd, &cmd, 2, (off_t)(d->cfg_off + PCI_COMMAND)) != 2)
        return -1;
    return 0;
}

/* the DMA area: anonymous memory, pinned and mapped at d->iova */
static int dev_map_dma(struct dev *d, unsigned n)
{
    struct vfio_iommu_type1_dma_map m = {.argsz = sizeof(m)};

    d->dma_size = (XHCI_IRQ_AREA_SIZE(n) + 0xfffu) & ~(uint64_t)0xfff;
    d->dma = mmap(NULL, d->dma_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (d->dma == MAP_FAILED) {
        d->dma = NULL;
        say("FAIL reason=dma-alloc: %s", strerror(errno));
        return 1;
    }
    xhci_irq_fill(d->dma, d->iova, n);
    m.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
    m.vaddr = (uintptr_t)d->dma;
    m.iova = d->iova;
    m.size = d->dma_size;
    if (ioctl(d->container, VFIO_IOMMU_MAP_DMA, &m) < 0) {
        say("FAIL reason=map-dma iova 0x%" PRIx64 ": %s", d->iova, strerror(errno));
        return 1;
    }
    d->dma_mapped = true;
    return 0;
}

/*
 * VFIO_DEVICE_SET_IRQS on the MSI index: @n eventfds as the triggers of
 * vectors 0..@n-1. The kernel enables MSI with MME = log2(@n); a positive
 * return is the count it could have granted instead (nothing is enabled).
 */
static int dev_set_msi(struct dev *d, unsigned n)
{
    char buf[sizeof(struct vfio_irq_set) + sizeof(int32_t) * XHCI_IRQ_MAX];
    struct vfio_irq_set *s = (struct vfio_irq_set *)buf;
    int32_t fds[XHCI_IRQ_MAX];
    unsigned k;
    int r;

    for (k = 0; k < n; k++) {
        d->efd[k] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (d->efd[k] < 0) {
            say("FAIL reason=eventfd: %s", strerror(errno));
            return 1;
        }
        fds[k] = d->efd[k];
    }
    memset(buf, 0, sizeof(buf));
    s->argsz = (uint32_t)(sizeof(*s) + sizeof(int32_t) * n);
    s->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
    s->index = VFIO_PCI_MSI_IRQ_INDEX;
    s->start = 0;
    s->count = n;
    memcpy(s->data, fds, sizeof(int32_t) * n);
    r = ioctl(d->fd, VFIO_DEVICE_SET_IRQS, s);
    if (r != 0) {
        if (r > 0)
            say("FAIL reason=set-irqs-fewer: asked %u MSI vectors, the host can give %d", n, r);
        else
            say("FAIL reason=set-irqs: %s", strerror(errno));
        return 1;
    }
    d->nvec = n;
    return 0;
}

/*
 * Vector k's trigger alone (start k, count 1): @fd, or -1 for none. vfio-pci
 * frees the vector's IRQ and requests it again with the new eventfd.
 */
static int dev_set_trigger(struct dev *d, unsigned k, int32_t fd)
{
    char buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
    struct vfio_irq_set *s = (struct vfio_irq_set *)buf;

    memset(buf, 0, sizeof(buf));
    s->argsz = sizeof(buf);
    s->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
    s->index = VFIO_PCI_MSI_IRQ_INDEX;
    s->start = k;
    s->count = 1;
    memcpy(s->data, &fd, sizeof(fd));
    if (ioctl(d->fd, VFIO_DEVICE_SET_IRQS, s) != 0) {
        say("SET_IRQS vector %u fd %d: %s", k, (int)fd, strerror(errno));
        return -1;
    }
    return 0;
}

static void dev_close(struct dev *d)
{
    struct vfio_irq_set s = {.argsz = sizeof(s)};
    struct vfio_iommu_type1_dma_unmap u = {.argsz = sizeof(u)};
    unsigned k;

    if (d->nvec) {
        /* count 0: MSI off, the vectors and their remapping entries freed */
        s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
        s.index = VFIO_PCI_MSI_IRQ_INDEX;
        if (ioctl(d->fd, VFIO_DEVICE_SET_IRQS, &s) < 0)
            say("warning: SET_IRQS count 0: %s", strerror(errno));
    }
    for (k = 0; k < XHCI_IRQ_MAX; k++)
        if (d->efd[k] >= 0)
            close(d->efd[k]);
    if (d->dma_mapped) {
        u.iova = d->iova;
        u.size = d->dma_size;
        if (ioctl(d->container, VFIO_IOMMU_UNMAP_DMA, &u) < 0)
            say("warning: UNMAP_DMA: %s", strerror(errno));
    }
    if (d->dma)
        munmap(d->dma, d->dma_size);
    if (d->fd >= 0)
        close(d->fd);
    if (d->group >= 0)
        close(d->group);
    if (d->container >= 0)
        close(d->container);
}

/* ---- what the host programmed: the function's MSI registers ---- */

struct msi_state {
    bool enabled, is64;
    unsigned mme;         /* log2 of the vectors enabled */
    struct vmsix_msg msg; /* vector 0's message */
    bool remappable, shv;
    uint16_t handle;
};

static uint32_t le16_at(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32_at(const uint8_t *p)
{
    return le16_at(p) | le16_at(p + 2) << 16;
}

/* the remappable-format MSI address (VT-d 5.1.5.2): format bit 4, SHV
 * bit 3, handle[15] in bit 2, handle[14:0] in bits 19:5 */
#define MSI_IR_FORMAT 0x10u
#define MSI_IR_SHV 0x8u
#define MSI_IR_HANDLE(lo) ((((lo) >> 5) & 0x7fffu) | (((lo) >> 2) & 1u) << 15)

/*
 * The MSI capability as the hardware holds it: from sysfs (VFIO's config
 * region shows the virtualized MSI registers, not what the host wrote),
 * with the remappable-format address decoded.
 */
static int msi_read(const char *bdf, struct msi_state *m)
{
    char path[128];
    uint8_t cfg[256];
    struct vmsix_cap cap;
    const uint8_t *c;
    uint32_t ctl, lo, hi = 0;
    int fd;

    snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
    fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    if (pread(fd, cfg, sizeof(cfg), 0) != (ssize_t)sizeof(cfg)) {
        close(fd);
        return -1;
    }
    close(fd);
    if (vmsix_capchain_lookup(cfg, sizeof(cfg), false, PCI_CAP_ID_MSI, &cap, NULL) != 0 ||
        (size_t)cap.off + PCI_MSI_DATA_64 + 2 > sizeof(cfg))
        return -1;
    c = cfg + cap.off;
    ctl = le16_at(c + PCI_MSI_FLAGS);
    m->enabled = (ctl & PCI_MSI_FLAGS_ENABLE) != 0;
    m->mme = (ctl & PCI_MSI_FLAGS_QSIZE) >> 4;
    m->is64 = (ctl & PCI_MSI_FLAGS_64BIT) != 0;
    lo = le32_at(c + PCI_MSI_ADDRESS_LO);
    if (m->is64)
        hi = le32_at(c + PCI_MSI_ADDRESS_HI);
    m->msg.addr = (uint64_t)hi << 32 | lo;
    m->msg.data = le16_at(c + (m->is64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32));
    m->remappable = (lo & MSI_IR_FORMAT) != 0;
    m->shv = (lo & MSI_IR_SHV) != 0;
    m->handle = (uint16_t)MSI_IR_HANDLE(lo);
    return 0;
}

/* /proc/interrupts lines of remapped vfio MSI vectors ("IR-PCI-MSI ... vfio-msi[k]") */
static unsigned count_ir_vfio_lines(char *example, size_t len)
{
    FILE *f = fopen("/proc/interrupts", "r");
    char line[1024];
    unsigned n = 0;

    if (example && len)
        example[0] = '\0';
    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f)) {
        if (!strstr(line, "IR-PCI-MSI") || !strstr(line, "vfio-msi"))
            continue;
        if (n++ == 0 && example && len) {
            size_t l = strcspn(line, "\n");

            if (l >= len)
                l = len - 1;
            memcpy(example, line, l);
            example[l] = '\0';
        }
    }
    fclose(f);
    return n;
}

/* ---- deliveries ---- */

/* reads eventfd @fd without blocking: its count, 0 when none */
static uint64_t efd_take(int fd)
{
    uint64_t v = 0;

    if (read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
        return 0;
    return v;
}

/* waits until @fd is readable (not consuming), at most @ms */
static bool efd_wait(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};

    return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

/*
 * Rings interrupter k once per vector and round; eventfd k must count
 * exactly 1 and every other eventfd 0. Returns the vectors that passed
 * every round.
 */
static unsigned run_deliveries(struct dev *d, const struct xhci_irq_io *io,
                               const struct xhci_irq_caps *c, unsigned rounds, uint64_t *max_us)
{
    bool ok[XHCI_IRQ_MAX];
    unsigned k, j, r, good = 0;

    for (k = 0; k < d->nvec; k++)
        ok[k] = true;
    for (r = 0; r < rounds; r++) {
        for (k = 0; k < d->nvec; k++) {
            int64_t t0 = now_us();
            uint64_t got;

            xhci_irq_fire(io, c, d->iova, k);
            if (!efd_wait(d->efd[k], EVENT_WAIT_MS)) {
                say("vector %u round %u: nothing on eventfd %u within %d ms", k, r, k,
                    EVENT_WAIT_MS);
                ok[k] = false;
            }
            if ((uint64_t)(now_us() - t0) > *max_us)
                *max_us = (uint64_t)(now_us() - t0);
            got = efd_take(d->efd[k]);
            if (got != 1) {
                say("vector %u round %u: eventfd %u counted %" PRIu64 " (want 1)", k, r, k, got);
                ok[k] = false;
            }
            for (j = 0; j < d->nvec; j++) {
                if (j == k)
                    continue;
                got = efd_take(d->efd[j]);
                if (got) {
                    say("vector %u round %u: eventfd %u counted %" PRIu64 " (want 0)", k, r, j,
                        got);
                    ok[k] = ok[j] = false;
                }
            }
        }
    }
    /* anything late */
    sleep_us(SETTLE_MS * 1000);
    for (j = 0; j < d->nvec; j++) {
        uint64_t got = efd_take(d->efd[j]);

        if (got) {
            say("after the run: eventfd %u counted %" PRIu64 " (want 0)", j, got);
            ok[j] = false;
        }
    }
    for (k = 0; k < d->nvec; k++)
        good += ok[k];
    return good;
}

/*
 * The trigger-switch trap, with its window held open. QEMU masks a
 * passed-through MSI-X vector by switching its VFIO trigger to an eventfd
 * of its own; vfio-pci does that by free_irq() + request_irq(), and Linux
 * deactivates a freed interrupt in between:
 *  - vector k > 0: the remapping entry 16 + k is cleared; k's message hits
 *    a not-present entry (QEMU logs "non-present IRTE") and is dropped;
 *  - vector 0: for multi-message MSI only the block's first interrupt
 *    writes the function's MSI registers (pci_msi_domain_write_msg()), and
 *    its deactivation writes address 0 / data 0 there: every vector's
 *    message becomes a DMA write of the data to bus address 0 (a DMA fault
 *    here; with guest RAM mapped at IOVA = guest physical from 0, a silent
 *    write into the guest's page 0), until request_irq() writes the
 *    message back.
 * Without per-vector mask bits the function keeps no pending bit: the
 * messages are lost. Each vector k's trigger is removed (fd -1); k and
 * every other vector are rung once; k's trigger is put back. Counted: k's
 * message lost; the others lost (k = 0) or delivered (k > 0); and a new
 * ring of k delivered (restored).
 */
struct switch_result {
    unsigned self_lost;        /* k's own message while k had no trigger */
    unsigned v0_others_lost;   /* the others' while vector 0 had none (n - 1) */
    unsigned others_delivered; /* the others' while k > 0 had none ((n - 1)^2) */
    unsigned restored;         /* k rung after its trigger was put back */
};

static int run_switch(struct dev *d, const struct xhci_irq_io *io, const struct xhci_irq_caps *c,
                      struct switch_result *r)
{
    unsigned k, j;

    memset(r, 0, sizeof(*r));
    for (k = 0; k < d->nvec; k++) {
        if (dev_set_trigger(d, k, -1) != 0)
            return -1;
        for (j = 0; j < d->nvec; j++) {
            xhci_irq_fire(io, c, d->iova, j);
            /* one at a time: two messages of a vector before its CPU takes
             * the first would merge in the LAPIC's IRR */
            if (j != k)
                (void)efd_wait(d->efd[j], k == 0 ? 1 : EVENT_WAIT_MS);
        }
        sleep_us(SETTLE_MS * 1000);
        if (dev_set_trigger(d, k, d->efd[k]) != 0)
            return -1;
        sleep_us(SETTLE_MS * 1000);
        for (j = 0; j < d->nvec; j++) {
            uint64_t got = efd_take(d->efd[j]);

            if (j == k)
                r->self_lost += got == 0;
            else if (k == 0)
                r->v0_others_lost += got == 0;
            else
                r->others_delivered += got == 1;
        }
        xhci_irq_fire(io, c, d->iova, k);
        if (efd_wait(d->efd[k], EVENT_WAIT_MS) && efd_take(d->efd[k]) == 1)
            r->restored++;
        else
            say("switch: vector %u: no delivery after its trigger was put back", k);
    }
    return 0;
}

/* ---- the KVM half: routes, irqfds, the drain trap ---- */

struct kvm {
    int sys, vm, vcpu;
    struct kvm_lapic_state base; /* LAPIC software-enabled, IRR clear */
};

static int kvm_open(struct kvm *k)
{
    k->vm = k->vcpu = -1;
    k->sys = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (k->sys < 0) {
        say("kvm: /dev/kvm: %s", strerror(errno));
        return 1;
    }
    if (ioctl(k->sys, KVM_GET_API_VERSION, 0) != KVM_API_VERSION ||
        ioctl(k->sys, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD) <= 0 ||
        ioctl(k->sys, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING) <= 0) {
        say("kvm: API version or KVM_CAP_IRQFD / KVM_CAP_IRQ_ROUTING missing");
        return 1;
    }
    k->vm = ioctl(k->sys, KVM_CREATE_VM, 0);
    if (k->vm < 0 || ioctl(k->vm, KVM_CREATE_IRQCHIP, 0) < 0) {
        say("kvm: KVM_CREATE_VM / KVM_CREATE_IRQCHIP: %s", strerror(errno));
        return 1;
    }
    /* a vCPU that never runs: its LAPIC is where MSI routes deliver */
    k->vcpu = ioctl(k->vm, KVM_CREATE_VCPU, 0);
    if (k->vcpu < 0 || ioctl(k->vcpu, KVM_GET_LAPIC, &k->base) < 0) {
        say("kvm: KVM_CREATE_VCPU / KVM_GET_LAPIC: %s", strerror(errno));
        return 1;
    }
    /* software-enable it (SVR bit 8; spurious vector 0xff): a disabled
     * LAPIC accepts no fixed interrupt; APIC ID 0, base MSR enabled at reset */
    *(uint32_t *)&k->base.regs[APIC_SPIV] = 0x1ff;
    memset(&k->base.regs[APIC_IRR], 0, 0x80);
    if (ioctl(k->vcpu, KVM_SET_LAPIC, &k->base) < 0) {
        say("kvm: KVM_SET_LAPIC: %s", strerror(errno));
        return 1;
    }
    return 0;
}

static void kvm_close(struct kvm *k)
{
    if (k->vcpu >= 0)
        close(k->vcpu);
    if (k->vm >= 0)
        close(k->vm);
    if (k->sys >= 0)
        close(k->sys);
}

/* one MSI route per vector: GSI 24 + i -> fixed vector 0x40 + i, APIC 0 */
static int kvm_routes(struct kvm *k, unsigned n)
{
    char buf[sizeof(struct kvm_irq_routing) + XHCI_IRQ_MAX * sizeof(struct kvm_irq_routing_entry)];
    struct kvm_irq_routing *r = (struct kvm_irq_routing *)buf;
    unsigned i;

    memset(buf, 0, sizeof(buf));
    r->nr = n;
    for (i = 0; i < n; i++) {
        r->entries[i].gsi = KVM_GSI_BASE + i;
        r->entries[i].type = KVM_IRQ_ROUTING_MSI;
        r->entries[i].u.msi.address_lo = 0xfee00000u; /* destination APIC ID 0, physical */
        r->entries[i].u.msi.data = KVM_VEC_BASE + i;  /* fixed, edge */
    }
    if (ioctl(k->vm, KVM_SET_GSI_ROUTING, r) < 0) {
        say("kvm: KVM_SET_GSI_ROUTING: %s", strerror(errno));
        return 1;
    }
    return 0;
}

static int kvm_irqfd(struct kvm *k, int efd, unsigned i, bool assign)
{
    struct kvm_irqfd f = {.fd = (uint32_t)efd, .gsi = KVM_GSI_BASE + i};

    if (!assign)
        f.flags = KVM_IRQFD_FLAG_DEASSIGN;
    if (ioctl(k->vm, KVM_IRQFD, &f) < 0) {
        say("kvm: KVM_IRQFD %s gsi %u: %s", assign ? "assign" : "deassign", KVM_GSI_BASE + i,
            strerror(errno));
        return -1;
    }
    return 0;
}

/* the IRR bits of our n vectors (bit i: vector 0x40 + i); ~0 on error */
static uint32_t kvm_irr(struct kvm *k, unsigned n)
{
    struct kvm_lapic_state s;
    uint32_t out = 0;
    unsigned i;

    if (ioctl(k->vcpu, KVM_GET_LAPIC, &s) < 0)
        return ~0u;
    for (i = 0; i < n; i++) {
        unsigned v = KVM_VEC_BASE + i;
        uint32_t w;

        memcpy(&w, &s.regs[APIC_IRR + (v / 32) * 0x10], 4);
        if (w & (1u << (v % 32)))
            out |= 1u << i;
    }
    return out;
}

static int kvm_irr_clear(struct kvm *k)
{
    return ioctl(k->vcpu, KVM_SET_LAPIC, &k->base);
}

/* waits until IRR shows vector i (irqfd injection may run in a worker) */
static uint32_t kvm_irr_wait(struct kvm *k, unsigned n, unsigned i, int ms)
{
    int64_t end = now_ms() + ms;
    uint32_t irr;

    do {
        irr = kvm_irr(k, n);
        if (irr != ~0u && (irr & (1u << i)))
            return irr;
        sleep_us(1000);
    } while (now_ms() < end);
    return irr;
}

/*
 * Vector i held (its irqfd deassigned: messages wait in the eventfd) and
 * rung once. 0 when eventfd i then holds a count, 1 when no message came,
 * -1 when the deassign failed.
 */
static int hold_and_ring(struct kvm *k, struct dev *d, const struct xhci_irq_io *io,
                         const struct xhci_irq_caps *c, unsigned i)
{
    if (kvm_irqfd(k, d->efd[i], i, false) != 0)
        return -1;
    xhci_irq_fire(io, c, d->iova, i);
    if (!efd_wait(d->efd[i], EVENT_WAIT_MS)) {
        say("kvm: vector %u: no message while the irqfd was deassigned", i);
        return 1;
    }
    return 0;
}

struct kvm_result {
    unsigned delivered;     /* fire -> the route's vector in IRR, and no other */
    unsigned consumed;      /* ... and the eventfd's count consumed by the irqfd */
    unsigned trap_injected; /* assign with a pending count injected it */
    unsigned trap_kept;     /* ... and left the count in the eventfd */
    unsigned drained_quiet; /* drain, then assign: nothing injected */
    unsigned after_drain;   /* ... and the next fire delivered and consumed */
};

static int run_kvm(struct dev *d, const struct xhci_irq_io *io, const struct xhci_irq_caps *c,
                   struct kvm_result *res)
{
    struct kvm k;
    unsigned i, drain, n = d->nvec;
    uint32_t irr;
    int rc = 1;

    memset(res, 0, sizeof(*res));
    if (kvm_open(&k) != 0 || kvm_routes(&k, n) != 0)
        goto out;
    for (i = 0; i < n; i++)
        if (kvm_irqfd(&k, d->efd[i], i, true) != 0)
            goto out;
    say("kvm: VM with an in-kernel irqchip, 1 vCPU (never run), %u MSI routes (GSI %u..%u -> "
        "vectors 0x%x..0x%x, APIC 0), %u irqfds",
        n, KVM_GSI_BASE, KVM_GSI_BASE + n - 1, KVM_VEC_BASE, KVM_VEC_BASE + n - 1, n);

    /* 1. with the irqfd assigned: each message reaches its route's vector,
     *    and the irqfd consumes the eventfd's count */
    for (i = 0; i < n; i++) {
        if (kvm_irr_clear(&k) < 0)
            goto out;
        xhci_irq_fire(io, c, d->iova, i);
        irr = kvm_irr_wait(&k, n, i, EVENT_WAIT_MS);
        if (irr == (1u << i))
            res->delivered++;
        else
            say("kvm: vector %u: IRR bits 0x%x (want 0x%x)", i, irr, 1u << i);
        if (efd_take(d->efd[i]) == 0)
            res->consumed++;
        else
            say("kvm: vector %u: eventfd count left after an irqfd delivery", i);
    }

    /* 2. (drain 0) the trap: a count pending when the irqfd is assigned is
     *    injected (kvm_irqfd_assign polls the eventfd and schedules an
     *    injection) but not consumed: a later read sees it again.
     * 3. (drain 1) the rule: drain the eventfd, then assign: nothing
     *    injected; the next message is delivered and consumed. */
    for (drain = 0; drain < 2; drain++) {
        for (i = 0; i < n; i++) {
            int h = hold_and_ring(&k, d, io, c, i);

            if (h < 0)
                goto out;
            if (h > 0)
                continue;
            if (drain)
                (void)efd_take(d->efd[i]); /* the VMM would record it as pending */
            if (kvm_irr_clear(&k) < 0 || kvm_irqfd(&k, d->efd[i], i, true) != 0)
                goto out;
            if (!drain) {
                irr = kvm_irr_wait(&k, n, i, EVENT_WAIT_MS);
                res->trap_injected += irr == (1u << i);
                res->trap_kept += efd_take(d->efd[i]) == 1;
                continue;
            }
            sleep_us(SETTLE_MS * 1000);
            res->drained_quiet += kvm_irr(&k, n) == 0;
            if (kvm_irr_clear(&k) < 0)
                goto out;
            xhci_irq_fire(io, c, d->iova, i);
            irr = kvm_irr_wait(&k, n, i, EVENT_WAIT_MS);
            res->after_drain += irr == (1u << i) && efd_take(d->efd[i]) == 0;
        }
    }
    rc = 0;
out:
    /* deassign what is assigned (closing the VM would too) */
    if (k.vm >= 0)
        for (i = 0; i < n; i++) {
            struct kvm_irqfd f = {.fd = (uint32_t)d->efd[i],
                                  .gsi = KVM_GSI_BASE + i,
                                  .flags = KVM_IRQFD_FLAG_DEASSIGN};
            (void)ioctl(k.vm, KVM_IRQFD, &f);
        }
    kvm_close(&k);
    return rc;
}

/* ---- main ---- */

static void usage(void)
{
    fprintf(stderr, "usage: %s [--bdf DDDD:BB:DD.F] [--kvm] [--rounds N] [--iova HEX]\n", argv0);
}

int main(int argc, char **argv)
{
    struct dev d = {.container = -1, .group = -1, .fd = -1, .iova = 0x100000000ull};
    struct xhci_irq_io io = {.ctx = &d, .rd32 = bar_rd32, .wr32 = bar_wr32, .delay_us = io_delay};
    struct xhci_irq_caps caps;
    struct msi_state msi;
    struct vmsix_msg want;
    char example[256];
    unsigned rounds = 1, k, good, lines, nvec;
    uint64_t max_us = 0; /* the slowest doorbell-to-eventfd time */
    bool with_kvm = false;
    int64_t t0 = now_ms();
    int i, rc;

    for (k = 0; k < XHCI_IRQ_MAX; k++)
        d.efd[k] = -1;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--bdf") && i + 1 < argc)
            snprintf(d.bdf, sizeof(d.bdf), "%s", argv[++i]);
        else if (!strcmp(argv[i], "--kvm"))
            with_kvm = true;
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc && atoi(argv[i + 1]) > 0)
            rounds = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--iova") && i + 1 < argc)
            d.iova = strtoull(argv[++i], NULL, 16);
        else {
            usage();
            return 2;
        }
    }
    if (!d.bdf[0] && find_xhci(d.bdf, sizeof(d.bdf)) != 0) {
        say("skip: no %04x:%04x function (-device nec-usb-xhci,msi=on,msix=off)",
            XHCI_NEC_VENDOR_ID, XHCI_NEC_DEVICE_ID);
        return SKIP;
    }

    rc = dev_open(&d);
    if (rc != 0)
        goto done;
    rc = 1;
    if (dev_enable_bus_master(&d) != 0) {
        say("FAIL reason=bus-master: %s", strerror(errno));
        goto done;
    }
    xhci_irq_probe(&io, &caps);
    say("xHCI: CAPLENGTH 0x%x, RTSOFF 0x%x, MaxIntrs %u, AC64 %d", caps.op, caps.rt, caps.max_intrs,
        caps.ac64);
    nvec = d.msi_count < caps.max_intrs ? d.msi_count : caps.max_intrs;
    if (nvec > XHCI_IRQ_MAX)
        nvec = XHCI_IRQ_MAX;
    if (d.msi_count != 16 || caps.max_intrs < 16) {
        say("FAIL reason=msi-count vectors=%u max_intrs=%u (want 16)", d.msi_count, caps.max_intrs);
        goto done;
    }
    i = xhci_irq_reset(&io, &caps);
    if (i != XHCI_IRQ_OK) {
        say("FAIL reason=xhci-reset (%s)",
            i == XHCI_IRQ_EHALT ? "did not halt" : "HCRST/CNR stuck");
        goto done;
    }
    if (dev_map_dma(&d, nvec) != 0)
        goto done;
    say("DMA area: %" PRIu64 " bytes at IOVA 0x%" PRIx64 " (ERST entries, %u rings of %u TRBs)",
        d.dma_size, d.iova, nvec, XHCI_IRQ_RING_TRBS);
    /* MSI on before any interrupter is enabled: nothing may fall back to INTx */
    if (dev_set_msi(&d, nvec) != 0)
        goto done;
    if (msi_read(d.bdf, &msi) != 0) {
        say("FAIL reason=msi-cap-read");
        goto done;
    }
    vmsix_vtd_msi_compose(msi.handle, &want);
    say("MSI as the host programmed it: enabled %d, MME %u (%u vectors), address 0x%" PRIx64
        " data 0x%x: %s, handle %u, SHV %d; vmsix_vtd_msi_compose(%u) %s",
        msi.enabled, msi.mme, 1u << msi.mme, msi.msg.addr, msi.msg.data,
        msi.remappable ? "remappable format" : "compatibility format", msi.handle, msi.shv,
        msi.handle, want.addr == msi.msg.addr && want.data == msi.msg.data ? "agrees" : "DIFFERS");
    lines = count_ir_vfio_lines(example, sizeof(example));
    say("/proc/interrupts: %u IR-PCI-MSI vfio-msi lines; the first: %s", lines, example);
    i = xhci_irq_setup(&io, &caps, d.iova, nvec);
    if (i != XHCI_IRQ_OK) {
        say("FAIL reason=xhci-setup (%s)",
            i == XHCI_IRQ_EDMA ? "USBSTS.HCE: the ERST read through the IOMMU failed"
                               : "bad arguments");
        goto done;
    }

    good = run_deliveries(&d, &io, &caps, rounds, &max_us);
    {
        bool pass = good == nvec && msi.enabled && (1u << msi.mme) == nvec && msi.remappable &&
                    msi.shv && want.addr == msi.msg.addr && want.data == msi.msg.data &&
                    lines == nvec;

        printf("VFIO-XHCI: %s vectors=%u delivered=%u/%u ir=%d handle=%u shv=%d "
               "irq_lines=%u rounds=%u max_delivery_us=%" PRIu64 " seconds=%.1f\n",
               pass ? "PASS" : "FAIL", nvec, good, nvec, msi.remappable, msi.handle, msi.shv, lines,
               rounds, max_us, (double)(now_ms() - t0) / 1000.0);
        fflush(stdout);
        rc = pass ? 0 : 1;
    }

    {
        struct switch_result sw;
        unsigned n1 = nvec - 1;
        int64_t ts = now_ms();

        if (run_switch(&d, &io, &caps, &sw) != 0) {
            printf("VFIO-XHCI-SWITCH: FAIL reason=set-irqs\n");
            rc = 1;
        } else {
            /* the losses are this kernel's behaviour, reported, not required;
             * what must hold: a vector works again once its trigger is back,
             * and a switch of k > 0 does not disturb the others */
            bool pass = sw.restored == nvec && sw.others_delivered == n1 * n1;

            printf("VFIO-XHCI-SWITCH: %s restored=%u/%u others_unaffected=%u/%u "
                   "self_lost=%u/%u v0_others_lost=%u/%u trap=%s seconds=%.1f\n",
                   pass ? "PASS" : "FAIL", sw.restored, nvec, sw.others_delivered, n1 * n1,
                   sw.self_lost, nvec, sw.v0_others_lost, n1,
                   sw.self_lost == nvec && sw.v0_others_lost == n1 ? "present"
                   : sw.self_lost == 0                             ? "absent"
                                                                   : "partial",
                   (double)(now_ms() - ts) / 1000.0);
            if (!pass)
                rc = 1;
        }
        fflush(stdout);
    }

    if (with_kvm) {
        struct kvm_result r;
        int64_t tk = now_ms();
        bool pass;

        if (run_kvm(&d, &io, &caps, &r) != 0) {
            printf("VFIO-XHCI-KVM: FAIL reason=kvm-setup\n");
            rc = 1;
        } else {
            /* The trap is this kernel's behaviour, reported, not required:
             * the drain rule is right with or without it. */
            const char *trap = r.trap_injected == nvec && r.trap_kept == nvec ? "present"
                               : r.trap_injected == 0 && r.trap_kept == 0     ? "absent"
                                                                              : "partial";

            pass = r.delivered == nvec && r.consumed == nvec && r.drained_quiet == nvec &&
                   r.after_drain == nvec;
            printf("VFIO-XHCI-KVM: %s routes=%u irqfd_delivered=%u/%u consumed=%u/%u "
                   "drained_assign_quiet=%u/%u after_drain=%u/%u "
                   "pending_on_assign_injected=%u/%u pending_on_assign_kept=%u/%u trap=%s "
                   "seconds=%.1f\n",
                   pass ? "PASS" : "FAIL", nvec, r.delivered, nvec, r.consumed, nvec,
                   r.drained_quiet, nvec, r.after_drain, nvec, r.trap_injected, nvec, r.trap_kept,
                   nvec, trap, (double)(now_ms() - tk) / 1000.0);
            if (!pass)
                rc = 1;
        }
        fflush(stdout);
    }
    xhci_irq_stop(&io, &caps, nvec);
done:
    dev_close(&d);
    return rc;
}
