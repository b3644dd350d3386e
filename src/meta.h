/* meta: a small generic cache of metadata fetched from the API, keyed by
 * strings ("types/<acct>", "inst/<acct>/<iid>"...), with single flight, a TTL
 * chosen per lookup and an error TTL.
 *
 * Contract:
 *  - Values are reference-counted and immutable once stored: a caller holding
 *    a reference reads them without any lock; bw_meta_put() drops it.
 *  - Locking: meta->lock guards the table, every entry and every refcount.
 *    It is NEVER held across a fetch: bw_meta_get() marks the entry
 *    "fetching", drops the lock, calls fetch, re-takes the lock to store and
 *    broadcasts meta->cond. Threads wanting an entry being fetched wait on
 *    meta->cond (one request however many readers). Fetches must be bounded
 *    (http's timeouts), so waiters always wake. Takes no other lock but log's.
 *  - A failed fetch (negative errno) is remembered for min(ttl, error_ttl).
 *  - Entries older than the largest TTL are swept when the table grows past
 *    BW_META_SWEEP entries (never one being fetched or waited on).
 */
#ifndef BW_META_H
#define BW_META_H

#define BW_META_SWEEP 4096

struct bw_meta;

/* Embed first in every cached value. refs is guarded by meta->lock. */
struct bw_meta_val {
    int refs;
    void (*destroy)(struct bw_meta_val *v); /* frees the whole value */
};

/* Produce a value (refs may be left 0). Called without any meta lock held.
 * 0 with *out set, or a negative errno. */
typedef int (*bw_meta_fetch_fn)(void *arg, struct bw_meta_val **out);

/* error_ttl_ms and max_ttl_ms (for sweeping) >= 1. clock_ms: monotonic ms, or NULL. */
int bw_meta_new(long long error_ttl_ms, long long max_ttl_ms, long long (*clock_ms)(void),
                struct bw_meta **out);
void bw_meta_free(struct bw_meta *m);

/* The value under key if it was fetched less than ttl_ms ago, else fetch it
 * (single flight). On 0, *out holds a reference and *age_ms (if not NULL) how
 * old it is. Otherwise the fetch's negative errno (possibly remembered). */
int bw_meta_get(struct bw_meta *m, const char *key, long long ttl_ms, bw_meta_fetch_fn fetch,
                void *arg, struct bw_meta_val **out, long long *age_ms);

/* The value under key, however old, without fetching: 0 with a reference and
 * its age, or -ENOENT when there is none (or the last fetch failed). */
int bw_meta_peek(struct bw_meta *m, const char *key, struct bw_meta_val **out, long long *age_ms);

/* Forget key (the next get fetches). A fetch in flight still stores its result. */
void bw_meta_drop(struct bw_meta *m, const char *key);

/* Take one more reference / release one (NULL is ignored). */
void bw_meta_ref(struct bw_meta *m, struct bw_meta_val *v);
void bw_meta_put(struct bw_meta *m, struct bw_meta_val *v);

long long bw_meta_now(struct bw_meta *m);

#endif
