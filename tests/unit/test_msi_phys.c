/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the physical side of MSI-X on MSI (src/msi_phys.c), written
 * from the rules (remap.h "Order of calls" and "What every backend
 * guarantees", msi_phys.h's contract), not from the code: a recording
 * backend and a recording fake function (256 bytes of configuration space
 * holding an MSI capability) log every call and access, check the
 * isolation invariants as they happen, and fail any one of them on demand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "msi_phys.h"
#include "pci_regs.h"
#include "vmsix_errno.h"

#define MSI_OFF 0x50u
#define NREC 1024u
#define NVIOL 16u
#define NLOG 64u
#define NENT 64u
#define BLK_BASE 0x40u /* the fake's block base: aligned for any block up to 64 entries */
#define BLK_PRIV 0x5eedu
#define DOORBELL_IOVA 0x8000f000ull
#define PENDING_PATTERN 0xa5a5a5a5u

/* ---- the records ---- */

enum op {
    OP_CFG_R,
    OP_CFG_W,
    OP_CAPS,
    OP_RESERVE,
    OP_RELEASE,
    OP_PROGRAM,
    OP_CLEAR,
    OP_INVAL,
    OP_COMPOSE,
    OP_DB_MAP,
    OP_DB_UNMAP,
    OP_DIVERT, /* the host's divert hook (software masking) */
    OP_N
};

/* What a log line names when the operation fails. */
static const char *const op_step[OP_N] = {
    "read",  "write",      "caps",    "reserve",      "release",        "program",
    "clear", "invalidate", "compose", "doorbell_map", "doorbell_unmap", "divert target",
};

struct rec {
    enum op op;
    uint16_t off;  /* config: offset */
    unsigned size; /* config: size */
    uint32_t val;  /* config: the value read or written; reserve: the source ID */
    uint32_t post; /* config write: the dword at off & ~3 afterwards */
    uint32_t k;    /* program/clear: k; invalidate: first; reserve: count */
    uint32_t n;    /* invalidate: n; reserve: align */
    uint32_t flags;
    struct vmsix_remap_target t;
    int rc; /* what was returned */
};

struct world {
    /* the function */
    uint8_t cfg[PCI_CFG_SPACE_SIZE];
    uint8_t wmask[PCI_CFG_SPACE_SIZE];
    bool addr64;
    bool soft;                /* no per-vector mask bits: software masking (world_soft()) */
    uint64_t hole;            /* soft: entries a failed invalidate left not present, until
                                 programmed and invalidated again (the unit's failure,
                                 not vmsix's) */
    unsigned mmc;             /* Multiple Message Capable */
    unsigned fail_mask_write; /* the next this many writes of the mask register fail */

    /* the backend */
    struct vmsix_remap_ops ops;
    struct vmsix_remap backend;
    struct vmsix_remap_source src;
    struct vmsix_remap_caps caps;
    uint64_t doorbell_iova;
    uint64_t compose_addr_or; /* bits compose() adds to the address */
    uint32_t compose_data_or; /* bits compose() adds to the data */
    unsigned blk_extra_order; /* reserve() gives 2^this times the size asked */
    uint32_t blk_short;       /* reserve() gives this many fewer (a broken backend) */
    unsigned fail_release;    /* the next this many release() refuse (-EBUSY) */
    bool reserved;
    struct vmsix_remap_block blk;
    struct vmsix_msg msg; /* composed, then doorbell-mapped */
    unsigned nreserve, nrelease;
    bool mapped;
    bool mem[NENT], cache[NENT]; /* the entry in memory, the unit's copy */
    struct vmsix_remap_target mem_t[NENT], cache_t[NENT];

    /* failure injection: the fail_at-th operation (backend op or config access) fails */
    unsigned seq, fail_at;
    bool failed;
    enum op failed_op;
    uint16_t failed_off;
    int failed_rc;
    bool cfg_damage; /* a config write was refused and no mask write repaired it yet */

    /* what happened */
    struct rec rec[NREC];
    unsigned nrec;
    char viol[NVIOL][192];
    unsigned nviol;
    char log[NLOG][VMSIX_LOG_LINE];
    unsigned nlog;
    struct vmsix_logger logger;
};

static void viol(struct world *w, const char *fmt, ...)
{
    va_list ap;

    if (w->nviol < NVIOL) {
        va_start(ap, fmt);
        vsnprintf(w->viol[w->nviol], sizeof(w->viol[0]), fmt, ap);
        va_end(ap);
    }
    w->nviol++;
}

static struct rec *rec_add(struct world *w, enum op op)
{
    static struct rec spill;

    if (w->nrec >= NREC) {
        viol(w, "more than %u records", NREC);
        memset(&spill, 0, sizeof(spill));
        return &spill;
    }
    memset(&w->rec[w->nrec], 0, sizeof(w->rec[0]));
    w->rec[w->nrec].op = op;
    return &w->rec[w->nrec++];
}

static int op_error(enum op op)
{
    switch (op) {
    case OP_RESERVE:
        return -ENOSPC;
    case OP_RELEASE:
        return -EBUSY;
    case OP_PROGRAM:
        return -ENOTSUP;
    case OP_INVAL:
        return -ETIMEDOUT;
    default:
        return -EIO;
    }
}

/* Does this operation fail? (The fail_at-th of the run.) */
static int inject(struct world *w, enum op op, uint16_t off)
{
    if (++w->seq != w->fail_at)
        return 0;
    w->failed = true;
    w->failed_op = op;
    w->failed_off = off;
    w->failed_rc = op_error(op);
    return w->failed_rc;
}

static void log_fn(void *ctx, int level, const char *msg)
{
    struct world *w = ctx;

    if (level != VMSIX_LOG_ERR)
        viol(w, "log level %d for \"%s\"", level, msg);
    if (w->nlog < NLOG)
        snprintf(w->log[w->nlog++], VMSIX_LOG_LINE, "%s", msg);
}

/* A log line that names @step and carries @rc. */
static bool log_has(const struct world *w, const char *step, int rc)
{
    char num[24];
    unsigned i;

    snprintf(num, sizeof(num), "(%d)", rc);
    for (i = 0; i < w->nlog; i++)
        if (strstr(w->log[i], step) && strstr(w->log[i], num))
            return true;
    return false;
}

/* ---- the function's registers ---- */

static uint32_t rd(const struct world *w, unsigned off, unsigned size)
{
    uint32_t v = 0;
    unsigned i;

    for (i = 0; i < size; i++)
        v |= (uint32_t)w->cfg[off + i] << (8 * i);
    return v;
}

static void put(struct world *w, unsigned off, unsigned size, uint32_t v)
{
    unsigned i;

    for (i = 0; i < size; i++)
        w->cfg[off + i] = (uint8_t)(v >> (8 * i));
}

static unsigned mask_reg(const struct world *w)
{
    return MSI_OFF + pci_msi_mask_reg(w->addr64);
}

static unsigned data_reg(const struct world *w)
{
    return MSI_OFF + pci_msi_data_reg(w->addr64);
}

static unsigned pending_reg(const struct world *w)
{
    return MSI_OFF + pci_msi_pending_reg(w->addr64);
}

static unsigned cap_len(const struct world *w)
{
    return PCI_MSI_LEN_BASE + (w->addr64 ? PCI_MSI_LEN_ADDR64 : 0) +
           (w->soft ? 0 : PCI_MSI_LEN_MASKBIT);
}

/* The mask bits of the vectors the function implements. */
static uint32_t impl(const struct world *w)
{
    unsigned n = 1u << w->mmc;

    return n >= 32 ? 0xffffffffu : (1u << n) - 1u;
}

static uint32_t fn_mask(const struct world *w)
{
    return w->soft ? 0 : rd(w, mask_reg(w), 4) & impl(w); /* no mask bits: every one sends */
}

static uint16_t fn_flags(const struct world *w)
{
    return (uint16_t)rd(w, MSI_OFF + PCI_MSI_FLAGS, 2);
}

static bool fn_enabled(const struct world *w)
{
    return fn_flags(w) & PCI_MSI_FLAGS_ENABLE;
}

static unsigned fn_mme(const struct world *w)
{
    return (fn_flags(w) & PCI_MSI_FLAGS_QSIZE) >> PCI_MSI_FLAGS_QSIZE_SHIFT;
}

static bool fn_intx_disabled(const struct world *w)
{
    return rd(w, PCI_COMMAND, 2) & PCI_COMMAND_INTX_DISABLE;
}

static uint64_t fn_addr(const struct world *w)
{
    uint64_t a = rd(w, MSI_OFF + PCI_MSI_ADDRESS_LO, 4);

    if (w->addr64)
        a |= (uint64_t)rd(w, MSI_OFF + PCI_MSI_ADDRESS_HI, 4) << 32;
    return a;
}

static uint32_t fn_data(const struct world *w)
{
    return rd(w, data_reg(w), 2);
}

/* Can the function send message k now? */
static bool can_fire(const struct world *w, unsigned k)
{
    return fn_enabled(w) && k < 32 && k < (1u << fn_mme(w)) && !(fn_mask(w) & (1u << k));
}

static bool same_target(const struct vmsix_remap_target *a, const struct vmsix_remap_target *b)
{
    return a->posted == b->posted && a->vector == b->vector && a->dest == b->dest &&
           a->dest_logical == b->dest_logical && a->delivery == b->delivery &&
           a->level == b->level && a->redir_hint == b->redir_hint && a->pd_addr == b->pd_addr &&
           a->urgent == b->urgent;
}

/* Every message the function can send reaches a valid entry: programmed,
 * and the unit's copy is the one in memory. */
static void check_fire(struct world *w, const char *where)
{
    unsigned k;

    if (w->cfg_damage)
        return; /* a refused write: the register is not what vmsix wanted */
    for (k = 0; k < 32; k++) {
        /* without mask bits, a unit that fails an invalidation leaves the
         * entry not present until vmsix diverts it again: a message in
         * between faults (remap.h: a failed invalidate clears the range) */
        if (!can_fire(w, k) || (w->soft && (w->hole >> k) & 1u))
            continue;
        /* software masking switches a live entry: until the invalidation
         * the unit may use the old copy or the new one, both valid */
        if (!w->reserved || k >= w->blk.count || !w->mem[k] || !w->cache[k] ||
            (!w->soft && !same_target(&w->mem_t[k], &w->cache_t[k])))
            viol(w, "%s: the function can send message %u, whose entry is not valid", where, k);
    }
}

static bool touches(unsigned off, unsigned size, unsigned reg, unsigned len)
{
    return off < reg + len && reg < off + size;
}

/* MSI enabled: with the composed message, a block, and no more messages than it. */
static void check_enabled(struct world *w)
{
    if (!fn_enabled(w) || w->cfg_damage) /* MSI Enable left set by a refused access */
        return;
    if (!w->reserved) {
        viol(w, "MSI enabled without a block");
        return;
    }
    if (fn_mme(w) > w->mmc || (1u << fn_mme(w)) > w->blk.count)
        viol(w, "MSI enabled with MME %u (MMC %u, block of %u)", fn_mme(w), w->mmc, w->blk.count);
    if (fn_addr(w) != w->msg.addr || fn_data(w) != w->msg.data)
        viol(w, "MSI enabled with %llx/%x, not the composed %llx/%x",
             (unsigned long long)fn_addr(w), fn_data(w), (unsigned long long)w->msg.addr,
             w->msg.data);
}

static int fn_read(void *ctx, uint16_t off, unsigned size, uint32_t *val)
{
    struct world *w = ctx;
    struct rec *r = rec_add(w, OP_CFG_R);
    int rc;

    r->off = off;
    r->size = size;
    if ((size != 1 && size != 2 && size != 4) || off % size || off + size > PCI_CFG_SPACE_SIZE) {
        viol(w, "config read of %u bytes at %#x", size, off);
        return r->rc = -EINVAL;
    }
    rc = inject(w, OP_CFG_R, off);
    if (rc) {
        w->cfg_damage = true; /* a read-modify-write that could not be made */
        return r->rc = rc;
    }
    *val = r->val = rd(w, off, size);
    return 0;
}

static int fn_write(void *ctx, uint16_t off, unsigned size, uint32_t val)
{
    struct world *w = ctx;
    struct rec *r = rec_add(w, OP_CFG_W);
    bool is_mask, was_enabled;
    unsigned i;
    int rc;

    r->off = off;
    r->size = size;
    r->val = val;
    if ((size != 1 && size != 2 && size != 4) || off % size || off + size > PCI_CFG_SPACE_SIZE) {
        viol(w, "config write of %u bytes at %#x", size, off);
        return r->rc = -EINVAL;
    }
    if (!touches(off, size, PCI_COMMAND, 2) && !touches(off, size, MSI_OFF, cap_len(w)))
        viol(w, "config write at %#x, neither Command nor the MSI capability", off);
    if (size < 4 && (val >> (8 * size)))
        viol(w, "config write of %u bytes with value %#x", size, val);
    is_mask = touches(off, size, mask_reg(w), 4);
    if (touches(off, size, MSI_OFF + PCI_MSI_ADDRESS_LO, 4) ||
        (w->addr64 && touches(off, size, MSI_OFF + PCI_MSI_ADDRESS_HI, 4)) ||
        touches(off, size, data_reg(w), 2)) {
        /* with mask bits: every message masked; without: MSI off */
        if (w->soft ? fn_enabled(w) : fn_mask(w) != impl(w))
            viol(w, "MSI address/data written with mask bits %#x", fn_mask(w));
    }
    rc = inject(w, OP_CFG_W, off);
    if (!rc && is_mask && w->fail_mask_write) {
        w->fail_mask_write--;
        w->failed = true;
        w->failed_op = OP_CFG_W;
        w->failed_off = off;
        rc = w->failed_rc = -EIO;
    }
    if (rc) {
        w->cfg_damage = true;
        r->post = rd(w, off & ~3u, 4);
        return r->rc = rc;
    }
    was_enabled = fn_enabled(w);
    for (i = 0; i < size; i++) {
        uint8_t b = (uint8_t)(val >> (8 * i));
        w->cfg[off + i] =
            (uint8_t)((w->cfg[off + i] & ~w->wmask[off + i]) | (b & w->wmask[off + i]));
    }
    if (is_mask)
        w->cfg_damage = false; /* vmsix's writes carry every bit it wants */
    r->post = rd(w, off & ~3u, 4);
    if (fn_mme(w) > w->mmc)
        viol(w, "MME %u written, more than MMC %u", fn_mme(w), w->mmc);
    if (!was_enabled || fn_enabled(w))
        check_enabled(w);
    check_fire(w, "config write");
    return 0;
}

/* ---- the backend ---- */

static bool blk_ok(struct world *w, const struct vmsix_remap_block *blk, const char *op)
{
    if (!w->reserved || blk->base != w->blk.base || blk->count != w->blk.count ||
        blk->priv != w->blk.priv || blk->src.id != w->src.id) {
        viol(w, "%s on a block that is not the one reserved", op);
        return false;
    }
    return true;
}

static bool fits(const struct world *w, const struct vmsix_remap_target *t)
{
    unsigned db = w->caps.dest_bits && w->caps.dest_bits < 32 ? w->caps.dest_bits : 32;
    unsigned vb = w->caps.vector_bits && w->caps.vector_bits < 32 ? w->caps.vector_bits : 32;

    if (t->posted && !(w->caps.flags & VMSIX_REMAP_CAP_POSTED))
        return false;
    return ((uint64_t)t->dest >> db) == 0 && ((uint64_t)t->vector >> vb) == 0;
}

static int be_caps(void *ctx, struct vmsix_remap_caps *caps)
{
    struct world *w = ctx;
    struct rec *r = rec_add(w, OP_CAPS);
    int rc = inject(w, OP_CAPS, 0);

    if (!rc)
        *caps = w->caps;
    return r->rc = rc;
}

static int be_reserve(void *ctx, const struct vmsix_remap_source *src, uint32_t count,
                      uint32_t align, struct vmsix_remap_block *blk)
{
    struct world *w = ctx;
    struct rec *r = rec_add(w, OP_RESERVE);
    uint32_t size;
    int rc;

    r->k = count;
    r->n = align;
    r->val = src->id;
    r->flags = src->kind;
    if (count < 1 || count > NENT || (align > 1 && (align & (align - 1))) || align > NENT) {
        viol(w, "reserve(%u, align %u)", count, align);
        return r->rc = -EINVAL;
    }
    if (count & (count - 1))
        viol(w, "reserve(%u): not a power of two", count);
    if ((w->caps.flags & VMSIX_REMAP_CAP_DATA_INDEX) && align < count)
        viol(w, "reserve(%u, align %u) with CAP_DATA_INDEX", count, align);
    if (w->reserved)
        viol(w, "reserve while a block is held");
    if (src->id != w->src.id || src->kind != w->src.kind)
        viol(w, "reserve for another source");
    rc = inject(w, OP_RESERVE, 0);
    if (rc)
        return r->rc = rc;
    size = 1;
    while (size < count || size < align)
        size <<= 1;
    size <<= w->blk_extra_order;
    memset(blk, 0, sizeof(*blk));
    blk->base = BLK_BASE;
    blk->count = size - w->blk_short;
    blk->src = *src;
    blk->priv = BLK_PRIV;
    w->blk = *blk;
    w->reserved = true;
    w->nreserve++;
    memset(w->mem, 0, sizeof(w->mem));
    memset(w->cache, 0, sizeof(w->cache));
    return 0;
}

static int be_release(void *ctx, struct vmsix_remap_block *blk)
{
    struct world *w = ctx;
    struct rec *r = rec_add(w, OP_RELEASE);
    unsigned k;
    int rc;

    if (!blk_ok(w, blk, "release"))
        return r->rc = -EINVAL;
    if (fn_enabled(w) && !w->cfg_damage)
        viol(w, "release while MSI is enabled");
    for (k = 0; k < w->blk.count; k++) {
        if (w->mem[k] || w->cache[k]) {
            viol(w, "release with entry %u present", k);
            return r->rc = -EBUSY;
        }
    }
    rc = inject(w, OP_RELEASE, 0);
    if (!rc && w->fail_release) {
        w->fail_release--;
        w->failed = true;
        w->failed_op = OP_RELEASE;
        rc = w->failed_rc = -EBUSY;
    }
    if (rc)
        return r->rc = rc;
    w->reserved = false;
    w->nrelease++;
    return 0;
}

static int be_program(void *ctx, const struct vmsix_remap_block *blk, uint32_t k,
                      const struct vmsix_remap_target *t, uint32_t flags)
{
    struct world *w = ctx;
    struct rec *r = rec_add(w, OP_PROGRAM);
    int rc;

    r->k = k;
    r->flags = flags;
    r->t = *t;
    if (!blk_ok(w, blk, "program"))
        return r->rc = -EINVAL;
    if (k >= w->blk.count) {
        viol(w, "program(%u) of a block of %u", k, w->blk.count);
        return r->rc = -EINVAL;
    }
    if (!fits(w, t)) {
        viol(w, "program(%u) with a target the unit cannot hold", k);
        return r->rc = -EINVAL;
    }
    if ((flags & VMSIX_REMAP_PROG_QUIESCED) && can_fire(w, k))
        viol(w, "program(%u, QUIESCED) while the function can send message %u", k, k);
    rc = inject(w, OP_PROGRAM, 0);
    if (rc)
        return r->rc = rc;
    w->mem[k] = true;
    w->mem_t[k] = *t;
    check_fire(w, "program");
    return 0;
}

static int be_clear(void *ctx, const struct vmsix_remap_block *blk, uint32_t k)
{
    struct world *w = ctx;
    struct rec *r = rec_add(w, OP_CLEAR);
    int rc;

    r->k = k;
    if (!blk_ok(w, blk, "clear"))
        return r->rc = -EINVAL;
    if (k >= w->blk.count) {
        viol(w, "clear(%u) of a block of %u", k, w->blk.count);
        return r->rc = -EINVAL;
    }
    /* without mask bits, the one clear of a sendable entry is the last
     * resort after its divert failed: never live while masked, its
     * messages fault until it is diverted again */
    if (w->soft && w->failed && can_fire(w, k))
        w->hole |= (uint64_t)1 << k;
    else if (!w->cfg_damage && can_fire(w, k) && (w->mem[k] || w->cache[k]))
        viol(w, "clear(%u) while the function can send message %u (not masked first)", k, k);
    w->mem[k] = false;
    rc = inject(w, OP_CLEAR, 0);
    if (rc)
        w->cache[k] = false; /* a failed clear leaves the entry unusable */
    return r->rc = rc;
}

static int be_invalidate(void *ctx, const struct vmsix_remap_block *blk, uint32_t first, uint32_t n)
{
    struct world *w = ctx;
    struct rec *r = rec_add(w, OP_INVAL);
    unsigned k;
    int rc;

    r->k = first;
    r->n = n;
    if (!blk_ok(w, blk, "invalidate"))
        return r->rc = -EINVAL;
    if (n < 1 || first >= w->blk.count || n > w->blk.count - first) {
        viol(w, "invalidate(%u, %u) of a block of %u", first, n, w->blk.count);
        return r->rc = -EINVAL;
    }
    rc = inject(w, OP_INVAL, 0);
    for (k = first; k < first + n; k++) {
        if (rc && w->mem[k]) {
            w->mem[k] = false; /* a failed invalidate leaves the range not present */
            w->hole |= (uint64_t)1 << k;
        } else if (!rc && w->mem[k]) {
            w->hole &= ~((uint64_t)1 << k); /* present and valid again */
        }
        w->cache[k] = w->mem[k];
        w->cache_t[k] = w->mem_t[k];
    }
    check_fire(w, "invalidate");
    return r->rc = rc;
}

static int be_compose(void *ctx, const struct vmsix_remap_block *blk, struct vmsix_msg *msg)
{
    struct world *w = ctx;
    struct rec *r = rec_add(w, OP_COMPOSE);
    int rc;

    if (!blk_ok(w, blk, "compose"))
        return r->rc = -EINVAL;
    rc = inject(w, OP_COMPOSE, 0);
    if (rc)
        return r->rc = rc;
    msg->addr = (0xfee00010u | ((uint64_t)blk->base << 5) | 0x8u) | w->compose_addr_or;
    msg->data = ((w->caps.flags & VMSIX_REMAP_CAP_DATA_INDEX) ? blk->base : 0) | w->compose_data_or;
    w->msg = *msg;
    return 0;
}

static int be_doorbell_map(void *ctx, const struct vmsix_remap_block *blk, struct vmsix_msg *msg)
{
    struct world *w = ctx;
    struct rec *r = rec_add(w, OP_DB_MAP);
    int rc;

    if (!blk_ok(w, blk, "doorbell_map"))
        return r->rc = -EINVAL;
    if (msg->addr != w->msg.addr || msg->data != w->msg.data)
        viol(w, "doorbell_map of a message that is not the composed one");
    if (w->mapped)
        viol(w, "doorbell_map while mapped");
    rc = inject(w, OP_DB_MAP, 0);
    if (rc)
        return r->rc = rc;
    msg->addr = w->doorbell_iova;
    w->msg = *msg;
    w->mapped = true;
    return 0;
}

static int be_doorbell_unmap(void *ctx, const struct vmsix_remap_block *blk)
{
    struct world *w = ctx;
    struct rec *r = rec_add(w, OP_DB_UNMAP);
    int rc;

    if (blk->base != BLK_BASE || blk->priv != BLK_PRIV)
        viol(w, "doorbell_unmap of another block");
    if (!w->mapped)
        viol(w, "doorbell_unmap while not mapped");
    if (fn_enabled(w) && !w->cfg_damage)
        viol(w, "doorbell_unmap while MSI is enabled");
    rc = inject(w, OP_DB_UNMAP, 0);
    if (rc)
        return r->rc = rc;
    w->mapped = false;
    return 0;
}

/* ---- the world ---- */

static void world_init(struct world *w, bool addr64, unsigned mmc, uint32_t capflags)
{
    unsigned m = MSI_OFF, i;

    memset(w, 0, sizeof(*w));
    w->addr64 = addr64;
    w->mmc = mmc;
    /* a type 0 header whose list holds the MSI capability */
    put(w, PCI_VENDOR_ID, 4, 0x10ee8086u);
    put(w, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | 0x4u /* bus master */);
    put(w, PCI_STATUS, 2, PCI_STATUS_CAP_LIST);
    w->cfg[PCI_CAP_PTR] = (uint8_t)m;
    w->cfg[m + PCI_CAP_ID] = 0x05;
    put(w, m + PCI_MSI_FLAGS, 2,
        (mmc << PCI_MSI_FLAGS_QMASK_SHIFT) | (addr64 ? PCI_MSI_FLAGS_64BIT : 0) |
            PCI_MSI_FLAGS_MASKBIT);
    put(w, pending_reg(w), 4, PENDING_PATTERN & impl(w));
    /* writable: Command's IO/Memory/Bus Master and INTx Disable, MSI Enable and MME,
     * the address, the 16-bit data, the implemented mask bits */
    w->wmask[PCI_COMMAND] = 0x07;
    w->wmask[PCI_COMMAND + 1] = PCI_COMMAND_INTX_DISABLE >> 8;
    w->wmask[m + PCI_MSI_FLAGS] = PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE;
    w->wmask[m + PCI_MSI_ADDRESS_LO] = 0xfc;
    for (i = 1; i < 4; i++)
        w->wmask[m + PCI_MSI_ADDRESS_LO + i] = 0xff;
    for (i = 0; addr64 && i < 4; i++)
        w->wmask[m + PCI_MSI_ADDRESS_HI + i] = 0xff;
    w->wmask[data_reg(w)] = 0xff;
    w->wmask[data_reg(w) + 1] = 0xff;
    for (i = 0; i < 4; i++)
        w->wmask[mask_reg(w) + i] = (uint8_t)(impl(w) >> (8 * i));

    w->ops.size = sizeof(w->ops);
    w->ops.caps = be_caps;
    w->ops.reserve = be_reserve;
    w->ops.release = be_release;
    w->ops.program = be_program;
    w->ops.clear = be_clear;
    w->ops.invalidate = be_invalidate;
    w->ops.compose = be_compose;
    w->ops.doorbell_map = be_doorbell_map;
    w->ops.doorbell_unmap = be_doorbell_unmap;
    w->backend.ops = &w->ops;
    w->backend.ctx = w;
    w->src.id = 0x0310;
    w->src.kind = VMSIX_REMAP_SRC_RID;
    w->caps.flags = capflags;
    w->caps.nentries = 256;
    w->caps.max_order = 5;
    w->caps.dest_bits = 8;
    w->caps.vector_bits = 8;
    w->doorbell_iova = DOORBELL_IOVA;
    w->logger.fn = log_fn;
    w->logger.ctx = w;
}

static int phys_init(struct world *w, struct vmsix_msi_phys *p, uint8_t nvec)
{
    memset(p, 0, sizeof(*p));
    p->cfg_read = fn_read;
    p->cfg_write = fn_write;
    p->ctx = w;
    p->log = &w->logger;
    return vmsix_msi_phys_init(p, &w->backend, &w->src, MSI_OFF, w->addr64, nvec);
}

static void no_violations(const struct world *w)
{
    unsigned i;

    for (i = 0; i < w->nviol && i < NVIOL; i++)
        print_message("violation: %s\n", w->viol[i]);
    assert_int_equal(w->nviol, 0);
}

static int w_setup(void **state)
{
    *state = test_calloc(1, sizeof(struct world));
    return *state ? 0 : -1;
}

static int w_teardown(void **state)
{
    test_free(*state);
    return 0;
}

/* ---- looking at the records ---- */

static int next_rec(const struct world *w, unsigned from, enum op op)
{
    unsigned i;

    for (i = from; i < w->nrec; i++)
        if (w->rec[i].op == op)
            return (int)i;
    return -1;
}

/* The next config write that touches the register at @off. */
static int next_write(const struct world *w, unsigned from, unsigned off, unsigned len)
{
    unsigned i;

    for (i = from; i < w->nrec; i++)
        if (w->rec[i].op == OP_CFG_W && touches(w->rec[i].off, w->rec[i].size, off, len))
            return (int)i;
    return -1;
}

static unsigned count_op(const struct world *w, enum op op)
{
    unsigned i, n = 0;

    for (i = 0; i < w->nrec; i++)
        n += w->rec[i].op == op;
    return n;
}

/* The Message Control value after config write @i. */
static uint16_t flags_after(const struct world *w, unsigned i)
{
    return (uint16_t)(w->rec[i].post >> (8 * ((MSI_OFF + PCI_MSI_FLAGS) & 3u)));
}

/* The records from @from as one line: backend operations and config writes by what they
 * change (config reads are left out: they are how a write is made, not what it does). */
static const char *story(const struct world *w, unsigned from)
{
    static char s[4096];
    size_t n = 0;
    unsigned i;

    s[0] = '\0';
    for (i = from; i < w->nrec && n + 64 < sizeof(s); i++) {
        const struct rec *r = &w->rec[i];
        char e[64];

        switch (r->op) {
        case OP_CFG_R:
            continue;
        case OP_CFG_W:
            if (touches(r->off, r->size, mask_reg(w), 4))
                snprintf(e, sizeof(e), "mask=%x", r->val & impl(w));
            else if (touches(r->off, r->size, MSI_OFF + PCI_MSI_FLAGS, 2))
                snprintf(e, sizeof(e), "en=%u,mme=%u", flags_after(w, i) & PCI_MSI_FLAGS_ENABLE,
                         (flags_after(w, i) & PCI_MSI_FLAGS_QSIZE) >> PCI_MSI_FLAGS_QSIZE_SHIFT);
            else if (touches(r->off, r->size, PCI_COMMAND, 2))
                snprintf(e, sizeof(e), "intx=%u", (r->post & PCI_COMMAND_INTX_DISABLE) ? 1u : 0u);
            else
                snprintf(e, sizeof(e), "w%x=%x", r->off, r->val);
            break;
        case OP_CAPS:
            snprintf(e, sizeof(e), "caps");
            break;
        case OP_RESERVE:
            snprintf(e, sizeof(e), "reserve(%u,%u)", r->k, r->n);
            break;
        case OP_RELEASE:
            snprintf(e, sizeof(e), "release");
            break;
        case OP_PROGRAM:
            snprintf(e, sizeof(e), "program(%u,%s)", r->k,
                     r->flags == VMSIX_REMAP_PROG_QUIESCED ? "Q" : "-");
            break;
        case OP_CLEAR:
            snprintf(e, sizeof(e), "clear(%u)", r->k);
            break;
        case OP_INVAL:
            snprintf(e, sizeof(e), "invalidate(%u,%u)", r->k, r->n);
            break;
        case OP_COMPOSE:
            snprintf(e, sizeof(e), "compose");
            break;
        case OP_DB_MAP:
            snprintf(e, sizeof(e), "doorbell_map");
            break;
        case OP_DIVERT:
            snprintf(e, sizeof(e), "divert(%u)", r->k);
            break;
        default:
            snprintf(e, sizeof(e), "doorbell_unmap");
            break;
        }
        n += (size_t)snprintf(s + n, sizeof(s) - n, "%s%s", n ? " " : "", e);
    }
    return s;
}

static bool live(const struct world *w, unsigned k, const struct vmsix_remap_target *t)
{
    return can_fire(w, k) && w->mem[k] && w->cache[k] && same_target(&w->cache_t[k], t);
}

static bool entry_gone(const struct world *w, unsigned k)
{
    return !w->mem[k] && !w->cache[k];
}

static const struct vmsix_remap_target T0 = {.vector = 0x30, .dest = 1};
static const struct vmsix_remap_target T1 = {.vector = 0x31, .dest = 2};
static const struct vmsix_remap_target T2 = {.vector = 0x41, .dest = 3};
static const struct vmsix_remap_target T0B = {.vector = 0x32, .dest = 5, .dest_logical = true};

/* ---- init ---- */

static void future_op(void)
{
}

struct big_ops {
    struct vmsix_remap_ops ops;
    void (*future)(void); /* an operation of a newer header */
};

static void test_init_size_rule(void **state)
{
    struct world *w = *state;
    struct vmsix_msi_phys p;
    struct big_ops big;

    world_init(w, false, 2, 0);
    w->ops.size = VMSIX_REMAP_OPS_SIZE_V1 - 1;
    assert_int_equal(phys_init(w, &p, 4), -EINVAL);
    w->ops.size = 0;
    assert_int_equal(phys_init(w, &p, 4), -EINVAL);
    assert_int_equal(count_op(w, OP_CAPS), 0);

    w->ops.size = VMSIX_REMAP_OPS_SIZE_V1;
    assert_int_equal(phys_init(w, &p, 4), 0);
    assert_int_equal(count_op(w, OP_CAPS), 1);

    /* a newer backend: a larger struct whose tail this library does not know */
    memset(&big, 0, sizeof(big));
    big.ops = w->ops;
    big.ops.size = sizeof(big);
    w->backend.ops = &big.ops;
    w->nrec = 0;
    assert_int_equal(phys_init(w, &p, 4), 0);
    assert_int_equal(count_op(w, OP_CAPS), 1);
    big.future = future_op;
    w->nrec = 0;
    assert_int_equal(phys_init(w, &p, 4), -ENOTSUP);
    assert_int_equal(count_op(w, OP_CAPS), 0);
    no_violations(w);
}

static void test_init_null_ops(void **state)
{
    struct world *w = *state;
    struct vmsix_msi_phys p;
    static const size_t mandatory[] = {
        offsetof(struct vmsix_remap_ops, caps),    offsetof(struct vmsix_remap_ops, reserve),
        offsetof(struct vmsix_remap_ops, release), offsetof(struct vmsix_remap_ops, program),
        offsetof(struct vmsix_remap_ops, clear),   offsetof(struct vmsix_remap_ops, invalidate),
        offsetof(struct vmsix_remap_ops, compose),
    };
    unsigned i;

    for (i = 0; i < sizeof(mandatory) / sizeof(mandatory[0]); i++) {
        void *null = NULL;
        world_init(w, false, 2, 0);
        memcpy((char *)&w->ops + mandatory[i], &null, sizeof(null));
        assert_int_equal(phys_init(w, &p, 4), -EINVAL);
        assert_int_equal(w->nrec, 0);
    }
    /* the doorbell operations are optional */
    world_init(w, false, 2, 0);
    w->ops.doorbell_map = NULL;
    w->ops.doorbell_unmap = NULL;
    assert_int_equal(phys_init(w, &p, 4), 0);
    no_violations(w);
}

/* caps() once, nothing else at init, nothing at the function; its error is returned */
static void test_init_caps(void **state)
{
    struct world *w = *state;
    struct vmsix_msi_phys p;

    world_init(w, true, 3, VMSIX_REMAP_CAP_DATA_INDEX);
    assert_int_equal(phys_init(w, &p, 8), 0);
    assert_string_equal(story(w, 0), "caps");
    assert_int_equal(w->nrec, 1);
    w->nrec = 0;
    assert_int_equal(vmsix_msi_phys_setup(&p), 0);
    assert_int_equal(count_op(w, OP_CAPS), 0); /* not again */
    assert_int_equal(vmsix_msi_phys_teardown(&p), 0);

    world_init(w, true, 3, 0);
    w->fail_at = 1;
    assert_int_equal(phys_init(w, &p, 8), -EIO);
    assert_int_equal(w->nrec, 1);
    assert_true(log_has(w, "caps", -EIO));
    no_violations(w);
}

static void test_init_backend_too_small(void **state)
{
    struct world *w = *state;
    struct vmsix_msi_phys p;

    world_init(w, false, 3, 0);
    w->caps.max_order = 2; /* 4 entries at most, 8 vectors */
    assert_int_equal(phys_init(w, &p, 8), -ENOTSUP);
    world_init(w, false, 3, 0);
    w->caps.nentries = 4;
    assert_int_equal(phys_init(w, &p, 8), -ENOTSUP);
    world_init(w, false, 3, 0);
    w->caps.max_order = 3;
    w->caps.nentries = 8;
    assert_int_equal(phys_init(w, &p, 8), 0);
    assert_int_equal(vmsix_msi_phys_setup(&p), 0);
    assert_int_equal(vmsix_msi_phys_teardown(&p), 0);
    no_violations(w);
}

/* nvec outside what one MSI capability and one block can be: refused at init, or never
 * turned into a reserve() of 0 entries, a non-power-of-two count or alignment, or a
 * reserved Multiple Message Enable (6, 7). */
static void test_init_nvec_domain(void **state)
{
    static const uint8_t odd[] = {0, 3, 5, 33, 64};
    struct world *w = *state;
    struct vmsix_msi_phys p;
    unsigned i;

    for (i = 0; i < sizeof(odd); i++) {
        print_message("nvec %u\n", odd[i]);
        world_init(w, true, 5, VMSIX_REMAP_CAP_DATA_INDEX);
        w->caps.max_order = 6;
        if (phys_init(w, &p, odd[i]) != 0)
            continue;
        (void)vmsix_msi_phys_setup(&p);
        (void)vmsix_msi_phys_teardown(&p);
        no_violations(w);
    }
}

/* ---- setup ---- */

static void check_setup(struct world *w, bool addr64, uint32_t capflags, unsigned extra_order)
{
    struct vmsix_msi_phys p;
    uint32_t align = (capflags & VMSIX_REMAP_CAP_DATA_INDEX) ? 4 : 1;
    int r, c, d, m, lo, hi, dat, en = -1, x;
    unsigned i, n;

    world_init(w, addr64, 2, capflags);
    w->blk_extra_order = extra_order;
    assert_int_equal(phys_init(w, &p, 4), 0);
    w->nrec = 0;
    assert_int_equal(vmsix_msi_phys_setup(&p), 0);
    print_message("setup: %s\n", story(w, 0));
    no_violations(w);

    r = next_rec(w, 0, OP_RESERVE);
    assert_int_equal(r, 0); /* before anything else */
    assert_int_equal(count_op(w, OP_RESERVE), 1);
    assert_int_equal(w->rec[r].k, 4);
    assert_int_equal(w->rec[r].n, align);
    assert_int_equal(w->rec[r].val, w->src.id);
    c = next_rec(w, 0, OP_COMPOSE);
    assert_true(c > r);
    d = next_rec(w, 0, OP_DB_MAP);
    if (capflags & VMSIX_REMAP_CAP_DOORBELL) {
        assert_true(d > c);
        assert_int_equal(w->msg.addr, DOORBELL_IOVA);
    } else {
        assert_int_equal(d, -1);
    }
    /* every mask bit set before the address and data are written */
    m = next_write(w, 0, mask_reg(w), 4);
    assert_true(m > c && m > d);
    assert_int_equal(w->rec[m].val & impl(w), impl(w));
    lo = next_write(w, 0, MSI_OFF + PCI_MSI_ADDRESS_LO, 4);
    assert_true(lo > m);
    assert_int_equal(w->rec[lo].val, (uint32_t)w->msg.addr);
    hi = next_write(w, 0, MSI_OFF + PCI_MSI_ADDRESS_HI, 4);
    dat = next_write(w, 0, data_reg(w), 2);
    assert_true(dat > m);
    assert_int_equal(w->rec[dat].off, data_reg(w));
    assert_int_equal(w->rec[dat].val, w->msg.data);
    if (addr64) {
        /* in a 64-bit capability offset 8 is the upper address */
        assert_true(hi > m);
        assert_int_equal(w->rec[hi].val, (uint32_t)(w->msg.addr >> 32));
    } else {
        /* in a 32-bit capability offset 8 is the data, 12 the mask bits */
        assert_int_equal(hi, dat);
        assert_int_equal(w->rec[dat].off, MSI_OFF + PCI_MSI_DATA_32);
    }
    /* MSI Enable set after the message, with MME = log2(N) in place */
    for (i = 0; i < w->nrec; i++) {
        if (w->rec[i].op == OP_CFG_W &&
            touches(w->rec[i].off, w->rec[i].size, MSI_OFF + PCI_MSI_FLAGS, 2) &&
            (flags_after(w, i) & PCI_MSI_FLAGS_ENABLE)) {
            en = (int)i;
            break;
        }
    }
    assert_true(en > lo && en > hi && en > dat);
    assert_int_equal(
        (flags_after(w, (unsigned)en) & PCI_MSI_FLAGS_QSIZE) >> PCI_MSI_FLAGS_QSIZE_SHIFT, 2);
    /* INTx Disable set, and no address/data/mask write after MSI Enable */
    x = next_write(w, 0, PCI_COMMAND, 2);
    assert_true(x >= 0);
    assert_true(fn_intx_disabled(w));
    for (i = (unsigned)en + 1; i < w->nrec; i++)
        assert_true(w->rec[i].op != OP_CFG_W ||
                    touches(w->rec[i].off, w->rec[i].size, PCI_COMMAND, 2));
    /* the function as left */
    assert_true(fn_enabled(w));
    assert_int_equal(fn_mme(w), 2);
    assert_int_equal(fn_mask(w), impl(w));
    assert_int_equal(fn_addr(w), w->msg.addr);
    assert_int_equal(fn_data(w), w->msg.data);
    assert_int_equal(count_op(w, OP_PROGRAM), 0);
    assert_true(w->reserved);

    /* a second setup does nothing */
    n = w->nrec;
    assert_int_equal(vmsix_msi_phys_setup(&p), 0);
    assert_int_equal(w->nrec, n);
    assert_int_equal(vmsix_msi_phys_teardown(&p), 0);
    assert_false(w->reserved);
    no_violations(w);
}

static void test_setup_32(void **state)
{
    check_setup(*state, false, 0, 0);
}

static void test_setup_64(void **state)
{
    check_setup(*state, true, 0, 0);
}

static void test_setup_data_index_doorbell_32(void **state)
{
    check_setup(*state, false, VMSIX_REMAP_CAP_DATA_INDEX | VMSIX_REMAP_CAP_DOORBELL, 0);
}

static void test_setup_data_index_doorbell_64(void **state)
{
    check_setup(*state, true, VMSIX_REMAP_CAP_DATA_INDEX | VMSIX_REMAP_CAP_DOORBELL, 0);
}

/* a backend that gives a larger block: MME stays log2(N) */
static void test_setup_larger_block(void **state)
{
    check_setup(*state, true, 0, 2);
}

static void test_setup_doorbell_without_map(void **state)
{
    struct world *w = *state;
    struct vmsix_msi_phys p;
    int rc;

    world_init(w, true, 2, VMSIX_REMAP_CAP_DOORBELL);
    w->ops.doorbell_map = NULL;
    w->ops.doorbell_unmap = NULL;
    if (phys_init(w, &p, 4) != 0)
        return; /* refused at init: as good */
    rc = vmsix_msi_phys_setup(&p);
    assert_true(rc < 0);
    assert_false(fn_enabled(w));
    assert_false(w->reserved);
    assert_int_equal(w->nreserve, w->nrelease);
    assert_int_equal(count_op(w, OP_PROGRAM), 0);
    no_violations(w);
}

/* a backend that gives fewer entries than asked: refused, the block given back */
static void test_setup_short_block(void **state)
{
    struct world *w = *state;
    struct vmsix_msi_phys p;

    world_init(w, true, 2, 0);
    w->blk_short = 1;
    assert_int_equal(phys_init(w, &p, 4), 0);
    assert_true(vmsix_msi_phys_setup(&p) < 0);
    assert_false(fn_enabled(w));
    assert_false(w->reserved);
    assert_int_equal(w->nreserve, 1);
    assert_int_equal(w->nrelease, 1);
    no_violations(w);
}

/* A composed message the capability cannot hold (an address above 4 GiB in a 32-bit
 * capability, data wider than the 16-bit register) is refused, never written cut: the cut
 * message would reach another address or entry. */
static void test_setup_message_must_fit(void **state)
{
    struct world *w = *state;
    struct vmsix_msi_phys p;

    world_init(w, false, 2, VMSIX_REMAP_CAP_DOORBELL);
    w->doorbell_iova = 0x1ffff0000ull; /* an IOVA above 4 GiB */
    assert_int_equal(phys_init(w, &p, 4), 0);
    assert_true(vmsix_msi_phys_setup(&p) < 0);
    assert_false(fn_enabled(w));
    assert_false(w->reserved);
    assert_false(w->mapped);
    no_violations(w);

    world_init(w, true, 2, 0);
    w->compose_data_or = 0x10000;
    assert_int_equal(phys_init(w, &p, 4), 0);
    assert_true(vmsix_msi_phys_setup(&p) < 0);
    assert_false(fn_enabled(w));
    assert_false(w->reserved);
    no_violations(w);
}

/* ---- vectors ---- */

static void setup_on(struct world *w, struct vmsix_msi_phys *p, bool addr64, unsigned mmc,
                     uint32_t capflags)
{
    world_init(w, addr64, mmc, capflags);
    assert_int_equal(phys_init(w, p, (uint8_t)(1u << mmc)), 0);
    assert_int_equal(vmsix_msi_phys_setup(p), 0);
    w->nrec = 0;
}

static void test_vec_on_order(void **state)
{
    struct world *w = *state;
    struct vmsix_msi_phys p;

    setup_on(w, &p, false, 2, 0);
    /* masked since setup: program quiesced, invalidate, then unmask */
    assert_int_equal(vmsix_msi_phys_vec_on(&p, 2, &T2), 0);
    assert_string_equal(story(w, 0), "program(2,Q) invalidate(2,1) mask=b");
    assert_true(same_target(&w->rec[0].t, &T2));
    assert_true(live(w, 2, &T2));

    w->nrec = 0;
    assert_int_equal(vmsix_msi_phys_vec_on(&p, 0, &T0), 0);
    assert_string_equal(story(w, 0), "program(0,Q) invalidate(0,1) mask=a");

    /* a new target while live: masked again first; vector 0 stays unmasked throughout */
    w->nrec = 0;
    assert_int_equal(vmsix_msi_phys_vec_on(&p, 2, &T1), 0);
    assert_string_equal(story(w, 0), "mask=e program(2,Q) invalidate(2,1) mask=a");
    assert_true(same_target(&w->rec[1].t, &T1));
    assert_true(live(w, 2, &T1));
    assert_true(live(w, 0, &T0));
    assert_int_equal(fn_mask(w), 0xa);
    no_violations(w);
}

static void test_vec_on_64(void **state)
{
    struct world *w = *state;
    struct vmsix_msi_phys p;

    setup_on(w, &p, true, 5, VMSIX_REMAP_CAP_DATA_INDEX);
    assert_int_equal(vmsix_msi_phys_vec_on(&p, 31, &T0), 0);
    assert_int_equal(vmsix_msi_phys_vec_on(&p, 0, &T1), 0);
    assert_string_equal(story(w, 0), "program(31,Q) invalidate(31,1) mask=7fffffff "
                                     "program(0,Q) invalidate(0,1) mask=7ffffffe");
    assert_int_equal(rd(w, MSI_OFF + PCI_MSI_MASK_64, 4), 0x7ffffffeu);
    assert_true(live(w, 31, &T0));
    assert_true(live(w, 0, &T1));
    no_violations(w);
}

/* A mask write the function refused leaves its register unknown: the next program of a
 * vector vmsix believes masked quiesces it again first. */
static void test_vec_on_after_refused_mask(void **state)
{
    struct world *w = *state;
    struct vmsix_msi_phys p;

    setup_on(w, &p, false, 2, 0);
    assert_int_equal(vmsix_msi_phys_vec_on(&p, 3, &T0), 0);
    w->fail_mask_write = 1;
    assert_int_equal(vmsix_msi_phys_vec_off(&p, 3), -EIO);
    assert_true(entry_gone(w, 3));     /* the entry goes whatever the mask */
    assert_int_equal(fn_mask(w), 0x7); /* the function still has 3 unmasked */
    w->nrec = 0;
    assert_int_equal(vmsix_msi_phys_vec_on(&p, 3, &T1), 0);
    assert_string_equal(story(w, 0), "mask=f program(3,Q) invalidate(3,1) mask=7");
    assert_true(live(w, 3, &T1));
    no_violations(w);
}

static void test_vec_off_order(void **state)
{
    struct world *w = *state;
    struct vmsix_msi_phys p;

    setup_on(w, &p, true, 2, 0);
    assert_int_equal(vmsix_msi_phys_vec_on(&p, 1, &T1), 0);
    assert_int_equal(vmsix_msi_phys_vec_on(&p, 2, &T2), 0);
    w->nrec = 0;
    assert_int_equal(vmsix_msi_phys_vec_off(&p, 2), 0);
    assert_string_equal(story(w, 0), "mask=d clear(2) invalidate(2,1)");
    assert_true(entry_gone(w, 2));
    assert_true(live(w, 1, &T1));
    /* and on again */
    w->nrec = 0;
    assert_int_equal(vmsix_msi_phys_vec_on(&p, 2, &T0), 0);
    assert_string_equal(story(w, 0), "program(2,Q) invalidate(2,1) mask=9");
    no_violations(w);
}

/* Targets the unit cannot hold are refused before program(); the vector stays masked and
 * its entry cleared. */
static void test_target_refused(void **state)
{
    struct world *w = *state;
    struct vmsix_msi_phys p;
    struct vmsix_remap_target t;
    unsigned i;
    int rc;
    static const struct vmsix_remap_target bad[] = {
        {.vector = 0x100, .dest = 1},
        {.vector = 0x30, .dest = 0x100},
        {.vector = 0x30, .dest = 0xffffffffu},
        {.posted = true, .vector = 0x30, .pd_addr = 0x1000},
    };

    setup_on(w, &p, false, 2, 0); /* dest_bits 8, vector_bits 8, no CAP_POSTED */
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        print_message("bad target %u\n", i);
        assert_true(vmsix_msi_phys_vec_on(&p, 1, &bad[i]) < 0);
        assert_int_equal(count_op(w, OP_PROGRAM), 0);
        assert_true(fn_mask(w) & 2);
        assert_true(entry_gone(w, 1));
    }
    t = (struct vmsix_remap_target){.vector = 0xff, .dest = 0xff};
    assert_int_equal(vmsix_msi_phys_vec_on(&p, 1, &t), 0);
    assert_true(live(w, 1, &t));
    /* a live vector given a target the unit cannot hold: masked, entry cleared */
    w->nrec = 0;
    assert_true(vmsix_msi_phys_vec_on(&p, 1, &bad[0]) < 0);
    assert_int_equal(count_op(w, OP_PROGRAM), 0);
    assert_true(fn_mask(w) & 2);
    assert_true(entry_gone(w, 1));
    rc = vmsix_msi_phys_vec_on(&p, 1, &bad[1]);
    assert_true(rc < 0);
    assert_true(log_has(w, "vector 1", rc));
    assert_int_equal(vmsix_msi_phys_teardown(&p), 0);
    no_violations(w);

    /* 0 means 32 bits; CAP_POSTED lets posted targets through */
    world_init(w, true, 2, VMSIX_REMAP_CAP_POSTED);
    w->caps.dest_bits = 0;
    w->caps.vector_bits = 0;
    assert_int_equal(phys_init(w, &p, 4), 0);
    assert_int_equal(vmsix_msi_phys_setup(&p), 0);
    t = (struct vmsix_remap_target){.vector = 0xffffffffu, .dest = 0xffffffffu};
    assert_int_equal(vmsix_msi_phys_vec_on(&p, 0, &t), 0);
    assert_true(live(w, 0, &t));
    assert_int_equal(vmsix_msi_phys_vec_on(&p, 3, &bad[3]), 0);
    assert_true(live(w, 3, &bad[3]));
    assert_int_equal(vmsix_msi_phys_teardown(&p), 0);
    no_violations(w);

    /* 31 bits refuse bit 31, 32 bits take everything */
    world_init(w, true, 2, 0);
    w->caps.dest_bits = 31;
    w->caps.vector_bits = 32;
    assert_int_equal(phys_init(w, &p, 4), 0);
    assert_int_equal(vmsix_msi_phys_setup(&p), 0);
    t = (struct vmsix_remap_target){.vector = 0xffffffffu, .dest = 0x80000000u};
    assert_true(vmsix_msi_phys_vec_on(&p, 0, &t) < 0);
    assert_int_equal(count_op(w, OP_PROGRAM), 0);
    t.dest = 0x7fffffffu;
    assert_int_equal(vmsix_msi_phys_vec_on(&p, 0, &t), 0);
    assert_true(live(w, 0, &t));
    assert_int_equal(vmsix_msi_phys_teardown(&p), 0);
    no_violations(w);
}

