"""Connection settings: SQLite for concurrent web + worker processes, PostgreSQL's planner costs.

WAL lets readers run while one writer commits, and synchronous=NORMAL makes a
commit an append instead of an fsync of the whole journal: a like POST costs
well under a millisecond of disk. Under gevent a writer waiting on SQLite's
lock blocks the whole worker, so commits must be short. Foreign keys are
enforced (ON DELETE CASCADE), as on PostgreSQL.

PostgreSQL: random_page_cost for the app's sessions (POSTGRES_RANDOM_PAGE_COST, 1.1 unless set;
empty keeps the server's). The server default, 4, prices a random read as on a spinning disk; with
it the planner joined the authors of a listing page by walking the whole user primary key in order
(a merge join: 4.7 ms at 100k users, growing with them) instead of one index probe per author
(0.8 ms at any size): the uncached API list fell to 0.84x its 1k rate at 1M articles. 1.1 is the
usual value for SSD or a data set that fits in memory.
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


def tune_postgres(engine, random_page_cost: str | None) -> None:
    """Set random_page_cost on each new connection of this engine, if it is PostgreSQL and a value is given."""
    if engine.dialect.name != "postgresql" or not random_page_cost:
        return
    cost = float(random_page_cost)  # a typo fails at start-up, not in a query
    if not 0 < cost < float("inf"):  # also refuses "nan", which compares false to everything
        raise ValueError(f"POSTGRES_RANDOM_PAGE_COST must be positive, not {random_page_cost!r}")

    def on_connect(dbapi_connection, connection_record):
        cursor = dbapi_connection.cursor()
        # set_config (not SET: no bind parameters there), session-wide, committed so the pool's
        # rollback on check-in does not undo it.
        cursor.execute("SELECT set_config('random_page_cost', %s, false)", (str(cost),))
        cursor.close()
        dbapi_connection.commit()

    event.listen(engine, "connect", on_connect)


def install() -> None:
    """Apply the pragmas to every new SQLite connection (idempotent)."""
    global _installed
    if not _installed:
        event.listen(Engine, "connect", _on_connect)
        _installed = True
