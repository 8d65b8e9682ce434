"""Like recounts queued and claimed: a dirty set, a flag and claims in the broker's Redis.

Batching: a like adds its article id to the dirty set and sets the flag (SET NX) to the id of a
"flush" task, in one MULTI round trip; only the like that set the flag sends the task. The flush
task deletes the flag and claims the whole set as it *starts* (one script): a like committed
after that queues a new flush, and one committed before it is counted. So a burst of likes on any
number of articles costs one task, one grouped COUNT and one UPDATE.

Claims: the task moves the dirty set into a claim of its own (`...:claim:<task id>`, its time in
the `claims` sorted set) and deletes the claim only after its commit and invalidation. A claim left
by a worker that died (SIGKILL, OOM) is taken over, with its invalidation forced, by the flush the
watcher re-sends for it (`reclaim=[task id]`), or by any flush once it is RECLAIM_SECONDS old. A
retried or redelivered task (same id) finds its own claim again.

Never lost: see recount_watcher.py (the web side's watcher).
"""
import time

import redis
from flask import current_app

from application import redis_clients

PENDING_SECONDS = 60  # a lost flush (broker flushed, web process killed) stops coalescing at most this long
KEEP_SECONDS = 24 * 3600  # dirty sets and claims are drained in seconds; this only bounds leftovers
RECLAIM_SECONDS = 60  # a claim this old is taken over by any flush (its worker died, its web side too)
# A flush is sent with this countdown, so the likes of that window join it. At 40 likes/s without it
# nearly every like sent a task of its own (the last flush had already started): the worker's CPU
# (~12 ms a flush on a 2-core VM) competed with the likes for the cores.
FLUSH_WINDOW_SECONDS = 0.2

# KEYS: flag, dirty set, claims zset. ARGV: claim key prefix, this task's id, now, stale before,
# seconds to keep, task ids to take over. Returns {every claimed id, the ids taken over from other claims}.
_CLAIM = """
redis.call('DEL', KEYS[1])
local mine = ARGV[1] .. ARGV[2]
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('SUNIONSTORE', mine, mine, KEYS[2])
  redis.call('DEL', KEYS[2])
end
local others = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[4])
for i = 6, #ARGV do others[#others + 1] = ARGV[i] end
local taken = {}
for _, task in ipairs(others) do
  if task ~= ARGV[2] then
    local theirs = ARGV[1] .. task
    local members = redis.call('SMEMBERS', theirs)
    if #members > 0 then
      for _, id in ipairs(members) do taken[#taken + 1] = id end
      redis.call('SUNIONSTORE', mine, mine, theirs)
    end
    redis.call('DEL', theirs)
    redis.call('ZREM', KEYS[3], task)
  end
end
if redis.call('EXISTS', mine) == 1 then
  redis.call('EXPIRE', mine, ARGV[5])
  redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
end
return {redis.call('SMEMBERS', mine), taken}
"""


def flush_window(config=None) -> float:
    """Seconds a newly sent flush waits before it runs (LIKE_FLUSH_WINDOW_SECONDS of config, else the app's)."""
    return float((current_app.config if config is None else config).get("LIKE_FLUSH_WINDOW_SECONDS", FLUSH_WINDOW_SECONDS))


def client() -> redis.Redis:
    return redis_clients.app_client(current_app.config, "CELERY_BROKER_URL", "like-pending")


def _prefix() -> str:
    return f"bs:likes:{current_app.config.get('CELERY_TASK_DEFAULT_QUEUE') or 'celery'}:"


def flag_key() -> str:
    """Holds the id of the flush queued and not started yet (coalescing)."""
    return _prefix() + "flush"


def dirty_key() -> str:
    """The ids of articles liked since the last flush claimed them."""
    return _prefix() + "dirty"


def claims_key() -> str:
    return _prefix() + "claims"


def claim_key(task_id: str) -> str:
    return _prefix() + "claim:" + task_id


def mark_dirty(article_ids, task_id: str) -> tuple[bool, str | None]:
    """Add the ids to the dirty set and flag task_id as the flush to come unless one is flagged:
    (whether this call set the flag, the flagged flush's id). One round trip (MULTI)."""
    pipe = client().pipeline(transaction=True)
    pipe.sadd(dirty_key(), *article_ids).expire(dirty_key(), KEEP_SECONDS)
    pipe.set(flag_key(), task_id, nx=True, ex=PENDING_SECONDS).get(flag_key())
    _, _, flagged, waiting = pipe.execute()
    return bool(flagged), waiting.decode() if waiting else None


def add_dirty(article_ids, task_id: str) -> None:
    """Add the ids and flag task_id (about to be sent), whatever was flagged before."""
    pipe = client().pipeline(transaction=True)
    if article_ids:
        pipe.sadd(dirty_key(), *article_ids).expire(dirty_key(), KEEP_SECONDS)
    pipe.set(flag_key(), task_id, ex=PENDING_SECONDS).execute()


def clear_flag() -> None:
    client().delete(flag_key())


def claim(task_id: str, reclaim=()) -> tuple[list[int], set[int]]:
    """For a starting flush: drop the flag, take the dirty set (and claims left by dead workers) into
    this task's claim. (every id claimed, sorted; the ids taken over, whose invalidation is owed)."""
    now = time.time()
    stale = now - current_app.config.get("LIKE_BATCH_RECLAIM_SECONDS", RECLAIM_SECONDS)
    ids, taken = client().eval(_CLAIM, 3, flag_key(), dirty_key(), claims_key(), _prefix() + "claim:",
                               task_id, now, stale, KEEP_SECONDS, *reclaim)
    return sorted({int(i) for i in ids}), {int(i) for i in taken}


def release(task_id: str) -> None:
    """The flush stored and cleared everything it claimed: its claim is done."""
    pipe = client().pipeline(transaction=False)
    pipe.delete(claim_key(task_id)).zrem(claims_key(), task_id).execute()
