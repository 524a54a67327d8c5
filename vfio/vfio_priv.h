/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to libvmsix-vfio: the system-call layer as its objects hold it
 * (the caller's struct vmsix_vfio_sys copied by the size rule, NULL
 * members being the real calls), and their log lines.
 */
#ifndef VMSIX_VFIO_PRIV_H
#define VMSIX_VFIO_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vmsix/vfio.h>

/* The markers at the start of each object (DESIGN 3.3: set last by init,
 * cleared by fini/close; any other value is refused). */
#define VFIO_DEV_MAGIC 0x76666456u    /* "VdfV" */
#define VFIO_MSI_MAGIC 0x76664d53u    /* "SMfv" */
#define VFIO_ROUTES_MAGIC 0x76665254u /* "TRfv" */

/* The system calls an object makes: the caller's hooks (NULL: the real call). */
struct vfio_sys {
    struct vmsix_vfio_sys ops;
    void *ctx;
};

/* Copy @ops (NULL: all real) into @s by the size rule. 0, -EINVAL, -ENOTSUP. */
int vfio_sys_init(struct vfio_sys *s, const struct vmsix_vfio_sys *ops, void *ctx);

/* The calls: a hook's result (a positive one where none is meaningful is
 * -EIO), or the real call's with errno negated. */
int vfio_sys_open(const struct vfio_sys *s, const char *path, int flags);
int vfio_sys_close(const struct vfio_sys *s, int fd);
int vfio_sys_ioctl(const struct vfio_sys *s, int fd, unsigned long req, void *arg);
int vfio_sys_read(const struct vfio_sys *s, int fd, void *buf, size_t len);
int vfio_sys_write(const struct vfio_sys *s, int fd, const void *buf, size_t len);
int vfio_sys_pread(const struct vfio_sys *s, int fd, void *buf, size_t len, uint64_t off);
int vfio_sys_pwrite(const struct vfio_sys *s, int fd, const void *buf, size_t len, uint64_t off);
int vfio_sys_eventfd(const struct vfio_sys *s, unsigned int initval, int flags);
int vfio_sys_readlink(const struct vfio_sys *s, const char *path, char *buf, size_t len);

/* Where an object's failure lines go. */
struct vfio_log {
    vmsix_vfio_log_fn fn;
    void *ctx;
};

/* One line "vmsix-vfio: <who>: <fmt...>" at @level; nothing without a hook. */
void vfio_log(const struct vfio_log *l, int level, const char *who, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* The name of a negative errno for log lines ("-EBUSY"; "-<n>" for others). */
const char *vfio_errname(int rc, char buf[16]);

/* A device (dev.c sets it up; cfg.c and dma.c use it). */
struct vmsix_vfio_dev {
    uint32_t magic;
    bool own_container; /* this library opened the container, and closes it */
    bool own_group;
    bool own_device;
    struct vfio_sys sys;
    struct vfio_log log;
    char name[24]; /* the PCI address, or "fd N" for an attached device */
    struct vmsix_vfio_dev_info info;
};

/* @d if it is a device that is set up, else NULL (DESIGN 3.3). */
static inline struct vmsix_vfio_dev *vfio_dev_valid(const void *d)
{
    const struct vmsix_vfio_dev *v = d;

    return v && v->magic == VFIO_DEV_MAGIC ? (struct vmsix_vfio_dev *)(uintptr_t)v : NULL;
}

#endif /* VMSIX_VFIO_PRIV_H */
