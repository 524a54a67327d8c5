// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * vmsix_e2e: the guest half of the vmsix end-to-end test (tests/e2e).
 *
 * Binds the test function of examples/kvm-vmm (7e57:0001, registers in
 * e2e_regs.h), lets Linux allocate up to 32 MSI/MSI-X vectors, and checks
 * with the function's doorbell that every vector is delivered exactly once
 * to its handler, that masking holds a message back until the unmask, that
 * an affinity change moves the interrupt to the CPU asked for, that the
 * function follows a Message Address rewritten while its entry is live
 * (unmasked), that managed-affinity vectors (PCI_IRQ_AFFINITY) fire on
 * their managed CPUs, and that the vectors can be freed and allocated
 * again. It measures the time from the
 * doorbell write to the handler's entry, prints one machine-readable line
 *
 *   VMSIX-E2E: <msix|msi|intx|none> vectors=<n> delivered=<n> masked_ok=<0|1>
 *     affinity_ok=<0|1> realloc_ok=<0|1> latency_median_ns=<n> live_rewrite_ok=<0|1>
 *     managed_ok=<0|1> ... result=<PASS|FAIL>
 *
 * (one line on the console) and writes the verdict to E2E_REG_EXIT, which
 * ends the run. Everything that waits is bounded by a timeout; the test runs
 * in the probe (process context), the latency loops in work_on_cpu().
 *
 * "Exactly once" is checked against two oracles: the handler's count per
 * vector and the VMM's injection count per interrupt (E2E_REG_VEC_INJECTED),
 * which must equal the doorbells. The one tolerated exception is a single
 * extra delivery right after an affinity move that the VMM did not inject:
 * Linux's own retrigger (see e2e_settle_move()), counted as spurious=.
 *
 * The xHCI mode: it also binds QEMU's nec-usb-xhci (1033:0194: 16 MSI
 * vectors without mask bits; MSI-X when a VMM shows it so through vmsix,
 * passed through with VFIO) and runs the same checks with up to 16 vectors.
 * The doorbell of vector k is interrupter k's ERDP+EHB write (one ERST
 * entry and event ring per interrupter in dma_alloc_coherent() memory; the
 * sequence is tests/e2e/xhci_irq.h). There is no VMM counter: the second
 * oracle is the interrupter's own state after each doorbell (EHB set: it
 * raised; IMAN.IP clear: it handed the message to its MSI/MSI-X logic),
 * counted per interrupt as sent=. Masking is checked at the PBA (MSI-X);
 * a function without per-vector mask bits cannot hold a message, which the
 * line says (mask_bits=0, masked_ok=0, listed in na=). The verdict goes to
 * the I/O port E2E_EXIT_PORT. The guest kernel must not load xhci_hcd.
 *
 * Dual licensed: it calls GPL-only kernel symbols (irq_set_affinity,
 * irq_modify_status, work_on_cpu_key), so it must be GPL-compatible.
 */
#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/preempt.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#ifdef CONFIG_X86
#include <asm/hw_irq.h>
#include <asm/io.h>
#include <asm/msr.h>
#endif

#include "e2e_regs.h"
#include "xhci_irq.h"

#define E2E_NAME "vmsix_e2e"
#define E2E_MAX_VEC 32
#define E2E_REALLOC_MAX 4
#define E2E_WAIT_MS 3000	/* a delivery that takes longer has failed */
#define E2E_WAIT_FAILED_MS 100	/* the same, once one delivery has failed */
#define E2E_QUIET_MS 10		/* no (further) delivery within this window */
#define E2E_AFFINITY_FIRES 20	/* fires until an affinity change shows */
#define E2E_AFFINITY_GAP_MS 5	/* between them: the old vector's cleanup */
#define E2E_REWRITE_ROUNDS 3	/* live rewrite: moves there and back, per pair */
#define E2E_CPUS 8		/* deliveries counted per CPU (higher CPUs: the last slot) */
#define E2E_LAT_DEFAULT 200
#define E2E_LAT_MAX 4096

static unsigned int samples = E2E_LAT_DEFAULT;
module_param(samples, uint, 0444);
MODULE_PARM_DESC(samples, "doorbell-to-handler latency samples per measurement (default 200)");

static bool verbose;
module_param(verbose, bool, 0444);
MODULE_PARM_DESC(verbose, "print one line per check");

static bool write_exit = true;
module_param(write_exit, bool, 0444);
MODULE_PARM_DESC(write_exit, "write the verdict to E2E_REG_EXIT (xHCI mode: the I/O port E2E_EXIT_PORT), ending the run (default on; off keeps the guest running, for debugging)");

struct e2e_dev;

#define E2E_HIST 8

struct e2e_vec {
	struct e2e_dev *dev;
	unsigned int index;	/* the function's interrupt (doorbell value) */
	int irq;
	bool requested;
	unsigned int expect;	/* deliveries the test caused so far */
	atomic_t count;		/* handler invocations */
	atomic_t on_cpu[E2E_CPUS];	/* the same, per CPU */
	int last_cpu;
	u64 last_ns;
	u64 last_tsc;
	char name[24];
	/* the last E2E_HIST doorbells and deliveries, for a failure's report */
	struct {
		u64 ns;
		int seq;	/* the run's event order (e2e_dev.seq) */
	} fires[E2E_HIST];
	struct {
		u64 ns;		/* this CPU's clock: CPUs may disagree */
		int seq;
		int cpu;
		int cfg_vec;	/* the CPU vector and APIC ID Linux had set up */
		int cfg_dest;
	} hist[E2E_HIST];
};

/* The xHCI mode's interrupt source (xhci_irq.h) */
struct e2e_xhci {
	struct xhci_irq_io io;	/* 32-bit accessors over BAR 0 */
	struct xhci_irq_caps caps;
	void *area;		/* ERSTs and rings: dma_alloc_coherent() */
	dma_addr_t iova;	/* where the device sees them */
	size_t size;
	unsigned int nr;	/* interrupters set up now (0: stopped) */
	u32 sent[E2E_MAX_VEC];	/* doorbells the interrupter raised and sent */
	u32 unsent;		/* doorbells it did not (diagnostic) */
};

struct e2e_dev {
	struct pci_dev *pdev;
	void __iomem *regs;
	wait_queue_head_t wq;
	u32 dev_mode;		/* E2E_REG_MODE */
	bool xhci;		/* the xHCI mode (1033:0194), not the test function */
	bool expect_msix;	/* the function shows MSI-X: Linux must use it */
	unsigned int maxvec;	/* vectors asked for: 32, the xHCI's interrupters */
	struct e2e_xhci x;
	unsigned int nvec;	/* vectors currently allocated */
	struct e2e_vec vec[E2E_MAX_VEC];
	unsigned int timeouts;	/* deliveries that did not come */
	unsigned int doorbells;	/* doorbell writes, the whole run */
	atomic_t handled;	/* handler invocations, the whole run */
	atomic_t seq;		/* orders fires and deliveries across CPUs */
	u32 fired[E2E_MAX_VEC];	/* doorbells per function interrupt, the whole run */
	unsigned int spurious;	/* unrequested deliveries after affinity moves */
	void __iomem *table;	/* the MSI-X table, mapped for the live rewrite */
	void __iomem *pba;	/* the MSI-X PBA, mapped for the mask check */
	char reason[64];	/* first failure, one word */
};

/* The outcome of one run: what the verdict line prints. */
/*
 * What one latency measurement reports: the median and the spread of its
 * samples (the n-th percentile is sample n * count / 100 of the sorted
 * ones, the median sample count / 2), in ns; the median in TSC cycles.
 */
struct e2e_lat_stats {
	u64 median;
	u64 p10, p25, p75, p90;
	u64 median_tsc;
};

struct e2e_result {
	const char *mode;
	int vectors;
	unsigned int delivered;
	bool masked_ok;
	bool affinity_ok;
	bool realloc_ok;
	bool live_rewrite_ok;
	bool managed_ok;
	unsigned int live_rewrites;	/* live Message Address writes made */
	unsigned int live_moves;	/* of them, moves to another CPU */
	int managed_vectors;
	int realloc_vectors;
	unsigned int affinity_refires;
	u32 pended;
	u32 pba_seen;		/* unlazy fires whose PBA bit showed while masked */
	bool mask_bits;		/* the function can hold a masked message */
	bool live_rewrite_na;	/* the message is in remappable format */
	struct e2e_lat_stats lat;
	struct e2e_lat_stats lat_remote;
	unsigned int lat_samples;
	bool pass;
};

static bool e2e_probed;

static void e2e_fail(struct e2e_dev *d, const char *why)
{
	if (!d->reason[0])
		strscpy(d->reason, why, sizeof(d->reason));
	pr_warn(E2E_NAME ": check failed: %s\n", why);
}

static u32 e2e_read(struct e2e_dev *d, unsigned int reg)
{
	return readl(d->regs + reg);
}

/* xhci_irq.h's accessors: BAR 0, 32-bit, and a sleeping delay */
static uint32_t e2e_xhci_rd32(void *ctx, uint32_t off)
{
	return readl(((struct e2e_dev *)ctx)->regs + off);
}

static void e2e_xhci_wr32(void *ctx, uint32_t off, uint32_t val)
{
	writel(val, ((struct e2e_dev *)ctx)->regs + off);
}

static void e2e_xhci_delay_us(void *ctx, unsigned int us)
{
	usleep_range(us, us + us / 4 + 1);
}