/* A vector outside the block or the 32 MSI vectors is refused and touches nothing (no
 * entry outside the block, no shift past the mask register's width). */
static void test_vec_out_of_range(void **state)
{
    static const uint16_t vecs[] = {40, 4, 31, 32, 0xffff};
    struct world *w = *state;
    struct vmsix_msi_phys p;
    unsigned i;

    setup_on(w, &p, true, 2, 0);
    assert_int_equal(vmsix_msi_phys_vec_on(&p, 1, &T1), 0);
    for (i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
        print_message("vector %u\n", vecs[i]);
        w->nrec = 0;
        assert_true(vmsix_msi_phys_vec_on(&p, vecs[i], &T0) < 0);
        assert_true(vmsix_msi_phys_vec_off(&p, vecs[i]) < 0);
        assert_string_equal(story(w, 0), "");
        assert_true(live(w, 1, &T1));
        assert_int_equal(fn_mask(w), 0xd);
    }
    no_violations(w);
}

static void test_vec_when_off(void **state)
{
    struct world *w = *state;
    struct vmsix_msi_phys p;

    world_init(w, false, 2, 0);
    assert_int_equal(phys_init(w, &p, 4), 0);
    w->nrec = 0;
    assert_true(vmsix_msi_phys_vec_on(&p, 1, &T1) < 0);
    assert_int_equal(vmsix_msi_phys_vec_off(&p, 1), 0);
    assert_int_equal(w->nrec, 0);
    no_violations(w);
}

