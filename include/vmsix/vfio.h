/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vmsix/vfio.h - libvmsix-vfio: vmsix on stock Linux, through VFIO and KVM.
 *
 * A separate library (pkg-config vmsix-vfio, Meson vmsix_vfio_dep), Linux
 * only, built where <linux/vfio.h> and <linux/kvm.h> exist; it links
 * libvmsix and, unlike the freestanding core, uses libc. Its parts:
 *
 *  - the system-call layer (struct vmsix_vfio_sys): every open, close,
 *    ioctl, read, write, pread, pwrite, eventfd and readlink the library
 *    makes goes through it, so that a test or a sandboxed VMM substitutes
 *    its own; NULL (or a NULL member) is the real call;
 *  - the device (vmsix_vfio_dev_*): container, IOMMU group and device set
 *    up from a PCI address, or a device fd the VMM already has; its
 *    regions and MSI vector count; DMA mappings of guest RAM; FLR;
 *  - configuration and region access (vmsix_vfio_cfg_read/write, usable as
 *    struct vmsix_dev_ops cfg_read/cfg_write with the device as context,
 *    and vmsix_vfio_region_read/write for BARs that are trapped);
 *  - the host-owned-message backend of vmsix/hostmsg.h
 *    (vmsix_vfio_msi_*): one eventfd per MSI vector
 *    (VFIO_DEVICE_SET_IRQS), one KVM MSI route per vector, KVM_IRQFD
 *    assigned while the guest's vector is unmasked and deassigned while it
 *    is masked (its messages then wait in the eventfd: masking without mask
 *    bits);
 *  - a GSI routing table (vmsix_vfio_routes_*) for a VMM that lets this
 *    library own KVM's table. A VM has one table and KVM_SET_GSI_ROUTING
 *    replaces all of it, so the backend changes routes only through the
 *    hooks of struct vmsix_vfio_route_ops: a VMM with its own table
 *    implements them, any other uses vmsix_vfio_routes_ops().
 *
 * The ioctl sequences are listed with each function and in vfio/README.md.
 *
 * Errors are negative errno values, as everywhere in vmsix (the system's
 * numbering, which is Linux's). Locking: calls on one device or one
 * backend are serialized by the caller; a routing table, which several
 * devices share, takes its own mutex.
 */
#ifndef VMSIX_VFIO_H
#define VMSIX_VFIO_H

#include <vmsix/common.h>
#include <vmsix/hostmsg.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- The system-call layer ---- */

/*
 * The system calls of the library, for a fake kernel in tests or a VMM
 * that wraps them (counting, seccomp brokers). ctx is the sys_ctx given
 * with the struct. Every member returns what the system call returns on
 * success (a file descriptor, a byte count, an ioctl's non-negative
 * result) or a negative errno (never -1 with errno set). A NULL member is
 * the real system call (open(), close(), ioctl(), read(), write(), pread(),
 * pwrite(), eventfd(), readlink()). The library opens with O_RDWR |
 * O_CLOEXEC and makes its eventfds EFD_NONBLOCK | EFD_CLOEXEC.
 * Add new members only at the end; NULL must keep the old behaviour
 * (docs/design.md "Hook structs grow at the end").
 */
struct vmsix_vfio_sys {
    size_t size; /* sizeof(struct vmsix_vfio_sys) as the caller compiled it */
    int (*open)(void *ctx, const char *path, int flags);
    int (*close)(void *ctx, int fd);
    /* @req as ioctl(2) takes it; a positive return is passed on (the
     * count of VFIO_DEVICE_SET_IRQS, the fd of VFIO_GROUP_GET_DEVICE_FD). */
    int (*ioctl)(void *ctx, int fd, unsigned long req, void *arg);
    int (*read)(void *ctx, int fd, void *buf, size_t len);
    int (*write)(void *ctx, int fd, const void *buf, size_t len);
    int (*pread)(void *ctx, int fd, void *buf, size_t len, uint64_t off);
    int (*pwrite)(void *ctx, int fd, const void *buf, size_t len, uint64_t off);
    /* eventfd(2): @flags are EFD_* (the backend asks EFD_NONBLOCK | EFD_CLOEXEC). */
    int (*eventfd)(void *ctx, unsigned int initval, int flags);
    /* readlink(2) into @buf of @len bytes; returns the length (not NUL-terminated). */
    int (*readlink)(void *ctx, const char *path, char *buf, size_t len);
};

/* The size of the first sized version of struct vmsix_vfio_sys (vmsix 0.3). */
#define VMSIX_VFIO_SYS_SIZE_V1                                                                     \
    (offsetof(struct vmsix_vfio_sys, readlink) + sizeof(((struct vmsix_vfio_sys *)0)->readlink))

/**
 * vmsix_vfio_sys_default() - the real system calls, as a struct.
 *
 * For a VMM that wraps some calls and passes the others on. Its members
 * ignore their ctx. Never NULL. Calls nothing.
 */
VMSIX_API const struct vmsix_vfio_sys *vmsix_vfio_sys_default(void);

/* The log hook of the library's objects: one line (VMSIX_LOG_* @level,
 * NUL-terminated @msg, valid only during the call) per failed step, naming
 * the step and its error. It must not call back into the object. */
typedef void (*vmsix_vfio_log_fn)(void *ctx, int level, const char *msg);

/* ---- The device: container, group, device fd, regions ---- */

struct vmsix_vfio_dev;

/* One region of the device fd (VFIO_DEVICE_GET_REGION_INFO). */
struct vmsix_vfio_region {
    uint64_t offset; /* of the region in the device fd (pread, pwrite, mmap) */
    uint64_t size;   /* 0: the region does not exist (an unimplemented BAR) */
    uint32_t flags;  /* VFIO_REGION_INFO_FLAG_READ/WRITE/MMAP/CAPS */
};

/* What vmsix_vfio_dev_open() or _attach() found. New members are added
 * at the end only. */
struct vmsix_vfio_dev_info {
    int container_fd;    /* -1 when the VMM attached a device without one */
    int group_fd;        /* -1 when the VMM attached its own device fd */
    int device_fd;       /* the VFIO device */
    uint32_t group;      /* the IOMMU group (open only; else UINT32_MAX) */
    uint32_t iommu_type; /* VFIO_TYPE1v2_IOMMU or VFIO_TYPE1_IOMMU when this library
                            set the container's IOMMU; 0 otherwise */
    uint32_t flags;      /* VFIO_DEVICE_FLAGS_* (PCI always; RESET when FLR is possible) */
    uint32_t num_regions;
    uint32_t num_irqs;
    struct vmsix_vfio_region cfg;    /* VFIO_PCI_CONFIG_REGION_INDEX */
    struct vmsix_vfio_region bar[6]; /* VFIO_PCI_BAR0_REGION_INDEX.. */
    struct vmsix_vfio_region rom;    /* VFIO_PCI_ROM_REGION_INDEX */
    uint32_t msi_count;  /* vectors of VFIO_PCI_MSI_IRQ_INDEX: the most the host can give */
    uint32_t msix_count; /* vectors of VFIO_PCI_MSIX_IRQ_INDEX (0: no MSI-X) */
};

/* Where the device comes from. Members a function does not use are ignored. */
struct vmsix_vfio_dev_params {
    /* open: the PCI address "DDDD:BB:DD.F" (lower-case hex, as sysfs spells it) */
    const char *bdf;
    /* open: -1 opens /dev/vfio/vfio, checks the API version and sets the
     * IOMMU (type 1 v2, else type 1) once the group is in it; or a container
     * of an earlier device (its IOMMU already set), which this library does
     * not close. attach: the VMM's container for the DMA helpers, or -1. */
    int container_fd;
    /* attach: the VMM's device fd (not closed by this library) */
    int device_fd;
    const struct vmsix_vfio_sys *sys; /* NULL: the real system calls */
    void *sys_ctx;
    vmsix_vfio_log_fn log; /* optional */
    void *log_ctx;
};

/**
 * vmsix_vfio_dev_storage_size() - bytes of storage a device needs.
 *
 * Return: the size (a few hundred bytes; 8-byte aligned storage).
 */
VMSIX_API size_t vmsix_vfio_dev_storage_size(void);

/**
 * vmsix_vfio_dev_open() - set up container, group and device for a PCI address.
 * @mem: storage, 8-byte aligned
 * @len: at least vmsix_vfio_dev_storage_size()
 * @p: bdf, container_fd (-1 for a new container), sys, log
 * @out: receives the device
 *
 * The sequence: [open /dev/vfio/vfio; VFIO_GET_API_VERSION (must be
 * VFIO_API_VERSION); VFIO_CHECK_EXTENSION(VFIO_TYPE1v2_IOMMU), else
 * (VFIO_TYPE1_IOMMU)]; readlink /sys/bus/pci/devices/<bdf>/iommu_group;
 * open /dev/vfio/<group>; VFIO_GROUP_GET_STATUS (must be VIABLE);
 * VFIO_GROUP_SET_CONTAINER; [VFIO_SET_IOMMU]; VFIO_GROUP_GET_DEVICE_FD;
 * then as vmsix_vfio_dev_attach(). Bracketed steps only for a new
 * container. A failure closes what was opened, in reverse.
 *
 * Return: 0; -EINVAL (bad arguments, a malformed @p->bdf); -ENOENT (no
 * such device, or it has no IOMMU group: no IOMMU, or not bound to
 * vfio-pci when /dev/vfio/<group> is missing); -EBUSY (the group is not
 * viable: another device of /sys/kernel/iommu_groups/<group>/devices is
 * bound to a host driver; or the group is open in another process);
 * -ENOTSUP (an unknown VFIO API version, no type 1 IOMMU, not a PCI
 * device); -EACCES, or any other error of the step that failed (logged,
 * naming the step). Calls @p->sys, @p->log.
 */
VMSIX_API int vmsix_vfio_dev_open(void *mem, size_t len, const struct vmsix_vfio_dev_params *p,
                                  struct vmsix_vfio_dev **out);

/**
 * vmsix_vfio_dev_attach() - use a device fd the VMM already has.
 * @mem: storage, 8-byte aligned
 * @len: at least vmsix_vfio_dev_storage_size()
 * @p: device_fd (>= 0), container_fd (or -1), sys, log
 * @out: receives the device
 *
 * The sequence: VFIO_DEVICE_GET_INFO (must be a PCI device);
 * VFIO_DEVICE_GET_REGION_INFO for the configuration region, BARs 0-5 and
 * the ROM; VFIO_DEVICE_GET_IRQ_INFO for the MSI and the MSI-X index. The
 * fds stay the VMM's: vmsix_vfio_dev_close() does not close them.
 *
 * Return: 0, -EINVAL, -ENOTSUP (not a PCI device, no configuration
 * region), or the error of the ioctl that failed. Calls @p->sys, @p->log.
 */
VMSIX_API int vmsix_vfio_dev_attach(void *mem, size_t len, const struct vmsix_vfio_dev_params *p,
                                    struct vmsix_vfio_dev **out);

/**
 * vmsix_vfio_dev_info() - what the device is.
 * @d: the device
 *
 * Return: the device's information, valid until vmsix_vfio_dev_close();
 * NULL for a NULL or closed device. Calls nothing.
 */
VMSIX_API const struct vmsix_vfio_dev_info *vmsix_vfio_dev_info(const struct vmsix_vfio_dev *d);

/**
 * vmsix_vfio_dev_close() - close what vmsix_vfio_dev_open() opened.
 * @d: the device
 *
 * Closes the device fd, the group fd and a container this library opened,
 * in that order (closing the group takes it out of the container); fds
 * the VMM gave are left open. Goes on after errors. The device is
 * invalid afterwards (any call refuses it).
 *
 * Return: 0, -EINVAL, or the first close error. Calls the sys layer.
 */
VMSIX_API int vmsix_vfio_dev_close(struct vmsix_vfio_dev *d);

/**
 * vmsix_vfio_dev_reset() - reset the function (VFIO_DEVICE_RESET).
 * @d: the device
 *
 * Return: 0; -ENOTSUP when the device has no VFIO_DEVICE_FLAGS_RESET;
 * -EINVAL; or the ioctl's error. Calls the sys layer.
 */
VMSIX_API int vmsix_vfio_dev_reset(struct vmsix_vfio_dev *d);

/* vmsix_vfio_dma_map() flags (VFIO_DMA_MAP_FLAG_READ/WRITE). */
#define VMSIX_VFIO_DMA_READ 0x1u  /* the device may read */
#define VMSIX_VFIO_DMA_WRITE 0x2u /* the device may write */

/**
 * vmsix_vfio_dma_map() - let the device reach guest memory (VFIO_IOMMU_MAP_DMA).
 * @d: the device (its container)
 * @iova: the address the device uses (the guest physical address, for a
 *        guest without a vIOMMU)
 * @size: bytes, non-zero (the IOMMU's page size aligns @iova, @size, @vaddr)
 * @vaddr: the VMM's mapping of that guest memory
 * @flags: VMSIX_VFIO_DMA_READ | VMSIX_VFIO_DMA_WRITE (at least one)
 *
 * Return: 0; -EINVAL (zero size, a range that wraps, no flag or an unknown
 * one); -EBADF (attached without a container); or the ioctl's error.
 * Calls the sys layer.
 */
VMSIX_API int vmsix_vfio_dma_map(struct vmsix_vfio_dev *d, uint64_t iova, uint64_t size,
                                 void *vaddr, uint32_t flags);

/**
 * vmsix_vfio_dma_unmap() - remove a mapping (VFIO_IOMMU_UNMAP_DMA).
 * @d: the device (its container)
 * @iova: as mapped
 * @size: as mapped
 *
 * Return: 0; -EINVAL, -EBADF as vmsix_vfio_dma_map(); -EIO when the
 * kernel unmapped fewer bytes than @size; or the ioctl's error.
 */
VMSIX_API int vmsix_vfio_dma_unmap(struct vmsix_vfio_dev *d, uint64_t iova, uint64_t size);

/* ---- Configuration space and region access ---- */

/**
 * vmsix_vfio_cfg_read() - a physical configuration read, as struct vmsix_dev_ops cfg_read.
 * @dev: the struct vmsix_vfio_dev (void * to fit the hook)
 * @off: offset in configuration space
 * @size: 1, 2 or 4, @off aligned to it
 * @val: receives the value (little-endian bytes of the function, in host order)
 *
 * One pread at the configuration region's offset + @off.
 * Return: 0; -EINVAL (a bad size, a misaligned or out-of-region access, a
 * NULL argument; *@val untouched); -EIO (a short read); or pread's error.
 */
VMSIX_API int vmsix_vfio_cfg_read(void *dev, uint16_t off, unsigned size, uint32_t *val);

/**
 * vmsix_vfio_cfg_write() - a physical configuration write, as struct vmsix_dev_ops cfg_write.
 * @dev: the struct vmsix_vfio_dev
 * @off: offset in configuration space
 * @size: 1, 2 or 4, @off aligned to it
 * @val: the value (its low @size bytes)
 *
 * One pwrite at the configuration region's offset + @off. vfio-pci
 * virtualizes parts of configuration space itself (the MSI and MSI-X
 * capabilities, BARs, the ROM BAR, parts of Command): writes there reach
 * vfio-pci's emulation, not the function.
 * Return: 0, -EINVAL, -EIO (a short write), or pwrite's error.
 */
VMSIX_API int vmsix_vfio_cfg_write(void *dev, uint16_t off, unsigned size, uint32_t val);

/**
 * vmsix_vfio_region_read() - read a region of the device, for a trapped BAR.
 * @d: the device
 * @index: the VFIO region index (VFIO_PCI_BAR0_REGION_INDEX + n, ...)
 * @off: offset in the region
 * @size: 1, 2, 4 or 8, @off aligned to it
 * @val: receives the value (little-endian bytes, in host order)
 *
 * Return: 0; -EINVAL (a bad size or alignment, an index past the device's
 * regions, an access past the region's size or to a region that is not
 * readable); -EIO (short); or pread's error.
 */
VMSIX_API int vmsix_vfio_region_read(struct vmsix_vfio_dev *d, uint32_t index, uint64_t off,
                                     unsigned size, uint64_t *val);

/**
 * vmsix_vfio_region_write() - write a region of the device, for a trapped BAR.
 * @d: the device
 * @index: the VFIO region index
 * @off: offset in the region
 * @size: 1, 2, 4 or 8, @off aligned to it
 * @val: the value (its low @size bytes)
 *
 * Return: as vmsix_vfio_region_read() (a region that is not writable: -EINVAL).
 */
VMSIX_API int vmsix_vfio_region_write(struct vmsix_vfio_dev *d, uint32_t index, uint64_t off,
                                      unsigned size, uint64_t val);

/* ---- GSI routes: the VMM's one KVM routing table ---- */

/* set_route() flags. */
#define VMSIX_VFIO_ROUTE_DEVID 0x1u /* @devid is valid (KVM_MSI_VALID_DEVID: arm64 GICv3 ITS) */

/*
 * How the backend changes KVM's GSI routing table, which the VMM owns (a
 * VM has one; KVM_SET_GSI_ROUTING replaces it whole). ctx is the
 * routes_ctx of struct vmsix_vfio_msi_params. All four are required.
 * Add new members only at the end; NULL must keep the old behaviour.
 */
struct vmsix_vfio_route_ops {
    size_t size; /* sizeof(struct vmsix_vfio_route_ops) as the caller compiled it */
    /* Give @n unused GSIs (any, not necessarily contiguous) in @gsi[0..n-1].
     * 0, or a negative errno with none given (-ENOSPC: none left). */
    int (*gsi_alloc)(void *ctx, uint32_t n, uint32_t *gsi);
    /* Take back @gsi[0..n-1] (their routes were dropped first, or their
     * drop failed: the table may keep a stale route until the GSI's next
     * set_route). */
    void (*gsi_free)(void *ctx, uint32_t n, const uint32_t *gsi);
    /* Route @gsi to the MSI @msg (with @devid when @flags has
     * VMSIX_VFIO_ROUTE_DEVID): add the entry or replace the one there, and
     * make KVM use it (one KVM_SET_GSI_ROUTING of the whole table). A
     * replaced route changes atomically for an irqfd on @gsi. On error,
     * KVM's table and the VMM's are as before. */
    int (*set_route)(void *ctx, uint32_t gsi, const struct vmsix_msg *msg, uint32_t flags,
                     uint32_t devid);
    /* Remove the routes of @gsi[0..n-1] (one KVM_SET_GSI_ROUTING). On
     * error, as before. */
    int (*drop_routes)(void *ctx, uint32_t n, const uint32_t *gsi);
};

/* The size of the first sized version of struct vmsix_vfio_route_ops (vmsix 0.3). */
#define VMSIX_VFIO_ROUTE_OPS_SIZE_V1                                                               \
    (offsetof(struct vmsix_vfio_route_ops, drop_routes) +                                          \
     sizeof(((struct vmsix_vfio_route_ops *)0)->drop_routes))

struct vmsix_vfio_routes;

/* The most routes and the highest GSI + 1 KVM accepts (KVM_MAX_IRQ_ROUTES). */
#define VMSIX_VFIO_ROUTES_MAX 4096u

/* vmsix_vfio_routes_params flags. */
/* The table starts as KVM's own after KVM_CREATE_IRQCHIP on x86: GSI
 * 0-23 to the IOAPIC pins 0-23, GSI 0-15 also to the PIC pins (40
 * entries). Without it, the first KVM_SET_GSI_ROUTING removes those, and
 * the PIT, KVM_IRQ_LINE and the IOAPIC stop delivering. */
#define VMSIX_VFIO_ROUTES_X86_IRQCHIP 0x1u

struct vmsix_vfio_routes_params {
    int vm_fd;           /* the KVM VM */
    uint32_t max_routes; /* entries the table holds, 1..VMSIX_VFIO_ROUTES_MAX (the x86
                            defaults count) */
    uint32_t gsi_base;   /* GSIs handed out by gsi_alloc: [gsi_base, gsi_base + gsi_count) */
    uint32_t gsi_count;  /* 0..; gsi_base + gsi_count <= VMSIX_VFIO_ROUTES_MAX; above 23
                            with VMSIX_VFIO_ROUTES_X86_IRQCHIP */
    uint32_t flags;      /* VMSIX_VFIO_ROUTES_* */
    const struct vmsix_vfio_sys *sys; /* NULL: the real system calls */
    void *sys_ctx;
};

/**
 * vmsix_vfio_routes_storage_size() - bytes of storage a routing table needs.
 * @max_routes: its capacity, 1..VMSIX_VFIO_ROUTES_MAX
 * @gsi_count: GSIs it hands out, 0..VMSIX_VFIO_ROUTES_MAX
 *
 * Return: the size (two copies of the table, 48 bytes per entry each, and
 * a bit per GSI), or 0 for arguments out of range.
 */
VMSIX_API size_t vmsix_vfio_routes_storage_size(uint32_t max_routes, uint32_t gsi_count);

/**
 * vmsix_vfio_routes_init() - a routing table owned by this library.
 * @mem: storage, 8-byte aligned
 * @len: at least vmsix_vfio_routes_storage_size(@p->max_routes, @p->gsi_count)
 * @p: VM, capacity, GSI range, flags, sys
 * @out: receives the table
 *
 * Makes no system call: the table starts as KVM's does (empty, or the x86
 * defaults), and the first change sends it whole.
 * Return: 0, or -EINVAL (bad arguments, too little storage, a GSI range
 * past VMSIX_VFIO_ROUTES_MAX or, with the x86 defaults, below 24).
 */
VMSIX_API int vmsix_vfio_routes_init(void *mem, size_t len,
                                     const struct vmsix_vfio_routes_params *p,
                                     struct vmsix_vfio_routes **out);

/**
 * vmsix_vfio_routes_fini() - end a table (its storage may then be freed).
 * @r: the table
 *
 * KVM's table is left as it is. Calls nothing.
 */
VMSIX_API void vmsix_vfio_routes_fini(struct vmsix_vfio_routes *r);

/**
 * vmsix_vfio_routes_ops() - the route hooks of a table owned by this library.
 *
 * Pass it as struct vmsix_vfio_msi_params routes, with the struct
 * vmsix_vfio_routes as routes_ctx: gsi_alloc, gsi_free, set_route and
 * drop_routes are vmsix_vfio_routes_gsi_alloc(), _gsi_free(), _set_msi()
 * and _drop(). Never NULL.
 */
VMSIX_API const struct vmsix_vfio_route_ops *vmsix_vfio_routes_ops(void);

/**
 * vmsix_vfio_routes_gsi_alloc() - hand out unused GSIs.
 * @r: the table
 * @n: how many, 1..
 * @gsi: receives them (the lowest free ones of the range, ascending)
 *
 * Return: 0, -EINVAL, or -ENOSPC (fewer than @n free: none handed out).
 */
VMSIX_API int vmsix_vfio_routes_gsi_alloc(struct vmsix_vfio_routes *r, uint32_t n, uint32_t *gsi);

/**
 * vmsix_vfio_routes_gsi_free() - take GSIs back.
 * @r: the table
 * @n: how many
 * @gsi: them (a GSI outside the range or not handed out is ignored)
 *
 * Their routes are not touched (drop them first).
 */
VMSIX_API void vmsix_vfio_routes_gsi_free(struct vmsix_vfio_routes *r, uint32_t n,
                                          const uint32_t *gsi);

/**
 * vmsix_vfio_routes_set_msi() - route a GSI to an MSI, and tell KVM.
 * @r: the table
 * @gsi: < VMSIX_VFIO_ROUTES_MAX (any GSI: the VMM's own too)
 * @msg: the message (address_lo, address_hi, data of the KVM route)
 * @flags: VMSIX_VFIO_ROUTE_DEVID or 0
 * @devid: the requester's device ID, with VMSIX_VFIO_ROUTE_DEVID
 *
 * Adds or replaces @gsi's entry and sends the whole table
 * (KVM_SET_GSI_ROUTING). The same route again makes no call.
 * Return: 0; -EINVAL (bad arguments, an unknown flag, a GSI routed to an
 * irqchip pin); -ENOSPC (the table is full); or the ioctl's error, with
 * the table as before. Takes the table's mutex; calls the sys layer.
 */
VMSIX_API int vmsix_vfio_routes_set_msi(struct vmsix_vfio_routes *r, uint32_t gsi,
                                        const struct vmsix_msg *msg, uint32_t flags,
                                        uint32_t devid);

/**
 * vmsix_vfio_routes_set_irqchip() - route a GSI to an interrupt controller pin, and tell KVM.
 * @r: the table
 * @gsi: < VMSIX_VFIO_ROUTES_MAX
 * @irqchip: KVM_IRQCHIP_PIC_MASTER, _PIC_SLAVE or _IOAPIC (x86)
 * @pin: the pin
 *
 * Adds the entry (a GSI may reach one pin of each irqchip) and sends the
 * table; an entry already there makes no call.
 * Return: 0; -EINVAL (a GSI routed to an MSI, a second pin on the same
 * irqchip); -ENOSPC; or the ioctl's error, with the table as before.
 */
VMSIX_API int vmsix_vfio_routes_set_irqchip(struct vmsix_vfio_routes *r, uint32_t gsi,
                                            uint32_t irqchip, uint32_t pin);

/**
 * vmsix_vfio_routes_drop() - remove the routes of GSIs, and tell KVM.
 * @r: the table
 * @n: how many
 * @gsi: them (one without a route is ignored)
 *
 * One KVM_SET_GSI_ROUTING, none when nothing changes.
 * Return: 0, -EINVAL, or the ioctl's error with the table as before.
 */
VMSIX_API int vmsix_vfio_routes_drop(struct vmsix_vfio_routes *r, uint32_t n, const uint32_t *gsi);

/**
 * vmsix_vfio_routes_count() - entries in the table.
 * @r: the table
 *
 * Return: the number of entries as KVM has them (0 for NULL).
 */
VMSIX_API uint32_t vmsix_vfio_routes_count(struct vmsix_vfio_routes *r);

/* ---- The host-owned-message backend (vmsix/hostmsg.h) ---- */

/* The most vectors (MSI's 32). */
#define VMSIX_VFIO_MSI_MAX 32u

struct vmsix_vfio_msi;

struct vmsix_vfio_msi_params {
    int device_fd; /* the VFIO device (VFIO_DEVICE_SET_IRQS, VFIO_DEVICE_RESET) */
    int vm_fd;     /* the KVM VM (KVM_IRQFD) */
    const struct vmsix_vfio_route_ops *routes; /* the VMM's routing table, or
                                                  vmsix_vfio_routes_ops() */
    void *routes_ctx;
    uint32_t route_flags;             /* VMSIX_VFIO_ROUTE_DEVID or 0, for set_route */
    uint32_t devid;                   /* with VMSIX_VFIO_ROUTE_DEVID */
    const struct vmsix_vfio_sys *sys; /* NULL: the real system calls */
    void *sys_ctx;
    vmsix_vfio_log_fn log; /* optional */
    void *log_ctx;
};

/*
 * What the backend did, for the VMM's statistics. A mask is an unroute()
 * of a routed vector, an unmask a route() of a held one, an update a
 * route() of a routed one with a new message. Ioctls count the backend's
 * own and one per route hook call (set_route, drop_routes: the
 * KVM_SET_GSI_ROUTING of the default table); reads are eventfd reads.
 */
struct vmsix_vfio_msi_stats {
    uint64_t ioctls;         /* every ioctl, enable to reset */
    uint64_t masks;          /* unroute() that deassigned */
    uint64_t mask_ioctls;    /* their ioctls: 1 each (KVM_IRQFD deassign) */
    uint64_t unmasks;        /* route() of a held vector that assigned */
    uint64_t unmask_ioctls;  /* their ioctls: KVM_IRQFD assign, + set_route when the
                                route changed while held */
    uint64_t unmask_reads;   /* their eventfd reads: 2 each (drain, assign, drain) */
    uint64_t held_delivered; /* route() that returned 1: a held message delivered */
    uint64_t updates;        /* route() of a routed vector with a new message */
    uint64_t update_ioctls;  /* their ioctls: 1 each (set_route) */
    uint64_t pending_reads;  /* take_pending() eventfd reads */
    uint64_t failures;       /* operations that returned an error */
};

/**
 * vmsix_vfio_msi_storage_size() - bytes of storage a backend needs.
 *
 * Return: the size (under 1 KiB; 8-byte aligned storage).
 */
VMSIX_API size_t vmsix_vfio_msi_storage_size(void);

/**
 * vmsix_vfio_msi_init() - a host-owned-message backend over VFIO and KVM.
 * @mem: storage, 8-byte aligned
 * @len: at least vmsix_vfio_msi_storage_size()
 * @p: device and VM fds, route hooks (checked by the size rule), sys, log
 * @out: receives the backend
 *
 * Makes no system call; nothing is enabled.
 * Return: 0; -EINVAL (a negative fd, no route hooks or a NULL one, a hook
 * struct too small or too large, an unknown route flag); -ENOTSUP (a hook
 * struct with members this library does not know set).
 */
VMSIX_API int vmsix_vfio_msi_init(void *mem, size_t len, const struct vmsix_vfio_msi_params *p,
                                  struct vmsix_vfio_msi **out);

/**
 * vmsix_vfio_msi_hostmsg() - the backend as vmsix/hostmsg.h's operations.
 * @b: the backend
 * @out: receives { ops, ctx = @b } for vmsix_dev_init_hostmsg(); its ops
 *       are vmsix_vfio_msi_enable() .. _reset()
 *
 * Return: 0, or -EINVAL. Calls nothing.
 */
VMSIX_API int vmsix_vfio_msi_hostmsg(struct vmsix_vfio_msi *b, struct vmsix_hostmsg *out);

/**
 * vmsix_vfio_msi_enable() - hostmsg enable: give the function @nvec MSI vectors.
 * @b: the backend
 * @nvec: a power of two, 1..VMSIX_VFIO_MSI_MAX
 *
 * gsi_alloc(@nvec); @nvec eventfds (EFD_NONBLOCK | EFD_CLOEXEC);
 * VFIO_DEVICE_SET_IRQS(VFIO_PCI_MSI_IRQ_INDEX, DATA_EVENTFD |
 * ACTION_TRIGGER, start 0, count @nvec). Every vector is then held: no
 * irqfd, its messages counted in its eventfd.
 * Return: 0; -EINVAL (a bad @nvec); -EBUSY (already enabled); -ENOSPC
 * (the host granted fewer: SET_IRQS returned the count it could give,
 * and vfio-pci has already disabled MSI again; or no GSIs left); or the
 * error of the step that failed. On error the eventfds are closed, the
 * GSIs given back and nothing is enabled. Calls the sys layer, gsi_alloc,
 * gsi_free, log.
 */
VMSIX_API int vmsix_vfio_msi_enable(struct vmsix_vfio_msi *b, uint32_t nvec);

/**
 * vmsix_vfio_msi_disable() - hostmsg disable: every vector goes.
 * @b: the backend
 *
 * KVM_IRQFD deassign of every routed vector (ascending);
 * VFIO_DEVICE_SET_IRQS(VFIO_PCI_MSI_IRQ_INDEX, DATA_NONE | ACTION_TRIGGER,
 * start 0, count 0); drop_routes of the GSIs that have a route; gsi_free;
 * close every eventfd. Goes on after errors (closing an eventfd also
 * detaches an irqfd whose deassign failed); held messages are lost. Not
 * enabled: nothing, 0.
 * Return: 0, -EINVAL, or the first error.
 */
VMSIX_API int vmsix_vfio_msi_disable(struct vmsix_vfio_msi *b);

/**
 * vmsix_vfio_msi_route() - hostmsg route: vector @k delivers @msg to the guest.
 * @b: the backend
 * @k: < the enabled count
 * @msg: the guest's MSI-X message
 *
 * A held vector: set_route(its GSI, @msg) unless KVM already routes it
 * there; drain its eventfd (a non-blocking read: a count means held
 * messages); KVM_IRQFD assign; drain again and discard (kvm_irqfd_assign
 * injects a count already in the eventfd without consuming it: whatever
 * this read finds was delivered). A routed vector: set_route only (KVM
 * switches an irqfd's route atomically), nothing when @msg is the route.
 * Return: 1 (held vector: a message was held since the last route or
 * take, which the caller delivers once), 0, or a negative errno:
 * -EINVAL (bad arguments, not enabled), or the error of set_route, of
 * the first read or of the assign. A held vector then stays held, and a
 * message the read took is remembered and reported by the next route()
 * or take_pending(); a routed one keeps its old route. An error of the
 * second read is logged and not returned (the vector is routed; the count
 * it left is consumed by KVM when the irqfd is deassigned).
 */
VMSIX_API int vmsix_vfio_msi_route(struct vmsix_vfio_msi *b, uint32_t k,
                                   const struct vmsix_msg *msg);

/**
 * vmsix_vfio_msi_unroute() - hostmsg unroute: vector @k holds its messages.
 * @b: the backend
 * @k: < the enabled count
 *
 * KVM_IRQFD deassign (KVM_IRQFD_FLAG_DEASSIGN); the route stays in KVM's
 * table for the next route(). Its messages then accumulate in the eventfd.
 * A held vector: nothing.
 * Return: 0, -EINVAL, or the ioctl's error (the vector stays routed).
 */
VMSIX_API int vmsix_vfio_msi_unroute(struct vmsix_vfio_msi *b, uint32_t k);

/**
 * vmsix_vfio_msi_take_pending() - hostmsg take_pending: did held vector @k get a message?
 * @b: the backend
 * @k: < the enabled count, a held vector
 *
 * A non-blocking read of its eventfd (empty: 0), or a message remembered
 * from a failed route().
 * Return: 1 (forgotten by the backend from now on), 0, -EINVAL (bad
 * arguments, a routed vector: its eventfd is KVM's), or the read's error
 * (the messages stay held; a remembered one is returned as 1 instead).
 */
VMSIX_API int vmsix_vfio_msi_take_pending(struct vmsix_vfio_msi *b, uint32_t k);

/**
 * vmsix_vfio_msi_reset() - hostmsg reset: VFIO_DEVICE_RESET.
 * @b: the backend
 *
 * Return: 0, -EINVAL, or the ioctl's error.
 */
VMSIX_API int vmsix_vfio_msi_reset(struct vmsix_vfio_msi *b);

/**
 * vmsix_vfio_msi_fini() - end a backend (its storage may then be freed).
 * @b: the backend
 *
 * vmsix_vfio_msi_disable() if it is enabled; the backend is invalid
 * afterwards.
 * Return: disable's result, or -EINVAL.
 */
VMSIX_API int vmsix_vfio_msi_fini(struct vmsix_vfio_msi *b);

/**
 * vmsix_vfio_msi_get_stats() - what the backend did so far.
 * @b: the backend
 * @out: receives the counters
 *
 * Return: 0, or -EINVAL. Calls nothing.
 */
VMSIX_API int vmsix_vfio_msi_get_stats(const struct vmsix_vfio_msi *b,
                                       struct vmsix_vfio_msi_stats *out);

/**
 * vmsix_vfio_msi_eventfd() - the eventfd of vector @k, while enabled.
 * @b: the backend
 * @k: < the enabled count
 *
 * For a VMM that watches held vectors (poll it; never read it: the
 * backend's reads decide what is pending).
 * Return: the fd, or -EINVAL.
 */
VMSIX_API int vmsix_vfio_msi_eventfd(const struct vmsix_vfio_msi *b, uint32_t k);

#ifdef __cplusplus
}
#endif

#endif /* VMSIX_VFIO_H */
