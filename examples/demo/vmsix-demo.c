/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vmsix-demo - MSI-X emulated on multi-message MSI, end to end, with no
 * hardware.
 *
 * The pieces, all in this process:
 * - the physical function: simfn (examples/sim), a synthetic function with
 *   32 MSI vectors, 64-bit address and per-vector masking, or (--dump) a
 *   real function's configuration space from an `lspci -x` dump given the
 *   same MSI behaviour;
 * - a VT-d unit whose 256-entry interrupt-remapping table lives in memory,
 *   entries 0..23 reserved in the pool for the host's IOAPIC; every memory
 *   write the function emits is resolved by vmsix_vtd_resolve(), the
 *   reference decoder, as the hardware would. With --iommu amdvi, an AMD-Vi
 *   unit instead: a device table and the function's own 512-entry table of
 *   32-bit entries (entry 0 kept unused), resolved by vmsix_amdvi_resolve()
 *   through the function's DTE;
 * - the host (hypervisor): its translate hook enforces isolation (physical
 *   destination among the guest's vCPUs, fixed or lowest-priority delivery,
 *   edge) and maps guest vCPU -> host CPU and the device's vector k -> host
 *   vector 0xa0 + k; the handler of that host vector calls vmsix_dev_irq(k)
 *   and the inject hook delivers the guest's message to the guest. Remapped
 *   interrupts are queued and handled after the trapped access that caused
 *   them returns, as on a real host where the device lock is released
 *   first;
 * - the guest driver: the sequence Linux follows (size and place the BARs,
 *   walk the capabilities, enable MSI-X with Function Mask set, program
 *   every entry, clear Function Mask, unmask, ...).
 * The same story runs a second time on the function without its per-vector
 * mask bits (simfn_drop_mask_bits(); --no-mask-bits runs only that one, and
 * a dumped function without mask bits has only that one): software
 * masking, where the host passes the device's divert hook (host vector
 * 0xc0 + k on host CPU 0, whose handler calls vmsix_dev_irq(k)), a masked
 * vector's entry is switched to it in one store, its messages pend and show
 * in the PBA, and the unmask delivers exactly one; a live message rewrite
 * switches the entry in place.
 * Every step is checked against the physical registers and the remapping
 * table; the exit status is 0 only when every check held.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmsix/vmsix.h>

#include "pcidump.h"
#include "simfn.h"

#define NENT 256u          /* VT-d table entries */
#define IOAPIC_ENTRIES 24u /* entries 0..23: the host's IOAPIC pins */
#define MHMV 4u            /* ECAP.MHMV of the unit */
#define NVCPU 4u           /* the guest's vCPUs, APIC IDs 0..3 */
#define GUEST_VEC0 0x30u   /* the guest driver gives vector k guest vector 0x30 + k */
#define HOST_VEC0 0xa0u    /* the host gives vector k host vector 0xa0 + k */
#define MAX_VEC 32u
#define MEM_WINDOW 0xfe000000u /* where the guest places memory BARs */
#define IO_WINDOW 0xe000u      /* and I/O BARs */
#define IRQ_QUEUE 64u
#define DEFAULT_RID 0x0300u /* the synthetic function sits at 0000:03:00.0 */
#define AMD_NENT 512u       /* AMD-Vi: entries of the function's table */
#define AMD_RESERVED 1u     /* AMD-Vi: entry 0, never remapped (data 0 before setup) */
/* Software masking: the divert target of vector k is host vector 0xc0 + k
 * on host CPU 0 (APIC ID 0), which runs no vCPU. */
#define DIVERT_VEC0 0xc0u
#define DIVERT_CPU 0u

/* Host APIC IDs of the CPUs that run vCPU 0..3. */
static const uint8_t host_apic[NVCPU] = {1, 3, 5, 7};

/* What the guest driver learned. */
struct guest {
    uint64_t bar_addr[6];
    uint64_t bar_size[6];
    uint16_t msix_off;
    unsigned nvec;
    unsigned table_bir, pba_bir;
    uint32_t table_off, pba_off;
    uint8_t vcpu[MAX_VEC]; /* where the driver wants each vector */
};

/* One remapping entry, whichever the unit: what the checks and the JSON
 * need. */
struct entry {
    bool present; /* VT-d Present, AMD-Vi RemapEn */
    bool clean;   /* decodes with no reserved bit set */
    bool posted;
    bool src_ok; /* VT-d: SVT 1, SQ 0, the function's SID; AMD-Vi: in the
                    function's own DeviceID table */
    uint8_t vector;
    uint8_t delivery;
    uint32_t dest; /* the APIC ID */
    uint8_t svt, sq;
    uint16_t sid; /* VT-d only */
    uint64_t raw[2];
};

/* One remapped interrupt waiting for its host CPU. */
struct host_irq {
    uint32_t apic;
    uint8_t vector;
    uint32_t irte;
};

/* The path of the messages of one step, for the trace and the checks. */
struct path {
    unsigned emitted, faults;
    unsigned diverted; /* messages that reached a divert target */
    uint32_t irte;
    uint8_t hvec;
    uint32_t hcpu;
    int irq_vec; /* the vector the host handler passed to vmsix_dev_irq */
    int irq_rc;
    unsigned injected;
    int inj_vec;
    uint8_t gvec, vcpu;
};

struct delivery {
    unsigned long count, expected;
    uint8_t gvec, vcpu; /* the last one */
    uint8_t hvec;
    uint32_t hcpu, irte;
};

struct snapshot {
    bool taken;
    struct vmsix_dev_state st;
    uint64_t msi_addr;
    uint32_t msi_data, msi_mask;
    unsigned mme;
    bool msi_enabled;
    struct entry irte[MAX_VEC];
    unsigned present_total;
    uint32_t pool_free;
    struct delivery del[MAX_VEC];
    uint8_t cfg[4096];
    size_t cfg_len;
};

struct demo {
    /* options */
    bool trace, json, lspci;
    const char *dump_path;
    const char *slot;
    unsigned want_vec;
    bool amdvi;          /* --iommu amdvi */
    bool no_mask_bits;   /* --no-mask-bits: only the story without them */
    bool drop_mask_bits; /* this run: the function loses its mask bits */

    /* the function */
    struct simfn *fn;
    bool fn_live;            /* it has usable MSI: simulated (else only its bytes) */
    struct pcidump_dev addr; /* domain, bus, dev, fn */
    uint16_t rid;
    uint16_t vendor, device;
    struct vmsix_eligibility elig;
    bool nomask; /* no per-vector mask bits: software masking (the divert hook) */

    /* the remapping unit (VT-d, or AMD-Vi) and its pool */
    uint32_t nent; /* entries of the table the function's block is in */
    uint64_t *table;
    void *unit_mem, *pool_mem;
    struct vmsix_vtd_unit *unit;
    uint64_t *dev_table; /* AMD-Vi: the device table */
    uint32_t ndte;
    void *amd_table; /* AMD-Vi: the function's table */
    uint64_t cw_sem;
    struct vmsix_amdvi_unit *amd;
    struct vmsix_irte_pool *pool;
    struct vmsix_remap backend;
    uint32_t pool_free0;
    unsigned long stores128; /* VT-d without mask bits: 128-bit entry stores (store128) */

    /* the device */
    void *dev_mem;
    struct vmsix_dev *dev;
    unsigned nvec;
    unsigned masked_vec, moved_vec, rewritten_vec;

    /* the host */
    int idt[256]; /* host vector -> device vector, -1 when none */
    struct {
        bool set;
        uint8_t hvec;
        uint32_t hcpu;
    } route[MAX_VEC];
    bool trap_set;
    uint64_t trap_base;
    struct host_irq q[IRQ_QUEUE];
    unsigned qhead, qn;
    unsigned long translations, refusals, strays;

    /* the guest */
    struct guest g;
    unsigned long guest_irr[NVCPU];

    /* results */
    struct path p;
    struct delivery del[MAX_VEC];
    unsigned round_ok;
    bool pended, pba_seen, once_on_unmask, move_ok;
    unsigned move_from, move_to;
    unsigned long diverted[MAX_VEC]; /* messages that reached vector k's divert target */
    bool rewrite_ok, rewrite_in_place;
    unsigned rewrite_from, rewrite_to;
    long rewrite_stores; /* 128-bit stores of the rewrite (VT-d), -1 when not counted */
    unsigned long checks, failed;
    struct snapshot snap;
};

/* ---- output and checks ---- */

static void say(struct demo *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct demo *d, const char *fmt, ...)
{
    va_list ap;

    if (!d->trace)
        return;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}

