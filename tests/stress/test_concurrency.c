/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The concurrency contract of DESIGN 3, as a test: several devices share
 * one irte_alloc pool and one VT-d unit (both behind lock hooks); each
 * device is driven by its own thread behind its own mutex, as the library
 * asks (calls on one device serialized by the caller). Run under
 * ThreadSanitizer by scripts/test (build/tsan); in other builds it is an
 * ordinary stress test. Ends with an exact accounting check.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmsix/vmsix.h>

#include "simfn.h"

#define NDEV 4
#define NENT 256
#define ROUNDS 2000

static uint64_t table[NENT * 2] __attribute__((aligned(4096)));
static unsigned char unit_mem[4096] __attribute__((aligned(8)));
static unsigned char pool_mem[65536] __attribute__((aligned(8)));
static struct vmsix_vtd_unit *unit;
static struct vmsix_irte_pool *pool;
static struct vmsix_remap backend;
static pthread_mutex_t unit_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;

static void lock_fn(void *ctx)
{
    pthread_mutex_lock(ctx);
}

static void unlock_fn(void *ctx)
{
    pthread_mutex_unlock(ctx);
}

static int inval(void *ctx, const uint64_t d[2])
{
    (void)ctx;
    (void)d;
    return 0;
}

struct device {
    pthread_mutex_t lock; /* the one lock per device of the contract */
    struct simfn fn;
    struct vmsix_dev *dev;
    unsigned char *mem;
    uint16_t rid;
    unsigned long injected, faults, wrong;
    /* remapped interrupts, handled after the trapped access (under the lock) */
    uint16_t queue[64];
    unsigned nq;
};

static struct device devs[NDEV];
static pthread_barrier_t start; /* all threads begin together, so they overlap */

static int h_cfg_read(void *c, uint16_t off, unsigned size, uint32_t *val)
{
    return simfn_cfg_read(&((struct device *)c)->fn, off, size, val);
}

static int h_cfg_write(void *c, uint16_t off, unsigned size, uint32_t val)
{
    return simfn_cfg_write(&((struct device *)c)->fn, off, size, val);
}

static int h_translate(void *c, uint16_t vec, const struct vmsix_msg *g,
                       struct vmsix_remap_target *t)
{
    (void)c;
    memset(t, 0, sizeof(t[0]));
    t->vector = 0x40 + vec;
    t->dest = (g->addr >> 12) & 0xff;
    return t->dest < 4 ? 0 : -EPERM;
}

static void h_inject(void *c, uint16_t vec, const struct vmsix_msg *g)
{
    struct device *d = c;

    d->injected++;
    if ((g->data & 0xffu) != 0x30u + vec)
        d->wrong++;
}

static const struct vmsix_dev_ops dev_ops = {
    .size = sizeof(struct vmsix_dev_ops),
    .cfg_read = h_cfg_read,
    .cfg_write = h_cfg_write,
    .translate = h_translate,
    .inject = h_inject,
};

/* The function's memory write: the unit resolves it; the host's handler
 * runs after the access (queued), like an interrupt would. */
static void emit(void *c, const struct vmsix_msg *m)
{
    struct device *d = c;
    struct vmsix_vtd_result r;

    if (vmsix_vtd_resolve(unit, d->rid, m, &r) != 0 || r.irte.sid != d->rid) {
        d->faults++;
        return;
    }
    if (d->nq < 64)
        d->queue[d->nq++] = (uint16_t)(r.irte.vector - 0x40);
}

static void drain(struct device *d)
{
    unsigned n = d->nq;

    d->nq = 0;
    for (unsigned i = 0; i < n; i++)
        vmsix_dev_irq(d->dev, d->queue[i]);
}

