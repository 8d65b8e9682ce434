"""Article writers: commit, then invalidate (invalidate.py), then publish events; and the uncached edit read."""
from datetime import datetime

from flask import current_app
from slugify import slugify
from sqlalchemy import delete, or_, select

from application import events
from application.extensions import db

from ..models import Article, Comment, Like, Tag, User, utcnow
from . import cached, invalidate
from .queries import index_page_of
from .serialize import article_summary


class ArticleError(ValueError):
    """A write that cannot be done as asked (the message says why)."""


def _per_page() -> int:
    return current_app.config["ARTICLES_PER_PAGE"]


def _unique_slug(title: str, exclude_id: int | None = None) -> str:
    base = slugify(title, max_length=200) or "article"
    taken = set(db.session.scalars(select(Article.slug).where(
        or_(Article.slug == base, Article.slug.like(f"{base}-%")),
        Article.id != (exclude_id or -1),
    )))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _tags(names) -> list[Tag]:
    names = sorted({n.strip().lower() for n in names or [] if n and n.strip()})
    if not names:
        return []
    existing = {t.name: t for t in db.session.scalars(select(Tag).where(Tag.name.in_(names)))}
    return [existing.get(n) or Tag(name=n) for n in names]


def _apply_status(article: Article, status: str, publish_at: datetime | None) -> None:
    if status not in ("draft", "scheduled", "published"):
        raise ArticleError(f"unknown status {status!r}")
    now = utcnow()
    if status == "scheduled":
        if publish_at is None:
            raise ArticleError("a scheduled article needs publish_at")
        if publish_at <= now:
            status = "published"  # the time has already come
    if status == "published" and (publish_at is None or publish_at > now):
        publish_at = article.publish_at if article.status == "published" and article.publish_at else now
    article.status = status
    article.publish_at = publish_at


def create_article(author_ids, title, body, description="", status="draft", publish_at=None, tags=()) -> dict:
    """Create an article; clears its authors' lists and, if published, the index."""
    authors = db.session.scalars(select(User).where(User.id.in_(list(author_ids)))).all()
    if not authors:
        raise ArticleError("an article needs at least one author")
    article = Article(title=title, body=body, description=description or "", slug=_unique_slug(title))
    _apply_status(article, status, publish_at)
    article.authors = list(authors)
    article.tags = _tags(tags)
    db.session.add(article)
    published = article.status == "published"
    after = _clearing(article, old_slug=None, listing="all" if published else None, newly_published=published)
    db.session.commit()
    return after()


def update_article(article_id: int, *, title=None, body=None, description=None, status=None,
                   publish_at=..., tags=None, regenerate_slug=False) -> dict:
    """Edit an article; clears its old and new slug, its index page(s) and authors' lists."""
    article = db.session.get(Article, article_id)
    if article is None:
        raise LookupError(article_id)
    old_slug, old_title = article.slug, article.title
    old_listing = (article.status, article.publish_at)
    if title is not None:
        article.title = title
        if regenerate_slug and title != old_title:
            article.slug = _unique_slug(title, exclude_id=article.id)
    if body is not None:
        article.body = body
    if description is not None:
        article.description = description
    if tags is not None:
        article.tags = _tags(tags)
    if status is not None or publish_at is not ...:
        _apply_status(article, status or article.status,
                      article.publish_at if publish_at is ... else publish_at)
    was_published, is_published = old_listing[0] == "published", article.status == "published"
    if (article.status, article.publish_at) != old_listing and (was_published or is_published):
        listing = "all"  # it joined, left or moved within the index
    elif is_published and (title is not None or description is not None or tags is not None):
        listing = "own"  # shown in place on one index page
    else:
        listing = None
    after = _clearing(article, old_slug=old_slug, listing=listing, newly_published=is_published and not was_published)
    db.session.commit()
    return after()


def delete_article(article_id: int) -> bool:
    """Delete an article; clears its page, its authors' lists and the index."""
    article = db.session.get(Article, article_id)
    if article is None:
        return False
    slug, author_ids, was_published = article.slug, [u.id for u in article.authors], article.status == "published"
    # Explicit deletes as well as ON DELETE CASCADE: SQLite enforces it only with its pragma on.
    db.session.execute(delete(Comment).where(Comment.article_id == article_id))
    db.session.execute(delete(Like).where(Like.article_id == article_id))
    db.session.delete(article)
    db.session.commit()
    invalidate.article_deleted(slug, article_id, author_ids, was_published, _per_page())
    return True


def publish_due_articles(now: datetime | None = None) -> list[dict]:
    """Publish scheduled articles whose publish_at has passed; idempotent."""
    now = now or utcnow()
    due = db.session.scalars(
        select(Article).where(Article.status == "scheduled", Article.publish_at <= now)
    ).all()
    for article in due:
        article.status = "published"
    clearings = [_clearing(article, old_slug=article.slug, listing="all", newly_published=True) for article in due]
    db.session.commit()
    return [after() for after in clearings]


def _clearing(article: Article, old_slug: str | None, listing: str | None, newly_published: bool):
    """Read in the writer's transaction what its invalidation needs; the returned call (after the
    commit) clears, publishes and returns the article's summary without touching the database."""
    db.session.flush()  # a new article's id; the index page below counts this write's rows
    per_page = _per_page()
    page = index_page_of(article, per_page) if listing == "own" else listing
    slugs, author_ids, summary = [old_slug, article.slug], [u.id for u in article.authors], article_summary(article)
    published = {"article_id": article.id, "slug": article.slug, "title": article.title}

    def after() -> dict:
        invalidate.article_changed(slugs, author_ids, page, per_page, article_id=published["article_id"])
        if newly_published:
            events.publish("article_published", published)
        return summary
    return after


def get_article_for_edit(slug: str) -> dict | None:
    """Uncached editable fields of an article (raw body, author ids), or None."""
    article = db.session.scalar(select(Article).where(Article.slug == slug))
    if article is None:
        return None
    data = article_summary(article)
    data["body"] = article.body
    data["author_ids"] = [u.id for u in article.authors]
    data["publish_at_value"] = article.publish_at
    return data


def get_api_article(slug: str) -> dict | None:
    """The cached get_article(slug) plus its author_ids (for permission checks), or None."""
    data = cached.get_article(slug)
    if data is None:
        return None
    return {**data, "author_ids": [a["id"] for a in data["authors"]]}
