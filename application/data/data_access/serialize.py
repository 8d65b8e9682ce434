"""ORM rows to plain dicts: the only shapes that are cached or leave data_access."""
from datetime import datetime, timezone


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with milliseconds and a zone (stored values are naive UTC)."""
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def author_dict(user) -> dict:
    return {"id": user.id, "username": user.username, "bio": user.bio, "image": user.image}


def article_summary(article) -> dict:
    return {
        "id": article.id,
        "slug": article.slug,
        "title": article.title,
        "description": article.description,
        "status": article.status,
        "publish_at": iso(article.publish_at),
        "created_at": iso(article.created_at),
        "updated_at": iso(article.updated_at),
        "like_count": article.like_count,
        "authors": [author_dict(u) for u in article.authors],
        "tags": sorted(t.name for t in article.tags),
    }


def comment_dict(comment) -> dict:
    return {"id": comment.id, "article_id": comment.article_id, "body": comment.body,
            "created_at": iso(comment.created_at), "updated_at": iso(comment.updated_at),
            "author": author_dict(comment.author)}
