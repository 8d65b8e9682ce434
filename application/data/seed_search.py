"""PostgreSQL search vectors for the seed, computed on helper connections in parallel.

to_tsvector costs ~230 us an article (mostly the text parser): ~23 CPU s for 100k articles,
which a generated column or a per-row trigger spends in the single backend of the seed's
transaction. Revision 0004 makes search_vector a plain column filled by the trigger
`article_search_vector`; the seed disables that trigger inside its transaction (DDL there is
transactional: a failed seed gets it back with the rollback), and stores vectors computed by
the same SQL function, article_search_vector(title, description, body), on one read-only
connection per CPU. The helpers write nothing, so the load stays one transaction. Vectors come
back in binary and go into the article COPY in binary (parsing tsvector text cost the main
backend ~40% of computing it).
"""
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta

from psycopg.adapt import Dumper
from psycopg.pq import Format
from sqlalchemy import text

TRIGGER = "article_search_vector"  # revision 0004
BATCH = 2_000  # articles per batch on this path (~4 batches in flight: text, vectors, COPY)
TSVECTOR_OID = 3614  # built in, fixed
# The article COPY in binary: each column's type, in the seed's column order, then the vector.
ARTICLE_TYPES = ("int4", "varchar", "varchar", "varchar", "text", "varchar", "timestamp", "timestamp", "timestamp",
                 "int4", TSVECTOR_OID)
# %b: the text arrays go in binary. psycopg's text-format array dumper escapes every string in Python:
# ~100 ms of the seed's CPU per 1,000 bodies, against ~2 ms in binary.
_VECTORS = """SELECT article_search_vector(t, d, b) FROM unnest(%b::text[], %b::text[], %b::text[])
              WITH ORDINALITY AS u(t, d, b, n) ORDER BY n"""
_EPOCH = datetime(1970, 1, 1)


class _RawTsvector(bytes):
    """Never instantiated: registers the pass-through dumper for the tsvector OID."""


class TsvectorBinaryDumper(Dumper):
    """Sends a tsvector exactly as PostgreSQL returned it in binary (no parsing on either side)."""
    format = Format.BINARY
    oid = TSVECTOR_OID

    def dump(self, obj):
        return obj


def register_tsvector(cursor) -> None:
    """Let a binary COPY on `cursor` take raw tsvector bytes (set_types(..., TSVECTOR_OID))."""
    cursor.adapters.register_dumper(_RawTsvector, TsvectorBinaryDumper)


def stamp_datetime(seconds: int) -> datetime:
    """Epoch seconds -> naive UTC datetime, what a binary COPY of a timestamp takes."""
    return _EPOCH + timedelta(seconds=seconds)


def applies(session) -> bool:
    """True on PostgreSQL when article.search_vector is the trigger-kept column of revision 0004."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    return bool(session.execute(text(
        "SELECT 1 FROM pg_trigger WHERE tgrelid = 'article'::regclass AND tgname = :name AND NOT tgisinternal"
    ), {"name": TRIGGER}).first())


@contextmanager
def trigger_disabled(session):
    """Inside the seed's transaction: the seed stores the vectors itself for the block."""
    session.execute(text(f'ALTER TABLE article DISABLE TRIGGER "{TRIGGER}"'))
    yield
    session.execute(text(f'ALTER TABLE article ENABLE TRIGGER "{TRIGGER}"'))


class ParallelVectors:
    """Appends each article row's search vector, computed on `workers` helper connections at once."""

    def __init__(self, engine, workers: int):
        self.workers = max(1, workers)
        self.connections = [engine.connect() for _ in range(self.workers)]
        self.pool = ThreadPoolExecutor(self.workers, thread_name_prefix="seed-vectors")

    def _compute(self, connection, rows) -> list[bytes]:
        cursor = connection.connection.driver_connection.cursor(binary=True)
        try:
            # Row layout of seed._article_batches: (id, title, slug, description, body, ...).
            cursor.execute(_VECTORS, ([r[1] for r in rows], [r[3] for r in rows], [r[4] for r in rows]))
            return [v for (v,) in cursor.fetchall()]
        finally:
            cursor.close()

    def attach(self, batches):
        """For each (rows, *rest) batch, yield (rows with their vector appended, *rest)."""
        for rows, *rest in batches:
            step = -(-len(rows) // self.workers)
            parts = [rows[i:i + step] for i in range(0, len(rows), step)]
            futures = [self.pool.submit(self._compute, c, p) for c, p in zip(self.connections, parts)]
            vectors = [v for f in futures for v in f.result()]
            yield ([row + (vector,) for row, vector in zip(rows, vectors)], *rest)

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        for connection in self.connections:
            connection.close()