/*
 * Function interrupt k, the other side's count: the VMM's injections
 * (E2E_REG_VEC_INJECTED) of the test function's interrupt, or the xHCI
 * interrupter's raises it handed to its MSI/MSI-X logic.
 */
static u32 e2e_fn_count(struct e2e_dev *d, unsigned int k)
{
	if (d->xhci)
		return k < E2E_MAX_VEC ? d->x.sent[k] : 0;
	return e2e_read(d, E2E_REG_VEC_INJECTED(k));
}

static const char *e2e_fn_counter(struct e2e_dev *d)
{
	return d->xhci ? "the xHCI raised and sent" : "the VMM injected";
}

/*
 * Raises function interrupt k: the test function's doorbell register, or
 * interrupter k's ERDP+EHB write. The xHCI raises synchronously within the
 * write; its state right after says whether it did: EHB set (raised) and
 * IMAN.IP clear (the message went to its MSI/MSI-X logic, which sends it,
 * or holds it in the PBA while the MSI-X vector is masked).
 */
static void e2e_ring(struct e2e_dev *d, unsigned int k)
{
	struct e2e_xhci *x = &d->x;

	if (!d->xhci) {
		writel(k, d->regs + E2E_REG_DOORBELL);
		return;
	}
	/* never past what is set up: QEMU aborts on an MSI message >= 2^MME */
	if (WARN_ON_ONCE(k >= x->nr))
		return;
	xhci_irq_fire(&x->io, &x->caps, x->iova, k);
	if ((readl(d->regs + xhci_irq_reg(&x->caps, k, XHCI_IR_ERDP_LO)) & XHCI_ERDP_EHB) &&
	    !(readl(d->regs + xhci_irq_reg(&x->caps, k, XHCI_IR_IMAN)) & XHCI_IMAN_IP))
		x->sent[k]++;
	else
		x->unsent++;
}

/*
 * Rings the doorbell of function interrupt k, whose delivery the caller
 * expects at w's handler (counted in w->expect already): w is k's own
 * vector, except while the live rewrite points k's entry at another one.
 */
static void e2e_doorbell(struct e2e_dev *d, unsigned int k, struct e2e_vec *w)
{
	w->fires[(w->expect - 1) % E2E_HIST].ns = ktime_get_ns();
	w->fires[(w->expect - 1) % E2E_HIST].seq = atomic_inc_return(&d->seq);
	d->doorbells++;
	d->fired[k]++;
	e2e_ring(d, k);
}

static void e2e_fire(struct e2e_vec *v)
{
	/* every caller counted this fire in v->expect already */
	e2e_doorbell(v->dev, v->index, v);
}

static irqreturn_t e2e_irq(int irq, void *data)
{
	struct e2e_vec *v = data;
	u64 now = ktime_get_ns();
#ifdef CONFIG_X86
	u64 tsc = rdtsc_ordered();
#else
	u64 tsc = 0;
#endif

	unsigned int slot = (unsigned int)atomic_read(&v->count) % E2E_HIST;
	int cfg_vec = -1, cfg_dest = -1;
#ifdef CONFIG_X86
	struct irq_cfg *cfg = irqd_cfg(irq_get_irq_data(irq));

	if (cfg) {
		cfg_vec = cfg->vector;
		cfg_dest = cfg->dest_apicid;
	}
#endif
	v->hist[slot].ns = now;
	v->hist[slot].seq = atomic_inc_return(&v->dev->seq);
	v->hist[slot].cpu = smp_processor_id();
	v->hist[slot].cfg_vec = cfg_vec;
	v->hist[slot].cfg_dest = cfg_dest;
	WRITE_ONCE(v->last_ns, now);
	WRITE_ONCE(v->last_tsc, tsc);
	WRITE_ONCE(v->last_cpu, smp_processor_id());
	atomic_inc(&v->on_cpu[min_t(unsigned int, smp_processor_id(), E2E_CPUS - 1)]);
	atomic_inc(&v->dev->handled);
	atomic_inc_return(&v->count);	/* fully ordered: the fields above first */
	wake_up(&v->dev->wq);
	return IRQ_HANDLED;
}

/*
 * Waits (sleeping, bounded) until vector v has been delivered n times. Once
 * a delivery has failed to come, later waits are short: a broken run ends
 * within seconds, not minutes.
 */
static bool e2e_wait_count(struct e2e_vec *v, unsigned int n, unsigned int ms)
{
	struct e2e_dev *d = v->dev;

	if (d->timeouts)
		ms = min_t(unsigned int, ms, E2E_WAIT_FAILED_MS);
	wait_event_timeout(d->wq, (unsigned int)atomic_read(&v->count) >= n,
			   msecs_to_jiffies(ms));
	if ((unsigned int)atomic_read(&v->count) >= n)
		return true;
	d->timeouts++;
	return false;
}

/* Fires v once and waits for the one delivery. */
static bool e2e_fire_wait(struct e2e_vec *v)
{
	v->expect++;
	e2e_fire(v);
	return e2e_wait_count(v, v->expect, E2E_WAIT_MS);
}

/* The last doorbells and deliveries of v, oldest first. */
static void e2e_dump_hist(struct e2e_vec *v)
{
	unsigned int n = atomic_read(&v->count), i;

	for (i = v->expect > E2E_HIST ? v->expect - E2E_HIST : 0; i < v->expect; i++)
		pr_warn(E2E_NAME ":   vector %u fire %u: event %d, %llu ns\n", v->index, i + 1,
			v->fires[i % E2E_HIST].seq, v->fires[i % E2E_HIST].ns);
	for (i = n > E2E_HIST ? n - E2E_HIST : 0; i < n; i++)
		pr_warn(E2E_NAME ":   vector %u delivery %u: event %d, %llu ns on cpu %d; set up then: CPU vector %#x, APIC ID %d\n",
			v->index, i + 1, v->hist[i % E2E_HIST].seq, v->hist[i % E2E_HIST].ns,
			v->hist[i % E2E_HIST].cpu, v->hist[i % E2E_HIST].cfg_vec,
			v->hist[i % E2E_HIST].cfg_dest);
}

/* Every vector delivered exactly as often as the test caused it to be. */
static bool e2e_counts_exact(struct e2e_dev *d, const char *phase)
{
	bool ok = true;
	unsigned int i;

	msleep(E2E_QUIET_MS);
	for (i = 0; i < d->nvec; i++) {
		struct e2e_vec *v = &d->vec[i];
		unsigned int c = atomic_read(&v->count);

		if (c != v->expect) {
			pr_warn(E2E_NAME ": %s: vector %u delivered %u times, expected %u (%s its interrupt %u times in all)\n",
				phase, i, c, v->expect, e2e_fn_counter(d), e2e_fn_count(d, v->index));
			e2e_dump_hist(v);
			ok = false;
		}
	}
	return ok;
}

/*
 * xHCI mode: programs interrupters 0..n-1 (after the allocation: MSI or
 * MSI-X must be on first, or interrupter 0 would raise INTx) and stops them
 * (before the vectors go: no doorbell is rung then).
 */
static int e2e_xhci_start(struct e2e_dev *d, unsigned int n)
{
	struct e2e_xhci *x = &d->x;
	int ret = xhci_irq_setup(&x->io, &x->caps, x->iova, n);

	if (ret != XHCI_IRQ_OK) {
		pr_warn(E2E_NAME ": xHCI: setting up %u interrupter(s) failed: %d (%s)\n", n, ret,
			ret == XHCI_IRQ_EDMA ? "USBSTS.HCE: the ERST read failed" : "bad argument");
		e2e_fail(d, ret == XHCI_IRQ_EDMA ? "xhci-dma" : "xhci-setup");
		return -EIO;
	}
	x->nr = n;
	return 0;
}

static void e2e_xhci_stop(struct e2e_dev *d)
{
	struct e2e_xhci *x = &d->x;

	if (x->nr)
		xhci_irq_stop(&x->io, &x->caps, x->nr);
	x->nr = 0;
}

static void e2e_free_vectors(struct e2e_dev *d)
{
	unsigned int i;

	if (d->xhci)
		e2e_xhci_stop(d);
	for (i = 0; i < d->nvec; i++) {
		struct e2e_vec *v = &d->vec[i];

		if (v->requested) {
			free_irq(v->irq, v);
			v->requested = false;
		}
	}
	if (d->nvec)
		pci_free_irq_vectors(d->pdev);
	d->nvec = 0;
}

static const char *e2e_irq_mode(struct pci_dev *pdev)
{
	if (pdev->msix_enabled)
		return "msix";
	if (pdev->msi_enabled)
		return "msi";
	return "intx";
}

/*
 * Allocates between 1 and max vectors and requests each; returns how many.
 * affd: managed affinity (PCI_IRQ_AFFINITY), or NULL.
 */
