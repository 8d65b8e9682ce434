"""Shared cached data + the caller's per-request overlay -> the spec's JSON shapes."""
from application.data import data_access


def profile(author: dict | None, following: bool) -> dict:
    author = author or {}
    return {"username": author.get("username") or "", "bio": author.get("bio") or "",
            "image": author.get("image") or "", "following": following}


def article(card: dict, favorited: bool, following: bool, with_body: bool = True, count: int | None = None) -> dict:
    out = {
        "slug": card["slug"], "title": card["title"], "description": card["description"],
        "tagList": card["tagList"], "createdAt": card["createdAt"], "updatedAt": card["updatedAt"],
        "favorited": favorited, "favoritesCount": card["favoritesCount"] if count is None else count,
        "author": profile(card["author"], following),
    }
    if with_body:
        out["body"] = card["body"]
    return out


def article_list(page: dict, user_id: int | None) -> dict:
    """A list page with favorited/following for this caller: at most two more queries."""
    cards = page["articles"]
    liked = data_access.favorited_among(user_id, [c["id"] for c in cards])
    followed = data_access.followed_among(user_id, {c["author"]["id"] for c in cards if c["author"]})
    return {
        "articles": [article(c, c["id"] in liked, bool(c["author"]) and c["author"]["id"] in followed,
                             with_body=False) for c in cards],
        "articlesCount": page["articlesCount"],
    }


def single_article(card: dict, user_id: int | None, favorited: bool | None = None, count: int | None = None) -> dict:
    """{"article": ...} for this caller (favorited/count may be given when just changed)."""
    if favorited is None:
        favorited = user_id is not None and data_access.has_liked(user_id, card["id"])
    author_id = card["author"]["id"] if card["author"] else None
    following = author_id is not None and data_access.is_following(user_id, author_id)
    return {"article": article(card, favorited, following, count=count)}