/* ---- teardown ---- */

static void check_teardown(struct world *w, bool addr64, uint32_t capflags, bool guest_intx,
                           unsigned extra_order)
{
    struct vmsix_msi_phys p;
    int m, en, inv, rel, un, x;
    unsigned i, count;
    bool seen[NENT] = {false};

    world_init(w, addr64, 2, capflags);
    w->blk_extra_order = extra_order;
    assert_int_equal(phys_init(w, &p, 4), 0);
    assert_int_equal(vmsix_msi_phys_set_guest_intx(&p, guest_intx), 0);
    assert_int_equal(fn_intx_disabled(w), guest_intx);
    assert_int_equal(vmsix_msi_phys_setup(&p), 0);
    assert_true(fn_intx_disabled(w));
    assert_int_equal(vmsix_msi_phys_vec_on(&p, 0, &T0), 0);
    assert_int_equal(vmsix_msi_phys_vec_on(&p, 3, &T1), 0);
    count = w->blk.count;
    w->nrec = 0;
    assert_int_equal(vmsix_msi_phys_teardown(&p), 0);
    print_message("teardown: %s\n", story(w, 0));

    m = next_write(w, 0, mask_reg(w), 4);
    assert_int_equal(m, 0); /* first of all: every vector masked */
    assert_int_equal(w->rec[m].val & impl(w), impl(w));
    en = next_write(w, 0, MSI_OFF + PCI_MSI_FLAGS, 2);
    assert_true(en > m);
    assert_int_equal(flags_after(w, (unsigned)en) & (PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE),
                     0);
    inv = next_rec(w, 0, OP_INVAL);
    assert_true(inv > en);
    assert_int_equal(w->rec[inv].k, 0);
    assert_int_equal(w->rec[inv].n, count);
    assert_int_equal(count_op(w, OP_INVAL), 1);
    /* clear(k) for every k of the block, each once, after MSI is off, before the
     * invalidation */
    assert_int_equal(count_op(w, OP_CLEAR), count);
    for (i = 0; i < w->nrec; i++) {
        if (w->rec[i].op != OP_CLEAR)
            continue;
        assert_true((int)i > en && (int)i < inv);
        assert_true(w->rec[i].k < count);
        assert_false(seen[w->rec[i].k]);
        seen[w->rec[i].k] = true;
    }
    rel = next_rec(w, 0, OP_RELEASE);
    assert_true(rel > inv);
    un = next_rec(w, 0, OP_DB_UNMAP);
    /* remap.h: the doorbell goes before the block it was mapped for */
    if (capflags & VMSIX_REMAP_CAP_DOORBELL)
        assert_true(un > inv && un < rel);
    else
        assert_int_equal(un, -1);
    x = next_write(w, 0, PCI_COMMAND, 2);
    assert_true(x > rel && x > un);
    assert_int_equal(fn_intx_disabled(w), guest_intx);
    assert_int_equal(count_op(w, OP_PROGRAM), 0);
    assert_false(fn_enabled(w));
    assert_int_equal(fn_mme(w), 0);
    assert_int_equal(fn_mask(w), impl(w));
    assert_false(w->reserved);
    assert_false(w->mapped);
    for (i = 0; i < NENT; i++)
        assert_true(entry_gone(w, i));

    /* teardown when off does nothing */
    w->nrec = 0;
    assert_int_equal(vmsix_msi_phys_teardown(&p), 0);
    assert_int_equal(w->nrec, 0);
    no_violations(w);
}

