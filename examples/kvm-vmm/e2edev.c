/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * e2edev.c - the end-to-end test function: how a VMM composes vmsix.
 *
 * The "physical" function is simfn (examples/sim): simfn_init(f, 5, true)
 * gives 32 MSI vectors, a 64-bit address, per-vector masking, BAR 0-1 a
 * 64-bit 16 KiB memory BAR and BAR slot 2 free; its vendor/device ID is
 * patched to E2E_VENDOR_ID:E2E_DEVICE_ID. BAR 0 holds the control
 * registers of e2e_regs.h (this file emulates them; simfn only models the
 * BAR register and its sizing protocol).
 *
 * With vmsix (the default) every guest access goes through a struct
 * vmsix_dev:
 *
 *   guest config read/write  -> vmsix_dev_cfg_read/write()
 *   guest MMIO on the table  -> vmsix_dev_mmio_read/write()
 *   (BAR 2, where bar_moved said)
 *   host vector 0x40 + k     -> vmsix_dev_irq(k)
 *
 * and vmsix calls back:
 *
 *   cfg_read/cfg_write  the function's real configuration space (simfn):
 *                       vmsix programs the physical MSI capability here
 *   translate           guest message of vector k -> host target, through
 *                       the isolation policy (irq_translate())
 *   inject              the guest's message of vector k -> KVM_SIGNAL_MSI
 *   bar_moved           the guest placed the table BAR: move the trap
 *
 * The physical side: vmsix reserves 32 IRTEs of the VMM's remapping unit
 * (irq.c; VT-d by default, AMD-Vi with --iommu=amdvi), points simfn's one
 * MSI address/data at them (VT-d: the remappable format with the block's
 * handle; AMD-Vi: the interrupt range with data = the block's first index,
 * the block aligned to 32 so that the function's replacing the low five
 * bits with k selects entry base + k) and programs entry base + k from
 * translate's answer. Every memory write simfn emits is resolved by the
 * unit's reference decoder with the function's requester ID (AMD-Vi: its
 * DeviceID, through the DTE), as an IOMMU would; the resolved host vector
 * names the device vector k (the host's "IDT"), which goes to
 * vmsix_dev_irq(). The resolved target is also cross-checked against what
 * the policy gives for vector k's current guest message (FAULTS counts any
 * difference).
 *
 * Without vmsix (--mode=msi) the guest reaches simfn directly and each
 * emitted message is injected as it is: the control run.
 *
 * Locking: one mutex per device around everything above; vmsix is never
 * entered twice. simfn emits messages synchronously, even from inside a
 * vmsix call (an unmask at the function sends what was pending), so
 * emitted messages are queued and handled after the outermost call
 * returns, still under the lock, as a host takes an interrupt after the
 * trapped access that caused it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmsix/vmsix.h>

#include "e2e_regs.h"
#include "e2edev.h"
#include "irq.h"
#include "msixbar.h"
#include "simfn.h"

#define NVEC 32u
#define QUEUE_LEN 64u /* emitted messages of one trapped access: at most 33 */
#define CMD_MEMORY 0x0002u

struct e2edev {
    struct vm *vm;
    pthread_mutex_t lock;
    bool use_vmsix;
    enum irq_iommu iommu;
    uint16_t rid; /* requester ID: bus 0, devfn */

    struct simfn fn; /* the "physical" function */
    uint64_t bar0_size;

    /* vmsix mode */
    struct irq_remap remap;
    void *dev_mem;
    struct vmsix_dev *dev;
    uint64_t table_bar; /* the table BAR's guest address, 0 = not placed */
    uint64_t bar0_at;   /* with vmsix: where the guest's virtual BAR 0 decodes, 0 = nowhere */
    unsigned table_slot;
    uint32_t table_bar_size;

    /* messages emitted during the current access */
    struct vmsix_msg queue[QUEUE_LEN];
    unsigned queued;

    /* counters (e2e_regs.h) */
    uint32_t injected, faults, soft_pended;
    uint32_t vec_injected[NVEC];
    uint32_t vec_doorbells[NVEC]; /* DOORBELL writes per vector (diagnostic) */
    unsigned logged;
};