static bool check(struct demo *d, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool check(struct demo *d, bool ok, const char *fmt, ...)
{
    va_list ap;
    FILE *f = d->trace ? stdout : stderr;

    d->checks++;
    if (ok)
        return true;
    d->failed++;
    fputs("vmsix-demo: CHECK FAILED: ", f);
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
    return false;
}

/* ---- the physical function ---- */

/* The host reads a physical register (no side effects at the function). */
static uint32_t phys(struct demo *d, uint16_t off, unsigned size)
{
    uint32_t v = 0;

    if (simfn_cfg_read(d->fn, off, size, &v))
        check(d, false, "physical read of %#x failed", off);
    return v;
}

static uint16_t msi_data_reg(const struct demo *d)
{
    return (uint16_t)(d->elig.msi_off + (d->elig.addr64 ? 0x0c : 0x08));
}
static uint16_t msi_mask_reg(const struct demo *d)
{
    return (uint16_t)(d->elig.msi_off + (d->elig.addr64 ? 0x10 : 0x0c));
}
static uint16_t msi_pending_reg(const struct demo *d)
{
    return (uint16_t)(d->elig.msi_off + (d->elig.addr64 ? 0x14 : 0x10));
}

static uint64_t phys_msi_addr(struct demo *d)
{
    uint64_t a = phys(d, (uint16_t)(d->elig.msi_off + 4), 4);

    if (d->elig.addr64)
        a |= (uint64_t)phys(d, (uint16_t)(d->elig.msi_off + 8), 4) << 32;
    return a;
}

/* ---- the host ---- */

/* Entry @i of the table the function's block is in. */
static void entry_read(struct demo *d, uint32_t i, struct entry *e)
{
    memset(e, 0, sizeof(*e));
    if (d->amdvi) {
        struct vmsix_amdvi_irte f;

        vmsix_amdvi_irte_read(d->amd, d->rid, i, e->raw);
        e->clean = vmsix_amdvi_irte32_decode((uint32_t)e->raw[0], &f) == 0;
        e->present = f.remap_en;
        e->src_ok = true; /* the DeviceID's own table: the unit indexes by it */
        e->vector = f.vector;
        e->dest = f.dest;
        e->delivery = f.int_type;
    } else {
        struct vmsix_vtd_irte f;

        vmsix_vtd_irte_read(d->unit, i, e->raw);
        e->clean = vmsix_vtd_irte_decode(e->raw, &f) == 0;
        e->present = f.present;
        e->posted = f.posted;
        e->src_ok = f.svt == VMSIX_VTD_SVT_RID && f.sq == VMSIX_VTD_SQ_ALL && f.sid == d->rid;
        e->svt = f.svt;
        e->sq = f.sq;
        e->sid = f.sid;
        e->vector = f.vector;
        e->dest = f.dest >> 8; /* xAPIC: the APIC ID in bits 15:8 of the field */
        e->delivery = f.delivery;
    }
}

/* The physical MSI the backend composes for a block at @base. */
static struct vmsix_msg composed(const struct demo *d, uint32_t base)
{
    struct vmsix_msg m = {0, 0};

    if (d->amdvi)
        vmsix_amdvi_msi_compose(base, 0, &m);
    else
        vmsix_vtd_msi_compose((uint16_t)base, &m);
    return m;
}

/* The function's memory write reaches the remapping unit. */
static void emit(void *ctx, const struct vmsix_msg *m)
{
    struct demo *d = ctx;
    struct host_irq h;
    int rc;

    d->p.emitted++;
    const char *unremapped = NULL; /* the unit let the write through as it is */
    if (d->amdvi) {
        struct vmsix_amdvi_result r = {0};

        rc = vmsix_amdvi_resolve(d->amd, d->rid, m, &r);
        if (r.passthrough)
            unremapped = ", passed through";
        h = (struct host_irq){r.apic_id, r.irte.vector, r.index};
    } else {
        struct vmsix_vtd_result r = {0};

        rc = vmsix_vtd_resolve(d->unit, d->rid, m, &r);
        if (r.compat)
            unremapped = ", compatibility format";
        h = (struct host_irq){r.apic_id, r.irte.vector, r.index};
    }
    if (!check(d, rc == 0 && !unremapped,
               "the function's write %#" PRIx64 "/%#" PRIx32 " did not remap (%d%s)", m->addr,
               m->data, rc, unremapped ? unremapped : "")) {
        d->p.faults++;
        return;
    }
    if (!check(d, d->qn < IRQ_QUEUE, "host interrupt queue overflow"))
        return;
    d->q[(d->qhead + d->qn) % IRQ_QUEUE] = h;
    d->qn++;
}

/* The host CPUs take the interrupts that arrived (outside the trap). */
static void host_run_irqs(struct demo *d)
{
    while (d->qn) {
        struct host_irq h = d->q[d->qhead];
        int k = d->idt[h.vector];

        d->qhead = (d->qhead + 1) % IRQ_QUEUE;
        d->qn--;
        d->p.irte = h.irte;
        d->p.hvec = h.vector;
        d->p.hcpu = h.apic;
        if (!check(d, k >= 0, "stray host vector %#x on CPU %" PRIu32, h.vector, h.apic)) {
            d->strays++;
            continue;
        }
        if (h.vector >= DIVERT_VEC0) {
            /* the divert handler (software masking): vmsix pends the
             * vector, or injects it when the guest has it live again */
            check(d, d->nomask && h.apic == DIVERT_CPU,
                  "divert target of vector %d on host CPU %" PRIu32, k, h.apic);
            d->p.diverted++;
            d->diverted[k]++;
        } else {
            check(d, d->route[k].set && d->route[k].hcpu == h.apic,
                  "vector %d arrived on host CPU %" PRIu32 ", routed to CPU %" PRIu32, k, h.apic,
                  d->route[k].hcpu);
        }
        d->p.irq_vec = k;
        d->p.irq_rc = vmsix_dev_irq(d->dev, (uint16_t)k);
        check(d, d->p.irq_rc >= 0, "vmsix_dev_irq(%d) = %d", k, d->p.irq_rc);
    }
}

static int h_cfg_read(void *ctx, uint16_t off, unsigned size, uint32_t *val)
{
    struct demo *d = ctx;

    return simfn_cfg_read(d->fn, off, size, val);
}

static int h_cfg_write(void *ctx, uint16_t off, unsigned size, uint32_t val)
{
    struct demo *d = ctx;

    return simfn_cfg_write(d->fn, off, size, val);
}

/* The isolation policy: a physical destination among this guest's vCPUs,
 * fixed or lowest-priority delivery, edge, a vector the guest may use. The
 * target: the host CPU that runs that vCPU, host vector 0xa0 + vec. */
static int h_translate(void *ctx, uint16_t vec, const struct vmsix_msg *g,
                       struct vmsix_remap_target *t)
{
    struct demo *d = ctx;
    uint32_t dest = (uint32_t)(g->addr >> 12) & 0xffu, dm = (g->data >> 8) & 7u;

    if ((g->addr >> 20) != 0xfeeu || (g->addr & 0x4u) || dest >= NVCPU || dm > 1 ||
        (g->data & 0x8000u) || (g->data & 0xffu) < 0x10u || vec >= MAX_VEC) {
        d->refusals++;
        return -EPERM;
    }
    memset(t, 0, sizeof(*t));
    t->vector = HOST_VEC0 + vec;
    t->dest = host_apic[dest];
    t->delivery = (uint8_t)dm;
    d->idt[HOST_VEC0 + vec] = vec; /* the handler of that host vector */
    d->route[vec].set = true;
    d->route[vec].hvec = (uint8_t)t->vector;
    d->route[vec].hcpu = t->dest;
    d->translations++;
    return 0;
}

/* Software masking: the host target that holds vector @vec's messages
 * while the guest has it masked, host vector 0xc0 + vec on host CPU 0,
 * whose handler (host_run_irqs) calls vmsix_dev_irq(vec). */
static int h_divert(void *ctx, uint16_t vec, struct vmsix_remap_target *t)
{
    struct demo *d = ctx;

    if (vec >= MAX_VEC)
        return -EINVAL;
    memset(t, 0, sizeof(*t));
    t->vector = DIVERT_VEC0 + vec;
    t->dest = DIVERT_CPU;
    d->idt[DIVERT_VEC0 + vec] = vec; /* the handler of that host vector */
    return 0;
}

/* The guest's local APIC receives the guest's message. */
static void h_inject(void *ctx, uint16_t vec, const struct vmsix_msg *g)
{
    struct demo *d = ctx;
    uint8_t vcpu = (uint8_t)(g->addr >> 12), gvec = (uint8_t)g->data;

    d->p.injected++;
    d->p.inj_vec = vec;
    d->p.gvec = gvec;
    d->p.vcpu = vcpu;
    if (vec < MAX_VEC) {
        d->del[vec].count++;
        d->del[vec].gvec = gvec;
        d->del[vec].vcpu = vcpu;
        /* the host route of the last message the unit delivered (a pending
         * one that vmsix injects on unmask came through none) */
        if (d->p.hvec) {
            d->del[vec].hvec = d->p.hvec;
            d->del[vec].hcpu = d->p.hcpu;
            d->del[vec].irte = d->p.irte;
        }
    }
    if (check(d, vcpu < NVCPU, "injected to vCPU %u, not the guest's", vcpu))
        d->guest_irr[vcpu]++;
}

/* Where the table BAR decodes: the host moves its trap there (or removes
 * it). A real host checks the address against the guest's RAM and BARs. */
static void h_bar_moved(void *ctx, unsigned bar, uint64_t old_addr, uint64_t new_addr)
{
    struct demo *d = ctx;

    (void)bar;
    (void)old_addr;
    d->trap_set = new_addr != VMSIX_BAR_UNMAPPED;
    d->trap_base = d->trap_set ? new_addr : 0;
}

/* vmsix names each failed step; the demo's story has none, so any line is
 * worth seeing. */
static void h_log(void *ctx, int level, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "vmsix-demo: vmsix log %d: %s\n", level, msg);
}

static const struct vmsix_dev_ops dev_ops = {
    .size = sizeof(struct vmsix_dev_ops),
    .cfg_read = h_cfg_read,
    .cfg_write = h_cfg_write,
    .translate = h_translate,
    .inject = h_inject,
    .bar_moved = h_bar_moved,
    .log = h_log,
};

static int vtd_invalidate(void *ctx, const uint64_t desc[2])
{
    (void)ctx;
    (void)desc;
    return 0; /* the simulated unit has no cache: done at once */
}

static const struct vmsix_vtd_ops vtd_ops = {
    .size = sizeof(struct vmsix_vtd_ops),
    .invalidate = vtd_invalidate,
};

/* The unit's one 128-bit store of a live entry, counted: software masking
 * switches a present entry between the guest's target and the divert
 * target this way (the built-in cmpxchg16b does it on x86-64 without a
 * hook; the demo gives one everywhere, to count the stores). The demo has
 * one thread, so no reader sees the entry between the two qwords. */
static void vtd_store128(void *ctx, void *entry, const uint64_t val[2])
{
    struct demo *d = ctx;
    uint64_t *e = entry;

    d->stores128++;
    e[0] = val[0];
    e[1] = val[1];
}

static const struct vmsix_vtd_ops vtd_ops_store128 = {
    .size = sizeof(struct vmsix_vtd_ops),
    .invalidate = vtd_invalidate,
    .store128 = vtd_store128,
};

/* The AMD-Vi command queue: no cache either; COMPLETION_WAIT stores its
 * data at the semaphore, as the IOMMU does when the commands before it
 * are done. */
static int amdvi_command(void *ctx, const uint64_t cmd[2])
{
    struct demo *d = ctx;

    if ((cmd[0] >> 60) == VMSIX_AMDVI_CMD_COMPLETION_WAIT && (cmd[0] & VMSIX_AMDVI_CW_STORE))
        d->cw_sem = cmd[1];
    return 0;
}

static const struct vmsix_amdvi_ops amdvi_ops = {
    .size = sizeof(struct vmsix_amdvi_ops),
    .command = amdvi_command,
};

/* ---- the guest's accesses, through the host's traps ---- */

static uint32_t gcfg(struct demo *d, uint16_t off, unsigned size)
{
    uint32_t v = 0;
    int rc = vmsix_dev_cfg_read(d->dev, off, size, &v);

    check(d, rc == 0, "guest config read %#x/%u: %d", off, size, rc);
    host_run_irqs(d);
    return v;
}

static void gcfg_w(struct demo *d, uint16_t off, unsigned size, uint32_t v)
{
    int rc = vmsix_dev_cfg_write(d->dev, off, size, v);

    check(d, rc == 0, "guest config write %#x/%u = %#x: %d", off, size, v, rc);
    host_run_irqs(d);
}

static bool trapped(struct demo *d, uint64_t gpa, unsigned size, uint64_t *off)
{
    struct vmsix_dev_state st;

    vmsix_dev_get_state(d->dev, &st);
    if (!check(d, d->trap_set && gpa >= d->trap_base && gpa + size <= d->trap_base + st.bar_size,
               "guest MMIO at %#" PRIx64 " is not in the trapped table BAR", gpa))
        return false;
    *off = gpa - d->trap_base;
    return true;
}

static uint64_t gmem_r(struct demo *d, uint64_t gpa, unsigned size)
{
    uint64_t off, v = 0;

    if (trapped(d, gpa, size, &off)) {
        int rc = vmsix_dev_mmio_read(d->dev, off, size, &v);
        check(d, rc == 0, "guest MMIO read %#" PRIx64 ": %d", gpa, rc);
    }
    host_run_irqs(d);
    return v;
}

static void gmem_w(struct demo *d, uint64_t gpa, unsigned size, uint64_t v)
{
    uint64_t off;

    if (trapped(d, gpa, size, &off)) {
        int rc = vmsix_dev_mmio_write(d->dev, off, size, v);
        check(d, rc == 0, "guest MMIO write %#" PRIx64 " = %#" PRIx64 ": %d", gpa, v, rc);
    }
    host_run_irqs(d);
}

static uint64_t entry_gpa(const struct demo *d, unsigned k, unsigned field)
{
    return d->g.bar_addr[d->g.table_bir] + d->g.table_off + 16u * k + field;
}

/* ---- the invariants, checked after every step ---- */

static unsigned popcount32(uint32_t v)
{
    unsigned n = 0;

    for (; v; v &= v - 1)
        n++;
    return n;
}

