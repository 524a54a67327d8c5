/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the VFIO + KVM host-owned-message backend
 * (vmsix_vfio_msi_*, vfio/msi.c), written from vmsix/hostmsg.h's contract
 * and vmsix/vfio.h's ioctl sequences, against the fake kernel of
 * fake_kernel.h (eventfd and irqfd semantics as Linux has them) and the
 * library's own routing table over it: the order of the calls of each
 * operation, the drain rule, a host that grants fewer vectors, every call
 * failing in turn (the error returned, the vector held and its messages
 * kept, nothing leaked), the route hooks' arguments, and exactly one
 * delivery per held burst on old and new kernels.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cmocka.h>

#include <vmsix/vfio.h>

#include "fake_kernel.h"
#include "log_record.h"

#define GSI_BASE 24u

struct t {
    struct fake_kernel fk;
    void *routes_mem;
    struct vmsix_vfio_routes *r;
    uint64_t msi_mem[256];
    struct vmsix_vfio_msi *b;
    int dev_fd;
    struct log_record log;
};

static struct vmsix_msg msg_of(uint32_t k, uint32_t cpu)
{
    struct vmsix_msg m;

    m.addr = 0xfee00000u | (cpu << 12);
    m.data = 0x4030u + k;
    return m;
}

static void make_backend(struct t *t, const struct vmsix_vfio_route_ops *ops, void *ctx)
{
    struct vmsix_vfio_msi_params p;

    memset(&p, 0, sizeof(p));
    p.device_fd = t->dev_fd;
    p.vm_fd = t->fk.vm_fd;
    p.routes = ops;
    p.routes_ctx = ctx;
    p.sys = &fk_sys;
    p.sys_ctx = &t->fk;
    p.log = log_record_hook;
    p.log_ctx = &t->log;
    assert_int_equal(vmsix_vfio_msi_init(t->msi_mem, sizeof(t->msi_mem), &p, &t->b), 0);
}

static struct t *t_new(void)
{
    struct vmsix_vfio_routes_params rp;
    struct t *t = calloc(1, sizeof(*t));
    size_t len;

    assert_non_null(t);
    fk_init(&t->fk, "0000:00:03.0");
    t->dev_fd = fk_device_fd(&t->fk);
    memset(&rp, 0, sizeof(rp));
    rp.vm_fd = t->fk.vm_fd;
    rp.max_routes = 256;
    rp.gsi_base = GSI_BASE;
    rp.gsi_count = 64;
    rp.flags = VMSIX_VFIO_ROUTES_X86_IRQCHIP;
    rp.sys = &fk_sys;
    rp.sys_ctx = &t->fk;
    len = vmsix_vfio_routes_storage_size(rp.max_routes, rp.gsi_count);
    t->routes_mem = aligned_alloc(8, (len + 7u) & ~(size_t)7u);
    assert_non_null(t->routes_mem);
    assert_int_equal(vmsix_vfio_routes_init(t->routes_mem, len, &rp, &t->r), 0);
    assert_true(sizeof(t->msi_mem) >= vmsix_vfio_msi_storage_size());
    make_backend(t, vmsix_vfio_routes_ops(), t->r);
    return t;
}

static void t_free(struct t *t)
{
    vmsix_vfio_routes_fini(t->r);
    free(t->routes_mem);
    free(t);
}

static int setup(void **state)
{
    *state = t_new();
    return 0;
}

static int teardown(void **state)
{
    t_free(*state);
    return 0;
}

static int efd(struct t *t, uint32_t k)
{
    return vmsix_vfio_msi_eventfd(t->b, k);
}

static bool routed(struct t *t, uint32_t k)
{
    return fk_irqfd_of(&t->fk, efd(t, k)) != NULL;
}

/* ---- the order of calls ---- */

static void test_enable_order(void **state)
{
    struct t *t = *state;
    static const char *const want[] = {
        "eventfd NONBLOCK CLOEXEC",
        "eventfd NONBLOCK CLOEXEC",
        "eventfd NONBLOCK CLOEXEC",
        "eventfd NONBLOCK CLOEXEC",
        "VFIO_DEVICE_SET_IRQS MSI TRIGGER|EVENTFD start=0 count=4 fds=12,13,14,15",
        NULL,
    };
    uint32_t k;

    assert_int_equal(vmsix_vfio_msi_enable(t->b, 4), 0);
    assert_true(fk_expect(&t->fk, 0, want));
    assert_true(t->fk.msi_enabled);
    assert_int_equal(t->fk.msi_nvec, 4);
    assert_int_equal(fk_open_fds(&t->fk, FK_EVENTFD), 4);
    /* every vector held: no irqfd, no route */
    for (k = 0; k < 4; k++) {
        assert_int_equal(efd(t, k), 12 + (int)k);
        assert_false(routed(t, k));
        assert_null(fk_route(&t->fk, GSI_BASE + k));
    }
    assert_int_equal(efd(t, 4), -EINVAL);
    /* the function's messages are held, counted in the eventfds */
    fk_msi_fire(&t->fk, 2);
    assert_int_equal(t->fk.ninj, 0);
    assert_int_equal(fk_file(&t->fk, efd(t, 2))->count, 1);
}

static void test_enable_refusals(void **state)
{
    struct t *t = *state;
    static const uint32_t bad[] = {0, 3, 5, 6, 12, 33, 64, UINT32_MAX};
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(vmsix_vfio_msi_enable(t->b, bad[i]), -EINVAL);
    assert_int_equal(t->fk.nrec, 0);
    assert_int_equal(vmsix_vfio_msi_enable(t->b, 32), -EINVAL); /* the fake's MSI has 16 */
    assert_int_equal(fk_open_fds(&t->fk, FK_EVENTFD), 0);
    assert_int_equal(vmsix_vfio_msi_enable(t->b, 16), 0);
    assert_int_equal(vmsix_vfio_msi_enable(t->b, 1), -EBUSY);
    assert_int_equal(vmsix_vfio_msi_disable(t->b), 0);
}

