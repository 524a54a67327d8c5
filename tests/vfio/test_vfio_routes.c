/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of libvmsix-vfio's GSI routing table (vmsix_vfio_routes_*,
 * vfio/routes.c) against the fake kernel: KVM's x86 irqchip routes kept
 * in every KVM_SET_GSI_ROUTING, KVM's rules on GSIs (one route per MSI
 * GSI, one pin per irqchip), a failed ioctl leaving the table as KVM has
 * it, the GSI allocator, the refusals of init.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <linux/kvm.h>

#include <vmsix/vfio.h>

#include "fake_kernel.h"

struct t {
    struct fake_kernel fk;
    void *mem;
    size_t len;
    struct vmsix_vfio_routes *r;
};

static struct vmsix_vfio_routes_params params(struct t *t, uint32_t max, uint32_t base,
                                              uint32_t count, uint32_t flags)
{
    struct vmsix_vfio_routes_params p;

    memset(&p, 0, sizeof(p));
    p.vm_fd = t->fk.vm_fd;
    p.max_routes = max;
    p.gsi_base = base;
    p.gsi_count = count;
    p.flags = flags;
    p.sys = &fk_sys;
    p.sys_ctx = &t->fk;
    return p;
}

static void make(struct t *t, uint32_t max, uint32_t base, uint32_t count, uint32_t flags)
{
    struct vmsix_vfio_routes_params p = params(t, max, base, count, flags);

    if (t->r)
        vmsix_vfio_routes_fini(t->r);
    free(t->mem);
    t->len = vmsix_vfio_routes_storage_size(max, count);
    assert_true(t->len > 0);
    t->mem = aligned_alloc(8, (t->len + 7u) & ~(size_t)7u);
    assert_non_null(t->mem);
    assert_int_equal(vmsix_vfio_routes_init(t->mem, t->len, &p, &t->r), 0);
}

static int setup(void **state)
{
    struct t *t = calloc(1, sizeof(*t));

    assert_non_null(t);
    fk_init(&t->fk, "0000:00:03.0");
    make(t, 64, 24, 40, VMSIX_VFIO_ROUTES_X86_IRQCHIP);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct t *t = *state;

    vmsix_vfio_routes_fini(t->r);
    free(t->mem);
    free(t);
    return 0;
}

/* The fake's irqchip route of @gsi on @chip: its pin, or -1. */
static int pin_of(const struct fake_kernel *fk, uint32_t gsi, uint32_t chip)
{
    uint32_t i;

    for (i = 0; i < fk->nroutes; i++)
        if (fk->routes[i].gsi == gsi && fk->routes[i].type == KVM_IRQ_ROUTING_IRQCHIP &&
            fk->routes[i].chip == chip)
            return (int)fk->routes[i].pin;
    return -1;
}

static void test_x86_defaults_kept(void **state)
{
    struct t *t = *state;
    static const char *const want[] = {"KVM_SET_GSI_ROUTING nr=41", NULL};
    struct vmsix_msg m = {0xfee00000u, 0x41u};
    uint32_t g;

    assert_int_equal(vmsix_vfio_routes_count(t->r), 40);
    assert_int_equal(t->fk.nrec, 0); /* init makes no call: KVM has these already */
    assert_int_equal(vmsix_vfio_routes_set_msi(t->r, 24, &m, 0, 0), 0);
    assert_true(fk_expect(&t->fk, 0, want));
    /* KVM's table after KVM_CREATE_IRQCHIP (arch/x86/kvm/irq_comm.c), restated */
    for (g = 0; g < 24; g++) {
        assert_int_equal(pin_of(&t->fk, g, KVM_IRQCHIP_IOAPIC), (int)g);
        if (g < 8) {
            assert_int_equal(pin_of(&t->fk, g, KVM_IRQCHIP_PIC_MASTER), (int)g);
            assert_int_equal(pin_of(&t->fk, g, KVM_IRQCHIP_PIC_SLAVE), -1);
        } else if (g < 16) {
            assert_int_equal(pin_of(&t->fk, g, KVM_IRQCHIP_PIC_SLAVE), (int)(g - 8));
            assert_int_equal(pin_of(&t->fk, g, KVM_IRQCHIP_PIC_MASTER), -1);
        } else {
            assert_int_equal(pin_of(&t->fk, g, KVM_IRQCHIP_PIC_MASTER), -1);
            assert_int_equal(pin_of(&t->fk, g, KVM_IRQCHIP_PIC_SLAVE), -1);
        }
    }
    assert_non_null(fk_route(&t->fk, 24));
    assert_int_equal(fk_route(&t->fk, 24)->msg.data, 0x41);
    assert_int_equal(t->fk.nroutes, 41);
}

