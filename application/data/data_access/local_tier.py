"""An in-process tier in front of Redis: a small LRU per worker, bounded in bytes, kept honest by pub/sub.

store.py consults it before its Redis MGET (store.read, store.peek) and fills it from what Redis
answered; it never holds anything Redis would not serve:

- Every invalidation (revoke() and bump() in store.py, called only by invalidate.py) publishes the revoked keys
  and bumped groups on `<CACHE_KEY_PREFIX>invalidations`, in the same pipeline as its DEL/INCR.
  A subscriber (one background greenlet or thread per process) applies them here: revoked keys
  are dropped, bumped groups get a new local generation (entries made under the old one miss).
  The writer's own process applies them at once as well (read-your-writes within a worker).
- Before answering from the tier, a lookup applies any message already received on the
  subscriber's socket (one non-blocking poll), so an invalidation Redis has sent before the
  request arrived is never missed because the subscriber had not run yet.
- The race: a filler reads Redis, an invalidation is published, then the filler inserts. Every
  applied message (and every drop) advances `epoch`; a filler takes `epoch` *before* its Redis
  read and inserts only if it has not moved. A message that arrives later finds the entry and
  removes it. So an entry can only be older than a message that has not been published yet.
- Not subscribed (starting, Redis away, connection dropped and re-made, or no answer to the
  heartbeat PING for HEARTBEAT_DEAD seconds): the whole tier is dropped and every read goes to
  Redis until the subscription is confirmed again (a message may have been missed meanwhile).
- An entry expires when its Redis entry would (the payload carries its expiry time).
- Bounded in bytes (CACHE_LOCAL_MAX_BYTES; 0 turns it off): key + Redis payload + derived
  variants (a page's identity/br/gzip bodies) + a fixed overhead; least recently used goes first.

Only web processes start the subscriber (the page middleware does, on its first request); Celery
workers and the CLI never do, so they only publish. A process forked from one that started it
starts afresh.
"""
import json
import logging
import os
import pickle
import select
import threading
import time
import weakref
from collections import OrderedDict

import redis
from redis.connection import Connection, parse_url

from ..cache_backend import DROP_ALL, invalidation_channel

log = logging.getLogger(__name__)

ENTRY_OVERHEAD = 256  # bytes counted per entry for the objects around the payload
HEARTBEAT = 1.0  # PING the subscription after this long without a message
HEARTBEAT_STALE = 5.0  # no word from Redis for this long: serve from Redis, not the tier
HEARTBEAT_DEAD = 10.0  # and after this long: reconnect (the tier is dropped)
RETRY_SECONDS = 0.5

try:  # a zero-timeout poll must be a plain syscall, never a gevent switch
    from gevent.monkey import get_original
    _poll = get_original("select", "select")
except ImportError:  # pragma: no cover - gevent is a dependency
    _poll = select.select

_tiers: "weakref.WeakSet[LocalTier]" = weakref.WeakSet()


class Entry:
    """One cached payload, the local generations it was made under, and its derived variants."""

    __slots__ = ("key", "groups", "gens", "raw", "expires", "size", "shared", "variants", "tier")

    def __init__(self, tier, key, groups, gens, raw, expires):
        self.tier, self.key, self.groups, self.gens, self.raw, self.expires = tier, key, groups, gens, raw, expires
        self.size = ENTRY_OVERHEAD + len(key) + len(raw)
        self.shared, self.variants = None, {}

    def value(self):
        """A fresh copy of the value (callers may change what they get, as with a Redis hit)."""
        return pickle.loads(self.raw)[1]

    def shared_value(self):
        """One decoded copy kept with the entry: for readers that never change it (the page middleware)."""
        if self.shared is None:
            self.shared = pickle.loads(self.raw)[1]
            self.tier._grow(self, len(self.raw))  # about what the decoded copy weighs
        return self.shared

    def variant(self, name: str, make) -> bytes:
        """Bytes derived from the value (a page body per encoding), made once and counted in the bound."""
        data = self.variants.get(name)
        if data is None:
            data = self.variants[name] = make()
            self.tier._grow(self, len(data))
        return data


