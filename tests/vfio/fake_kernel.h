/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A fake Linux kernel for the libvmsix-vfio tests: a struct vmsix_vfio_sys
 * whose calls a model of VFIO (container, group, vfio-pci device with its
 * configuration region and MSI index), of eventfds and of KVM (the GSI
 * routing table, irqfds) answers, recording every call (name and key
 * arguments) and failing the n-th one on demand.
 *
 * The eventfd and irqfd semantics are the kernel's (virt/kvm/eventfd.c,
 * fs/eventfd.c):
 *  - a signal adds 1 to the eventfd's count; while an irqfd is assigned on
 *    it, the signal is injected to the irqfd's GSI (with its route at that
 *    moment) and, with consume_on_wakeup (newer kernels), the count is
 *    consumed; older kernels leave it counting;
 *  - KVM_IRQFD assign injects once when the count is non-zero, without
 *    consuming it (the trap the drain rule is for);
 *  - KVM_IRQFD deassign consumes the count (irqfd_shutdown's
 *    eventfd_ctx_remove_wait_queue) and injects nothing;
 *  - closing the last fd of an eventfd detaches its irqfds (POLLHUP);
 *    vfio-pci keeps its own reference to a trigger.
 * Every injection is logged with the GSI and the route it took, so that
 * tests count deliveries.
 */
#ifndef VMSIX_TESTS_FAKE_KERNEL_H
#define VMSIX_TESTS_FAKE_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vmsix/vfio.h>

#define FK_MAXFD 128
#define FK_MAXFILES 256
#define FK_MAXREC 1024
#define FK_MAXINJ 1024
#define FK_MAXROUTES 4096
#define FK_MAXIRQFD 64
#define FK_LINE 160

/* The error an injected failure returns (one no real step returns here). */
#define FK_FAIL_RC (-18) /* -EXDEV */

enum fk_type { FK_FREE, FK_CONTAINER, FK_GROUP, FK_DEVICE, FK_EVENTFD, FK_VM };

struct fk_file {
    enum fk_type type;
    unsigned fd_refs; /* fds pointing at it */
    uint64_t count;   /* eventfd */
    bool container_has_group, iommu_set;
    int group_container; /* group: the container's file, or -1 */
};

struct fk_irqfd {
    bool active;
    int file;
    uint32_t gsi;
};

struct fk_route {
    uint32_t gsi, type, flags;
    uint32_t chip, pin;   /* irqchip */
    struct vmsix_msg msg; /* msi */
    uint32_t devid;
};

struct fk_inj {
    uint32_t gsi;
    bool routed; /* an MSI route existed */
    struct vmsix_msg msg;
};

struct fk_dma {
    bool used;
    uint64_t iova, size, vaddr;
    uint32_t flags;
};

struct fake_kernel {
    /* files and fds */
    int fdt[FK_MAXFD]; /* fd -> file, -1 */
    struct fk_file f[FK_MAXFILES];
    int vm_fd; /* a KVM VM fd made by fk_init */

    /* VFIO */
    uint32_t api_version;
    bool has_type1v2, has_type1;
    const char *bdf;
    uint32_t group;
    bool group_exists, group_busy, viable;
    uint32_t dev_flags; /* VFIO_DEVICE_FLAGS_* */
    uint32_t num_regions, num_irqs;
    uint32_t msi_count;  /* VFIO_DEVICE_GET_IRQ_INFO of the MSI index */
    uint32_t grant;      /* SET_IRQS of more returns this (positive) */
    uint64_t cfg_size;   /* the configuration region */
    uint64_t bar_size[6];
    uint32_t bar_flags[6];
    uint8_t cfg[4096];
    uint8_t bar0[4096];
    unsigned short_io; /* the next this many pread/pwrite move one byte fewer */
    bool msi_enabled;
    uint32_t msi_nvec;
    int trig[32]; /* the trigger eventfds' files */
    unsigned resets;
    struct fk_dma dma[8];

    /* KVM */
    bool consume_on_wakeup;
    struct fk_route routes[FK_MAXROUTES];
    uint32_t nroutes;
    unsigned set_routing_calls;
    struct fk_irqfd irqfd[FK_MAXIRQFD];
    unsigned bad_deassign; /* deassigns of no irqfd (KVM returns 0 for them) */
    struct fk_inj inj[FK_MAXINJ];
    unsigned ninj;

    /* calls: recorded, numbered from 1, one of them failed on demand */
    unsigned seq;
    unsigned fail_at; /* 0: none */
    bool failed;      /* fail_at was reached */
    char failed_line[FK_LINE];
    char rec[FK_MAXREC][FK_LINE];
    unsigned nrec;
    /* called after call number @seq (to race a message with a step) */
    void (*after)(struct fake_kernel *fk, unsigned seq);
};

/* A fresh kernel: an MSI function with 16 vectors in group 7 at @bdf
 * (cfg 256 bytes, BAR0 4 KiB), a VM fd, every default as a real one. */
void fk_init(struct fake_kernel *fk, const char *bdf);

/* A device fd as VFIO_GROUP_GET_DEVICE_FD gives (made without a call). */
int fk_device_fd(struct fake_kernel *fk);

/* The hooks: pass with the fake as sys_ctx. */
extern const struct vmsix_vfio_sys fk_sys;

/* The function sends message @k (vfio-pci's handler signals trigger k). */
void fk_msi_fire(struct fake_kernel *fk, uint32_t k);

/* Open fds of a type. */
unsigned fk_open_fds(const struct fake_kernel *fk, enum fk_type type);

/* An fd's file, or NULL. */
struct fk_file *fk_file(struct fake_kernel *fk, int fd);

/* The MSI route of @gsi, or NULL. */
const struct fk_route *fk_route(const struct fake_kernel *fk, uint32_t gsi);

/* The active irqfd on @fd's file, or NULL. */
const struct fk_irqfd *fk_irqfd_of(const struct fake_kernel *fk, int fd);

/* Injections to @gsi since index @from of the log. */
unsigned fk_injections(const struct fake_kernel *fk, uint32_t gsi, unsigned from);

/* The recorded calls from @from on, as one string of lines (for messages). */
const char *fk_dump(const struct fake_kernel *fk, unsigned from);

/* The calls from @from on equal @want (NULL-terminated): 1, else 0 with
 * the difference printed. */
int fk_expect(const struct fake_kernel *fk, unsigned from, const char *const *want);

#endif /* VMSIX_TESTS_FAKE_KERNEL_H */