static void verify(struct demo *d, const char *when)
{
    struct vmsix_dev_state st;
    uint32_t mc, mask;
    bool enabled, fmask;
    unsigned present = 0;

    vmsix_dev_get_state(d->dev, &st);
    if (vmsix_dev_cfg_read(d->dev, (uint16_t)(st.msi_off + 2), 2, &mc))
        mc = 0;
    enabled = mc & VMSIX_MSIX_CTRL_ENABLE;
    fmask = mc & VMSIX_MSIX_CTRL_FMASK;
    mask = d->nomask ? 0 : phys(d, msi_mask_reg(d), 4); /* no mask register without them */
    if (st.phys_enabled) {
        struct vmsix_msg want = composed(d, st.block.base);
        uint32_t pmc = phys(d, (uint16_t)(st.msi_off + 2), 2);
        unsigned mme = (pmc >> 4) & 7u;

        /* AMD-Vi: the function replaces the data's low bits with k */
        check(d, !d->amdvi || (st.block.base & (st.block.count - 1)) == 0,
              "%s: block at %" PRIu32 " not aligned to its %" PRIu32 " entries", when,
              st.block.base, st.block.count);
        check(d, pmc & 1u, "%s: physical MSI not enabled", when);
        check(d, (1u << mme) == st.nvec && (1u << mme) <= st.block.count,
              "%s: MME %u for %u vectors, block %u", when, mme, st.nvec, st.block.count);
        check(d, phys_msi_addr(d) == want.addr && phys(d, msi_data_reg(d), 2) == want.data,
              "%s: the physical MSI is not the composed message", when);
        check(d, d->pool_free0 - vmsix_irte_free_count(d->pool) == st.block.count,
              "%s: pool use is not the block", when);
        check(d, phys(d, 0x04, 2) & 0x0400u, "%s: INTx not disabled at the function", when);
    } else {
        check(d, vmsix_irte_free_count(d->pool) == d->pool_free0, "%s: pool not at its start",
              when);
        check(d, !(phys(d, (uint16_t)(st.msi_off + 2), 2) & 1u), "%s: physical MSI enabled", when);
    }
    for (uint32_t i = 0; i < d->nent; i++) {
        struct entry e;
        uint64_t ctrl;
        unsigned k;

        entry_read(d, i, &e);
        if (!check(d, e.clean, "%s: IRTE %u malformed", when, i))
            continue;
        if (!e.present)
            continue;
        present++;
        if (!check(d, st.phys_enabled && i >= st.block.base && i < st.block.base + st.nvec,
                   "%s: IRTE %u present outside the block", when, i))
            continue;
        k = i - st.block.base;
        check(d, e.src_ok, "%s: IRTE %u: SVT %u SQ %u SID %#x", when, i, e.svt, e.sq, e.sid);
        check(d, !e.posted && e.delivery <= VMSIX_REMAP_DLM_LOWPRI,
              "%s: IRTE %u: delivery %u posted %d", when, i, e.delivery, e.posted);
        if (vmsix_dev_mmio_read(d->dev, 16u * k + 12, 4, &ctrl))
            ctrl = 1;
        if (d->nomask && (!enabled || fmask || (ctrl & 1u))) {
            /* software masking: a masked vector's entry is its divert
             * target, so that its messages pend instead of reaching the
             * guest */
            check(d, e.vector == DIVERT_VEC0 + k && e.dest == DIVERT_CPU && e.delivery == 0,
                  "%s: IRTE %u of masked vector %u: vector %#x dest %#x, not its divert target",
                  when, i, k, e.vector, e.dest);
            continue;
        }
        check(d, enabled && !fmask && !(ctrl & 1u), "%s: IRTE %u present for masked vector %u",
              when, i, k);
        check(d, e.vector == HOST_VEC0 + k && e.dest == host_apic[d->g.vcpu[k]],
              "%s: IRTE %u: vector %#x dest %#x, not vector %u's target", when, i, e.vector, e.dest,
              k);
    }
    if (d->nomask)
        /* the function sends any enabled message at any time: each has an
         * entry, live or diverted, or it would be lost */
        check(d, present == (st.phys_enabled ? st.nvec : 0u),
              "%s: %u IRTEs present, %u vectors enabled at the function", when, present,
              st.phys_enabled ? st.nvec : 0u);
    else
        check(d, present == popcount32(st.active), "%s: %u IRTEs present, %u vectors active", when,
              present, popcount32(st.active));
    for (unsigned k = 0; k < st.nvec && st.phys_enabled; k++) {
        uint64_t ctrl;
        bool masked;
        if (vmsix_dev_mmio_read(d->dev, 16u * k + 12, 4, &ctrl))
            ctrl = 1;
        masked = !enabled || fmask || (ctrl & 1u);
        if (d->nomask)
            check(d, masked == !(st.active & (1u << k)) && masked == !!(st.mask & (1u << k)),
                  "%s: vector %u masked %d for the guest, active %d, diverted %d", when, k, masked,
                  !!(st.active & (1u << k)), !!(st.mask & (1u << k)));
        else if (masked)
            check(d, mask & (1u << k), "%s: vector %u masked for the guest, not at the function",
                  when, k);
    }
    check(d, d->strays == 0 && d->refusals == 0, "%s: stray interrupts or refused messages", when);
}

/* ---- the guest driver ---- */

static const char *cap_name(uint8_t id)
{
    switch (id) {
    case 0x01:
        return "Power Management";
    case 0x03:
        return "VPD";
    case 0x05:
        return "MSI";
    case 0x09:
        return "Vendor Specific";
    case 0x10:
        return "PCI Express";
    case 0x11:
        return "MSI-X";
    case 0x12:
        return "SATA";
    case 0x13:
        return "AF";
    default:
        return "?";
    }
}

static const char *ext_cap_name(uint16_t id)
{
    switch (id) {
    case 0x0001:
        return "AER";
    case 0x0002:
        return "VC";
    case 0x0003:
        return "Device Serial Number";
    case 0x0004:
        return "Power Budgeting";
    case 0x000b:
        return "Vendor Specific";
    case 0x000e:
        return "ARI";
    case 0x0010:
        return "SR-IOV";
    case 0x0018:
        return "LTR";
    case 0x001e:
        return "L1 PM Substates";
    default:
        return "?";
    }
}

static const char *size_str(uint64_t size, char *buf, size_t len)
{
    if (size >= 0x100000 && !(size & 0xfffff))
        snprintf(buf, len, "%" PRIu64 " MiB", size >> 20);
    else if (size >= 0x400 && !(size & 0x3ff))
        snprintf(buf, len, "%" PRIu64 " KiB", size >> 10);
    else
        snprintf(buf, len, "%" PRIu64 " bytes", size);
    return buf;
}

struct guest_bar {
    unsigned slot;
    bool io, is64, pref;
    uint64_t size;
};

/* Size every BAR (decoding off, all ones, read, restore), then place them
 * from the top of the 32-bit window down in size order, as firmware or
 * Linux's resource assignment would, and turn decoding on. */
static void guest_bars(struct demo *d)
{
    struct vmsix_dev_state st;
    struct guest_bar bars[6];
    unsigned n = 0;
    uint32_t cmd = gcfg(d, 0x04, 2);
    uint64_t mem = MEM_WINDOW, io = IO_WINDOW;
    char buf[32];

    vmsix_dev_get_state(d->dev, &st);
    gcfg_w(d, 0x04, 2, cmd & ~0x3u);
    for (unsigned s = 0; s < 6; s++) {
        uint16_t off = (uint16_t)(0x10 + 4 * s);
        uint32_t orig = gcfg(d, off, 4), sz, hi = 0xffffffffu;
        uint64_t mask;

        gcfg_w(d, off, 4, 0xffffffffu);
        sz = gcfg(d, off, 4);
        gcfg_w(d, off, 4, orig);
        if (sz == 0)
            continue; /* unimplemented */
        bars[n].slot = s;
        bars[n].io = orig & 1u;
        bars[n].is64 = !bars[n].io && ((orig >> 1) & 3u) == 2u;
        bars[n].pref = !bars[n].io && (orig & 8u);
        if (bars[n].is64 && s < 5) {
            uint32_t orig_hi = gcfg(d, (uint16_t)(off + 4), 4);
            gcfg_w(d, (uint16_t)(off + 4), 4, 0xffffffffu);
            hi = gcfg(d, (uint16_t)(off + 4), 4);
            gcfg_w(d, (uint16_t)(off + 4), 4, orig_hi);
        }
        mask = bars[n].io ? (0xffff0000u | (sz & ~0x3u)) : ((uint64_t)hi << 32 | (sz & ~0xfu));
        bars[n].size = ~mask + 1u;
        if (bars[n].is64)
            s++;
        n++;
    }
    /* largest first, each aligned to its size */
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = i + 1; j < n; j++)
            if (bars[j].size > bars[i].size) {
                struct guest_bar t = bars[i];
                bars[i] = bars[j];
                bars[j] = t;
            }
    for (unsigned i = 0; i < n; i++) {
        uint64_t *next = bars[i].io ? &io : &mem;
        uint64_t a = (*next + bars[i].size - 1) & ~(bars[i].size - 1);
        uint16_t off = (uint16_t)(0x10 + 4 * bars[i].slot);
        bool emulated = bars[i].slot == st.table_bar;

        *next = a + bars[i].size;
        gcfg_w(d, off, 4, (uint32_t)a);
        if (bars[i].is64)
            gcfg_w(d, (uint16_t)(off + 4), 4, (uint32_t)(a >> 32));
        d->g.bar_addr[bars[i].slot] = a;
        d->g.bar_size[bars[i].slot] = bars[i].size;
        say(d, "  BAR%u: %s, %s -> %#" PRIx64 "%s\n", bars[i].slot,
            bars[i].io     ? "I/O"
            : bars[i].is64 ? (bars[i].pref ? "64-bit prefetchable memory" : "64-bit memory")
                           : (bars[i].pref ? "32-bit prefetchable memory" : "32-bit memory"),
            size_str(bars[i].size, buf, sizeof(buf)), a,
            emulated ? " (emulated by vmsix: the table BAR)" : "");
        if (emulated) {
            check(d, !bars[i].io && !bars[i].is64 && bars[i].size == st.bar_size,
                  "the table BAR sizes to %#" PRIx64 ", not %#" PRIx32, bars[i].size, st.bar_size);
            /* placed, but not decoding before Memory Space Enable */
            check(d, !d->trap_set, "bar_moved reported a BAR that does not decode");
        }
    }
    gcfg_w(d, 0x04, 2, cmd | 0x2u | 0x4u | (io != IO_WINDOW ? 0x1u : 0));
    uint64_t table_at = d->g.bar_addr[st.table_bar];
    check(d, d->trap_set && d->trap_base == table_at, "bar_moved did not report %#" PRIx64,
          table_at);
    say(d, "  the guest sets Memory Space Enable\n");
    say(d, "    bar_moved(%u, unmapped -> %#" PRIx64 "): the host traps the table BAR there\n",
        st.table_bar, d->trap_base);
    check(d, d->g.bar_size[st.table_bar] == st.bar_size, "the guest did not find the table BAR");
    verify(d, "BARs");
}

/* Walk the capability lists through the guest view; find MSI-X. */
static void guest_caps(struct demo *d)
{
    struct vmsix_dev_state st;
    char line[512];
    size_t used = 0;
    unsigned n = 0;
    uint16_t ptr, exp = 0;
    bool msi_seen = false;

    vmsix_dev_get_state(d->dev, &st);
    line[0] = '\0';
    check(d, gcfg(d, 0x06, 2) & 0x10u, "Status: no capability list");
    ptr = (uint16_t)(gcfg(d, 0x34, 1) & 0xfcu);
    while (ptr >= 0x40 && n < 48) {
        uint8_t id = (uint8_t)gcfg(d, ptr, 1);
        uint16_t next = (uint16_t)(gcfg(d, (uint16_t)(ptr + 1), 1) & 0xfcu);

        used += (size_t)snprintf(line + used, sizeof(line) - used, "%s[%02x] %s", n ? " -> " : "",
                                 ptr, cap_name(id));
        if (used >= sizeof(line))
            used = sizeof(line) - 1;
        if (id == 0x11 && !d->g.msix_off)
            d->g.msix_off = ptr;
        if (id == 0x05)
            msi_seen = true;
        if (id == 0x10)
            exp = ptr;
        ptr = next;
        n++;
    }
    say(d, "  %s\n", line);
    if (exp && d->fn->len > 256) {
        uint16_t off = 0x100;
        unsigned m = 0;

        used = 0;
        line[0] = '\0';
        while (off >= 0x100 && m < 64) {
            uint32_t hdr = gcfg(d, off, 4);
            if (hdr == 0 || hdr == 0xffffffffu)
                break;
            used += (size_t)snprintf(line + used, sizeof(line) - used, "%s[%03x] %s",
                                     m ? " -> " : "", off, ext_cap_name((uint16_t)hdr));
            if (used >= sizeof(line))
                used = sizeof(line) - 1;
            off = (uint16_t)((hdr >> 20) & 0xffcu);
            m++;
        }
        if (m)
            say(d, "  extended: %s\n", line);
    }
    check(d, !msi_seen, "the guest sees an MSI capability");
    if (!check(d, d->g.msix_off == st.msi_off, "MSI-X not found where MSI was (%#x)", st.msi_off))
        return;
    uint32_t mc = gcfg(d, (uint16_t)(d->g.msix_off + 2), 2);
    uint32_t tab = gcfg(d, (uint16_t)(d->g.msix_off + 4), 4);
    uint32_t pba = gcfg(d, (uint16_t)(d->g.msix_off + 8), 4);
    d->g.nvec = (mc & VMSIX_MSIX_CTRL_QSIZE) + 1u;
    d->g.table_bir = tab & 7u;
    d->g.table_off = tab & ~7u;
    d->g.pba_bir = pba & 7u;
    d->g.pba_off = pba & ~7u;
    say(d,
        "  MSI-X at %#x: Message Control 0x%04x (Table Size %u), table BAR%u + 0x%x, "
        "PBA BAR%u + 0x%x\n",
        d->g.msix_off, mc, d->g.nvec, d->g.table_bir, d->g.table_off, d->g.pba_bir, d->g.pba_off);
    check(d, d->g.nvec == d->nvec, "Table Size %u, not %u", d->g.nvec, d->nvec);
    check(d,
          d->g.table_bir == st.table_bar && d->g.pba_bir == st.table_bar && d->g.table_off == 0 &&
              d->g.pba_off == st.bar_size / 2,
          "table/PBA location");
    /* the rest of the old MSI capability reads 0 */
    unsigned msi_len = 10u + (d->elig.addr64 ? 4u : 0u) + (d->elig.per_vector_mask ? 10u : 0u);
    bool zero = true;
    for (unsigned o = 12; o < msi_len; o++)
        zero = zero && gcfg(d, (uint16_t)(st.msi_off + o), 1) == 0;
    check(d, zero, "old MSI bytes visible");
    if (msi_len > 12)
        say(d, "  the old MSI bytes %#x..%#x read 0; no MSI capability is visible\n",
            st.msi_off + 12, st.msi_off + msi_len - 1);
    else /* 32-bit without mask bits: MSI-X's 12 bytes cover its 10 */
        say(d, "  MSI-X covers the old MSI bytes %#x..%#x; no MSI capability is visible\n",
            st.msi_off, st.msi_off + msi_len - 1);
    verify(d, "capabilities");
}

