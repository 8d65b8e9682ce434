"""Every cached read, and nothing else: each one is store.read(key, query, groups, timeout).

A miss takes the key's lease before it queries (store.py), so what it stores is dropped if a
writer invalidated the key meanwhile. Values are plain dicts/lists/ints; None means "absent"
and is kept for store.ABSENT_SECONDS only. Keys and groups come from keys.py; invalidate.py
is the one place that clears them.
"""
import math
from contextvars import ContextVar

from sqlalchemy import exists, func, literal_column, select
from sqlalchemy.orm import selectinload

from application import request_stats
from application.extensions import db
from application.markdown_render import render_markdown

from ..models import Article, Comment, Tag, User, WeekLikes, article_authors, article_tags
from . import keys, keyset, listing_counts, search, store, visibility
from .queries import NEWEST_FIRST, PUBLISHED, card_page
from .serialize import article_summary, author_dict, comment_dict, iso

DATA_TIMEOUT = 300
MOST_LIKED_LIMIT = 5


class Miss(Exception):
    """Raised inside hits_only() where a read would have to query."""


_hits_only: ContextVar[bool] = ContextVar("bs_hits_only", default=False)


def _read(key: str, compute, groups=(), timeout: int = DATA_TIMEOUT):
    """store.read(); inside hits_only() one peek that raises Miss instead of computing.

    hits_only() answers only read what they get (they build new dicts from it), so a local-tier hit
    hands them the entry's one decoded copy instead of unpickling it again (a list block is 100 cards)."""
    if not _hits_only.get():
        return store.read(key, compute, groups, timeout)
    hit, value, _ = store.peek_shared(key, groups)
    if not hit:
        raise Miss(key)
    return value


def _uncached() -> None:
    if _hits_only.get():
        raise Miss("uncached")


def hits_only(answer, *args):
    """answer(*args) if every cached read it makes is a stored entry, else None: nothing is queried,
    locked or stored. The API's fast path for anonymous reads (api/realworld/fast_reads.py) uses it;
    on None (a miss, or answer() declined) the request's hit/miss counts are put back, so the full
    path that answers next counts its own reads once."""
    stats = request_stats.current()
    counts = (stats.cache_hits, stats.cache_misses) if stats is not None else None
    token = _hits_only.set(True)
    try:
        found = answer(*args)
    except Miss:
        found = None
    finally:
        _hits_only.reset(token)
    if found is None and stats is not None:
        stats.cache_hits, stats.cache_misses = counts
    return found


def _index_page(page: int, per_page: int, cursor: tuple | None = None) -> dict:
    # 3 queries whatever the page size or depth: the page with the total and the listing's version
    # alongside (counter reads, see listing_counts), then its authors and tags (selectin, one query each).
    # joinedload of authors would make SQLite materialise the whole author link table.
    stmt = (select(Article, listing_counts.published_total(), listing_counts.published_version())
            .where(PUBLISHED).options(selectinload(Article.authors), selectinload(Article.tags)))
    if cursor is not None:  # a keyset seek from a row of the page next to this one
        direction, (_, version, publish_at, article_id) = cursor
        where, order = keyset.seek(direction, publish_at, article_id)
        result = db.session.execute(stmt.where(where).order_by(*order).limit(per_page)).all()
        if result and result[0][2] == version:  # the listing is as it was when the cursor was made
            return _page_data(result[::-1] if direction == "before" else result, page, per_page)
    result = db.session.execute(stmt.order_by(*NEWEST_FIRST).limit(per_page).offset((page - 1) * per_page)).all()
    return _page_data(result, page, per_page)


def _page_data(result, page: int, per_page: int) -> dict:
    rows = [r[0] for r in result]
    if result:
        total, version = result[0][1], result[0][2]
    else:  # past the last page: the counters alone
        total, version = db.session.execute(
            select(listing_counts.published_total(), listing_counts.published_version())).one()
    pages = max(1, math.ceil(total / per_page))
    return {"items": [article_summary(a) for a in rows], "total": total, "page": page, "pages": pages,
            # where the neighbouring pages seek from (controllers use them past the cached pages)
            "older": keyset.make_cursor(page + 1, version, rows[-1].publish_at, rows[-1].id)
            if rows and page < pages else None,
            "newer": keyset.make_cursor(page - 1, version, rows[0].publish_at, rows[0].id)
            if rows and page > 1 else None}