static void test_teardown_32(void **state)
{
    check_teardown(*state, false, 0, false, 0);
}

static void test_teardown_64_doorbell(void **state)
{
    check_teardown(*state, true, VMSIX_REMAP_CAP_DATA_INDEX | VMSIX_REMAP_CAP_DOORBELL, true, 0);
}

static void test_teardown_larger_block(void **state)
{
    check_teardown(*state, true, 0, true, 2);
}

static void test_teardown_when_never_on(void **state)
{
    struct world *w = *state;
    struct vmsix_msi_phys p;

    world_init(w, false, 2, 0);
    assert_int_equal(phys_init(w, &p, 4), 0);
    w->nrec = 0;
    assert_int_equal(vmsix_msi_phys_teardown(&p), 0);
    assert_int_equal(w->nrec, 0);
    no_violations(w);
}

/* release() refuses: the block is held and released at the next teardown or setup,
 * never leaked, never reserved twice. */
static void test_release_refused(void **state)
{
    struct world *w = *state;
    struct vmsix_msi_phys p;

    setup_on(w, &p, false, 2, 0);
    w->fail_release = 1;
    assert_int_equal(vmsix_msi_phys_teardown(&p), -EBUSY);
    assert_true(log_has(w, "release", -EBUSY));
    assert_true(w->reserved);
    assert_false(fn_enabled(w));
    w->nrec = 0;
    assert_int_equal(vmsix_msi_phys_teardown(&p), 0);
    assert_string_equal(story(w, 0), "release");
    assert_false(w->reserved);
    w->nrec = 0;
    assert_int_equal(vmsix_msi_phys_teardown(&p), 0);
    assert_int_equal(w->nrec, 0);

    /* held, then the next setup gives it back before reserving */
    assert_int_equal(vmsix_msi_phys_setup(&p), 0);
    w->fail_release = 1;
    assert_int_equal(vmsix_msi_phys_teardown(&p), -EBUSY);
    assert_true(w->reserved);
    w->nrec = 0;
    assert_int_equal(vmsix_msi_phys_setup(&p), 0);
    assert_true(next_rec(w, 0, OP_RELEASE) >= 0);
    assert_true(next_rec(w, 0, OP_RELEASE) < next_rec(w, 0, OP_RESERVE));
    assert_int_equal(w->nreserve, w->nrelease + 1);
    /* refused again at the start of setup: nothing else happens */
    w->fail_release = 1;
    assert_int_equal(vmsix_msi_phys_teardown(&p), -EBUSY);
    w->fail_release = 1;
    w->nrec = 0;
    assert_int_equal(vmsix_msi_phys_setup(&p), -EBUSY);
    assert_string_equal(story(w, 0), "release");
    assert_int_equal(vmsix_msi_phys_teardown(&p), 0);
    assert_false(w->reserved);
    assert_int_equal(w->nreserve, w->nrelease);
    no_violations(w);
}

