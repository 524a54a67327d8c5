/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vmsix/irte_alloc.h - a pool of 2^k interrupt-remapping table indexes,
 * handed out in naturally aligned power-of-two blocks (multi-message MSI
 * through remapping needs a contiguous, aligned block of entries).
 *
 * Semantics:
 * - A pool holds nentries = 2^k indexes 0 .. nentries-1, 1 <= nentries <=
 *   65536 (the VT-d maximum). Every index is free, in exactly one allocated
 *   block, or reserved.
 * - vmsix_irte_alloc() hands out the free, naturally aligned block of the
 *   requested size (rounded up to a power of two) that has the lowest
 *   address, so results are deterministic. It succeeds whenever such a block
 *   exists anywhere in the pool: fragmentation never hides one.
 * - vmsix_irte_free() gives back exactly one allocated block; anything else
 *   is refused and changes nothing.
 * - vmsix_irte_reserve() takes any range (not only aligned powers of two)
 *   for entries the host owns (IOAPIC pins, HPET). Reservations are
 *   permanent: free refuses them.
 *
 * Cost: alloc and free are O(log nentries), and in fact a bounded number
 * of 64-bit word operations with no loop over the pool. free_count and
 * largest_free are O(1); reserve is O(count / 64 + 1); init is
 * O(nentries / 64).
 *
 * Storage (exact figure): with m = max(n / 64, 1),
 *     vmsix_irte_pool_storage_size(n) = 96 + 18 * m + 56 * ceil(m / 64)
 * bytes. For 65536 entries: 19424 bytes = n/4 + 3040; for 1024 entries:
 * 440 bytes. The contract's bound is n/4 + 4096.
 *
 * Locking: the pool takes no lock of its own. A pool shared by several
 * devices can be given lock/unlock hooks (vmsix_irte_pool_set_lock()); each
 * call of vmsix_irte_reserve(), vmsix_irte_alloc(), vmsix_irte_free(),
 * vmsix_irte_free_count() and vmsix_irte_largest_free() with a valid pool
 * then calls lock exactly once before it reads the pool's state (only its
 * init marker and the hooks, which no call but init and
 * vmsix_irte_pool_set_lock() writes, are read before) and unlock exactly
 * once before it returns, whatever it returns. No other hook is ever
 * called.
 *
 * A pool pointer that did not come from a successful vmsix_irte_pool_init()
 * (storage never initialized, or left by a failed init) is refused as a
 * NULL one is: -EINVAL, or 0 from vmsix_irte_free_count() and
 * vmsix_irte_largest_free(). Only a marker at the start of the storage is
 * read; nothing is written and no hook is called.
 */
#ifndef VMSIX_IRTE_ALLOC_H
#define VMSIX_IRTE_ALLOC_H

#include <vmsix/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Largest pool: the size of a VT-d interrupt-remapping table. */
#define VMSIX_IRTE_MAX_ENTRIES 65536u

/* Alignment that the storage given to vmsix_irte_pool_init() must have. */
#define VMSIX_IRTE_POOL_ALIGN 8u

struct vmsix_irte_pool;

/* Lock hooks: called with the ctx given to vmsix_irte_pool_set_lock(). */
typedef void (*vmsix_irte_lock_fn)(void *ctx);

/**
 * vmsix_irte_pool_storage_size() - bytes of storage a pool needs.
 * @nentries: entries in the pool; a power of two, 1..65536
 *
 * Return: 96 + 18 * m + 56 * ceil(m / 64) with m = max(@nentries / 64, 1),
 * which is at most @nentries / 4 + 4096; 0 when @nentries is 0, not a power
 * of two or larger than VMSIX_IRTE_MAX_ENTRIES. Calls no hook.
 */
VMSIX_API size_t vmsix_irte_pool_storage_size(uint32_t nentries);

/**
 * vmsix_irte_pool_init() - make a pool with every entry free.
 * @mem: storage, aligned to VMSIX_IRTE_POOL_ALIGN; it is the pool until the
 *       caller stops using it (there is no teardown). The pool holds no
 *       pointer into itself: a byte copy of it is an equal pool.
 * @len: bytes at @mem; at least vmsix_irte_pool_storage_size(@nentries)
 * @nentries: a power of two, 1..65536
 * @out: receives the pool (which is @mem)
 *
 * The new pool has no lock hooks.
 *
 * Return: 0; -EINVAL for a NULL @mem or @out, a misaligned @mem, a bad
 * @nentries or a short @len (@mem and *@out are then untouched). Calls no
 * hook.
 */
