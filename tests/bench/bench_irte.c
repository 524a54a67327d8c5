/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench-irte: alloc+free pairs of 1-, 8- and 32-entry blocks in a
 * 65536-entry pool at 0 %, 50 % and 90 % occupancy, for vmsix's irte_alloc
 * and, side by side, for a baseline written here: the first-fit aligned
 * bitmap scan that hypervisors use today (scan a bitmap from entry 0 in
 * steps of the block size and take the first wholly free block; the
 * approach of Linux's bitmap_find_free_region() and ACRN's alloc_irtes()).
 *
 * Occupancy is reached by random churn (seeded): blocks of mixed sizes are
 * allocated up to the target, then a random live block is freed and the
 * pool refilled to the target, many times over. Both allocators place
 * blocks at the lowest aligned free address, so the same churn gives both
 * the same layout; the full run checks that every base agrees.
 *
 * One operation ("op") is one alloc followed by the free of the block it
 * returned, which leaves the pool as it was.
 *
 * Usage:
 *   bench-irte                       every case, vmsix and baseline, and ratios
 *   bench-irte --list                the case names, one per line
 *   bench-irte --case NAME --iters N set up NAME's pool, run N ops, print the
 *                                    bench line (tests/bench/callgrind.py)
 * Output lines:
 *   bench: <case> ns_per_op=<x>
 *   ratio: alloc_free_<size>_occ<pct> baseline_over_vmsix=<r>
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vmsix/irte_alloc.h>

#define POOL_N 65536u
#define CHURN_ROUNDS 20000u
#define VMSIX_ITERS 10000000ul /* per case: 10^7 ops */
#define BASE_ITERS 1000000ul   /* baseline, per case: 10^6 ops */

static const unsigned sizes[] = {1, 8, 32};
static const unsigned occupancies[] = {0, 50, 90};
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))
#define NOCC (sizeof(occupancies) / sizeof(occupancies[0]))

/* ---- the baseline: first-fit aligned bitmap scan ---- */

struct bitmap {
    uint64_t w[POOL_N / 64];
};

static uint32_t pow2_ceil(uint32_t v)
{
    uint32_t s = 1;
    while (s < v)
        s <<= 1;
    return s;
}

/* Are the s entries at pos (aligned to s) all clear? */
static int bm_region_free(const struct bitmap *b, uint32_t pos, uint32_t s)
{
    uint32_t i;

    if (s < 64)
        return !(b->w[pos / 64] & ((((uint64_t)1 << s) - 1) << (pos % 64)));
    for (i = pos / 64; i < (pos + s) / 64; i++)
        if (b->w[i])
            return 0;
    return 1;
}

static void bm_region_set(struct bitmap *b, uint32_t pos, uint32_t s, int on)
{
    uint32_t i;

    if (s < 64) {
        uint64_t m = (((uint64_t)1 << s) - 1) << (pos % 64);
        b->w[pos / 64] = on ? b->w[pos / 64] | m : b->w[pos / 64] & ~m;
        return;
    }
    for (i = pos / 64; i < (pos + s) / 64; i++)
        b->w[i] = on ? ~(uint64_t)0 : 0;
}

static int bm_alloc(struct bitmap *b, uint32_t count, uint32_t *base)
{
    uint32_t s = pow2_ceil(count), pos;

    for (pos = 0; pos + s <= POOL_N; pos += s) {
        if (bm_region_free(b, pos, s)) {
            bm_region_set(b, pos, s, 1);
            *base = pos;
            return 0;
        }
    }
    return -ENOSPC;
}

static void bm_free(struct bitmap *b, uint32_t base, uint32_t count)
{
    bm_region_set(b, base, pow2_ceil(count), 0);
}

/* ---- the pools under test, churned to an occupancy ---- */

struct bench {
    struct vmsix_irte_pool *pool; /* NULL: not set up */
    uint64_t *pool_mem;
    struct bitmap *bm; /* NULL: not set up */
    uint32_t live_base[POOL_N];
    uint32_t live_size[POOL_N];
    uint32_t nlive;
    uint32_t used;
};

static uint64_t rng_state;

static uint32_t rng_below(uint32_t n)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (uint32_t)((z ^ (z >> 31)) % n);
}

static void die(const char *what)
{
    fprintf(stderr, "bench-irte: %s\n", what);
    exit(1);
}

