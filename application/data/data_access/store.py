"""The guarded cache: leases and generations, so no stale set survives, and one flight per key.

Every cached read and every whole page goes through `read()`; every invalidation through
`revoke()` and `bump()` (called only by invalidate.py). The protocol is the lease of
"Scaling Memcache at Facebook" (NSDI 2013), with generation numbers for groups:

- An entry `c:<key>` holds a pickled (generations, value, expiry time) triple. A read is one
  MGET of the entry and the generations `g:<group>` of its groups; an entry made under other
  generations is a miss. `None` is a value (an absent slug or username), kept only ABSENT_SECONDS.
- On a miss the reader takes the lease `l:<key>` (redis-py's Lock: SET NX PX with a random
  token) *before* it reads the database. The lease holder computes; everyone else polls the
  entry (single flight), and computes unguarded only after WAIT_SECONDS.
- Invalidation deletes the entry and its lease (the token is revoked) or INCRs a generation.
- The holder stores with SET_IF_LEASED: only if its token still holds the lease and the
  generations are the ones it read before its query. A revoked set is dropped; the lease is
  released by its owner only (compare-and-delete).

In front of Redis, each web process keeps a small LRU (local_tier.py, CACHE_LOCAL_MAX_BYTES),
filled from what Redis answered and kept honest by pub/sub: revoke() and bump() publish the
keys and groups they clear in the same pipeline as the DEL/INCR (one round trip), and every
subscribed process drops them. A process not subscribed right now serves from Redis.

Batching: `with store.batch():` collects the revokes and bumps of every invalidate.py call
inside it and sends them, with one publish, in one pipeline when the block ends (also when it
raises: the commits before it happened). Each invalidate.py function is one batch; a caller
that invalidates several things in a row (a batched recount) wraps the loop in one more:

    with store.batch():
        for article in recounted:
            invalidate.like_count_changed(...)   # nothing sent yet
    # one round trip: every DEL, INCR and the PUBLISH

Only call it after the commits it invalidates for: the entries are deleted when it ends.

So a reader that read the database before a writer's commit can never store what it read
after that writer's invalidation. This relies on each read statement seeing the latest commit
(READ COMMITTED on PostgreSQL; on SQLite, reads outside an explicit transaction): a reader
whose transaction snapshot were older than its lease could still store an old row. When Redis is down (or the app runs on the NullCache)
every read computes, as before.
"""
import pickle
import secrets
import time
from contextvars import ContextVar

from redis.exceptions import LockError

from contextlib import contextmanager

from application import request_stats
from application.extensions import cache

from ..cache_backend import ResilientRedisCache, invalidation_channel
from . import local_tier

LEASE_SECONDS = 10  # longer than any computation; a crashed holder blocks a key at most this long
WAIT_SECONDS = 3.0
POLL_SECONDS = 0.005
ABSENT_SECONDS = 15  # "no such slug/username": short, and revoked when the name comes to exist

