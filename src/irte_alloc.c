/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A pool of interrupt-remapping table indexes in naturally aligned
 * power-of-two blocks (DESIGN 2).
 *
 * The pool is three levels of 64-bit words; every level is searched with a
 * count of trailing zeros and kept up to date with a few word operations.
 *
 * Level 0, entries. The entries are cut into chunks of 64 (or one chunk of
 * all entries when the pool is smaller). Each chunk keeps 2 bits per entry
 * in two words, a and b:
 *
 *     a b
 *     0 0  free
 *     0 1  a small allocated block of one entry
 *     1 0  an entry of a larger small block, but its last
 *     1 1  the last entry of a larger small block, or reserved (also the
 *          padding bits of a pool smaller than 64)
 *
 * A block of one entry is thus one bit of b, and a larger one is a run of
 * "1 0" closed by "1 1" that does not follow a "1 0". The free mask of a
 * chunk is ~(a | b).
 *
 * The "value" of a word (word_value()) is the largest j such that it has an
 * aligned run of 2^j set bits, plus one (0 for no bit). The value of a
 * chunk is that of its free mask: the order of its largest aligned free
 * block plus one, from 0 (nothing free) to corder + 1 (wholly free,
 * "whole"; corder is the order of a chunk, 6 unless the pool is smaller).
 *
 * Level 1, chunks. For each order k = 0 .. corder, a bitmap over the chunks,
 * cmap[k]: bit c is set when chunk c has value > k and is not inside a
 * large block. So cmap[k] for k < corder holds the chunks with an aligned
 * free block of 2^k entries, and cmap[corder] the whole chunks. A word of a
 * cmap covers 64 chunks, a "group".
 *
 * Level 2, groups (at most 16). For each small order j < corder, ssum[j]
 * has bit w set when word w of cmap[j] is not 0. For i = 0..6, lsum[i] has
 * bit w set when word w of cmap[corder] has an aligned run of 2^i set bits
 * (whole chunks), that is when its value is > i. So ssum[j] names the
 * groups with a free aligned block of 2^j entries, and lsum[i] those with
 * one of 2^(corder + i). Blocks of several groups are aligned runs of set
 * bits of lsum[6].
 *
 * Small blocks (less than a chunk) are recorded in the entry bits. A large
 * block (a chunk or more) leaves the entry bits of its chunks as they were,
 * wholly free, clears their bits in every cmap[k], and is recorded by one
 * byte at its first chunk, lead[c] = order - corder + 1. A chunk is inside
 * a large block exactly when its entry bits are all free but its bit in
 * cmap[corder] is clear. Reservations are always recorded in the entry
 * bits, which keeps them apart from blocks.
 *
 * Search. The lowest free block of 2^j entries (j < corder) is in the group
 * ctz(ssum[j]), in its chunk ctz(word of cmap[j]), and there at the lowest
 * aligned run of 2^j bits of the free mask (aligned_runs(): one add, for
 * any j). For j = corder + i, i <= 6, the group is ctz(lsum[i]) and the
 * chunk the lowest aligned run of 2^i bits of its cmap[corder] word; beyond
 * that the groups are the lowest aligned run of 2^(i - 6) bits of lsum[6].
 *
 * Updates. When a chunk's value moves from a to b, only the cmap words of
 * the orders between a and b change, one bit each, and a summary bit only
 * when such a word becomes or stops being 0. Only when a chunk stops or
 * starts being whole does a word of cmap[corder] change, and then only the
 * bits of lsum between that word's old and new values. A small block of
 * 2^j entries mostly changes nothing above its chunk. When its buddy (the
 * other half of the aligned 2^(j+1) entries around it) is not free, it is
 * part of no larger free block, before an alloc or after a free; then the
 * value changes only if the block is the chunk's one free block of 2^j
 * (after an alloc: from j + 1 to that of the rest; before a free: from that
 * of the rest to j + 1), which the aligned runs of the free mask tell.
 * Otherwise both values are computed (at most six shift-and folds, stopping
 * at the first empty one), except for a whole chunk, which has value corder
 * once a small block is taken from it.
 *
 * Cost. So an alloc or a free is a bounded number of word operations with
 * no loop over the pool: each level is searched with a count of trailing
 * zeros, and a change touches at most one bit per block size at each level.
 * A large block of a whole group or more (4096 entries or more) also sets
 * or clears the seven cmap words of each of its groups (at most 16 groups).
 *
 * Fast paths. alloc and free of one entry without lock hooks run in the
 * exported functions, in a few dozen instructions with no call unless a
 * chunk changes availability at an order above 0; everything else (hooks,
 * other sizes, refusals, large blocks) goes through out-of-line functions.
 *
 * Storage. With M = max(nentries / 64, 1) chunks and W = ceil(M / 64)
 * groups, vmsix_irte_pool_storage_size() = 96 + 18 * M + 56 * W bytes: the
 * 96-byte header (HDR_SIZE); the words a and b of each chunk, 2 bits per
 * entry (16 bytes per chunk); cmap[], the seven words of each group lying
 * together, 64 bytes apart (GROUP_WORDS), 56 * W + 8 * (W - 1) bytes, at
 * most 1016; lead[], one byte per chunk; and M - 8 * (W - 1) bytes left
 * unused (kept 0).
 */