/* Allocate in every allocator that is set up; they must agree. */
static int b_alloc(struct bench *b, uint32_t count)
{
    uint32_t vb = 0, bb = 0;
    int vr = 0, br = 0;

    if (b->pool)
        vr = vmsix_irte_alloc(b->pool, count, &vb);
    if (b->bm)
        br = bm_alloc(b->bm, count, &bb);
    if (b->pool && b->bm && (vr != br || vb != bb))
        die("vmsix and the baseline disagree during churn");
    if ((b->pool ? vr : br) != 0)
        return -ENOSPC;
    b->live_base[b->nlive] = b->pool ? vb : bb;
    b->live_size[b->nlive] = pow2_ceil(count);
    b->nlive++;
    b->used += pow2_ceil(count);
    return 0;
}

static void b_free(struct bench *b, uint32_t i)
{
    if (b->pool && vmsix_irte_free(b->pool, b->live_base[i], b->live_size[i]) != 0)
        die("vmsix free failed during churn");
    if (b->bm)
        bm_free(b->bm, b->live_base[i], b->live_size[i]);
    b->used -= b->live_size[i];
    b->nlive--;
    b->live_base[i] = b->live_base[b->nlive];
    b->live_size[i] = b->live_size[b->nlive];
}

/* A mix of block sizes, weighted towards small ones. */
static uint32_t churn_count(void)
{
    static const uint32_t mix[] = {1, 1, 1, 1, 2, 2, 3, 4, 4, 6, 8, 8, 12, 16, 24, 32};
    return mix[rng_below(sizeof(mix) / sizeof(mix[0]))];
}

static void fill_to(struct bench *b, uint32_t target)
{
    unsigned misses = 0;

    while (b->used < target && misses < 64) {
        uint32_t c = churn_count();
        if (b->used + pow2_ceil(c) > target + 32)
            c = 1;
        if (b_alloc(b, c) != 0)
            misses++;
    }
}

static void bench_setup(struct bench *b, unsigned occ, int want_vmsix, int want_base)
{
    uint32_t target = (uint32_t)((uint64_t)POOL_N * occ / 100);
    size_t sz = vmsix_irte_pool_storage_size(POOL_N);
    unsigned r;

    b->nlive = 0;
    b->used = 0;
    b->pool = NULL;
    b->bm = NULL;
    if (want_vmsix) {
        b->pool_mem = malloc(sz);
        if (!b->pool_mem || vmsix_irte_pool_init(b->pool_mem, sz, POOL_N, &b->pool) != 0)
            die("cannot make the pool");
    }
    if (want_base) {
        b->bm = calloc(1, sizeof(*b->bm));
        if (!b->bm)
            die("out of memory");
    }
    if (occ == 0)
        return;
    rng_state = 0x1badcafe + occ;
    fill_to(b, target);
    for (r = 0; r < CHURN_ROUNDS; r++) {
        b_free(b, rng_below(b->nlive));
        fill_to(b, target);
    }
}

static void bench_teardown(struct bench *b)
{
    free(b->pool_mem);
    free(b->bm);
    b->pool_mem = NULL;
    b->pool = NULL;
    b->bm = NULL;
}

/* ---- the measured loops ---- */

static volatile uint32_t sink;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double run_vmsix(struct bench *b, uint32_t size, unsigned long iters)
{
    double t0 = now_ns();
    unsigned long i;
    uint32_t base = 0;

    for (i = 0; i < iters; i++) {
        if (vmsix_irte_alloc(b->pool, size, &base) != 0 ||
            vmsix_irte_free(b->pool, base, size) != 0)
            die("vmsix alloc+free failed");
        sink = base;
    }
    return (now_ns() - t0) / (double)(iters ? iters : 1);
}

static double run_base(struct bench *b, uint32_t size, unsigned long iters)
{
    double t0 = now_ns();
    unsigned long i;
    uint32_t base = 0;

    for (i = 0; i < iters; i++) {
        if (bm_alloc(b->bm, size, &base) != 0)
            die("baseline alloc failed");
        bm_free(b->bm, base, size);
        sink = base;
    }
    return (now_ns() - t0) / (double)(iters ? iters : 1);
}

static void case_name(char *buf, size_t len, int baseline, unsigned size, unsigned occ)
{
    snprintf(buf, len, "%s_alloc_free_%u_occ%u", baseline ? "baseline" : "irte", size, occ);
}