static void print_phys(struct demo *d)
{
    struct vmsix_dev_state st;
    uint32_t pmc = phys(d, (uint16_t)(d->elig.msi_off + 2), 2);

    vmsix_dev_get_state(d->dev, &st);
    if (d->amdvi)
        say(d, "  physical MSI: address %#" PRIx64 " (interrupt range) data 0x%04x (index %u)\n",
            phys_msi_addr(d), phys(d, msi_data_reg(d), 2), st.block.base);
    else
        say(d, "  physical MSI: address %#" PRIx64 " (remappable: handle %u, SHV) data 0x%04x\n",
            phys_msi_addr(d), st.block.base, phys(d, msi_data_reg(d), 2));
    if (d->nomask)
        say(d, "    MME %u (%u messages), Enable%c, no mask bits; INTx Disable%c at the function\n",
            (pmc >> 4) & 7u, 1u << ((pmc >> 4) & 7u), pmc & 1u ? '+' : '-',
            phys(d, 0x04, 2) & 0x400u ? '+' : '-');
    else
        say(d, "    MME %u (%u messages), Enable%c, mask 0x%08x; INTx Disable%c at the function\n",
            (pmc >> 4) & 7u, 1u << ((pmc >> 4) & 7u), pmc & 1u ? '+' : '-',
            phys(d, msi_mask_reg(d), 4), phys(d, 0x04, 2) & 0x400u ? '+' : '-');
}

/* Fire vector k at the function; returns what the function did. */
static int fire(struct demo *d, unsigned k)
{
    int rc;

    memset(&d->p, 0, sizeof(d->p));
    d->p.irq_vec = d->p.inj_vec = -1;
    rc = simfn_fire(d->fn, k);
    host_run_irqs(d);
    return rc;
}

static bool landed(struct demo *d, unsigned k)
{
    return d->p.injected == 1 && d->p.inj_vec == (int)k && d->p.gvec == GUEST_VEC0 + k &&
           d->p.vcpu == d->g.vcpu[k] && d->p.hcpu == host_apic[d->g.vcpu[k]] &&
           d->p.hvec == HOST_VEC0 + k && d->p.faults == 0;
}

static void fire_line(struct demo *d, unsigned k, const char *tail)
{
    say(d,
        "  vec %2u  guest 0x%02x/vCPU%u -> IRTE %3" PRIu32 " -> host 0x%02x/CPU%" PRIu32
        " -> vmsix_dev_irq(%d) -> 0x%02x/vCPU%u %s\n",
        k, GUEST_VEC0 + k, d->g.vcpu[k], d->p.irte, d->p.hvec, d->p.hcpu, d->p.irq_vec, d->p.gvec,
        d->p.vcpu, tail);
}

static void take_snapshot(struct demo *d)
{
    struct snapshot *s = &d->snap;

    memset(s, 0, sizeof(*s));
    s->taken = true;
    vmsix_dev_get_state(d->dev, &s->st);
    s->msi_addr = phys_msi_addr(d);
    s->msi_data = phys(d, msi_data_reg(d), 2);
    s->msi_mask = d->nomask ? 0 : phys(d, msi_mask_reg(d), 4);
    s->mme = (phys(d, (uint16_t)(d->elig.msi_off + 2), 2) >> 4) & 7u;
    s->msi_enabled = phys(d, (uint16_t)(d->elig.msi_off + 2), 2) & 1u;
    for (uint32_t i = 0; i < d->nent; i++) {
        struct entry e;
        entry_read(d, i, &e);
        s->present_total += e.present;
        if (s->st.phys_enabled && i >= s->st.block.base && i < s->st.block.base + d->nvec)
            s->irte[i - s->st.block.base] = e;
    }
    s->pool_free = vmsix_irte_free_count(d->pool);
    memcpy(s->del, d->del, sizeof(s->del));
    s->cfg_len = d->fn->len > 256 ? 4096 : 256;
    for (uint16_t o = 0; o < s->cfg_len; o += 4) {
        uint32_t v = 0xffffffffu;
        vmsix_dev_cfg_read(d->dev, o, 4, &v);
        for (unsigned i = 0; i < 4; i++)
            s->cfg[o + i] = (uint8_t)(v >> (8 * i));
    }
    check(d, s->present_total == d->nvec, "snapshot: %u IRTEs present, not %u", s->present_total,
          d->nvec);
}

/* VT-d without mask bits: the 128-bit stores since @since, as " (N 128-bit
 * stores)" for the trace; "" where the demo does not count them. */
static const char *stores_note(const struct demo *d, unsigned long since, char *buf, size_t len)
{
    unsigned long n = d->stores128 - since;

    if (d->amdvi)
        return "";
    snprintf(buf, len, " (%lu 128-bit store%s)", n, n == 1 ? "" : "s");
    return buf;
}

/* One message of vector @k that went to its divert target. */
static void divert_line(struct demo *d, unsigned k, const char *tail)
{
    say(d,
        "  vec %2u  guest 0x%02x/vCPU%u -> IRTE %3" PRIu32 " -> host 0x%02x/CPU%" PRIu32
        " (divert) -> vmsix_dev_irq(%d) -> %s\n",
        k, GUEST_VEC0 + k, d->g.vcpu[k], d->p.irte, d->p.hvec, d->p.hcpu, d->p.irq_vec, tail);
}

/* Without mask bits, [7] and [8]: the guest masks vector @m and the
 * function, which has no mask bit, sends it twice: both messages reach its
 * divert target and pend it (one PBA bit); the unmask switches the entry
 * back and vmsix delivers the pending message once. */
static void story_masked_nomask(struct demo *d, unsigned m, uint64_t pba_gpa, unsigned step)
{
    struct entry e;
    struct vmsix_dev_state st;
    unsigned long before = d->del[m].count, st0 = d->stores128;
    unsigned sent = 0, pended = 0;
    uint64_t pba;
    char buf[48];

    vmsix_dev_get_state(d->dev, &st);
    say(d, "[%u] the guest masks vector %u; the function, which has no mask bit, fires it twice\n",
        step, m);
    gmem_w(d, entry_gpa(d, m, 12), 4, gmem_r(d, entry_gpa(d, m, 12), 4) | 1u);
    verify(d, "mask");
    entry_read(d, st.block.base + m, &e);
    check(d, d->amdvi || d->stores128 - st0 == 1, "mask of %u: %lu stores", m, d->stores128 - st0);
    say(d, "  IRTE %" PRIu32 " switched to the divert target, host 0x%02x/CPU%u%s\n",
        st.block.base + m, e.vector, DIVERT_CPU, stores_note(d, st0, buf, sizeof(buf)));
    for (unsigned i = 0; i < 2; i++) {
        int rc = fire(d, m);
        bool ok = rc == 1 && d->p.emitted == 1 && d->p.diverted == 1 && d->p.irq_rc == 0 &&
                  d->p.injected == 0 && d->p.hvec == DIVERT_VEC0 + m && d->p.hcpu == DIVERT_CPU;

        check(d, ok, "masked vector %u: sent %d, diverted %u, vmsix_dev_irq %d, injected %u", m, rc,
              d->p.diverted, d->p.irq_rc, d->p.injected);
        sent += rc == 1;
        pended += ok;
        divert_line(d, m, ok ? "pended" : "WRONG");
    }
    pba = gmem_r(d, pba_gpa + 8u * (m / 64), 8);
    d->pended = pended == 2 && d->del[m].count == before && d->diverted[m] == 2;
    d->pba_seen = (pba >> (m % 64)) & 1u;
    check(d, d->pended, "masked vector %u: %u of 2 pended, %lu delivered", m, pended,
          d->del[m].count - before);
    check(d, d->pba_seen, "PBA bit %u not set: %#" PRIx64, m, pba);
    say(d,
        "  %u messages held for the guest, nothing delivered; PBA qword %u = 0x%016" PRIx64
        ": bit %u set\n",
        sent, m / 64, pba, m % 64);
    verify(d, "diverted");

    say(d, "[%u] the guest unmasks vector %u\n", step + 1, m);
    st0 = d->stores128;
    memset(&d->p, 0, sizeof(d->p));
    d->p.irq_vec = d->p.inj_vec = -1;
    gmem_w(d, entry_gpa(d, m, 12), 4, gmem_r(d, entry_gpa(d, m, 12), 4) & ~1u);
    pba = gmem_r(d, pba_gpa + 8u * (m / 64), 8);
    entry_read(d, st.block.base + m, &e);
    check(d, d->amdvi || d->stores128 - st0 == 1, "unmask of %u: %lu stores", m,
          d->stores128 - st0);
    say(d, "  IRTE %" PRIu32 " switched back to host 0x%02x/CPU%" PRIu32 "%s\n", st.block.base + m,
        e.vector, e.dest, stores_note(d, st0, buf, sizeof(buf)));
    /* vmsix injects the pending message itself: the function sends nothing */
    d->once_on_unmask = d->p.emitted == 0 && d->p.injected == 1 && d->p.inj_vec == (int)m &&
                        d->p.gvec == GUEST_VEC0 + m && d->p.vcpu == d->g.vcpu[m] &&
                        d->del[m].count == before + 1 && !((pba >> (m % 64)) & 1u);
    check(d, d->once_on_unmask, "unmask of %u: %u sent, %lu delivered, PBA %#" PRIx64, m,
          d->p.emitted, d->del[m].count - before, pba);
    say(d, "  vec %2u  pending -> vmsix injects 0x%02x/vCPU%u %s (%u messages, one pending bit)\n",
        m, d->p.gvec, d->p.vcpu, d->once_on_unmask ? "delivered once" : "WRONG", sent);
    say(d, "  PBA qword %u = 0x%016" PRIx64 "\n", m / 64, pba);
    verify(d, "unmask pending");
}

/* Without mask bits: the guest rewrites the Message Address of live
 * vector @r (a guest may; Linux masks first): the entry switches to the new
 * target in place, present before and after, no other entry touched, and
 * the next message lands on the new vCPU. */