static void dev_log(struct e2edev *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void dev_log(struct e2edev *d, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vmm_dev_vlog(&d->logged, d->vm->verbose, "e2edev", fmt, ap);
    va_end(ap);
}

static uint32_t phys_read(struct e2edev *d, uint16_t off, unsigned size)
{
    uint32_t v = 0;

    if (simfn_cfg_read(&d->fn, off, size, &v))
        return 0;
    return v;
}

/* ---- vmsix host hooks (called with d->lock held) ---- */

static int h_cfg_read(void *ctx, uint16_t off, unsigned size, uint32_t *val)
{
    struct e2edev *d = ctx;

    return simfn_cfg_read(&d->fn, off, size, val);
}

static int h_cfg_write(void *ctx, uint16_t off, unsigned size, uint32_t val)
{
    struct e2edev *d = ctx;

    return simfn_cfg_write(&d->fn, off, size, val);
}

static int h_translate(void *ctx, uint16_t vec, const struct vmsix_msg *g,
                       struct vmsix_remap_target *host)
{
    struct e2edev *d = ctx;
    int rc = irq_translate(d->vm->ncpu, vec, g, host);

    if (rc)
        dev_log(d, "refused vector %u: address %#llx data %#x: %s", vec,
                (unsigned long long)g->addr, g->data, strerror(-rc));
    else if (d->vm->verbose)
        vmm_log("e2edev: vector %u: guest %#llx/%#x -> host vector %#x dest %#x%s", vec,
                (unsigned long long)g->addr, g->data, host->vector, host->dest,
                host->dest_logical ? " (logical)" : "");
    return rc;
}

static void h_inject(void *ctx, uint16_t vec, const struct vmsix_msg *g)
{
    struct e2edev *d = ctx;
    struct vmsix_remap_target t;
    int rc;

    /* vmsix only injects active vectors, whose message translate accepted;
     * check again all the same: nothing the policy refuses reaches KVM */
    if (vec >= NVEC || irq_translate(d->vm->ncpu, vec, g, &t)) {
        d->faults++;
        dev_log(d, "inject of vector %u refused by the policy", vec);
        return;
    }
    rc = irq_inject_msi(d->vm, g);
    if (rc < 0) {
        d->faults++;
        dev_log(d, "KVM_SIGNAL_MSI for vector %u: %s", vec, strerror(-rc));
        return;
    }
    d->injected++;
    d->vec_injected[vec]++;
}

/* Where the table BAR decodes: the trap follows it (0: no trap). A real
 * VMM would also refuse to trap over guest RAM or its other BARs. */
/* Where a virtual BAR decodes: the table BAR's trap, and BAR 0's MMIO
 * dispatch, follow it (0: nowhere). The guest's BAR addresses never reach
 * simfn. A real VMM would also refuse to map over guest RAM or its other
 * BARs. */
static void h_bar_moved(void *ctx, unsigned bar, uint64_t old_addr, uint64_t new_addr)
{
    struct e2edev *d = ctx;
    uint64_t at = new_addr == VMSIX_BAR_UNMAPPED ? 0 : new_addr;

    (void)old_addr;
    if (bar == d->table_slot)
        d->table_bar = at;
    else if (bar == 0)
        d->bar0_at = at;
    if (d->vm->verbose)
        vmm_log("e2edev: BAR%u decodes at %#llx", bar, (unsigned long long)at);
}

/* vmsix names each failed step: the VMM's log shows which one. */
static void h_log(void *ctx, int level, const char *msg)
{
    (void)ctx;
    vmm_log("e2edev: vmsix log %d: %s", level, msg);
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

/* ---- the interrupt path ---- */

/* simfn's memory write: queue it (we may be inside a vmsix call). */
static void emit(void *ctx, const struct vmsix_msg *m)
{
    struct e2edev *d = ctx;

    if (d->queued == QUEUE_LEN) {
        d->faults++;
        dev_log(d, "emitted message queue overflow");
        return;
    }
    d->queue[d->queued++] = *m;
}

/* The guest's current message of vector k, from the virtual table. */
static int guest_msg(struct e2edev *d, unsigned k, struct vmsix_msg *m)
{
    uint64_t addr, data;

    if (vmsix_dev_mmio_read(d->dev, 16u * k, 8, &addr) ||
        vmsix_dev_mmio_read(d->dev, 16u * k + 8, 4, &data))
        return -1;
    m->addr = addr;
    m->data = (uint32_t)data;
    return 0;
}

/* vmsix mode: the message goes through the remapping unit to a host
 * vector, whose handler calls vmsix_dev_irq(). */
static void remapped_irq(struct e2edev *d, const struct vmsix_msg *m)
{
    struct vmsix_remap_target host, want;
    struct vmsix_msg g;
    uint32_t index = 0;
    int rc = irq_resolve(&d->remap, d->rid, m, &host, &index);
    int k;

    if (rc) {
        d->faults++;
        dev_log(d, "the remapping unit refused %#llx/%#x: %s %#x", (unsigned long long)m->addr,
                m->data, rc > 0 ? "fault" : "error", (unsigned)(rc > 0 ? rc : -rc));
        return;
    }
    k = irq_host_vector_owner(&host, NVEC);
    if (k < 0) {
        d->faults++;
        dev_log(d, "IRTE %u: stray host vector %#x", index, host.vector);
        return;
    }
    if (guest_msg(d, (unsigned)k, &g) || irq_translate(d->vm->ncpu, (uint16_t)k, &g, &want) ||
        !irq_same_target(&host, &want)) {
        d->faults++;
        dev_log(d, "IRTE %u (vector %d): host target %#x/%#x differs from the guest's message",
                index, k, host.vector, host.dest);
    }
    rc = vmsix_dev_irq(d->dev, (uint16_t)k);
    if (rc == 0)
        d->soft_pended++;
    else if (rc < 0)
        dev_log(d, "vmsix_dev_irq(%d): %d", k, rc);
}

/* msi mode: the guest programmed the function itself; send as is. */
static void direct_irq(struct e2edev *d, const struct vmsix_msg *m)
{
    unsigned mme = (phys_read(d, (uint16_t)(d->fn.msi_off + 2), 2) >> 4) & 7u;
    unsigned k = m->data & ((1u << mme) - 1u);
    int rc = irq_inject_msi(d->vm, m);

    if (rc < 0) {
        d->faults++;
        dev_log(d, "KVM_SIGNAL_MSI %#llx/%#x: %s", (unsigned long long)m->addr, m->data,
                strerror(-rc));
        return;
    }
    d->injected++;
    d->vec_injected[k % NVEC]++;
}

/* Handle what the access emitted (d->lock held, outside any vmsix call). */
static void drain(struct e2edev *d)
{
    for (unsigned i = 0; i < d->queued; i++) {
        if (d->use_vmsix)
            remapped_irq(d, &d->queue[i]);
        else
            direct_irq(d, &d->queue[i]);
    }
    d->queued = 0;
}

/* ---- BAR 0: the control registers ---- */

static uint32_t reg_read(struct e2edev *d, uint64_t off)
{
    switch (off) {
    case E2E_REG_MAGIC:
        return E2E_MAGIC;
    case E2E_REG_MODE:
        return d->use_vmsix ? E2E_MODE_VMSIX : E2E_MODE_MSI;
    case E2E_REG_NVEC:
        return NVEC;
    case E2E_REG_SENT:
        return (uint32_t)d->fn.sent;
    case E2E_REG_PENDED:
        return (uint32_t)d->fn.pended + d->soft_pended;
    case E2E_REG_DROPPED:
        return (uint32_t)d->fn.dropped;
    case E2E_REG_INJECTED:
        return d->injected;
    case E2E_REG_FAULTS:
        return d->faults;
    default:
        if (off >= E2E_REG_VEC_INJECTED(0) && off < E2E_REG_VEC_INJECTED(NVEC))
            return d->vec_injected[(off - E2E_REG_VEC_INJECTED(0)) / 4];
        return 0; /* undefined and write-only registers */
    }
}

static void reg_write(struct e2edev *d, uint64_t off, uint32_t val)
{
    switch (off) {
    case E2E_REG_DOORBELL:
        if (val < NVEC)
            d->vec_doorbells[val]++;
        simfn_fire(&d->fn, val); /* sent (emit), pended or dropped */
        break;
    case E2E_REG_EXIT:
        if (val == E2E_EXIT_PASS)
            vm_end(d->vm, VMM_EXIT_PASS, "PASS", "the guest wrote E2E_EXIT_PASS");
        else if (val == E2E_EXIT_FAIL)
            vm_end(d->vm, VMM_EXIT_FAIL, "FAIL", "the guest wrote E2E_EXIT_FAIL");
        else
            vm_end(d->vm, VMM_EXIT_FAIL, "FAIL", "the guest wrote %#x to E2E_REG_EXIT", val);
        break;
    default: /* read-only and undefined: ignored */
        break;
    }
}

/* 4-byte accesses to one register; an aligned 8-byte access covers two;
 * other sizes and misaligned accesses read 0 and are ignored. */
static void bar0_access(struct e2edev *d, uint64_t off, uint8_t *data, unsigned len, bool is_write)
{
    bool ok = (len == 4 || len == 8) && !(off & (len - 1));

    for (unsigned i = 0; i < len; i += 4) {
        uint32_t v = 0;
        if (is_write && ok) {
            for (unsigned b = 0; b < 4; b++)
                v |= (uint32_t)data[i + b] << (8 * b);
            reg_write(d, off + i, v);
        } else if (!is_write) {
            v = ok ? reg_read(d, off + i) : 0;
            for (unsigned b = 0; b < 4 && i + b < len; b++)
                data[i + b] = (uint8_t)(v >> (8 * b));
        }
    }
}

/* ---- PCI function ops ---- */

static uint32_t f_cfg_read(void *ctx, uint16_t off, unsigned size)
{
    struct e2edev *d = ctx;
    uint32_t v = 0xffffffffu;
    int rc;

    pthread_mutex_lock(&d->lock);
    if (d->use_vmsix)
        rc = vmsix_dev_cfg_read(d->dev, off, size, &v);
    else
        rc = simfn_cfg_read(&d->fn, off, size, &v);
    if (rc) {
        v = 0xffffffffu;
        dev_log(d, "config read %#x/%u: %d", off, size, rc);
    }
    drain(d);
    pthread_mutex_unlock(&d->lock);
    return v;
}

static void f_cfg_write(void *ctx, uint16_t off, unsigned size, uint32_t val)
{
    struct e2edev *d = ctx;
    int rc;

    pthread_mutex_lock(&d->lock);
    if (d->use_vmsix)
        rc = vmsix_dev_cfg_write(d->dev, off, size, val);
    else
        rc = simfn_cfg_write(&d->fn, off, size, val);
    if (rc)
        dev_log(d, "config write %#x/%u = %#x: %d", off, size, val, rc);
    drain(d);
    pthread_mutex_unlock(&d->lock);
}

/* Where BAR 0 is, or 0 when memory decoding is off or it is unassigned. */
static uint64_t bar0_base(struct e2edev *d)
{
    if (d->use_vmsix) /* virtual: where bar_moved said */
        return d->bar0_at;
    if (!(phys_read(d, 0x04, 2) & CMD_MEMORY))
        return 0;
    return ((uint64_t)phys_read(d, 0x14, 4) << 32 | phys_read(d, 0x10, 4)) & ~0xfull;
}

static bool f_mmio(void *ctx, uint64_t gpa, uint8_t *data, unsigned len, bool is_write)
{
    struct e2edev *d = ctx;
    uint64_t base;
    bool claimed = false;

    pthread_mutex_lock(&d->lock);
    base = bar0_base(d);
    if (base && gpa >= base && gpa - base < d->bar0_size && len <= d->bar0_size - (gpa - base)) {
        bar0_access(d, gpa - base, data, len, is_write);
        claimed = true;
    } else if (d->use_vmsix && d->table_bar && gpa >= d->table_bar &&
               gpa - d->table_bar < d->table_bar_size &&
               len <= d->table_bar_size - (gpa - d->table_bar)) {
        uint64_t off = gpa - d->table_bar;
        int rc = msixbar_access(d->dev, off, data, len, is_write);

        if (rc)
            dev_log(d, "table %s %#llx/%u: %s", is_write ? "write" : "read",
                    (unsigned long long)off, len, strerror(rc < 0 ? -rc : rc));
        claimed = true;
    }
    drain(d);
    pthread_mutex_unlock(&d->lock);
    return claimed;
}

static const struct pci_func_ops func_ops = {f_cfg_read, f_cfg_write, f_mmio};

/* ---- setup ---- */

static int setup_vmsix(struct e2edev *d)
{
    size_t len = (vmsix_dev_storage_size() + 7) & ~(size_t)7;
    struct vmsix_dev_params p;
    struct vmsix_dev_state st;
    int rc;

    if (irq_remap_init(&d->remap, d->iommu, d->rid))
        return -1;
    d->dev_mem = aligned_alloc(8, len);
    if (!d->dev_mem) {
        vmm_log("out of memory");
        return -1;
    }
    memset(&p, 0, sizeof(p));
    p.backend = &d->remap.backend;
    p.src.id = d->rid;
    p.src.kind = VMSIX_REMAP_SRC_RID;
    /* the table in the lowest free slot (2), 4 KiB, every vector; simfn's
     * BAR 0-1 as the host sized it, shown to the guest as a virtual BAR */
    simfn_bars(&d->fn, p.opt.bars);
    d->table_slot = 6; /* no report is for the table before init has returned */
    rc = vmsix_dev_init(d->dev_mem, len, &p, &dev_ops, d, &d->dev);
    if (rc || vmsix_dev_get_state(d->dev, &st)) {
        vmm_log("vmsix_dev_init: %d (%s)", rc, strerror(rc < 0 ? -rc : EINVAL));
        return -1;
    }
    d->table_bar_size = st.bar_size;
    d->table_slot = st.table_bar;
    if (d->vm->verbose)
        vmm_log("e2edev: vmsix: MSI at %#x -> MSI-X, %u vectors, table in BAR%u (%u bytes), %s",
                st.msi_off, st.nvec, st.table_bar, st.bar_size,
                d->iommu == IRQ_IOMMU_AMDVI ? "AMD-Vi" : "VT-d");
    return 0;
}

struct e2edev *e2edev_create(struct vm *vm, struct pci_bus *bus, uint8_t devfn, bool use_vmsix,
                             enum irq_iommu iommu)
{
    struct e2edev *d = calloc(1, sizeof(*d));

    if (!d) {
        vmm_log("out of memory");
        return NULL;
    }
    d->vm = vm;
    d->use_vmsix = use_vmsix;
    d->iommu = iommu;
    d->rid = devfn; /* bus 0 */
    pthread_mutex_init(&d->lock, NULL);

    simfn_init(&d->fn, 5, true);
    d->fn.cfg[0] = E2E_VENDOR_ID & 0xff;
    d->fn.cfg[1] = E2E_VENDOR_ID >> 8;
    d->fn.cfg[2] = E2E_DEVICE_ID & 0xff;
    d->fn.cfg[3] = E2E_DEVICE_ID >> 8;
    d->fn.emit = emit;
    d->fn.emit_ctx = d;
    d->bar0_size = (uint64_t)(~(d->fn.barw[0] | 0xfu)) + 1u; /* 16 KiB */

    if ((use_vmsix && setup_vmsix(d)) || pci_add(bus, devfn, &func_ops, d)) {
        vmm_log("cannot set up the e2e function");
        return NULL;
    }
    return d;
}

void e2edev_report(struct e2edev *d, char *buf, size_t len)
{
    size_t used;

    pthread_mutex_lock(&d->lock);
    used = (size_t)snprintf(buf, len, "sent=%lu pended=%lu dropped=%lu injected=%u faults=%u",
                            d->fn.sent, d->fn.pended + d->soft_pended, d->fn.dropped, d->injected,
                            d->faults);
    if (d->vm->verbose) {
        /* per vector: doorbell writes / injections */
        used += (size_t)snprintf(buf + (used < len ? used : len), used < len ? len - used : 0,
                                 " doorbells/injected:");
        for (unsigned k = 0; k < NVEC; k++)
            if (d->vec_doorbells[k] || d->vec_injected[k])
                used +=
                    (size_t)snprintf(buf + (used < len ? used : len), used < len ? len - used : 0,
                                     " %u:%u/%u", k, d->vec_doorbells[k], d->vec_injected[k]);
    }
    pthread_mutex_unlock(&d->lock);
}