/* The host grants fewer: SET_IRQS returns how many it could give. */
static void test_enable_fewer_granted(void **state)
{
    struct t *t = *state;
    static const char *const want[] = {
        "eventfd NONBLOCK CLOEXEC",
        "eventfd NONBLOCK CLOEXEC",
        "eventfd NONBLOCK CLOEXEC",
        "eventfd NONBLOCK CLOEXEC",
        "VFIO_DEVICE_SET_IRQS MSI TRIGGER|EVENTFD start=0 count=4 fds=12,13,14,15",
        "close 12",
        "close 13",
        "close 14",
        "close 15",
        NULL,
    };
    struct vmsix_vfio_msi_stats st;
    uint32_t gsi[4];

    t->fk.grant = 2;
    assert_int_equal(vmsix_vfio_msi_enable(t->b, 4), -ENOSPC);
    /* no SET_IRQS disable: vfio-pci freed the vectors already (and would refuse it) */
    assert_true(fk_expect(&t->fk, 0, want));
    assert_false(t->fk.msi_enabled);
    assert_int_equal(fk_open_fds(&t->fk, FK_EVENTFD), 0);
    assert_int_equal(efd(t, 0), -EINVAL);
    /* the GSIs were given back */
    assert_int_equal(vmsix_vfio_routes_gsi_alloc(t->r, 4, gsi), 0);
    assert_int_equal(gsi[0], GSI_BASE);
    assert_int_equal(gsi[3], GSI_BASE + 3);
    vmsix_vfio_routes_gsi_free(t->r, 4, gsi);
    assert_int_equal(vmsix_vfio_msi_get_stats(t->b, &st), 0);
    assert_int_equal(st.failures, 1);
    assert_true(t->log.n >= 1);
    assert_non_null(strstr(t->log.line[0], "the host can give 2 of 4 vectors"));
    /* and what the host can give works */
    assert_int_equal(vmsix_vfio_msi_enable(t->b, 2), 0);
}

static void test_route_held(void **state)
{
    struct t *t = *state;
    static const char *const want[] = {
        "KVM_SET_GSI_ROUTING nr=41", /* the 40 x86 irqchip routes and vector 1's */
        "read 13 -> EAGAIN",
        "KVM_IRQFD fd=13 gsi=25",
        "read 13 -> EAGAIN",
        NULL,
    };
    struct vmsix_msg m = msg_of(1, 3);
    const struct fk_route *r;
    unsigned mark;

    assert_int_equal(vmsix_vfio_msi_enable(t->b, 2), 0);
    mark = t->fk.nrec;
    assert_int_equal(vmsix_vfio_msi_route(t->b, 1, &m), 0);
    assert_true(fk_expect(&t->fk, mark, want));
    r = fk_route(&t->fk, GSI_BASE + 1);
    assert_non_null(r);
    assert_int_equal(r->msg.addr, m.addr);
    assert_int_equal(r->msg.data, m.data);
    assert_int_equal(r->flags, 0);
    assert_true(routed(t, 1));
    assert_false(routed(t, 0));
    /* the routed vector's messages go to the guest without the VMM */
    fk_msi_fire(&t->fk, 1);
    assert_int_equal(t->fk.ninj, 1);
    assert_int_equal(t->fk.inj[0].gsi, GSI_BASE + 1);
    assert_true(t->fk.inj[0].routed);
    assert_int_equal(t->fk.inj[0].msg.data, m.data);
    /* vector 0 still holds */
    fk_msi_fire(&t->fk, 0);
    assert_int_equal(t->fk.ninj, 1);
}

/* Held messages: the first read finds them, route returns 1, the assign
 * injects nothing (the count was drained), the caller delivers one. */
static void test_route_held_messages(void **state)
{
    struct t *t = *state;
    static const char *const want[] = {
        "KVM_SET_GSI_ROUTING nr=41",
        "read 12 -> 3",
        "KVM_IRQFD fd=12 gsi=24",
        "read 12 -> EAGAIN",
        NULL,
    };
    struct vmsix_msg m = msg_of(0, 1);
    unsigned mark;

    assert_int_equal(vmsix_vfio_msi_enable(t->b, 2), 0);
    fk_msi_fire(&t->fk, 0);
    fk_msi_fire(&t->fk, 0);
    fk_msi_fire(&t->fk, 0);
    mark = t->fk.nrec;
    assert_int_equal(vmsix_vfio_msi_route(t->b, 0, &m), 1);
    assert_true(fk_expect(&t->fk, mark, want));
    assert_int_equal(t->fk.ninj, 0);
    assert_int_equal(fk_file(&t->fk, efd(t, 0))->count, 0);
}

/* The trap: a message between the first read and the assign is injected
 * by the assign and stays counted; the second read discards it, so that
 * a later take_pending does not report it again. */
static unsigned race_seq;
static void race_fire(struct fake_kernel *fk, unsigned seq)
{
    if (seq == race_seq)
        fk_msi_fire(fk, 0);
}

static void race(struct t *t, bool consume)
{
    static const char *const want[] = {
        "KVM_SET_GSI_ROUTING nr=41",
        "read 12 -> 2",
        "KVM_IRQFD fd=12 gsi=24",
        "read 12 -> 1",
        NULL,
    };
    struct vmsix_msg m = msg_of(0, 2);
    unsigned mark;

    t->fk.consume_on_wakeup = consume;
    assert_int_equal(vmsix_vfio_msi_enable(t->b, 1), 0);
    fk_msi_fire(&t->fk, 0);
    fk_msi_fire(&t->fk, 0);
    mark = t->fk.nrec;
    race_seq = t->fk.seq + 2; /* after the first read */
    t->fk.after = race_fire;
    assert_int_equal(vmsix_vfio_msi_route(t->b, 0, &m), 1); /* the held pair: one delivery */
    t->fk.after = NULL;
    assert_true(fk_expect(&t->fk, mark, want));
    assert_int_equal(t->fk.ninj, 1); /* the raced message, by the assign */
    assert_int_equal(t->fk.inj[0].msg.data, m.data);
    /* mask: nothing was held since */
    assert_int_equal(vmsix_vfio_msi_unroute(t->b, 0), 0);
    assert_int_equal(vmsix_vfio_msi_take_pending(t->b, 0), 0);
    /* unmask: nothing held, nothing delivered */
    assert_int_equal(vmsix_vfio_msi_route(t->b, 0, &m), 0);
    assert_int_equal(t->fk.ninj, 1);
}

