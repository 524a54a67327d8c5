/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Interrupt-path benchmark: what the host runs for one device interrupt,
 * from the remapping unit's resolution of the function's message to the
 * guest's inject, with vmsix's MSI-X on MSI and, for comparison, with plain
 * MSI and no vmsix. No guest: the composed device (vmsix_dev_*) over a
 * simulated function (examples/sim), a VT-d unit with a real table and the
 * real VT-d backend, set up as Linux sets up MSI-X (32 vectors, each
 * programmed and unmasked).
 *
 * Every case runs one call site: a function site_<case> (out of line,
 * never cloned nor merged) that is the host's whole handling of one
 * interrupt, or one guest access. tests/bench/irqpath.py counts with
 * callgrind every instruction from the site's entry to its return, divided
 * by its calls, with the hooks' (functions hook_*) share and each library
 * call's beside it:
 *   python3 tests/bench/irqpath.py build/gcc/tests/bench/bench-irqpath
 *
 * The cases (k is the function's vector, the guest's MSI-X vector):
 *   msix-on-msi          the function sends message k: vmsix_vtd_resolve()
 *                        (the IOMMU, in software), the host's vector table
 *                        names (device, k), vmsix_dev_irq(k), the table's
 *                        fire, the inject hook
 *   the masked vector, in a loop of four sites:
 *   resolve-before-mask  the function's message k is resolved while the
 *                        guest's vector is live (the unit's part of it)
 *   mask                 the guest masks vector k (Vector Control write):
 *                        the function's mask bit set, the entry cleared
 *   msix-on-msi-masked   the host's handler of the vector raised before the
 *                        mask: vmsix_dev_irq(k) records it pending, nothing
 *                        is injected
 *   unmask-delivers      the guest unmasks it: the entry is programmed
 *                        again, the function's mask bit cleared, and the
 *                        pending message injected
 *   plain-msi            plain MSI without vmsix: the function's message is
 *                        the guest's, and the hypervisor injects it
 * The inject hook is the same for every case: it decodes the message as
 * x86 does (destination, vector, delivery and destination mode, trigger)
 * and sets the vector in the destination vCPU's interrupt request bits.
 *
 * Usage:
 *   bench-irqpath                        every case, timed (ns per interrupt;
 *                                        the masked loop once, per loop)
 *   bench-irqpath --list                 the case names, one per line
 *   bench-irqpath --case NAME --iters N  set up, run NAME N times, print its
 *                                        line; exits 1 if the path did not
 *                                        do what the case says
 */
#define _POSIX_C_SOURCE 200809L

#include <vmsix/vmsix.h>

#include "bench_site.h"
#include "simfn.h"

/* inlined into each site that uses it: the site is the whole handler */
#define HANDLER static inline __attribute__((always_inline))

#define RID 0x0310u     /* the function's requester ID, 03:02.0 */
#define NENT 256u       /* VT-d table entries */
#define RESERVED 16u    /* entries 0..15: the host's IOAPIC */
#define HOST_VEC0 0x40u /* host vector of the function's vector k: 0x40 + k */
#define NCPU 4u         /* the guest's vCPUs, APIC IDs 0..3 */
#define HOST_APIC0 8u   /* their host CPUs' APIC IDs: 8..11 */
#define GUEST_VEC0 0x50u
#define MSI_BASE 0xfee00000u
#define MSI_BASE_MASK 0xfff00000u
#define MSI_ADDR_DM_LOGICAL 0x4u
#define MSI_DATA_LEVEL 0x8000u
#define VEC_LIVE 3u   /* the unmasked vector of msix-on-msi */
#define VEC_MASKED 5u /* the vector the masked cases mask and unmask */

/* The host's vector table: which device and which of its vectors a host
 * vector belongs to (what an IDT entry's handler knows). */
struct host_irq {
    struct vmsix_dev *dev;
    uint16_t vec;
};

