/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfiodev.c - a real PCI function passed through with VFIO (--vfio): how a
 * VMM on stock Linux composes vmsix with libvmsix-vfio.
 *
 * The host kernel owns the function: vfio-pci, its IOMMU domain, its MSI
 * vectors and their interrupt-remapping entries. The VMM, through
 * libvmsix-vfio (vmsix/vfio.h):
 *
 *   setup    vmsix_vfio_dev_open(bdf): container, group, device fd, regions
 *            vmsix_vfio_dma_map(): guest RAM, IOVA = guest physical
 *            vmsix_vfio_routes_init(): KVM's GSI routing table, KVM's x86
 *              irqchip routes kept (the UART's IRQ 4, the PIT)
 *            vmsix_vfio_msi_init() + _hostmsg(): the host-owned-message
 *              backend (vmsix/hostmsg.h), wrapped here (w_*) to watch its
 *              eventfds
 *            mmap of each BAR region VFIO lets us map
 *
 * With vmsix (the default) the guest's configuration space is a struct
 * vmsix_dev made with vmsix_dev_init_hostmsg(): the MSI-only function is
 * shown as MSI-X, every BAR virtual.
 *
 *   guest config read/write  -> vmsix_dev_cfg_read/write()
 *                               (-> cfg hooks: vmsix_vfio_cfg_read/write())
 *   guest MMIO on the table  -> vmsix_dev_mmio_read/write()
 *   guest MSI-X Enable       -> (vmsix) enable(16): VFIO_DEVICE_SET_IRQS
 *   vector k unmasked        -> (vmsix) route(k, the guest's message):
 *                               KVM_SET_GSI_ROUTING, drain, KVM_IRQFD
 *   vector k masked          -> (vmsix) unroute(k): KVM_IRQFD deassign
 *   guest reads the PBA      -> (vmsix) take_pending(k): read eventfd k
 *   bar_moved(BAR n, addr)   -> KVM_SET_USER_MEMORY_REGION of the mmap
 *
 * and the function's interrupt k goes, with no VMM thread involved, from
 * vfio-pci's handler to eventfd k to KVM's irqfd to the guest's vector.
 *
 * With --mode=msi (the control run) the guest reaches the function's
 * configuration space through VFIO (whose BARs are virtual too), except
 * its MSI capability, which this file emulates: on the guest's MSI Enable
 * with Multiple Message Enable m it calls the same backend's enable(2^m)
 * and route(k, {address, data | k}) for each k, and re-routes every vector
 * when the guest rewrites the message.
 *
 * The wakeup watcher: one thread epolls every vector's eventfd
 * (edge-triggered, never reading them: the backend's reads decide what is
 * pending), the way a VMM that handles a function's interrupts itself is
 * woken. Each return of epoll_wait with one of them ready is a VMM wakeup
 * for the function's interrupts; a ready vector that is routed (unmasked)
 * and whose eventfd still holds a count once the device lock is taken is
 * an interrupt of an unmasked vector that reached the VMM instead of the
 * guest (vmm_wakeups_unmasked). A count KVM's irqfd took never makes
 * epoll_wait return (the irqfd consumes it within the signal's wake-up,
 * so the eventfd is not ready when epoll looks; since Linux 5.11 the
 * irqfd's entry is a priority one that also ends the wake-up); one held
 * by a masked vector does (vmm_wakeups_masked), as long as nobody has
 * read it first.
 *
 * Locking: one mutex per function; every vmsix_dev_* call, every backend
 * call, every BAR slot change and the watcher's classification happen
 * under it (vmsix takes no locks: DESIGN section 3).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include <vmsix/vfio.h>
#include <vmsix/vmsix.h>

#include "irq.h"
#include "msixbar.h"
#include "vfiodev.h"

#define NBARS VMSIX_DEV_NBARS /* BARs 0..5 and the ROM (VMSIX_DEV_ROM) */
/* KVM memory slots of BAR n's map ranges: 2 + n * VMSIX_BAR_LAYOUT_MAX_RANGES + r
 * (RAM has 0 and 1) */
#define KVM_SLOT_BAR0 2u
#define ROUTES_MAX 128u               /* KVM's 40 x86 irqchip routes + the vectors */
#define GSI_BASE 24u                  /* above the IOAPIC's pins (VMSIX_VFIO_ROUTES_X86_IRQCHIP) */
#define WATCH_STOP UINT64_MAX         /* the watcher's stop eventfd, in epoll data */
#define NO_SLOT 0xffu                 /* table_slot before vmsix_dev_init_hostmsg() returned */
#define IRQ_WINDOW_END 0x100000000ull /* IOAPIC, LAPIC and the TSS pages lie below it */
#define MSI_REGS 24u                  /* the largest MSI capability: 64-bit, mask bits */

/* One BAR (or the ROM) of the function as the guest has it. */
struct vbar {
    uint64_t size; /* 0: not shown to the guest */
    uint8_t kind;  /* VMSIX_BAR_MEM32 or VMSIX_BAR_MEM64 (the ROM: MEM32) */
    bool prefetch;
    uint32_t region; /* its VFIO region index */
    void *map;       /* the VMM's mmap of the region; NULL: every access is trapped */
    uint64_t at;     /* guest address where it decodes; 0: nowhere */
    bool slot_on;    /* its map ranges have their KVM memory slots at @at */
    /* what the guest's accesses do, range by range (vmsix_bar_layout_compute()):
     * map ranges get a KVM slot over the mmap, the rest exits and is forwarded */
    struct vmsix_bar_range layout[VMSIX_BAR_LAYOUT_MAX_RANGES];
    unsigned nranges;
    uint64_t traps; /* accesses forwarded with vmsix_vfio_region_read/write */
};

struct vfiodev {
    struct vm *vm;
    pthread_mutex_t lock;
    bool use_vmsix;
    char bdf[32];
    char who[48]; /* "vfio <bdf>": its log lines' prefix */
    uint16_t vendor, device;
    long page;

    void *vdev_mem, *routes_mem, *msi_mem, *dev_mem;
    struct vmsix_vfio_dev *vdev;
    const struct vmsix_vfio_dev_info *info;
    struct vmsix_vfio_routes *routes;
    struct vmsix_vfio_msi *msi;
    struct vmsix_hostmsg backend; /* the library's {ops, ctx}, called by the w_* wrappers */
    bool dma_low, dma_high;       /* guest RAM mapped for DMA */

    struct vbar bar[NBARS];

    /* vmsix mode */
    struct vmsix_dev *dev;
    unsigned table_slot;
    uint32_t table_size;
    uint64_t table_at; /* where the table BAR decodes, 0 = nowhere */
    unsigned nvec_shown;

    /* msi mode: the emulated MSI capability */
    uint16_t msi_off; /* 0: none */
    uint8_t msi_len;  /* its registers' bytes (10..24) */
    uint8_t msi_regs[MSI_REGS];
    uint16_t msi_ro_flags; /* Message Control bits the function fixes */
    uint32_t msi_mask;     /* per-vector mask bits (if the function has them) */
    uint32_t msi_pending;  /* pending bits taken from the backend while masked */

    /* the backend's vectors, as the wrappers saw them */
    bool on;
    uint32_t nvec, routed, gen;

    /* the wakeup watcher */
    int epfd, stopfd;
    pthread_t watcher;
    bool watching;
    uint64_t wakeups, wake_unmasked, wake_masked, wake_stale;

    uint64_t injected; /* KVM_SIGNAL_MSI by the VMM: held messages delivered on unmask */
    uint64_t errors;
    unsigned logged;
};

static void dev_log(struct vfiodev *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void dev_log(struct vfiodev *d, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vmm_dev_vlog(&d->logged, d->vm->verbose, d->who, fmt, ap);
    va_end(ap);
}

/* libvmsix-vfio's and vmsix's log hooks: one line per failed step. */
static void lib_log(void *ctx, int level, const char *msg)
{
    struct vfiodev *d = ctx;

    d->errors++;
    dev_log(d, "%s (level %d)", msg, level);
}

static void *alloc8(size_t len)
{
    void *p = aligned_alloc(8, (len + 7) & ~(size_t)7);

    if (p)
        memset(p, 0, (len + 7) & ~(size_t)7);
    return p;
}

static uint32_t cfg_read(struct vfiodev *d, uint16_t off, unsigned size)
{
    uint32_t v = 0;

    if (vmsix_vfio_cfg_read(d->vdev, off, size, &v))
        return 0xffffffffu;
    return v;
}

/* ---- the backend, wrapped: the vectors' state and the watcher's eventfds ---- */

static void watch_add(struct vfiodev *d)
{
    for (uint32_t k = 0; k < d->nvec; k++) {
        struct epoll_event ev = {.events = EPOLLIN | EPOLLET,
                                 .data.u64 = (uint64_t)d->gen << 32 | k};
        int fd = vmsix_vfio_msi_eventfd(d->msi, k);

        if (fd < 0 || epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
            dev_log(d, "cannot watch the eventfd of vector %u: %s", k,
                    strerror(fd < 0 ? -fd : errno));
    }
}

static void watch_del(struct vfiodev *d)
{
    for (uint32_t k = 0; k < d->nvec; k++) {
        int fd = vmsix_vfio_msi_eventfd(d->msi, k);

        if (fd >= 0)
            (void)epoll_ctl(d->epfd, EPOLL_CTL_DEL, fd, NULL);
    }
}

static int w_enable(void *ctx, uint32_t nvec)
{
    struct vfiodev *d = ctx;
    int rc = d->backend.ops->enable(d->backend.ctx, nvec);

    if (rc == 0) {
        d->on = true;
        d->nvec = nvec;
        d->routed = 0;
        d->gen++;
        watch_add(d);
    }
    if (d->vm->verbose)
        vmm_log("vfio: enable(%u): %d", nvec, rc);
    return rc;
}

static int w_disable(void *ctx)
{
    struct vfiodev *d = ctx;
    int rc;

    if (d->on)
        watch_del(d); /* before the backend closes the eventfds */
    rc = d->backend.ops->disable(d->backend.ctx);
    d->on = false;
    d->nvec = d->routed = 0;
    if (d->vm->verbose)
        vmm_log("vfio: disable: %d", rc);
    return rc;
}

static int w_route(void *ctx, uint32_t k, const struct vmsix_msg *msg)
{
    struct vfiodev *d = ctx;
    int rc = d->backend.ops->route(d->backend.ctx, k, msg);

    if (rc >= 0 && k < 32)
        d->routed |= 1u << k;
    if (d->vm->verbose)
        vmm_log("vfio: route(%u, %#llx/%#x): %d", k, (unsigned long long)msg->addr, msg->data, rc);
    return rc;
}

static int w_unroute(void *ctx, uint32_t k)
{
    struct vfiodev *d = ctx;
    int rc = d->backend.ops->unroute(d->backend.ctx, k);

    if (rc == 0 && k < 32) /* on error it may still be routed */
        d->routed &= ~(1u << k);
    if (d->vm->verbose)
        vmm_log("vfio: unroute(%u): %d", k, rc);
    return rc;
}

static int w_take_pending(void *ctx, uint32_t k)
{
    struct vfiodev *d = ctx;

    return d->backend.ops->take_pending(d->backend.ctx, k);
}

static int w_reset(void *ctx)
{
    struct vfiodev *d = ctx;

    if (d->vm->verbose)
        vmm_log("vfio: the guest's FLR: VFIO_DEVICE_RESET");
    return d->backend.ops->reset(d->backend.ctx);
}

static const struct vmsix_hostmsg_ops watched_ops = {
    .size = sizeof(struct vmsix_hostmsg_ops),
    .enable = w_enable,
    .disable = w_disable,
    .route = w_route,
    .unroute = w_unroute,
    .take_pending = w_take_pending,
    .reset = w_reset,
};

/* ---- the wakeup watcher ---- */

static bool readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};

    return fd >= 0 && poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* One ready eventfd (d->lock held). */
static void classify(struct vfiodev *d, uint64_t data)
{
    uint32_t gen = (uint32_t)(data >> 32), k = (uint32_t)data;

    if (!d->on || gen != d->gen || k >= d->nvec) {
        d->wake_stale++; /* of vectors disabled since */
        return;
    }
    if ((d->routed & (1u << k)) && readable(vmsix_vfio_msi_eventfd(d->msi, k)))
        d->wake_unmasked++; /* routed, and the count is still there: KVM did not take it */
    else
        d->wake_masked++; /* held (or held until a route drained it meanwhile) */
}

static void *watch_irqs(void *arg)
{
    struct vfiodev *d = arg;
    struct epoll_event ev[VMSIX_VFIO_MSI_MAX + 1];

    for (;;) {
        int n = epoll_wait(d->epfd, ev, (int)(sizeof(ev) / sizeof(ev[0])), -1);
        bool stop = false, dev = false;

        if (n < 0) {
            if (errno == EINTR)
                continue;
            vmm_log("vfio: epoll_wait: %s: the wakeup watcher stops", strerror(errno));
            return NULL;
        }
        for (int i = 0; i < n; i++) {
            if (ev[i].data.u64 == WATCH_STOP)
                stop = true;
            else
                dev = true;
        }
        if (dev) {
            pthread_mutex_lock(&d->lock);
            d->wakeups++;
            for (int i = 0; i < n; i++)
                if (ev[i].data.u64 != WATCH_STOP)
                    classify(d, ev[i].data.u64);
            pthread_mutex_unlock(&d->lock);
        }
        if (stop)
            return NULL;
    }
}

static int watch_start(struct vfiodev *d)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = WATCH_STOP};
    sigset_t all, old;
    int rc;

    d->epfd = epoll_create1(EPOLL_CLOEXEC);
    d->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (d->epfd < 0 || d->stopfd < 0 || epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->stopfd, &ev) < 0) {
        vmm_log("vfio: the wakeup watcher's epoll: %s", strerror(errno));
        return -1;
    }
    /* no signal for it: SIGUSR1 kicks vCPUs, SIGINT/SIGTERM are the main thread's */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    rc = pthread_create(&d->watcher, NULL, watch_irqs, d);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc) {
        vmm_log("vfio: cannot start the wakeup watcher: %s", strerror(rc));
        return -1;
    }
    d->watching = true;
    return 0;
}