static void test_drain_race(void **state)
{
    race(*state, true);
}

static void test_drain_race_old_kernel(void **state)
{
    race(*state, false);
}

/* An assign that fails after the read took held messages: the vector
 * stays held and the messages are remembered, for take_pending (even
 * when its own read fails) or the next route. */
static void test_assign_failure_keeps_held(void **state)
{
    struct t *t = *state;
    struct vmsix_msg m = msg_of(0, 1);

    assert_int_equal(vmsix_vfio_msi_enable(t->b, 1), 0);
    fk_msi_fire(&t->fk, 0);
    fk_msi_fire(&t->fk, 0);
    t->fk.fail_at = t->fk.seq + 3; /* set routing, read, assign */
    assert_int_equal(vmsix_vfio_msi_route(t->b, 0, &m), FK_FAIL_RC);
    assert_true(t->fk.failed);
    assert_string_equal(t->fk.failed_line, "KVM_IRQFD fd=12 gsi=24");
    assert_false(routed(t, 0));
    assert_int_equal(fk_file(&t->fk, efd(t, 0))->count, 0); /* the read took them */
    assert_int_equal(vmsix_vfio_msi_take_pending(t->b, 0), 1);  /* remembered */
    assert_int_equal(vmsix_vfio_msi_take_pending(t->b, 0), 0);  /* and forgotten */

    /* again, and take_pending's read fails: the remembered message answers */
    fk_msi_fire(&t->fk, 0);
    t->fk.failed = false;
    t->fk.fail_at = t->fk.seq + 2; /* read, assign (the route is there) */
    assert_int_equal(vmsix_vfio_msi_route(t->b, 0, &m), FK_FAIL_RC);
    t->fk.failed = false;
    t->fk.fail_at = t->fk.seq + 1;
    assert_int_equal(vmsix_vfio_msi_take_pending(t->b, 0), 1);
    assert_true(t->fk.failed);
    assert_int_equal(vmsix_vfio_msi_route(t->b, 0, &m), 0); /* delivered once, by the caller */

    /* and once more, with the next route reporting it */
    assert_int_equal(vmsix_vfio_msi_unroute(t->b, 0), 0);
    fk_msi_fire(&t->fk, 0);
    t->fk.failed = false;
    t->fk.fail_at = t->fk.seq + 2;
    assert_int_equal(vmsix_vfio_msi_route(t->b, 0, &m), FK_FAIL_RC);
    assert_int_equal(vmsix_vfio_msi_route(t->b, 0, &m), 1);
    assert_int_equal(vmsix_vfio_msi_unroute(t->b, 0), 0);
    assert_int_equal(vmsix_vfio_msi_take_pending(t->b, 0), 0);
    assert_int_equal(t->fk.ninj, 0);
}

static void test_route_update(void **state)
{
    struct t *t = *state;
    static const char *const want[] = {"KVM_SET_GSI_ROUTING nr=41", NULL};
    static const char *const none[] = {NULL};
    struct vmsix_msg m1 = msg_of(0, 1), m2 = msg_of(0, 2);
    struct vmsix_vfio_msi_stats st;
    unsigned mark;

    assert_int_equal(vmsix_vfio_msi_enable(t->b, 1), 0);
    assert_int_equal(vmsix_vfio_msi_route(t->b, 0, &m1), 0);
    mark = t->fk.nrec;
    assert_int_equal(vmsix_vfio_msi_route(t->b, 0, &m2), 0);
    assert_true(fk_expect(&t->fk, mark, want));
    assert_true(routed(t, 0));
    assert_int_equal(fk_route(&t->fk, GSI_BASE)->msg.addr, m2.addr);
    fk_msi_fire(&t->fk, 0);
    assert_int_equal(t->fk.ninj, 1);
    assert_int_equal(t->fk.inj[0].msg.addr, m2.addr);
    /* the same message again: nothing */
    mark = t->fk.nrec;
    assert_int_equal(vmsix_vfio_msi_route(t->b, 0, &m2), 0);
    assert_true(fk_expect(&t->fk, mark, none));
    assert_int_equal(vmsix_vfio_msi_get_stats(t->b, &st), 0);
    assert_int_equal(st.updates, 1);
    assert_int_equal(st.update_ioctls, 1);
}

static void test_unroute_and_take_pending(void **state)
{
    struct t *t = *state;
    static const char *const deassign[] = {"KVM_IRQFD DEASSIGN fd=12 gsi=24", NULL};
    static const char *const none[] = {NULL};
    static const char *const take2[] = {"read 12 -> 2", NULL};
    static const char *const take0[] = {"read 12 -> EAGAIN", NULL};
    static const char *const unmask[] = {
        "read 12 -> 1",
        "KVM_IRQFD fd=12 gsi=24",
        "read 12 -> EAGAIN",
        NULL,
    };
    struct vmsix_msg m = msg_of(0, 1);
    unsigned mark;

    assert_int_equal(vmsix_vfio_msi_enable(t->b, 1), 0);
    assert_int_equal(vmsix_vfio_msi_route(t->b, 0, &m), 0);
    mark = t->fk.nrec;
    assert_int_equal(vmsix_vfio_msi_unroute(t->b, 0), 0);
    assert_true(fk_expect(&t->fk, mark, deassign));
    assert_false(routed(t, 0));
    assert_non_null(fk_route(&t->fk, GSI_BASE)); /* kept for the next route */
    /* held: nothing again */
    mark = t->fk.nrec;
    assert_int_equal(vmsix_vfio_msi_unroute(t->b, 0), 0);
    assert_true(fk_expect(&t->fk, mark, none));
    /* messages wait in the eventfd */
    fk_msi_fire(&t->fk, 0);
    fk_msi_fire(&t->fk, 0);
    assert_int_equal(t->fk.ninj, 0);
    mark = t->fk.nrec;
    assert_int_equal(vmsix_vfio_msi_take_pending(t->b, 0), 1);
    assert_true(fk_expect(&t->fk, mark, take2));
    mark = t->fk.nrec;
    assert_int_equal(vmsix_vfio_msi_take_pending(t->b, 0), 0);
    assert_true(fk_expect(&t->fk, mark, take0));
    /* unmask with the same message: no route change, one ioctl */
    fk_msi_fire(&t->fk, 0);
    mark = t->fk.nrec;
    assert_int_equal(vmsix_vfio_msi_route(t->b, 0, &m), 1);
    assert_true(fk_expect(&t->fk, mark, unmask));
    assert_int_equal(t->fk.ninj, 0);
    /* a routed vector's eventfd is KVM's: take_pending reads nothing */
    mark = t->fk.nrec;
    assert_int_equal(vmsix_vfio_msi_take_pending(t->b, 0), -EINVAL);
    assert_true(fk_expect(&t->fk, mark, none));
    assert_int_equal(t->fk.bad_deassign, 0);
}