static int e2e_alloc_vectors(struct e2e_dev *d, unsigned int max, struct irq_affinity *affd)
{
	unsigned int flags = PCI_IRQ_MSI | PCI_IRQ_MSIX | (affd ? PCI_IRQ_AFFINITY : 0);
	int n, i, ret, c;

	n = pci_alloc_irq_vectors_affinity(d->pdev, 1, max, flags, affd);
	if (n < 0) {
		pr_warn(E2E_NAME ": pci_alloc_irq_vectors%s(1, %u) failed: %d\n",
			affd ? "_affinity" : "", max, n);
		return n;
	}
	d->nvec = n;
	for (i = 0; i < n; i++) {
		struct e2e_vec *v = &d->vec[i];

		v->dev = d;
		v->index = i;
		v->expect = 0;
		atomic_set(&v->count, 0);
		for (c = 0; c < E2E_CPUS; c++)
			atomic_set(&v->on_cpu[c], 0);
		v->last_cpu = -1;
		v->requested = false;
		v->irq = pci_irq_vector(d->pdev, i);
		if (v->irq < 0) {
			pr_warn(E2E_NAME ": pci_irq_vector(%d) failed: %d\n", i, v->irq);
			return v->irq;
		}
		snprintf(v->name, sizeof(v->name), E2E_NAME "-%d", i);
		ret = request_irq(v->irq, e2e_irq, 0, v->name, v);
		if (ret) {
			pr_warn(E2E_NAME ": request_irq(%d) for vector %d failed: %d\n",
				v->irq, i, ret);
			return ret;
		}
		v->requested = true;
	}
	if (d->xhci) {
		ret = e2e_xhci_start(d, n);
		if (ret)
			return ret;
	}
	return n;
}

/* Fires every vector once; returns how many were delivered exactly once. */
static unsigned int e2e_fire_each(struct e2e_dev *d, const char *phase)
{
	bool own[E2E_MAX_VEC];
	unsigned int i, once = 0;

	for (i = 0; i < d->nvec; i++) {
		struct e2e_vec *v = &d->vec[i];
		int h0 = atomic_read(&d->handled);
		/* nothing at this handler before its own fire */
		bool early = (unsigned int)atomic_read(&v->count) != v->expect;

		own[i] = false;
		if (!e2e_fire_wait(v)) {
			pr_warn(E2E_NAME ": %s: vector %u (irq %d) not delivered within %d ms\n",
				phase, i, v->irq, E2E_WAIT_MS);
			/* count it as caused: a late delivery must not pass later checks */
			continue;
		}
		/* its own handler ran, and none other: the run's count grew by one
		 * (a vector's interrupt at another's handler shows here) */
		own[i] = !early && atomic_read(&d->handled) - h0 == 1;
		if (!own[i])
			pr_warn(E2E_NAME ": %s: vector %u: %s, %d deliveries in all by the time it came (want one, at its own handler)\n",
				phase, i, early ? "delivered before its fire" : "delivered",
				atomic_read(&d->handled) - h0);
		if (verbose)
			pr_info(E2E_NAME ": %s: vector %u (irq %d) delivered on cpu %d\n",
				phase, i, v->irq, READ_ONCE(v->last_cpu));
	}
	msleep(E2E_QUIET_MS);
	for (i = 0; i < d->nvec; i++) {
		struct e2e_vec *v = &d->vec[i];

		if ((unsigned int)atomic_read(&v->count) == v->expect)
			once += own[i];
		else /* the other side's count: twice there, or only here */
			pr_warn(E2E_NAME ": %s: vector %u delivered %d times, expected %u (%s %u)\n",
				phase, i, atomic_read(&v->count), v->expect,
				e2e_fn_counter(d), e2e_fn_count(d, i));
	}
	return once;
}

/* PBA bit k (MSI-X, mapped by e2e_map_msix()), or -1 without one */
static int e2e_pba_bit(struct e2e_dev *d, unsigned int k)
{
	if (!d->pba)
		return -1;
	return !!(readl(d->pba + (k / 32) * 4) & BIT(k % 32));
}

/* Waits (bounded: ms, 0 for one look) for PBA bit k; true when it is set. */
static bool e2e_pba_wait(struct e2e_dev *d, unsigned int k, unsigned int ms)
{
	unsigned long end = jiffies + msecs_to_jiffies(ms);

	for (;;) {
		if (e2e_pba_bit(d, k) == 1)
			return true;
		if (!ms || time_after(jiffies, end))
			return false;
		usleep_range(500, 1000);
	}
}

/*
 * A structure of the MSI-X capability, the table (PCI_MSIX_TABLE) or the
 * PBA (PCI_MSIX_PBA; same BIR and offset fields), through a mapping of the
 * module's own of its BAR range (pci_iomap_range(); the MSI core maps only
 * the table, for itself). 0 without MSI-X (*p stays NULL).
 */
static int e2e_map_msix(struct e2e_dev *d, int reg, unsigned long len, void __iomem **p)
{
	struct pci_dev *pdev = d->pdev;
	u32 v = 0;

	if (!pdev->msix_enabled)
		return 0;
	pci_read_config_dword(pdev, pdev->msix_cap + reg, &v);
	*p = pci_iomap_range(pdev, v & PCI_MSIX_TABLE_BIR, v & PCI_MSIX_TABLE_OFFSET, len);
	return *p ? 0 : -ENOMEM;
}

static void e2e_unmap_msix(struct e2e_dev *d, void __iomem **p)
{
	if (*p)
		pci_iounmap(d->pdev, *p);
	*p = NULL;
}

/*
 * disable_irq / fire / enable_irq: nothing may be delivered while the
 * interrupt is disabled, exactly one delivery after enable_irq. unlazy:
 * disable_irq masks the vector at once (IRQ_DISABLE_UNLAZY), so the
 * function holds the message pending until the unmask; lazy (Linux's
 * default): the first message arrives, Linux masks the vector then, marks
 * it pending and replays it from enable_irq.
 */
static bool e2e_mask_one(struct e2e_vec *v, bool unlazy, struct e2e_result *r)
{
	struct e2e_dev *d = v->dev;
	/* xHCI mode: an unlazy MSI-X mask must show in the PBA (the function,
	 * or vmsix for it, holds the message); the test function's counter
	 * E2E_REG_PENDED says so there, the PBA is information */
	bool need_pba = unlazy && d->xhci && d->pba;
	u32 p0 = 0, p1 = 0;
	bool ok = true;

	if (unlazy)
		irq_set_status_flags(v->irq, IRQ_DISABLE_UNLAZY);
	disable_irq(v->irq);
	if (!d->xhci)
		p0 = e2e_read(d, E2E_REG_PENDED);
	v->expect++;
	e2e_fire(v);
	msleep(E2E_QUIET_MS);
	if (!d->xhci) {
		p1 = e2e_read(d, E2E_REG_PENDED);
		if (unlazy && p1 != p0)
			r->pended++;
	}
	if (unlazy && d->pba) {
		/* a passed-through function's message reaches the VMM on its
		 * own time: wait for it (bounded) where it is required */
		if (e2e_pba_wait(d, v->index, need_pba ? E2E_WAIT_MS : 0)) {
			r->pba_seen++;
		} else if (need_pba) {
			pr_warn(E2E_NAME ": mask(unlazy): vector %u: its PBA bit did not show while masked\n",
				v->index);
			ok = false;
		}
	}
	if ((unsigned int)atomic_read(&v->count) != v->expect - 1) {
		pr_warn(E2E_NAME ": mask(%s): vector %u delivered while disabled\n",
			unlazy ? "unlazy" : "lazy", v->index);
		ok = false;
	}
	enable_irq(v->irq);
	if (unlazy)
		irq_clear_status_flags(v->irq, IRQ_DISABLE_UNLAZY);
	if (!e2e_wait_count(v, v->expect, E2E_WAIT_MS)) {
		pr_warn(E2E_NAME ": mask(%s): vector %u not delivered after enable_irq\n",
			unlazy ? "unlazy" : "lazy", v->index);
		ok = false;
	}
	msleep(E2E_QUIET_MS);
	if ((unsigned int)atomic_read(&v->count) > v->expect) {
		pr_warn(E2E_NAME ": mask(%s): vector %u delivered %d times, expected %u\n",
			unlazy ? "unlazy" : "lazy", v->index, atomic_read(&v->count),
			v->expect);
		ok = false;
	}
	if (need_pba && e2e_pba_bit(d, v->index) == 1) {
		pr_warn(E2E_NAME ": mask(unlazy): vector %u: its PBA bit still set after the delivery\n",
			v->index);
		ok = false;
	}
	if (verbose)
		pr_info(E2E_NAME ": mask(%s): vector %u ok=%d pended %u->%u\n",
			unlazy ? "unlazy" : "lazy", v->index, ok, p0, p1);
	return ok;
}

/*
 * Did the VMM inject function interrupt k exactly once per doorbell (its
 * per-vector counter)? Then every delivery beyond that was made in the guest.
 * xHCI mode: did the interrupter raise and send once per doorbell? The VMM
 * (if any) is not seen there.
 */
static bool e2e_injected_exact(struct e2e_dev *d, unsigned int k)
{
	return e2e_fn_count(d, k) == d->fired[k];
}

/*
 * Can Linux retrigger v's interrupt itself on a move (the careful path of
 * x86's msi_set_affinity(), which only an interrupt that is not remapped
 * takes; a remapped one moves in process context, IRQ_MOVE_PCNTXT)? The
 * test function's VMM counter tells such a delivery from the function's;
 * in xHCI mode a delivery the guest did not cause is accepted only where
 * Linux may have made it.
 */
static bool e2e_may_retrigger(struct e2e_vec *v)
{
	struct irq_data *irqd = irq_get_irq_data(v->irq);

	return !v->dev->xhci || (irqd && !irqd_can_move_in_process_context(irqd));
}

/*
 * After an affinity move: an extra, unrequested delivery may follow. On x86
 * without interrupt remapping, msi_set_affinity() (Linux 6.1) takes its
 * careful path for these interrupts: it points the message at the new
 * vector on the old CPU, then at the new CPU, and retriggers the interrupt
 * (an IPI to the new CPU) when the new vector's number is pending in the
 * old CPU's IRR, whatever set it there (another interrupt with the same
 * number, e.g. the PIT's 0x30 on CPU 0). Linux documents that as a rare,
 * harmless spurious interrupt. Accept at most one per move, and only when
 * the VMM injected the function's interrupt exactly once per doorbell (so
 * vmsix sent no extra message); count them (spurious=).
 */