static void story_live_rewrite(struct demo *d, unsigned r, unsigned step)
{
    struct vmsix_dev_state st;
    struct entry before_e[MAX_VEC], e;
    unsigned long before = d->del[r].count, st0 = d->stores128;
    bool others_same = true;
    char buf[48];
    int rc;

    vmsix_dev_get_state(d->dev, &st);
    d->rewrite_from = d->g.vcpu[r];
    d->rewrite_to = (d->rewrite_from + 2) % NVCPU;
    say(d,
        "[%u] the guest rewrites live vector %u's Message Address, vCPU%u -> vCPU%u, without "
        "masking it\n",
        step, r, d->rewrite_from, d->rewrite_to);
    for (unsigned k = 0; k < d->nvec; k++)
        entry_read(d, st.block.base + k, &before_e[k]);
    d->g.vcpu[r] = (uint8_t)d->rewrite_to;
    gmem_w(d, entry_gpa(d, r, 0), 4, 0xfee00000u | d->rewrite_to << 12);
    for (unsigned k = 0; k < d->nvec; k++) {
        entry_read(d, st.block.base + k, &e);
        if (k != r && memcmp(e.raw, before_e[k].raw, sizeof(e.raw)))
            others_same = false;
    }
    entry_read(d, st.block.base + r, &e);
    d->rewrite_stores = d->amdvi ? -1 : (long)(d->stores128 - st0);
    d->rewrite_in_place =
        before_e[r].present && e.present && others_same && (d->amdvi || d->rewrite_stores == 1);
    check(d, d->rewrite_in_place,
          "rewrite of %u: present %d -> %d, other entries unchanged %d, %ld stores", r,
          before_e[r].present, e.present, others_same, d->rewrite_stores);
    say(d, "  IRTE %" PRIu32 " switched in place, host CPU%" PRIu32 " -> CPU%" PRIu32 "%s\n",
        st.block.base + r, before_e[r].dest, e.dest, stores_note(d, st0, buf, sizeof(buf)));
    verify(d, "rewrite");
    rc = fire(d, r);
    d->rewrite_ok = d->rewrite_in_place && rc == 1 && landed(d, r) && d->del[r].count == before + 1;
    check(d, d->rewrite_ok, "rewritten vector %u did not land on vCPU%u", r, d->rewrite_to);
    fire_line(d, r, d->rewrite_ok ? "delivered (rewritten)" : "WRONG");
}

static void story(struct demo *d)
{
    struct vmsix_dev_state st;
    unsigned n = d->nvec, m = d->masked_vec, v = d->moved_vec, r = d->rewritten_vec;
    unsigned step;
    uint16_t mc_off;
    uint32_t mc;
    uint64_t pba_gpa;
    unsigned long st0;
    char buf[48];

    say(d, "[1] the guest sizes and places the BARs\n");
    guest_bars(d);

    say(d, "[2] the guest walks its capabilities\n");
    guest_caps(d);
    if (!d->g.msix_off)
        return;
    mc_off = (uint16_t)(d->g.msix_off + 2);
    pba_gpa = d->g.bar_addr[d->g.pba_bir] + d->g.pba_off;

    say(d, "[3] the guest enables MSI-X with Function Mask set, masks every entry\n");
    mc = gcfg(d, mc_off, 2);
    gcfg_w(d, mc_off, 2, mc | VMSIX_MSIX_CTRL_ENABLE | VMSIX_MSIX_CTRL_FMASK);
    for (unsigned k = 0; k < n; k++)
        gmem_w(d, entry_gpa(d, k, 12), 4, 1);
    vmsix_dev_get_state(d->dev, &st);
    check(d, st.phys_enabled && st.block.count == n, "no block of %u entries", n);
    say(d,
        "  block reserved: IRTE %" PRIu32 "..%" PRIu32 " (%" PRIu32 " entries); pool %" PRIu32
        " -> %" PRIu32 " free\n",
        st.block.base, st.block.base + st.block.count - 1, st.block.count, d->pool_free0,
        vmsix_irte_free_count(d->pool));
    if (d->nomask)
        say(d,
            "  every IRTE present before MSI Enable, at its divert target: IRTE %" PRIu32
            " + k -> host 0x%02x + k/CPU%u\n",
            st.block.base, DIVERT_VEC0, DIVERT_CPU);
    print_phys(d);
    verify(d, "enable");

    say(d, "[4] the guest programs %u entries: vector %#x + k, vCPU k %% %u, fixed delivery\n", n,
        GUEST_VEC0, NVCPU);
    for (unsigned k = 0; k < n; k++) {
        d->g.vcpu[k] = (uint8_t)(k % NVCPU);
        gmem_w(d, entry_gpa(d, k, 0), 4, 0xfee00000u | (uint32_t)d->g.vcpu[k] << 12);
        gmem_w(d, entry_gpa(d, k, 4), 4, 0);
        gmem_w(d, entry_gpa(d, k, 8), 4, GUEST_VEC0 + k);
        verify(d, "program");
    }
    say(d, "  entry 0: address 0xfee00000 data 0x%08x ... entry %u: address 0x%08x data 0x%08x\n",
        GUEST_VEC0, n - 1, 0xfee00000u | (uint32_t)d->g.vcpu[n - 1] << 12, GUEST_VEC0 + n - 1);
    say(d, "  the guest sets INTx Disable, as Linux does when MSI-X is on\n");
    gcfg_w(d, 0x04, 2, gcfg(d, 0x04, 2) | 0x0400u);
    verify(d, "intx");

    say(d, "[5] the guest clears Function Mask and unmasks every entry\n");
    st0 = d->stores128;
    gcfg_w(d, mc_off, 2, gcfg(d, mc_off, 2) & ~VMSIX_MSIX_CTRL_FMASK);
    verify(d, "fmask clear");
    for (unsigned k = 0; k < n; k++) {
        gmem_w(d, entry_gpa(d, k, 12), 4, gmem_r(d, entry_gpa(d, k, 12), 4) & ~1u);
        verify(d, "unmask");
    }
    vmsix_dev_get_state(d->dev, &st);
    check(d, st.active == (n == 32 ? 0xffffffffu : (1u << n) - 1u), "active %#x", st.active);
    if (d->nomask) {
        /* each entry went from its divert target to the guest's, live */
        check(d, d->amdvi || d->stores128 - st0 == n, "unmask: %lu stores for %u entries",
              d->stores128 - st0, n);
        say(d, "  %u vectors active; %u IRTEs switched from the divert target to the guest's%s\n",
            popcount32(st.active), n, stores_note(d, st0, buf, sizeof(buf)));
    } else {
        check(d, (phys(d, msi_mask_reg(d), 4) & ((n == 32) ? 0xffffffffu : (1u << n) - 1u)) == 0,
              "physical mask bits left set");
        say(d, "  %u vectors active; physical mask 0x%08x; %u IRTEs present\n",
            popcount32(st.active), phys(d, msi_mask_reg(d), 4), n);
    }
    {
        struct entry e;

        entry_read(d, st.block.base, &e);
        if (d->amdvi)
            say(d,
                "  IRTE %" PRIu32 " of DeviceID 0x%04x = 0x%08" PRIx64 ":\n"
                "    RemapEn, vector 0x%02x, dest APIC %" PRIu32 ", %s, physical\n",
                st.block.base, d->rid, e.raw[0], e.vector, e.dest,
                e.delivery ? "arbitrated" : "fixed");
        else
            say(d,
                "  IRTE %" PRIu32 " = 0x%016" PRIx64 "_%016" PRIx64 ":\n"
                "    present, SVT %u, SQ %u, SID 0x%04x, vector 0x%02x, dest APIC %" PRIu32
                ", %s%s\n",
                st.block.base, e.raw[1], e.raw[0], e.svt, e.sq, e.sid, e.vector, e.dest,
                e.delivery ? "lowest priority" : "fixed",
                e.posted ? ", posted" : ", remapped format");
    }
    say(d, "[6] the function fires every vector (message k = data | k -> IRTE %" PRIu32 " + k)\n",
        st.block.base);
    d->round_ok = 0;
    for (unsigned k = 0; k < n; k++) {
        int rc = fire(d, k);
        bool ok = rc == 1 && landed(d, k) && d->del[k].count == 1;

        check(d, ok, "vector %u: sent %d, injected %u (vector %d, guest %#x/vCPU%u)", k, rc,
              d->p.injected, d->p.inj_vec, d->p.gvec, d->p.vcpu);
        d->round_ok += ok;
        fire_line(d, k, ok ? "delivered" : "WRONG");
    }
    verify(d, "fire all");

    if (d->nomask) {
        story_masked_nomask(d, m, pba_gpa, 7);
    } else {
        say(d, "[7] the guest masks vector %u; the function fires it\n", m);
        gmem_w(d, entry_gpa(d, m, 12), 4, gmem_r(d, entry_gpa(d, m, 12), 4) | 1u);
        verify(d, "mask");
        unsigned long before = d->del[m].count;
        int rc = fire(d, m);
        uint64_t pba = gmem_r(d, pba_gpa + 8u * (m / 64), 8);
        uint32_t ppend = phys(d, msi_pending_reg(d), 4);

        d->pended = rc == 0 && d->p.emitted == 0 && d->del[m].count == before;
        d->pba_seen = (pba >> (m % 64)) & 1u;
        check(d, d->pended, "masked vector %u: fire %d, delivered %lu", m, rc,
              d->del[m].count - before);
        check(d, d->pba_seen, "PBA bit %u not set: %#" PRIx64, m, pba);
        check(d, (ppend >> m) & 1u, "MSI Pending bit %u not set at the function", m);
        say(d,
            "  held at the function (MSI Pending bits 0x%08x), nothing delivered\n"
            "  the guest reads PBA qword %u = 0x%016" PRIx64 ": bit %u set\n",
            ppend, m / 64, pba, m % 64);

        say(d, "[8] the guest unmasks vector %u\n", m);
        memset(&d->p, 0, sizeof(d->p));
        d->p.irq_vec = d->p.inj_vec = -1;
        gmem_w(d, entry_gpa(d, m, 12), 4, gmem_r(d, entry_gpa(d, m, 12), 4) & ~1u);
        pba = gmem_r(d, pba_gpa + 8u * (m / 64), 8);
        d->once_on_unmask = d->p.emitted == 1 && landed(d, m) && d->del[m].count == before + 1 &&
                            !((pba >> (m % 64)) & 1u);
        check(d, d->once_on_unmask, "unmask of %u: %u sent, %lu delivered, PBA %#" PRIx64, m,
              d->p.emitted, d->del[m].count - before, pba);
        fire_line(d, m, d->once_on_unmask ? "delivered once" : "WRONG");
        say(d, "  PBA qword %u = 0x%016" PRIx64 "\n", m / 64, pba);
        verify(d, "unmask pending");
    }

    d->move_from = d->g.vcpu[v];
    d->move_to = (d->move_from + 1) % NVCPU;
    say(d, "[9] the guest moves vector %u from vCPU%u to vCPU%u (mask, new address, unmask)\n", v,
        d->move_from, d->move_to);
    {
        uint32_t ctrl = (uint32_t)gmem_r(d, entry_gpa(d, v, 12), 4);
        unsigned long before = d->del[v].count;
        int rc;

        gmem_w(d, entry_gpa(d, v, 12), 4, ctrl | 1u);
        d->g.vcpu[v] = (uint8_t)d->move_to;
        verify(d, "move: masked");
        gmem_w(d, entry_gpa(d, v, 0), 4, 0xfee00000u | d->move_to << 12);
        gmem_w(d, entry_gpa(d, v, 4), 4, 0);
        gmem_w(d, entry_gpa(d, v, 8), 4, GUEST_VEC0 + v);
        gmem_w(d, entry_gpa(d, v, 12), 4, ctrl & ~1u);
        verify(d, "move");
        rc = fire(d, v);
        d->move_ok = rc == 1 && landed(d, v) && d->del[v].count == before + 1;
        check(d, d->move_ok, "moved vector %u did not land on vCPU%u", v, d->move_to);
        fire_line(d, v, d->move_ok ? "delivered (moved)" : "WRONG");
    }
    step = 10;
    if (d->nomask)
        story_live_rewrite(d, r, step++);

    /* expected deliveries: one each, one more for the pending check, one
     * more for the move, and without mask bits one more for the rewrite */
    for (unsigned k = 0; k < n; k++)
        d->del[k].expected = 1 + (k == m) + (k == v) + (d->nomask && k == r);
    for (unsigned k = 0; k < n; k++)
        check(d, d->del[k].count == d->del[k].expected, "vector %u: %lu deliveries, expected %lu",
              k, d->del[k].count, d->del[k].expected);
    take_snapshot(d);

    say(d, "[%u] the guest masks every entry, disables MSI-X and clears INTx Disable\n", step);
    for (unsigned k = 0; k < n; k++)
        gmem_w(d, entry_gpa(d, k, 12), 4, gmem_r(d, entry_gpa(d, k, 12), 4) | 1u);
    verify(d, "mask all");
    gcfg_w(d, mc_off, 2, gcfg(d, mc_off, 2) & ~VMSIX_MSIX_CTRL_ENABLE);
    gcfg_w(d, 0x04, 2, gcfg(d, 0x04, 2) & ~0x0400u);
    verify(d, "disable");
    vmsix_dev_get_state(d->dev, &st);
    check(d, !st.phys_enabled && vmsix_irte_free_count(d->pool) == d->pool_free0,
          "disable: pool at %" PRIu32 ", not %" PRIu32, vmsix_irte_free_count(d->pool),
          d->pool_free0);
    check(d, !(phys(d, 0x04, 2) & 0x0400u), "INTx Disable left set at the function");
    say(d, "  block released: pool back to %" PRIu32 " free; no IRTE present; ",
        vmsix_irte_free_count(d->pool));
    say(d, "physical MSI Enable%c, INTx Disable%c\n",
        phys(d, (uint16_t)(d->elig.msi_off + 2), 2) & 1u ? '+' : '-',
        phys(d, 0x04, 2) & 0x400u ? '+' : '-');
}