static void test_disable_order(void **state)
{
    struct t *t = *state;
    static const char *const want[] = {
        "KVM_IRQFD DEASSIGN fd=12 gsi=24",
        "VFIO_DEVICE_SET_IRQS MSI TRIGGER|NONE start=0 count=0",
        "KVM_SET_GSI_ROUTING nr=40", /* vectors 0 and 2 dropped, the irqchip routes kept */
        "close 12",
        "close 13",
        "close 14",
        "close 15",
        NULL,
    };
    struct vmsix_msg m = msg_of(0, 1);
    uint32_t gsi[4];
    unsigned mark;

    assert_int_equal(vmsix_vfio_msi_enable(t->b, 4), 0);
    assert_int_equal(vmsix_vfio_msi_route(t->b, 0, &m), 0);
    assert_int_equal(vmsix_vfio_msi_route(t->b, 2, &m), 0);
    assert_int_equal(vmsix_vfio_msi_unroute(t->b, 2), 0);
    fk_msi_fire(&t->fk, 1); /* held messages are lost with the vectors */
    mark = t->fk.nrec;
    assert_int_equal(vmsix_vfio_msi_disable(t->b), 0);
    assert_true(fk_expect(&t->fk, mark, want));
    assert_false(t->fk.msi_enabled);
    assert_int_equal(fk_open_fds(&t->fk, FK_EVENTFD), 0);
    assert_null(fk_route(&t->fk, GSI_BASE));
    assert_null(fk_route(&t->fk, GSI_BASE + 2));
    assert_int_equal(vmsix_vfio_routes_count(t->r), 40);
    assert_int_equal(vmsix_vfio_routes_gsi_alloc(t->r, 4, gsi), 0);
    assert_int_equal(gsi[0], GSI_BASE);
    vmsix_vfio_routes_gsi_free(t->r, 4, gsi);
    assert_int_equal(t->fk.bad_deassign, 0);
    /* disabled: nothing to do */
    mark = t->fk.nrec;
    assert_int_equal(vmsix_vfio_msi_disable(t->b), 0);
    assert_int_equal(t->fk.nrec, mark);
    assert_int_equal(vmsix_vfio_msi_route(t->b, 0, &m), -EINVAL);
    assert_int_equal(vmsix_vfio_msi_unroute(t->b, 0), -EINVAL);
    assert_int_equal(vmsix_vfio_msi_take_pending(t->b, 0), -EINVAL);
    /* and it enables again */
    assert_int_equal(vmsix_vfio_msi_enable(t->b, 4), 0);
    assert_int_equal(vmsix_vfio_msi_route(t->b, 0, &m), 0);
    assert_int_equal(vmsix_vfio_msi_fini(t->b), 0);
    assert_int_equal(fk_open_fds(&t->fk, FK_EVENTFD), 0);
    assert_int_equal(vmsix_vfio_msi_enable(t->b, 4), -EINVAL); /* after fini */
}

static void test_reset(void **state)
{
    struct t *t = *state;
    static const char *const want[] = {"VFIO_DEVICE_RESET", NULL};
    struct vmsix_vfio_msi_stats st;

    assert_int_equal(vmsix_vfio_msi_reset(t->b), 0);
    assert_true(fk_expect(&t->fk, 0, want));
    assert_int_equal(t->fk.resets, 1);
    t->fk.fail_at = t->fk.seq + 1;
    assert_int_equal(vmsix_vfio_msi_reset(t->b), FK_FAIL_RC);
    assert_int_equal(vmsix_vfio_msi_get_stats(t->b, &st), 0);
    assert_int_equal(st.ioctls, 2);
    assert_int_equal(st.failures, 1);
}

/* ---- hostmsg ops, init, the route hooks ---- */

static void test_hostmsg_ops(void **state)
{
    struct t *t = *state;
    struct vmsix_hostmsg h;
    struct vmsix_msg m = msg_of(0, 0);

    assert_int_equal(vmsix_vfio_msi_hostmsg(t->b, &h), 0);
    assert_ptr_equal(h.ctx, t->b);
    assert_int_equal(h.ops->size, sizeof(struct vmsix_hostmsg_ops));
    assert_true(h.ops->size >= VMSIX_HOSTMSG_OPS_SIZE_V1);
    assert_non_null(h.ops->reset);
    assert_int_equal(h.ops->enable(h.ctx, 2), 0);
    assert_true(t->fk.msi_enabled);
    fk_msi_fire(&t->fk, 1);
    assert_int_equal(h.ops->take_pending(h.ctx, 1), 1);
    assert_int_equal(h.ops->route(h.ctx, 1, &m), 0);
    assert_true(routed(t, 1));
    assert_int_equal(h.ops->unroute(h.ctx, 1), 0);
    assert_false(routed(t, 1));
    assert_int_equal(h.ops->disable(h.ctx), 0);
    assert_false(t->fk.msi_enabled);
    assert_int_equal(h.ops->reset(h.ctx), 0);
    assert_int_equal(t->fk.resets, 1);
    assert_int_equal(vmsix_vfio_msi_hostmsg(NULL, &h), -EINVAL);
    assert_int_equal(vmsix_vfio_msi_hostmsg(t->b, NULL), -EINVAL);
}

/* A VMM's own routing table: the hooks get the right GSIs and messages. */
struct hooks {
    uint32_t next_gsi;
    int fail_alloc;
    char rec[32][96];
    unsigned n;
};