struct world {
    struct simfn fn;
    uint64_t *table;
    unsigned char *unit_mem, *pool_mem, *dev_mem;
    struct vmsix_vtd_unit *unit;
    struct vmsix_irte_pool *pool;
    struct vmsix_remap backend;
    struct vmsix_dev *dev;
    struct host_irq idt[256];
    /* the guest: each vCPU's interrupt request bits, what was injected */
    uint64_t irr[NCPU][4];
    unsigned long injected[32], refused, faults, emitted;
    int raised; /* the host vector the masked cases' message raised */
};

static struct world W;
static volatile uint64_t sink;

/* ---- hooks (their own cost is reported beside each case) ---- */

/* The hypervisor's injection, the same for vmsix and plain MSI: the
 * message decoded as x86 does (compatibility format: destination ID in
 * address bits 19:12, destination mode bit 2; vector, delivery mode and
 * trigger in the data) into the destination vCPU's request bits. */
static SITE void hook_inject(void *ctx, uint16_t vec, const struct vmsix_msg *g)
{
    struct world *w = ctx;
    uint32_t lo = (uint32_t)g->addr, dest = (lo >> 12) & 0xffu;
    uint32_t vector = g->data & 0xffu, dm = (g->data >> 8) & 7u, cpu;

    if ((g->addr >> 32) != 0 || (lo & MSI_BASE_MASK) != MSI_BASE || vector < 16 ||
        (g->data & MSI_DATA_LEVEL) ||
        (dm != VMSIX_REMAP_DLM_FIXED && dm != VMSIX_REMAP_DLM_LOWPRI)) {
        w->refused++;
        return;
    }
    /* logical (flat): the lowest CPU of the set; physical: the APIC ID */
    cpu = (lo & MSI_ADDR_DM_LOGICAL) ? (dest ? (uint32_t)__builtin_ctz(dest) : NCPU) : dest;
    if (cpu >= NCPU) {
        w->refused++;
        return;
    }
    w->irr[cpu][vector / 64u] |= (uint64_t)1 << (vector % 64u);
    w->injected[vec & 31u]++;
}

/* The isolation policy: fixed or lowest priority, physical mode, to one of
 * the guest's vCPUs; host vector 0x40 + k on that vCPU's host CPU. */
static SITE int hook_translate(void *ctx, uint16_t vec, const struct vmsix_msg *g,
                               struct vmsix_remap_target *t)
{
    uint32_t lo = (uint32_t)g->addr, dest = (lo >> 12) & 0xffu, dm = (g->data >> 8) & 7u;

    (void)ctx;
    if ((g->addr >> 32) || (lo & MSI_BASE_MASK) != MSI_BASE || (lo & MSI_ADDR_DM_LOGICAL) ||
        dest >= NCPU || dm > VMSIX_REMAP_DLM_LOWPRI || vec >= 32)
        return -1;
    memset(t, 0, sizeof(*t));
    t->vector = (uint8_t)(HOST_VEC0 + vec);
    t->dest = HOST_APIC0 + dest;
    t->delivery = (uint8_t)dm;
    return 0;
}

static SITE int hook_cfg_read(void *ctx, uint16_t off, unsigned size, uint32_t *val)
{
    struct world *w = ctx;
    return simfn_cfg_read(&w->fn, off, size, val);
}

static SITE int hook_cfg_write(void *ctx, uint16_t off, unsigned size, uint32_t val)
{
    struct world *w = ctx;
    return simfn_cfg_write(&w->fn, off, size, val);
}

/* The unit has no interrupt-entry cache: an invalidation completes at once. */
static SITE int hook_vtd_invalidate(void *ctx, const uint64_t desc[2])
{
    (void)ctx;
    (void)desc;
    return 0;
}

/* The function's memory writes: none is expected during the cases (an
 * unmask at the function finds nothing pending there). */
static void fn_emit(void *ctx, const struct vmsix_msg *m)
{
    struct world *w = ctx;
    (void)m;
    w->emitted++;
}