/* ---- JSON ---- */

static void print_json(struct demo *d)
{
    const struct snapshot *s = &d->snap;
    unsigned n = d->nvec;

    printf("{\n");
    printf("  \"iommu\": \"%s\",\n", d->amdvi ? "amdvi" : "vtd");
    printf("  \"masking\": \"%s\",\n", d->nomask ? "software" : "function");
    printf("  \"device\": {\"source\": \"%s\", \"slot\": \"%04x:%02x:%02x.%x\", "
           "\"vendor\": %u, \"device\": %u, \"sid\": %u, \"vectors\": %u, "
           "\"function_vectors\": %u, \"msi_offset\": %u, \"addr64\": %s, "
           "\"per_vector_mask\": %s, \"table_bar\": %u, \"bar_size\": %" PRIu32 "},\n",
           d->dump_path ? "dump" : "synthetic", d->addr.domain, d->addr.bus, d->addr.dev,
           d->addr.fn, d->vendor, d->device, d->rid, n, d->elig.vectors, d->elig.msi_off,
           d->elig.addr64 ? "true" : "false", d->elig.per_vector_mask ? "true" : "false",
           s->st.table_bar, s->st.bar_size);
    printf("  \"snapshot\": \"after the last vector checks, before the final disable\",\n");
    printf("  \"block\": {\"base\": %" PRIu32 ", \"size\": %" PRIu32 "},\n", s->st.block.base,
           s->st.block.count);
    printf("  \"physical_msi\": {\"addr\": %" PRIu64 ", \"data\": %" PRIu32
           ", \"mme\": %u, \"enabled\": %s, \"mask\": ",
           s->msi_addr, s->msi_data, s->mme, s->msi_enabled ? "true" : "false");
    if (d->nomask)
        printf("null},\n"); /* no mask register */
    else
        printf("%" PRIu32 "},\n", s->msi_mask);
    printf("  \"%s\": {\"entries\": %u, \"reserved\": %u, \"present\": %u, "
           "\"pool_free_start\": %" PRIu32 ", \"pool_free_snapshot\": %" PRIu32
           ", \"pool_free_end\": %" PRIu32 "},\n",
           d->amdvi ? "amdvi" : "vtd", d->nent, d->amdvi ? AMD_RESERVED : IOAPIC_ENTRIES,
           s->present_total, d->pool_free0, s->pool_free, vmsix_irte_free_count(d->pool));
    printf("  \"irtes\": [\n");
    for (unsigned k = 0; k < n; k++) {
        const struct entry *e = &s->irte[k];
        if (d->amdvi)
            /* no source fields: the table is the DeviceID's */
            printf("    {\"index\": %" PRIu32 ", \"vector_of_device\": %u, \"devid\": %u, "
                   "\"remap_en\": %s, \"vector\": %u, \"dest\": %" PRIu32
                   ", \"int_type\": %u, \"raw\": %" PRIu64 "}%s\n",
                   s->st.block.base + k, k, d->rid, e->present ? "true" : "false", e->vector,
                   e->dest, e->delivery, e->raw[0], k + 1 < n ? "," : "");
        else
            printf("    {\"index\": %" PRIu32 ", \"vector_of_device\": %u, \"present\": %s, "
                   "\"svt\": %u, \"sq\": %u, \"sid\": %u, \"vector\": %u, \"dest\": %" PRIu32
                   ", \"delivery_mode\": %u, \"posted\": %s}%s\n",
                   s->st.block.base + k, k, e->present ? "true" : "false", e->svt, e->sq, e->sid,
                   e->vector, e->dest, e->delivery, e->posted ? "true" : "false",
                   k + 1 < n ? "," : "");
    }
    printf("  ],\n");
    printf("  \"deliveries\": [\n");
    for (unsigned k = 0; k < n; k++) {
        const struct delivery *x = &s->del[k];
        printf("    {\"vector\": %u, \"guest_vector\": %u, \"expected_guest_vector\": %u, "
               "\"dest\": %u, \"expected_dest\": %u, \"host_vector\": %u, \"host_cpu\": %" PRIu32
               ", \"irte\": %" PRIu32 ", \"count\": %lu, \"expected_count\": %lu}%s\n",
               k, x->gvec, GUEST_VEC0 + k, x->vcpu, d->g.vcpu[k], x->hvec, x->hcpu, x->irte,
               x->count, x->expected, k + 1 < n ? "," : "");
    }
    printf("  ],\n");
    printf("  \"pending_check\": {\"vector\": %u, \"pended\": %s, \"pba_bit_seen\": %s, "
           "\"delivered_once_on_unmask\": %s},\n",
           d->masked_vec, d->pended ? "true" : "false", d->pba_seen ? "true" : "false",
           d->once_on_unmask ? "true" : "false");
    printf("  \"move\": {\"vector\": %u, \"from\": %u, \"to\": %u, \"delivered\": %s},\n",
           d->moved_vec, d->move_from, d->move_to, d->move_ok ? "true" : "false");
    if (d->nomask) {
        /* software masking: the masked vector's messages at its divert
         * target, and the live rewrite */
        printf("  \"divert\": {\"vector\": %u, \"host_vector\": %u, \"host_cpu\": %u, "
               "\"messages\": %lu},\n",
               d->masked_vec, DIVERT_VEC0 + d->masked_vec, DIVERT_CPU, d->diverted[d->masked_vec]);
        printf("  \"live_rewrite\": {\"vector\": %u, \"from\": %u, \"to\": %u, "
               "\"in_place\": %s, \"stores_128\": ",
               d->rewritten_vec, d->rewrite_from, d->rewrite_to,
               d->rewrite_in_place ? "true" : "false");
        if (d->rewrite_stores < 0)
            printf("null");
        else
            printf("%ld", d->rewrite_stores);
        printf(", \"delivered\": %s},\n", d->rewrite_ok ? "true" : "false");
    }
    printf("  \"checks\": {\"held\": %lu, \"failed\": %lu},\n", d->checks - d->failed, d->failed);
    printf("  \"ok\": %s\n", d->failed == 0 && d->round_ok == n ? "true" : "false");
    printf("}\n");
}

/* ---- setup ---- */

static void usage(FILE *f)
{
    fputs("Usage: vmsix-demo [--json | --lspci] [--vectors N] [--dump FILE [-s SLOT]]\n"
          "                  [--iommu vtd|amdvi] [--no-mask-bits]\n"
          "\n"
          "Runs MSI-X emulation on multi-message MSI end to end, with no hardware: a\n"
          "simulated physical function, a VT-d unit whose 256-entry remapping table lives\n"
          "in memory and resolves every message the function sends (vmsix_vtd_resolve), a\n"
          "host that runs the guest's vCPU 0-3 on host CPUs 1, 3, 5, 7 and gives device\n"
          "vector k host vector 0xa0 + k, and a guest driver that does what Linux does:\n"
          "size and place the BARs, find MSI-X, enable it with Function Mask set, program\n"
          "entry k with vector 0x30 + k on vCPU k % 4, clear Function Mask, unmask, then\n"
          "the function fires every vector; one vector is masked, fired (its PBA bit is\n"
          "seen) and unmasked (delivered once), one is moved to another vCPU; MSI-X is\n"
          "disabled. Every step is checked against the physical registers and the\n"
          "remapping table.\n"
          "\n"
          "Then the same story runs on the function without its per-vector mask bits,\n"
          "with software masking: the host passes the divert hook (host vector 0xc0 + k\n"
          "on host CPU 0, whose handler calls vmsix_dev_irq(k)); a masked vector's entry\n"
          "is switched there in one store, the messages the function still sends pend\n"
          "and show in the PBA, the unmask delivers exactly one; and a live vector's\n"
          "Message Address is rewritten without masking, its entry switched in place.\n"
          "\n"
          "The default function is synthetic (1d0f:5a5a at 0000:03:00.0, the simulated\n"
          "function of examples/sim): MSI with 32 vectors, 64-bit address, per-vector\n"
          "masking, no MSI-X. It is synthetic because the eligible real functions of\n"
          "the test corpus (tests/data) with mask bits have at most 8 vectors; --dump\n"
          "runs one of them (one without mask bits runs the second story only).\n"
          "\n"
          "Options:\n"
          "  --json           print the final state as one JSON object instead of the\n"
          "                   trace: a snapshot taken after the last vector checks and\n"
          "                   before the final disable (block and IRTEs still in place);\n"
          "                   \"ok\" covers every check, the disable's included; of the\n"
          "                   first story only (the function as it is)\n"
          "  --lspci          print the guest's configuration space at that snapshot\n"
          "                   (MSI-X enabled) in `lspci -xxxx` format instead of the\n"
          "                   trace; `lspci -vvv -F FILE` decodes it\n"
          "  --vectors N      show N vectors to the guest: a power of two from 2 to the\n"
          "                   function's MSI vectors (default: all of them)\n"
          "  --dump FILE      run on a real function's configuration space from an\n"
          "                   `lspci -xxx` or `-xxxx` dump (64-byte `-x` dumps lack the\n"
          "                   capabilities)\n"
          "  -s, --slot SLOT  the function in the dump: [DOMAIN:]BUS:DEV.FN (hex); may\n"
          "                   be left out when the dump holds one function\n"
          "  --iommu UNIT     the remapping unit: vtd (default) or amdvi, an AMD-Vi unit\n"
          "                   with a device table and the function's own 512-entry\n"
          "                   table (32-bit entries, entry 0 kept unused), where the MSI\n"
          "                   data is the entry index and the block is aligned to its\n"
          "                   size (vmsix_amdvi_resolve resolves every message)\n"
          "  --no-mask-bits   run only the story without per-vector mask bits (software\n"
          "                   masking); with --json or --lspci, print its state\n"
          "  -h, --help       print this help\n"
          "\n"
          "Exit status: 0 when every check of every story held, 1 when one failed, 2\n"
          "for a bad argument, an unreadable dump or a function vmsix cannot serve,\n"
          "with its mask bits or with software masking (the reasons are named: no-msi,\n"
          "has-msix, single-vector, no-per-vector-mask, no-free-bar, bridge,\n"
          "malformed-chain, truncated).\n",
          f);
}