static int h_alloc(void *ctx, uint32_t n, uint32_t *gsi)
{
    struct hooks *h = ctx;
    uint32_t i;

    snprintf(h->rec[h->n++ % 32], 96, "gsi_alloc %u", (unsigned)n);
    if (h->fail_alloc)
        return h->fail_alloc;
    for (i = 0; i < n; i++)
        gsi[i] = h->next_gsi + 10u * i; /* not contiguous */
    return 0;
}

static void h_free(void *ctx, uint32_t n, const uint32_t *gsi)
{
    struct hooks *h = ctx;

    snprintf(h->rec[h->n++ % 32], 96, "gsi_free %u: %u..%u", (unsigned)n, (unsigned)gsi[0],
             (unsigned)gsi[n - 1]);
}

static int h_set(void *ctx, uint32_t gsi, const struct vmsix_msg *msg, uint32_t flags,
                 uint32_t devid)
{
    struct hooks *h = ctx;

    snprintf(h->rec[h->n++ % 32], 96, "set_route %u 0x%llx 0x%x flags=%u devid=0x%x",
             (unsigned)gsi, (unsigned long long)msg->addr, (unsigned)msg->data, (unsigned)flags,
             (unsigned)devid);
    return 0;
}

static int h_drop(void *ctx, uint32_t n, const uint32_t *gsi)
{
    struct hooks *h = ctx;
    size_t len;
    uint32_t i;

    len = (size_t)snprintf(h->rec[h->n % 32], 96, "drop_routes");
    for (i = 0; i < n; i++)
        len += (size_t)snprintf(h->rec[h->n % 32] + len, 96 - len, " %u", (unsigned)gsi[i]);
    h->n++;
    return 0;
}

static void test_custom_route_hooks(void **state)
{
    struct t *t = *state;
    static const struct vmsix_vfio_route_ops ops = {
        .size = sizeof(struct vmsix_vfio_route_ops),
        .gsi_alloc = h_alloc,
        .gsi_free = h_free,
        .set_route = h_set,
        .drop_routes = h_drop,
    };
    struct vmsix_vfio_msi_params p;
    struct hooks h;
    struct vmsix_msg m = {0xfee01000u, 0x4041u};
    char want[96];

    memset(&h, 0, sizeof(h));
    h.next_gsi = 100;
    memset(&p, 0, sizeof(p));
    p.device_fd = t->dev_fd;
    p.vm_fd = t->fk.vm_fd;
    p.routes = &ops;
    p.routes_ctx = &h;
    p.route_flags = VMSIX_VFIO_ROUTE_DEVID;
    p.devid = 0x1234;
    p.sys = &fk_sys;
    p.sys_ctx = &t->fk;
    assert_int_equal(vmsix_vfio_msi_init(t->msi_mem, sizeof(t->msi_mem), &p, &t->b), 0);
    assert_int_equal(vmsix_vfio_msi_enable(t->b, 4), 0);
    assert_string_equal(h.rec[0], "gsi_alloc 4");
    assert_int_equal(vmsix_vfio_msi_route(t->b, 3, &m), 0);
    assert_string_equal(h.rec[1], "set_route 130 0xfee01000 0x4041 flags=1 devid=0x1234");
    assert_non_null(fk_irqfd_of(&t->fk, efd(t, 3)));
    assert_int_equal(fk_irqfd_of(&t->fk, efd(t, 3))->gsi, 130);
    assert_int_equal(vmsix_vfio_msi_route(t->b, 1, &m), 0);
    assert_string_equal(h.rec[2], "set_route 110 0xfee01000 0x4041 flags=1 devid=0x1234");
    assert_int_equal(vmsix_vfio_msi_disable(t->b), 0);
    assert_string_equal(h.rec[3], "drop_routes 110 130"); /* only the routed GSIs */
    snprintf(want, sizeof(want), "gsi_free 4: 100..130");
    assert_string_equal(h.rec[4], want);
    assert_int_equal(h.n, 5);
    /* a failing or misbehaving gsi_alloc: nothing opened */
    h.fail_alloc = -ENOSPC;
    assert_int_equal(vmsix_vfio_msi_enable(t->b, 4), -ENOSPC);
    h.fail_alloc = 7; /* a positive return is -EIO */
    assert_int_equal(vmsix_vfio_msi_enable(t->b, 4), -EIO);
    assert_int_equal(fk_open_fds(&t->fk, FK_EVENTFD), 0);
    assert_false(t->fk.msi_enabled);
}

