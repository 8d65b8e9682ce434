"""Listing counters: how many published articles the index, each tag and each author hold.

A page's total is then a primary-key read of listing_count instead of a COUNT that walks
every published article (100k articles: ~10 ms on SQLite, growing with the table). The
counters are exact: session events update them in the same transaction as the write, so the
writers (articles.py and the rest) need no code of their own:

- before_flush notes, for every Article about to be inserted, changed or deleted, whether it
  was published, its publish_at, its tag ids and author ids (attribute history, loaded state);
- after_flush (ids now assigned) compares with the new state and applies the net change with
  one upsert per flush, its rows in key order (a stable lock order on PostgreSQL).

Statements the session cannot see row by row (bulk INSERT/UPDATE/DELETE of article or of the
tag/author link tables through the session, except UPDATEs of like_count/updated_at only, as the
like recount does) are refused with CounterBypass, so a new writer cannot drift the counts
silently. Raw DBAPI loads (the seed) call rebuild_listing_counters() before their commit.

version: bumped whenever a listing's members or their order change; a keyset cursor carries
the index's version, and a page asked for with an out-of-date cursor is built by OFFSET.
"""
from sqlalchemy import and_, bindparam, event, func, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import attributes

from application.extensions import db

from ..models import Article, ListingCount, Tag, User, article_authors, article_tags

PUBLISHED, TAG, AUTHOR = "published", "tag", "author"
_PENDING = "listing_counts.pending"
_TABLE = ListingCount.__table__
# Columns a bulk UPDATE of article may set without touching any listing (the like recount).
_HARMLESS_COLUMNS = frozenset({"like_count", "updated_at"})
_LINK_TABLES = frozenset({"article", "article_tags", "article_authors"})


class CounterBypass(RuntimeError):
    """A bulk statement would change listings behind the counters' back."""


# -- reads --------------------------------------------------------------------------------
def _row(kind: str, ref) -> tuple:
    return ListingCount.kind == kind, ListingCount.ref_id == ref


def published_total():
    """Scalar subquery: the number of published articles (0 when no counter row exists yet)."""
    return func.coalesce(select(ListingCount.n).where(*_row(PUBLISHED, 0)).scalar_subquery(), 0)


def published_version():
    """Scalar subquery: the index listing's version (see the module docstring)."""
    return func.coalesce(select(ListingCount.version).where(*_row(PUBLISHED, 0)).scalar_subquery(), 0)


def total_statement(kinds: tuple[str, ...]):
    """The counter read for a list filtered by these kinds (bind parameters named as in queries._SOURCES),
    or None where no counter exists (combinations, favorited, feed: those keep their COUNT)."""
    if kinds == ():
        return select(published_total())
    if kinds == ("tag",):
        return select(ListingCount.n).join(Tag, and_(ListingCount.kind == TAG, ListingCount.ref_id == Tag.id)) \
            .where(Tag.name == bindparam("tag"))
    if kinds == ("author",):
        return select(ListingCount.n).join(User, and_(ListingCount.kind == AUTHOR, ListingCount.ref_id == User.id)) \
            .where(User.username == bindparam("author"))
    return None


# -- rebuild --------------------------------------------------------------------------------
def rebuild_listing_counters() -> None:
    """Recompute every counter from the rows (one INSERT ... SELECT ... GROUP BY per kind), in the
    caller's transaction; versions move past every old one. For bulk loads that bypass the ORM."""
    version = (db.session.scalar(select(func.max(ListingCount.version))) or 0) + 1
    db.session.execute(_TABLE.delete())
    published = Article.status == "published"
    columns = ["kind", "ref_id", "n", "version"]
    db.session.execute(_TABLE.insert().from_select(columns, select(
        literal(PUBLISHED), literal(0), func.count(), literal(version)).select_from(Article).where(published)))
    for kind, link, ref in ((TAG, article_tags, article_tags.c.tag_id), (AUTHOR, article_authors, article_authors.c.user_id)):
        db.session.execute(_TABLE.insert().from_select(columns, select(
            literal(kind), ref, func.count(), literal(version))
            .select_from(link).join(Article, Article.id == link.c.article_id).where(published).group_by(ref)))


# -- maintenance (session events) -------------------------------------------------------------
def _old(obj, key):
    """The value an attribute had before this flush's changes (its loaded value if unchanged)."""
    hist = attributes.get_history(obj, key)
    if hist.deleted:
        return hist.deleted[0]
    return hist.unchanged[0] if hist.unchanged else attributes.NO_VALUE


def _ids(objects) -> frozenset:
    return frozenset(o.id for o in objects)


