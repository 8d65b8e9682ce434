"""Bulk loading for the seed: streamed batches, COPY on PostgreSQL, executemany on SQLite.

Rows go through the session's own DBAPI connection, so everything the seed writes is
one transaction (a failure leaves the database as it was). Secondary indexes of the
big tables are dropped before loading and rebuilt after it: building an index from
sorted data is several times faster than updating it row by row (2M likes on SQLite:
~60 s with the indexes in place, ~10 s with a rebuild).
"""
import queue
import re
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from itertools import islice

from sqlalchemy import text

from .seed_search import register_tsvector

DAY = 86400


class Timestamps:
    """Epoch seconds -> 'YYYY-MM-DD HH:MM:SS.000000', the text SQLAlchemy stores on SQLite (PostgreSQL parses it too).

    strftime costs ~1 µs; two table look-ups cost a tenth of that, which matters for 2M likes.
    """

    def __init__(self):
        self.day_text: dict[int, str] = {}
        self.clock = [f"{h:02d}:{m:02d}:{s:02d}.000000" for h in range(24) for m in range(60) for s in range(60)]

    def day(self, day: int) -> str:
        """'YYYY-MM-DD ' of a day number since the epoch (cached)."""
        text = self.day_text.get(day)
        if text is None:
            text = self.day_text[day] = datetime.fromtimestamp(day * DAY, timezone.utc).strftime("%Y-%m-%d ")
        return text

    def __call__(self, seconds: int) -> str:
        day, rest = divmod(seconds, DAY)
        return (self.day_text.get(day) or self.day(day)) + self.clock[rest]