static void test_init_refusals(void **state)
{
    struct t *t = *state;
    struct vmsix_vfio_route_ops ops = *vmsix_vfio_routes_ops();
    struct {
        struct vmsix_vfio_route_ops ops;
        void *newer;
    } big;
    struct {
        struct vmsix_vfio_sys sys;
        void *newer;
    } bigsys;
    struct vmsix_vfio_sys sys = fk_sys;
    struct vmsix_vfio_msi_params p;
    struct vmsix_vfio_msi *b = NULL;
    uint64_t mem[256];

    memset(&p, 0, sizeof(p));
    p.device_fd = t->dev_fd;
    p.vm_fd = t->fk.vm_fd;
    p.routes = &ops;
    p.routes_ctx = t->r;
    p.sys = &sys;
    p.sys_ctx = &t->fk;
    assert_int_equal(vmsix_vfio_msi_init(mem, sizeof(mem), &p, &b), 0);
    assert_int_equal(vmsix_vfio_msi_init(NULL, sizeof(mem), &p, &b), -EINVAL);
    assert_int_equal(vmsix_vfio_msi_init(mem, vmsix_vfio_msi_storage_size() - 1, &p, &b), -EINVAL);
    assert_int_equal(vmsix_vfio_msi_init((char *)mem + 4, sizeof(mem) - 8, &p, &b), -EINVAL);
    assert_int_equal(vmsix_vfio_msi_init(mem, sizeof(mem), NULL, &b), -EINVAL);
    assert_int_equal(vmsix_vfio_msi_init(mem, sizeof(mem), &p, NULL), -EINVAL);
    p.device_fd = -1;
    assert_int_equal(vmsix_vfio_msi_init(mem, sizeof(mem), &p, &b), -EINVAL);
    p.device_fd = t->dev_fd;
    p.vm_fd = -1;
    assert_int_equal(vmsix_vfio_msi_init(mem, sizeof(mem), &p, &b), -EINVAL);
    p.vm_fd = t->fk.vm_fd;
    p.route_flags = 2;
    assert_int_equal(vmsix_vfio_msi_init(mem, sizeof(mem), &p, &b), -EINVAL);
    p.route_flags = 0;
    p.routes = NULL;
    assert_int_equal(vmsix_vfio_msi_init(mem, sizeof(mem), &p, &b), -EINVAL);
    /* the size rule of the route hooks */
    p.routes = &ops;
    ops.size = VMSIX_VFIO_ROUTE_OPS_SIZE_V1 - 1;
    assert_int_equal(vmsix_vfio_msi_init(mem, sizeof(mem), &p, &b), -EINVAL);
    ops.size = sizeof(ops);
    ops.drop_routes = NULL; /* all four are required */
    assert_int_equal(vmsix_vfio_msi_init(mem, sizeof(mem), &p, &b), -EINVAL);
    ops = *vmsix_vfio_routes_ops();
    big.ops = ops;
    big.ops.size = sizeof(big);
    big.newer = &big;
    p.routes = &big.ops;
    assert_int_equal(vmsix_vfio_msi_init(mem, sizeof(mem), &p, &b), -ENOTSUP);
    big.newer = NULL; /* a newer caller that sets none of the new members */
    assert_int_equal(vmsix_vfio_msi_init(mem, sizeof(mem), &p, &b), 0);
    /* and of the sys layer */
    p.routes = &ops;
    sys.size = VMSIX_VFIO_SYS_SIZE_V1 - 1;
    assert_int_equal(vmsix_vfio_msi_init(mem, sizeof(mem), &p, &b), -EINVAL);
    bigsys.sys = fk_sys;
    bigsys.sys.size = sizeof(bigsys);
    bigsys.newer = &bigsys;
    p.sys = &bigsys.sys;
    assert_int_equal(vmsix_vfio_msi_init(mem, sizeof(mem), &p, &b), -ENOTSUP);
    /* a refused init leaves storage that every call refuses */
    assert_int_equal(vmsix_vfio_msi_enable((struct vmsix_vfio_msi *)mem, 1), -EINVAL);
    memset(mem, 0, sizeof(mem));
    assert_int_equal(vmsix_vfio_msi_disable((struct vmsix_vfio_msi *)mem), -EINVAL);
    assert_int_equal(vmsix_vfio_msi_reset((struct vmsix_vfio_msi *)mem), -EINVAL);
    assert_int_equal(vmsix_vfio_msi_get_stats(NULL, NULL), -EINVAL);
    assert_int_equal(vmsix_vfio_msi_fini(NULL), -EINVAL);
    assert_int_equal(vmsix_vfio_msi_eventfd(NULL, 0), -EINVAL);
    assert_int_equal(t->fk.nrec, 0);
}

/* ---- statistics ---- */

static void test_stats_per_mask_unmask(void **state)
{
    struct t *t = *state;
    struct vmsix_vfio_msi_stats st;
    struct vmsix_msg m = msg_of(0, 1);
    int i;

    assert_int_equal(vmsix_vfio_msi_enable(t->b, 1), 0);
    assert_int_equal(vmsix_vfio_msi_route(t->b, 0, &m), 0); /* first unmask: route + assign */
    for (i = 0; i < 10; i++) {
        assert_int_equal(vmsix_vfio_msi_unroute(t->b, 0), 0);
        fk_msi_fire(&t->fk, 0);
        assert_int_equal(vmsix_vfio_msi_route(t->b, 0, &m), 1);
    }
    assert_int_equal(vmsix_vfio_msi_get_stats(t->b, &st), 0);
    assert_int_equal(st.masks, 10);
    assert_int_equal(st.mask_ioctls, 10);
    assert_int_equal(st.unmasks, 11);
    assert_int_equal(st.unmask_ioctls, 12); /* 11 assigns, one route set */
    assert_int_equal(st.unmask_reads, 22);
    assert_int_equal(st.held_delivered, 10);
    assert_int_equal(st.ioctls, 1 + 12 + 10); /* SET_IRQS, unmasks, masks */
    assert_int_equal(st.failures, 0);
}

/* ---- exactly one delivery per held burst, and every call failing ---- */

/* The caller's side as vmsix has it: its pending bit per vector, and what
 * it delivered; and the test's expectations. */
struct model {
    bool pend[32];          /* vmsix's PBA bit (take_pending said 1) */
    bool is_routed[32];     /* as the successful calls left it */
    bool held_msgs[32];     /* a message came while held, not yet delivered */
    unsigned expect[32];    /* deliveries expected */
    unsigned delivered[32]; /* KVM's injections + vmsix's own */
    struct vmsix_msg msg[32];
    uint32_t nvec;
};

static void m_fire(struct t *t, struct model *m, uint32_t k)
{
    unsigned before = t->fk.ninj;

    fk_msi_fire(&t->fk, k);
    if (k >= m->nvec)
        return;
    if (m->is_routed[k]) {
        m->expect[k]++;
        assert_int_equal(t->fk.ninj, before + 1);
        assert_true(t->fk.inj[before].routed);
        assert_int_equal(t->fk.inj[before].msg.data, m->msg[k].data);
        assert_int_equal(t->fk.inj[before].msg.addr, m->msg[k].addr);
        m->delivered[k]++;
    } else {
        assert_int_equal(t->fk.ninj, before);
        m->held_msgs[k] = true;
    }
}

/* The call that hit the injected failure returned it, with the vector
 * as the contract says; else the call's own checks. @rc is its return. */
enum op { OP_ENABLE, OP_DISABLE, OP_ROUTE, OP_UNROUTE, OP_TAKE };