static int bad_arg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad_arg(const char *fmt, ...)
{
    va_list ap;

    fputs("vmsix-demo: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n(vmsix-demo --help for the usage)\n", stderr);
    return 2;
}

static bool parse_hex(const char *s, size_t len, unsigned max, unsigned *out)
{
    unsigned v = 0;

    if (len == 0 || len > 8)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        unsigned x;
        if (c >= '0' && c <= '9')
            x = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            x = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            x = (unsigned)(c - 'A' + 10);
        else
            return false;
        v = v * 16 + x;
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

static int oom(void)
{
    fputs("vmsix-demo: out of memory\n", stderr);
    return 1;
}

/* An input vmsix-demo cannot use (not a usage error): exit status 2. */
static int fail2(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail2(const char *fmt, ...)
{
    va_list ap;

    fputs("vmsix-demo: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 2;
}

/* [DOMAIN:]BUS:DEV.FN */
static bool parse_slot(const char *s, bool *has_dom, struct pcidump_dev *a)
{
    const char *c1 = strchr(s, ':'), *c2, *dot;

    if (!c1)
        return false;
    c2 = strchr(c1 + 1, ':');
    *has_dom = c2 != NULL;
    a->domain = 0;
    if (c2) {
        if (!parse_hex(s, (size_t)(c1 - s), 0xffffff, &a->domain))
            return false;
        s = c1 + 1;
        c1 = c2;
    }
    dot = strchr(c1 + 1, '.');
    return dot && parse_hex(s, (size_t)(c1 - s), 0xff, &a->bus) &&
           parse_hex(c1 + 1, (size_t)(dot - c1 - 1), 0x1f, &a->dev) &&
           parse_hex(dot + 1, strlen(dot + 1), 7, &a->fn);
}

/* Parse the arguments; 0, or the exit status (2 for a bad one, -1 help). */
static int parse_args(struct demo *d, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = NULL;
        const char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
        size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
        bool takes = false;

        if ((nlen == 6 && !strncmp(a, "--dump", 6)) || (nlen == 6 && !strncmp(a, "--slot", 6)) ||
            (nlen == 9 && !strncmp(a, "--vectors", 9)) ||
            (nlen == 7 && !strncmp(a, "--iommu", 7)) || !strcmp(a, "-s"))
            takes = true;
        if (takes) {
            if (eq)
                val = eq + 1;
            else if (i + 1 < argc)
                val = argv[++i];
            else
                return bad_arg("%s needs a value", a);
        } else if (eq) {
            return bad_arg("%.*s takes no value", (int)nlen, a);
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return -1;
        } else if (!strcmp(a, "--json")) {
            d->json = true;
        } else if (!strcmp(a, "--lspci")) {
            d->lspci = true;
        } else if (!strcmp(a, "--no-mask-bits")) {
            d->no_mask_bits = true;
        } else if (nlen == 6 && !strncmp(a, "--dump", 6)) {
            if (!*val)
                return bad_arg("--dump needs a file name");
            d->dump_path = val;
        } else if (!strcmp(a, "-s") || (nlen == 6 && !strncmp(a, "--slot", 6))) {
            d->slot = val;
        } else if (nlen == 7 && !strncmp(a, "--iommu", 7)) {
            if (!strcmp(val, "vtd"))
                d->amdvi = false;
            else if (!strcmp(val, "amdvi"))
                d->amdvi = true;
            else
                return bad_arg("--iommu %s: vtd or amdvi", val);
        } else if (nlen == 9 && !strncmp(a, "--vectors", 9)) {
            char *end;
            unsigned long v;
            errno = 0;
            v = strtoul(val, &end, 10);
            if (!*val || *end || errno || v < 2 || v > 32 || (v & (v - 1)))
                return bad_arg("--vectors %s: not a power of two from 2 to 32", val);
            d->want_vec = (unsigned)v;
        } else {
            return bad_arg("unknown argument '%s'", a);
        }
    }
    if (d->json && d->lspci)
        return bad_arg("--json and --lspci exclude each other");
    if (d->slot && !d->dump_path)
        return bad_arg("-s needs --dump");
    return 0;
}

static void reasons_str(uint32_t reasons, char *buf, size_t len)
{
    size_t used = 0;

    buf[0] = '\0';
    for (uint32_t bit = 1; bit & VMSIX_ELIG_ALL; bit <<= 1) {
        const char *name = vmsix_elig_reason_name(bit);
        if (!(reasons & bit) || !name)
            continue;
        used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "", name);
        if (used >= len)
            return;
    }
}

/* Pick the function: the synthetic one, or one from the dump. */
static int load_function(struct demo *d)
{
    if (!d->dump_path) {
        d->fn = malloc(sizeof(*d->fn));
        if (!d->fn)
            return oom();
        simfn_init(d->fn, 5, true);
        if (d->drop_mask_bits)
            simfn_drop_mask_bits(d->fn);
        d->fn->emit = emit;
        d->fn->emit_ctx = d;
        d->fn_live = true;
        d->addr.bus = DEFAULT_RID >> 8;
        d->addr.dev = (DEFAULT_RID >> 3) & 0x1f;
        d->addr.fn = DEFAULT_RID & 7;
        return 0;
    }

    struct pcidump dump;
    struct pcidump_dev want, *pick = NULL;
    bool has_dom = false;
    size_t matches = 0;
    int rc;

    memset(&want, 0, sizeof(want));
    if (d->slot && !parse_slot(d->slot, &has_dom, &want))
        return bad_arg("-s %s: not a slot ([DOMAIN:]BUS:DEV.FN, hex)", d->slot);
    rc = pcidump_load(d->dump_path, &dump);
    if (rc)
        return fail2("%s: %s", d->dump_path, strerror(-rc));
    for (size_t i = 0; i < dump.n; i++) {
        struct pcidump_dev *x = &dump.devs[i];
        if (d->slot && ((has_dom && x->domain != want.domain) || x->bus != want.bus ||
                        x->dev != want.dev || x->fn != want.fn))
            continue;
        matches++;
        if (!pick)
            pick = x;
    }
    if (dump.n == 0) {
        pcidump_free(&dump);
        return fail2("%s: no function in this file", d->dump_path);
    }
    if (!pick || matches > 1) {
        if (!d->slot) {
            char list[512];
            size_t used = 0;

            list[0] = '\0';
            for (size_t i = 0; i < dump.n && used < sizeof(list); i++) {
                struct vmsix_eligibility e;
                struct pcidump_dev *x = &dump.devs[i];
                size_t view = x->len > 256 ? 4096 : (x->len > 64 ? 256 : 64);
                /* with its mask bits or with software masking */
                if (x->len < 64 ||
                    vmsix_msix_on_msi_check_masking(x->cfg, view, VMSIX_MASKING_SOFTWARE, &e))
                    continue;
                used += (size_t)snprintf(list + used, sizeof(list) - used, " %04x:%02x:%02x.%x",
                                         x->domain, x->bus, x->dev, x->fn);
            }
            rc = fail2("%s holds %zu functions: choose one with -s (eligible:%s)", d->dump_path,
                       dump.n, used ? list : " none");
        } else if (!pick)
            rc = fail2("%s: no function %s", d->dump_path, d->slot);
        else
            rc = fail2("%s: %zu functions match %s: give the domain", d->dump_path, matches,
                       d->slot);
        pcidump_free(&dump);
        return rc;
    }
    d->addr = *pick;
    if (pick->len < 64) {
        pcidump_free(&dump);
        return fail2("%s: %04x:%02x:%02x.%x: only %zu bytes of configuration space", d->dump_path,
                     d->addr.domain, d->addr.bus, d->addr.dev, d->addr.fn, pick->len);
    }
    d->fn = malloc(sizeof(*d->fn));
    /* no MSI, or not a type 0 header: simfn_init_cfg() kept the bytes and
     * the view length; the eligibility check names the reasons */
    d->fn_live = d->fn && simfn_init_cfg(d->fn, pick->cfg, pick->len) == 0;
    if (d->fn_live && d->drop_mask_bits && d->fn->pvm)
        simfn_drop_mask_bits(d->fn);
    if (d->fn_live) {
        d->fn->emit = emit;
        d->fn->emit_ctx = d;
    }
    pcidump_free(&dump);
    if (!d->fn)
        return oom();
    return 0;
}

/* The physical image as the host reads it, and the verdict. */
static int check_function(struct demo *d)
{
    uint8_t img[4096];
    char why[256];
    int rc;

    memset(img, 0xff, sizeof(img));
    if (d->fn_live) {
        for (uint16_t o = 0; o < d->fn->len; o += 4) {
            uint32_t v;
            if (simfn_cfg_read(d->fn, o, 4, &v))
                break;
            for (unsigned i = 0; i < 4; i++)
                img[o + i] = (uint8_t)(v >> (8 * i));
        }
    } else {
        memcpy(img, d->fn->cfg, sizeof(img));
    }
    d->vendor = (uint16_t)(img[0] | img[1] << 8);
    d->device = (uint16_t)(img[2] | img[3] << 8);
    d->rid = (uint16_t)(d->addr.bus << 8 | d->addr.dev << 3 | d->addr.fn);
    rc = vmsix_msix_on_msi_check(img, d->fn->len, &d->elig);
    if (rc) {
        /* without mask bits: software masking (the divert hook) */
        struct vmsix_eligibility sw;
        int rc_sw = vmsix_msix_on_msi_check_masking(img, d->fn->len, VMSIX_MASKING_SOFTWARE, &sw);

        reasons_str(d->elig.reasons, why, sizeof(why));
        if (rc_sw && sw.reasons != d->elig.reasons) {
            size_t used = strlen(why);
            snprintf(why + used, sizeof(why) - used, " (with software masking: ");
            used = strlen(why);
            reasons_str(sw.reasons, why + used, sizeof(why) - used);
            used = strlen(why);
            snprintf(why + used, sizeof(why) - used, ")");
        }
        if (!rc_sw) {
            d->elig = sw;
            d->nomask = true;
        }
        rc = rc_sw;
    }
    if (rc || !d->fn_live) {
        return fail2("%04x:%02x:%02x.%x (%04x:%04x) is not eligible for MSI-X emulation: %s",
                     d->addr.domain, d->addr.bus, d->addr.dev, d->addr.fn, d->vendor, d->device,
                     rc ? why : "no usable MSI capability");
    }
    if (d->want_vec > d->elig.vectors)
        return bad_arg("--vectors %u: the function has %u MSI vectors", d->want_vec,
                       d->elig.vectors);
    d->nvec = d->want_vec ? d->want_vec : d->elig.vectors;
    d->masked_vec = d->nvec > 4 ? 5 : d->nvec - 1;
    d->moved_vec = d->nvec > 4 ? 2 : 0;
    d->rewritten_vec = d->nvec > 4 ? 3 : d->nvec > 2 ? 1 : 0; /* live at that point */
    return 0;
}

/* AMD-Vi: a device table up to the function's DeviceID, its table with a
 * pool, and its DTE pointing at the table (the host's IOMMU driver's part). */
static int setup_amdvi(struct demo *d)
{
    struct vmsix_amdvi_params ap;
    struct vmsix_amdvi_dte_intr dte;
    size_t unit_len = vmsix_amdvi_unit_storage_size(1);
    size_t pool_len = vmsix_irte_pool_storage_size(AMD_NENT);
    int rc;

    d->nent = AMD_NENT;
    d->ndte = (d->rid / 128u + 1u) * 128u; /* whole 4 KiB pages of DTEs */
    d->dev_table = aligned_alloc(VMSIX_AMDVI_DEV_TABLE_ALIGN, d->ndte * VMSIX_AMDVI_DTE_SIZE);
    d->amd_table = aligned_alloc(VMSIX_AMDVI_TABLE_ALIGN, AMD_NENT * VMSIX_AMDVI_IRTE32_SIZE);
    d->unit_mem = aligned_alloc(8, (unit_len + 7) & ~(size_t)7);
    d->pool_mem = aligned_alloc(8, (pool_len + 7) & ~(size_t)7);
    if (!d->dev_table || !d->amd_table || !d->unit_mem || !d->pool_mem) {
        fputs("vmsix-demo: out of memory\n", stderr);
        return 1;
    }
    memset(d->dev_table, 0, d->ndte * VMSIX_AMDVI_DTE_SIZE);
    memset(d->amd_table, 0, AMD_NENT * VMSIX_AMDVI_IRTE32_SIZE);
    memset(&ap, 0, sizeof(ap));
    ap.dev_table = d->dev_table;
    ap.ndte = d->ndte;
    ap.nentries = AMD_NENT;
    ap.max_tables = 1;
    ap.cw_addr = (uintptr_t)&d->cw_sem;
    rc = vmsix_amdvi_unit_init(d->unit_mem, unit_len, &ap, &amdvi_ops, d, &d->amd);
    if (!rc)
        rc = vmsix_irte_pool_init(d->pool_mem, pool_len, AMD_NENT, &d->pool);
    if (!rc)
        rc = vmsix_irte_reserve(d->pool, 0, AMD_RESERVED);
    if (!rc)
        rc = vmsix_amdvi_table_add(d->amd, d->rid, d->amd_table, (uintptr_t)d->amd_table, d->pool);
    if (!rc) {
        memset(&dte, 0, sizeof(dte));
        dte.iv = true;
        dte.int_tab_len = 9; /* 512 entries */
        dte.root = (uintptr_t)d->amd_table;
        dte.int_ctl = VMSIX_AMDVI_INTCTL_REMAP;
        rc = vmsix_amdvi_dte_intr_encode(
            &dte, &d->dev_table[(size_t)d->rid * 4 + VMSIX_AMDVI_DTE_INTR_QWORD]);
    }
    if (!rc)
        rc = vmsix_amdvi_remap_init(d->amd, 0, &d->backend);
    if (rc) {
        fprintf(stderr, "vmsix-demo: AMD-Vi setup failed: %d\n", rc);
        return 1;
    }
    return 0;
}

static int setup_vtd(struct demo *d)
{
    struct vmsix_vtd_params vp;
    size_t unit_len = vmsix_vtd_unit_storage_size();
    size_t pool_len = vmsix_irte_pool_storage_size(NENT);
    int rc;

    d->nent = NENT;
    d->table = aligned_alloc(VMSIX_VTD_TABLE_ALIGN, NENT * VMSIX_VTD_IRTE_SIZE);
    d->unit_mem = aligned_alloc(8, (unit_len + 7) & ~(size_t)7);
    d->pool_mem = aligned_alloc(8, (pool_len + 7) & ~(size_t)7);
    if (!d->table || !d->unit_mem || !d->pool_mem) {
        fputs("vmsix-demo: out of memory\n", stderr);
        return 1;
    }
    memset(d->table, 0, NENT * VMSIX_VTD_IRTE_SIZE);
    memset(&vp, 0, sizeof(vp));
    vp.table = d->table;
    vp.nentries = NENT;
    vp.mhmv = MHMV;
    rc = vmsix_vtd_unit_init(d->unit_mem, unit_len, &vp, d->nomask ? &vtd_ops_store128 : &vtd_ops,
                             d, &d->unit);
    if (!rc)
        rc = vmsix_irte_pool_init(d->pool_mem, pool_len, NENT, &d->pool);
    if (!rc)
        rc = vmsix_irte_reserve(d->pool, 0, IOAPIC_ENTRIES);
    if (!rc)
        rc = vmsix_vtd_remap_init(d->unit, d->pool, 0, &d->backend);
    if (rc) {
        fprintf(stderr, "vmsix-demo: VT-d setup failed: %d\n", rc);
        return 1;
    }
    return 0;
}

static int setup_world(struct demo *d)
{
    struct vmsix_dev_params dp;
    struct vmsix_dev_ops ops;
    size_t dev_len = (vmsix_dev_storage_size() + 7) & ~(size_t)7;
    int rc;

    for (unsigned i = 0; i < 256; i++)
        d->idt[i] = -1;
    rc = d->amdvi ? setup_amdvi(d) : setup_vtd(d);
    if (rc)
        return rc;
    d->pool_free0 = vmsix_irte_free_count(d->pool);
    d->dev_mem = aligned_alloc(8, dev_len);
    if (!d->dev_mem) {
        fputs("vmsix-demo: out of memory\n", stderr);
        return 1;
    }

    memset(&dp, 0, sizeof(dp));
    dp.backend = &d->backend;
    dp.src.id = d->rid;
    dp.src.kind = VMSIX_REMAP_SRC_RID;
    dp.opt.nvec = (uint8_t)d->want_vec;
    /* the function's BARs as the host sized them: vmsix shows the guest
     * virtual ones, and no guest address reaches the function */
    simfn_bars(d->fn, dp.opt.bars);
    /* without mask bits, the same host with software masking (the device
     * copies the hooks) */
    ops = dev_ops;
    if (d->nomask)
        ops.divert = h_divert;
    rc = vmsix_dev_init(d->dev_mem, dev_len, &dp, &ops, d, &d->dev);
    if (rc) {
        fprintf(stderr, "vmsix-demo: vmsix_dev_init failed: %d (%s)\n", rc, strerror(-rc));
        return 1;
    }
    return 0;
}

static void free_world(struct demo *d)
{
    free(d->table);
    free(d->dev_table);
    free(d->amd_table);
    free(d->unit_mem);
    free(d->pool_mem);
    free(d->dev_mem);
    free(d->fn);
}

static void intro(struct demo *d)
{
    struct vmsix_dev_state st;
    char buf[32];

    vmsix_dev_get_state(d->dev, &st);
    if (d->nomask)
        say(d,
            "vmsix-demo: MSI-X emulated on multi-message MSI without mask bits, by software "
            "masking (vmsix %s)\n",
            vmsix_version());
    else
        say(d, "vmsix-demo: MSI-X emulated on multi-message MSI (vmsix %s)\n", vmsix_version());
    if (d->dump_path)
        say(d, "function: %04x:%02x:%02x.%x %04x:%04x from %s (requester ID 0x%04x)%s\n",
            d->addr.domain, d->addr.bus, d->addr.dev, d->addr.fn, d->vendor, d->device,
            d->dump_path, d->rid, d->drop_mask_bits && d->nomask ? ", mask bits dropped" : "");
    else
        say(d,
            "function: synthetic %04x:%04x at %04x:%02x:%02x.%x (requester ID 0x%04x), "
            "examples/sim%s\n",
            d->vendor, d->device, d->addr.domain, d->addr.bus, d->addr.dev, d->addr.fn, d->rid,
            d->nomask ? ", its mask bits dropped (simfn_drop_mask_bits)" : "");
    if (d->nomask)
        say(d,
            "  physical MSI at %#x: %u vectors, %s address, no per-vector masking; no MSI-X:\n"
            "  eligible with software masking\n",
            d->elig.msi_off, d->elig.vectors, d->elig.addr64 ? "64-bit" : "32-bit");
    else
        say(d,
            "  physical MSI at %#x: %u vectors, %s address, per-vector masking; no MSI-X: "
            "eligible\n",
            d->elig.msi_off, d->elig.vectors, d->elig.addr64 ? "64-bit" : "32-bit");
    say(d, "  shown to the guest as MSI-X with %u vectors, table BAR%u of %s\n", d->nvec,
        st.table_bar, size_str(st.bar_size, buf, sizeof(buf)));
    if (d->amdvi)
        say(d,
            "AMD-Vi: a %" PRIu32 "-entry device table; DeviceID 0x%04x's DTE remaps through\n"
            "  its own %u-entry table of 32-bit IRTEs (IV, IntTabLen 9, IntCtl 2, no pass\n"
            "  bits); IRTE 0 kept unused; %" PRIu32 " free; MSI data = the IRTE index\n",
            d->ndte, d->rid, AMD_NENT, d->pool_free0);
    else
        say(d,
            "VT-d: %u-entry remapping table in memory, xAPIC, MHMV %u\n"
            "  IRTE 0..%u reserved for the host's IOAPIC; %" PRIu32 " free\n",
            NENT, MHMV, IOAPIC_ENTRIES - 1, d->pool_free0);
    if (d->nomask) {
        struct vmsix_remap_caps c;

        memset(&c, 0, sizeof(c));
        check(d,
              d->backend.ops->caps(d->backend.ctx, &c) == 0 &&
                  (c.flags & VMSIX_REMAP_CAP_LIVE_SWITCH),
              "the backend cannot switch a live entry");
        if (d->amdvi)
            say(d, "  live switch: an entry changes in one 32-bit store\n");
        else
            say(d, "  live switch: an entry changes in one 128-bit store (the store128 hook here,\n"
                   "  which counts them; on x86-64 the built-in cmpxchg16b needs no hook)\n");
    }
    say(d,
        "host: vCPU0-3 run on host CPUs %u, %u, %u, %u\n"
        "  device vector k -> host vector %#x + k, whose handler calls vmsix_dev_irq(k)\n",
        host_apic[0], host_apic[1], host_apic[2], host_apic[3], HOST_VEC0);
    if (d->nomask)
        say(d,
            "  divert hook: masked vector k -> host vector %#x + k on CPU%u, whose handler\n"
            "  calls vmsix_dev_irq(k): vmsix pends it\n",
            DIVERT_VEC0, DIVERT_CPU);
}

/* One story on a world of its own: the function (with its mask bits
 * dropped when @drop), the unit, the device. Returns 0 (and *ok false when
 * a check failed), or the exit status of a function or setup it cannot
 * use; *nomask says whether it ran without mask bits. */
static int run_story(const struct demo *opt, bool drop, bool *ok, bool *nomask)
{
    struct demo *d = calloc(1, sizeof(*d));
    int rc;
    bool story_ok;

    if (!d)
        return oom();
    d->trace = opt->trace;
    d->json = opt->json;
    d->lspci = opt->lspci;
    d->dump_path = opt->dump_path;
    d->slot = opt->slot;
    d->want_vec = opt->want_vec;
    d->amdvi = opt->amdvi;
    d->drop_mask_bits = drop;
    rc = load_function(d);
    if (!rc)
        rc = check_function(d);
    if (!rc)
        rc = setup_world(d);
    if (rc) {
        free_world(d);
        free(d);
        return rc;
    }
    *nomask = d->nomask;

    intro(d);
    story(d);
    rc = vmsix_dev_teardown(d->dev);
    check(d, rc == 0 && vmsix_irte_free_count(d->pool) == d->pool_free0, "teardown: %d", rc);

    story_ok = d->failed == 0 && d->round_ok == d->nvec && d->snap.taken;
    if (d->json) {
        print_json(d);
    } else if (d->lspci) {
        char name[96];
        snprintf(name, sizeof(name), "vmsix guest view of %04x:%04x (MSI-X on MSI)", d->vendor,
                 d->device);
        if (pcidump_write(stdout, &d->addr, d->snap.cfg, d->snap.cfg_len, name))
            story_ok = false;
    } else {
        say(d, "checks: %lu held, %lu failed\n", d->checks - d->failed, d->failed);
        printf("vmsix-demo: %u/%u vectors delivered to their guest vector and CPU ... %s\n",
               d->round_ok, d->nvec, story_ok ? "OK" : "FAILED");
    }
    if (!story_ok && !d->trace)
        fprintf(stderr,
                "vmsix-demo: %u/%u vectors delivered to their guest vector and CPU ... "
                "FAILED\n",
                d->round_ok, d->nvec);
    *ok = *ok && story_ok;
    free_world(d);
    free(d);
    return 0;
}

int main(int argc, char **argv)
{
    struct demo opt;
    bool ok = true, nomask = false;
    int rc;

    memset(&opt, 0, sizeof(opt));
    rc = parse_args(&opt, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    opt.trace = !opt.json && !opt.lspci;
    /* the function as it is (without mask bits with --no-mask-bits) */
    rc = run_story(&opt, opt.no_mask_bits, &ok, &nomask);
    if (rc)
        return rc;
    /* the trace goes on with the same function without its mask bits */
    if (opt.trace && !nomask) {
        putchar('\n');
        rc = run_story(&opt, true, &ok, &nomask);
        if (rc)
            return rc;
    }
    return ok ? 0 : 1;
}