static bool e2e_settle_move(struct e2e_vec *v)
{
	struct e2e_dev *d = v->dev;
	unsigned int c, extra;

	msleep(E2E_QUIET_MS);
	c = atomic_read(&v->count);
	if (c <= v->expect)
		return true;
	extra = c - v->expect;
	if (extra > 1 || !e2e_injected_exact(d, v->index) || !e2e_may_retrigger(v)) {
		pr_warn(E2E_NAME ": affinity: vector %u: %u unrequested deliveries after a move (%s it %u times for %u doorbells)\n",
			v->index, extra, e2e_fn_counter(d), e2e_fn_count(d, v->index),
			d->fired[v->index]);
		e2e_dump_hist(v);
		return false;
	}
	if (verbose)
		pr_info(E2E_NAME ": affinity: vector %u: one spurious delivery after the move (Linux's retrigger)\n",
			v->index);
	d->spurious += extra;
	v->expect = c;
	return true;
}

/*
 * Moves v to cpu and proves it with a delivery there. On x86 without
 * interrupt remapping an MSI/MSI-X affinity change from process context is
 * deferred (GENERIC_PENDING_IRQ): irq_set_affinity() only records it, and
 * the next interrupt's ack (apic_ack_edge -> irq_move_irq, on the old CPU)
 * masks the vector, reprograms the message and unmasks it. That move is put
 * off again (-EBUSY, the request kept pending) while the previous move's
 * old vector has not been cleaned up yet: the first interrupt on the new
 * vector sends a cleanup IPI to the old CPU, which handles it when it can.
 * So the first fires after the change may still land on the old CPU; allow
 * a few, a moment apart, and require that one lands on the new CPU.
 */
static bool e2e_move_to(struct e2e_vec *v, unsigned int cpu, unsigned int *refires)
{
	int ret, tries;

	ret = irq_set_affinity(v->irq, cpumask_of(cpu));
	if (ret) {
		pr_warn(E2E_NAME ": irq_set_affinity(irq %d, cpu %u) failed: %d\n",
			v->irq, cpu, ret);
		return false;
	}
	for (tries = 0; tries < E2E_AFFINITY_FIRES; tries++) {
		unsigned int spurious = v->dev->spurious;

		if (!e2e_fire_wait(v)) {
			pr_warn(E2E_NAME ": affinity: vector %u not delivered (cpu %u)\n",
				v->index, cpu);
			return false;
		}
		if (!e2e_settle_move(v))
			return false;
		/* proof: this fire's one delivery, no spurious one, on cpu */
		if (v->dev->spurious == spurious && READ_ONCE(v->last_cpu) == (int)cpu) {
			if (verbose)
				pr_info(E2E_NAME ": affinity: vector %u on cpu %u after %d fire(s)\n",
					v->index, cpu, tries + 1);
			return true;
		}
		(*refires)++;
		msleep(E2E_AFFINITY_GAP_MS);
	}
	pr_warn(E2E_NAME ": affinity: vector %u still on cpu %d after %d fires (wanted %u)\n",
		v->index, READ_ONCE(v->last_cpu), E2E_AFFINITY_FIRES, cpu);
	return false;
}

static bool e2e_affinity(struct e2e_dev *d, unsigned int *refires)
{
	unsigned int i, cpu;
	bool ok = true;

	for (i = 0; i < d->nvec; i++) {
		for_each_online_cpu(cpu) {
			if (!e2e_move_to(&d->vec[i], cpu, refires))
				ok = false;
		}
	}
	/* back to any CPU */
	for (i = 0; i < d->nvec; i++)
		irq_set_affinity(d->vec[i].irq, cpu_online_mask);
	return e2e_counts_exact(d, "affinity") && ok;
}

struct e2e_lat {
	struct e2e_vec *v;
	unsigned int n;
	u64 *ns;
	u64 *tsc;
	unsigned int got;
};

static int e2e_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/*
 * The spin of one latency sample gives up after E2E_WAIT_MS by the clock,
 * or after E2E_SPIN_TSC TSC cycles, or E2E_SPIN_LOOPS iterations, whichever
 * comes first: a guest whose clocksource is jiffies (no kvm-clock, TSC not
 * calibrated) must not spin forever either.
 */
#define E2E_SPIN_TSC (8ull << 30)
#define E2E_SPIN_LOOPS (1u << 28)

static bool e2e_spin_expired(u64 deadline, u64 tsc0, unsigned int loops)
{
	if (ktime_get_ns() >= deadline || loops >= E2E_SPIN_LOOPS)
		return true;
#ifdef CONFIG_X86
	if (rdtsc_ordered() - tsc0 >= E2E_SPIN_TSC)
		return true;
#endif
	return false;
}

/*
 * Runs on one CPU (work_on_cpu): fires v n times, each time spinning
 * (preemption off, interrupts on, bounded) until the handler has run, and
 * records doorbell-write-to-handler-entry times.
 */
static long e2e_lat_work(void *arg)
{
	struct e2e_lat *l = arg;
	struct e2e_vec *v = l->v;
	unsigned int i;

	for (i = 0; i < l->n; i++) {
		unsigned int want = v->expect + 1, loops = 0;
		u64 t0, tsc0 = 0, deadline;

		preempt_disable();
		t0 = ktime_get_ns();
#ifdef CONFIG_X86
		tsc0 = rdtsc_ordered();
#endif
		v->expect = want;
		e2e_fire(v);
		deadline = t0 + (u64)E2E_WAIT_MS * NSEC_PER_MSEC;
		while ((unsigned int)atomic_read(&v->count) < want &&
		       !e2e_spin_expired(deadline, tsc0, loops++))
			cpu_relax();
		preempt_enable();
		if ((unsigned int)atomic_read(&v->count) < want)
			break;
		smp_rmb();
		l->ns[l->got] = READ_ONCE(v->last_ns) - t0;
		l->tsc[l->got] = READ_ONCE(v->last_tsc) - tsc0;
		l->got++;
		if (need_resched())
			cond_resched();
	}
	return 0;
}

static u64 e2e_pct(const u64 *sorted, unsigned int n, unsigned int pct)
{
	return sorted[min_t(unsigned int, n - 1, n * pct / 100)];
}

/*
 * Doorbell-to-handler times of vector v delivered to irq_cpu while the
 * doorbell is written on fire_cpu: their median and spread. Returns false
 * if a delivery timed out.
 */
static bool e2e_latency(struct e2e_vec *v, unsigned int fire_cpu, unsigned int irq_cpu,
			unsigned int n, struct e2e_lat_stats *st, unsigned int *got)
{
	struct e2e_lat l = { .v = v, .n = n };
	unsigned int refires = 0;
	bool ok = false;

	memset(st, 0, sizeof(*st));
	*got = 0;
	if (!e2e_move_to(v, irq_cpu, &refires))
		return false;
	l.ns = kcalloc(n, sizeof(*l.ns), GFP_KERNEL);
	l.tsc = kcalloc(n, sizeof(*l.tsc), GFP_KERNEL);
	if (!l.ns || !l.tsc)
		goto out;
	work_on_cpu(fire_cpu, e2e_lat_work, &l);
	*got = l.got;
	if (l.got == n) {
		sort(l.ns, n, sizeof(*l.ns), e2e_cmp_u64, NULL);
		sort(l.tsc, n, sizeof(*l.tsc), e2e_cmp_u64, NULL);
		st->median = l.ns[n / 2];
		st->p10 = e2e_pct(l.ns, n, 10);
		st->p25 = e2e_pct(l.ns, n, 25);
		st->p75 = e2e_pct(l.ns, n, 75);
		st->p90 = e2e_pct(l.ns, n, 90);
		st->median_tsc = l.tsc[n / 2];
		ok = true;
		pr_info(E2E_NAME ": latency cpu%u->cpu%u: n=%u min=%llu median=%llu max=%llu ns, median %llu TSC cycles\n",
			fire_cpu, irq_cpu, n, l.ns[0], l.ns[n / 2], l.ns[n - 1], l.tsc[n / 2]);
	} else {
		pr_warn(E2E_NAME ": latency: delivery %u of %u timed out\n", l.got + 1, n);
	}
out:
	kfree(l.ns);
	kfree(l.tsc);
	return ok;
}

/*
 * x86 MSI Message Address (SDM vol. 3, 11.11.1): the destination in bits
 * 19:12, the destination mode in bit 2 (1: logical).
 */
#define E2E_MSI_DEST_SHIFT 12
#define E2E_MSI_DEST_MASK (0xffu << E2E_MSI_DEST_SHIFT)
#define E2E_MSI_LOGICAL BIT(2)
/* VT-d's remappable format (Interrupt Format, bit 4): the address names a
 * remapping entry (its handle in bits 19:5 and 2), not a CPU */
#define E2E_MSI_REMAPPABLE BIT(4)

static unsigned int e2e_cpu_slot(int cpu)
{
	return min_t(unsigned int, cpu, E2E_CPUS - 1);
}

/* The one CPU Linux delivers v's irq to now (its effective affinity), or -1. */
static int e2e_irq_cpu(struct e2e_vec *v)
{
	const struct cpumask *m = irq_get_effective_affinity_mask(v->irq);

	if (!m || cpumask_weight(m) != 1)
		return -1;
	return cpumask_first(m);
}