static bool check_failed_call(struct t *t, const struct model *m, enum op op, uint32_t k, int rc,
                              bool was_failed)
{
    const struct fk_route *r;

    bool hit = t->fk.failed && !was_failed;

    if (!hit)
        return false;
    if (op == OP_ROUTE && rc >= 0) {
        /* only the read after the assign may fail without an error */
        assert_true(!strncmp(t->fk.failed_line, "read", 4));
        assert_true(routed(t, k));
        return true;
    }
    assert_int_equal(rc, FK_FAIL_RC);
    switch (op) {
    case OP_ROUTE:
        /* a held vector stays held; a routed one keeps its old message */
        assert_int_equal(routed(t, k), m->is_routed[k]);
        if (m->is_routed[k]) {
            r = fk_route(&t->fk, fk_irqfd_of(&t->fk, efd(t, k))->gsi);
            assert_non_null(r);
            assert_int_equal(r->msg.addr, m->msg[k].addr);
            assert_int_equal(r->msg.data, m->msg[k].data);
        }
        break;
    case OP_UNROUTE:
        assert_true(routed(t, k));
        break;
    case OP_ENABLE:
        assert_int_equal(fk_open_fds(&t->fk, FK_EVENTFD), 0);
        assert_false(t->fk.msi_enabled);
        break;
    default:
        break;
    }
    return true;
}

static int do_op(struct t *t, struct model *m, enum op op, uint32_t k, uint32_t cpu)
{
    struct vmsix_msg msg = msg_of(k, cpu);
    int rc;
    bool was = t->fk.failed, hit;

    for (;;) {
        switch (op) {
        case OP_ENABLE:
            rc = vmsix_vfio_msi_enable(t->b, k);
            break;
        case OP_DISABLE:
            rc = vmsix_vfio_msi_disable(t->b);
            break;
        case OP_ROUTE:
            rc = vmsix_vfio_msi_route(t->b, k, &msg);
            break;
        case OP_UNROUTE:
            rc = vmsix_vfio_msi_unroute(t->b, k);
            break;
        default:
            rc = vmsix_vfio_msi_take_pending(t->b, k);
            break;
        }
        hit = check_failed_call(t, m, op, k, rc, was);
        was = t->fk.failed;
        if (op == OP_DISABLE || rc >= 0)
            break;
        assert_true(hit); /* only the injected failure fails */
        if (op == OP_TAKE)
            break; /* read as 0, the messages stay held */
        /* vmsix calls again at the next opportunity: here, at once */
    }
    switch (op) {
    case OP_ENABLE:
        m->nvec = k;
        memset(m->is_routed, 0, sizeof(m->is_routed));
        memset(m->held_msgs, 0, sizeof(m->held_msgs));
        memset(m->pend, 0, sizeof(m->pend));
        break;
    case OP_DISABLE:
        m->nvec = 0;
        /* held messages are lost with the vectors */
        memset(m->is_routed, 0, sizeof(m->is_routed));
        memset(m->held_msgs, 0, sizeof(m->held_msgs));
        memset(m->pend, 0, sizeof(m->pend));
        assert_int_equal(fk_open_fds(&t->fk, FK_EVENTFD), 0);
        break;
    case OP_ROUTE:
        if (!m->is_routed[k]) {
            if (rc == 1 || m->pend[k])
                m->delivered[k]++; /* vmsix's inject: exactly one */
            if (m->held_msgs[k])
                m->expect[k]++;
            m->held_msgs[k] = false;
            m->pend[k] = false;
        }
        assert_true(rc == 0 || rc == 1);
        if (m->is_routed[k])
            assert_int_equal(rc, 0);
        m->is_routed[k] = true;
        m->msg[k] = msg;
        break;
    case OP_UNROUTE:
        assert_int_equal(rc, 0);
        m->is_routed[k] = false;
        break;
    default:
        if (rc == 1)
            m->pend[k] = true;
        break;
    }
    return rc;
}

/* One run of the script; with @fail_at the call of that number fails. */
static unsigned script(struct t *t, unsigned fail_at)
{
    struct model m;
    uint32_t k;
    int i;

    memset(&m, 0, sizeof(m));
    t->fk.fail_at = fail_at;
    do_op(t, &m, OP_ENABLE, 2, 0);
    do_op(t, &m, OP_ROUTE, 0, 1);
    m_fire(t, &m, 0);
    m_fire(t, &m, 0);
    do_op(t, &m, OP_UNROUTE, 0, 0);
    for (i = 0; i < 3; i++)
        m_fire(t, &m, 0); /* burst A */
    do_op(t, &m, OP_TAKE, 0, 0);
    m_fire(t, &m, 0);               /* still burst A */
    do_op(t, &m, OP_TAKE, 0, 0);    /* nothing new for vmsix */
    do_op(t, &m, OP_ROUTE, 0, 2);   /* new message: set_route, drain, assign, drain */
    m_fire(t, &m, 0);
    do_op(t, &m, OP_ROUTE, 0, 3);   /* update */
    m_fire(t, &m, 0);
    m_fire(t, &m, 1);               /* held since enable */
    do_op(t, &m, OP_ROUTE, 1, 1);   /* delivers it */
    do_op(t, &m, OP_UNROUTE, 1, 0);
    m_fire(t, &m, 1);
    m_fire(t, &m, 1);               /* burst B */
    do_op(t, &m, OP_ROUTE, 1, 1);   /* same message: no route change */
    m_fire(t, &m, 1);
    do_op(t, &m, OP_UNROUTE, 0, 0);
    m_fire(t, &m, 0);               /* lost at disable */
    do_op(t, &m, OP_DISABLE, 0, 0);
    do_op(t, &m, OP_ENABLE, 1, 0);
    do_op(t, &m, OP_TAKE, 0, 0);
    m_fire(t, &m, 0);
    do_op(t, &m, OP_ROUTE, 0, 4);
    m_fire(t, &m, 0);
    do_op(t, &m, OP_DISABLE, 0, 0);

    for (k = 0; k < 2; k++)
        assert_int_equal(m.delivered[k], m.expect[k]);
    assert_int_equal(m.expect[0], 2 + 1 + 1 + 1 + 1 + 1); /* live, A, live x2, re-enabled */
    assert_int_equal(m.expect[1], 1 + 1 + 1);
    /* nothing leaked, nothing left behind */
    assert_int_equal(fk_open_fds(&t->fk, FK_EVENTFD), 0);
    for (i = 0; i < FK_MAXIRQFD; i++)
        assert_false(t->fk.irqfd[i].active);
    assert_int_equal(t->fk.bad_deassign, 0);
    assert_int_equal(vmsix_vfio_msi_eventfd(t->b, 0), -EINVAL);
    return t->fk.seq;
}