static void test_set_msi(void **state)
{
    struct t *t = *state;
    static const char *const none[] = {NULL};
    struct vmsix_msg m1 = {0x1fee01000ull, 0x41u}, m2 = {0xfee02000u, 0x42u};
    const struct fk_route *r;
    unsigned mark;

    assert_int_equal(vmsix_vfio_routes_set_msi(t->r, 30, &m1, 0, 0), 0);
    r = fk_route(&t->fk, 30);
    assert_non_null(r);
    assert_int_equal(r->msg.addr, m1.addr); /* address_hi carried */
    assert_int_equal(r->flags, 0);
    /* the same again: no call */
    mark = t->fk.nrec;
    assert_int_equal(vmsix_vfio_routes_set_msi(t->r, 30, &m1, 0, 0), 0);
    assert_true(fk_expect(&t->fk, mark, none));
    /* replaced in place: one entry per GSI */
    assert_int_equal(vmsix_vfio_routes_set_msi(t->r, 30, &m2, 0, 0), 0);
    assert_int_equal(vmsix_vfio_routes_count(t->r), 41);
    assert_int_equal(fk_route(&t->fk, 30)->msg.addr, m2.addr);
    /* a device ID (arm64 ITS) */
    assert_int_equal(vmsix_vfio_routes_set_msi(t->r, 31, &m2, VMSIX_VFIO_ROUTE_DEVID, 0x0318), 0);
    r = fk_route(&t->fk, 31);
    assert_int_equal(r->flags, KVM_MSI_VALID_DEVID);
    assert_int_equal(r->devid, 0x0318);
    /* refusals, with no call */
    mark = t->fk.nrec;
    assert_int_equal(vmsix_vfio_routes_set_msi(t->r, 4, &m1, 0, 0), -EINVAL); /* an irqchip GSI */
    assert_int_equal(vmsix_vfio_routes_set_msi(t->r, 30, &m1, 2, 0), -EINVAL);
    assert_int_equal(vmsix_vfio_routes_set_msi(t->r, VMSIX_VFIO_ROUTES_MAX, &m1, 0, 0), -EINVAL);
    assert_int_equal(vmsix_vfio_routes_set_msi(t->r, 30, NULL, 0, 0), -EINVAL);
    assert_int_equal(vmsix_vfio_routes_set_msi(NULL, 30, &m1, 0, 0), -EINVAL);
    assert_int_equal(vmsix_vfio_routes_set_irqchip(t->r, 30, KVM_IRQCHIP_IOAPIC, 5), -EINVAL);
    assert_int_equal(vmsix_vfio_routes_set_irqchip(t->r, 4, KVM_IRQCHIP_IOAPIC, 5), -EINVAL);
    assert_true(fk_expect(&t->fk, mark, none));
    /* irqchip routes: a new one, one already there */
    assert_int_equal(vmsix_vfio_routes_set_irqchip(t->r, 4, KVM_IRQCHIP_IOAPIC, 4), 0);
    assert_true(fk_expect(&t->fk, mark, none));
    assert_int_equal(vmsix_vfio_routes_set_irqchip(t->r, 40, KVM_IRQCHIP_IOAPIC, 23), 0);
    assert_int_equal(pin_of(&t->fk, 40, KVM_IRQCHIP_IOAPIC), 23);
}