class LocalTier:
    def __init__(self, url: str, prefix: str, max_bytes: int):
        self.url, self.prefix, self.max_bytes = url, prefix, max_bytes
        self.channel = invalidation_channel(prefix)
        self.entries: OrderedDict[str, Entry] = OrderedDict()
        self.size = 0
        self.gens: dict[str, int] = {}
        self.epoch = 0
        self.live = False
        self.heard = 0.0
        self.stats = {"hits": 0, "fills": 0, "refused": 0, "evicted": 0, "drops": 0, "messages": 0}
        self.lock = threading.Lock()  # the entries
        self.io_lock = threading.Lock()  # the subscriber connection
        self.conn: Connection | None = None
        self.fd = -1
        self.pid = None
        self.stopped = False
        self.failing = False  # log a lost subscription once, not every retry
        _tiers.add(self)

    # -- lookups and fills (store.py) ----------------------------------------------------
    def lookup(self, key: str, groups: tuple):
        """(entry or None, token): token is the epoch to pass to fill(), None when the tier may not be used."""
        self._apply_pending()
        if not self.live or time.monotonic() - self.heard > HEARTBEAT_STALE:
            return None, None
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None:
                if entry.groups == groups and entry.gens == self._gens(groups) and time.time() < entry.expires:
                    self.entries.move_to_end(key)
                    self.stats["hits"] += 1
                    return entry, self.epoch
                self._remove(entry)
            return None, self.epoch

    def fill(self, key: str, groups: tuple, raw: bytes, token) -> Entry | None:
        """Keep Redis's payload for key, unless a message was applied since token was taken."""
        if token is None:
            return None
        try:
            expires = pickle.loads(raw)[2]
        except (IndexError, TypeError, pickle.UnpicklingError):
            return None  # an entry written before payloads carried their expiry
        with self.lock:
            if token != self.epoch or not self.live:
                self.stats["refused"] += 1
                return None
            old = self.entries.get(key)
            if old is not None:
                self._remove(old)
            entry = Entry(self, key, groups, self._gens(groups), raw, expires)
            if entry.size > self.max_bytes:
                return None
            self.entries[key] = entry
            self.size += entry.size
            self._evict()
            self.stats["fills"] += 1
            return entry

    def _gens(self, groups) -> tuple:
        return tuple(self.gens.get(g, 0) for g in groups)

    def _grow(self, entry: Entry, extra: int) -> None:
        with self.lock:
            entry.size += extra
            if self.entries.get(entry.key) is entry:
                self.size += extra
                self._evict()

    def _remove(self, entry: Entry) -> None:
        if self.entries.get(entry.key) is entry:
            del self.entries[entry.key]
            self.size -= entry.size

    def _evict(self) -> None:
        while self.size > self.max_bytes and self.entries:
            _, dropped = self.entries.popitem(last=False)
            self.size -= dropped.size
            self.stats["evicted"] += 1

    # -- invalidation -------------------------------------------------------------------
    def apply(self, keys=(), groups=(), everything: bool = False) -> None:
        """Drop revoked keys, start new generations for bumped groups (or drop all); moves the epoch."""
        with self.lock:
            self.epoch += 1
            if everything:
                self._clear()
                return
            for key in keys:
                entry = self.entries.get(key)
                if entry is not None:
                    self._remove(entry)
            for g in groups:
                self.gens[g] = self.gens.get(g, 0) + 1

    def drop(self) -> None:
        """Forget everything and stop serving until subscribed again (a message may have been missed)."""
        with self.lock:
            self.live = False
            self.epoch += 1
            self.stats["drops"] += 1
            self._clear()

    def _clear(self) -> None:
        self.entries.clear()
        self.size = 0
        self.gens.clear()

    def _on_message(self, reply) -> None:
        self.heard = time.monotonic()
        kind = reply[0]
        if kind == b"message":
            self.stats["messages"] += 1
            try:
                data = json.loads(reply[2])
            except ValueError:
                data = {"all": True}  # unreadable: assume the worst
            self.apply(data.get("r", ()), data.get("b", ()), bool(data.get("all")))
        elif kind == b"subscribe":
            self.failing = False
            with self.lock:
                self.epoch += 1
                self._clear()  # a second confirmation would mean a re-subscription: start afresh
                self.live = True
        # b"pong": only a sign of life

    # -- the subscription ---------------------------------------------------------------
    def start(self) -> None:
        """Subscribe from this process (idempotent; a forked child starts its own); web processes only."""
        if self.pid == os.getpid() or self.max_bytes <= 0:
            return
        self.pid, self.stopped = os.getpid(), False
        self.live, self.conn, self.fd = False, None, -1
        self._clear()
        thread = threading.Thread(target=_run, args=(weakref.ref(self),), name="bs-local-tier", daemon=True)
        thread.start()

    def stop(self) -> None:
        self.stopped = True
        self.drop()

    def _connect(self) -> None:
        kwargs = parse_url(self.url)
        kwargs.update(socket_timeout=2.0, socket_connect_timeout=1.0, protocol=2,
                      client_name=f"bs-tier-{os.getpid()}", retry=None)
        conn = Connection(**kwargs)
        conn.connect()
        conn.send_command("SUBSCRIBE", self.channel)
        self.conn, self.fd, self.heard = conn, conn._sock.fileno(), time.monotonic()

    def _disconnect(self) -> None:
        conn, self.conn, self.fd = self.conn, None, -1
        if conn is not None:
            conn.disconnect()

    def _apply_pending(self) -> None:
        """Apply what the subscriber's socket already holds (the request must not outrun the subscriber)."""
        fd = self.fd
        if fd < 0 or not self.live:
            return
        try:
            if not _poll([fd], [], [], 0)[0]:
                return
        except (OSError, ValueError):
            pass  # closed meanwhile: _drain finds out
        self._drain()

    def _drain(self) -> None:
        with self.io_lock:
            try:
                conn = self.conn
                if conn is None:
                    return  # already lost: the subscriber reconnects
                while conn._sock is not None and conn.can_read(timeout=0):
                    self._on_message(conn.read_response())
                if conn._sock is None:
                    raise redis.ConnectionError("subscription closed")
            except (redis.RedisError, OSError, ValueError) as exc:
                if self.live:
                    log.warning("local tier: subscription lost (%s); serving from Redis", exc)
                self.drop()
                self._disconnect()

    def _tick(self) -> None:
        """One turn of the subscriber: wait for a message, apply it, keep the connection checked."""
        if self.conn is None:
            self._connect()
        try:
            readable = select.select([self.fd], [], [], HEARTBEAT)[0]
        except (OSError, ValueError):
            readable = True
        if readable:
            self._drain()
        quiet = time.monotonic() - self.heard
        if self.conn is not None and quiet > HEARTBEAT_DEAD:
            log.warning("local tier: no answer from Redis for %.0f s; reconnecting", quiet)
            self.drop()
            with self.io_lock:
                self._disconnect()
        elif self.conn is not None and quiet > HEARTBEAT:
            with self.io_lock:
                if self.conn is not None:
                    self.conn.send_command("PING")