/* The script with call 1, 2, .. n failing in turn (n: the calls of a
 * clean run), each on a fresh kernel, table and backend. */
static void each_call_failing(bool consume)
{
    struct t *t = t_new();
    unsigned n, i;

    t->fk.consume_on_wakeup = consume;
    n = script(t, 0);
    assert_false(t->fk.failed);
    t_free(t);
    assert_int_equal(n, 40); /* the calls of the clean run, counted by hand */
    for (i = 1; i <= n; i++) {
        t = t_new();
        t->fk.consume_on_wakeup = consume;
        script(t, i);
        assert_true(t->fk.failed);
        t_free(t);
    }
}

static void test_each_call_failing(void **state)
{
    (void)state;
    each_call_failing(true);
}

static void test_each_call_failing_old_kernel(void **state)
{
    (void)state;
    each_call_failing(false);
}

/* Random masks and unmasks, bursts and PBA reads: exactly one delivery
 * per held burst, every live message delivered, on both kernels. */
static void random_bursts(struct t *t, bool consume)
{
    struct model m;
    unsigned step;
    uint32_t seed = consume ? 12345u : 54321u, k;

    t->fk.consume_on_wakeup = consume;
    memset(&m, 0, sizeof(m));
    do_op(t, &m, OP_ENABLE, 8, 0);
    for (step = 0; step < 20000; step++) {
        uint32_t r;
        seed = seed * 1103515245u + 12345u;
        r = seed >> 8;
        k = r % 8u;
        switch ((r >> 4) % 8u) {
        case 0:
        case 1:
        case 2:
            m_fire(t, &m, k);
            break;
        case 3:
            do_op(t, &m, OP_UNROUTE, k, 0);
            break;
        case 4:
            if (!m.is_routed[k])
                do_op(t, &m, OP_TAKE, k, 0);
            break;
        default:
            do_op(t, &m, OP_ROUTE, k, (r >> 8) % 4u);
            break;
        }
        if (t->fk.ninj > FK_MAXINJ - 8)
            t->fk.ninj = 0;
    }
    for (k = 0; k < 8; k++)
        assert_int_equal(m.delivered[k], m.expect[k]);
    do_op(t, &m, OP_DISABLE, 0, 0);
}

static void test_random_bursts(void **state)
{
    random_bursts(*state, true);
}

static void test_random_bursts_old_kernel(void **state)
{
    random_bursts(*state, false);
}

/* ---- the real system calls for what the fake leaves NULL ---- */

static int ok_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
    unsigned *n = ctx;

    (void)fd;
    (void)req;
    (void)arg;
    (*n)++;
    return 0;
}

static void test_real_eventfds(void **state)
{
    struct t *t = *state;
    struct vmsix_vfio_sys sys;
    struct vmsix_vfio_msi_params p;
    struct vmsix_msg m = msg_of(0, 0);
    unsigned ioctls = 0;
    int fd0, fd1, flags;

    memset(&sys, 0, sizeof(sys));
    sys.size = sizeof(sys);
    sys.ioctl = ok_ioctl; /* everything else: the real calls */
    memset(&p, 0, sizeof(p));
    p.device_fd = 1000;
    p.vm_fd = 1001;
    p.routes = vmsix_vfio_routes_ops();
    p.routes_ctx = t->r;
    p.sys = &sys;
    p.sys_ctx = &ioctls;
    assert_int_equal(vmsix_vfio_msi_init(t->msi_mem, sizeof(t->msi_mem), &p, &t->b), 0);
    /* the table's KVM_SET_GSI_ROUTING goes to the fake; the backend's ioctls to ok_ioctl */
    assert_int_equal(vmsix_vfio_msi_enable(t->b, 2), 0);
    fd0 = vmsix_vfio_msi_eventfd(t->b, 0);
    fd1 = vmsix_vfio_msi_eventfd(t->b, 1);
    assert_true(fd0 >= 0 && fd1 >= 0);
    flags = fcntl(fd0, F_GETFL);
    assert_true(flags & O_NONBLOCK);
    assert_true(fcntl(fd0, F_GETFD) & FD_CLOEXEC);
    assert_int_equal(vmsix_vfio_msi_take_pending(t->b, 0), 0); /* EAGAIN */
    assert_int_equal(eventfd_write(fd0, 3), 0);
    assert_int_equal(vmsix_vfio_msi_take_pending(t->b, 0), 1);
    assert_int_equal(vmsix_vfio_msi_take_pending(t->b, 0), 0);
    assert_int_equal(eventfd_write(fd1, 1), 0);
    assert_int_equal(vmsix_vfio_msi_route(t->b, 1, &m), 1);
    assert_int_equal(ioctls, 2); /* SET_IRQS, KVM_IRQFD */
    assert_int_equal(vmsix_vfio_msi_disable(t->b), 0);
    assert_int_equal(fcntl(fd0, F_GETFD), -1);
    assert_int_equal(errno, EBADF);
    assert_int_equal(fcntl(fd1, F_GETFD), -1);
    assert_non_null(vmsix_vfio_sys_default());
    assert_int_equal(vmsix_vfio_sys_default()->size, sizeof(struct vmsix_vfio_sys));
    assert_int_equal(vmsix_vfio_sys_default()->close(NULL, -1), -EBADF);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_enable_order),
        T(test_enable_refusals),
        T(test_enable_fewer_granted),
        T(test_route_held),
        T(test_route_held_messages),
        T(test_drain_race),
        T(test_drain_race_old_kernel),
        T(test_assign_failure_keeps_held),
        T(test_route_update),
        T(test_unroute_and_take_pending),
        T(test_disable_order),
        T(test_reset),
        T(test_hostmsg_ops),
        T(test_custom_route_hooks),
        T(test_init_refusals),
        T(test_stats_per_mask_unmask),
        cmocka_unit_test(test_each_call_failing),
        cmocka_unit_test(test_each_call_failing_old_kernel),
        T(test_random_bursts),
        T(test_random_bursts_old_kernel),
        T(test_real_eventfds),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