# KEYS: entry, lease, generation keys. ARGV: token, payload, ttl ms, then the expected generations.
SET_IF_LEASED = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
for i = 3, #KEYS do
  if (redis.call('GET', KEYS[i]) or '0') ~= ARGV[i + 1] then
    redis.call('DEL', KEYS[2])
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('DEL', KEYS[2])
return 1
"""

class Brief:
    """Returned by a compute function: store this value for ABSENT_SECONDS only (e.g. a 404 page)."""

    def __init__(self, value):
        self.value = value


# Outcomes of guarded sets in this process, for tests and the README's figures.
stats = {"stored": 0, "dropped": 0}
_held: ContextVar[dict | None] = ContextVar("bs_leases_held", default=None)
_batch: ContextVar[tuple[dict, dict] | None] = ContextVar("bs_invalidation_batch", default=None)
_scripts: dict = {}


def backend() -> ResilientRedisCache | None:
    """The Redis backend if caching is on and Redis answers, else None."""
    found = getattr(cache, "cache", None)
    if isinstance(found, ResilientRedisCache) and found.available():
        return found
    return None


def _names(b, key: str, groups) -> tuple[str, str, list[str]]:
    p = b.prefix
    return f"{p}c:{key}", f"{p}l:{key}", [f"{p}g:{g}" for g in groups]


def _generations(raw) -> tuple:
    return tuple(int(g) if g is not None else 0 for g in raw)


def _valid(raw_entry, gens: tuple):
    """(True, value) if the entry was made under these generations, else (False, None)."""
    if raw_entry is None:
        return False, None
    found = pickle.loads(raw_entry)
    return (True, found[1]) if found[0] == gens else (False, None)


def peek(key: str, groups=(), b=None):
    """(hit, value) without computing: the local tier, else one MGET."""
    hit, value, _ = _peek(key, groups, b, shared=False)
    return hit, value


def peek_shared(key: str, groups=(), b=None):
    """(hit, value, local entry or None): for the page middleware, which passes its backend and never
    changes the value (a local hit hands out the one decoded copy kept with the entry)."""
    return _peek(key, groups, b, shared=True)


def _peek(key, groups, b, shared: bool):
    b = b if b is not None else backend()
    if not isinstance(b, ResilientRedisCache) or not b.available():
        return False, None, None
    started = time.perf_counter()
    groups = tuple(groups)
    tier = local_tier.of(b)
    found, token = tier.lookup(key, groups) if tier is not None else (None, None)
    if found is not None:
        request_stats.record_cache(True, (time.perf_counter() - started) * 1000)
        return True, (found.shared_value() if shared else found.value()), found
    entry, lease, gen_keys = _names(b, key, groups)
    raw = b.run(None, b.client.mget, [entry, *gen_keys])
    hit, value = _valid(raw[0], _generations(raw[1:])) if raw else (False, None)
    request_stats.record_cache(hit, (time.perf_counter() - started) * 1000)
    filled = tier.fill(key, groups, raw[0], token) if hit and token is not None else None
    return hit, value, filled


class Lease:
    """A held lease on one key; store() sets the entry only if the lease was not revoked."""

    def __init__(self, b, key: str, groups, gens: tuple, lock, token: str):
        self.b, self.key, self.groups, self.gens, self.lock = b, key, tuple(groups), gens, lock
        self.token, self.done = token, False

    def store(self, value, timeout: int) -> bool:
        entry, lease, gen_keys = _names(self.b, self.key, self.groups)
        if isinstance(value, Brief):
            value, timeout = value.value, ABSENT_SECONDS
        ttl_ms = int((ABSENT_SECONDS if value is None else timeout) * 1000)
        # The expiry travels with the value: a local copy must not outlive the Redis entry.
        payload = pickle.dumps((self.gens, value, time.time() + ttl_ms / 1000), protocol=pickle.HIGHEST_PROTOCOL)
        script = _script(self.b.client)
        ok = self.b.run(0, script, keys=[entry, lease, *gen_keys],
                        args=[self.token, payload, ttl_ms, *self.gens])
        stats["stored" if ok else "dropped"] += 1
        self.done = True  # the script deleted the lease (or it was revoked)
        self.payload = payload if ok else None
        return bool(ok)

    def release(self) -> None:
        """Give the lease back if still ours (compare-and-delete); a revoked lease is left alone."""
        if not self.done:
            self.b.run(None, _release, self.lock)


def _script(client):
    """The guarded-set script, registered once per client (redis-py then runs it by EVALSHA)."""
    found = _scripts.get(id(client))
    if found is None or found.registered_client is not client:
        found = _scripts[id(client)] = client.register_script(SET_IF_LEASED)
    return found


def _release(lock) -> None:
    try:
        lock.release()
    except LockError:  # revoked by an invalidation meanwhile: not ours to delete
        pass


def take_lease(key: str, groups=(), gens: tuple | None = None) -> Lease | None:
    """Try once to take the lease on key (None if someone holds it or Redis is away)."""
    b = backend()
    if b is None:
        return None
    entry, lease_name, gen_keys = _names(b, key, groups)
    if gens is None:
        gens = _generations(b.run([None] * len(gen_keys), b.client.mget, gen_keys)) if gen_keys else ()
    lock = b.client.lock(lease_name, timeout=LEASE_SECONDS, blocking=False, thread_local=False)
    token = secrets.token_hex(8)
    if not b.run(False, lock.acquire, token=token):
        return None
    return Lease(b, key, groups, gens, lock, token)


def read(key: str, compute, groups=(), timeout: int = 300):
    """The cached value of key, else compute() once across all callers and store it if still valid."""
    b = backend()
    if b is None:
        return _unwrap(compute())
    groups = tuple(groups)
    tier = local_tier.of(b)
    if tier is not None:
        started = time.perf_counter()
        found, token = tier.lookup(key, groups)  # token: taken before the Redis read below
        if found is not None:
            request_stats.record_cache(True, (time.perf_counter() - started) * 1000)
            return found.value()
    else:
        token = None
    entry, lease_name, gen_keys = _names(b, key, groups)
    deadline = None
    counted = False
    while True:
        started = time.perf_counter()
        raw = b.run(None, b.client.mget, [entry, *gen_keys])
        if raw is None:  # Redis failed just now: the breaker is open
            return _unwrap(compute())
        gens = _generations(raw[1:])
        hit, value = _valid(raw[0], gens)
        if not counted:
            request_stats.record_cache(hit, (time.perf_counter() - started) * 1000)
            counted = True
        if hit:
            if token is not None:
                tier.fill(key, groups, raw[0], token)
            return value
        lease = take_lease(key, groups, gens)
        if lease is not None:
            try:
                # The previous holder may have stored and let go between our MGET and our lease.
                raw = b.run(None, b.client.mget, [entry, *gen_keys]) or [None] * (1 + len(gen_keys))
                hit, value = _valid(raw[0], gens)
                if hit:
                    return value
                value = compute()
                if lease.store(value, timeout) and token is not None:
                    tier.fill(key, groups, lease.payload, token)
                return _unwrap(value)
            finally:
                lease.release()
        deadline = deadline or time.monotonic() + WAIT_SECONDS
        if time.monotonic() >= deadline:
            return _unwrap(compute())  # the holder is too slow: answer, but do not store
        time.sleep(POLL_SECONDS)


def _unwrap(value):
    return value.value if isinstance(value, Brief) else value


def revoke(*keys: str) -> None:
    """Delete entries and their leases: a set by a reader who took the lease before is dropped."""
    pending = _batch.get()
    if pending is not None:
        pending[0].update(dict.fromkeys(keys))
    else:
        _send(keys, ())


def bump(*groups: str) -> None:
    """New generation for each group: every entry made under the old one becomes a miss."""
    pending = _batch.get()
    if pending is not None:
        pending[1].update(dict.fromkeys(groups))
    else:
        _send((), groups)


@contextmanager
def batch():
    """Collect revoke()/bump() calls and send them in one pipeline at the end (see the module doc).
    Nested batches join the outermost one."""
    if _batch.get() is not None:
        yield
        return
    pending: tuple[dict, dict] = ({}, {})  # dicts: ordered and without repeats
    reset = _batch.set(pending)
    try:
        yield
    finally:
        _batch.reset(reset)
        _send(tuple(pending[0]), tuple(pending[1]))


def _send(keys, groups) -> None:
    """DEL the entries and leases, INCR the groups and publish both to the local tiers: one round trip."""
    b = getattr(cache, "cache", None)
    if not isinstance(b, ResilientRedisCache) or not (keys or groups):
        return
    keys, groups = tuple(dict.fromkeys(keys)), tuple(dict.fromkeys(groups))
    p = b.prefix
    pipe = b.client.pipeline(transaction=False)
    if keys:
        pipe.delete(*(n for k in keys for n in (f"{p}c:{k}", f"{p}l:{k}")))
    for g in groups:
        pipe.incr(f"{p}g:{g}")
    pipe.publish(invalidation_channel(p), local_tier.message(keys, groups))
    b.run(None, pipe.execute, invalidation=True)
    tier = local_tier.of(b)
    if tier is not None:  # this process at once: its next read must not wait for the message
        tier.apply(keys, groups)


# -- short-lived per-user notes (not cache entries: nothing reads them as data) ---------------
def note(key: str, seconds: int) -> None:
    """Remember that something happened (e.g. this user just liked) for a while."""
    b = backend()
    if b is not None:
        b.run(None, b.client.set, f"{b.prefix}n:{key}", b"1", ex=seconds)


def noted(key: str) -> bool:
    """Whether note(key) was made recently; True when Redis cannot say (the caller then does the safe thing)."""
    b = backend()
    if b is None:
        return True
    return bool(b.run(1, b.client.exists, f"{b.prefix}n:{key}"))


# -- leases held across two calls (the template fragment cache's get, then set) -----------
def remember(key: str, lease: Lease) -> None:
    held = _held.get()
    if held is None:
        held = {}
        _held.set(held)
    held[key] = lease


def forget(key: str) -> Lease | None:
    held = _held.get()
    return held.pop(key, None) if held else None