/*
 * Rings function interrupt k's doorbell and checks that exactly one
 * delivery follows, at w's handler on cpu, and none anywhere else (the
 * run's handler count grows by exactly one).
 */
static bool e2e_expect_on(struct e2e_dev *d, unsigned int k, struct e2e_vec *w, int cpu,
			  const char *phase, const char *what)
{
	int h0 = atomic_read(&d->handled);
	int c0 = atomic_read(&w->on_cpu[e2e_cpu_slot(cpu)]);
	int dh, dc;
	bool came;

	w->expect++;
	e2e_doorbell(d, k, w);
	came = e2e_wait_count(w, w->expect, E2E_WAIT_MS);
	msleep(E2E_QUIET_MS);
	dh = atomic_read(&d->handled) - h0;
	dc = atomic_read(&w->on_cpu[e2e_cpu_slot(cpu)]) - c0;
	if (!came || dh != 1 || dc != 1) {
		pr_warn(E2E_NAME ": %s (%s): doorbell %u: %d deliveries in all, %d of them at vector %u's handler on cpu %d (want exactly one, there); vector %u last ran on cpu %d; %s interrupt %u %u times for %u doorbells\n",
			phase, what, k, dh, dc, w->index, cpu, w->index, READ_ONCE(w->last_cpu),
			e2e_fn_counter(d), k, e2e_fn_count(d, k), d->fired[k]);
		e2e_dump_hist(w);
		return false;
	}
	if (verbose)
		pr_info(E2E_NAME ": %s (%s): doorbell %u -> vector %u on cpu %d\n", phase, what, k,
			w->index, cpu);
	return true;
}

/*
 * The live rewrite reaches function interrupt k's message the way a driver
 * with its own MSI-X handling does, with no help from Linux's MSI core:
 * the MSI-X table through a mapping of its own of the table's BAR range
 * (d->table, pci_iomap_range(); the MSI core has its own mapping), or, in
 * the plain-MSI control run, the MSI capability in configuration space.
 */
static int e2e_map_table(struct e2e_dev *d)
{
	return e2e_map_msix(d, PCI_MSIX_TABLE, d->nvec * PCI_MSIX_ENTRY_SIZE, &d->table);
}

static void e2e_unmap_table(struct e2e_dev *d)
{
	e2e_unmap_msix(d, &d->table);
}

static void __iomem *e2e_entry(struct e2e_dev *d, unsigned int k, unsigned int reg)
{
	return d->table + k * PCI_MSIX_ENTRY_SIZE + reg;
}

static u32 e2e_msg_addr(struct e2e_dev *d, unsigned int k)
{
	u32 a = 0;

	if (d->table)
		return readl(e2e_entry(d, k, PCI_MSIX_ENTRY_LOWER_ADDR));
	pci_read_config_dword(d->pdev, d->pdev->msi_cap + PCI_MSI_ADDRESS_LO, &a);
	return a;
}

/*
 * Writes k's Message Address (its low dword) while the entry is live: no
 * mask before, no unmask after, Linux not told. The read back makes sure
 * the write reached the device before the next doorbell.
 */
static void e2e_msg_addr_write(struct e2e_dev *d, unsigned int k, u32 a)
{
	if (d->table) {
		writel(a, e2e_entry(d, k, PCI_MSIX_ENTRY_LOWER_ADDR));
		readl(e2e_entry(d, k, PCI_MSIX_ENTRY_LOWER_ADDR));
		return;
	}
	pci_write_config_dword(d->pdev, d->pdev->msi_cap + PCI_MSI_ADDRESS_LO, a);
}

/* One live write of the test, counted (move: to another CPU's APIC ID). */
static void e2e_live_write(struct e2e_dev *d, struct e2e_result *r, unsigned int k, u32 a,
			   bool move)
{
	e2e_msg_addr_write(d, k, a);
	r->live_rewrites++;
	r->live_moves += move;
}

/* Is k's entry live: not masked (MSI-X Vector Control, or MSI's mask bit k)? */
static bool e2e_msg_unmasked(struct e2e_dev *d, unsigned int k)
{
	struct pci_dev *pdev = d->pdev;
	u16 flags = 0;
	u32 mask = 0;

	if (d->table)
		return !(readl(e2e_entry(d, k, PCI_MSIX_ENTRY_VECTOR_CTRL)) &
			 PCI_MSIX_ENTRY_CTRL_MASKBIT);
	pci_read_config_word(pdev, pdev->msi_cap + PCI_MSI_FLAGS, &flags);
	if (!(flags & PCI_MSI_FLAGS_MASKBIT))
		return true;
	pci_read_config_dword(pdev, pdev->msi_cap + ((flags & PCI_MSI_FLAGS_64BIT) ?
						     PCI_MSI_MASK_64 : PCI_MSI_MASK_32), &mask);
	return !(mask & BIT(k));
}

/*
 * The same CPU, another address: v's live Message Address goes from
 * physical destination mode to logical mode naming the same CPU (flat
 * model bit = APIC ID, as the VMM's policy and Linux's LDR have it), and
 * back. Each fire must reach v's handler on that CPU exactly once. Where
 * Linux itself uses logical flat mode (a guest of QEMU with ACPI: the
 * xHCI mode's direct runs), the same the other way round.
 */
static bool e2e_rewrite_mode(struct e2e_dev *d, struct e2e_vec *v, struct e2e_result *r)
{
	unsigned int k = v->index;
	u32 a0, a1, dest;
	bool ok = true, logical;
	int cpu;

	cpu = e2e_irq_cpu(v);
	a0 = e2e_msg_addr(d, k);
	dest = (a0 & E2E_MSI_DEST_MASK) >> E2E_MSI_DEST_SHIFT;
	logical = a0 & E2E_MSI_LOGICAL;
	if (cpu < 0 || (logical ? hweight32(dest) != 1 : dest >= 8) || !e2e_msg_unmasked(d, k)) {
		pr_warn(E2E_NAME ": live rewrite: vector %u: no live entry naming one CPU to start from (cpu %d, address %#x, unmasked %d)\n",
			k, cpu, a0, e2e_msg_unmasked(d, k));
		return false;
	}
	if (logical)
		a1 = (a0 & ~E2E_MSI_DEST_MASK & ~E2E_MSI_LOGICAL) |
		     ((u32)__ffs(dest) << E2E_MSI_DEST_SHIFT);
	else
		a1 = (a0 & ~E2E_MSI_DEST_MASK) | (BIT(dest) << E2E_MSI_DEST_SHIFT) |
		     E2E_MSI_LOGICAL;
	ok &= e2e_expect_on(d, k, v, cpu, "live rewrite", logical ? "logical, before" : "physical, before");
	e2e_live_write(d, r, k, a1, false);
	ok &= e2e_expect_on(d, k, v, cpu, "live rewrite",
			    logical ? "physical, right after the write" : "logical, right after the write");
	ok &= e2e_expect_on(d, k, v, cpu, "live rewrite", logical ? "physical, again" : "logical, again");
	e2e_live_write(d, r, k, a0, false);
	ok &= e2e_expect_on(d, k, v, cpu, "live rewrite", logical ? "logical, restored" : "physical, restored");
	if (verbose || !ok)
		pr_info(E2E_NAME ": live rewrite: vector %u on cpu %d: address %#x -> %#x -> %#x: ok=%d\n",
			k, cpu, a0, a1, a0, ok);
	return ok;
}

/*
 * Two live MSI-X vectors on different CPUs to which Linux gave the same
 * CPU vector number: their messages differ only in the Message Address's
 * destination, so writing one's address into the other's entry moves that
 * function interrupt to the other CPU, where Linux runs the other
 * vector's handler (Linux's vector numbers are per CPU: this is the only
 * way an address-only move can land on a handler of ours).
 */
static bool e2e_find_pair(struct e2e_dev *d, struct e2e_vec **pi, struct e2e_vec **pj)
{
	/* each entry read once: every read is a trapped access */
	struct {
		u32 addr, upper, data;
		int cpu;	/* -1: not a candidate */
	} e[E2E_MAX_VEC];
	unsigned int i, j;

	for (i = 0; i < d->nvec; i++) {
		e[i].addr = e2e_msg_addr(d, i);
		e[i].upper = readl(e2e_entry(d, i, PCI_MSIX_ENTRY_UPPER_ADDR));
		e[i].data = readl(e2e_entry(d, i, PCI_MSIX_ENTRY_DATA));
		e[i].cpu = e2e_irq_cpu(&d->vec[i]);
		/* one CPU named: physical mode, or logical flat with one bit */
		if (((e[i].addr & E2E_MSI_LOGICAL) &&
		     hweight32((e[i].addr & E2E_MSI_DEST_MASK) >> E2E_MSI_DEST_SHIFT) != 1) ||
		    !e2e_msg_unmasked(d, i))
			e[i].cpu = -1;
	}
	for (i = 0; i < d->nvec; i++) {
		for (j = 0; j < d->nvec; j++) {
			if (e[i].cpu < 0 || e[j].cpu < 0 || e[i].cpu == e[j].cpu ||
			    (e[i].addr & ~E2E_MSI_DEST_MASK) != (e[j].addr & ~E2E_MSI_DEST_MASK) ||
			    e[i].addr == e[j].addr || e[i].upper != e[j].upper ||
			    e[i].data != e[j].data)
				continue;
			*pi = &d->vec[i];
			*pj = &d->vec[j];
			return true;
		}
	}
	return false;
}