static void watch_stop(struct vfiodev *d)
{
    uint64_t one = 1;

    if (!d->watching)
        return;
    if (write(d->stopfd, &one, sizeof(one)) == (ssize_t)sizeof(one))
        pthread_join(d->watcher, NULL);
    d->watching = false;
}

/* ---- BARs: a KVM slot over the region's mmap, or trapped and forwarded ---- */

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return alen && blen && a < b + blen && b < a + alen;
}

/* May BAR @i decode at [@at, @at + size)? Not over guest RAM, the
 * interrupt and APIC window, the table BAR or another BAR. vmsix refuses
 * no address: the host checks (msix_on_msi.h, bar_moved). */
static bool bar_fits(struct vfiodev *d, unsigned i, uint64_t at)
{
    const struct vm *vm = d->vm;
    uint64_t size = d->bar[i].size;

    if (at + size < at || at + size > (1ull << 52))
        return false;
    if (overlaps(at, size, 0, vm->low_size) ||
        overlaps(at, size, GPA_HIGH_BASE, vm->ram_size - vm->low_size) ||
        overlaps(at, size, GPA_IOAPIC, IRQ_WINDOW_END - GPA_IOAPIC))
        return false;
    if (d->dev && overlaps(at, size, d->table_at, d->table_at ? d->table_size : 0))
        return false;
    for (unsigned j = 0; j < NBARS; j++)
        if (j != i && d->bar[j].at && overlaps(at, size, d->bar[j].at, d->bar[j].size))
            return false;
    return true;
}

