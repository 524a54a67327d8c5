/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The composed device's physical side when the host owns the function's
 * messages (vmsix/hostmsg.h: VFIO + KVM): enable and disable the host's
 * vectors, route an active vector to the guest's message, hold a masked
 * one, and take what a held vector got into the guest's PBA (software
 * masking). The function's MSI capability is never written here.
 */
#include <string.h>

#include "dev_priv.h"
#include "ops_copy.h"
#include "vmsix_errno.h"

static int failed(struct vmsix_dev *d, int vec, const char *what, int rc)
{
    return vmsix_log_failed(&d->log, vec, what, rc);
}

int vmsix_dev_hm_init(struct vmsix_dev *d, const struct vmsix_hostmsg *hm)
{
    const struct vmsix_hostmsg_ops *o = &d->hm.ops;
    int rc = vmsix_ops_copy(&d->hm.ops, sizeof(d->hm.ops), hm->ops, VMSIX_HOSTMSG_OPS_SIZE_V1);

    if (rc)
        return failed(d, -1, "init: hostmsg ops", rc);
    if (!o->enable || !o->disable || !o->route || !o->unroute || !o->take_pending)
        return failed(d, -1, "init: hostmsg ops (a mandatory operation is NULL)", -EINVAL);
    d->hm.ctx = hm->ctx;
    d->host_owned = true;
    return 0;
}

int vmsix_dev_hm_enable(struct vmsix_dev *d)
{
    int rc;

    if (d->hm.on)
        return 0;
    rc = d->hm.ops.enable(d->hm.ctx, d->lay.nvec);
    if (rc)
        return failed(d, -1, "hostmsg enable", rc < 0 ? rc : -EIO);
    d->hm.on = true;
    d->hm.routed = 0;
    return 0;
}

int vmsix_dev_hm_disable(struct vmsix_dev *d)
{
    int rc;

    if (!d->hm.on)
        return 0;
    rc = d->hm.ops.disable(d->hm.ctx);
    /* every vector is gone whatever disable() says: the host dropped what
     * it could, and nothing is routed by vmsix any more */
    d->hm.on = false;
    d->hm.routed = 0;
    return rc ? failed(d, -1, "hostmsg disable", rc) : 0;
}

/* Vector @vec became inactive: hold its messages. */
static int hm_vec_off(struct vmsix_dev *d, uint16_t vec)
{
    int rc;

    if (!d->hm.on || !(d->hm.routed & (1u << vec)))
        return 0;
    rc = d->hm.ops.unroute(d->hm.ctx, vec);
    if (rc) /* it may still be routed: left marked so, and said */
        return failed(d, vec, "hostmsg unroute", rc);
    d->hm.routed &= ~(1u << vec);
    return 0;
}

/* Vector @vec becomes active (or its message changed while active): route
 * it. A message the vector held while masked is delivered here, once: the
 * fire from inside the activating vector_update sends it and drops the
 * vector's software pending bit (msix_table.h "Re-entry"), so a PBA bit
 * taken earlier and the held message are one pending state. */
static int hm_vec_on(struct vmsix_dev *d, uint16_t vec, const struct vmsix_msg *msg)
{
    uint32_t bit = 1u << vec;
    bool was_held = !(d->hm.routed & bit);
    int rc;

    if (!d->hm.on) /* enable failed: the vector stays held, nowhere */
        return failed(d, vec, "vector on (the host's vectors are not enabled)", -EIO);
    rc = d->hm.ops.route(d->hm.ctx, vec, msg);
    if (rc < 0) {
        /* held still, nothing lost; a routed vector keeps its old route at
         * the host, to a message the guest no longer has: held instead,
         * until a route succeeds (an unroute that fails leaves it as it is,
         * and said) */
        rc = failed(d, vec, "hostmsg route", rc);
        if (!was_held)
            (void)hm_vec_off(d, vec);
        return rc;
    }
    d->hm.routed |= bit;
    if (rc > 0 && was_held)
        (void)vmsix_msix_fire(d->msix, vec);
    return 0;
}

int vmsix_dev_hm_vector(struct vmsix_dev *d, uint16_t vec, const struct vmsix_msg *msg, bool active)
{
    return active ? hm_vec_on(d, vec, msg) : hm_vec_off(d, vec);
}

/* The held vectors of [@first, @first + @count) that got a message: each
 * is taken from the host and kept as the vector's software pending bit
 * (a fire of a masked vector pends it), so that it stays in the PBA until
 * delivered. A vector whose software bit is already set is not asked: its
 * held messages are taken when it is routed, and they are the same
 * pending state. */
uint64_t vmsix_dev_hm_pending(struct vmsix_dev *d, uint16_t first, unsigned count)
{
    uint64_t bits = 0;

    if (!d->hm.on)
        return 0;
    for (unsigned i = 0; i < count && first + i < d->lay.nvec; i++) {
        uint16_t k = (uint16_t)(first + i);

        if ((d->hm.routed & (1u << k)) || vmsix_msix_pending(d->msix, k) == 1)
            continue;
        if (d->hm.ops.take_pending(d->hm.ctx, k) == 1) {
            (void)vmsix_msix_fire(d->msix, k);
            bits |= (uint64_t)1 << i;
        }
    }
    return bits;
}

int vmsix_dev_hm_flr(struct vmsix_dev *d)
{
    int rc = d->hm.ops.reset(d->hm.ctx);

    return rc ? failed(d, -1, "hostmsg reset (FLR)", rc) : 0;
}