/*
 * Finds such a pair; when there is none, moves vectors (Linux's way, each
 * move proven by a delivery) from the CPU that holds more of them to the
 * other, each move taking the lowest free vector number there, until one
 * appears.
 */
static bool e2e_make_pair(struct e2e_dev *d, struct e2e_vec **pi, struct e2e_vec **pj)
{
	unsigned int tries, i, refires = 0;
	int c0 = cpumask_first(cpu_online_mask);
	int c1 = cpumask_next(c0, cpu_online_mask);

	for (tries = 0; tries <= d->nvec; tries++) {
		unsigned int n0 = 0, n1 = 0;
		int from, to;

		if (e2e_find_pair(d, pi, pj))
			return true;
		for (i = 0; i < d->nvec; i++) {
			n0 += e2e_irq_cpu(&d->vec[i]) == c0;
			n1 += e2e_irq_cpu(&d->vec[i]) == c1;
		}
		from = n0 > n1 ? c0 : c1;
		to = from == c0 ? c1 : c0;
		for (i = d->nvec; i-- > 0;) {
			if (e2e_irq_cpu(&d->vec[i]) == from)
				break;
		}
		if (i >= d->nvec || !e2e_move_to(&d->vec[i], to, &refires))
			break;
		if (verbose)
			pr_info(E2E_NAME ": live rewrite: no pair yet; moved vector %u to cpu %d\n", i, to);
	}
	pr_warn(E2E_NAME ": live rewrite: no two vectors on different CPUs with the same CPU vector number\n");
	return false;
}

/*
 * The move: function interrupt i (cpu a) and j (cpu b), same Message Data.
 * Per round: each at home; i's live entry rewritten to b's APIC ID (it
 * must arrive at once, on b, exactly once, at j's handler); j's to a's
 * (at i's handler, on a) while i is still moved; both back. Whatever
 * happens, both entries end as Linux wrote them.
 */
static bool e2e_rewrite_move(struct e2e_dev *d, struct e2e_result *r)
{
	struct e2e_vec *vi, *vj;
	unsigned int i, j, round;
	u32 ai, aj;
	int ca, cb;
	bool ok = true;

	if (!e2e_make_pair(d, &vi, &vj))
		return false;
	i = vi->index;
	j = vj->index;
	ca = e2e_irq_cpu(vi);
	cb = e2e_irq_cpu(vj);
	ai = e2e_msg_addr(d, i);
	aj = e2e_msg_addr(d, j);
	pr_info(E2E_NAME ": live rewrite: vectors %u (cpu %d, address %#x) and %u (cpu %d, address %#x), data %#x\n",
		i, ca, ai, j, cb, aj, readl(e2e_entry(d, i, PCI_MSIX_ENTRY_DATA)));
	for (round = 0; round < E2E_REWRITE_ROUNDS && ok; round++) {
		ok &= e2e_expect_on(d, i, vi, ca, "live move", "i at home");
		ok &= e2e_expect_on(d, j, vj, cb, "live move", "j at home");
		e2e_live_write(d, r, i, aj, true);
		ok &= e2e_expect_on(d, i, vj, cb, "live move", "i moved to j's cpu, right after the write");
		ok &= e2e_expect_on(d, i, vj, cb, "live move", "i moved, again");
		e2e_live_write(d, r, j, ai, true);
		ok &= e2e_expect_on(d, j, vi, ca, "live move", "j moved to i's cpu, right after the write");
		ok &= e2e_expect_on(d, i, vj, cb, "live move", "i still moved");
		e2e_live_write(d, r, i, ai, true);
		ok &= e2e_expect_on(d, i, vi, ca, "live move", "i back, right after the write");
		e2e_live_write(d, r, j, aj, true);
		ok &= e2e_expect_on(d, j, vj, cb, "live move", "j back, right after the write");
	}
	/* Linux's bookkeeping (its cached messages) stays right */
	e2e_msg_addr_write(d, i, ai);
	e2e_msg_addr_write(d, j, aj);
	return ok;
}

/*
 * Live Message Address rewrites (Linux 6.1 masks an entry before it
 * rewrites it, so nothing else here writes a live entry): vector 0's
 * destination mode on the same CPU (both runs), and, with MSI-X, two
 * CPUs and two vectors, moves between the CPUs. The test function's VMM
 * must not count a fault meanwhile (its cross-check of the remapping entry
 * against the guest's message of the vector: a stale entry shows there;
 * the xHCI mode has no such counter).
 */
static bool e2e_live_rewrite(struct e2e_dev *d, struct e2e_result *r)
{
	u32 faults0 = 0, faults1 = 0;
	bool ok = true;

	if (e2e_map_table(d)) {
		pr_warn(E2E_NAME ": live rewrite: cannot map the MSI-X table\n");
		return false;
	}
	/* Linux remaps the function's interrupts itself (an IOMMU in this
	 * machine, the xHCI mode's direct runs): rewriting an address picks
	 * another remapping entry, which is no move of this test's kind */
	if (e2e_msg_addr(d, 0) & E2E_MSI_REMAPPABLE) {
		pr_info(E2E_NAME ": live rewrite: not applicable: the message (address %#x) is in remappable format, Linux remaps interrupts here\n",
			e2e_msg_addr(d, 0));
		r->live_rewrite_na = true;
		e2e_unmap_table(d);
		return false;
	}
	if (!d->xhci)
		faults0 = e2e_read(d, E2E_REG_FAULTS);
	/* completes any affinity change Linux still has pending: from here on
	 * the messages stay as Linux wrote them */
	if (e2e_fire_each(d, "live rewrite (first)") != d->nvec)
		ok = false;
	if (!e2e_rewrite_mode(d, &d->vec[0], r))
		ok = false;
	if (d->table && d->nvec >= 2 && num_online_cpus() >= 2 && !e2e_rewrite_move(d, r))
		ok = false;
	if (!d->xhci)
		faults1 = e2e_read(d, E2E_REG_FAULTS);
	if (faults1 != faults0) {
		pr_warn(E2E_NAME ": live rewrite: the VMM counted %u fault(s) (a remapping entry that did not follow the guest's message, or a refused one)\n",
			faults1 - faults0);
		ok = false;
	}
	e2e_unmap_table(d);
	return e2e_counts_exact(d, "live rewrite") && ok;
}

/*
 * Managed affinity: pci_alloc_irq_vectors_affinity(PCI_IRQ_AFFINITY) spreads
 * the vectors over the CPUs (min(max, possible CPUs) of them; one for
 * plain MSI without interrupt remapping, affine to every CPU). Each must
 * be managed, delivered to one CPU of its mask, and its fires handled
 * there exactly once; together they cover every online CPU.
 */
static bool e2e_managed(struct e2e_dev *d, struct e2e_result *r)
{
	struct irq_affinity affd = { 0 };
	cpumask_var_t covered;
	unsigned int i, want;
	bool ok = true;
	int n, t;

	if (!zalloc_cpumask_var(&covered, GFP_KERNEL))
		return false;
	n = e2e_alloc_vectors(d, d->maxvec, &affd);
	r->managed_vectors = n < 0 ? 0 : n;
	/* one per CPU, where Linux gives more than one vector (MSI-X, or MSI
	 * under interrupt remapping: the first allocation says which) */
	want = d->expect_msix || r->vectors > 1 ?
		       min_t(unsigned int, d->maxvec, num_possible_cpus()) : 1;
	if (n <= 0 || strcmp(e2e_irq_mode(d->pdev), r->mode) || n != (int)want) {
		pr_warn(E2E_NAME ": managed: %s with %d vector(s), want %s with %u\n",
			n > 0 ? e2e_irq_mode(d->pdev) : "none", n, r->mode, want);
		ok = false;
	}
	for (i = 0; n > 0 && i < d->nvec; i++) {
		struct e2e_vec *v = &d->vec[i];
		struct irq_data *irqd = irq_get_irq_data(v->irq);
		const struct cpumask *aff = irqd ? irq_data_get_affinity_mask(irqd) : NULL;
		const struct cpumask *eff = irqd ? irq_data_get_effective_affinity_mask(irqd) : NULL;
		int cpu = eff ? (int)cpumask_first(eff) : -1;

		if (!aff || !eff || !irqd_affinity_is_managed(irqd) || cpumask_weight(eff) != 1 ||
		    !cpumask_subset(eff, aff) || !cpu_online(cpu)) {
			pr_warn(E2E_NAME ": managed: vector %u (irq %d): managed=%d affinity %*pbl effective %*pbl\n",
				i, v->irq, irqd && irqd_affinity_is_managed(irqd),
				cpumask_pr_args(aff ? aff : cpu_none_mask),
				cpumask_pr_args(eff ? eff : cpu_none_mask));
			ok = false;
			continue;
		}
		cpumask_or(covered, covered, aff);
		if (verbose)
			pr_info(E2E_NAME ": managed: vector %u (irq %d): affinity %*pbl, on cpu %d\n",
				i, v->irq, cpumask_pr_args(aff), cpu);
		for (t = 0; t < 2; t++)
			ok &= e2e_expect_on(d, i, v, cpu, "managed", "its managed cpu");
	}
	if (n > 0 && !cpumask_subset(cpu_online_mask, covered)) {
		pr_warn(E2E_NAME ": managed: the vectors' masks %*pbl leave out online CPUs %*pbl\n",
			cpumask_pr_args(covered), cpumask_pr_args(cpu_online_mask));
		ok = false;
	}
	ok = e2e_counts_exact(d, "managed") && ok;
	e2e_free_vectors(d);
	free_cpumask_var(covered);
	return ok;
}