/* The KVM slots of BAR @i's map ranges at @at; @at 0 removes them. */
static int bar_slots(struct vfiodev *d, unsigned i, uint64_t at)
{
    struct vbar *b = &d->bar[i];
    int rc = 0;

    for (unsigned r = 0; r < b->nranges; r++) {
        const struct vmsix_bar_range *g = &b->layout[r];
        uint32_t slot = KVM_SLOT_BAR0 + i * VMSIX_BAR_LAYOUT_MAX_RANGES + r;

        if (g->kind != VMSIX_BAR_RANGE_MAP)
            continue;
        if (vm_set_slot(d->vm, slot, at ? at + g->off : b->at + g->off, at ? g->len : 0,
                        at ? (uint8_t *)b->map + g->off : NULL))
            rc = -1;
    }
    return rc;
}

/* BAR @i decodes at @at from now on (0: nowhere). */
static void bar_place(struct vfiodev *d, unsigned i, uint64_t at)
{
    struct vbar *b = &d->bar[i];

    if (b->at == at)
        return;
    if (b->slot_on) {
        if (bar_slots(d, i, 0))
            d->errors++;
        b->slot_on = false;
    }
    b->at = 0;
    if (!at)
        return;
    if (!bar_fits(d, i, at)) {
        dev_log(d,
                "BAR%u at %#llx (%llu bytes) overlaps RAM, the APIC window or another "
                "BAR: not mapped",
                i, (unsigned long long)at, (unsigned long long)b->size);
        return;
    }
    b->at = at;
    if (b->map && bar_slots(d, i, at) == 0)
        b->slot_on = true;
    if (d->vm->verbose)
        vmm_log("vfio: BAR%u at %#llx, %s", i, (unsigned long long)at,
                b->slot_on ? "mapped (KVM memory slot over the region's mmap)" : "trapped");
}

/* A guest access to BAR @i that exited (no slot, or before the slot was
 * set): forward it to the region. */
static void bar_forward(struct vfiodev *d, unsigned i, uint64_t off, uint8_t *data, unsigned len,
                        bool is_write)
{
    struct vbar *b = &d->bar[i];
    bool whole = (len == 1 || len == 2 || len == 4 || len == 8) && !(off & (len - 1));
    unsigned step = whole ? len : 1;

    b->traps++;
    for (unsigned o = 0; o < len; o += step) {
        uint64_t v = 0;
        int rc;

        if (is_write) {
            rc = vmsix_vfio_region_write(d->vdev, b->region, off + o, step,
                                         pci_le_get(data + o, step));
        } else {
            rc = vmsix_vfio_region_read(d->vdev, b->region, off + o, step, &v);
            pci_le_put(data + o, step, rc ? ~0ull : v);
        }
        if (rc)
            dev_log(d, "BAR%u %s at %#llx/%u: %s", i, is_write ? "write" : "read",
                    (unsigned long long)(off + o), step, strerror(-rc));
    }
}

/* Which ranges of BAR @i the guest reaches through a KVM slot and which
 * exit to be forwarded: vmsix's BAR layout at the host page size. A table of
 * the function's own MSI-X in this BAR (vfio-pci keeps user space out of
 * it; its PBA is read from the device) has its pages trapped, the device
 * registers beside it forwarded; a BAR without one is mapped whole when it
 * is at least a page. (This VMM emulates no MSI-X table of the function's
 * own: vmsix refuses such a function, and in --mode=msi vfio-pci drops the
 * guest's accesses to the table.) */
