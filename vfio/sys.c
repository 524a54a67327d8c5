/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libvmsix-vfio: the system-call layer (struct vmsix_vfio_sys): the real
 * calls with errno turned into a negative return, the caller's hooks in
 * their place, and the log lines of the library's objects.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ops_copy.h"
#include "vfio_priv.h"

/* errno after a failed call, negated (never 0: a call that failed without
 * setting errno is -EIO). */
static int neg_errno(void)
{
    return errno > 0 ? -errno : -EIO;
}

/* A byte count of at most @len, or -errno. Our buffers are a few bytes;
 * a longer one is refused before the call, so the count fits an int. */
static int ret_count(ssize_t n)
{
    return n < 0 ? neg_errno() : (int)n;
}

static int real_open(void *ctx, const char *path, int flags)
{
    int fd;

    (void)ctx;
    fd = open(path, flags);
    return fd < 0 ? neg_errno() : fd;
}

static int real_close(void *ctx, int fd)
{
    (void)ctx;
    /* Linux closes the fd even when close() reports EINTR: never retry. */
    return close(fd) < 0 ? neg_errno() : 0;
}

static int real_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
    int rc;

    (void)ctx;
    rc = ioctl(fd, req, arg);
    return rc < 0 ? neg_errno() : rc;
}

static int real_read(void *ctx, int fd, void *buf, size_t len)
{
    (void)ctx;
    return ret_count(read(fd, buf, len));
}

static int real_write(void *ctx, int fd, const void *buf, size_t len)
{
    (void)ctx;
    return ret_count(write(fd, buf, len));
}

static int real_pread(void *ctx, int fd, void *buf, size_t len, uint64_t off)
{
    (void)ctx;
    if (off > (uint64_t)INT64_MAX)
        return -EINVAL;
    return ret_count(pread(fd, buf, len, (off_t)off));
}

static int real_pwrite(void *ctx, int fd, const void *buf, size_t len, uint64_t off)
{
    (void)ctx;
    if (off > (uint64_t)INT64_MAX)
        return -EINVAL;
    return ret_count(pwrite(fd, buf, len, (off_t)off));
}

static int real_eventfd(void *ctx, unsigned int initval, int flags)
{
    int fd;

    (void)ctx;
    fd = eventfd(initval, flags);
    return fd < 0 ? neg_errno() : fd;
}

static int real_readlink(void *ctx, const char *path, char *buf, size_t len)
{
    (void)ctx;
    return ret_count(readlink(path, buf, len));
}

static const struct vmsix_vfio_sys real_sys = {
    .size = sizeof(struct vmsix_vfio_sys),
    .open = real_open,
    .close = real_close,
    .ioctl = real_ioctl,
    .read = real_read,
    .write = real_write,
    .pread = real_pread,
    .pwrite = real_pwrite,
    .eventfd = real_eventfd,
    .readlink = real_readlink,
};

VMSIX_API const struct vmsix_vfio_sys *vmsix_vfio_sys_default(void)
{
    return &real_sys;
}

int vfio_sys_init(struct vfio_sys *s, const struct vmsix_vfio_sys *ops, void *ctx)
{
    int rc;

    if (!ops) {
        memset(&s->ops, 0, sizeof(s->ops));
    } else {
        rc = vmsix_ops_copy(&s->ops, sizeof(s->ops), ops, VMSIX_VFIO_SYS_SIZE_V1);
        if (rc)
            return rc;
    }
    s->ops.size = sizeof(s->ops);
    s->ctx = ctx;
    return 0;
}

/* A hook's result where only 0 means success: a positive one is -EIO
 * (DESIGN 3.2). */
static int only_zero(int rc)
{
    return rc > 0 ? -EIO : rc;
}

/* A hook's byte count: more than asked is -EIO. */
static int count_max(int rc, size_t len)
{
    return rc > 0 && (size_t)rc > len ? -EIO : rc;
}

int vfio_sys_open(const struct vfio_sys *s, const char *path, int flags)
{
    return s->ops.open ? s->ops.open(s->ctx, path, flags) : real_open(NULL, path, flags);
}