static int run_one(const char *name, unsigned long iters)
{
    unsigned si, oi;
    int bl;
    char buf[64];
    static struct bench b;

    for (bl = 0; bl < 2; bl++) {
        for (oi = 0; oi < NOCC; oi++) {
            for (si = 0; si < NSIZES; si++) {
                double ns;

                case_name(buf, sizeof(buf), bl, sizes[si], occupancies[oi]);
                if (strcmp(buf, name) != 0)
                    continue;
                bench_setup(&b, occupancies[oi], !bl, bl);
                ns = bl ? run_base(&b, sizes[si], iters) : run_vmsix(&b, sizes[si], iters);
                printf("bench: %s ns_per_op=%.1f\n", name, ns);
                bench_teardown(&b);
                return 0;
            }
        }
    }
    fprintf(stderr, "bench-irte: no case %s (see --list)\n", name);
    return 2;
}

static int run_all(void)
{
    static struct bench b;
    unsigned si, oi;
    char buf[64];

    printf("pool: %u entries; op = one alloc + one free; vmsix %lu ops, baseline %lu ops "
           "per case\n",
           POOL_N, VMSIX_ITERS, BASE_ITERS);
    for (oi = 0; oi < NOCC; oi++) {
        double t0 = now_ns();

        bench_setup(&b, occupancies[oi], 1, 1); /* both, checked against each other */
        printf("setup occ%u: %u entries used in %u blocks, largest free block %u (%.0f ms)\n",
               occupancies[oi], b.used, b.nlive, vmsix_irte_largest_free(b.pool),
               (now_ns() - t0) / 1e6);
        printf("setup occ%u: lowest free aligned block of", occupancies[oi]);
        for (si = 0; si < NSIZES; si++) {
            uint32_t first = 0;
            if (vmsix_irte_alloc(b.pool, sizes[si], &first) != 0 ||
                vmsix_irte_free(b.pool, first, sizes[si]) != 0)
                die("no block of a measured size");
            printf(" %u: %u%s", sizes[si], first, si + 1 < NSIZES ? "," : "\n");
        }
        if (vmsix_irte_free_count(b.pool) != POOL_N - b.used)
            die("free count disagrees with the churn");
        for (si = 0; si < NSIZES; si++) {
            double v, base;

            run_vmsix(&b, sizes[si], VMSIX_ITERS / 100); /* warm-up */
            v = run_vmsix(&b, sizes[si], VMSIX_ITERS);
            case_name(buf, sizeof(buf), 0, sizes[si], occupancies[oi]);
            printf("bench: %s ns_per_op=%.1f\n", buf, v);
            run_base(&b, sizes[si], BASE_ITERS / 100);
            base = run_base(&b, sizes[si], BASE_ITERS);
            case_name(buf, sizeof(buf), 1, sizes[si], occupancies[oi]);
            printf("bench: %s ns_per_op=%.1f\n", buf, base);
            printf("ratio: alloc_free_%u_occ%u baseline_over_vmsix=%.1f\n", sizes[si],
                   occupancies[oi], base / v);
            fflush(stdout);
        }
        bench_teardown(&b);
    }
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: bench-irte [--list | --case NAME --iters N]\n");
}

int main(int argc, char **argv)
{
    const char *name = NULL;
    unsigned long iters = 0;
    int i;

    if (argc == 1)
        return run_all();
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--list") == 0 && argc == 2) {
            unsigned si, oi;
            int bl;
            char buf[64];

            for (bl = 0; bl < 2; bl++)
                for (oi = 0; oi < NOCC; oi++)
                    for (si = 0; si < NSIZES; si++) {
                        case_name(buf, sizeof(buf), bl, sizes[si], occupancies[oi]);
                        puts(buf);
                    }
            return 0;
        } else if (strcmp(argv[i], "--case") == 0 && i + 1 < argc) {
            name = argv[++i];
        } else if (strcmp(argv[i], "--iters") == 0 && i + 1 < argc) {
            char *end;
            iters = strtoul(argv[++i], &end, 10);
            if (*end) {
                usage();
                return 2;
            }
        } else {
            usage();
            return 2;
        }
    }
    if (!name) {
        usage();
        return 2;
    }
    return run_one(name, iters ? iters : 1000000ul);
}