def list_published_page(page: int, per_page: int, after: str | None = None, before: str | None = None) -> dict:
    """One index page: {items, total, page, pages, older, newer}. Key: index:<per_page>:<page> (pages
    past CACHE_MAX_INDEX_PAGES are queried, not cached, so the key set stays bounded; there a valid
    cursor (keyset.py) from the next or previous page seeks instead of OFFSET)."""
    if page > keys.max_cached_index_pages():
        return _index_page(page, per_page, _cursor_for(page, after, before))
    return store.read(keys.index_data_key(page, per_page), lambda: _index_page(page, per_page),
                      keys.INDEX_GROUPS, DATA_TIMEOUT)


def _cursor_for(page: int, after: str | None, before: str | None) -> tuple | None:
    for direction, raw in (("after", after), ("before", before)):
        parsed = keyset.parse_cursor(raw)
        if parsed is not None and parsed[0] == page:
            return direction, parsed
    return None


def _article(slug: str) -> dict | None:
    article = db.session.scalar(select(Article).where(Article.slug == slug))
    if article is None:
        return None
    data = article_summary(article)
    data["body"] = article.body
    data["body_html"] = render_markdown(article.body)
    return data


def get_article(slug: str) -> dict | None:
    """An article with rendered body_html, or None (kept briefly). Key: article:<slug>."""
    return _read(keys.article_key(slug), lambda: _article(slug), keys.ARTICLE_GROUPS, DATA_TIMEOUT)


def _author_articles(user_id: int) -> list[dict]:
    rows = db.session.scalars(
        select(Article)
        .join(article_authors, article_authors.c.article_id == Article.id)
        .where(article_authors.c.user_id == user_id)
        .order_by(Article.created_at.desc(), Article.id.desc())
    ).all()
    return [article_summary(a) for a in rows]


def list_author_articles(user_id: int) -> list[dict]:
    """All of an author's articles, any status, newest first. Key: author_articles:<user_id>."""
    return store.read(keys.author_articles_key(user_id), lambda: _author_articles(user_id),
                      keys.ARTICLE_GROUPS, DATA_TIMEOUT)


def get_author(username: str) -> dict | None:
    """A public profile {id, username, bio, image}, or None (kept briefly). Key: author:<username>."""
    def query():
        user = db.session.scalar(select(User).where(User.username == username))
        return author_dict(user) if user else None
    return _read(keys.author_key(username), query, (), DATA_TIMEOUT)


def get_like_count(article_id: int) -> int | None:
    """The stored like_count of an article, or None. Key: like_count:<article_id>."""
    return store.read(keys.like_count_key(article_id), lambda: db.session.scalar(
        select(Article.like_count).where(Article.id == article_id)), (), DATA_TIMEOUT)


def _most_liked() -> list[dict]:
    # The top of the weekly tally (week_likes.py), walked backwards on ix_week_likes_n_article_id,
    # each row joined to its article by primary key: the same few rows whatever the number of likes.
    # SQLite: status || '' keeps the planner (no statistics) from starting at ix_article_status_publish_at,
    # i.e. every published article, then a sort (18 ms at 100k articles; 0.05 ms this way). PostgreSQL
    # would misjudge the expression's selectivity and walk article instead (tests/test_explain.py).
    status = Article.status + literal_column("''") if db.engine.dialect.name == "sqlite" else Article.status
    rows = db.session.execute(
        select(Article.id, Article.slug, Article.title, WeekLikes.n)
        .select_from(WeekLikes).join(Article, Article.id == WeekLikes.article_id)
        .where(WeekLikes.n > 0, status == "published")
        .order_by(WeekLikes.n.desc(), WeekLikes.article_id.desc())
        .limit(MOST_LIKED_LIMIT)
    ).all()
    return [{"id": r.id, "slug": r.slug, "title": r.title, "week_likes": r.n} for r in rows]


def most_liked_this_week() -> list[dict]:
    """Top published articles by likes in the last 7 days, as of their last recount (likes older than 7
    days leave at beat's refresh, see week_likes.py). Key: most_liked_week."""
    return store.read(keys.MOST_LIKED_KEY, _most_liked, (), 600)


def list_tag_names() -> list[str]:
    """Every tag in use by a published article, sorted. Key: tags (group api_lists)."""
    # EXISTS per tag: a few index probes each, where IN (all tagged published articles) scans them all.
    return _read(keys.TAGS_LIST_KEY, lambda: list(db.session.scalars(
        select(Tag.name).where(exists().where(
            article_tags.c.tag_id == Tag.id, article_tags.c.article_id == Article.id, PUBLISHED
        )).order_by(Tag.name)
    )), (keys.API_LISTS,), DATA_TIMEOUT)