/* ---- INTx Disable, update16 ---- */

static void test_guest_intx(void **state)
{
    struct world *w = *state;
    struct vmsix_msi_phys p;

    world_init(w, false, 2, 0);
    assert_int_equal(phys_init(w, &p, 4), 0);
    assert_int_equal(vmsix_msi_phys_set_guest_intx(&p, true), 0);
    assert_true(fn_intx_disabled(w));
    assert_int_equal(vmsix_msi_phys_set_guest_intx(&p, false), 0);
    assert_false(fn_intx_disabled(w));
    assert_int_equal(vmsix_msi_phys_setup(&p), 0);
    assert_true(fn_intx_disabled(w));
    /* while MSI is ours the guest's value is kept, not applied */
    assert_int_equal(vmsix_msi_phys_set_guest_intx(&p, false), 0);
    assert_true(fn_intx_disabled(w));
    assert_int_equal(vmsix_msi_phys_set_guest_intx(&p, true), 0);
    assert_int_equal(vmsix_msi_phys_set_guest_intx(&p, false), 0);
    assert_true(fn_intx_disabled(w));
    assert_int_equal(vmsix_msi_phys_teardown(&p), 0);
    assert_false(fn_intx_disabled(w)); /* the guest's last value */
    /* the other Command bits are left alone */
    assert_int_equal(rd(w, PCI_COMMAND, 2), PCI_COMMAND_MEMORY | 0x4u);
    w->fail_at = w->seq + 1;
    assert_int_equal(vmsix_msi_phys_set_guest_intx(&p, true), -EIO);
    assert_true(log_has(w, "read", -EIO));
    no_violations(w);
}

