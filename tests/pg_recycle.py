"""PostgreSQL: put a finished test's database back into the template's exact state, instead of dropping
it and copying the template again.

A DROP DATABASE and a CREATE DATABASE ... TEMPLATE cost ~0.25 s of the server's time per test, most of
it I/O; deleting a test's few rows costs ~0.03 s. A database is reused only when, after the reset, it
provably equals the template: the same schema (tables, columns, indexes, constraints, triggers,
functions, sequences: one fingerprint), the template's rows in every table and nothing else, and the
template's sequence positions. Anything else (a migration test that downgraded, a test that left rows
a trigger re-created) is dropped as before. Table statistics are not part of that state; a fresh copy
has none or whatever autovacuum gathered, and the tests that assert query plans ANALYZE first.
"""
from dataclasses import dataclass

import psycopg
from psycopg import sql

FINGERPRINT = """
SELECT md5(coalesce(string_agg(x, E'\\n' ORDER BY x), '')) FROM (
  SELECT 'col ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' '
         || coalesce(column_default, '') FROM information_schema.columns WHERE table_schema = 'public'
  UNION ALL SELECT 'idx ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
  UNION ALL SELECT 'con ' || c.conrelid::regclass || ' ' || c.conname || ' ' || pg_get_constraintdef(c.oid)
         FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public'
  UNION ALL SELECT 'trg ' || t.tgrelid::regclass || ' ' || t.tgname || ' ' || t.tgenabled::text || ' '
         || pg_get_triggerdef(t.oid) FROM pg_trigger t WHERE NOT t.tgisinternal
  UNION ALL SELECT 'fn ' || p.proname || ' ' || md5(p.prosrc)
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
  UNION ALL SELECT 'seq ' || sequence_name FROM information_schema.sequences WHERE sequence_schema = 'public'
  UNION ALL SELECT 'ext ' || extname || ' ' || extversion FROM pg_extension
) AS schema(x)
"""
TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
FOREIGN_KEYS = """
SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c
JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public' AND c.contype = 'f'
"""
SEQUENCES = """
SELECT schemaname || '.' || sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'
"""


@dataclass
class Snapshot:
    fingerprint: str
    order: list[str]  # every table, each after the tables its foreign keys point to
    rows: dict[str, list[tuple]]  # the template's rows (sorted) of every table
    sequences: dict[str, int | None]  # last_value; None: never called


def _unquote(name: str) -> str:
    return name[1:-1] if name.startswith('"') else name


def _rows(conn, table: str) -> list[tuple]:
    return sorted(conn.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier(table))).fetchall(), key=repr)


def _snapshot(conn) -> Snapshot:
    tables = [r[0] for r in conn.execute(TABLES)]
    parents = {t: set() for t in tables}
    for child, parent in conn.execute(FOREIGN_KEYS):
        if _unquote(child) != _unquote(parent):
            parents[_unquote(child)].add(_unquote(parent))
    order, placed = [], set()
    while len(order) < len(tables):
        ready = [t for t in tables if t not in placed and parents[t] <= placed]
        if not ready:  # a cycle of foreign keys: no safe order, never reuse
            raise RuntimeError(f"foreign keys form a cycle among {sorted(set(tables) - placed)}")
        order += ready
        placed |= set(ready)
    return Snapshot(conn.execute(FINGERPRINT).fetchone()[0], order, {t: _rows(conn, t) for t in tables},
                    dict(conn.execute(SEQUENCES).fetchall()))


def snapshot(dsn: str) -> Snapshot:
    """What a reset must reproduce: read from the template once."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        return _snapshot(conn)


def reset(dsn: str, template: Snapshot) -> bool:
    """Empty a finished test's database back to the template's state; False if it cannot be (drop it)."""
    with psycopg.connect(dsn) as conn:
        if conn.execute(FINGERPRINT).fetchone()[0] != template.fingerprint:
            return False
        for table in reversed(template.order):
            conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table)))
        for table in template.order:
            for row in template.rows[table]:
                marks = sql.SQL(", ").join(sql.Placeholder() * len(row))
                conn.execute(sql.SQL("INSERT INTO {} VALUES ({})").format(sql.Identifier(table), marks), row)
        for name, last in template.sequences.items():
            regclass = sql.Literal(name)  # schema.sequence, as pg_sequences names it (plain names here)
            if last is None:  # never used: the next nextval() gives the start value
                conn.execute(sql.SQL("SELECT setval({}::regclass, (SELECT start_value FROM pg_sequences "
                                     "WHERE schemaname || '.' || sequencename = {}), false)").format(
                    regclass, regclass))
            else:
                conn.execute(sql.SQL("SELECT setval({}::regclass, %s, true)").format(regclass), (last,))
        conn.commit()
        now = _snapshot(conn)  # proof, not hope: the same schema, rows and sequences as the template
        return now == template
