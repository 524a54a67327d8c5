/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libvmsix-vfio: a KVM GSI routing table owned by the library, for a VMM
 * that has none of its own: the table as KVM has it, each change sent
 * whole (KVM_SET_GSI_ROUTING) from a second copy that becomes the table
 * only when KVM took it, GSI allocation, and the route hooks over them.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <linux/kvm.h>

#include "vfio_priv.h"

struct vmsix_vfio_routes {
    uint32_t magic;
    uint32_t max;
    uint32_t gsi_base;
    uint32_t gsi_count;
    int vm_fd;
    pthread_mutex_t lock; /* several devices' backends share the table */
    struct vfio_sys sys;
    struct kvm_irq_routing *cur;  /* what KVM has (in the storage) */
    struct kvm_irq_routing *next; /* the change being sent */
    uint64_t *used;               /* bit g - gsi_base: GSI g handed out */
};

static size_t align8(size_t v)
{
    return (v + 7u) & ~(size_t)7u;
}

static size_t table_bytes(uint32_t max)
{
    return align8(sizeof(struct kvm_irq_routing) +
                  (size_t)max * sizeof(struct kvm_irq_routing_entry));
}

VMSIX_API size_t vmsix_vfio_routes_storage_size(uint32_t max_routes, uint32_t gsi_count)
{
    if (max_routes == 0 || max_routes > VMSIX_VFIO_ROUTES_MAX || gsi_count > VMSIX_VFIO_ROUTES_MAX)
        return 0;
    return align8(sizeof(struct vmsix_vfio_routes)) + 2u * table_bytes(max_routes) +
           ((size_t)gsi_count + 63u) / 64u * sizeof(uint64_t);
}

static struct vmsix_vfio_routes *routes_valid(void *p)
{
    struct vmsix_vfio_routes *r = p;

    return r && r->magic == VFIO_ROUTES_MAGIC ? r : NULL;
}

#if defined(__x86_64__) || defined(__i386__)
/* KVM's own table after KVM_CREATE_IRQCHIP (arch/x86/kvm/irq_comm.c,
 * default_routing): GSI g to IOAPIC pin g (0-23), and g < 16 also to
 * the master (g < 8) or slave PIC's pin g % 8. */
static void x86_defaults(struct kvm_irq_routing *t)
{
    uint32_t g;
    struct kvm_irq_routing_entry *e;

    for (g = 0; g < 24; g++) {
        e = &t->entries[t->nr++];
        e->gsi = g;
        e->type = KVM_IRQ_ROUTING_IRQCHIP;
        e->u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
        e->u.irqchip.pin = g;
        if (g < 16) {
            e = &t->entries[t->nr++];
            e->gsi = g;
            e->type = KVM_IRQ_ROUTING_IRQCHIP;
            e->u.irqchip.irqchip = g < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;
            e->u.irqchip.pin = g % 8u;
        }
    }
}
#define X86_DEFAULT_ENTRIES 40u
#define X86_DEFAULT_GSIS 24u
#endif

VMSIX_API int vmsix_vfio_routes_init(void *mem, size_t len,
                                     const struct vmsix_vfio_routes_params *p,
                                     struct vmsix_vfio_routes **out)
{
    struct vmsix_vfio_routes *r = mem;
    size_t need, tb;
    uint8_t *base;
    int rc;

    if (!mem || !p || !out || ((uintptr_t)mem & 7u) || p->vm_fd < 0 ||
        (p->flags & ~VMSIX_VFIO_ROUTES_X86_IRQCHIP))
        return -EINVAL;
    need = vmsix_vfio_routes_storage_size(p->max_routes, p->gsi_count);
    if (need == 0 || len < need || p->gsi_base > VMSIX_VFIO_ROUTES_MAX - p->gsi_count)
        return -EINVAL;
    if (p->flags & VMSIX_VFIO_ROUTES_X86_IRQCHIP) {
#if defined(__x86_64__) || defined(__i386__)
        if (p->max_routes < X86_DEFAULT_ENTRIES || (p->gsi_count && p->gsi_base < X86_DEFAULT_GSIS))
            return -EINVAL;
#else
        return -EINVAL;
#endif
    }
    memset(r, 0, sizeof(*r));
    rc = vfio_sys_init(&r->sys, p->sys, p->sys_ctx);
    if (rc)
        return rc;
    base = (uint8_t *)mem + align8(sizeof(*r));
    tb = table_bytes(p->max_routes);
    memset(base, 0, need - align8(sizeof(*r)));
    r->cur = (struct kvm_irq_routing *)(void *)base;
    r->next = (struct kvm_irq_routing *)(void *)(base + tb);
    r->used = (uint64_t *)(void *)(base + 2u * tb);
    r->max = p->max_routes;
    r->gsi_base = p->gsi_base;
    r->gsi_count = p->gsi_count;
    r->vm_fd = p->vm_fd;
#if defined(__x86_64__) || defined(__i386__)
    if (p->flags & VMSIX_VFIO_ROUTES_X86_IRQCHIP)
        x86_defaults(r->cur);
#endif
    if (pthread_mutex_init(&r->lock, NULL))
        return -EINVAL;
    r->magic = VFIO_ROUTES_MAGIC;
    *out = r;
    return 0;
}