def _run(ref) -> None:
    """The subscriber loop; ends when its tier is stopped, garbage, or this is not its process."""
    pid = os.getpid()
    while True:
        tier = ref()
        if tier is None or tier.stopped or tier.pid != pid:
            if tier is not None and tier.pid == pid:
                with tier.io_lock:
                    tier._disconnect()
            return
        try:
            tier._tick()
        except Exception as exc:  # noqa: BLE001 - whatever it was, the loop must go on, tier dropped
            tier.drop()
            with tier.io_lock:
                tier._disconnect()
            if not tier.failing:
                log.warning("local tier: cannot subscribe (%s); serving from Redis, retrying", exc)
            tier.failing = True
            del tier
            time.sleep(RETRY_SECONDS)


def _after_fork() -> None:
    for tier in list(_tiers):
        tier.pid, tier.live, tier.conn, tier.fd = None, False, None, -1
        tier._clear()


os.register_at_fork(after_in_child=_after_fork)


def message(keys=(), groups=(), everything: bool = False) -> bytes:
    """The pub/sub payload of one invalidation."""
    if everything:
        return DROP_ALL
    return json.dumps({"r": list(keys), "b": list(groups)}, separators=(",", ":")).encode()


def of(backend):
    """The tier in front of this cache backend, or None (off, or not a Redis cache)."""
    return getattr(backend, "tier", None)


def init_app(app, backend) -> None:
    """Put a tier in front of the app's Redis cache (not started: see LocalTier.start)."""
    max_bytes = int(app.config.get("CACHE_LOCAL_MAX_BYTES") or 0)
    if backend is None or max_bytes <= 0 or not hasattr(backend, "prefix"):
        return
    backend.tier = LocalTier(app.config["CACHE_REDIS_URL"], backend.prefix, max_bytes)
