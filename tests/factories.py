"""Builders for users and articles, through data_access like the app itself."""
import itertools
from datetime import timedelta

from application.data import data_access
from application.data.models import utcnow

PASSWORD = "correct-horse-battery"
_seq = itertools.count(1)


def make_user(username=None, roles=("reader",), password=PASSWORD) -> dict:
    n = next(_seq)
    username = username or f"user{n}"
    user_id = data_access.create_user(f"{username}@example.com", username, password, roles=roles)
    return {"id": user_id, "username": username, "email": f"{username}@example.com", "password": password}


def make_article(author, title=None, body="Some *body* text.", status="published", minutes_ago=None, **kw) -> dict:
    n = next(_seq)
    publish_at = None
    if status == "scheduled":
        publish_at = utcnow() + timedelta(days=1)
    article = data_access.create_article([author["id"]], title or f"Article number {n}", body, status=status,
                                         publish_at=publish_at, **kw)
    if minutes_ago is not None and status == "published":
        data_access.update_article(article["id"], publish_at=utcnow() - timedelta(minutes=minutes_ago))
        article = data_access.get_article_for_edit(article["slug"])
    return article
