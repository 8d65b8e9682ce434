"""Comments written from article pages: the RealWorld writers, plus the cached page and a live event."""
from application import events

from . import content_changes, realworld_social


def post_comment(article_id: int, slug: str, author_id: int, body: str) -> dict:
    """Add a comment; clears list_comments(article_id) and the article's page; publishes comment_added."""
    comment = realworld_social.create_comment(article_id, author_id, body)
    content_changes.invalidate_article_page(slug)
    events.publish("comment_added", {"article_id": article_id, "comment": comment})
    return comment


def remove_comment(comment_id: int, article_id: int, slug: str) -> None:
    """Delete a comment; clears list_comments(article_id) and the article's page; publishes comment_deleted."""
    realworld_social.delete_comment(comment_id)
    content_changes.invalidate_article_page(slug)
    events.publish("comment_deleted", {"article_id": article_id, "comment_id": comment_id})