static int bar_layout(struct vfiodev *d, unsigned i)
{
    uint8_t cfg[256];
    struct vbar *b = &d->bar[i];
    struct vmsix_bar_layout_params lp = {
        .bar_size = b->size,
        .page_size = (uint64_t)d->page,
        .table_off = VMSIX_BAR_LAYOUT_ABSENT,
        .pba_off = VMSIX_BAR_LAYOUT_ABSENT,
        .nvec = 1,
        .flags = VMSIX_BAR_LAYOUT_PBA_FROM_DEVICE,
    };
    struct vmsix_cap msix;
    int n;

    for (uint16_t off = 0; off < sizeof(cfg); off += 4)
        pci_le_put(cfg + off, 4, cfg_read(d, off, 4));
    if (vmsix_capchain_lookup(cfg, sizeof(cfg), false, VMSIX_CAP_ID_MSIX, &msix, NULL) == 0) {
        uint32_t table = cfg_read(d, (uint16_t)(msix.off + PCI_MSIX_TABLE), 4);
        uint32_t pba = cfg_read(d, (uint16_t)(msix.off + PCI_MSIX_PBA), 4);

        lp.nvec = (cfg_read(d, (uint16_t)(msix.off + PCI_MSIX_FLAGS), 2) & 0x7ffu) + 1u;
        if ((table & 7u) == i)
            lp.table_off = table & ~7u;
        if ((pba & 7u) == i)
            lp.pba_off = pba & ~7u;
    }
    n = vmsix_bar_layout_compute(&lp, b->layout, VMSIX_BAR_LAYOUT_MAX_RANGES, NULL);
    if (n < 0) {
        vmm_log("vfio %s: BAR%u's layout: %s", d->bdf, i, strerror(-n));
        return -1;
    }
    b->nranges = (unsigned)n;
    return 0;
}

/* The function's memory BARs and ROM, from VFIO's region info and the
 * type bits of its (VFIO-virtualized) BAR registers; each region VFIO
 * lets us mmap is mapped once, here. */
static int bars_init(struct vfiodev *d)
{
    uint8_t cfg[64];
    struct vmsix_bar slot[6];
    unsigned n = 0;

    for (uint16_t off = 0; off < sizeof(cfg); off += 4)
        pci_le_put(cfg + off, 4, cfg_read(d, off, 4));
    d->vendor = (uint16_t)(cfg[PCI_VENDOR_ID] | cfg[PCI_VENDOR_ID + 1] << 8);
    d->device = (uint16_t)(cfg[PCI_DEVICE_ID] | cfg[PCI_DEVICE_ID + 1] << 8);
    if (vmsix_bar_decode(cfg, sizeof(cfg), slot, &n)) {
        vmm_log("vfio %s: cannot decode its BARs", d->bdf);
        return -1;
    }
    for (unsigned i = 0; i < n && i < 6; i++) {
        const struct vmsix_vfio_region *r = &d->info->bar[i];
        struct vbar *b = &d->bar[i];

        if (slot[i].kind == VMSIX_BAR_IO && r->size) {
            vmm_log("vfio %s: I/O BAR%u (%llu bytes) not shown to the guest: this VMM "
                    "dispatches no port I/O to functions",
                    d->bdf, i, (unsigned long long)r->size);
            continue;
        }
        if ((slot[i].kind != VMSIX_BAR_MEM32 && slot[i].kind != VMSIX_BAR_MEM64) || !r->size)
            continue;
        b->size = r->size;
        b->kind = slot[i].kind;
        b->prefetch = slot[i].prefetch;
        b->region = VFIO_PCI_BAR0_REGION_INDEX + i;
        if ((r->flags & VFIO_REGION_INFO_FLAG_MMAP) && r->size >= (uint64_t)d->page &&
            !(r->size % (uint64_t)d->page) && !(r->offset % (uint64_t)d->page)) {
            int prot = PROT_READ | ((r->flags & VFIO_REGION_INFO_FLAG_WRITE) ? PROT_WRITE : 0);
            void *p = mmap(NULL, r->size, prot, MAP_SHARED, d->info->device_fd, (off_t)r->offset);

            if (p == MAP_FAILED)
                vmm_log("vfio %s: mmap of BAR%u: %s: trapped instead", d->bdf, i, strerror(errno));
            else
                b->map = p;
        }
        if (bar_layout(d, i) < 0)
            return -1;
    }
    if (d->info->rom.size) { /* read through the region: VFIO does not mmap a ROM */
        d->bar[VMSIX_DEV_ROM].size = d->info->rom.size;
        d->bar[VMSIX_DEV_ROM].kind = VMSIX_BAR_MEM32;
        d->bar[VMSIX_DEV_ROM].region = VFIO_PCI_ROM_REGION_INDEX;
    }
    return 0;
}

/* ---- vmsix mode: the hooks ---- */

static int h_cfg_read(void *ctx, uint16_t off, unsigned size, uint32_t *val)
{
    return vmsix_vfio_cfg_read(((struct vfiodev *)ctx)->vdev, off, size, val);
}

static int h_cfg_write(void *ctx, uint16_t off, unsigned size, uint32_t val)
{
    return vmsix_vfio_cfg_write(((struct vfiodev *)ctx)->vdev, off, size, val);
}

/* A message vector k held while masked, delivered once on its unmask (the
 * guest's own message: KVM delivers it to this guest only, as its route). */
static void deliver(struct vfiodev *d, uint16_t vec, const struct vmsix_msg *g)
{
    int rc = irq_inject_msi(d->vm, g);

    if (rc < 0) {
        d->errors++;
        dev_log(d, "KVM_SIGNAL_MSI for vector %u: %s", vec, strerror(-rc));
        return;
    }
    d->injected++;
}

static void h_inject(void *ctx, uint16_t vec, const struct vmsix_msg *g)
{
    deliver(ctx, vec, g);
}

static void h_bar_moved(void *ctx, unsigned bar, uint64_t old_addr, uint64_t new_addr)
{
    struct vfiodev *d = ctx;
    uint64_t at = new_addr == VMSIX_BAR_UNMAPPED ? 0 : new_addr;

    (void)old_addr;
    if (bar == d->table_slot) {
        d->table_at = at;
        if (d->vm->verbose)
            vmm_log("vfio: the MSI-X table BAR%u at %#llx (trapped)", bar, (unsigned long long)at);
    } else if (bar < NBARS && d->bar[bar].size) {
        bar_place(d, bar, at);
    }
}

