"""Shared cached data + the caller's per-request overlay -> the RealWorld spec's JSON shapes.

data_access returns snake_case dicts with every author of an article; the camelCase shape,
and which author an article is shown under, are decided here.
"""
from contextvars import ContextVar

from flask import request

from application.data import data_access

# The site's root URL when an answer is built outside a Flask request (fast_reads.py sets it).
url_root: ContextVar[str | None] = ContextVar("bs_api_url_root", default=None)


def profile(author: dict | None, following: bool) -> dict:
    author = author or {}
    return {"username": author.get("username") or "", "bio": author.get("bio") or "",
            "image": absolute_url(author.get("image") or ""), "following": following}


def absolute_url(path: str) -> str:
    """A site path (a default avatar) as a full URL: front ends on another origin load it as is."""
    if not path.startswith("/"):
        return path
    root = url_root.get()
    return (root if root is not None else request.url_root.rstrip("/")) + path


def _shown_author(card: dict, username: str | None = None, followed: set[int] = frozenset()) -> dict | None:
    """The author an article is presented under: the one it was matched by, else the first."""
    authors = card["authors"]
    for a in authors:
        if (username is not None and a["username"] == username) or a["id"] in followed:
            return a
    return authors[0] if authors else None


def article(card: dict, favorited: bool, following: bool, author: dict | None, with_body: bool = True,
            count: int | None = None) -> dict:
    out = {
        "slug": card["slug"], "title": card["title"], "description": card["description"],
        "tagList": list(card["tags"]), "createdAt": card["created_at"], "updatedAt": card["updated_at"],
        "favorited": favorited, "favoritesCount": card["like_count"] if count is None else count,
        "author": profile(author, following),
    }
    if with_body:
        out["body"] = card["body"]
    return out


def article_list(page: dict, user_id: int | None, author: str | None = None) -> dict:
    """A list page ({cards, total}) for this caller: for a signed-in caller two more queries
    (favorited, following), three if they liked lately (live counts: their like shows at once).

    author: the ?author= username the list was filtered by; in a feed the followed co-author is shown.
    """
    cards = page["cards"]
    ids = [c["id"] for c in cards]
    liked = data_access.favorited_among(user_id, ids)
    followed = data_access.followed_among(user_id, {a["id"] for c in cards for a in c["authors"]})
    counts = data_access.live_like_counts(ids) if data_access.liked_recently(user_id) else {}
    items = []
    for c in cards:
        shown = _shown_author(c, author, followed)
        items.append(article(c, c["id"] in liked, shown is not None and shown["id"] in followed, shown,
                             with_body=False, count=counts.get(c["id"])))
    return {"articles": items, "articlesCount": page["total"]}


def single_article(card: dict, user_id: int | None, favorited: bool | None = None, count: int | None = None) -> dict:
    """{"article": ...} for this caller (favorited/count may be given when just changed)."""
    if favorited is None:
        favorited = user_id is not None and data_access.has_liked(user_id, card["id"])
    if count is None and data_access.liked_recently(user_id):
        count = data_access.count_likes(card["id"])  # read-your-writes: the rows, not the stored count
    shown = _shown_author(card)
    following = shown is not None and data_access.is_following(user_id, shown["id"])
    return {"article": article(card, favorited, following, shown, count=count)}


def comment(data: dict, followed: set[int]) -> dict:
    author = data["author"]
    return {"id": data["id"], "createdAt": data["created_at"], "updatedAt": data["updated_at"],
            "body": data["body"], "author": profile(author, author["id"] in followed)}