/* A refused KVM_SET_GSI_ROUTING leaves the table as KVM has it. */
static void test_failure_keeps_table(void **state)
{
    struct t *t = *state;
    struct vmsix_msg m1 = {0xfee01000u, 0x41u}, m2 = {0xfee02000u, 0x42u};
    uint32_t g = 30;

    assert_int_equal(vmsix_vfio_routes_set_msi(t->r, 30, &m1, 0, 0), 0);
    t->fk.fail_at = t->fk.seq + 1;
    assert_int_equal(vmsix_vfio_routes_set_msi(t->r, 30, &m2, 0, 0), FK_FAIL_RC);
    assert_int_equal(fk_route(&t->fk, 30)->msg.data, 0x41);
    t->fk.fail_at = t->fk.seq + 1;
    assert_int_equal(vmsix_vfio_routes_set_msi(t->r, 31, &m2, 0, 0), FK_FAIL_RC);
    assert_int_equal(vmsix_vfio_routes_count(t->r), 41);
    t->fk.fail_at = t->fk.seq + 1;
    assert_int_equal(vmsix_vfio_routes_drop(t->r, 1, &g), FK_FAIL_RC);
    assert_int_equal(vmsix_vfio_routes_count(t->r), 41);
    t->fk.fail_at = t->fk.seq + 1;
    assert_int_equal(vmsix_vfio_routes_set_irqchip(t->r, 50, KVM_IRQCHIP_IOAPIC, 1), FK_FAIL_RC);
    assert_int_equal(vmsix_vfio_routes_count(t->r), 41);
    /* the next change sends what KVM had plus the change, nothing of the failed ones */
    t->fk.fail_at = 0;
    assert_int_equal(vmsix_vfio_routes_set_msi(t->r, 32, &m2, 0, 0), 0);
    assert_int_equal(t->fk.nroutes, 42);
    assert_int_equal(fk_route(&t->fk, 30)->msg.data, 0x41);
    assert_null(fk_route(&t->fk, 31));
    assert_int_equal(pin_of(&t->fk, 50, KVM_IRQCHIP_IOAPIC), -1);
    /* the same again: KVM has it, no call (and so no failure) */
    t->fk.failed = false;
    t->fk.fail_at = t->fk.seq + 1;
    assert_int_equal(vmsix_vfio_routes_set_msi(t->r, 32, &m2, 0, 0), 0);
    assert_false(t->fk.failed);
}

static void test_drop(void **state)
{
    struct t *t = *state;
    static const char *const one[] = {"KVM_SET_GSI_ROUTING nr=41", NULL};
    static const char *const none[] = {NULL};
    struct vmsix_msg m = {0xfee01000u, 0x41u};
    uint32_t gsi[3] = {30, 31, 99};
    unsigned mark;

    assert_int_equal(vmsix_vfio_routes_set_msi(t->r, 30, &m, 0, 0), 0);
    assert_int_equal(vmsix_vfio_routes_set_msi(t->r, 31, &m, 0, 0), 0);
    assert_int_equal(vmsix_vfio_routes_set_msi(t->r, 32, &m, 0, 0), 0);
    mark = t->fk.nrec;
    assert_int_equal(vmsix_vfio_routes_drop(t->r, 3, gsi), 0); /* 99 has none: ignored */
    assert_true(fk_expect(&t->fk, mark, one));
    assert_null(fk_route(&t->fk, 30));
    assert_null(fk_route(&t->fk, 31));
    assert_non_null(fk_route(&t->fk, 32));
    mark = t->fk.nrec;
    assert_int_equal(vmsix_vfio_routes_drop(t->r, 3, gsi), 0); /* nothing left to drop */
    assert_int_equal(vmsix_vfio_routes_drop(t->r, 0, NULL), 0);
    assert_true(fk_expect(&t->fk, mark, none));
    assert_int_equal(vmsix_vfio_routes_drop(t->r, 1, NULL), -EINVAL);
    /* an irqchip GSI goes whole (both pins) */
    gsi[0] = 3;
    assert_int_equal(vmsix_vfio_routes_drop(t->r, 1, gsi), 0);
    assert_int_equal(pin_of(&t->fk, 3, KVM_IRQCHIP_IOAPIC), -1);
    assert_int_equal(pin_of(&t->fk, 3, KVM_IRQCHIP_PIC_MASTER), -1);
    assert_int_equal(vmsix_vfio_routes_count(t->r), 39);
}

static void test_full(void **state)
{
    struct t *t = *state;
    struct vmsix_msg m = {0xfee01000u, 0x41u};
    uint32_t g;

    make(t, 42, 24, 8, VMSIX_VFIO_ROUTES_X86_IRQCHIP);
    assert_int_equal(vmsix_vfio_routes_set_msi(t->r, 24, &m, 0, 0), 0);
    assert_int_equal(vmsix_vfio_routes_set_msi(t->r, 25, &m, 0, 0), 0);
    assert_int_equal(vmsix_vfio_routes_set_msi(t->r, 26, &m, 0, 0), -ENOSPC);
    assert_int_equal(vmsix_vfio_routes_set_irqchip(t->r, 26, KVM_IRQCHIP_IOAPIC, 1), -ENOSPC);
    m.data = 0x42; /* replacing needs no room */
    assert_int_equal(vmsix_vfio_routes_set_msi(t->r, 25, &m, 0, 0), 0);
    g = 24;
    assert_int_equal(vmsix_vfio_routes_drop(t->r, 1, &g), 0);
    assert_int_equal(vmsix_vfio_routes_set_msi(t->r, 26, &m, 0, 0), 0);
    assert_int_equal(t->fk.nroutes, 42);
}

