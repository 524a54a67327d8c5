/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The MSI doorbell window (DESIGN 4.7): device-visible IOVAs for doorbell
 * pages, one reference-counted mapping per granule-aligned page in a
 * window of IOVA space outside guest memory, made through the host's
 * IOMMU hooks.
 */
#include <string.h>

#include <vmsix/doorbell.h>

#include "bits.h"
#include "ops_copy.h"
#include "vmsix_errno.h"

#define DOORBELL_MAGIC 0x64626c77u /* "dblw": set last by a successful init */

/* One slot of the window: free while refs is 0. */
struct db_slot {
    uint64_t page; /* the doorbell page it maps (granule aligned) */
    uint32_t refs;
    uint32_t pad;
};

struct vmsix_doorbell {
    uint32_t magic; /* DOORBELL_MAGIC; first, so that nothing else is read before it */
    uint32_t nslots;
    uint64_t iova_base;
    uint64_t granule;
    struct vmsix_doorbell_ops ops;
    void *ctx;
    struct db_slot slots[];
};

static bool valid(const struct vmsix_doorbell *w)
{
    return w && w->magic == DOORBELL_MAGIC;
}

size_t vmsix_doorbell_storage_size(uint32_t max_pages)
{
    if (max_pages == 0 || max_pages > VMSIX_DOORBELL_MAX_PAGES)
        return 0;
    return sizeof(struct vmsix_doorbell) + (size_t)max_pages * sizeof(struct db_slot);
}

/* [b, b + l) with l > 0 ends at most at 2^64: its last byte does not wrap. */
static bool no_wrap(uint64_t b, uint64_t l)
{
    return l == 0 || l - 1u <= UINT64_MAX - b;
}

/* Do [a, a + al) and [b, b + bl), non-empty and not wrapping, overlap?
 * (By last bytes, so that a range ending at 2^64 needs no 65th bit.) */
static bool overlap(uint64_t a, uint64_t al, uint64_t b, uint64_t bl)
{
    return a <= b + (bl - 1u) && b <= a + (al - 1u);
}

static bool params_ok(const struct vmsix_doorbell_params *p)
{
    uint32_t i;

    if (!vmsix_is_pow2(p->granule) || p->granule < VMSIX_DOORBELL_GRANULE_MIN ||
        p->granule > VMSIX_DOORBELL_GRANULE_MAX)
        return false;
    if (p->len == 0 || (p->iova_base | p->len) & (p->granule - 1u) ||
        !no_wrap(p->iova_base, p->len))
        return false;
    if (vmsix_doorbell_storage_size(p->max_pages) == 0 || (p->nguest_ram && !p->guest_ram))
        return false;
    for (i = 0; i < p->nguest_ram; i++)
        if (!no_wrap(p->guest_ram[i].base, p->guest_ram[i].len))
            return false;
    return true;
}

int vmsix_doorbell_init(void *mem, size_t len, const struct vmsix_doorbell_params *p,
                        const struct vmsix_doorbell_ops *ops, void *ctx,
                        struct vmsix_doorbell **out)
{
    struct vmsix_doorbell *w = mem;
    struct vmsix_doorbell_ops o;
    uint64_t slots;
    uint32_t i;
    int rc;

    if (!mem || ((uintptr_t)mem & (VMSIX_DOORBELL_ALIGN - 1u)) || !p || !ops || !out ||
        !params_ok(p) || len < vmsix_doorbell_storage_size(p->max_pages))
        return -EINVAL;
    /* into a local copy: a refused init writes nothing */
    rc = vmsix_ops_copy(&o, sizeof(o), ops, VMSIX_DOORBELL_OPS_SIZE_V1);
    if (rc)
        return rc;
    if (!o.map || !o.unmap)
        return -EINVAL;
    /* a device write into the window must never be one to guest memory */
    for (i = 0; i < p->nguest_ram; i++) {
        const struct vmsix_doorbell_range *r = &p->guest_ram[i];

        if (r->len && overlap(p->iova_base, p->len, r->base, r->len))
            return -EBUSY;
    }
    slots = p->len / p->granule;
    memset(w, 0, vmsix_doorbell_storage_size(p->max_pages));
    w->nslots = slots < p->max_pages ? (uint32_t)slots : p->max_pages;
    w->iova_base = p->iova_base;
    w->granule = p->granule;
    w->ops = o;
    w->ctx = ctx;
    w->magic = DOORBELL_MAGIC;
    *out = w;
    return 0;
}

/* A hook's result: 0 or a negative errno (a positive one is -EIO). */
static int hook_rc(int rc)
{
    return rc > 0 ? -EIO : rc;
}

int vmsix_doorbell_get(struct vmsix_doorbell *w, uint64_t phys, uint64_t *iova)
{
    uint64_t page, slot_iova;
    uint32_t i, free_slot;
    int rc;

    if (!valid(w) || !iova)
        return -EINVAL;
    page = vmsix_align_down(phys, w->granule);
    free_slot = w->nslots;
    for (i = 0; i < w->nslots; i++) {
        struct db_slot *s = &w->slots[i];

        if (s->refs && s->page == page) {
            if (s->refs == UINT32_MAX)
                return -ERANGE;
            s->refs++;
            *iova = w->iova_base + (uint64_t)i * w->granule + (phys - page);
            return 0;
        }
        if (!s->refs && free_slot == w->nslots)
            free_slot = i; /* the lowest free one */
    }
    if (free_slot == w->nslots)
        return -ENOSPC;
    slot_iova = w->iova_base + (uint64_t)free_slot * w->granule;
    rc = hook_rc(w->ops.map(w->ctx, slot_iova, page, w->granule));
    if (rc)
        return rc;
    w->slots[free_slot].page = page;
    w->slots[free_slot].refs = 1;
    *iova = slot_iova + (phys - page);
    return 0;
}

/* The slot @iova lies in: 0, -ERANGE outside the window. */
static int slot_of(const struct vmsix_doorbell *w, uint64_t iova, uint32_t *slot)
{
    uint64_t n;

    if (iova < w->iova_base)
        return -ERANGE;
    n = (iova - w->iova_base) / w->granule;
    if (n >= w->nslots)
        return -ERANGE;
    *slot = (uint32_t)n;
    return 0;
}

int vmsix_doorbell_put(struct vmsix_doorbell *w, uint64_t iova)
{
    struct db_slot *s;
    uint32_t i;
    int rc;

    if (!valid(w))
        return -EINVAL;
    if (slot_of(w, iova, &i) || !w->slots[i].refs)
        return -ENOENT;
    s = &w->slots[i];
    if (s->refs > 1) {
        s->refs--;
        return 0;
    }
    /* the last one: the page goes, unless the IOMMU keeps it */
    rc = hook_rc(w->ops.unmap(w->ctx, w->iova_base + (uint64_t)i * w->granule, w->granule));
    if (rc)
        return rc;
    s->refs = 0;
    s->page = 0;
    return 0;
}

int vmsix_doorbell_translate(const struct vmsix_doorbell *w, uint64_t iova, uint64_t *phys,
                             uint32_t *refs)
{
    uint32_t i;
    int rc;

    if (!valid(w) || !phys)
        return -EINVAL;
    rc = slot_of(w, iova, &i);
    if (rc)
        return rc;
    if (!w->slots[i].refs)
        return -ENOENT;
    *phys = w->slots[i].page + (iova & (w->granule - 1u));
    if (refs)
        *refs = w->slots[i].refs;
    return 0;
}
