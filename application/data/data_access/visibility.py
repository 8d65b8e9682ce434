"""Who may see an article: the one rule every page, API route and write (likes included) applies.

Published articles are public; drafts and scheduled ones are seen only by their
authors, editors and admins. Callers pass the viewer as plain values (id, role
names), so the rule never reads the request.
"""
from sqlalchemy import select

from application.extensions import db

from ..models import Article, article_authors

EDITOR_ROLES = frozenset({"editor", "admin"})


def may_see(status: str, author_ids, viewer_id: int | None, viewer_roles=()) -> bool:
    """Whether this viewer (None: anonymous) may see an article with this status and these authors."""
    if status == "published":
        return True
    if viewer_id is None:
        return False
    return viewer_id in author_ids or not EDITOR_ROLES.isdisjoint(viewer_roles)


def query_article_visibility(article_id: int) -> dict | None:
    """{status, author_ids} of an article by id, or None (uncached: cached.get_article_visibility
    caches it; a primary-key lookup, plus its authors only when it is not published)."""
    status = db.session.scalar(select(Article.status).where(Article.id == article_id))
    if status is None:
        return None
    author_ids = [] if status == "published" else list(db.session.scalars(
        select(article_authors.c.user_id).where(article_authors.c.article_id == article_id)))
    return {"status": status, "author_ids": author_ids}