/* Can the function hold a masked vector's message (MSI-X, MSI's mask bits)? */
static bool e2e_mask_bits(struct pci_dev *pdev)
{
	u16 flags = 0;

	if (pdev->msix_enabled)
		return true;
	if (!pdev->msi_enabled)
		return false;
	pci_read_config_word(pdev, pdev->msi_cap + PCI_MSI_FLAGS, &flags);
	return flags & PCI_MSI_FLAGS_MASKBIT;
}

static void e2e_run(struct e2e_dev *d, struct e2e_result *r)
{
	bool expect_msix = d->expect_msix;
	unsigned int i, cpu0, cpu1, nlat;
	bool ok;
	int n;

	/* 1. allocation: MSI-X with every vector (32; the xHCI: 16) where the
	 * function shows MSI-X (vmsix), plain MSI otherwise */
	n = e2e_alloc_vectors(d, d->maxvec, NULL);
	r->mode = d->nvec ? e2e_irq_mode(d->pdev) : "none";
	r->vectors = n < 0 ? 0 : n;
	r->mask_bits = e2e_mask_bits(d->pdev);
	pr_info(E2E_NAME ": device mode %s; Linux gave %s with %d vector(s)%s\n",
		expect_msix ? "vmsix" : "msi", r->mode, n,
		n > 0 && !r->mask_bits ? ", no per-vector mask bits" : "");
	if (n > 0) {
		struct irq_data *irqd = irq_get_irq_data(d->vec[0].irq);

		pr_info(E2E_NAME ": irq %d: can_reserve=%d move_pcntxt=%d\n",
			d->vec[0].irq, irqd && irqd_can_reserve(irqd),
			irqd && irqd_can_move_in_process_context(irqd));
	}
	if (n < 0) {
		e2e_fail(d, "alloc");
		return;
	}
	if (expect_msix ? (strcmp(r->mode, "msix") || n != (int)d->maxvec) : strcmp(r->mode, "msi"))
		e2e_fail(d, "unexpected-mode-or-vectors");

	/* 2. each vector once */
	pr_info(E2E_NAME ": phase fire\n");
	r->delivered = e2e_fire_each(d, "fire");
	if (r->delivered != d->nvec)
		e2e_fail(d, "fire");

	/* 3. masking: unlazy (the function holds it pending), then lazy.
	 * Without per-vector mask bits (the xHCI's plain MSI) the function
	 * cannot hold a message: it arrives while the vector is disabled and
	 * Linux holds it (IRQS_PENDING) and replays it from enable_irq. The
	 * handler's side must hold all the same; masked_ok says 0 (na=). */
	pr_info(E2E_NAME ": phase mask\n");
	ok = true;
	/* the PBA: one bit per vector, read as dwords */
	if (e2e_map_msix(d, PCI_MSIX_PBA, DIV_ROUND_UP(d->nvec, 64) * 8, &d->pba)) {
		pr_warn(E2E_NAME ": mask: cannot map the PBA\n");
		if (d->xhci)
			ok = false;
	}
	for (i = 0; i < d->nvec; i++) {
		if (!e2e_mask_one(&d->vec[i], true, r))
			ok = false;
		if (!e2e_mask_one(&d->vec[i], false, r))
			ok = false;
	}
	e2e_unmap_msix(d, &d->pba);
	ok = e2e_counts_exact(d, "mask") && ok;
	if (!ok)
		e2e_fail(d, "mask");
	r->masked_ok = ok && r->mask_bits;
	if (ok && !r->mask_bits)
		pr_info(E2E_NAME ": mask: the function has no per-vector mask bits: its messages came while disabled, Linux held and replayed them (masked_ok=0, not applicable)\n");

	/* 4. affinity: every vector to every online CPU */
	pr_info(E2E_NAME ": phase affinity\n");
	r->affinity_ok = e2e_affinity(d, &r->affinity_refires);
	if (!r->affinity_ok)
		e2e_fail(d, "affinity");

	/* 5. latency of vector 0: local (same CPU) and, with 2+ CPUs, remote */
	pr_info(E2E_NAME ": phase latency (clocksource: see the boot log)\n");
	nlat = clamp_t(unsigned int, samples, 1, E2E_LAT_MAX);
	cpu0 = cpumask_first(cpu_online_mask);
	cpu1 = cpumask_next(cpu0, cpu_online_mask);
	if (!e2e_latency(&d->vec[0], cpu0, cpu0, nlat, &r->lat, &r->lat_samples))
		e2e_fail(d, "latency");
	if (cpu1 < nr_cpu_ids) {
		unsigned int got;

		if (!e2e_latency(&d->vec[0], cpu0, cpu1, nlat, &r->lat_remote, &got))
			e2e_fail(d, "latency-remote");
	}
	irq_set_affinity(d->vec[0].irq, cpu_online_mask);
	if (!e2e_counts_exact(d, "latency"))
		e2e_fail(d, "latency-count");

	/* 6. live Message Address rewrites, unmasked: same CPU, moves */
	pr_info(E2E_NAME ": phase live rewrite\n");
	r->live_rewrite_ok = e2e_live_rewrite(d, r);
	if (!r->live_rewrite_ok && !r->live_rewrite_na)
		e2e_fail(d, "live-rewrite");

	/* 7. free everything, allocate again with at most 4 vectors */
	pr_info(E2E_NAME ": phase realloc\n");
	e2e_free_vectors(d);
	n = e2e_alloc_vectors(d, min_t(unsigned int, E2E_REALLOC_MAX, d->maxvec), NULL);
	r->realloc_vectors = n < 0 ? 0 : n;
	ok = n > 0 && !strcmp(e2e_irq_mode(d->pdev), r->mode) &&
	     n == min_t(int, r->vectors, E2E_REALLOC_MAX);
	if (n > 0 && e2e_fire_each(d, "realloc") != (unsigned int)n)
		ok = false;
	r->realloc_ok = ok;
	if (!ok)
		e2e_fail(d, "realloc");
	pr_info(E2E_NAME ": realloc: %s with %d vector(s)\n",
		n > 0 ? e2e_irq_mode(d->pdev) : "none", n);
	e2e_free_vectors(d);

	/* 8. managed affinity: each vector on its managed CPU */
	pr_info(E2E_NAME ": phase managed\n");
	r->managed_ok = e2e_managed(d, r);
	if (!r->managed_ok)
		e2e_fail(d, "managed");
	pr_info(E2E_NAME ": managed: %d vector(s)\n", r->managed_vectors);
}

/*
 * The fields of the line that do not apply to this run, comma-separated
 * (or "none"); they stay in the line, at 0, and no verdict rests on them:
 * the test function's counters (injected=, pended=) in xHCI mode, the PBA
 * without MSI-X, masking without per-vector mask bits, the live rewrite of
 * messages Linux remaps.
 */
static void e2e_na(struct e2e_dev *d, const struct e2e_result *r, char *buf, size_t len)
{
	const char *f[5];
	unsigned int n = 0, i;
	size_t at = 0;

	if (d->xhci) {
		f[n++] = "injected";
		f[n++] = "pended";
	}
	if (strcmp(r->mode, "msix"))
		f[n++] = "pba_seen";
	if (r->vectors > 0 && !r->mask_bits)
		f[n++] = "masked_ok";
	if (r->live_rewrite_na)
		f[n++] = "live_rewrite_ok";
	buf[0] = '\0';
	for (i = 0; i < n; i++)
		at += scnprintf(buf + at, len - at, "%s%s", i ? "," : "", f[i]);
	if (!n)
		strscpy(buf, "none", len);
}

static void e2e_report(struct e2e_dev *d, const struct e2e_result *r)
{
	u32 sent = 0, injected = 0;
	unsigned int k;
	char na[80];

	if (d->xhci) {
		for (k = 0; k < E2E_MAX_VEC; k++)
			sent += d->x.sent[k];
	} else if (d->regs) {
		sent = e2e_read(d, E2E_REG_SENT);
		injected = e2e_read(d, E2E_REG_INJECTED);
	}
	e2e_na(d, r, na, sizeof(na));
	pr_notice("VMSIX-E2E: %s vectors=%d delivered=%u masked_ok=%d affinity_ok=%d realloc_ok=%d latency_median_ns=%llu live_rewrite_ok=%d managed_ok=%d latency_median_tsc=%llu latency_remote_median_ns=%llu samples=%u latency_p10_ns=%llu latency_p25_ns=%llu latency_p75_ns=%llu latency_p90_ns=%llu latency_remote_p25_ns=%llu latency_remote_p75_ns=%llu realloc_vectors=%d managed_vectors=%d live_rewrites=%u live_moves=%u affinity_refires=%u spurious=%u pended=%u doorbells=%u handled=%d sent=%u injected=%u cpus=%u device=%s mask_bits=%d pba_seen=%u na=%s reason=%s result=%s\n",
		  r->mode, r->vectors, r->delivered, r->masked_ok, r->affinity_ok,
		  r->realloc_ok, r->lat.median, r->live_rewrite_ok, r->managed_ok,
		  r->lat.median_tsc, r->lat_remote.median,
		  r->lat_samples, r->lat.p10, r->lat.p25, r->lat.p75, r->lat.p90,
		  r->lat_remote.p25, r->lat_remote.p75,
		  r->realloc_vectors, r->managed_vectors, r->live_rewrites, r->live_moves,
		  r->affinity_refires, d->spurious, r->pended, d->doorbells,
		  atomic_read(&d->handled), sent, injected, num_online_cpus(),
		  d->xhci ? "xhci" : "e2e", r->mask_bits, r->pba_seen, na,
		  d->reason[0] ? d->reason : "none", r->pass ? "PASS" : "FAIL");
}

