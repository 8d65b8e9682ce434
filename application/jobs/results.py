"""Purging old Celery task results from the Redis result backend."""
import json
from datetime import datetime, timedelta, timezone

RESULT_PREFIX = "celery-task-meta-"


def _done_at(raw: bytes | None) -> datetime | None:
    try:
        value = json.loads(raw)["date_done"]
        done = datetime.fromisoformat(value)
    except (TypeError, ValueError, KeyError):
        return None
    return done if done.tzinfo else done.replace(tzinfo=timezone.utc)


def purge_task_results(client, max_age_seconds: int, match: str = RESULT_PREFIX + "*") -> dict:
    """Delete results done more than max_age ago; give a TTL to those that have none (idempotent).

    Redis results normally expire on their own (result_expires); this catches results written
    without a TTL (older settings, manual stores) so the results DB cannot grow forever.
    """
    cutoff = datetime.now(timezone.utc) - timedelta(seconds=max_age_seconds)
    deleted = given_ttl = 0
    for key in client.scan_iter(match=match, count=500):
        if client.ttl(key) != -1:  # has a TTL (or is already gone): Redis will purge it
            continue
        done = _done_at(client.get(key))
        if done is None or done < cutoff:
            deleted += client.delete(key)
        else:
            remaining = max(1, int((done - cutoff).total_seconds()))
            given_ttl += bool(client.expire(key, remaining))
    return {"deleted": deleted, "expiring": given_ttl}
