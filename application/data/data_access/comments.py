"""Comment writers and the uncached single-comment read; the cached list is cached.list_comments."""
from sqlalchemy import select

from application.extensions import db

from ..models import Comment
from . import invalidate
from .serialize import comment_dict


def create_comment(article_id: int, author_id: int, body: str) -> dict:
    """Add a comment; clears comments:<article_id>."""
    comment = Comment(article_id=article_id, author_id=author_id, body=body)
    db.session.add(comment)
    db.session.commit()
    invalidate.comments_changed(article_id)
    return comment_dict(comment)


def get_comment(comment_id: int) -> dict | None:
    """{id, article_id, author_id} of a comment, or None (uncached)."""
    row = db.session.execute(select(Comment.id, Comment.article_id, Comment.author_id)
                             .where(Comment.id == comment_id)).first()
    return dict(row._mapping) if row else None


def delete_comment(comment_id: int) -> None:
    """Delete a comment; clears its article's comment list."""
    comment = db.session.get(Comment, comment_id)
    if comment is not None:
        article_id = comment.article_id
        db.session.delete(comment)
        db.session.commit()
        invalidate.comments_changed(article_id)