static void test_update16(void **state)
{
    struct world *w = *state;
    struct vmsix_msi_phys p;

    world_init(w, false, 2, 0);
    assert_int_equal(phys_init(w, &p, 4), 0);
    w->nrec = 0;
    assert_int_equal(vmsix_msi_phys_update16(&p, PCI_COMMAND, PCI_COMMAND_MEMORY, 0x1), 0);
    assert_int_equal(rd(w, PCI_COMMAND, 2), 0x5);
    assert_int_equal(w->nrec, 2);
    assert_int_equal(w->rec[0].op, OP_CFG_R);
    assert_int_equal(w->rec[1].op, OP_CFG_W);
    assert_int_equal(w->rec[1].size, 2);
    assert_int_equal(w->rec[1].val, 0x5);
    w->fail_at = w->seq + 1; /* the read fails: nothing written */
    w->nrec = 0;
    assert_int_equal(vmsix_msi_phys_update16(&p, PCI_COMMAND, 0, 0x2), -EIO);
    assert_int_equal(w->nrec, 1);
    w->fail_at = w->seq + 2;
    assert_int_equal(vmsix_msi_phys_update16(&p, PCI_COMMAND, 0, 0x2), -EIO);
    assert_int_equal(rd(w, PCI_COMMAND, 2), 0x5);
    no_violations(w);
}

/* ---- pending ---- */

static void check_pending(struct world *w, bool addr64)
{
    struct vmsix_msi_phys p;
    static const struct {
        uint16_t first;
        unsigned count;
    } q[] = {{0, 32}, {0, 8}, {4, 4}, {31, 1}, {28, 8}, {1, 31}, {0, 1}, {16, 64}};
    unsigned i;

    world_init(w, addr64, 5, 0);
    assert_int_equal(phys_init(w, &p, 32), 0);
    w->nrec = 0;
    assert_int_equal(vmsix_msi_phys_pending(&p, 0, 32), 0); /* off */
    assert_true(w->nrec <= 1);
    assert_int_equal(vmsix_msi_phys_setup(&p), 0);
    for (i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
        uint64_t want = (uint64_t)(PENDING_PATTERN >> q[i].first);

        if (q[i].count < 64)
            want &= (UINT64_C(1) << q[i].count) - 1;
        w->nrec = 0;
        print_message("pending(%u, %u)\n", q[i].first, q[i].count);
        assert_int_equal(vmsix_msi_phys_pending(&p, q[i].first, q[i].count), want);
        assert_int_equal(w->nrec, 1);
        assert_int_equal(w->rec[0].op, OP_CFG_R);
        assert_int_equal(w->rec[0].off, pending_reg(w));
        assert_int_equal(w->rec[0].size, 4);
    }
    w->nrec = 0;
    w->fail_at = w->seq + 1;
    assert_int_equal(vmsix_msi_phys_pending(&p, 0, 32), 0);
    assert_int_equal(w->nrec, 1);
    assert_int_equal(vmsix_msi_phys_teardown(&p), 0);
    assert_int_equal(vmsix_msi_phys_pending(&p, 0, 32), 0);
    no_violations(w);
}

static void test_pending_32(void **state)
{
    check_pending(*state, false);
}

static void test_pending_64(void **state)
{
    check_pending(*state, true);
}

/* ---- every operation failing in turn ---- */

