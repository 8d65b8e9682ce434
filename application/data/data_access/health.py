"""Liveness checks for /healthz: the database and each Redis role."""
import redis
from sqlalchemy import text

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
        client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except redis.RedisError:
        return False