int vfio_sys_close(const struct vfio_sys *s, int fd)
{
    return only_zero(s->ops.close ? s->ops.close(s->ctx, fd) : real_close(NULL, fd));
}

int vfio_sys_ioctl(const struct vfio_sys *s, int fd, unsigned long req, void *arg)
{
    return s->ops.ioctl ? s->ops.ioctl(s->ctx, fd, req, arg) : real_ioctl(NULL, fd, req, arg);
}

int vfio_sys_read(const struct vfio_sys *s, int fd, void *buf, size_t len)
{
    if (len > INT_MAX)
        return -EINVAL;
    return count_max(
        s->ops.read ? s->ops.read(s->ctx, fd, buf, len) : real_read(NULL, fd, buf, len), len);
}

int vfio_sys_write(const struct vfio_sys *s, int fd, const void *buf, size_t len)
{
    if (len > INT_MAX)
        return -EINVAL;
    return count_max(
        s->ops.write ? s->ops.write(s->ctx, fd, buf, len) : real_write(NULL, fd, buf, len), len);
}

int vfio_sys_pread(const struct vfio_sys *s, int fd, void *buf, size_t len, uint64_t off)
{
    if (len > INT_MAX)
        return -EINVAL;
    return count_max(s->ops.pread ? s->ops.pread(s->ctx, fd, buf, len, off)
                                  : real_pread(NULL, fd, buf, len, off),
                     len);
}

int vfio_sys_pwrite(const struct vfio_sys *s, int fd, const void *buf, size_t len, uint64_t off)
{
    if (len > INT_MAX)
        return -EINVAL;
    return count_max(s->ops.pwrite ? s->ops.pwrite(s->ctx, fd, buf, len, off)
                                   : real_pwrite(NULL, fd, buf, len, off),
                     len);
}

int vfio_sys_eventfd(const struct vfio_sys *s, unsigned int initval, int flags)
{
    return s->ops.eventfd ? s->ops.eventfd(s->ctx, initval, flags)
                          : real_eventfd(NULL, initval, flags);
}

int vfio_sys_readlink(const struct vfio_sys *s, const char *path, char *buf, size_t len)
{
    if (len > INT_MAX)
        return -EINVAL;
    return count_max(s->ops.readlink ? s->ops.readlink(s->ctx, path, buf, len)
                                     : real_readlink(NULL, path, buf, len),
                     len);
}

const char *vfio_errname(int rc, char buf[16])
{
    static const struct {
        int e;
        const char *name;
    } names[] = {
        {EPERM, "-EPERM"},   {ENOENT, "-ENOENT"},       {EINTR, "-EINTR"},   {EIO, "-EIO"},
        {EBADF, "-EBADF"},   {EAGAIN, "-EAGAIN"},       {ENOMEM, "-ENOMEM"}, {EACCES, "-EACCES"},
        {EFAULT, "-EFAULT"}, {EBUSY, "-EBUSY"},         {EEXIST, "-EEXIST"}, {ENODEV, "-ENODEV"},
        {EINVAL, "-EINVAL"}, {ENFILE, "-ENFILE"},       {EMFILE, "-EMFILE"}, {ENOTTY, "-ENOTTY"},
        {ENOSPC, "-ENOSPC"}, {ERANGE, "-ERANGE"},       {ENOSYS, "-ENOSYS"}, {ENOTSUP, "-ENOTSUP"},
        {ENXIO, "-ENXIO"},   {EOVERFLOW, "-EOVERFLOW"},
    };
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (rc == -names[i].e)
            return names[i].name;
    snprintf(buf, 16, "%d", rc);
    return buf;
}

void vfio_log(const struct vfio_log *l, int level, const char *who, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    int n;

    if (!l || !l->fn)
        return;
    n = snprintf(line, sizeof(line), "vmsix-vfio: %s: ", who);
    if (n < 0 || (size_t)n >= sizeof(line))
        return;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    l->fn(l->ctx, level, line);
}