static void *worker(void *arg)
{
    struct device *d = arg;
    unsigned seed = d->rid;

    pthread_barrier_wait(&start);
    for (unsigned round = 0; round < ROUNDS; round++) {
        pthread_mutex_lock(&d->lock);
        vmsix_dev_cfg_write(d->dev, 0x52, 2, 0xc000); /* enable, function mask */
        for (unsigned k = 0; k < 8; k++) {
            vmsix_dev_mmio_write(d->dev, 16 * k, 8, 0xfee00000u | ((k % 4) << 12));
            vmsix_dev_mmio_write(d->dev, 16 * k + 8, 8, 0x30 + k); /* data, unmasked */
        }
        vmsix_dev_cfg_write(d->dev, 0x52, 2, 0x8000);
        pthread_mutex_unlock(&d->lock);
        for (unsigned k = 0; k < 8; k++) {
            pthread_mutex_lock(&d->lock);
            simfn_fire(&d->fn, (k + (unsigned)rand_r(&seed)) % 8);
            drain(d);
            pthread_mutex_unlock(&d->lock);
        }
        pthread_mutex_lock(&d->lock);
        if (rand_r(&seed) % 2)
            vmsix_dev_cfg_write(d->dev, 0x52, 2, 0x0000);
        else
            vmsix_dev_reset(d->dev);
        pthread_mutex_unlock(&d->lock);
    }
    return NULL;
}

int main(void)
{
    struct vmsix_vtd_params vp;
    struct vmsix_vtd_ops vo = {
        .size = sizeof(struct vmsix_vtd_ops),
        .invalidate = inval,
        .lock = lock_fn,
        .unlock = unlock_fn,
    };
    pthread_t th[NDEV];
    uint32_t free0;
    int bad = 0;

    memset(&vp, 0, sizeof(vp));
    vp.table = table;
    vp.nentries = NENT;
    vp.mhmv = 4;
    if (vmsix_vtd_unit_init(unit_mem, sizeof(unit_mem), &vp, &vo, &unit_lock, &unit) ||
        vmsix_irte_pool_init(pool_mem, sizeof(pool_mem), NENT, &pool) ||
        vmsix_irte_pool_set_lock(pool, lock_fn, unlock_fn, &pool_lock) ||
        vmsix_irte_reserve(pool, 0, 16) || vmsix_vtd_remap_init(unit, pool, 0, &backend)) {
        fprintf(stderr, "stress: setup failed\n");
        return 1;
    }
    free0 = vmsix_irte_free_count(pool);
    for (unsigned i = 0; i < NDEV; i++) {
        struct device *d = &devs[i];
        struct vmsix_dev_params dp;
        memset(&dp, 0, sizeof(dp));
        pthread_mutex_init(&d->lock, NULL);
        simfn_init(&d->fn, 3, i & 1);
        d->fn.emit = emit;
        d->fn.emit_ctx = d;
        d->rid = (uint16_t)(0x0300 + 8 * i);
        dp.backend = &backend;
        dp.src.id = d->rid;
        d->mem = aligned_alloc(8, (vmsix_dev_storage_size() + 7) & ~(size_t)7);
        if (!d->mem ||
            vmsix_dev_init(d->mem, vmsix_dev_storage_size(), &dp, &dev_ops, d, &d->dev)) {
            fprintf(stderr, "stress: device %u init failed\n", i);
            return 1;
        }
    }
    pthread_barrier_init(&start, NULL, NDEV);
    for (unsigned i = 0; i < NDEV; i++)
        pthread_create(&th[i], NULL, worker, &devs[i]);
    for (unsigned i = 0; i < NDEV; i++)
        pthread_join(th[i], NULL);

    unsigned long total = 0;
    for (unsigned i = 0; i < NDEV; i++) {
        struct device *d = &devs[i];
        if (vmsix_dev_teardown(d->dev))
            bad = 1;
        if (d->faults || d->wrong) {
            fprintf(stderr, "stress: device %u: %lu faults, %lu wrong deliveries\n", i, d->faults,
                    d->wrong);
            bad = 1;
        }
        total += d->injected;
        free(d->mem);
    }
    for (unsigned i = 0; i < NENT * 2; i++)
        if (table[i])
            bad = 1;
    if (vmsix_irte_free_count(pool) != free0) {
        fprintf(stderr, "stress: pool %u free, %u before\n", vmsix_irte_free_count(pool), free0);
        bad = 1;
    }
    if (total < NDEV * ROUNDS * 4) {
        fprintf(stderr, "stress: only %lu deliveries\n", total);
        bad = 1;
    }
    printf("stress: %d devices x %d rounds, %lu deliveries, pool and table back to the start: "
           "%s\n",
           NDEV, ROUNDS, total, bad ? "FAILED" : "ok");
    return bad;
}