static const struct vmsix_dev_ops dev_ops = {
    .size = sizeof(struct vmsix_dev_ops),
    .cfg_read = h_cfg_read,
    .cfg_write = h_cfg_write,
    .inject = h_inject, /* translate: not used with host-owned messages */
    .bar_moved = h_bar_moved,
    .log = lib_log,
};

static int vmsix_init(struct vfiodev *d)
{
    size_t len = vmsix_dev_storage_size();
    struct vmsix_hostmsg hm = {.ops = &watched_ops, .ctx = d};
    struct vmsix_dev_options opt;
    struct vmsix_dev_state st;
    int rc;

    memset(&opt, 0, sizeof(opt));
    /* every BAR virtual: described with its size and type, never passed through */
    for (unsigned i = 0; i < NBARS; i++) {
        opt.bars[i].size = d->bar[i].size;
        opt.bars[i].kind = d->bar[i].kind;
        opt.bars[i].prefetch = d->bar[i].prefetch;
    }
    d->dev_mem = alloc8(len);
    if (!d->dev_mem)
        return -1;
    d->table_slot = NO_SLOT; /* no report is for the table before init returns */
    rc =
        vmsix_dev_init_hostmsg(d->dev_mem, (len + 7) & ~(size_t)7, &hm, &opt, &dev_ops, d, &d->dev);
    if (rc || vmsix_dev_get_state(d->dev, &st)) {
        vmm_log("vfio %s: vmsix_dev_init_hostmsg: %s%s", d->bdf, strerror(rc < 0 ? -rc : EINVAL),
                rc == -ENOTSUP ? " (not eligible: no multi-message MSI capability, or no free "
                                 "BAR slot for the table)"
                               : "");
        d->dev = NULL;
        return -1;
    }
    d->table_slot = st.table_bar;
    d->table_size = st.bar_size;
    d->nvec_shown = st.nvec;
    if (d->vm->verbose)
        vmm_log("vfio: vmsix: MSI at %#x -> MSI-X, %u vectors, table in BAR%u (%u bytes), "
                "messages owned by the host",
                st.msi_off, st.nvec, st.table_bar, st.bar_size);
    return 0;
}

/* ---- msi mode: the function's MSI capability, emulated ---- */

static bool msi_64(const struct vfiodev *d)
{
    return d->msi_ro_flags & PCI_MSI_FLAGS_64BIT;
}

static bool msi_maskbits(const struct vfiodev *d)
{
    return d->msi_ro_flags & PCI_MSI_FLAGS_MASKBIT;
}

static unsigned msi_data_off(const struct vfiodev *d)
{
    return msi_64(d) ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32;
}

static unsigned msi_mask_off(const struct vfiodev *d)
{
    return msi_64(d) ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32;
}

/* Vectors the function can send: 2^MMC. */
static uint32_t msi_capable(const struct vfiodev *d)
{
    return 1u << ((d->msi_ro_flags & PCI_MSI_FLAGS_QMASK) >> 1);
}

static int msi_init(struct vfiodev *d)
{
    uint8_t cfg[256];
    struct vmsix_cap cap;
    uint16_t flags;

    for (uint16_t off = 0; off < sizeof(cfg); off += 4)
        pci_le_put(cfg + off, 4, cfg_read(d, off, 4));
    if (vmsix_capchain_lookup(cfg, sizeof(cfg), false, PCI_CAP_ID_MSI, &cap, NULL)) {
        vmm_log("vfio %s: no MSI capability", d->bdf);
        return -1;
    }
    d->msi_off = cap.off;
    flags = (uint16_t)pci_le_get(cfg + cap.off + PCI_MSI_FLAGS, 2);
    d->msi_ro_flags = flags & (PCI_MSI_FLAGS_QMASK | PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT);
    d->msi_len = (uint8_t)(msi_maskbits(d) ? msi_mask_off(d) + 8 : msi_data_off(d) + 2);
    memset(d->msi_regs, 0, sizeof(d->msi_regs));
    d->msi_regs[0] = cfg[cap.off];     /* ID, read-only */
    d->msi_regs[1] = cfg[cap.off + 1]; /* next pointer, read-only */
    pci_le_put(d->msi_regs + PCI_MSI_FLAGS, 2, d->msi_ro_flags);
    if (msi_capable(d) > VMSIX_VFIO_MSI_MAX) {
        vmm_log("vfio %s: MSI capability with MMC above 5", d->bdf);
        return -1;
    }
    if (d->vm->verbose)
        vmm_log("vfio: msi: MSI at %#x, %u vectors capable, %s, %s mask bits: plain passthrough",
                d->msi_off, msi_capable(d), msi_64(d) ? "64-bit" : "32-bit",
                msi_maskbits(d) ? "with" : "no");
    return 0;
}

/* Make the backend follow the guest's MSI registers: enable(2^MME) on
 * MSI Enable, route(k, {address, data | k}) for each unmasked k, hold the
 * masked ones, disable on MSI Enable clear. A held message is delivered
 * once when its vector is routed again. */
static void msi_apply(struct vfiodev *d)
{
    uint16_t ctrl = (uint16_t)pci_le_get(d->msi_regs + PCI_MSI_FLAGS, 2);
    uint32_t n = 1u << ((ctrl & PCI_MSI_FLAGS_QSIZE) >> 4);
    uint64_t addr = (uint32_t)pci_le_get(d->msi_regs + PCI_MSI_ADDRESS_LO, 4);
    uint32_t data = (uint32_t)pci_le_get(d->msi_regs + msi_data_off(d), 2);
    int rc;

    if (n > msi_capable(d))
        n = msi_capable(d); /* MME above MMC: undefined; as many as it has */
    if (msi_64(d))
        addr |= (uint64_t)(uint32_t)pci_le_get(d->msi_regs + PCI_MSI_ADDRESS_HI, 4) << 32;
    if (d->on && (!(ctrl & PCI_MSI_FLAGS_ENABLE) || n != d->nvec)) {
        rc = w_disable(d);
        if (rc)
            dev_log(d, "MSI disable: %s", strerror(-rc));
        d->msi_pending = 0;
    }
    if (!(ctrl & PCI_MSI_FLAGS_ENABLE))
        return;
    if (!d->on) {
        rc = w_enable(d, n);
        if (rc) {
            dev_log(d, "MSI enable of %u vectors: %s", n, strerror(-rc));
            return;
        }
    }
    for (uint32_t k = 0; k < n; k++) {
        struct vmsix_msg m = {.addr = addr, .data = (data & ~(n - 1)) | k};

        if (d->msi_mask & (1u << k)) {
            rc = w_unroute(d, k);
        } else {
            rc = w_route(d, k, &m);
            /* held since the route, or taken into the PBA earlier: one */
            if (rc > 0 || (rc == 0 && (d->msi_pending & (1u << k))))
                deliver(d, (uint16_t)k, &m);
            if (rc >= 0)
                d->msi_pending &= ~(1u << k);
        }
        if (rc < 0)
            dev_log(d, "MSI vector %u: %s: %s", k, d->msi_mask & (1u << k) ? "hold" : "route",
                    strerror(-rc));
    }
}