#include <string.h>

#include <vmsix/irte_alloc.h>

#include "bits.h"
#include "irte_alloc_priv.h"
#include "vmsix_errno.h"

#define HDR_SIZE 96u   /* bytes of the header, before the chunk words */
#define CHUNK_ORDER 6u /* 64 entries per chunk */
#define NCMAP 7u       /* bitmaps over the chunks: cmap[0 .. corder] */
#define NRUNS 7u       /* runs of whole chunks in a group: 2^0 .. 2^6 */
#define GROUP_WORDS 8u /* from one group's cmap words to the next's */

#define POOL_MAGIC 0x69727470u /* "irtp": set last by a successful vmsix_irte_pool_init() */

#if defined(__GNUC__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#define NOINLINE __attribute__((noinline))
#define LIKELY(x) __builtin_expect(!!(x), 1)
#else
#define ALWAYS_INLINE inline
#define NOINLINE
#define LIKELY(x) (x)
#endif

struct vmsix_irte_pool {
    uint32_t magic; /* POOL_MAGIC; first, so that nothing else is read before it */
    vmsix_irte_lock_fn lock;
    vmsix_irte_lock_fn unlock;
    void *lock_ctx;
    uint32_t nentries;          /* 2^order */
    uint32_t nfree;             /* entries neither allocated nor reserved */
    uint32_t nchunks;           /* M: chunks, max(nentries / 64, 1) */
    uint32_t lead_off;          /* byte offset of lead[] */
    uint32_t nsmall;            /* counts 1 .. nsmall are small: 2^corder / 2 */
    uint32_t cmap_off;          /* byte offset of cmap[] */
    uint32_t ssum[CHUNK_ORDER]; /* j < corder: bit w: word w of cmap[j] is not 0 */
    uint16_t lsum[NRUNS];       /* bit w: word w of cmap[corder] has value > i */
    uint8_t order;              /* log2(nentries) */
    uint8_t corder;             /* log2 of the entries of one chunk: min(order, 6) */
    /* followed, at HDR_SIZE, by
     *   uint64_t words[2 * M]   a, b of each chunk
     *   uint64_t cmap[W][8]     for each group, cmap[k] for k <= corder (the
     *                           rest stays 0); the last group has 7 words
     *   uint8_t  lead[M]        first chunk of a large block of 2^j entries:
     *                           j - corder + 1; else 0
     *   uint8_t  spare[]        0, to the end of the storage */
};

_Static_assert(sizeof(struct vmsix_irte_pool) <= HDR_SIZE, "pool header too large");

/* Bits at the multiples of 2^o: where aligned runs of 2^o bits start. */
static const uint64_t align_bits[7] = {
    ~UINT64_C(0),
    UINT64_C(0x5555555555555555),
    UINT64_C(0x1111111111111111),
    UINT64_C(0x0101010101010101),
    UINT64_C(0x0001000100010001),
    UINT64_C(0x0000000100000001),
    UINT64_C(0x0000000000000001),
};

/* @p came from a successful vmsix_irte_pool_init() (expected: keeps the
 * refusal out of the fast paths). */
static ALWAYS_INLINE bool pool_ok(const struct vmsix_irte_pool *p)
{
    return LIKELY(p && p->magic == POOL_MAGIC);
}

bool vmsix_irte_pool_valid(const struct vmsix_irte_pool *p)
{
    return pool_ok(p);
}

static ALWAYS_INLINE uint64_t *chunk_words(const struct vmsix_irte_pool *p, uint32_t c)
{
    return (uint64_t *)(void *)((unsigned char *)(uintptr_t)p + HDR_SIZE) + 2u * c;
}