VMSIX_API int vmsix_irte_pool_init(void *mem, size_t len, uint32_t nentries,
                                   struct vmsix_irte_pool **out);

/**
 * vmsix_irte_pool_set_lock() - set or remove the lock hooks of a pool.
 * @p: the pool
 * @lock: called at the start of every later operation on @p; NULL to remove
 * @unlock: called at its end; NULL to remove (both or neither)
 * @ctx: passed to both hooks
 *
 * Not bracketed by the hooks itself: call it before the pool is shared.
 *
 * Return: 0; -EINVAL for a NULL @p or when exactly one of @lock and
 * @unlock is NULL (nothing changes then). Calls no hook.
 */
VMSIX_API int vmsix_irte_pool_set_lock(struct vmsix_irte_pool *p, vmsix_irte_lock_fn lock,
                                       vmsix_irte_lock_fn unlock, void *ctx);

/**
 * vmsix_irte_reserve() - take entries that the host owns, for good.
 * @p: the pool
 * @base: first entry of the range
 * @count: entries in the range, >= 1; any count, any alignment
 *
 * The range [@base, @base + @count) must lie inside the pool and be wholly
 * free. Reserved entries are never allocated and cannot be freed.
 *
 * Return: 0; -EBUSY when any entry of the range is allocated or reserved
 * already (nothing changes); -EINVAL for a NULL @p, @count 0 or a range
 * that does not lie inside the pool (nothing changes). Calls the lock hooks.
 */
VMSIX_API int vmsix_irte_reserve(struct vmsix_irte_pool *p, uint32_t base, uint32_t count);

/**
 * vmsix_irte_alloc() - allocate a naturally aligned block.
 * @p: the pool
 * @count: entries wanted, >= 1; rounded up to a power of two S
 * @base: receives the first entry of the block, a multiple of S
 *
 * The block is the lowest-addressed free block of S entries aligned to S.
 *
 * Return: 0; -ENOSPC when no free aligned block of S entries exists (also
 * for a @count larger than the pool); -EINVAL for a NULL @p or @base or a
 * @count of 0. *@base is written only on success. Calls the lock hooks.
 */
VMSIX_API int vmsix_irte_alloc(struct vmsix_irte_pool *p, uint32_t count, uint32_t *base);

/**
 * vmsix_irte_free() - give back a block that vmsix_irte_alloc() returned.
 * @p: the pool
 * @base: the base that vmsix_irte_alloc() returned
 * @count: the count passed to alloc, or any count that rounds up to the
 *         same power of two (the block's size)
 *
 * Return: 0; -EINVAL, changing nothing, for a NULL @p, @count 0, a @base
 * outside the pool, a @base that is not the start of an allocated block (an
 * inner entry, a free entry, a double free, a reserved entry), a @count that
 * does not round up to exactly the block's size, or a range that runs past
 * the pool. Calls the lock hooks.
 */
VMSIX_API int vmsix_irte_free(struct vmsix_irte_pool *p, uint32_t base, uint32_t count);

/**
 * vmsix_irte_free_count() - number of free entries.
 * @p: the pool
 *
 * Return: the entries neither allocated nor reserved; 0 for a NULL @p.
 * Calls the lock hooks.
 */
VMSIX_API uint32_t vmsix_irte_free_count(const struct vmsix_irte_pool *p);

/**
 * vmsix_irte_largest_free() - size of the largest block alloc can return.
 * @p: the pool
 *
 * Return: the largest S (a power of two) such that a free block of S
 * entries aligned to S exists, so vmsix_irte_alloc(@p, S, ...) succeeds
 * and any larger count fails; 0 when no entry is free or @p is NULL.
 * Calls the lock hooks.
 */
VMSIX_API uint32_t vmsix_irte_largest_free(const struct vmsix_irte_pool *p);

#ifdef __cplusplus
}
#endif

#endif /* VMSIX_IRTE_ALLOC_H */