/* The Pending Bits register: for each masked vector, whether it holds a
 * message (taken from the backend and kept until its unmask delivers it). */
static uint32_t msi_pending_bits(struct vfiodev *d)
{
    if (!d->on)
        return 0;
    for (uint32_t k = 0; k < d->nvec; k++) {
        uint32_t bit = 1u << k;

        if ((d->msi_mask & bit) && !(d->routed & bit) && !(d->msi_pending & bit) &&
            w_take_pending(d, k) == 1)
            d->msi_pending |= bit;
    }
    return d->msi_pending & d->msi_mask;
}

/* The capability's dwords: [msi_off, msi_off + roundup(msi_len, 4)). */
static bool in_msi(const struct vfiodev *d, uint16_t off)
{
    return d->msi_off && off >= d->msi_off && off < d->msi_off + ((d->msi_len + 3u) & ~3u);
}

static uint32_t msi_read(struct vfiodev *d, uint16_t off, unsigned size)
{
    unsigned rel = off - d->msi_off;

    if (msi_maskbits(d)) {
        pci_le_put(d->msi_regs + msi_mask_off(d), 4, d->msi_mask);
        if (rel + size > msi_mask_off(d) + 4u && rel < msi_mask_off(d) + 8u)
            pci_le_put(d->msi_regs + msi_mask_off(d) + 4, 4, msi_pending_bits(d));
    }
    /* inside one dword of the capability (<= MSI_REGS bytes); the bytes
     * past its registers stay 0 */
    return (uint32_t)pci_le_get(d->msi_regs + rel, size);
}

static void msi_write(struct vfiodev *d, uint16_t off, unsigned size, uint32_t val)
{
    unsigned rel = off - d->msi_off;
    uint8_t *r = d->msi_regs;
    uint16_t ctrl;

    for (unsigned i = 0; i < size; i++) {
        unsigned b = rel + i;

        /* ID, next pointer, Pending Bits and the bytes past the registers
         * are read-only; so is the upper half of a 16-bit Message Data */
        if (b < PCI_MSI_FLAGS || b >= d->msi_len || (msi_maskbits(d) && b >= msi_mask_off(d) + 4u))
            continue;
        if (b >= msi_data_off(d) + 2u && b < msi_data_off(d) + 4u)
            continue;
        r[b] = (uint8_t)(val >> (8 * i));
    }
    ctrl = (uint16_t)pci_le_get(r + PCI_MSI_FLAGS, 2);
    pci_le_put(r + PCI_MSI_FLAGS, 2,
               (ctrl & (PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE)) | d->msi_ro_flags);
    r[PCI_MSI_ADDRESS_LO] &= 0xfcu; /* dword aligned */
    if (msi_maskbits(d)) {
        uint32_t cap = msi_capable(d);

        d->msi_mask =
            (uint32_t)pci_le_get(r + msi_mask_off(d), 4) & (cap >= 32 ? ~0u : (1u << cap) - 1u);
    }
    msi_apply(d);
}

/* With VFIO's virtual BARs, the guest's placement is read back from them:
 * memory BAR n decodes at its address while Memory Space Enable is set
 * (the ROM also needs its enable bit). */
static void msi_sync_bars(struct vfiodev *d)
{
    uint8_t cfg[64];
    struct vmsix_bar slot[6];
    unsigned n = 0;
    bool mem;

    for (uint16_t off = 0; off < sizeof(cfg); off += 4)
        pci_le_put(cfg + off, 4, cfg_read(d, off, 4));
    mem = (uint32_t)pci_le_get(cfg + PCI_COMMAND, 2) & PCI_COMMAND_MEMORY;
    if (vmsix_bar_decode(cfg, sizeof(cfg), slot, &n))
        n = 0;
    for (unsigned i = 0; i < n && i < 6; i++)
        if (d->bar[i].size)
            bar_place(d, i, mem ? slot[i].addr : 0);
    if (d->bar[VMSIX_DEV_ROM].size) {
        uint32_t rom = (uint32_t)pci_le_get(cfg + PCI_ROM_ADDRESS, 4);

        bar_place(d, VMSIX_DEV_ROM,
                  mem && (rom & PCI_ROM_ADDRESS_ENABLE) ? rom & PCI_ROM_ADDRESS_MASK : 0);
    }
}

/* ---- PCI function ops ---- */

static uint32_t f_cfg_read(void *ctx, uint16_t off, unsigned size)
{
    struct vfiodev *d = ctx;
    uint32_t v = 0xffffffffu;
    int rc = 0;

    pthread_mutex_lock(&d->lock);
    if (d->dev)
        rc = vmsix_dev_cfg_read(d->dev, off, size, &v);
    else if (in_msi(d, off))
        v = msi_read(d, off, size);
    else
        rc = vmsix_vfio_cfg_read(d->vdev, off, size, &v);
    if (rc) {
        v = 0xffffffffu;
        dev_log(d, "config read %#x/%u: %s", off, size, strerror(rc < 0 ? -rc : EIO));
    }
    pthread_mutex_unlock(&d->lock);
    return v;
}

