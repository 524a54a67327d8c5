/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A model of a host that owns the function's messages (vmsix/hostmsg.h:
 * VFIO + KVM), for the device world's host-owned mode (DW_HOSTMSG in
 * tests/common/dev_world.h): per vector an eventfd count that holds the
 * function's messages while the vector is not routed, and a KVM route
 * that delivers them straight to the guest while it is, as
 * tests/unit/test_dev_hostmsg.c models them; hostmsg.h's contract checked
 * on every call; and what vmsix owes the guest.
 *
 * "Owed" is the pending state vmsix took from the host: a take_pending()
 * that returned 1 (vmsix keeps it as the vector's software pending bit),
 * a route() that drained held messages (vmsix delivers one at once), or
 * a vmsix_dev_irq() the device pended. Each is delivered once, through
 * inject: hmm_delivered() says whether an injection was owed. The world
 * compares the owed bits with the device's software pending bits after
 * every step (tests/fuzz/fuzz_device.c).
 *
 * Failures (the @fail argument, the world's fault injection) follow
 * hostmsg.h: enable grants nothing (-ENOSPC), route changes nothing,
 * unroute leaves the vector routed (the model calls it stuck: KVM still
 * delivers it, wherever the guest's mask is), take_pending keeps the held
 * messages, disable drops every vector anyway, reset does nothing.
 */
#ifndef VMSIX_TESTS_HOSTMSG_MODEL_H
#define VMSIX_TESTS_HOSTMSG_MODEL_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <vmsix/common.h>

#define HMM_MAXV 32u

enum hmm_op { HMM_ENABLE, HMM_DISABLE, HMM_ROUTE, HMM_UNROUTE, HMM_TAKE, HMM_RESET, HMM_NOPS };

/* Where a message of the function went. */
enum hmm_where {
    HMM_NOWHERE, /* no vector: the host's vectors are not enabled, or k is past them */
    HMM_HELD,    /* counted by the vector's eventfd */
    HMM_KVM,     /* delivered to the guest by KVM with the route's message */
    HMM_STRAY,   /* delivered by KVM through a route an unroute failed to remove */
};

struct hmm {
    bool enabled;          /* enable() succeeded, no disable() since */
    uint32_t nvec;         /* the vectors enabled */
    uint32_t routed;       /* bit k: KVM routes vector k (irqfd assigned) */
    uint32_t stuck;        /* routed only because an unroute failed */
    uint32_t route_failed; /* bit k: the last route(k) failed (since enable) */
    bool enable_failed;    /* the last enable() failed */
    struct vmsix_msg route[HMM_MAXV];
    unsigned long held[HMM_MAXV]; /* the eventfd counts */
    uint32_t owed;                /* the pending state vmsix took, not yet delivered */
    unsigned long kvm[HMM_MAXV];  /* delivered by KVM */
    unsigned long stray[HMM_MAXV];
    unsigned long lost; /* held messages dropped by disable() */
    unsigned long calls[HMM_NOPS];
    unsigned long violations; /* calls off hostmsg.h's contract */
    char why[160];            /* the first of them */
};

static inline void hmm_init(struct hmm *h)
{
    memset(h, 0, sizeof(*h));
}

static inline void hmm_violation(struct hmm *h, const char *what, unsigned k)
{
    if (!h->violations++)
        snprintf(h->why, sizeof(h->why), "%s (vector %u)", what, k);
}

/* A vector operation's common checks: the vectors are enabled, k is one. */
static inline bool hmm_vec_ok(struct hmm *h, const char *op, uint32_t k)
{
    if (!h->enabled) {
        hmm_violation(h, op, k); /* no operation after disable but enable */
        return false;
    }
    if (k >= h->nvec) {
        hmm_violation(h, op, k);
        return false;
    }
    return true;
}

/* @maxvec: the vectors the function can send (2^MMC). */
static inline int hmm_enable(struct hmm *h, uint32_t nvec, uint32_t maxvec, bool fail)
{
    h->calls[HMM_ENABLE]++;
    if (h->enabled)
        hmm_violation(h, "enable while enabled", nvec);
    if (nvec == 0 || nvec > maxvec || (nvec & (nvec - 1)))
        hmm_violation(h, "enable of a vector count the function cannot have", nvec);
    h->enable_failed = fail;
    if (fail)
        return -ENOSPC; /* the host granted fewer: nothing left enabled */
    h->enabled = true;
    h->nvec = nvec;
    h->routed = h->stuck = h->route_failed = 0;
    memset(h->held, 0, sizeof(h->held));
    return 0;
}

/* Every vector goes, whatever is returned; held messages are lost. */
static inline int hmm_disable(struct hmm *h, bool fail)
{
    h->calls[HMM_DISABLE]++;
    if (!h->enabled)
        hmm_violation(h, "disable while disabled", 0);
    for (unsigned k = 0; k < HMM_MAXV; k++)
        h->lost += h->held[k];
    memset(h->held, 0, sizeof(h->held));
    h->enabled = false;
    h->routed = h->stuck = h->route_failed = 0;
    return fail ? -EIO : 0;
}

/* A held vector's eventfd is drained before the irqfd is assigned: 1 when
 * it held messages (vmsix owes one delivery now). */
static inline int hmm_route(struct hmm *h, uint32_t k, const struct vmsix_msg *msg, bool fail)
{
    int ret = 0;

    h->calls[HMM_ROUTE]++;
    if (!hmm_vec_ok(h, "route off the contract", k))
        return -EINVAL;
    if (fail) {
        h->route_failed |= 1u << k;
        return -EIO; /* held stays held, a route stays as it was */
    }
    h->route_failed &= ~(1u << k);
    if (!(h->routed & (1u << k)) && h->held[k]) {
        h->held[k] = 0;
        h->owed |= 1u << k;
        ret = 1;
    }
    h->routed |= 1u << k;
    h->stuck &= ~(1u << k);
    h->route[k] = *msg;
    return ret;
}

static inline int hmm_unroute(struct hmm *h, uint32_t k, bool fail)
{
    h->calls[HMM_UNROUTE]++;
    if (!hmm_vec_ok(h, "unroute off the contract", k))
        return -EINVAL;
    if (fail) {
        if (h->routed & (1u << k))
            h->stuck |= 1u << k; /* KVM_IRQFD deassign failed: still routed */
        return -EIO;
    }
    h->routed &= ~(1u << k);
    h->stuck &= ~(1u << k);
    return 0;
}

static inline int hmm_take(struct hmm *h, uint32_t k, bool fail)
{
    h->calls[HMM_TAKE]++;
    if (!hmm_vec_ok(h, "take_pending off the contract", k))
        return -EINVAL;
    if (h->routed & (1u << k))
        hmm_violation(h, "take_pending of a routed vector", k);
    if (fail)
        return -EIO; /* read as 0; the messages stay held */
    if (!h->held[k])
        return 0;
    h->held[k] = 0;
    h->owed |= 1u << k;
    return 1;
}

/* Only after disable(). */
static inline int hmm_reset(struct hmm *h, bool fail)
{
    h->calls[HMM_RESET]++;
    if (h->enabled)
        hmm_violation(h, "reset while the vectors are enabled", 0);
    return fail ? -EIO : 0;
}

/* The function sent its message k (the host's vector k). */
static inline enum hmm_where hmm_message(struct hmm *h, uint32_t k)
{
    if (!h->enabled || k >= h->nvec)
        return HMM_NOWHERE;
    if (h->routed & (1u << k)) {
        if (h->stuck & (1u << k)) {
            h->stray[k]++;
            return HMM_STRAY;
        }
        h->kvm[k]++;
        return HMM_KVM;
    }
    h->held[k]++;
    return HMM_HELD;
}

/* vmsix injected vector k for a pending state (not a live vector's
 * vmsix_dev_irq): false when nothing was owed (a second delivery). */
static inline bool hmm_delivered(struct hmm *h, uint32_t k)
{
    bool owed = (h->owed >> k) & 1u;

    h->owed &= ~(1u << k);
    return owed;
}

/* vmsix_dev_irq(k) left vector k pending in vmsix. */
static inline void hmm_pended(struct hmm *h, uint32_t k)
{
    h->owed |= 1u << k;
}

/* The bits of the vectors that hold messages at the host. */
static inline uint32_t hmm_held_bits(const struct hmm *h)
{
    uint32_t b = 0;

    for (unsigned k = 0; k < HMM_MAXV; k++)
        if (h->held[k])
            b |= 1u << k;
    return b;
}

#endif