enum step {
    ST_INIT,
    ST_INTX,
    ST_SETUP,
    ST_ON0,
    ST_ON1,
    ST_RETARGET0,
    ST_PENDING,
    ST_OFF1,
    ST_TEARDOWN,
    ST_END
};

struct story_cfg {
    bool addr64;
    unsigned mmc;
    uint32_t capflags;
    bool guest_intx;
};

static bool failed_at_cfg(const struct world *w, unsigned reg, unsigned len)
{
    return w->failed && (w->failed_op == OP_CFG_R || w->failed_op == OP_CFG_W) &&
           touches(w->failed_off, 1, reg, len);
}

/* After the step that failed: what must hold right then. */
static void check_failed_step(struct world *w, const struct story_cfg *s, enum step st, int rc,
                              unsigned at)
{
    unsigned i;
    int rel;

    print_message("step %d, operation %d at %#x failed (%d): %s\n", (int)st, (int)w->failed_op,
                  w->failed_off, w->failed_rc, story(w, at));
    assert_int_equal(rc, w->failed_rc);
    assert_true(log_has(w, op_step[w->failed_op], w->failed_rc));
    switch (st) {
    case ST_INIT:
        assert_int_equal(count_op(w, OP_CFG_R) + count_op(w, OP_CFG_W), 0);
        assert_int_equal(w->nreserve, 0);
        break;
    case ST_SETUP:
        /* undone: no block, no doorbell, MSI off, INTx Disable as the guest has it */
        assert_false(fn_enabled(w));
        assert_false(w->reserved);
        assert_int_equal(w->nreserve, w->nrelease);
        assert_false(w->mapped);
        assert_int_equal(fn_intx_disabled(w), s->guest_intx);
        for (i = 0; i < NENT; i++)
            assert_true(entry_gone(w, i));
        /* in the reverse order: entries cleared and invalidated before the block goes
         * (MSI off before release and doorbell_unmap: the fake backend checks) */
        rel = next_rec(w, at, OP_RELEASE);
        if (rel >= 0) {
            for (i = (unsigned)rel; i < w->nrec; i++)
                assert_true(w->rec[i].op != OP_CLEAR && w->rec[i].op != OP_INVAL);
        }
        break;
    case ST_ON0:
    case ST_ON1:
    case ST_RETARGET0: {
        unsigned k = st == ST_ON1 ? 1 : 0;
        if (w->failed_op == OP_PROGRAM || w->failed_op == OP_INVAL)
            assert_true(log_has(w, k ? "vector 1" : "vector 0", w->failed_rc));
        assert_true(fn_mask(w) & (1u << k));
        assert_true(entry_gone(w, k));
        if (st == ST_ON1)
            assert_true(live(w, 0, &T0));
        if (st == ST_RETARGET0)
            assert_true(live(w, 1, &T1));
        break;
    }
    case ST_OFF1:
        if (w->failed_op != OP_CFG_W)
            assert_true(fn_mask(w) & 2u);
        else
            assert_true(log_has(w, "mask", w->failed_rc));
        if (w->failed_op == OP_CLEAR || w->failed_op == OP_INVAL)
            assert_true(log_has(w, "vector 1", w->failed_rc));
        assert_true(entry_gone(w, 1));
        assert_true(live(w, 0, &T0B));
        break;
    case ST_TEARDOWN:
        if (w->failed_op == OP_RELEASE)
            assert_true(w->reserved); /* held, for the next teardown or setup */
        break;
    default:
        break;
    }
}

/* After the story (and a teardown that sweeps what a failure left): nothing left. */
static void check_end(struct world *w, const struct story_cfg *s, enum step st)
{
    unsigned i;
    bool mask_written = false;

    for (i = 0; i < w->nrec; i++)
        if (w->rec[i].op == OP_CFG_W && w->rec[i].rc == 0 &&
            touches(w->rec[i].off, w->rec[i].size, mask_reg(w), 4))
            mask_written = true;
    assert_false(w->reserved);
    assert_int_equal(w->nreserve, w->nrelease);
    for (i = 0; i < NENT; i++)
        assert_true(entry_gone(w, i));
    if (!(st == ST_TEARDOWN && failed_at_cfg(w, MSI_OFF + PCI_MSI_FLAGS, 2))) {
        assert_false(fn_enabled(w));
        assert_int_equal(fn_mme(w), 0);
    }
    if (mask_written && !(st == ST_TEARDOWN && failed_at_cfg(w, mask_reg(w), 4)))
        assert_int_equal(fn_mask(w), impl(w));
    if (st != ST_INIT &&
        !((st == ST_INTX || st == ST_TEARDOWN) && failed_at_cfg(w, PCI_COMMAND, 2)))
        assert_int_equal(fn_intx_disabled(w), s->guest_intx);
    if (!(w->failed && w->failed_op == OP_DB_UNMAP))
        assert_false(w->mapped);
    no_violations(w);
}

/* One run of the story with its n-th operation failing; true when nothing failed. */
static bool run_story(struct world *w, const struct story_cfg *s, unsigned n, unsigned *ops_failed)
{
    struct vmsix_msi_phys p;
    uint8_t nvec = (uint8_t)(1u << s->mmc);
    enum step st;
    unsigned at = 0;
    int rc = 0;

    world_init(w, s->addr64, s->mmc, s->capflags);
    w->fail_at = n;
    for (st = ST_INIT; st < ST_END; st++) {
        bool before = w->failed;

        at = w->nrec;
        switch (st) {
        case ST_INIT:
            rc = phys_init(w, &p, nvec);
            break;
        case ST_INTX:
            rc = vmsix_msi_phys_set_guest_intx(&p, s->guest_intx);
            break;
        case ST_SETUP:
            rc = vmsix_msi_phys_setup(&p);
            break;
        case ST_ON0:
            rc = vmsix_msi_phys_vec_on(&p, 0, &T0);
            break;
        case ST_ON1:
            rc = vmsix_msi_phys_vec_on(&p, 1, &T1);
            break;
        case ST_RETARGET0:
            rc = vmsix_msi_phys_vec_on(&p, 0, &T0B);
            break;
        case ST_PENDING: {
            uint64_t v = vmsix_msi_phys_pending(&p, 0, nvec);
            /* a failed read: 0, and the story goes on */
            assert_int_equal(v, (!before && w->failed) ? 0 : (PENDING_PATTERN & impl(w)));
            rc = 0;
            break;
        }
        case ST_OFF1:
            rc = vmsix_msi_phys_vec_off(&p, 1);
            break;
        case ST_TEARDOWN:
            rc = vmsix_msi_phys_teardown(&p);
            break;
        default:
            break;
        }
        if (!before && w->failed && st != ST_PENDING)
            break;
        assert_int_equal(rc, 0);
    }
    if (w->failed)
        *ops_failed |= 1u << w->failed_op;
    if (st < ST_END) {
        check_failed_step(w, s, st, rc, at);
        if (st == ST_INIT)
            return false;
    }
    no_violations(w);
    /* what a failure left is swept by the next teardown */
    if (st < ST_TEARDOWN || (st == ST_TEARDOWN && w->failed_op == OP_RELEASE)) {
        assert_int_equal(vmsix_msi_phys_teardown(&p), 0);
    } else if (st == ST_END) {
        unsigned nrec = w->nrec;
        assert_int_equal(vmsix_msi_phys_teardown(&p), 0);
        assert_int_equal(w->nrec, nrec); /* off: nothing */
    }
    check_end(w, s, st);
    return !w->failed;
}

static void check_every_failure(struct world *w, const struct story_cfg *s, unsigned want_ops)
{
    unsigned n, ops_failed = 0;

    for (n = 1; n < 500; n++) {
        if (run_story(w, s, n, &ops_failed))
            break;
    }
    print_message("%u operations, every one failed in turn\n", n - 1);
    assert_true(n > 20 && n < 500);
    assert_int_equal(ops_failed & want_ops, want_ops);
}

static const unsigned every_op = (1u << OP_CFG_R) | (1u << OP_CFG_W) | (1u << OP_CAPS) |
                                 (1u << OP_RESERVE) | (1u << OP_RELEASE) | (1u << OP_PROGRAM) |
                                 (1u << OP_CLEAR) | (1u << OP_INVAL) | (1u << OP_COMPOSE);

static void test_every_failure_32(void **state)
{
    const struct story_cfg s = {.addr64 = false, .mmc = 2, .capflags = 0, .guest_intx = false};

    check_every_failure(*state, &s, every_op);
}

static void test_every_failure_64_doorbell(void **state)
{
    const struct story_cfg s = {.addr64 = true,
                                .mmc = 3,
                                .capflags = VMSIX_REMAP_CAP_DATA_INDEX | VMSIX_REMAP_CAP_DOORBELL,
                                .guest_intx = true};

    check_every_failure(*state, &s, every_op | (1u << OP_DB_MAP) | (1u << OP_DB_UNMAP));
}

/* ---- software masking: a function without per-vector mask bits ---- */

/* The host's divert target of vector k: a host vector whose handler pends k. */
static struct vmsix_remap_target tdiv(unsigned k)
{
    struct vmsix_remap_target t = {.vector = 0xe0u + k, .dest = 0};

    return t;
}

static int fn_divert(void *ctx, uint16_t vec, struct vmsix_remap_target *t)
{
    struct world *w = ctx;
    struct rec *r = rec_add(w, OP_DIVERT);
    int rc = inject(w, OP_DIVERT, 0);

    r->k = vec;
    if (rc)
        return r->rc = rc;
    *t = tdiv(vec);
    return 0;
}

/* A function whose MSI has no mask bits (nor pending bits): its capability
 * is 10 or 14 bytes, so a write of a mask register is a write outside it
 * (fn_write's check), and every enabled message can be sent at any time. */
static void world_soft(struct world *w, bool addr64, unsigned mmc, uint32_t capflags)
{
    world_init(w, addr64, mmc, capflags | VMSIX_REMAP_CAP_LIVE_SWITCH);
    w->soft = true;
    put(w, MSI_OFF + PCI_MSI_FLAGS, 2,
        (mmc << PCI_MSI_FLAGS_QMASK_SHIFT) | (addr64 ? PCI_MSI_FLAGS_64BIT : 0));
    put(w, mask_reg(w), 4, 0);
    put(w, pending_reg(w), 4, 0);
    memset(w->wmask + mask_reg(w), 0, 8);
}

static int soft_init(struct world *w, struct vmsix_msi_phys *p, uint8_t nvec)
{
    memset(p, 0, sizeof(*p));
    p->cfg_read = fn_read;
    p->cfg_write = fn_write;
    p->ctx = w;
    p->log = &w->logger;
    p->divert = fn_divert;
    return vmsix_msi_phys_init(p, &w->backend, &w->src, MSI_OFF, w->addr64, nvec);
}

/* Software masking's own invariant, on top of check_fire's "every message
 * the function can send reaches a valid entry": a vector that is not live
 * at vmsix delivers to its divert target (held, never lost), or, after a
 * failure that could not divert it, to no entry at all; never to a guest's
 * target while the guest has it masked. */