static void f_cfg_write(void *ctx, uint16_t off, unsigned size, uint32_t val)
{
    struct vfiodev *d = ctx;
    int rc = 0;

    pthread_mutex_lock(&d->lock);
    if (d->dev) {
        rc = vmsix_dev_cfg_write(d->dev, off, size, val);
    } else if (in_msi(d, off)) {
        msi_write(d, off, size, val);
    } else {
        rc = vmsix_vfio_cfg_write(d->vdev, off, size, val);
        if (overlaps(off, size, PCI_COMMAND, 2) ||
            overlaps(off, size, PCI_BASE_ADDRESS_0, PCI_BASE_ADDRESS_5 + 4 - PCI_BASE_ADDRESS_0) ||
            overlaps(off, size, PCI_ROM_ADDRESS, 4))
            msi_sync_bars(d);
    }
    if (rc)
        dev_log(d, "config write %#x/%u = %#x: %s", off, size, val, strerror(rc < 0 ? -rc : EIO));
    pthread_mutex_unlock(&d->lock);
}

/* MMIO exits: a BAR access without a KVM slot (trapped BARs, the ROM, a
 * moment of a move), or the MSI-X table BAR (vmsix mode). */
static bool f_mmio(void *ctx, uint64_t gpa, uint8_t *data, unsigned len, bool is_write)
{
    struct vfiodev *d = ctx;
    bool claimed = false;

    pthread_mutex_lock(&d->lock);
    for (unsigned i = 0; i < NBARS && !claimed; i++) {
        struct vbar *b = &d->bar[i];

        if (b->at && gpa >= b->at && gpa - b->at < b->size && len <= b->size - (gpa - b->at)) {
            bar_forward(d, i, gpa - b->at, data, len, is_write);
            claimed = true;
        }
    }
    if (!claimed && d->dev && d->table_at && gpa >= d->table_at &&
        gpa - d->table_at < d->table_size && len <= d->table_size - (gpa - d->table_at)) {
        uint64_t off = gpa - d->table_at;
        int rc = msixbar_access(d->dev, off, data, len, is_write);

        if (rc)
            dev_log(d, "table %s %#llx/%u: %s", is_write ? "write" : "read",
                    (unsigned long long)off, len, strerror(rc < 0 ? -rc : rc));
        claimed = true;
    }
    pthread_mutex_unlock(&d->lock);
    return claimed;
}

static const struct pci_func_ops func_ops = {f_cfg_read, f_cfg_write, f_mmio};

/* ---- setup ---- */

static const char *open_hint(int rc)
{
    switch (rc) {
    case -ENOENT:
        return "no such function, or no IOMMU group (no IOMMU; or not bound to vfio-pci)";
    case -EBUSY:
        return "its IOMMU group is not viable (another function of the group is bound to a "
               "host driver) or is open elsewhere";
    case -EINVAL:
        return "not a PCI address DDDD:BB:DD.F";
    case -ENOTSUP:
        return "no usable VFIO API or type 1 IOMMU, or not a PCI function";
    default:
        return "";
    }
}

static int open_function(struct vfiodev *d, const char *bdf)
{
    struct vmsix_vfio_dev_params p = {
        .bdf = bdf, .container_fd = -1, .device_fd = -1, .log = lib_log, .log_ctx = d};
    int rc;

    d->vdev_mem = alloc8(vmsix_vfio_dev_storage_size());
    if (!d->vdev_mem)
        return -1;
    rc = vmsix_vfio_dev_open(d->vdev_mem, vmsix_vfio_dev_storage_size(), &p, &d->vdev);
    if (rc) {
        vmm_log("vfio %s: %s%s%s", bdf, strerror(-rc), *open_hint(rc) ? ": " : "", open_hint(rc));
        d->vdev = NULL;
        return -1;
    }
    d->info = vmsix_vfio_dev_info(d->vdev);
    if (!d->info->msi_count) {
        vmm_log("vfio %s: no MSI vectors (VFIO's MSI index is empty)", bdf);
        return -1;
    }
    return 0;
}

static int map_guest_ram(struct vfiodev *d)
{
    const uint32_t rw = VMSIX_VFIO_DMA_READ | VMSIX_VFIO_DMA_WRITE;
    struct vm *vm = d->vm;
    int rc = vmsix_vfio_dma_map(d->vdev, 0, vm->low_size, vm->ram, rw);

    d->dma_low = rc == 0;
    if (!rc && vm->ram_size > vm->low_size) {
        rc = vmsix_vfio_dma_map(d->vdev, GPA_HIGH_BASE, vm->ram_size - vm->low_size,
                                vm->ram + vm->low_size, rw);
        d->dma_high = rc == 0;
    }
    if (rc)
        vmm_log("vfio %s: VFIO_IOMMU_MAP_DMA of guest RAM: %s", d->bdf, strerror(-rc));
    return rc ? -1 : 0;
}

static int backend_init(struct vfiodev *d)
{
    struct vm *vm = d->vm;
    struct vmsix_vfio_routes_params rp = {.vm_fd = vm->fd,
                                          .max_routes = ROUTES_MAX,
                                          .gsi_base = GSI_BASE,
                                          .gsi_count = VMSIX_VFIO_MSI_MAX,
                                          .flags = VMSIX_VFIO_ROUTES_X86_IRQCHIP};
    size_t rlen = vmsix_vfio_routes_storage_size(ROUTES_MAX, VMSIX_VFIO_MSI_MAX);
    int rc;

    if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD) <= 0 ||
        ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING) <= 0) {
        vmm_log("vfio: KVM lacks KVM_CAP_IRQFD or KVM_CAP_IRQ_ROUTING");
        return -1;
    }
    d->routes_mem = alloc8(rlen);
    d->msi_mem = alloc8(vmsix_vfio_msi_storage_size());
    if (!d->routes_mem || !d->msi_mem)
        return -1;
    rc = vmsix_vfio_routes_init(d->routes_mem, rlen, &rp, &d->routes);
    if (!rc) {
        struct vmsix_vfio_msi_params mp = {.device_fd = d->info->device_fd,
                                           .vm_fd = vm->fd,
                                           .routes = vmsix_vfio_routes_ops(),
                                           .routes_ctx = d->routes,
                                           .log = lib_log,
                                           .log_ctx = d};
        rc = vmsix_vfio_msi_init(d->msi_mem, vmsix_vfio_msi_storage_size(), &mp, &d->msi);
    }
    if (!rc)
        rc = vmsix_vfio_msi_hostmsg(d->msi, &d->backend);
    if (rc)
        vmm_log("vfio %s: the backend: %s", d->bdf, strerror(-rc));
    return rc ? -1 : 0;
}