static void test_gsi_alloc(void **state)
{
    struct t *t = *state;
    uint32_t g[40], h[4], i;

    assert_int_equal(vmsix_vfio_routes_gsi_alloc(t->r, 4, h), 0);
    for (i = 0; i < 4; i++)
        assert_int_equal(h[i], 24 + i);
    assert_int_equal(vmsix_vfio_routes_gsi_alloc(t->r, 37, g), -ENOSPC); /* 36 left */
    assert_int_equal(vmsix_vfio_routes_gsi_alloc(t->r, 36, g), 0);
    assert_int_equal(g[0], 28);
    assert_int_equal(g[35], 63);
    assert_int_equal(vmsix_vfio_routes_gsi_alloc(t->r, 1, g + 36), -ENOSPC);
    /* give back two in the middle, and ones never handed out */
    h[0] = 25;
    h[1] = 27;
    h[2] = 3;    /* below the range */
    h[3] = 1000; /* above */
    vmsix_vfio_routes_gsi_free(t->r, 4, h);
    assert_int_equal(vmsix_vfio_routes_gsi_alloc(t->r, 2, h), 0);
    assert_int_equal(h[0], 25);
    assert_int_equal(h[1], 27);
    assert_int_equal(vmsix_vfio_routes_gsi_alloc(t->r, 0, h), -EINVAL);
    assert_int_equal(vmsix_vfio_routes_gsi_alloc(t->r, 1, NULL), -EINVAL);
    assert_int_equal(vmsix_vfio_routes_gsi_alloc(NULL, 1, h), -EINVAL);
    vmsix_vfio_routes_gsi_free(NULL, 1, h);
    assert_int_equal(t->fk.nrec, 0);
    /* the hooks are these functions */
    assert_int_equal(vmsix_vfio_routes_ops()->size, sizeof(struct vmsix_vfio_route_ops));
    vmsix_vfio_routes_ops()->gsi_free(t->r, 2, h);
    assert_int_equal(vmsix_vfio_routes_ops()->gsi_alloc(t->r, 1, h), 0);
    assert_int_equal(h[0], 25);
}

static void test_init_refusals(void **state)
{
    struct t *t = *state;
    struct vmsix_vfio_routes_params p = params(t, 64, 24, 40, VMSIX_VFIO_ROUTES_X86_IRQCHIP);
    struct vmsix_vfio_routes *r;
    size_t len = vmsix_vfio_routes_storage_size(64, 40);
    void *mem = aligned_alloc(8, (len + 16u) & ~(size_t)7u);

    assert_non_null(mem);
    assert_int_equal(vmsix_vfio_routes_storage_size(0, 1), 0);
    assert_int_equal(vmsix_vfio_routes_storage_size(VMSIX_VFIO_ROUTES_MAX + 1, 1), 0);
    assert_int_equal(vmsix_vfio_routes_storage_size(1, VMSIX_VFIO_ROUTES_MAX + 1), 0);
    assert_true(vmsix_vfio_routes_storage_size(VMSIX_VFIO_ROUTES_MAX, VMSIX_VFIO_ROUTES_MAX) > 0);
    assert_int_equal(vmsix_vfio_routes_init(mem, len - 1, &p, &r), -EINVAL);
    assert_int_equal(vmsix_vfio_routes_init((char *)mem + 4, len, &p, &r), -EINVAL);
    assert_int_equal(vmsix_vfio_routes_init(NULL, len, &p, &r), -EINVAL);
    assert_int_equal(vmsix_vfio_routes_init(mem, len, NULL, &r), -EINVAL);
    assert_int_equal(vmsix_vfio_routes_init(mem, len, &p, NULL), -EINVAL);
    p.flags = 2;
    assert_int_equal(vmsix_vfio_routes_init(mem, len, &p, &r), -EINVAL);
    p.flags = VMSIX_VFIO_ROUTES_X86_IRQCHIP;
    p.gsi_base = 23; /* the irqchip's GSIs are not handed out */
    assert_int_equal(vmsix_vfio_routes_init(mem, len, &p, &r), -EINVAL);
    p.gsi_base = VMSIX_VFIO_ROUTES_MAX - 39; /* past KVM's last GSI */
    assert_int_equal(vmsix_vfio_routes_init(mem, len, &p, &r), -EINVAL);
    p.gsi_base = 24;
    p.vm_fd = -1;
    assert_int_equal(vmsix_vfio_routes_init(mem, len, &p, &r), -EINVAL);
    p.vm_fd = t->fk.vm_fd;
    p.max_routes = 39; /* the x86 defaults do not fit */
    assert_int_equal(vmsix_vfio_routes_init(mem, len, &p, &r), -EINVAL);
    p.max_routes = 64;
    assert_int_equal(vmsix_vfio_routes_init(mem, len, &p, &r), 0);
    vmsix_vfio_routes_fini(r);
    /* a finished table is refused */
    assert_int_equal(vmsix_vfio_routes_count(r), 0);
    assert_int_equal(vmsix_vfio_routes_drop(r, 0, NULL), -EINVAL);
    vmsix_vfio_routes_fini(r);
    /* no x86 defaults: any GSI range, an empty table */
    p.flags = 0;
    p.gsi_base = 0;
    assert_int_equal(vmsix_vfio_routes_init(mem, len, &p, &r), 0);
    assert_int_equal(vmsix_vfio_routes_count(r), 0);
    vmsix_vfio_routes_fini(r);
    assert_int_equal(t->fk.nrec, 0);
    free(mem);
}