def _api_block(tag: str | None, author: str | None, block: int) -> dict:
    return _read(keys.api_block_key(tag, author, block),
                 lambda: card_page({"tag": tag, "author": author}, keys.API_BLOCK, block * keys.API_BLOCK),
                 keys.API_LIST_GROUPS, DATA_TIMEOUT)


def list_api_articles(tag: str | None, author: str | None, limit: int, offset: int) -> dict:
    """Published articles (newest first) as cards + total: {cards, total}.

    Cached in aligned blocks of keys.API_BLOCK (key api:<tag>:<author>:<block>), so any
    limit/offset maps to one or two keys; an unknown tag or author answers empty from the
    cached tag list / profile without a key of its own; offsets past API_MAX_CACHED_OFFSET
    are queried uncached.
    """
    if tag is not None and tag not in list_tag_names():
        return {"cards": [], "total": 0}
    if author is not None and get_author(author) is None:
        return {"cards": [], "total": 0}
    if limit <= 0 or offset + limit > keys.API_MAX_CACHED_OFFSET:
        _uncached()
        return card_page({"tag": tag, "author": author}, limit, offset) if limit > 0 else \
            {"cards": [], "total": card_page({"tag": tag, "author": author}, 1, 0)["total"]}
    first, last = offset // keys.API_BLOCK, (offset + limit - 1) // keys.API_BLOCK
    blocks = [_api_block(tag, author, b) for b in range(first, last + 1)]
    found = [c for b in blocks for c in b["cards"]]
    start = offset - first * keys.API_BLOCK
    return {"cards": found[start:start + limit], "total": blocks[0]["total"]}


def list_comments(article_id: int) -> list[dict]:
    """An article's comments, newest first, with author profiles. Key: comments:<article_id>."""
    def query():
        rows = db.session.scalars(select(Comment).where(Comment.article_id == article_id)
                                  .order_by(Comment.created_at.desc(), Comment.id.desc()))
        return [comment_dict(c) for c in rows]
    return store.read(keys.comments_key(article_id), query, keys.COMMENT_GROUPS, DATA_TIMEOUT)


def search_articles(query: str, page: int, per_page: int) -> dict:
    """Ranked published articles matching query, {items, total, page, pages}. Key: search:<per_page>:<page>:<query>
    (normalised first, so equal queries share one entry; group search)."""
    query = search.normalize_query(query)[:search.MAX_QUERY_LENGTH]
    return store.read(keys.search_key(query, page, per_page), lambda: search.find_articles(query, page, per_page),
                      keys.SEARCH_GROUPS, DATA_TIMEOUT)


SITEMAP_MAX_URLS = 50_000  # the sitemap protocol's limit per file


def _sitemap() -> dict:
    published = Article.status == "published"
    articles = db.session.execute(
        select(Article.slug, Article.updated_at).where(published)
        .order_by(Article.publish_at.desc(), Article.id.desc()).limit(SITEMAP_MAX_URLS)
    ).all()
    authors = db.session.scalars(
        select(User.username).where(User.id.in_(
            select(article_authors.c.user_id).join(Article, Article.id == article_authors.c.article_id)
            .where(published)
        )).order_by(User.username)
    ).all()
    return {"articles": [{"slug": s, "updated": iso(u)} for s, u in articles], "authors": list(authors)}


def list_sitemap_entries() -> dict:
    """{articles: [{slug, updated}], authors: [username]} of published content. Key: sitemap (group search)."""
    return store.read(keys.SITEMAP_KEY, _sitemap, keys.SEARCH_GROUPS, 3600)


def get_display_name(user_id: int) -> str:
    """A user's display name ("" if unset or no such user). Key: display_name:<user_id>."""
    def query():
        return db.session.scalar(select(User.display_name).where(User.id == user_id)) or ""
    return store.read(keys.display_name_key(user_id), query, (), 3600)


def get_article_visibility(article_id: int) -> dict | None:
    """{status, author_ids} of an article by id, or None. Key: visibility:<article_id>."""
    return store.read(keys.visibility_key(article_id), lambda: visibility.query_article_visibility(article_id),
                      (), DATA_TIMEOUT)


def article_visible_to(article_id: int, viewer_id: int | None, viewer_roles=()) -> bool:
    """True if the article exists and this viewer may see it (visibility.may_see)."""
    found = get_article_visibility(article_id)
    return found is not None and visibility.may_see(found["status"], found["author_ids"], viewer_id, viewer_roles)