static void check_soft(struct world *w, const struct vmsix_msi_phys *p, const char *where)
{
    unsigned k;

    check_fire(w, where);
    for (k = 0; k < p->nvec && p->on; k++) {
        struct vmsix_remap_target d = tdiv(k);
        if (p->active & (1u << k))
            continue;
        if (!(p->mask & (1u << k)))
            viol(w, "%s: vector %u neither live nor masked", where, k);
        if (w->cache[k] && !same_target(&w->cache_t[k], &d))
            viol(w, "%s: masked vector %u delivers to a guest's target", where, k);
        if (w->mem[k] && !same_target(&w->mem_t[k], &d))
            viol(w, "%s: masked vector %u's entry holds a guest's target", where, k);
    }
}

static bool diverted(const struct world *w, unsigned k)
{
    struct vmsix_remap_target d = tdiv(k);

    return w->mem[k] && w->cache[k] && same_target(&w->cache_t[k], &d);
}

/* Without a backend that switches a live entry in one step, software
 * masking is refused at init (a masked vector would lose messages). */
static void test_soft_needs_live_switch(void **state)
{
    struct world *w = *state;
    struct vmsix_msi_phys p;

    world_soft(w, true, 2, 0);
    w->caps.flags &= ~VMSIX_REMAP_CAP_LIVE_SWITCH;
    assert_int_equal(soft_init(w, &p, 4), -ENOTSUP);
    assert_true(log_has(w, "software masking", -ENOTSUP));
    world_soft(w, true, 2, 0);
    assert_int_equal(soft_init(w, &p, 4), 0);
    no_violations(w);
}

/* Setup: every entry present and diverted before MSI Enable; no mask
 * register written (the function has none). */
static void check_soft_setup(struct world *w, bool addr64, uint32_t capflags)
{
    struct vmsix_msi_phys p;
    unsigned k;
    int en = -1;

    world_soft(w, addr64, 2, capflags);
    assert_int_equal(soft_init(w, &p, 4), 0);
    assert_int_equal(vmsix_msi_phys_setup(&p), 0);
    for (unsigned i = 0; i < w->nrec; i++)
        if (w->rec[i].op == OP_CFG_W &&
            touches(w->rec[i].off, w->rec[i].size, MSI_OFF + PCI_MSI_FLAGS, 2) &&
            (flags_after(w, i) & PCI_MSI_FLAGS_ENABLE) && en < 0)
            en = (int)i;
    assert_true(en > 0);
    for (k = 0; k < 4; k++) {
        int d = next_rec(w, 0, OP_DIVERT);
        assert_true(d >= 0 && d < en);
        assert_true(diverted(w, k));
    }
    for (unsigned i = (unsigned)en; i < w->nrec; i++)
        assert_true(w->rec[i].op != OP_PROGRAM && w->rec[i].op != OP_INVAL);
    assert_int_equal(count_op(w, OP_PROGRAM), 4);
    assert_int_equal(count_op(w, OP_DIVERT), 4);
    for (unsigned i = 0; i < w->nrec; i++)
        if (w->rec[i].op == OP_PROGRAM)
            assert_int_equal(w->rec[i].flags, 0); /* the function can send: never QUIESCED */
    assert_true(fn_enabled(w));
    assert_int_equal(fn_mme(w), 2);
    assert_int_equal(p.mask, 0xffffffffu);
    check_soft(w, &p, "setup");
    assert_int_equal(vmsix_msi_phys_teardown(&p), 0);
    assert_false(fn_enabled(w));
    assert_false(w->reserved);
    for (k = 0; k < NENT; k++)
        assert_true(entry_gone(w, k));
    no_violations(w);
}

static void test_soft_setup_32(void **state)
{
    check_soft_setup(*state, false, 0);
}

static void test_soft_setup_64_data_index(void **state)
{
    check_soft_setup(*state, true, VMSIX_REMAP_CAP_DATA_INDEX);
}

/* Unmask: one live switch from the divert target to the guest's; mask: one
 * switch back; a new message while live: one switch. No quiesce, no mask
 * write, no clear. */
static void test_soft_vec_on_off(void **state)
{
    struct world *w = *state;
    struct vmsix_msi_phys p;

    world_soft(w, false, 2, 0);
    assert_int_equal(soft_init(w, &p, 4), 0);
    assert_int_equal(vmsix_msi_phys_setup(&p), 0);
    w->nrec = 0;
    assert_int_equal(vmsix_msi_phys_vec_on(&p, 2, &T2), 0);
    assert_string_equal(story(w, 0), "program(2,-) invalidate(2,1)");
    assert_true(live(w, 2, &T2));
    assert_int_equal(p.active, 4u);
    check_soft(w, &p, "on");
    w->nrec = 0;
    assert_int_equal(vmsix_msi_phys_vec_on(&p, 2, &T1), 0);
    assert_string_equal(story(w, 0), "program(2,-) invalidate(2,1)");
    assert_true(live(w, 2, &T1));
    w->nrec = 0;
    assert_int_equal(vmsix_msi_phys_vec_off(&p, 2), 0);
    assert_string_equal(story(w, 0), "divert(2) program(2,-) invalidate(2,1)");
    assert_true(diverted(w, 2));
    assert_int_equal(p.active, 0);
    check_soft(w, &p, "off");
    /* no PBA register to read: the divert handler's pends are the PBA */
    w->nrec = 0;
    assert_int_equal(vmsix_msi_phys_pending(&p, 0, 4), 0);
    assert_int_equal(w->nrec, 0);
    assert_int_equal(vmsix_msi_phys_teardown(&p), 0);
    no_violations(w);
}

/* A divert target the unit cannot hold (a posted one on a unit without
 * posting) is refused before program(). */
static void test_soft_divert_refused(void **state)
{
    struct world *w = *state;
    struct vmsix_msi_phys p;

    world_soft(w, false, 1, 0);
    w->caps.vector_bits = 4; /* tdiv()'s vectors (0xe0 + k) do not fit */
    assert_int_equal(soft_init(w, &p, 2), 0);
    assert_int_equal(vmsix_msi_phys_setup(&p), -EINVAL);
    assert_true(log_has(w, "divert target", -EINVAL));
    assert_false(fn_enabled(w));
    assert_false(w->reserved);
    assert_int_equal(count_op(w, OP_PROGRAM), 0);
    no_violations(w);
}

/* The story of every failure, with software masking: whatever fails, a
 * masked vector is diverted (or has no entry), never live; the error is
 * returned and logged; a teardown leaves nothing. */
static bool run_soft_story(struct world *w, unsigned n, unsigned *ops_failed)
{
    struct vmsix_msi_phys p;
    int rc = 0;
    unsigned st;

    world_soft(w, true, 2, VMSIX_REMAP_CAP_DATA_INDEX);
    w->fail_at = n;
    for (st = 0; st < 8; st++) {
        bool before = w->failed;

        switch (st) {
        case 0:
            rc = soft_init(w, &p, 4);
            break;
        case 1:
            rc = vmsix_msi_phys_setup(&p);
            break;
        case 2:
            rc = vmsix_msi_phys_vec_on(&p, 0, &T0);
            break;
        case 3:
            rc = vmsix_msi_phys_vec_on(&p, 1, &T1);
            break;
        case 4:
            rc = vmsix_msi_phys_vec_on(&p, 0, &T0B);
            break;
        case 5:
            rc = vmsix_msi_phys_vec_off(&p, 1);
            break;
        case 6:
            rc = vmsix_msi_phys_vec_off(&p, 0);
            break;
        default:
            rc = vmsix_msi_phys_teardown(&p);
            break;
        }
        if (st > 0)
            check_soft(w, &p, "story");
        if (!before && w->failed) {
            assert_int_equal(rc, w->failed_rc);
            assert_true(log_has(w, op_step[w->failed_op], w->failed_rc));
            if (st >= 2 && st <= 6) {
                unsigned k = (st == 3 || st == 5) ? 1 : 0;
                assert_false(p.active & (1u << k)); /* masked: held, never live */
                assert_true(p.mask & (1u << k));
            }
            break;
        }
        assert_int_equal(rc, 0);
    }
    if (w->failed)
        *ops_failed |= 1u << w->failed_op;
    if (st == 0 && w->failed)
        return false;
    no_violations(w);
    (void)vmsix_msi_phys_teardown(&p);
    if (p.blk_held)
        assert_int_equal(vmsix_msi_phys_teardown(&p), 0);
    assert_false(w->reserved);
    assert_int_equal(w->nreserve, w->nrelease);
    for (unsigned k = 0; k < NENT; k++)
        assert_true(entry_gone(w, k));
    if (!(w->failed && failed_at_cfg(w, MSI_OFF + PCI_MSI_FLAGS, 2)))
        assert_false(fn_enabled(w));
    no_violations(w);
    return !w->failed;
}

static void test_soft_every_failure(void **state)
{
    struct world *w = *state;
    unsigned n, ops_failed = 0;
    const unsigned want = (1u << OP_DIVERT) | (1u << OP_PROGRAM) | (1u << OP_INVAL) |
                          (1u << OP_CLEAR) | (1u << OP_RESERVE) | (1u << OP_RELEASE) |
                          (1u << OP_CFG_W) | (1u << OP_COMPOSE);

    for (n = 1; n < 500; n++)
        if (run_soft_story(w, n, &ops_failed))
            break;
    print_message("%u operations, every one failed in turn\n", n - 1);
    assert_true(n > 20 && n < 500);
    assert_int_equal(ops_failed & want, want);
}

#define T(f) cmocka_unit_test_setup_teardown(f, w_setup, w_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_init_size_rule),
        T(test_init_null_ops),
        T(test_init_caps),
        T(test_init_backend_too_small),
        T(test_init_nvec_domain),
        T(test_setup_32),
        T(test_setup_64),
        T(test_setup_data_index_doorbell_32),
        T(test_setup_data_index_doorbell_64),
        T(test_setup_larger_block),
        T(test_setup_doorbell_without_map),
        T(test_setup_short_block),
        T(test_setup_message_must_fit),
        T(test_vec_on_order),
        T(test_vec_on_64),
        T(test_vec_on_after_refused_mask),
        T(test_vec_off_order),
        T(test_target_refused),
        T(test_vec_out_of_range),
        T(test_vec_when_off),
        T(test_teardown_32),
        T(test_teardown_64_doorbell),
        T(test_teardown_larger_block),
        T(test_teardown_when_never_on),
        T(test_release_refused),
        T(test_guest_intx),
        T(test_update16),
        T(test_pending_32),
        T(test_pending_64),
        T(test_every_failure_32),
        T(test_every_failure_64_doorbell),
        T(test_soft_needs_live_switch),
        T(test_soft_setup_32),
        T(test_soft_setup_64_data_index),
        T(test_soft_vec_on_off),
        T(test_soft_divert_refused),
        T(test_soft_every_failure),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