/* Several devices' backends on one table, a thread each (the table's
 * mutex; the tsan build runs this under ThreadSanitizer): every table KVM
 * gets is well formed, and the last one holds every thread's routes. */
struct shared {
    pthread_mutex_t lock;
    unsigned calls;
    unsigned nr;
    int bad;
};

static int mt_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
    struct shared *sh = ctx;
    const struct kvm_irq_routing *tab = arg;
    uint32_t i, j;

    (void)fd;
    if (req != KVM_SET_GSI_ROUTING)
        return -ENOTTY;
    pthread_mutex_lock(&sh->lock);
    sh->calls++;
    sh->nr = tab->nr;
    for (i = 0; i < tab->nr; i++)
        for (j = 0; j < i; j++)
            if (tab->entries[i].gsi == tab->entries[j].gsi &&
                tab->entries[i].type == KVM_IRQ_ROUTING_MSI)
                sh->bad++;
    pthread_mutex_unlock(&sh->lock);
    return 0;
}

struct worker {
    struct vmsix_vfio_routes *r;
    uint32_t id;
    int rc;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    const struct vmsix_vfio_route_ops *ops = vmsix_vfio_routes_ops();
    uint32_t gsi[4], i, k;
    struct vmsix_msg m;

    for (i = 0; i < 200 && !w->rc; i++) {
        w->rc = ops->gsi_alloc(w->r, 4, gsi);
        for (k = 0; k < 4 && !w->rc; k++) {
            m.addr = 0xfee00000u | (w->id << 12);
            m.data = i * 4u + k;
            w->rc = ops->set_route(w->r, gsi[k], &m, 0, 0);
        }
        if (!w->rc && i + 1 < 200)
            w->rc = ops->drop_routes(w->r, 4, gsi);
        if (!w->rc && i + 1 < 200)
            ops->gsi_free(w->r, 4, gsi);
    }
    return NULL;
}

static void test_shared_by_threads(void **state)
{
    struct t *t = *state;
    struct vmsix_vfio_routes_params p = params(t, 64, 24, 40, VMSIX_VFIO_ROUTES_X86_IRQCHIP);
    struct vmsix_vfio_sys sys;
    struct shared sh;
    struct worker w[4];
    pthread_t th[4];
    unsigned i;

    memset(&sh, 0, sizeof(sh));
    pthread_mutex_init(&sh.lock, NULL);
    memset(&sys, 0, sizeof(sys));
    sys.size = sizeof(sys);
    sys.ioctl = mt_ioctl;
    p.sys = &sys;
    p.sys_ctx = &sh;
    vmsix_vfio_routes_fini(t->r);
    assert_int_equal(vmsix_vfio_routes_init(t->mem, t->len, &p, &t->r), 0);
    for (i = 0; i < 4; i++) {
        w[i].r = t->r;
        w[i].id = i;
        w[i].rc = 0;
        assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    for (i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(w[i].rc, 0);
    }
    assert_int_equal(sh.bad, 0);
    assert_int_equal(sh.calls, 4u * (200u * 5u - 1u));
    assert_int_equal(sh.nr, 40u + 16u);
    assert_int_equal(vmsix_vfio_routes_count(t->r), 40u + 16u);
    pthread_mutex_destroy(&sh.lock);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_x86_defaults_kept), T(test_set_msi), T(test_failure_keeps_table), T(test_drop),
        T(test_full),              T(test_gsi_alloc), T(test_init_refusals),
        T(test_shared_by_threads),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