static const struct vmsix_dev_ops dev_ops = {
    .size = sizeof(struct vmsix_dev_ops),
    .cfg_read = hook_cfg_read,
    .cfg_write = hook_cfg_write,
    .translate = hook_translate,
    .inject = hook_inject,
};

static const struct vmsix_vtd_ops vtd_ops = {
    .size = sizeof(struct vmsix_vtd_ops),
    .invalidate = hook_vtd_invalidate,
};

/* ---- the world ---- */

static void die(const char *what, long rc)
{
    fprintf(stderr, "bench-irqpath: %s failed (%ld)\n", what, rc);
    exit(1);
}

static void *zalloc(size_t align, size_t len)
{
    size_t n = (len + align - 1) & ~(align - 1);
    void *p = aligned_alloc(align, n);
    if (!p)
        die("aligned_alloc", 0);
    memset(p, 0, n);
    return p;
}

static void gcfg_w(uint16_t off, unsigned size, uint32_t v)
{
    int rc = vmsix_dev_cfg_write(W.dev, off, size, v);
    if (rc)
        die("guest config write", rc);
}

static void gtab_w(unsigned vec, unsigned field, unsigned size, uint64_t v)
{
    int rc = vmsix_dev_mmio_write(W.dev, 16u * vec + field, size, v);
    if (rc)
        die("guest table write", rc);
}

/* The function, the unit, the pool, the backend and the device; then what
 * Linux does: place the table BAR, enable MSI-X with Function Mask set,
 * program every entry (vCPU k % 4, vector 0x50 + k), clear Function Mask,
 * unmask every entry. */
static void world_init(void)
{
    struct vmsix_vtd_params vp;
    struct vmsix_dev_params dp;
    struct vmsix_dev_state st;
    size_t unit_len = vmsix_vtd_unit_storage_size();
    size_t pool_len = vmsix_irte_pool_storage_size(NENT);
    size_t dev_len = vmsix_dev_storage_size();
    uint16_t mc_off;
    long rc;

    memset(&W, 0, sizeof(W));
    simfn_init(&W.fn, 5, true);
    W.fn.emit = fn_emit;
    W.fn.emit_ctx = &W;
    W.table = zalloc(VMSIX_VTD_TABLE_ALIGN, NENT * VMSIX_VTD_IRTE_SIZE);
    W.unit_mem = zalloc(8, unit_len);
    W.pool_mem = zalloc(VMSIX_IRTE_POOL_ALIGN, pool_len);
    W.dev_mem = zalloc(8, dev_len);
    memset(&vp, 0, sizeof(vp));
    vp.table = W.table;
    vp.nentries = NENT;
    vp.flags = VMSIX_VTD_BLOCK_COMPAT;
    vp.mhmv = 5;
    if ((rc = vmsix_vtd_unit_init(W.unit_mem, unit_len, &vp, &vtd_ops, &W, &W.unit)) ||
        (rc = vmsix_irte_pool_init(W.pool_mem, pool_len, NENT, &W.pool)) ||
        (rc = vmsix_irte_reserve(W.pool, 0, RESERVED)) ||
        (rc = vmsix_vtd_remap_init(W.unit, W.pool, 0, &W.backend)))
        die("VT-d setup", rc);
    memset(&dp, 0, sizeof(dp));
    dp.backend = &W.backend;
    dp.src.id = RID;
    if ((rc = vmsix_dev_init(W.dev_mem, dev_len, &dp, &dev_ops, &W, &W.dev)) ||
        (rc = vmsix_dev_get_state(W.dev, &st)))
        die("vmsix_dev_init", rc);
    if (st.nvec != 32)
        die("32 vectors", st.nvec);
    for (unsigned k = 0; k < 32; k++)
        W.idt[HOST_VEC0 + k] = (struct host_irq){W.dev, (uint16_t)k};

    mc_off = (uint16_t)(st.msi_off + 2);
    gcfg_w((uint16_t)(0x10 + 4 * st.table_bar), 4, 0xfeb00000u);
    gcfg_w(mc_off, 2, VMSIX_MSIX_CTRL_ENABLE | VMSIX_MSIX_CTRL_FMASK);
    for (unsigned k = 0; k < 32; k++) {
        gtab_w(k, 0, 8, MSI_BASE | (k % NCPU) << 12);
        gtab_w(k, 8, 4, GUEST_VEC0 + k);
    }
    gcfg_w(mc_off, 2, VMSIX_MSIX_CTRL_ENABLE);
    for (unsigned k = 0; k < 32; k++)
        gtab_w(k, 12, 4, 0);
    if ((rc = vmsix_dev_get_state(W.dev, &st)) || st.active != 0xffffffffu)
        die("activating every vector", rc ? rc : (long)st.active);
}