VMSIX_API void vmsix_vfio_routes_fini(struct vmsix_vfio_routes *r)
{
    if (!routes_valid(r))
        return;
    r->magic = 0;
    pthread_mutex_destroy(&r->lock);
}

/* Send r->next; on success it is the table. Called locked. */
static int commit(struct vmsix_vfio_routes *r)
{
    struct kvm_irq_routing *t;
    int rc;

    rc = vfio_sys_ioctl(&r->sys, r->vm_fd, KVM_SET_GSI_ROUTING, r->next);
    if (rc < 0)
        return rc;
    t = r->cur;
    r->cur = r->next;
    r->next = t;
    return 0;
}

static void copy_table(struct vmsix_vfio_routes *r)
{
    memcpy(r->next, r->cur,
           sizeof(struct kvm_irq_routing) + r->cur->nr * sizeof(struct kvm_irq_routing_entry));
}

VMSIX_API int vmsix_vfio_routes_set_msi(struct vmsix_vfio_routes *r, uint32_t gsi,
                                        const struct vmsix_msg *msg, uint32_t flags, uint32_t devid)
{
    struct kvm_irq_routing_entry want, *e;
    uint32_t i, at;
    int rc = 0;

    if (!routes_valid(r) || !msg || gsi >= VMSIX_VFIO_ROUTES_MAX ||
        (flags & ~VMSIX_VFIO_ROUTE_DEVID))
        return -EINVAL;
    memset(&want, 0, sizeof(want));
    want.gsi = gsi;
    want.type = KVM_IRQ_ROUTING_MSI;
    want.flags = flags & VMSIX_VFIO_ROUTE_DEVID ? KVM_MSI_VALID_DEVID : 0u;
    want.u.msi.address_lo = (uint32_t)msg->addr;
    want.u.msi.address_hi = (uint32_t)(msg->addr >> 32);
    want.u.msi.data = msg->data;
    if (flags & VMSIX_VFIO_ROUTE_DEVID)
        want.u.msi.devid = devid;

    pthread_mutex_lock(&r->lock);
    at = r->cur->nr;
    for (i = 0; i < r->cur->nr; i++) {
        e = &r->cur->entries[i];
        if (e->gsi != gsi)
            continue;
        if (e->type != KVM_IRQ_ROUTING_MSI) {
            rc = -EINVAL; /* KVM allows one route per non-irqchip GSI */
            goto out;
        }
        if (!memcmp(e, &want, sizeof(want)))
            goto out; /* KVM has it */
        at = i;
    }
    if (at == r->cur->nr && r->cur->nr == r->max) {
        rc = -ENOSPC;
        goto out;
    }
    copy_table(r);
    r->next->entries[at] = want;
    if (at == r->next->nr)
        r->next->nr++;
    rc = commit(r);
out:
    pthread_mutex_unlock(&r->lock);
    return rc;
}

VMSIX_API int vmsix_vfio_routes_set_irqchip(struct vmsix_vfio_routes *r, uint32_t gsi,
                                            uint32_t irqchip, uint32_t pin)
{
    struct kvm_irq_routing_entry *e;
    uint32_t i;
    int rc = 0;

    if (!routes_valid(r) || gsi >= VMSIX_VFIO_ROUTES_MAX)
        return -EINVAL;
    pthread_mutex_lock(&r->lock);
    for (i = 0; i < r->cur->nr; i++) {
        e = &r->cur->entries[i];
        if (e->gsi != gsi)
            continue;
        if (e->type != KVM_IRQ_ROUTING_IRQCHIP) {
            rc = -EINVAL;
            goto out;
        }
        if (e->u.irqchip.irqchip == irqchip) {
            rc = e->u.irqchip.pin == pin ? 0 : -EINVAL;
            goto out;
        }
    }
    if (r->cur->nr == r->max) {
        rc = -ENOSPC;
        goto out;
    }
    copy_table(r);
    e = &r->next->entries[r->next->nr++];
    memset(e, 0, sizeof(*e));
    e->gsi = gsi;
    e->type = KVM_IRQ_ROUTING_IRQCHIP;
    e->u.irqchip.irqchip = irqchip;
    e->u.irqchip.pin = pin;
    rc = commit(r);
out:
    pthread_mutex_unlock(&r->lock);
    return rc;
}