struct vfiodev *vfiodev_create(struct vm *vm, struct pci_bus *bus, uint8_t devfn, const char *bdf,
                               bool use_vmsix)
{
    struct vfiodev *d = calloc(1, sizeof(*d));

    if (!d) {
        vmm_log("out of memory");
        return NULL;
    }
    d->vm = vm;
    d->use_vmsix = use_vmsix;
    d->epfd = d->stopfd = -1;
    d->page = sysconf(_SC_PAGESIZE);
    snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);
    snprintf(d->who, sizeof(d->who), "vfio %s", bdf);
    pthread_mutex_init(&d->lock, NULL);

    if (open_function(d, bdf) || map_guest_ram(d) || backend_init(d) || bars_init(d) ||
        (use_vmsix ? vmsix_init(d) : msi_init(d)) || watch_start(d) ||
        pci_add(bus, devfn, &func_ops, d)) {
        vmm_log("vfio %s: cannot pass the function through", bdf);
        return NULL; /* the process exits: the kernel closes what was opened */
    }
    if (vm->verbose)
        vmm_log("vfio: %s (%04x:%04x) at 00:%02x.%u, %u MSI vectors at the host, BAR0 %llu "
                "bytes %s",
                bdf, d->vendor, d->device, devfn >> 3, devfn & 7u, d->info->msi_count,
                (unsigned long long)d->bar[0].size, d->bar[0].map ? "mmap" : "trapped");
    return d;
}

/* ---- the end ---- */

static void ratio(char *buf, size_t len, uint64_t a, uint64_t b)
{
    if (b)
        snprintf(buf, len, "%.2f", (double)a / (double)b);
    else
        snprintf(buf, len, "-");
}

void vfiodev_report(struct vfiodev *d, char *buf, size_t len)
{
    size_t used;

    pthread_mutex_lock(&d->lock);
    used = (size_t)snprintf(buf, len, "vfio=%s id=%04x:%04x host_msi_vectors=%u %s=%u", d->bdf,
                            d->vendor, d->device, d->info->msi_count,
                            d->dev ? "msix_vectors_shown" : "msi_vectors_capable",
                            d->dev ? d->nvec_shown : msi_capable(d));
    for (unsigned i = 0; i < NBARS; i++) {
        const struct vbar *b = &d->bar[i];

        if (!b->size)
            continue;
        used += (size_t)snprintf(buf + (used < len ? used : len), used < len ? len - used : 0,
                                 " %s%u=%llu@%#llx/%s/traps=%llu",
                                 i == VMSIX_DEV_ROM ? "rom" : "bar", i == VMSIX_DEV_ROM ? 0 : i,
                                 (unsigned long long)b->size, (unsigned long long)b->at,
                                 b->map ? "mmap" : "trapped", (unsigned long long)b->traps);
    }
    if (d->dev)
        (void)snprintf(buf + (used < len ? used : len), used < len ? len - used : 0,
                       " table=bar%u@%#llx", d->table_slot, (unsigned long long)d->table_at);
    pthread_mutex_unlock(&d->lock);
}

void vfiodev_counters(struct vfiodev *d, char *buf, size_t len)
{
    struct vmsix_vfio_msi_stats st;
    char per_mask[16], per_unmask[16], reads[16];

    watch_stop(d);
    pthread_mutex_lock(&d->lock);
    memset(&st, 0, sizeof(st));
    (void)vmsix_vfio_msi_get_stats(d->msi, &st);
    ratio(per_mask, sizeof(per_mask), st.mask_ioctls, st.masks);
    ratio(per_unmask, sizeof(per_unmask), st.unmask_ioctls, st.unmasks);
    ratio(reads, sizeof(reads), st.unmask_reads, st.unmasks);
    snprintf(buf, len,
             "vmm_wakeups=%llu vmm_wakeups_unmasked=%llu vmm_wakeups_masked=%llu "
             "vmm_injected=%llu vmm_masks=%llu vmm_ioctls_per_mask=%s vmm_unmasks=%llu "
             "vmm_ioctls_per_unmask=%s vmm_reads_per_unmask=%s vmm_held_delivered=%llu "
             "vmm_route_updates=%llu vmm_update_ioctls=%llu vmm_pending_reads=%llu "
             "vmm_backend_ioctls=%llu vmm_errors=%llu",
             (unsigned long long)d->wakeups, (unsigned long long)d->wake_unmasked,
             (unsigned long long)d->wake_masked, (unsigned long long)d->injected,
             (unsigned long long)st.masks, per_mask, (unsigned long long)st.unmasks, per_unmask,
             reads, (unsigned long long)st.held_delivered, (unsigned long long)st.updates,
             (unsigned long long)st.update_ioctls, (unsigned long long)st.pending_reads,
             (unsigned long long)st.ioctls, (unsigned long long)(d->errors + st.failures));
    pthread_mutex_unlock(&d->lock);
}

int vfiodev_destroy(struct vfiodev *d)
{
    int rc, bad = 0;

    watch_stop(d);
    if (d->stopfd >= 0)
        close(d->stopfd);
    d->stopfd = -1;
    pthread_mutex_lock(&d->lock);
    if (d->dev) {
        rc = vmsix_dev_teardown(d->dev); /* disable(): SET_IRQS count 0, routes dropped */
        bad |= rc != 0;
        if (rc)
            vmm_log("vfio %s: vmsix_dev_teardown: %s", d->bdf, strerror(-rc));
        d->dev = NULL;
    } else if (d->on) {
        bad |= w_disable(d) != 0;
    }
    if (d->msi)
        bad |= vmsix_vfio_msi_fini(d->msi) != 0;
    for (unsigned i = 0; i < NBARS; i++) {
        bar_place(d, i, 0);
        if (d->bar[i].map)
            munmap(d->bar[i].map, d->bar[i].size);
        d->bar[i].map = NULL;
    }
    if (d->dma_high)
        bad |= vmsix_vfio_dma_unmap(d->vdev, GPA_HIGH_BASE, d->vm->ram_size - d->vm->low_size) != 0;
    if (d->dma_low)
        bad |= vmsix_vfio_dma_unmap(d->vdev, 0, d->vm->low_size) != 0;
    if (d->routes)
        vmsix_vfio_routes_fini(d->routes);
    bad |= vmsix_vfio_dev_close(d->vdev) != 0;
    if (d->epfd >= 0)
        close(d->epfd); /* after disable() took the eventfds out of it */
    d->epfd = -1;
    pthread_mutex_unlock(&d->lock);
    if (bad)
        vmm_log("vfio %s: teardown: a step failed (logged above)", d->bdf);
    return bad ? -1 : 0;
}