/* Message k as the function sends it: the composed (remappable) address,
 * data k (Multiple Message Enable replaces the low bits of data 0). */
static struct vmsix_msg function_msg(unsigned k)
{
    struct vmsix_dev_state st;
    struct vmsix_msg m;

    vmsix_dev_get_state(W.dev, &st);
    m.addr = st.phys_msg.addr;
    m.data = st.phys_msg.data | k;
    return m;
}

/* Message k of the same function without vmsix and without remapping: the
 * guest programmed the function's MSI itself. */
static struct vmsix_msg guest_msg(unsigned k)
{
    struct vmsix_msg m;

    m.addr = MSI_BASE | (k % NCPU) << 12;
    m.data = GUEST_VEC0 + k;
    return m;
}

/* ---- the host's handling of a remapped interrupt ---- */

/* The IOMMU resolves the function's message to a host vector (here its
 * reference decoder does, as in examples/kvm-vmm): -1 on a fault. */
HANDLER int iommu(struct world *w, const struct vmsix_msg *m)
{
    struct vmsix_vtd_result r;

    if (vmsix_vtd_resolve(w->unit, RID, m, &r) != 0) {
        w->faults++;
        return -1;
    }
    return r.irte.vector;
}

/* The host's handler of that vector: the vector table names the device
 * and its vector, and the device is told. */
HANDLER void host_irq(struct world *w, int hv)
{
    const struct host_irq *h;

    if (hv < 0)
        return;
    h = &w->idt[hv];
    if (!h->dev) {
        w->faults++;
        return;
    }
    sink += (uint64_t)vmsix_dev_irq(h->dev, h->vec);
}

/* ---- the call sites ---- */

static SITE void site_msix_on_msi(struct world *w, const struct vmsix_msg *m)
{
    host_irq(w, iommu(w, m));
}

/* The masked cases: the function's message is resolved while the guest's
 * vector is live; the guest masks it (its entry is cleared); the host's
 * handler of the vector raised before the mask runs; the guest unmasks. */
static SITE void site_resolve_before_mask(struct world *w, const struct vmsix_msg *m)
{
    w->raised = iommu(w, m);
}

static SITE void site_mask(struct world *w, const struct vmsix_msg *m)
{
    (void)m;
    sink += (uint64_t)vmsix_dev_mmio_write(w->dev, 16u * VEC_MASKED + 12, 4, 1);
}

static SITE void site_msix_on_msi_masked(struct world *w, const struct vmsix_msg *m)
{
    (void)m;
    host_irq(w, w->raised);
}

static SITE void site_unmask_delivers(struct world *w, const struct vmsix_msg *m)
{
    (void)m;
    sink += (uint64_t)vmsix_dev_mmio_write(w->dev, 16u * VEC_MASKED + 12, 4, 0);
}

/* Without vmsix the function's message is the guest's own: inject it (a
 * function with one MSI vector, as Linux gives it without remapping). */
static SITE void site_plain_msi(struct world *w, const struct vmsix_msg *m)
{
    hook_inject(w, 0, m);
}

/* ---- the cases ---- */

