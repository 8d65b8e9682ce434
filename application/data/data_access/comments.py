"""Comment writers (commit, invalidate, publish a live event) and the uncached single-comment read.

The cached list is cached.list_comments. Pages and the API both write through here, so both
clear the article's cached page and both reach open pages (SSE comment_added / comment_deleted).
"""
from sqlalchemy import select

from application import events
from application.extensions import db

from ..models import Article, Comment
from . import invalidate
from .serialize import comment_dict


def create_comment(article_id: int, author_id: int, body: str) -> dict:
    """Add a comment; clears comments:<article_id> and the article's page; publishes comment_added."""
    comment = Comment(article_id=article_id, author_id=author_id, body=body)
    db.session.add(comment)
    db.session.flush()
    data, slug = comment_dict(comment), _slug(article_id)  # before the commit (invalidate.py)
    db.session.commit()
    invalidate.comments_changed(article_id, slug)
    events.publish("comment_added", {"article_id": article_id, "comment": data})
    return data


def get_comment(comment_id: int) -> dict | None:
    """{id, article_id, author_id} of a comment, or None (uncached)."""
    row = db.session.execute(select(Comment.id, Comment.article_id, Comment.author_id)
                             .where(Comment.id == comment_id)).first()
    return dict(row._mapping) if row else None


def delete_comment(comment_id: int) -> None:
    """Delete a comment; clears its article's comment list and page; publishes comment_deleted."""
    comment = db.session.get(Comment, comment_id)
    if comment is not None:
        article_id = comment.article_id
        slug = _slug(article_id)  # before the commit (invalidate.py)
        db.session.delete(comment)
        db.session.commit()
        invalidate.comments_changed(article_id, slug)
        events.publish("comment_deleted", {"article_id": article_id, "comment_id": comment_id})


def _slug(article_id: int) -> str:
    return db.session.scalar(select(Article.slug).where(Article.id == article_id)) or ""
