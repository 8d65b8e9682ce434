"""Reads for the sitemap (the Atom feeds reuse the cached RealWorld lists)."""
from sqlalchemy import select

from application.extensions import cache, db

from ..models import Article, User, article_authors
from .serialize import iso

SITEMAP_TIMEOUT = 3600  # seconds; content_changes clears it on any article change
SITEMAP_MAX_URLS = 50_000  # the sitemap protocol's limit per file


@cache.memoize(timeout=SITEMAP_TIMEOUT)
def list_sitemap_entries() -> dict:
    """{articles: [{slug, updated}], authors: [username]} of published content. Key: memoize()."""
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