/* Word w of cmap[k]: the words of a group are next to each other. */
static ALWAYS_INLINE uint64_t *cmap_word(const struct vmsix_irte_pool *p, unsigned k, uint32_t w)
{
    return (uint64_t *)(void *)((unsigned char *)(uintptr_t)p + p->cmap_off) +
           (GROUP_WORDS * w + k);
}

static uint8_t *pool_lead(const struct vmsix_irte_pool *p)
{
    return (uint8_t *)(uintptr_t)p + p->lead_off;
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

/* Index of the lowest set bit of v != 0. */
static ALWAYS_INLINE unsigned ctz64(uint64_t v)
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

/* The first bits of the aligned runs of 2^j set bits of g (0 <= j <= 6):
 * of a free mask, where its aligned free blocks of 2^j entries start. For
 * j > 0, g is cut into fields of 2^j bits; adding a field's low bits to
 * themselves carries into its top bit exactly when the field of ~g is not
 * 0 (the classic test for a zero byte, for any field width). */
static ALWAYS_INLINE uint64_t aligned_runs(uint64_t g, unsigned j)
{
    uint64_t top, low, v;

    if (!j)
        return g;
    if (j > 6) /* (never: blocks in a chunk are at most 64; says so to the compiler) */
        return 0;
    top = align_bits[j] << ((1u << j) - 1u); /* the top bit of each field */
    low = ~top;
    v = ~g;
    return (~(((v & low) + low) | v) & top) >> ((1u << j) - 1u);
}

/* Value of a word g: the largest j with an aligned run of 2^j set bits,
 * plus one; 0 when g is 0. Of a free mask: the order of the largest aligned
 * free block, plus one (padding bits are never free, so a chunk smaller
 * than 64 never shows a block larger than itself). Each step halves the
 * candidates: a run is whole when both of its halves are. */
static unsigned word_value(uint64_t g)
{
    if (!g)
        return 0;
    if (!(g &= (g >> 1) & align_bits[1]))
        return 1;
    if (!(g &= (g >> 2) & align_bits[2]))
        return 2;
    if (!(g &= (g >> 4) & align_bits[3]))
        return 3;
    if (!(g &= (g >> 8) & align_bits[4]))
        return 4;
    if (!(g &= (g >> 16) & align_bits[5]))
        return 5;
    if (!(g & (g >> 32) & align_bits[6]))
        return 6;
    return 7;
}

/* The padding bits of the only chunk of a pool smaller than 64, else 0:
 * the a and b words of a wholly free chunk. */
static uint64_t chunk_pad(const struct vmsix_irte_pool *p)
{
    return p->corder < CHUNK_ORDER ? ~((UINT64_C(1) << p->nentries) - 1u) : 0;
}

/* Value of a chunk with free mask f. */
static unsigned chunk_value(const struct vmsix_irte_pool *p, uint64_t f)
{
    return f == ~chunk_pad(p) ? p->corder + 1u : word_value(f);
}

/* Word w of cmap[corder] went from value a to value b: set or clear bit w
 * of lsum[] in between. */
static void runs_moved(struct vmsix_irte_pool *p, uint32_t w, unsigned a, unsigned b)
{
    unsigned wbit = 1u << w;

    for (; b < a; b++)
        p->lsum[b] = (uint16_t)(p->lsum[b] & ~wbit);
    for (; a < b; a++)
        p->lsum[a] = (uint16_t)(p->lsum[a] | wbit);
}

/* Chunk c stopped being whole (and is not inside a large block). Returns
 * 0. */
static NOINLINE int group_lost(struct vmsix_irte_pool *p, uint32_t c)
{
    uint64_t *cm = cmap_word(p, p->corder, c / 64u);
    uint64_t g = *cm, bit = UINT64_C(1) << (c % 64u);

    *cm = g & ~bit;
    if (g == ~UINT64_C(0)) /* a full word loses one bit: a run of 32 is left */
        runs_moved(p, c / 64u, CHUNK_ORDER + 1u, CHUNK_ORDER);
    else
        runs_moved(p, c / 64u, word_value(g), word_value(g & ~bit));
    return 0;
}

/* Chunk c became whole (and is not inside a large block). Returns 0. */
static NOINLINE int group_gained(struct vmsix_irte_pool *p, uint32_t c)
{
    uint64_t *cm = cmap_word(p, p->corder, c / 64u);
    uint64_t g = *cm, bit = UINT64_C(1) << (c % 64u);

    *cm = g | bit;
    if ((g | bit) == ~UINT64_C(0)) /* one bit fills the word */
        runs_moved(p, c / 64u, CHUNK_ORDER, CHUNK_ORDER + 1u);
    else
        runs_moved(p, c / 64u, word_value(g), word_value(g | bit));
    return 0;
}

/* Chunk c, not inside a large block, went from value a to value b < a:
 * clear its bits in cmap[b .. a-1] and bring the summaries up to date.
 * Returns 0. */
static NOINLINE int chunk_lost(struct vmsix_irte_pool *p, uint32_t c, unsigned a, unsigned b)
{
    unsigned co = p->corder, top = a < co ? a : co, wbit = 1u << (c / 64u);
    uint64_t bit = UINT64_C(1) << (c % 64u), *g = cmap_word(p, 0, c / 64u);

    for (; b < top; b++)
        if (!(g[b] &= ~bit))
            p->ssum[b] &= ~wbit;
    return a > co ? group_lost(p, c) : 0;
}

/* Chunk c, not inside a large block, went from value a to value b > a:
 * set its bits in cmap[a .. b-1] and bring the summaries up to date.
 * Returns 0. */
static NOINLINE int chunk_gained(struct vmsix_irte_pool *p, uint32_t c, unsigned a, unsigned b)
{
    unsigned co = p->corder, top = b < co ? b : co, wbit = 1u << (c / 64u);
    uint64_t bit = UINT64_C(1) << (c % 64u), *g = cmap_word(p, 0, c / 64u);

    for (; a < top; a++) {
        g[a] |= bit;
        p->ssum[a] |= wbit;
    }
    return b > co ? group_gained(p, c) : 0;
}

/* A small block was taken from or given back to chunk c, whose free mask
 * went from f to f2: bring its value up to date. Returns 0. */
static NOINLINE int chunk_moved(struct vmsix_irte_pool *p, uint32_t c, uint64_t f, uint64_t f2)
{
    uint64_t whole = ~chunk_pad(p);
    unsigned a, b;

    if (f == whole) /* taken from a whole chunk: the other half is left */
        return group_lost(p, c);
    if (f2 == whole) /* given back to the half that was missing */
        return group_gained(p, c);
    a = word_value(f);
    b = word_value(f2);
    if (b < a)
        return chunk_lost(p, c, a, b);
    return a < b ? chunk_gained(p, c, a, b) : 0;
}

/* The free mask of chunk c. */
static uint64_t chunk_free(const struct vmsix_irte_pool *p, uint32_t c)
{
    const uint64_t *cw = chunk_words(p, c);

    return ~(cw[0] | cw[1]);
}

/* The entries of the small block of 2^j entries at pool index x, in its
 * chunk's words. */
static uint64_t block_mask(uint32_t x, unsigned j)
{
    return ((UINT64_C(1) << (1u << j)) - 1u) << (x & 63u);
}

/* The block of 2^j entries at x was the only free block of 2^j of its
 * chunk, and has been taken: the chunk's value goes from j + 1 to that of
 * what is left. Returns 0. */
static NOINLINE int small_lost(struct vmsix_irte_pool *p, uint32_t x, unsigned j)
{
    return chunk_lost(p, x >> CHUNK_ORDER, j + 1u, word_value(chunk_free(p, x >> CHUNK_ORDER)));
}

/* The block of 2^j entries at x has been given back to a chunk that had no
 * free block of 2^j: its value goes from that of the rest to j + 1.
 * Returns 0. */
static NOINLINE int small_gained(struct vmsix_irte_pool *p, uint32_t x, unsigned j)
{
    uint64_t f = chunk_free(p, x >> CHUNK_ORDER) & ~block_mask(x, j);

    return chunk_gained(p, x >> CHUNK_ORDER, word_value(f), j + 1u);
}

/* The block of 2^j entries at x has been taken (take) or given back, and
 * its buddy is free. Returns 0. */
static NOINLINE int small_moved(struct vmsix_irte_pool *p, uint32_t x, unsigned j, bool take)
{
    uint64_t f2 = chunk_free(p, x >> CHUNK_ORDER), m = block_mask(x, j);

    return chunk_moved(p, x >> CHUNK_ORDER, take ? f2 | m : f2 & ~m, f2);
}

/* Is chunk c inside a large block? (Its entries all look free, but it is
 * not whole.) */
static bool chunk_in_block(const struct vmsix_irte_pool *p, uint32_t c)
{
    const uint64_t *cw = chunk_words(p, c);

    return cw[0] == chunk_pad(p) && cw[1] == chunk_pad(p) &&
           !((*cmap_word(p, p->corder, c / 64u) >> (c % 64u)) & 1u);
}

/* Value of a word of cmap[corder] (a full one is common). */
static unsigned group_value(uint64_t g)
{
    return g == ~UINT64_C(0) ? CHUNK_ORDER + 1u : word_value(g);
}

/* Take (take) or give back the nc whole chunks from c0 (nc a power of two,
 * c0 aligned to it) as one large block: their bits in every cmap[k] and the
 * summaries. Within one group this is one mask per order; a block of whole
 * groups (nc >= 64, so corder is 6) empties or fills each of its groups and
 * their bits in every summary. The chunks' entry bits stay those of whole
 * chunks. */
static void chunks_move(struct vmsix_irte_pool *p, uint32_t c0, uint32_t nc, bool take)
{
    unsigned co = p->corder, k;
    uint32_t w = c0 / 64u;
    uint64_t *g = cmap_word(p, 0, w);

    if (nc < 64u) {
        uint64_t m = bit_range(c0 % 64u, c0 % 64u + nc), old = g[co];
        uint32_t wbit = UINT32_C(1) << w;

        if (take) {
            for (k = 0; k < co; k++)
                if (!(g[k] &= ~m))
                    p->ssum[k] &= ~wbit;
            g[co] = old & ~m;
        } else {
            for (k = 0; k < co; k++) {
                g[k] |= m;
                p->ssum[k] |= wbit;
            }
            g[co] = old | m;
        }
        runs_moved(p, w, group_value(old), group_value(g[co]));
    } else {
        uint32_t nw = nc / 64u, gm = (uint32_t)bit_range(w, w + nw);
        uint64_t fill = take ? 0 : ~UINT64_C(0);

        for (; nw; nw--, g += GROUP_WORDS)
            for (k = 0; k < NCMAP; k++)
                g[k] = fill;
        if (take) {
            for (k = 0; k < CHUNK_ORDER; k++)
                p->ssum[k] &= ~gm;
            for (k = 0; k < NRUNS; k++)
                p->lsum[k] = (uint16_t)(p->lsum[k] & ~gm);
        } else {
            for (k = 0; k < CHUNK_ORDER; k++)
                p->ssum[k] |= gm;
            for (k = 0; k < NRUNS; k++)
                p->lsum[k] = (uint16_t)(p->lsum[k] | gm);
        }
    }
}

size_t vmsix_irte_pool_storage_size(uint32_t nentries)
{
    size_t m, w;

    if (!vmsix_is_pow2(nentries) || nentries > VMSIX_IRTE_MAX_ENTRIES)
        return 0;
    m = nentries >> CHUNK_ORDER ? nentries >> CHUNK_ORDER : 1u;
    w = (m + 63u) / 64u;
    return HDR_SIZE + 18u * m + 8u * NCMAP * w;
}

int vmsix_irte_pool_init(void *mem, size_t len, uint32_t nentries, struct vmsix_irte_pool **out)
{
    size_t need = vmsix_irte_pool_storage_size(nentries);
    struct vmsix_irte_pool *p = (struct vmsix_irte_pool *)mem;
    uint32_t w, nwords;
    unsigned order, k;
    uint64_t g;

    if (!mem || !out || need == 0 || len < need || ((uintptr_t)mem % VMSIX_IRTE_POOL_ALIGN))
        return -EINVAL;
    memset(mem, 0, need);
    order = vmsix_log2_ceil(nentries);
    p->nentries = nentries;
    p->nfree = nentries;
    p->order = (uint8_t)order;
    p->corder = (uint8_t)(order < CHUNK_ORDER ? order : CHUNK_ORDER);
    p->nchunks = nentries >> p->corder;
    p->nsmall = (UINT32_C(1) << p->corder) / 2u;
    nwords = (p->nchunks + 63u) / 64u;
    p->cmap_off = HDR_SIZE + 16u * p->nchunks;
    /* the last group needs NCMAP words only; the 64 * (W - 1) spare bytes
     * that M >= 64 * (W - 1) leaves hold the others' extra words */
    p->lead_off = p->cmap_off + 8u * (GROUP_WORDS * (nwords - 1u) + NCMAP);
    /* the bits past the pool look reserved */
    chunk_words(p, 0)[0] = chunk_pad(p);
    chunk_words(p, 0)[1] = chunk_pad(p);
    /* every chunk whole: in cmap[k] for every k <= corder */
    g = p->nchunks >= 64u ? ~UINT64_C(0) : bit_range(0, p->nchunks);
    for (w = 0; w < nwords; w++) {
        for (k = 0; k <= p->corder; k++)
            *cmap_word(p, k, w) = g;
        for (k = 0; k < p->corder; k++)
            p->ssum[k] |= UINT32_C(1) << w;
        runs_moved(p, w, 0, word_value(g));
    }
    p->magic = POOL_MAGIC;
    *out = p;
    return 0;
}

int vmsix_irte_pool_set_lock(struct vmsix_irte_pool *p, vmsix_irte_lock_fn lock,
                             vmsix_irte_lock_fn unlock, void *ctx)
{
    if (!pool_ok(p) || !lock != !unlock)
        return -EINVAL;
    p->lock = lock;
    p->unlock = unlock;
    p->lock_ctx = lock ? ctx : NULL;
    return 0;
}

/* Bits of the chunk with first entry lo that [b, e) covers. */
static uint64_t chunk_range(uint32_t lo, uint32_t b, uint32_t e)
{
    return bit_range((b > lo ? b : lo) - lo, (e < lo + 64u ? e : lo + 64u) - lo);
}

/* Is [b, e) free? It lies inside the pool and is not empty. */
static bool range_free(const struct vmsix_irte_pool *p, uint32_t b, uint32_t e)
{
    unsigned co = p->corder;
    uint32_t c, c1 = (e - 1u) >> co;

    for (c = b >> co; c <= c1; c++) {
        const uint64_t *cw = chunk_words(p, c);
        uint64_t m = chunk_range(c << co, b, e);
        if ((~(cw[0] | cw[1]) & m) != m || chunk_in_block(p, c))
            return false;
    }
    return true;
}

/* Reserve [b, e), which is free: set the entry bits, chunk by chunk. */
static void range_mark(struct vmsix_irte_pool *p, uint32_t b, uint32_t e)
{
    unsigned co = p->corder;
    uint32_t c, c1 = (e - 1u) >> co;

    for (c = b >> co; c <= c1; c++) {
        uint64_t *cw = chunk_words(p, c), m = chunk_range(c << co, b, e);
        unsigned a = chunk_value(p, ~(cw[0] | cw[1])), v;

        cw[0] |= m;
        cw[1] |= m;
        v = chunk_value(p, ~(cw[0] | cw[1]));
        if (v < a)
            chunk_lost(p, c, a, v);
    }
}

int vmsix_irte_reserve(struct vmsix_irte_pool *p, uint32_t base, uint32_t count)
{
    int ret = 0;

    if (!pool_ok(p))
        return -EINVAL;
    pool_lock(p);
    if (count == 0 || base >= p->nentries || count > p->nentries - base)
        ret = -EINVAL;
    else if (!range_free(p, base, base + count))
        ret = -EBUSY;
    else {
        range_mark(p, base, base + count);
        p->nfree -= count;
    }
    pool_unlock(p);
    return ret;
}

/* Allocate one entry, corder > 0 and ssum[0] not 0: the lowest free entry
 * of the lowest chunk that has one. */
static ALWAYS_INLINE int alloc_one(struct vmsix_irte_pool *p, uint32_t *base)
{
    uint32_t w = ctz64(p->ssum[0]);
    uint64_t *cm = cmap_word(p, 0, w);
    uint32_t c = 64u * w + ctz64(*cm);
    uint64_t *cw = chunk_words(p, c);
    uint64_t busy = cw[0] | cw[1];
    uint32_t pos = ctz64(busy + 1u); /* the lowest 0 bit */
    uint32_t x = c * 64u + pos;

    cw[1] |= UINT64_C(1) << pos; /* a block of one entry: 0 1 */
    busy |= UINT64_C(1) << pos;
    p->nfree--;
    *base = x;
    if (busy == ~UINT64_C(0)) {
        /* its last free entry: value 1 to 0 (its bit is the lowest of its
         * cmap[0] word, and so is the word's bit in ssum[0]) */
        if (!(*cm &= *cm - 1u))
            p->ssum[0] &= p->ssum[0] - 1u;
        return 0;
    }
    if ((busy >> (pos ^ 1u)) & 1u)
        return 0; /* the buddy is not free: nothing larger was broken */
    if (!(busy & (busy - 1u)))
        return group_lost(p, x >> CHUNK_ORDER); /* it was whole (and 64 entries) */
    return small_moved(p, x, 0, true);
}

/* Allocate 2^j entries, 0 < j < corder, when ssum[j] says some chunk has
 * them: the lowest aligned free block of the lowest such chunk. */
static ALWAYS_INLINE int alloc_small(struct vmsix_irte_pool *p, unsigned j, uint32_t *base)
{
    uint32_t w = ctz64(p->ssum[j]), size = 1u << j;
    uint32_t c = 64u * w + ctz64(*cmap_word(p, j, w));
    uint64_t *cw = chunk_words(p, c);
    uint64_t runs = aligned_runs(~(cw[0] | cw[1]), j);
    uint32_t pos = ctz64(runs), x = c * 64u + pos;

    cw[0] |= ((UINT64_C(1) << size) - 1u) << pos; /* 1 0 ... 1 0 */
    cw[1] |= UINT64_C(1) << (pos + size - 1u);    /* 1 1 */
    p->nfree -= size;
    *base = x;
    runs &= runs - 1u; /* the chunk's other free blocks of 2^j */
    if (!runs)         /* it had just this one, so nothing larger: value j + 1 */
        return small_lost(p, x, j);
    if (!((runs >> (pos ^ size)) & 1u))
        return 0; /* the buddy is not free: nothing larger was broken */
    return small_moved(p, x, j, true);
}

/* Allocate a block of 2^j entries, j >= corder: the lowest aligned run of
 * 2^(j - corder) whole chunks. */
static NOINLINE int alloc_large(struct vmsix_irte_pool *p, unsigned j, uint32_t *base)
{
    unsigned co = p->corder, i = j - co;
    uint32_t c0;

    if (i < NRUNS) {
        uint32_t w;

        if (!p->lsum[i])
            return -ENOSPC;
        w = ctz64(p->lsum[i]);
        c0 = 64u * w + ctz64(aligned_runs(*cmap_word(p, co, w), i));
    } else {
        uint64_t runs = aligned_runs(p->lsum[NRUNS - 1u], i - (NRUNS - 1u));

        if (!runs)
            return -ENOSPC;
        c0 = 64u * ctz64(runs);
    }
    chunks_move(p, c0, UINT32_C(1) << i, true);
    pool_lead(p)[c0] = (uint8_t)(i + 1u);
    p->nfree -= UINT32_C(1) << j;
    *base = c0 << co;
    return 0;
}

/* alloc without the hooks, every case. */
static NOINLINE int alloc_any(struct vmsix_irte_pool *p, uint32_t count, uint32_t *base)
{
    unsigned j;

    if (LIKELY(count - 1u < p->nsmall && base)) { /* small: j < corder */
        j = vmsix_log2_ceil(count);
        if (!p->ssum[j])
            return -ENOSPC;
        return j ? alloc_small(p, j, base) : alloc_one(p, base);
    }
    if (!base || count == 0)
        return -EINVAL;
    if (count > p->nentries)
        return -ENOSPC;
    return alloc_large(p, vmsix_log2_ceil(count), base);
}

static NOINLINE int alloc_locked(struct vmsix_irte_pool *p, uint32_t count, uint32_t *base)
{
    int ret;

    pool_lock(p);
    ret = alloc_any(p, count, base);
    pool_unlock(p);
    return ret;
}

int vmsix_irte_alloc(struct vmsix_irte_pool *p, uint32_t count, uint32_t *base)
{
    if (!pool_ok(p))
        return -EINVAL;
    if (p->lock)
        return alloc_locked(p, count, base);
    /* the fast path: one entry (ssum[0] is 0 when one entry is a chunk) */
    if (LIKELY(count == 1u && base && p->ssum[0]))
        return alloc_one(p, base);
    return alloc_any(p, count, base);
}

/* Free the small block of 2^j entries (j < corder) at base (inside the
 * pool) if it is one; -EINVAL changes nothing. */
static ALWAYS_INLINE int free_small(struct vmsix_irte_pool *p, uint32_t base, unsigned j)
{
    uint32_t pos = base & 63u, size = 1u << j;
    uint64_t *cw = chunk_words(p, base >> CHUNK_ORDER);
    uint64_t a = cw[0], b = cw[1], f = ~(a | b);
    uint64_t ones = (UINT64_C(1) << size) - 1u;

    if (base & (size - 1u))
        return -EINVAL;
    if (!j) {
        if (!(((b & ~a) >> pos) & 1u)) /* 0 1 */
            return -EINVAL;
        cw[1] = b ^ (UINT64_C(1) << pos);
    } else {
        /* From pos - 1 (nothing when pos is 0): no 1 0, then size - 1 of
         * them, then no 1 0 again. A run of 1 0 is always closed by the 1 1
         * of its own block, so this is that block, exactly. */
        if (((((a & ~b) << 1) >> pos) & (2u * ones + 1u)) != ones - 1u)
            return -EINVAL;
        cw[0] = a & ~(ones << pos);
        cw[1] = b ^ (UINT64_C(1) << (pos + size - 1u));
    }
    p->nfree += size;
    if (((f >> (pos ^ size)) & ones) == ones)
        return small_moved(p, base, j, false); /* the buddy is free */
    /* it joins nothing larger; when the chunk had no free block of 2^j,
     * its value goes to j + 1 */
    return aligned_runs(f, j) ? 0 : small_gained(p, base, j);
}

/* Free the large block of 2^j entries at base (aligned, inside the pool)
 * if it is one; -EINVAL changes nothing. */
static NOINLINE int free_large(struct vmsix_irte_pool *p, uint32_t base, unsigned j)
{
    unsigned co = p->corder, i = j - co;
    uint32_t c0 = base >> co;
    uint8_t *lead = pool_lead(p);

    if ((base & ((UINT32_C(1) << j) - 1u)) || lead[c0] != i + 1u)
        return -EINVAL;
    lead[c0] = 0;
    chunks_move(p, c0, UINT32_C(1) << i, false);
    p->nfree += UINT32_C(1) << j;
    return 0;
}

/* free without the hooks, every case. */
static NOINLINE int free_any(struct vmsix_irte_pool *p, uint32_t base, uint32_t count)
{
    if (LIKELY(count - 1u < p->nsmall && base < p->nentries)) /* small */
        return free_small(p, base, vmsix_log2_ceil(count));
    if (count == 0 || count > p->nentries || base >= p->nentries)
        return -EINVAL;
    /* (a power of two <= nentries divides nentries: aligned means inside) */
    return free_large(p, base, vmsix_log2_ceil(count));
}

/* free_small() for one entry, with the same result; anything but a valid
 * free of a small block of one entry is left to free_any(). */
static ALWAYS_INLINE int free_one(struct vmsix_irte_pool *p, uint32_t base)
{
    uint32_t c = base >> CHUNK_ORDER, pos = base & 63u;
    uint64_t *cw = chunk_words(p, c);
    uint64_t a = cw[0], b = cw[1], busy = a | b;

    if (!(((b & ~a) >> pos) & 1u)) /* a block of one entry: 0 1 */
        return free_any(p, base, 1);
    cw[1] = b & ~(UINT64_C(1) << pos);
    p->nfree++;
    if (busy == ~UINT64_C(0)) {
        /* it had no free entry: value 0 to 1 */
        *cmap_word(p, 0, c / 64u) |= UINT64_C(1) << (c % 64u);
        p->ssum[0] |= UINT32_C(1) << (c / 64u);
        return 0;
    }
    if ((busy >> (pos ^ 1u)) & 1u)
        return 0; /* the buddy is not free: it joins nothing larger */
    if (!(busy & (busy - 1u)))
        return group_gained(p, c); /* whole again (and 64 entries) */
    return small_moved(p, base, 0, false);
}

static NOINLINE int free_locked(struct vmsix_irte_pool *p, uint32_t base, uint32_t count)
{
    int ret;

    pool_lock(p);
    ret = free_any(p, base, count);
    pool_unlock(p);
    return ret;
}

int vmsix_irte_free(struct vmsix_irte_pool *p, uint32_t base, uint32_t count)
{
    if (!pool_ok(p))
        return -EINVAL;
    if (p->lock)
        return free_locked(p, base, count);
    /* the fast path: one entry */
    if (LIKELY(count == 1u && base < p->nentries))
        return free_one(p, base);
    return free_any(p, base, count);
}

uint32_t vmsix_irte_free_count(const struct vmsix_irte_pool *p)
{
    uint32_t n;

    if (!pool_ok(p))
        return 0;
    pool_lock(p);
    n = p->nfree;
    pool_unlock(p);
    return n;
}

uint32_t vmsix_irte_largest_free(const struct vmsix_irte_pool *p)
{
    uint32_t n = 0;
    unsigned k;

    if (!pool_ok(p))
        return 0;
    pool_lock(p);
    if (p->lsum[NRUNS - 1u]) { /* whole groups, maybe aligned runs of them */
        n = UINT32_C(1) << (p->corder + NRUNS - 1u) << (word_value(p->lsum[NRUNS - 1u]) - 1u);
    } else {
        for (k = NRUNS - 1u; k-- > 0 && !n;)
            if (p->lsum[k])
                n = UINT32_C(1) << (p->corder + k);
        for (k = p->corder; k-- > 0 && !n;)
            if (p->ssum[k])
                n = UINT32_C(1) << k;
    }
    pool_unlock(p);
    return n;
}
