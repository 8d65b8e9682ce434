"""Liveness checks for /healthz: the database and each Redis role."""
import redis
from sqlalchemy import text

from application import redis_clients
from application.extensions import db


def check_database() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:  # any driver error means "down" for a health probe
        db.session.rollback()
        return False


def check_redis(url: str) -> bool:
    try:
        return bool(redis_clients.client_for(url, "health", max_connections=4).ping())
    except redis.RedisError:
        return False
