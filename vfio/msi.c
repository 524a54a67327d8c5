/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libvmsix-vfio: the host-owned-message backend (vmsix/hostmsg.h) over
 * VFIO and KVM: one eventfd per MSI vector, a KVM MSI route per vector
 * through the VMM's route hooks, KVM_IRQFD assigned while the guest's
 * vector is unmasked and deassigned while it is masked (its messages then
 * wait in the eventfd), with the drain rule around the assign.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>

#include <linux/kvm.h>
#include <linux/vfio.h>

#include "bits.h"
#include "ops_copy.h"
#include "vfio_priv.h"

struct vmsix_vfio_msi {
    uint32_t magic;
    int device_fd;
    int vm_fd;
    uint32_t route_flags;
    uint32_t devid;
    struct vfio_sys sys;
    struct vfio_log log;
    struct vmsix_vfio_route_ops rops;
    void *rctx;
    uint32_t nvec;      /* 0: not enabled */
    uint32_t assigned;  /* bit k: vector k's irqfd is assigned (routed) */
    uint32_t has_route; /* bit k: KVM routes gsi[k] to msg[k] */
    uint32_t held;      /* bit k: a held message the eventfd no longer shows (a read
                           took it, then the assign failed): diverted, never lost */
    int efd[VMSIX_VFIO_MSI_MAX];
    uint32_t gsi[VMSIX_VFIO_MSI_MAX];
    struct vmsix_msg msg[VMSIX_VFIO_MSI_MAX];
    struct vmsix_vfio_msi_stats st;
};

VMSIX_API size_t vmsix_vfio_msi_storage_size(void)
{
    return sizeof(struct vmsix_vfio_msi);
}

static struct vmsix_vfio_msi *msi_valid(const void *p)
{
    const struct vmsix_vfio_msi *b = p;

    return b && b->magic == VFIO_MSI_MAGIC ? (struct vmsix_vfio_msi *)(uintptr_t)b : NULL;
}

static int failed(struct vmsix_vfio_msi *b, int k, const char *step, int rc)
{
    char who[24], e[16];

    b->st.failures++;
    if (k >= 0)
        snprintf(who, sizeof(who), "vector %d", k);
    else
        snprintf(who, sizeof(who), "MSI");
    vfio_log(&b->log, VMSIX_LOG_ERR, who, "%s failed (%s)", step, vfio_errname(rc, e));
    return rc;
}

static int ioctl_b(struct vmsix_vfio_msi *b, int fd, unsigned long req, void *arg)
{
    b->st.ioctls++;
    return vfio_sys_ioctl(&b->sys, fd, req, arg);
}

/* A route hook's result: a positive one is -EIO (DESIGN 3.2). */
static int hook_rc(int rc)
{
    return rc > 0 ? -EIO : rc;
}

VMSIX_API int vmsix_vfio_msi_init(void *mem, size_t len, const struct vmsix_vfio_msi_params *p,
                                  struct vmsix_vfio_msi **out)
{
    struct vmsix_vfio_msi *b = mem;
    struct vmsix_vfio_route_ops rops;
    uint32_t k;
    int rc;

    if (!mem || !p || !out || len < sizeof(*b) || ((uintptr_t)mem & 7u) || p->device_fd < 0 ||
        p->vm_fd < 0 || !p->routes || (p->route_flags & ~VMSIX_VFIO_ROUTE_DEVID))
        return -EINVAL;
    rc = vmsix_ops_copy(&rops, sizeof(rops), p->routes, VMSIX_VFIO_ROUTE_OPS_SIZE_V1);
    if (rc)
        return rc;
    if (!rops.gsi_alloc || !rops.gsi_free || !rops.set_route || !rops.drop_routes)
        return -EINVAL;
    memset(b, 0, sizeof(*b));
    rc = vfio_sys_init(&b->sys, p->sys, p->sys_ctx);
    if (rc)
        return rc;
    b->rops = rops;
    b->rctx = p->routes_ctx;
    b->device_fd = p->device_fd;
    b->vm_fd = p->vm_fd;
    b->route_flags = p->route_flags;
    b->devid = p->devid;
    b->log.fn = p->log;
    b->log.ctx = p->log_ctx;
    for (k = 0; k < VMSIX_VFIO_MSI_MAX; k++)
        b->efd[k] = -1;
    b->magic = VFIO_MSI_MAGIC;
    *out = b;
    return 0;
}