def _state_before(session, obj) -> tuple | None:
    status, publish_at = _old(obj, "status"), _old(obj, "publish_at")
    if attributes.NO_VALUE in (status, publish_at):  # expired, then set: read the stored row
        with session.no_autoflush:
            status, publish_at = session.connection().execute(
                select(Article.status, Article.publish_at).where(Article.id == obj.id)).one()
    tags, authors = (attributes.get_history(obj, key) for key in ("tags", "authors"))
    return (status == "published", publish_at, _ids(list(tags.unchanged) + list(tags.deleted)),
            _ids(list(authors.unchanged) + list(authors.deleted)))


def _state_now(obj) -> tuple:
    return (obj.status == "published", obj.publish_at, _ids(obj.tags), _ids(obj.authors))


def _relevant(obj) -> bool:
    # Not initialising: an attribute that was never loaded has no pending change either.
    return any(attributes.get_history(obj, key, attributes.PASSIVE_NO_INITIALIZE).has_changes()
               for key in ("status", "publish_at", "tags", "authors"))


@event.listens_for(db.session, "before_flush")
def _before_flush(session, flush_context, instances) -> None:
    pending = []
    with session.no_autoflush:
        for obj in session.new:
            if isinstance(obj, Article):
                obj.tags, obj.authors  # noqa: B018 (a new object's untouched collections start empty, no SQL)
                pending.append((obj, None))
        for obj in session.deleted:
            if isinstance(obj, Article):
                obj.tags, obj.authors  # noqa: B018 (loaded now, while their link rows still exist)
                pending.append((obj, _state_before(session, obj)))
        for obj in session.dirty:
            if isinstance(obj, Article) and obj not in session.deleted and _relevant(obj):
                obj.tags, obj.authors  # noqa: B018 (normally loaded already: selectin)
                pending.append((obj, _state_before(session, obj)))
    if pending:
        session.info.setdefault(_PENDING, []).extend(pending)


def _members(state) -> dict:
    if state is None or not state[0]:
        return {}
    keys = [(PUBLISHED, 0)] + [(TAG, t) for t in state[2]] + [(AUTHOR, a) for a in state[3]]
    return dict.fromkeys(keys, state[1])


def _deltas(pending, deleted) -> dict:
    deltas: dict[tuple, list[int]] = {}
    for obj, before in pending:
        after = None if obj in deleted else _state_now(obj)
        old, new = _members(before), _members(after)
        for key in old.keys() | new.keys():
            moved = key in old and key in new and old[key] != new[key]
            change = (key in new) - (key in old)
            if change or moved:
                entry = deltas.setdefault(key, [0, 0])
                entry[0] += change
                entry[1] += 1
    return deltas


@event.listens_for(db.session, "after_flush")
def _after_flush(session, flush_context) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    deltas = _deltas(pending, set(session.deleted))
    if not deltas:
        return
    connection = session.connection()
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(_TABLE)
    stmt = stmt.on_conflict_do_update(index_elements=["kind", "ref_id"], set_={
        "n": _TABLE.c.n + stmt.excluded.n, "version": _TABLE.c.version + stmt.excluded.version})
    connection.execute(stmt, [{"kind": k, "ref_id": r, "n": n, "version": v}
                              for (k, r), (n, v) in sorted(deltas.items())])


@event.listens_for(db.session, "after_rollback")
def _after_rollback(session) -> None:
    session.info.pop(_PENDING, None)  # a flush that failed half way never reached after_flush


@event.listens_for(db.session, "do_orm_execute")
def _refuse_bypass(state) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) not in _LINK_TABLES:
        return
    if state.is_update and table.name == "article":
        values = state.statement._values or {}  # noqa: SLF001 (no public accessor for .values())
        if {getattr(k, "key", k) for k in values} <= _HARMLESS_COLUMNS:
            return
    raise CounterBypass(f"a bulk {type(state.statement).__name__.upper()} of {table.name} would skip the "
                        "listing counters: change Article objects, or call rebuild_listing_counters()")


def check_listing_counters() -> list[tuple]:
    """Rows where a counter differs from a real COUNT: [(kind, ref_id, counter, actual)] (tests, ops)."""
    stored = {(k, r): n for k, r, n in db.session.execute(select(ListingCount.kind, ListingCount.ref_id, ListingCount.n))}
    actual = {(PUBLISHED, 0): db.session.scalar(select(func.count()).select_from(Article)
                                                 .where(Article.status == "published"))}
    for kind, link, ref in ((TAG, article_tags, article_tags.c.tag_id), (AUTHOR, article_authors, article_authors.c.user_id)):
        for r, n in db.session.execute(select(ref, func.count()).select_from(link)
                                       .join(Article, Article.id == link.c.article_id)
                                       .where(Article.status == "published").group_by(ref)):
            actual[(kind, r)] = n
    return sorted((k, r, stored.get((k, r), 0), actual.get((k, r), 0)) for k, r in stored.keys() | actual.keys()
                  if stored.get((k, r), 0) != actual.get((k, r), 0))