static void run_live(uint64_t n)
{
    struct vmsix_msg m = function_msg(VEC_LIVE);

    for (uint64_t i = 0; i < n; i++)
        site_msix_on_msi(&W, &m);
}

/* The function's message is resolved, the guest masks the vector before
 * the host's handler runs, which records it pending; the guest unmasks:
 * exactly one injection. */
static void run_masked(uint64_t n)
{
    struct vmsix_msg m = function_msg(VEC_MASKED);

    for (uint64_t i = 0; i < n; i++) {
        site_resolve_before_mask(&W, &m);
        site_mask(&W, NULL);
        site_msix_on_msi_masked(&W, NULL);
        site_unmask_delivers(&W, NULL);
    }
}

static void run_plain(uint64_t n)
{
    struct vmsix_msg m = guest_msg(VEC_LIVE);

    for (uint64_t i = 0; i < n; i++)
        site_plain_msi(&W, &m);
}

struct bench_case {
    const char *name; /* its call site is site_<name, '-' as '_'> */
    void (*run)(uint64_t n);
    unsigned vec;      /* the function's vector whose guest message it injects */
    unsigned hook_vec; /* the vector the inject hook is given */
    uint64_t iters;    /* default runs, timed */
};

static const struct bench_case cases[] = {
    {"msix-on-msi", run_live, VEC_LIVE, VEC_LIVE, 10000000},
    {"resolve-before-mask", run_masked, VEC_MASKED, VEC_MASKED, 1000000},
    {"mask", run_masked, VEC_MASKED, VEC_MASKED, 1000000},
    {"msix-on-msi-masked", run_masked, VEC_MASKED, VEC_MASKED, 1000000},
    {"unmask-delivers", run_masked, VEC_MASKED, VEC_MASKED, 1000000},
    {"plain-msi", run_plain, VEC_LIVE, 0, 10000000},
};

/* One injection per run of the case, of the guest's vector, on its vCPU;
 * nothing refused, no fault, nothing sent by the function. */
static void check(const struct bench_case *c, uint64_t runs)
{
    unsigned long want = (unsigned long)runs;
    uint32_t gv = GUEST_VEC0 + c->vec;

    for (unsigned k = 0; k < 32; k++)
        if (W.injected[k] != (k == c->hook_vec ? want : 0))
            goto bad;
    if (W.refused || W.faults || W.emitted || !(W.irr[c->vec % NCPU][gv / 64] >> (gv % 64) & 1))
        goto bad;
    return;
bad:
    fprintf(stderr,
            "bench-irqpath: %s: %lu injections of vector %u for %lu runs (refused %lu, faults "
            "%lu, emitted %lu)\n",
            c->name, W.injected[c->hook_vec], c->hook_vec, want, W.refused, W.faults, W.emitted);
    exit(1);
}

static void run_case(const struct bench_case *c, uint64_t iters)
{
    double t0, t1;

    world_init();
    c->run(1000); /* warm up */
    t0 = bench_now_ns();
    c->run(iters);
    t1 = bench_now_ns();
    check(c, 1000 + iters);
    /* the masked cases time their whole loop */
    if (c->run == run_masked)
        printf("bench: irqpath-masked-loop ns_per_loop=%.2f\n", (t1 - t0) / (double)iters);
    else
        printf("bench: irqpath-%s ns_per_irq=%.2f\n", c->name, (t1 - t0) / (double)iters);
}

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static const char *case_name(size_t i)
{
    return cases[i].name;
}

static void case_one(size_t i, uint64_t iters)
{
    run_case(&cases[i], iters);
}

static void case_all(void)
{
    for (size_t i = 0; i < NCASES; i++)
        if (i == 0 || cases[i].run != cases[i - 1].run) /* each loop once */
            run_case(&cases[i], cases[i].iters);
}

int main(int argc, char **argv)
{
    static const struct bench_cli cli = {"bench-irqpath", NCASES, case_name, case_one, case_all};

    return bench_cli_main(&cli, argc, argv);
}