/* Close the eventfds of vectors 0..n-1 and forget them; the first error in *@first. */
static void close_efds(struct vmsix_vfio_msi *b, uint32_t n, int *first)
{
    uint32_t k;
    int rc;

    for (k = 0; k < n; k++) {
        if (b->efd[k] < 0)
            continue;
        rc = vfio_sys_close(&b->sys, b->efd[k]);
        if (rc && !*first)
            *first = failed(b, (int)k, "close eventfd", rc);
        b->efd[k] = -1;
    }
}

VMSIX_API int vmsix_vfio_msi_enable(struct vmsix_vfio_msi *b, uint32_t nvec)
{
    uint64_t buf[(sizeof(struct vfio_irq_set) + VMSIX_VFIO_MSI_MAX * sizeof(int32_t) + 7u) / 8u];
    struct vfio_irq_set *set = (struct vfio_irq_set *)(void *)buf;
    int32_t fds[VMSIX_VFIO_MSI_MAX];
    uint32_t k;
    int rc, ignore = 0;

    if (!msi_valid(b) || !vmsix_is_pow2(nvec) || nvec > VMSIX_VFIO_MSI_MAX)
        return -EINVAL;
    if (b->nvec)
        return -EBUSY;
    rc = hook_rc(b->rops.gsi_alloc(b->rctx, nvec, b->gsi));
    if (rc)
        return failed(b, -1, "gsi_alloc", rc);
    for (k = 0; k < nvec; k++) {
        rc = vfio_sys_eventfd(&b->sys, 0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (rc < 0) {
            failed(b, (int)k, "eventfd", rc);
            goto undo;
        }
        b->efd[k] = rc;
        fds[k] = rc;
    }
    memset(buf, 0, sizeof(buf));
    set->argsz = (uint32_t)(sizeof(*set) + nvec * sizeof(int32_t));
    set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
    set->index = VFIO_PCI_MSI_IRQ_INDEX;
    set->start = 0;
    set->count = nvec;
    memcpy(set->data, fds, nvec * sizeof(int32_t));
    rc = ioctl_b(b, b->device_fd, VFIO_DEVICE_SET_IRQS, set);
    if (rc > 0) {
        /* Fewer granted: vfio-pci has freed the vectors again (a
         * disable now would be refused: MSI is not enabled). */
        vfio_log(&b->log, VMSIX_LOG_ERR, "MSI", "the host can give %d of %u vectors", rc,
                 (unsigned)nvec);
        rc = failed(b, -1, "VFIO_DEVICE_SET_IRQS", -ENOSPC);
        goto undo;
    }
    if (rc < 0) {
        failed(b, -1, "VFIO_DEVICE_SET_IRQS", rc);
        goto undo;
    }
    b->nvec = nvec;
    b->assigned = b->has_route = b->held = 0;
    return 0;
undo:
    close_efds(b, nvec, &ignore);
    b->rops.gsi_free(b->rctx, nvec, b->gsi);
    return rc;
}

static int irqfd(struct vmsix_vfio_msi *b, uint32_t k, bool deassign)
{
    struct kvm_irqfd a;

    memset(&a, 0, sizeof(a));
    a.fd = (uint32_t)b->efd[k];
    a.gsi = b->gsi[k];
    a.flags = deassign ? KVM_IRQFD_FLAG_DEASSIGN : 0u;
    return ioctl_b(b, b->vm_fd, KVM_IRQFD, &a);
}

/* A non-blocking read of vector k's eventfd: 1 (it had a count; now 0),
 * 0 (empty), or a negative errno (nothing taken). */
static int drain(struct vmsix_vfio_msi *b, uint32_t k)
{
    uint64_t cnt = 0;
    int rc;

    rc = vfio_sys_read(&b->sys, b->efd[k], &cnt, sizeof(cnt));
    if (rc == -EAGAIN)
        return 0;
    if (rc < 0)
        return rc;
    if (rc != (int)sizeof(cnt))
        return -EIO; /* an eventfd reads 8 bytes or nothing */
    return cnt != 0;
}

VMSIX_API int vmsix_vfio_msi_disable(struct vmsix_vfio_msi *b)
{
    uint64_t buf[(sizeof(struct vfio_irq_set) + 7u) / 8u];
    struct vfio_irq_set *set = (struct vfio_irq_set *)(void *)buf;
    uint32_t k, n = 0, drop[VMSIX_VFIO_MSI_MAX];
    int rc, first = 0;

    if (!msi_valid(b))
        return -EINVAL;
    if (!b->nvec)
        return 0;
    for (k = 0; k < b->nvec; k++) {
        if (!(b->assigned & (1u << k)))
            continue;
        rc = irqfd(b, k, true);
        if (rc < 0 && !first)
            first = failed(b, (int)k, "KVM_IRQFD deassign", rc);
    }
    b->assigned = 0;
    memset(buf, 0, sizeof(buf));
    set->argsz = sizeof(*set);
    set->flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
    set->index = VFIO_PCI_MSI_IRQ_INDEX;
    set->start = 0;
    set->count = 0;
    rc = ioctl_b(b, b->device_fd, VFIO_DEVICE_SET_IRQS, set);
    if (rc < 0 && !first)
        first = failed(b, -1, "VFIO_DEVICE_SET_IRQS (disable)", rc);
    for (k = 0; k < b->nvec; k++)
        if (b->has_route & (1u << k))
            drop[n++] = b->gsi[k];
    if (n) {
        b->st.ioctls++;
        rc = hook_rc(b->rops.drop_routes(b->rctx, n, drop));
        if (rc && !first)
            first = failed(b, -1, "drop_routes", rc);
    }
    b->rops.gsi_free(b->rctx, b->nvec, b->gsi);
    close_efds(b, b->nvec, &first);
    b->nvec = 0;
    b->has_route = b->held = 0;
    return first;
}

static bool same_msg(const struct vmsix_msg *a, const struct vmsix_msg *b)
{
    return a->addr == b->addr && a->data == b->data;
}

/* Make KVM route vector k's GSI to @msg, unless it does already. */
static int set_route(struct vmsix_vfio_msi *b, uint32_t k, const struct vmsix_msg *msg,
                     uint64_t *ioctls)
{
    int rc;

    if ((b->has_route & (1u << k)) && same_msg(&b->msg[k], msg))
        return 0;
    b->st.ioctls++;
    (*ioctls)++;
    rc = hook_rc(b->rops.set_route(b->rctx, b->gsi[k], msg, b->route_flags, b->devid));
    if (rc)
        return failed(b, (int)k, "set_route", rc);
    b->msg[k] = *msg;
    b->has_route |= 1u << k;
    return 0;
}

VMSIX_API int vmsix_vfio_msi_route(struct vmsix_vfio_msi *b, uint32_t k,
                                   const struct vmsix_msg *msg)
{
    uint32_t bit;
    uint64_t ioctls = 0;
    int rc, took;

    if (!msi_valid(b) || !msg || k >= b->nvec)
        return -EINVAL;
    bit = 1u << k;
    if (b->assigned & bit) {
        /* Routed: KVM switches the irqfd's route atomically. */
        if ((b->has_route & bit) && same_msg(&b->msg[k], msg))
            return 0;
        rc = set_route(b, k, msg, &ioctls);
        if (rc)
            return rc;
        b->st.updates++;
        b->st.update_ioctls += ioctls;
        return 0;
    }
    rc = set_route(b, k, msg, &ioctls);
    if (rc)
        return rc;
    /* Drain before the assign: kvm_irqfd_assign injects a count it finds
     * without consuming it, so a count left there would be delivered
     * now and reported again by a later read. */
    took = drain(b, k);
    if (took < 0)
        return failed(b, (int)k, "read eventfd", took);
    if (took)
        b->held |= bit; /* kept until delivered: an assign failure must not lose it */
    ioctls++;
    rc = irqfd(b, k, false);
    if (rc < 0)
        return failed(b, (int)k, "KVM_IRQFD assign", rc);
    b->assigned |= bit;
    /* A message between the first read and the assign was injected by
     * the assign and is still counted: discard it. */
    rc = drain(b, k);
    if (rc < 0) {
        char e[16];
        vfio_log(&b->log, VMSIX_LOG_WARN, "MSI",
                 "vector %u: read eventfd after assign failed (%s): KVM consumes the count "
                 "at deassign",
                 (unsigned)k, vfio_errname(rc, e));
    }
    b->st.unmasks++;
    b->st.unmask_ioctls += ioctls;
    b->st.unmask_reads += 2;
    if (b->held & bit) {
        b->held &= ~bit;
        b->st.held_delivered++;
        return 1;
    }
    return 0;
}

VMSIX_API int vmsix_vfio_msi_unroute(struct vmsix_vfio_msi *b, uint32_t k)
{
    int rc;

    if (!msi_valid(b) || k >= b->nvec)
        return -EINVAL;
    if (!(b->assigned & (1u << k)))
        return 0;
    rc = irqfd(b, k, true);
    if (rc < 0)
        return failed(b, (int)k, "KVM_IRQFD deassign", rc);
    b->assigned &= ~(1u << k);
    b->st.masks++;
    b->st.mask_ioctls++;
    return 0;
}

VMSIX_API int vmsix_vfio_msi_take_pending(struct vmsix_vfio_msi *b, uint32_t k)
{
    uint32_t bit;
    int rc;

    if (!msi_valid(b) || k >= b->nvec || (b->assigned & (1u << k)))
        return -EINVAL;
    bit = 1u << k;
    b->st.pending_reads++;
    rc = drain(b, k);
    if (rc < 0 && !(b->held & bit))
        return failed(b, (int)k, "read eventfd", rc);
    if (rc < 0)
        failed(b, (int)k, "read eventfd", rc); /* the remembered message answers */
    if (b->held & bit) {
        b->held &= ~bit;
        return 1;
    }
    return rc;
}

VMSIX_API int vmsix_vfio_msi_reset(struct vmsix_vfio_msi *b)
{
    int rc;

    if (!msi_valid(b))
        return -EINVAL;
    rc = ioctl_b(b, b->device_fd, VFIO_DEVICE_RESET, NULL);
    return rc < 0 ? failed(b, -1, "VFIO_DEVICE_RESET", rc) : 0;
}

VMSIX_API int vmsix_vfio_msi_fini(struct vmsix_vfio_msi *b)
{
    int rc;

    if (!msi_valid(b))
        return -EINVAL;
    rc = vmsix_vfio_msi_disable(b);
    b->magic = 0;
    return rc;
}

VMSIX_API int vmsix_vfio_msi_get_stats(const struct vmsix_vfio_msi *b,
                                       struct vmsix_vfio_msi_stats *out)
{
    const struct vmsix_vfio_msi *v = msi_valid(b);

    if (!v || !out)
        return -EINVAL;
    *out = v->st;
    return 0;
}

VMSIX_API int vmsix_vfio_msi_eventfd(const struct vmsix_vfio_msi *b, uint32_t k)
{
    const struct vmsix_vfio_msi *v = msi_valid(b);

    if (!v || k >= v->nvec)
        return -EINVAL;
    return v->efd[k];
}

/* The hostmsg operations: ctx is the backend. */
static int op_enable(void *ctx, uint32_t nvec)
{
    return vmsix_vfio_msi_enable(ctx, nvec);
}

static int op_disable(void *ctx)
{
    return vmsix_vfio_msi_disable(ctx);
}

static int op_route(void *ctx, uint32_t k, const struct vmsix_msg *msg)
{
    return vmsix_vfio_msi_route(ctx, k, msg);
}

static int op_unroute(void *ctx, uint32_t k)
{
    return vmsix_vfio_msi_unroute(ctx, k);
}

static int op_take_pending(void *ctx, uint32_t k)
{
    return vmsix_vfio_msi_take_pending(ctx, k);
}

static int op_reset(void *ctx)
{
    return vmsix_vfio_msi_reset(ctx);
}

static const struct vmsix_hostmsg_ops hostmsg_ops = {
    .size = sizeof(struct vmsix_hostmsg_ops),
    .enable = op_enable,
    .disable = op_disable,
    .route = op_route,
    .unroute = op_unroute,
    .take_pending = op_take_pending,
    .reset = op_reset,
};

VMSIX_API int vmsix_vfio_msi_hostmsg(struct vmsix_vfio_msi *b, struct vmsix_hostmsg *out)
{
    if (!msi_valid(b) || !out)
        return -EINVAL;
    out->ops = &hostmsg_ops;
    out->ctx = b;
    return 0;
}