class Loader:
    """Writes row tuples into tables inside the session's current transaction."""

    def __init__(self, session):
        connection = session.connection()
        self.session = session
        self.postgres = connection.dialect.name == "postgresql"
        self.raw = connection.connection.driver_connection
        self.stayed_in_wal = False

    def load(self, table: str, columns: tuple[str, ...], rows, progress=lambda n: None, batch: int = 20_000,
             types: tuple | None = None) -> int:
        """Insert every tuple of `rows` (an iterable, consumed in batches); returns how many.

        `types` (PostgreSQL): a binary COPY with these column types (timestamps as datetimes).
        """
        cols = ", ".join(f'"{c}"' for c in columns)
        written = 0
        cursor = self.raw.cursor()
        try:
            if self.postgres:
                binary = " (FORMAT BINARY)" if types else ""
                if types:
                    register_tsvector(cursor)
                with cursor.copy(f'COPY "{table}" ({cols}) FROM STDIN{binary}') as copy:
                    if types:
                        copy.set_types(list(types))
                    for chunk in prefetched(_batches(rows, batch)):
                        for row in chunk:
                            copy.write_row(row)
                        written += len(chunk)
                        progress(len(chunk))
            else:
                sql = f'INSERT INTO "{table}" ({cols}) VALUES ({", ".join("?" * len(columns))})'
                for chunk in prefetched(_batches(rows, batch)):
                    cursor.executemany(sql, chunk)
                    written += len(chunk)
                    progress(len(chunk))
        finally:
            cursor.close()
        return written

    @contextmanager
    def deferred(self, table: str):
        """Drop the table's non-unique indexes (and, on PostgreSQL, its foreign keys and the primary
        key / unique constraints no foreign key leans on) for the block, then recreate them as they were.

        PostgreSQL checks a foreign key with a trigger query per row (2M likes: ~2 minutes);
        re-adding the constraint validates the whole table with one join, as pg_restore does.
        Keeping like's primary key and unique index up to date row by row cost its COPY ~2.5x
        the CPU of building both once from a sort; a duplicate still fails, when they are re-added.
        """
        indexes = self._secondary_indexes(table)
        foreign_keys = self._foreign_keys(table)
        keys = self._unreferenced_keys(table)
        for name, _ in foreign_keys + keys:
            self.session.execute(text(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"'))
        for name, _ in indexes:
            self.session.execute(text(f'DROP INDEX "{name}"'))
        yield
        for name, definition in keys:
            self.session.execute(text(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}'))
        for _, ddl in indexes:
            self.session.execute(text(ddl))
        for name, definition in foreign_keys:
            self.session.execute(text(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}'))

    @contextmanager
    def full_text_deferred(self, table: str):
        """SQLite: for the block, drop the insert triggers that feed FTS5 tables indexing `table`, then rebuild them.

        The triggers tokenise article by article (100k articles: ~16 CPU s); an FTS5 'rebuild'
        of the same rows takes ~5. Only valid while `table` starts empty, as the seed's does.
        PostgreSQL: see seed_search (the seed stores the vectors itself; the GIN index is deferred).
        """
        if self.postgres:
            yield
            return
        fts = [name for name, sql in self._sqlite_master("table")
               if "fts5" in sql.lower() and re.search(rf"content\s*=\s*'?\"?{table}\b", sql, re.I)]
        triggers = [(name, sql) for name, sql in self._sqlite_master("trigger", table)
                    if re.search(r"\bAFTER\s+INSERT\b", sql, re.I) and any(f in sql for f in fts)]
        for name, _ in triggers:
            self.session.execute(text(f'DROP TRIGGER "{name}"'))
        yield
        for name, sql in triggers:
            self.session.execute(text(sql))
        for name in fts:
            self.session.execute(text(f"INSERT INTO \"{name}\"(\"{name}\") VALUES ('rebuild')"))

    def _sqlite_master(self, kind: str, table: str | None = None) -> list[tuple[str, str]]:
        query = "SELECT name, sql FROM sqlite_master WHERE type = :kind AND sql IS NOT NULL"
        if table:
            query += " AND tbl_name = :table"
        return [(r[0], r[1]) for r in self.session.execute(text(query + " ORDER BY name"),
                                                           {"kind": kind, "table": table})]

    def _foreign_keys(self, table: str) -> list[tuple[str, str]]:
        if not self.postgres:  # SQLite's checks are off for the whole seed (see tuned)
            return []
        rows = self.session.execute(text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = CAST(:t AS regclass) AND contype = 'f' ORDER BY conname"
        ), {"t": f'"{table}"'})
        return [(r[0], r[1]) for r in rows]

    def _unreferenced_keys(self, table: str) -> list[tuple[str, str]]:
        """PostgreSQL: primary key and unique constraints whose index no foreign key references."""
        if not self.postgres:  # SQLite cannot drop a table's constraints
            return []
        rows = self.session.execute(text(
            "SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
            "WHERE c.conrelid = CAST(:t AS regclass) AND c.contype IN ('p', 'u') AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid) ORDER BY c.conname"
        ), {"t": f'"{table}"'})
        return [(r[0], r[1]) for r in rows]

    def _secondary_indexes(self, table: str) -> list[tuple[str, str]]:
        if self.postgres:
            rows = self.session.execute(text(
                "SELECT c.relname, pg_get_indexdef(c.oid) FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid "
                "WHERE x.indrelid = CAST(:t AS regclass) AND NOT x.indisunique ORDER BY c.relname"
            ), {"t": f'"{table}"'})
        else:  # autoindexes (UNIQUE / PRIMARY KEY constraints) have no sql and stay
            rows = self.session.execute(text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL "
                "AND upper(sql) NOT LIKE 'CREATE UNIQUE%' ORDER BY name"
            ), {"t": table})
        return [(r[0], r[1]) for r in rows]

    @contextmanager
    def tuned(self):
        """Settings for one big transaction; the caller commits inside the block (it rolls back otherwise).

        SQLite: no fsync and no per-row foreign-key look-ups (the seed's rows are consistent by construction). These pragmas
        only take effect outside a transaction, hence the rollback before restoring them.
        PostgreSQL: no wait for the commit's WAL flush, more memory for index builds.
        """
        if self.postgres:
            self.session.execute(text("SET LOCAL synchronous_commit = off"))
            self.session.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
            try:
                yield
            finally:
                self.session.rollback()  # a no-op after the caller's commit
            return
        # The page cache stays small: rows arrive in key order, and CREATE INDEX sorted 2M likes in
        # 6-8 s with the default 2 MB cache against 13-14 s with 64 MB.
        pragmas = ("synchronous", "foreign_keys")
        old = {p: self.session.execute(text(f"PRAGMA {p}")).scalar() for p in pragmas}
        self._sqlite("PRAGMA foreign_keys = OFF")
        self._sqlite("PRAGMA synchronous = OFF")
        journal = self._journal("DELETE")
        if not self.raw.in_transaction:  # DDL too (DROP/CREATE INDEX) must be inside the one transaction
            self._sqlite("BEGIN")
        try:
            yield
        finally:
            self.session.rollback()
            for p in pragmas:
                self._sqlite(f"PRAGMA {p} = {int(old[p])}")
            self._journal(journal)

    def _sqlite(self, sql: str) -> list:
        # Its own cursor, closed at once: a statement left open made the next checkpoint fail
        # with "database table is locked".
        cursor = self.raw.cursor()
        try:
            cursor.execute(sql)
            return cursor.fetchall()
        finally:
            cursor.close()

    def _journal(self, mode: str) -> str:
        """Switch SQLite's journal mode, returning the previous one; unchanged if another connection is open.

        In WAL mode every page is written twice (to the log, then checkpointed into the file).
        A rollback journal only saves pages that existed before the transaction, and an empty
        database has almost none, so the seed's ~500 MB are written once.
        """
        previous = self._sqlite("PRAGMA journal_mode")[0][0]
        try:
            self._sqlite(f"PRAGMA journal_mode = {mode}")
        except self.raw.OperationalError:  # "database is locked": a reader is open; stay as we are
            self.stayed_in_wal = previous == "wal"
        return previous

    def sync_sequences(self, tables) -> None:
        """Explicit ids do not advance PostgreSQL sequences: move them past the rows we wrote."""
        if not self.postgres:
            return
        for table in tables:
            self.session.execute(text(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM \"{table}\"))"
            ))

    def analyze(self) -> None:
        """After the commit, on PostgreSQL: statistics for the loaded tables at once. Until autovacuum
        gets to them (minutes later) the planner takes them for small: a parallel Gather for the
        sidebar and the author look-ups of the index page, ~10 ms each at 100k articles instead of <1."""
        if self.postgres:
            self.session.execute(text("ANALYZE"))
            self.session.commit()

    def checkpoint(self) -> None:
        """After the commit, if the seed ran in WAL mode: fold the log back so it does not stay hundreds of MB."""
        if self.postgres or not self.stayed_in_wal:
            return
        try:
            self._sqlite("PRAGMA wal_checkpoint(TRUNCATE)")
        except self.raw.OperationalError:
            pass  # a reader holds the log; SQLite's own auto-checkpoint folds it back later


def prefetched(batches, depth: int = 1):
    """Yield from `batches`, building the next ones in a thread meanwhile.

    sqlite3 and psycopg release the GIL while the database works, so generating rows (pure
    Python) and writing them overlap on a second core. Exceptions in the thread surface here;
    if the consumer stops early, the thread is told to stop and its queue drained.
    """
    handoff: queue.Queue = queue.Queue(depth)
    stop = threading.Event()

    def produce():
        try:
            for chunk in batches:
                while not stop.is_set():
                    try:
                        handoff.put(chunk, timeout=0.5)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            handoff.put(_DONE)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the consumer
            handoff.put(exc)

    worker = threading.Thread(target=produce, name="seed-rows", daemon=True)
    worker.start()
    try:
        while (item := handoff.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():
            try:
                handoff.get(timeout=0.1)
            except queue.Empty:
                pass
        worker.join()


_DONE = object()


def _batches(rows, size: int):
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk
