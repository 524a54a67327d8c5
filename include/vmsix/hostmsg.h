/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vmsix/hostmsg.h - the backend interface for a host that owns the
 * function's messages (stock Linux with VFIO and KVM).
 *
 * remap.h serves a hypervisor that owns the interrupt-remapping unit:
 * vmsix reserves the entries, writes the function's MSI registers and
 * masks with the function's mask bits. Under VFIO the host kernel does all
 * of that itself: it allocates the vectors (VFIO_DEVICE_SET_IRQS on the MSI
 * index), programs the function's MSI address, data and Multiple Message
 * Enable and its own remapping entries, and signals one eventfd per
 * message. What is left to the VMM, and to vmsix through this interface,
 * is where each vector's messages go: straight to the guest (a KVM MSI
 * route plus KVM_IRQFD, no VMM wakeup) while the guest's MSI-X vector is
 * unmasked, and nowhere but a counter (the eventfd, KVM_IRQFD deassigned)
 * while it is masked. That is masking without mask bits ("software
 * masking"): a masked vector's messages are held, never dropped; they show
 * in the guest's PBA, and unmasking delivers exactly one.
 *
 * The composed device uses this interface instead of remap.h when it is
 * made with vmsix_dev_init_hostmsg() (vmsix/msix_on_msi.h). It then never
 * writes the function's MSI capability, never calls translate (the guest's
 * own message is the route: KVM delivers it to this guest only), and
 * calls these operations in this order:
 *
 *   guest sets MSI-X Enable:        enable(N)       every vector held
 *   vector k becomes active:        route(k, msg)   1 = a message was held:
 *                                                   vmsix delivers one
 *                                                   (inject)
 *   active k's message changes:     route(k, msg)   (nothing was held)
 *   ... and that route fails:       unroute(k)      held, never left routed
 *                                                   to the old message
 *   vector k becomes inactive:      unroute(k)      held from now on
 *   guest reads the PBA of masked k: take_pending(k) 1 = held since the last
 *                                                   route or take: vmsix
 *                                                   keeps it as k's pending
 *                                                   bit
 *   MSI-X Enable cleared, FLR,
 *   reset, teardown:                disable()       every route and vector
 *                                                   gone (a restore keeps
 *                                                   the vectors when MSI-X
 *                                                   stays enabled: unroute
 *                                                   and route as above)
 *   guest's FLR (optional op):      reset()         instead of vmsix writing
 *                                                   Initiate FLR to the
 *                                                   function
 *
 * The library libvmsix-vfio (vmsix/vfio.h, its own pkg-config file
 * vmsix-vfio) implements these operations on VFIO and KVM; a VMM with its
 * own VFIO and KVM code implements them itself.
 *
 * Every operation returns 0 (or 1 where said) or a negative errno; a
 * failure never loses a held message: a vector whose route() or
 * take_pending() fails stays held with its messages kept.
 */
#ifndef VMSIX_HOSTMSG_H
#define VMSIX_HOSTMSG_H

#include <vmsix/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The operations. ctx is struct vmsix_hostmsg.ctx. Mandatory unless marked
 * optional. The struct grows at the end (@size, as every vmsix hook
 * struct: docs/design.md "Hook structs grow at the end"). */
struct vmsix_hostmsg_ops {
    size_t size; /* sizeof(struct vmsix_hostmsg_ops) as the backend was compiled */
    /* Give the function @nvec MSI vectors (a power of two, 1..32; the
     * host programs the function's MSI registers and its remapping
     * entries). Every vector starts held: its messages are counted, none
     * delivered, until route(). -ENOSPC when the host grants fewer than
     * @nvec (nothing is left enabled then); another negative errno for any
     * other failure (nothing left enabled). */
    int (*enable)(void *ctx, uint32_t nvec);
    /* Every vector goes: routes dropped, the function's MSI disabled
     * (VFIO_DEVICE_SET_IRQS with count 0). Held messages are lost, as a
     * function's pending bits are when MSI-X is disabled. Goes on after
     * errors and returns the first. */
    int (*disable)(void *ctx);
    /* Vector @k (< the enabled count) delivers @msg, the guest's MSI-X
     * message, to the guest from now on, without the VMM. For a held
     * vector the backend first takes what it held (drains the eventfd
     * before assigning the irqfd) and returns 1 when at least one message
     * was held (vmsix then delivers exactly one, through inject), else 0.
     * For a routed vector the route changes in one step (no message is
     * delivered to a mix of the old and new message, none is lost) and 0
     * is returned. A negative errno leaves a held vector held, its
     * messages kept, and a routed one routed to its old message. */
    int (*route)(void *ctx, uint32_t k, const struct vmsix_msg *msg);
    /* Vector @k holds its messages from now on (counted, not delivered).
     * Holding a held vector does nothing. A negative errno says the vector
     * may still be routed (vmsix logs it and returns it to the caller). */
    int (*unroute)(void *ctx, uint32_t k);
    /* Did held vector @k get a message since it was last routed or asked?
     * 1 (and the backend forgets it: vmsix keeps it as the vector's PBA
     * bit until it is delivered), 0, or a negative errno (read as 0; the
     * messages stay held). Never called for a routed vector. */
    int (*take_pending)(void *ctx, uint32_t k);
    /* Optional: reset the function (VFIO_DEVICE_RESET), for the guest's
     * Initiate Function Level Reset. NULL: vmsix writes the guest's FLR
     * to the function through cfg_write, as on every other path. Called
     * after disable(); vmsix then resets its own state. */
    int (*reset)(void *ctx);
};

/* The size of the first sized version of struct vmsix_hostmsg_ops (vmsix 0.3). */
#define VMSIX_HOSTMSG_OPS_SIZE_V1                                                                  \
    (offsetof(struct vmsix_hostmsg_ops, reset) + sizeof(((struct vmsix_hostmsg_ops *)0)->reset))

/* A host-owned-message backend: its operations and their context. */
struct vmsix_hostmsg {
    const struct vmsix_hostmsg_ops *ops;
    void *ctx;
};

#ifdef __cplusplus
}
#endif

#endif /* VMSIX_HOSTMSG_H */
