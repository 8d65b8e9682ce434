"""SQLite connection settings for concurrent web + worker processes.

WAL lets readers run while one writer commits, and synchronous=NORMAL makes a
commit an append instead of an fsync of the whole journal: a like POST costs
well under a millisecond of disk. Under gevent a writer waiting on SQLite's
lock blocks the whole worker, so commits must be short. Foreign keys are
enforced (ON DELETE CASCADE), as on PostgreSQL. No effect on other databases.
"""
from sqlalchemy import event
from sqlalchemy.engine import Engine

_installed = False


def _on_connect(dbapi_connection, connection_record):
    module = type(dbapi_connection).__module__
    if not module.startswith(("sqlite3", "pysqlite")):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    # SQLite ignores foreign keys unless asked: without this, deleting an article left its likes
    # and comments behind, and a reused id inherited them. PostgreSQL enforces them already.
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def install() -> None:
    """Apply the pragmas to every new SQLite connection (idempotent)."""
    global _installed
    if not _installed:
        event.listen(Engine, "connect", _on_connect)
        _installed = True