/*
 * xHCI mode: the interrupt source (xhci_irq.h) before any vector: reads
 * the capabilities, halts and resets the controller, and fills one ERST
 * entry and event ring per interrupter in coherent DMA memory. Vectors
 * asked for: the interrupters, at most 16.
 */
static int e2e_xhci_init(struct e2e_dev *d)
{
	struct pci_dev *pdev = d->pdev;
	struct e2e_xhci *x = &d->x;
	unsigned int n;
	int ret;

	x->io.ctx = d;
	x->io.rd32 = e2e_xhci_rd32;
	x->io.wr32 = e2e_xhci_wr32;
	x->io.delay_us = e2e_xhci_delay_us;
	xhci_irq_probe(&x->io, &x->caps);
	n = min_t(unsigned int, XHCI_IRQ_MAX, x->caps.max_intrs);
	pr_info(E2E_NAME ": %s: xHCI %04x:%04x, CAPLENGTH %#x RTSOFF %#x MaxIntrs %u AC64 %d, %s, %u CPU(s) online\n",
		pci_name(pdev), pdev->vendor, pdev->device, x->caps.op, x->caps.rt,
		x->caps.max_intrs, x->caps.ac64, pdev->msix_cap ? "MSI-X" : "no MSI-X",
		num_online_cpus());
	if (!n) {
		e2e_fail(d, "xhci-no-interrupters");
		return -ENODEV;
	}
	ret = xhci_irq_reset(&x->io, &x->caps);
	if (ret != XHCI_IRQ_OK) {
		e2e_fail(d, ret == XHCI_IRQ_EHALT ? "xhci-halt" : "xhci-reset");
		return -EIO;
	}
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(x->caps.ac64 ? 64 : 32));
	if (ret) {
		e2e_fail(d, "dma-mask");
		return ret;
	}
	/* page-aligned, and (a power-of-two block) within one 4 GiB line */
	x->size = PAGE_ALIGN(XHCI_IRQ_AREA_SIZE(n));
	x->area = dma_alloc_coherent(&pdev->dev, x->size, &x->iova, GFP_KERNEL);
	if (!x->area) {
		e2e_fail(d, "dma-alloc");
		return -ENOMEM;
	}
	xhci_irq_fill(x->area, x->iova, n);
	pr_info(E2E_NAME ": xHCI: %u interrupter(s), ERSTs and rings at bus address %pad (%zu bytes)\n",
		n, &x->iova, x->size);
	d->maxvec = n;
	d->expect_msix = pdev->msix_cap != 0;
	return 0;
}

/* Stops the interrupters and resets the controller before its memory goes. */
static void e2e_xhci_fini(struct e2e_dev *d)
{
	struct e2e_xhci *x = &d->x;

	e2e_xhci_stop(d);
	if (!x->area)
		return;
	xhci_irq_reset(&x->io, &x->caps);
	dma_free_coherent(&d->pdev->dev, x->size, x->area, x->iova);
	x->area = NULL;
}

/*
 * The verdict, which ends the run: E2E_REG_EXIT of the test function, or,
 * for the xHCI, a byte to the I/O port E2E_EXIT_PORT (the VMM traps it).
 */
static void e2e_write_verdict(struct e2e_dev *d, bool pass)
{
	if (!write_exit)
		return;
	if (!d->xhci) {
		writel(pass ? E2E_EXIT_PASS : E2E_EXIT_FAIL, d->regs + E2E_REG_EXIT);
		return;
	}
#ifdef CONFIG_X86
	outb(pass ? E2E_EXIT_PORT_PASS : E2E_EXIT_PORT_FAIL, E2E_EXIT_PORT);
#endif
}

static int e2e_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct e2e_result r = { .mode = "none" };
	struct e2e_dev *d;
	bool ran = false;
	unsigned int k;
	u32 magic;
	int ret;

	e2e_probed = true;
	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	d->pdev = pdev;
	d->xhci = pdev->vendor == XHCI_NEC_VENDOR_ID && pdev->device == XHCI_NEC_DEVICE_ID;
	d->maxvec = E2E_MAX_VEC;
	init_waitqueue_head(&d->wq);

	ret = pci_enable_device(pdev);
	if (ret) {
		e2e_fail(d, "enable-device");
		goto report;
	}
	ret = pci_request_region(pdev, 0, E2E_NAME);
	if (ret) {
		e2e_fail(d, "request-bar0");
		goto disable;
	}
	d->regs = pci_iomap(pdev, 0, 0);
	if (!d->regs) {
		e2e_fail(d, "map-bar0");
		goto release;
	}
	/* Bus Master: else QEMU drops the function's MSI writes (and DMA) */
	pci_set_master(pdev);
	if (d->xhci) {
		ran = !e2e_xhci_init(d);
	} else {
		magic = e2e_read(d, E2E_REG_MAGIC);
		d->dev_mode = e2e_read(d, E2E_REG_MODE);
		d->expect_msix = d->dev_mode == E2E_MODE_VMSIX;
		pr_info(E2E_NAME ": %s: magic %#x mode %u nvec %u, %u CPU(s) online\n",
			pci_name(pdev), magic, d->dev_mode, e2e_read(d, E2E_REG_NVEC),
			num_online_cpus());
		ran = magic == E2E_MAGIC;
		if (!ran)
			e2e_fail(d, "bad-magic");
	}
	if (ran) {
		e2e_run(d, &r);
		e2e_free_vectors(d);	/* whatever a failed phase left */
		/* the other side: one injection (the xHCI: one raise and
		 * send) per doorbell, every interrupt */
		for (k = 0; k < E2E_MAX_VEC; k++) {
			if (!e2e_injected_exact(d, k)) {
				pr_warn(E2E_NAME ": %s interrupt %u %u times for %u doorbells\n",
					e2e_fn_counter(d), k, e2e_fn_count(d, k), d->fired[k]);
				e2e_fail(d, d->xhci ? "xhci-sent" : "vmm-injections");
			}
		}
	}

	/* masked_ok and live_rewrite_ok count where they apply (na=) */
	r.pass = !d->reason[0] && r.delivered == (unsigned int)r.vectors &&
		 r.vectors > 0 && (r.masked_ok || !r.mask_bits) && r.affinity_ok &&
		 r.realloc_ok && (r.live_rewrite_ok || r.live_rewrite_na) && r.managed_ok &&
		 r.lat_samples > 0;
	if (!r.pass && !d->reason[0])
		e2e_fail(d, "incomplete");
	if (d->xhci)
		pr_info(E2E_NAME ": xHCI: %u doorbells, %u not raised and sent\n", d->doorbells,
			d->x.unsent);
	else
		pr_info(E2E_NAME ": function counters: sent %u pended %u dropped %u injected %u faults %u\n",
			e2e_read(d, E2E_REG_SENT), e2e_read(d, E2E_REG_PENDED),
			e2e_read(d, E2E_REG_DROPPED), e2e_read(d, E2E_REG_INJECTED),
			e2e_read(d, E2E_REG_FAULTS));
	e2e_report(d, &r);
	if (d->xhci)
		e2e_xhci_fini(d);
	/* the verdict: the VMM ends the run here */
	e2e_write_verdict(d, r.pass);
	/* still here: the VMM did not end the run; the guest's /init reports it */
	pci_clear_master(pdev);
	pci_iounmap(pdev, d->regs);
	pci_release_region(pdev, 0);
	pci_disable_device(pdev);
	kfree(d);
	return -EIO;	/* nothing stays bound */

release:
	pci_release_region(pdev, 0);
disable:
	pci_disable_device(pdev);
report:
	e2e_report(d, &r);
	kfree(d);
	return -EIO;
}

static const struct pci_device_id e2e_ids[] = {
	{ PCI_DEVICE(E2E_VENDOR_ID, E2E_DEVICE_ID) },
	/* the xHCI mode: QEMU's nec-usb-xhci (xhci_hcd must not be loaded) */
	{ PCI_DEVICE(XHCI_NEC_VENDOR_ID, XHCI_NEC_DEVICE_ID) },
	{ 0 }
};
MODULE_DEVICE_TABLE(pci, e2e_ids);

static struct pci_driver e2e_driver = {
	.name = E2E_NAME,
	.id_table = e2e_ids,
	.probe = e2e_probe,
};

static int __init e2e_init(void)
{
	int ret = pci_register_driver(&e2e_driver);

	if (ret)
		return ret;
	if (!e2e_probed) {
		pr_notice("VMSIX-E2E: none vectors=0 delivered=0 masked_ok=0 affinity_ok=0 realloc_ok=0 latency_median_ns=0 live_rewrite_ok=0 managed_ok=0 reason=no-device-%04x:%04x-or-%04x:%04x result=FAIL\n",
			  E2E_VENDOR_ID, E2E_DEVICE_ID, XHCI_NEC_VENDOR_ID, XHCI_NEC_DEVICE_ID);
		pci_unregister_driver(&e2e_driver);
		return -ENODEV;
	}
	return 0;
}

static void __exit e2e_exit(void)
{
	pci_unregister_driver(&e2e_driver);
}

module_init(e2e_init);
module_exit(e2e_exit);

MODULE_DESCRIPTION("vmsix end-to-end test: drives the examples/kvm-vmm test function's (or QEMU's xHCI's) MSI-X/MSI");
MODULE_LICENSE("Dual BSD/GPL");
