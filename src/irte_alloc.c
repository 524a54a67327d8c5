/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A pool of interrupt-remapping table indexes in naturally aligned
 * power-of-two blocks (DESIGN 2, issue 4).
 *
 * Chunks. The pool's entries are cut into chunks of 64 (or one chunk of all
 * entries when the pool is smaller). Each chunk keeps 2 bits per entry in
 * two 64-bit words, u and h:
 *
 *     u h
 *     0 0  free
 *     1 1  first entry of a small allocated block (head)
 *     1 0  any other entry of a small allocated block (body)
 *     0 1  reserved (also the padding bits of a pool smaller than 64)
 *
 * A chunk's "value" is the order of its largest aligned free block plus one
 * (0: nothing free; chunk order + 1: wholly free), computed from the two
 * words in a few shifts.
 *
 * Small blocks (less than a chunk) are found through six bitmaps over the
 * chunks, cmap[k] for k = 0..5: bit c is set when chunk c has an aligned
 * free block of 2^k entries (k < value). A summary word per order, sum[k],
 * has bit w set when word w of cmap[k] has a chunk that is not hidden (see
 * below). The lowest chunk with a free block of 2^k is thus two ctz away,
 * and the lowest block inside it one more.
 *
 * Large blocks (a chunk or more) are found through a complete binary tree
 * in heap order over the chunks (node 1 covers the pool, node x has
 * children 2x and 2x+1, the leaves are the chunks). Each node holds one
 * byte: the order of the largest wholly free node in its subtree, plus one
 * (0: none). A leaf holds its order + 1 when its chunk is wholly free, else
 * 0, so small allocations touch the tree only when a chunk stops or starts
 * being wholly free. The descent prefers the left child, so the lowest
 * block is found.
 *
 * A large block is recorded only by the node that covers it exactly: its
 * byte becomes 0 while everything under it (nodes, chunk bits, cmap bits)
 * stays "pristine", wholly free as init left it, and its chunks are marked
 * in the bitmap hid[], which masks them out of the sums. Such a node is
 * recognised by a 0 over a wholly free left child (for a leaf: over chunk
 * bits that are all free), since a node that is not a block is never below
 * its children. Reservations are always recorded in the chunk bits, which
 * keeps them apart from blocks.
 *
 * Costs: alloc and free do a few word operations on one chunk and the
 * bitmaps, plus at most one root-to-leaf pass of the tree (which stops as
 * soon as a node's byte does not change); a large block also marks its
 * chunks in hid[], one word per 4096 entries. reserve visits the two
 * borders of its range and every chunk inside it.
 */
#include <string.h>

#include <vmsix/irte_alloc.h>

#include "vmsix_errno.h"

#define HDR_SIZE 96u   /* bytes of the header, before the chunk words */
#define CHUNK_ORDER 6u /* 64 entries per chunk */
#define NSMALL 6u      /* orders of small blocks: 0..5 */

struct vmsix_irte_pool {
    uint32_t nentries; /* 2^order */
    uint32_t nfree;    /* entries neither allocated nor reserved */
    uint32_t nchunks;  /* M: leaves of the tree, max(nentries / 64, 1) */
    uint32_t nwords;   /* W: words of a bitmap over the chunks, ceil(M / 64) */
    uint8_t order;     /* log2(nentries) */
    uint8_t corder;    /* log2 of the entries of one chunk: min(order, 6) */
    vmsix_irte_lock_fn lock;
    vmsix_irte_lock_fn unlock;
    void *lock_ctx;
    uint64_t sum[NSMALL]; /* bit w: word w of cmap[k] has a visible chunk */
    /* followed, at HDR_SIZE, by
     *   uint64_t words[2 * M]   u, h of each chunk
     *   uint64_t group[W][7]    for chunks 64w .. 64w+63: cmap[0..5] (has a
     *                           free aligned block of 2^k) and hid (inside a
     *                           large allocated block)
     *   uint8_t  tree[2 * M]    index 0 unused */
};

_Static_assert(sizeof(struct vmsix_irte_pool) <= HDR_SIZE, "pool header too large");

/* Word k of a group: cmap[k] (k < NSMALL) or hid (k == HID). */
#define HID NSMALL
#define GROUP (NSMALL + 1u)

/* Bits at the multiples of 2^o: where aligned blocks of 2^o entries start. */
#define ALIGN1 UINT64_C(0x5555555555555555)
#define ALIGN2 UINT64_C(0x1111111111111111)
#define ALIGN3 UINT64_C(0x0101010101010101)
#define ALIGN4 UINT64_C(0x0001000100010001)
#define ALIGN5 UINT64_C(0x0000000100000001)
#define ALIGN6 UINT64_C(0x0000000000000001)

static uint64_t *pool_words(const struct vmsix_irte_pool *p)
{
    return (uint64_t *)(void *)((unsigned char *)(uintptr_t)p + HDR_SIZE);
}

/* The bitmap words of chunks 64w .. 64w+63: cmap[0..5] then hid. */
static uint64_t *pool_group(const struct vmsix_irte_pool *p, uint32_t w)
{
    return pool_words(p) + 2u * p->nchunks + GROUP * w;
}

static uint8_t *pool_tree(const struct vmsix_irte_pool *p)
{
    return (uint8_t *)(void *)pool_group(p, p->nwords);
}

static void pool_lock(const struct vmsix_irte_pool *p)
{
    if (p->lock)
        p->lock(p->lock_ctx);
}

static void pool_unlock(const struct vmsix_irte_pool *p)
{
    if (p->unlock)
        p->unlock(p->lock_ctx);
}

static bool is_pow2(uint32_t v)
{
    return v != 0 && (v & (v - 1u)) == 0;
}

/* Smallest j with 2^j >= v, for 1 <= v <= 2^31. */
static unsigned ceil_log2(uint32_t v)
{
#if defined(__GNUC__)
    return v <= 1u ? 0u : 32u - (unsigned)__builtin_clz(v - 1u);
#else
    unsigned j = 0;
    while ((UINT32_C(1) << j) < v)
        j++;
    return j;
#endif
}

/* Index of the lowest set bit of v != 0. */
static unsigned ctz64(uint64_t v)
{
#if defined(__GNUC__)
    return (unsigned)__builtin_ctzll(v);
#else
    unsigned i = 0;
    while (!(v & 1u)) {
        v >>= 1;
        i++;
    }
    return i;
#endif
}

/* Bits [from, to) of a word, 0 <= from < to <= 64. */
static uint64_t bit_range(uint32_t from, uint32_t to)
{
    uint64_t m = to - from == 64u ? ~UINT64_C(0) : (UINT64_C(1) << (to - from)) - 1u;
    return m << from;
}

/* From the free mask g of a chunk, the mask of the first entries of its
 * free blocks of 2^j entries aligned to 2^j (0 <= j <= 5). Each step halves
 * the candidates: a block is free when both of its halves are. */
static uint64_t aligned_free(uint64_t g, unsigned j)
{
    if (j > 0)
        g &= (g >> 1) & ALIGN1;
    if (j > 1)
        g &= (g >> 2) & ALIGN2;
    if (j > 2)
        g &= (g >> 4) & ALIGN3;
    if (j > 3)
        g &= (g >> 8) & ALIGN4;
    if (j > 4)
        g &= (g >> 16) & ALIGN5;
    return g;
}

/* Value of a chunk from its free mask g: the largest order with an aligned
 * free block, plus one; 0 when nothing is free. (Padding bits are never
 * free, so a chunk smaller than 64 never shows a block larger than itself.) */
static unsigned chunk_value(uint64_t g)
{
    if (!g)
        return 0;
    if (!(g &= (g >> 1) & ALIGN1))
        return 1;
    if (!(g &= (g >> 2) & ALIGN2))
        return 2;
    if (!(g &= (g >> 4) & ALIGN3))
        return 3;
    if (!(g &= (g >> 8) & ALIGN4))
        return 4;
    if (!(g &= (g >> 16) & ALIGN5))
        return 5;
    if (!(g & (g >> 32) & ALIGN6))
        return 6;
    return 7;
}

static uint64_t chunk_free(const uint64_t *w, uint32_t c)
{
    return ~(w[2u * c] | w[2u * c + 1u]);
}

/* The padding bits of the only chunk of a pool smaller than 64, else 0:
 * the h word of a wholly free chunk. */
static uint64_t chunk_pad(const struct vmsix_irte_pool *p)
{
    return p->corder < CHUNK_ORDER ? ~((UINT64_C(1) << p->nentries) - 1u) : 0;
}

/* Tree byte of a leaf whose chunk has value v. */
static unsigned leaf_value(const struct vmsix_irte_pool *p, unsigned v)
{
    return v == p->corder + 1u ? v : 0;
}

/* Byte of an internal node of order o (not an allocated block) from its
 * children's. A child's byte is at most o, and o exactly when the child is
 * wholly free; when both are, so is the node. */
static uint8_t combine(unsigned l, unsigned r, unsigned o)
{
    return (uint8_t)((l > r ? l : r) + (l + r == 2u * o));
}

/* Node x, of order o, was given byte v: bring its ancestors up to date.
 * (v is carried in a register rather than read back, so that each level
 * loads only the sibling, which does not wait for the previous store.) */
static void set_node(uint8_t *tree, uint32_t x, unsigned o, unsigned v)
{
    tree[x] = (uint8_t)v;
    while (x > 1u) {
        v = combine(v, tree[x ^ 1u], ++o);
        x >>= 1;
        if (tree[x] == v)
            return;
        tree[x] = (uint8_t)v;
    }
}

/* Is node x, of order o, an allocated block (a 0 over a pristine subtree)? */
static bool node_is_block(const struct vmsix_irte_pool *p, uint32_t x, unsigned o)
{
    const uint8_t *tree = pool_tree(p);

    if (tree[x] != 0)
        return false;
    if (o == p->corder) {
        const uint64_t *w = pool_words(p);
        uint32_t c = x - p->nchunks;
        return w[2u * c] == 0 && w[2u * c + 1u] == chunk_pad(p);
    }
    return tree[2u * x] == o;
}

/* Chunk c, not hidden, went from value a to value b: update its cmap bits
 * and the sums (the tree is the caller's business). */
static void chunk_moved(struct vmsix_irte_pool *p, uint32_t c, unsigned a, unsigned b)
{
    uint64_t *g = pool_group(p, c / 64u);
    uint64_t bit = UINT64_C(1) << (c % 64u), wbit = UINT64_C(1) << (c / 64u);
    unsigned k;

    for (k = b; k < a && k < NSMALL; k++) {
        g[k] &= ~bit;
        if (!(g[k] & ~g[HID]))
            p->sum[k] &= ~wbit;
    }
    for (k = a; k < b && k < NSMALL; k++) {
        g[k] |= bit;
        p->sum[k] |= wbit;
    }
}

/* Mark (on) or unmark the nc chunks from c0 (nc a power of two, c0 aligned
 * to it) as inside a large block, and fix the sums they count in: one
 * group per 64 chunks. */
static void hide(struct vmsix_irte_pool *p, uint32_t c0, uint32_t nc, bool on)
{
    uint64_t m = nc >= 64u ? ~UINT64_C(0) : bit_range(c0 % 64u, c0 % 64u + nc);
    uint32_t w, w1 = (c0 + nc + 63u) / 64u;
    unsigned k;

    for (w = c0 / 64u; w < w1; w++) {
        uint64_t *g = pool_group(p, w);

        g[HID] = on ? g[HID] | m : g[HID] & ~m;
        for (k = 0; k < NSMALL; k++) {
            if (g[k] & ~g[HID])
                p->sum[k] |= UINT64_C(1) << w;
            else
                p->sum[k] &= ~(UINT64_C(1) << w);
        }
    }
}

size_t vmsix_irte_pool_storage_size(uint32_t nentries)
{
    size_t m, w;

    if (!is_pow2(nentries) || nentries > VMSIX_IRTE_MAX_ENTRIES)
        return 0;
    m = nentries >> CHUNK_ORDER ? nentries >> CHUNK_ORDER : 1u;
    w = (m + 63u) / 64u;
    return HDR_SIZE + 18u * m + 8u * (NSMALL + 1u) * w;
}

int vmsix_irte_pool_init(void *mem, size_t len, uint32_t nentries, struct vmsix_irte_pool **out)
{
    size_t need = vmsix_irte_pool_storage_size(nentries);
    struct vmsix_irte_pool *p = (struct vmsix_irte_pool *)mem;
    uint8_t *tree;
    uint32_t x, w;
    unsigned order, k;

    if (!mem || !out || need == 0 || len < need || ((uintptr_t)mem % VMSIX_IRTE_POOL_ALIGN))
        return -EINVAL;
    memset(mem, 0, need);
    order = ceil_log2(nentries);
    p->nentries = nentries;
    p->nfree = nentries;
    p->order = (uint8_t)order;
    p->corder = (uint8_t)(order < CHUNK_ORDER ? order : CHUNK_ORDER);
    p->nchunks = nentries >> p->corder;
    p->nwords = (p->nchunks + 63u) / 64u;
    pool_words(p)[1] = chunk_pad(p); /* the bits past the pool look reserved */
    /* every chunk wholly free: value corder + 1, so in cmap[k] for k <= corder */
    for (k = 0; k <= p->corder && k < NSMALL; k++) {
        for (w = 0; w < p->nwords; w++)
            pool_group(p, w)[k] = p->nchunks >= 64u ? ~UINT64_C(0) : bit_range(0, p->nchunks);
        p->sum[k] = bit_range(0, p->nwords);
    }
    /* every node wholly free: its order + 1, the root's order being `order` */
    tree = pool_tree(p);
    for (x = 1; x < 2u * p->nchunks; x++)
        tree[x] = (uint8_t)(order + 1u - ceil_log2(x + 1u) + 1u);
    *out = p;
    return 0;
}

int vmsix_irte_pool_set_lock(struct vmsix_irte_pool *p, vmsix_irte_lock_fn lock,
                             vmsix_irte_lock_fn unlock, void *ctx)
{
    if (!p || !lock != !unlock)
        return -EINVAL;
    p->lock = lock;
    p->unlock = unlock;
    p->lock_ctx = lock ? ctx : NULL;
    return 0;
}

/* Is [b, e) free inside node x (order o, first entry lo)? The range meets
 * the node. */
static bool range_free(const struct vmsix_irte_pool *p, uint32_t x, unsigned o, uint32_t lo,
                       uint32_t b, uint32_t e)
{
    uint8_t v = pool_tree(p)[x];
    uint32_t hi = lo + (UINT32_C(1) << o);
    uint32_t mid;

    if (v == o + 1u)
        return true;
    if ((b <= lo && hi <= e) || node_is_block(p, x, o))
        return false;
    if (o == p->corder) {
        uint64_t m = bit_range((b > lo ? b : lo) - lo, (e < hi ? e : hi) - lo);
        return (chunk_free(pool_words(p), x - p->nchunks) & m) == m;
    }
    mid = lo + (UINT32_C(1) << (o - 1u));
    if (b < mid && !range_free(p, 2u * x, o - 1u, lo, b, e))
        return false;
    return e <= mid || range_free(p, 2u * x + 1u, o - 1u, mid, b, e);
}

/* Reserve [b, e), which is free and meets node x (order o, first entry lo):
 * set the chunk bits, then the bytes on the way back up. */
static void range_mark(struct vmsix_irte_pool *p, uint32_t x, unsigned o, uint32_t lo, uint32_t b,
                       uint32_t e)
{
    uint8_t *tree = pool_tree(p);
    uint32_t hi = lo + (UINT32_C(1) << o);
    uint32_t mid;

    if (o == p->corder) {
        uint64_t *w = pool_words(p);
        uint32_t c = x - p->nchunks;
        unsigned a = chunk_value(chunk_free(w, c)), v;

        w[2u * c + 1u] |= bit_range((b > lo ? b : lo) - lo, (e < hi ? e : hi) - lo);
        v = chunk_value(chunk_free(w, c));
        chunk_moved(p, c, a, v);
        tree[x] = (uint8_t)leaf_value(p, v);
        return;
    }
    mid = lo + (UINT32_C(1) << (o - 1u));
    if (b < mid)
        range_mark(p, 2u * x, o - 1u, lo, b, e);
    if (e > mid)
        range_mark(p, 2u * x + 1u, o - 1u, mid, b, e);
    tree[x] = combine(tree[2u * x], tree[2u * x + 1u], o);
}

int vmsix_irte_reserve(struct vmsix_irte_pool *p, uint32_t base, uint32_t count)
{
    int ret = 0;

    if (!p)
        return -EINVAL;
    pool_lock(p);
    if (count == 0 || base >= p->nentries || count > p->nentries - base)
        ret = -EINVAL;
    else if (!range_free(p, 1, p->order, 0, base, base + count))
        ret = -EBUSY;
    else {
        range_mark(p, 1, p->order, 0, base, base + count);
        p->nfree -= count;
    }
    pool_unlock(p);
    return ret;
}

/* Allocate a block of 2^j entries, j < corder; sum[j] says one exists. */
static uint32_t alloc_small(struct vmsix_irte_pool *p, unsigned j)
{
    uint64_t *w = pool_words(p);
    uint32_t wi = ctz64(p->sum[j]);
    const uint64_t *grp = pool_group(p, wi);
    uint32_t c = 64u * wi + ctz64(grp[j] & ~grp[HID]);
    uint64_t g = chunk_free(w, c);
    unsigned a = chunk_value(g), v;
    unsigned pos = ctz64(aligned_free(g, j));
    uint64_t mask = ((UINT64_C(1) << (1u << j)) - 1u) << pos;

    w[2u * c] |= mask;
    w[2u * c + 1u] |= UINT64_C(1) << pos;
    v = chunk_value(g & ~mask);
    chunk_moved(p, c, a, v);
    if (a == p->corder + 1u) /* no longer wholly free */
        set_node(pool_tree(p), p->nchunks + c, p->corder, 0);
    return (c << CHUNK_ORDER) + pos;
}

/* Allocate a block of 2^j entries, j >= corder; the root says one exists. */
static uint32_t alloc_large(struct vmsix_irte_pool *p, unsigned j)
{
    uint8_t *tree = pool_tree(p);
    unsigned want = j + 1u;
    unsigned o = p->order;
    uint32_t x = 1, base;

    /* leftmost path of nodes holding a wholly free node of order j */
    while (o > j) {
        x <<= 1;
        x += tree[x] < want;
        o--;
    }
    /* x is wholly free: 0 marks it, its subtree stays pristine */
    set_node(tree, x, j, 0);
    base = (x - (UINT32_C(1) << (p->order - j))) << j;
    hide(p, base >> p->corder, UINT32_C(1) << (j - p->corder), true);
    return base;
}

int vmsix_irte_alloc(struct vmsix_irte_pool *p, uint32_t count, uint32_t *base)
{
    int ret = 0;
    unsigned j;

    if (!p)
        return -EINVAL;
    pool_lock(p);
    if (!base || count == 0) {
        ret = -EINVAL;
    } else if (count > p->nentries) {
        ret = -ENOSPC;
    } else {
        j = ceil_log2(count);
        if (j < p->corder ? !p->sum[j] : pool_tree(p)[1] < j + 1u) {
            ret = -ENOSPC;
        } else {
            *base = j < p->corder ? alloc_small(p, j) : alloc_large(p, j);
            p->nfree -= UINT32_C(1) << j;
        }
    }
    pool_unlock(p);
    return ret;
}

/* Free the small block of 2^j entries at base (aligned, inside the pool)
 * if it is one; false changes nothing. */
static bool free_small(struct vmsix_irte_pool *p, uint32_t base, unsigned j)
{
    uint64_t *w = pool_words(p);
    uint32_t c = base >> CHUNK_ORDER;
    unsigned pos = base & 63u, end = pos + (1u << j);
    uint64_t u = w[2u * c], h = w[2u * c + 1u];
    uint64_t head = UINT64_C(1) << pos;
    uint64_t mask = ((UINT64_C(1) << (1u << j)) - 1u) << pos;
    uint64_t body = u & ~h;
    unsigned a, v;

    if (!(u & h & head) || (body & (mask & ~head)) != (mask & ~head))
        return false;
    if (end < 64u && ((body >> end) & 1u)) /* the block is longer */
        return false;
    a = chunk_value(~(u | h));
    w[2u * c] = u & ~mask;
    w[2u * c + 1u] = h & ~head;
    v = chunk_value(chunk_free(w, c));
    chunk_moved(p, c, a, v);
    if (v == p->corder + 1u) /* wholly free again */
        set_node(pool_tree(p), p->nchunks + c, p->corder, v);
    return true;
}

/* Free the large block of 2^j entries at base (aligned, inside the pool)
 * if it is one; false changes nothing. */
static bool free_large(struct vmsix_irte_pool *p, uint32_t base, unsigned j)
{
    uint32_t x = (UINT32_C(1) << (p->order - j)) + (base >> j);

    if (!node_is_block(p, x, j))
        return false;
    set_node(pool_tree(p), x, j, j + 1u);
    hide(p, base >> p->corder, UINT32_C(1) << (j - p->corder), false);
    return true;
}

int vmsix_irte_free(struct vmsix_irte_pool *p, uint32_t base, uint32_t count)
{
    int ret = -EINVAL;
    unsigned j;

    if (!p)
        return -EINVAL;
    pool_lock(p);
    if (count != 0 && count <= p->nentries && base < p->nentries) {
        j = ceil_log2(count);
        /* aligned and inside: a power of two <= nentries divides nentries */
        if (!(base & ((UINT32_C(1) << j) - 1u)) &&
            (j < p->corder ? free_small(p, base, j) : free_large(p, base, j))) {
            p->nfree += UINT32_C(1) << j;
            ret = 0;
        }
    }
    pool_unlock(p);
    return ret;
}

uint32_t vmsix_irte_free_count(const struct vmsix_irte_pool *p)
{
    uint32_t n;

    if (!p)
        return 0;
    pool_lock(p);
    n = p->nfree;
    pool_unlock(p);
    return n;
}

uint32_t vmsix_irte_largest_free(const struct vmsix_irte_pool *p)
{
    uint32_t n = 0;
    unsigned v, k;

    if (!p)
        return 0;
    pool_lock(p);
    v = pool_tree(p)[1];
    if (v) {
        n = UINT32_C(1) << (v - 1u);
    } else {
        for (k = p->corder; k-- > 0 && !n;)
            if (p->sum[k])
                n = UINT32_C(1) << k;
    }
    pool_unlock(p);
    return n;
}