static bool listed(uint32_t gsi, uint32_t n, const uint32_t *list)
{
    uint32_t i;

    for (i = 0; i < n; i++)
        if (list[i] == gsi)
            return true;
    return false;
}

VMSIX_API int vmsix_vfio_routes_drop(struct vmsix_vfio_routes *r, uint32_t n, const uint32_t *gsi)
{
    uint32_t i, k = 0;
    int rc = 0;

    if (!routes_valid(r) || (n && !gsi))
        return -EINVAL;
    pthread_mutex_lock(&r->lock);
    r->next->nr = 0;
    r->next->flags = 0;
    for (i = 0; i < r->cur->nr; i++)
        if (!listed(r->cur->entries[i].gsi, n, gsi))
            r->next->entries[k++] = r->cur->entries[i];
    r->next->nr = k;
    if (k != r->cur->nr)
        rc = commit(r);
    pthread_mutex_unlock(&r->lock);
    return rc;
}

VMSIX_API uint32_t vmsix_vfio_routes_count(struct vmsix_vfio_routes *r)
{
    uint32_t n;

    if (!routes_valid(r))
        return 0;
    pthread_mutex_lock(&r->lock);
    n = r->cur->nr;
    pthread_mutex_unlock(&r->lock);
    return n;
}

static bool used(const struct vmsix_vfio_routes *r, uint32_t i)
{
    return (r->used[i / 64u] >> (i % 64u)) & 1u;
}

VMSIX_API int vmsix_vfio_routes_gsi_alloc(struct vmsix_vfio_routes *r, uint32_t n, uint32_t *gsi)
{
    uint32_t i, got = 0;

    if (!routes_valid(r) || n == 0 || !gsi)
        return -EINVAL;
    pthread_mutex_lock(&r->lock);
    for (i = 0; i < r->gsi_count && got < n; i++)
        if (!used(r, i))
            gsi[got++] = r->gsi_base + i;
    if (got == n)
        for (i = 0; i < n; i++)
            r->used[(gsi[i] - r->gsi_base) / 64u] |= UINT64_C(1) << ((gsi[i] - r->gsi_base) % 64u);
    pthread_mutex_unlock(&r->lock);
    return got == n ? 0 : -ENOSPC;
}

VMSIX_API void vmsix_vfio_routes_gsi_free(struct vmsix_vfio_routes *r, uint32_t n,
                                          const uint32_t *gsi)
{
    uint32_t i, g;

    if (!routes_valid(r) || !gsi)
        return;
    pthread_mutex_lock(&r->lock);
    for (i = 0; i < n; i++) {
        if (gsi[i] < r->gsi_base || gsi[i] - r->gsi_base >= r->gsi_count)
            continue;
        g = gsi[i] - r->gsi_base;
        r->used[g / 64u] &= ~(UINT64_C(1) << (g % 64u));
    }
    pthread_mutex_unlock(&r->lock);
}

/* The hooks: ctx is the table. */
static int hook_gsi_alloc(void *ctx, uint32_t n, uint32_t *gsi)
{
    return vmsix_vfio_routes_gsi_alloc(ctx, n, gsi);
}

static void hook_gsi_free(void *ctx, uint32_t n, const uint32_t *gsi)
{
    vmsix_vfio_routes_gsi_free(ctx, n, gsi);
}

static int hook_set_route(void *ctx, uint32_t gsi, const struct vmsix_msg *msg, uint32_t flags,
                          uint32_t devid)
{
    return vmsix_vfio_routes_set_msi(ctx, gsi, msg, flags, devid);
}

static int hook_drop_routes(void *ctx, uint32_t n, const uint32_t *gsi)
{
    return vmsix_vfio_routes_drop(ctx, n, gsi);
}

static const struct vmsix_vfio_route_ops routes_ops = {
    .size = sizeof(struct vmsix_vfio_route_ops),
    .gsi_alloc = hook_gsi_alloc,
    .gsi_free = hook_gsi_free,
    .set_route = hook_set_route,
    .drop_routes = hook_drop_routes,
};

VMSIX_API const struct vmsix_vfio_route_ops *vmsix_vfio_routes_ops(void)
{
    return &routes_ops;
}
