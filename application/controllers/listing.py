"""Shared by the list pages (tags, feed, liked, search): the page number and one item shape."""
import math

from flask import Blueprint, abort, current_app, request


def page_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint of the page-parity views (NUL bytes and lone surrogates never reach them:
    application/input_guard.py answers them at the edge)."""
    return Blueprint(name, import_name)


def page_number() -> int:
    """?page=N (1 if absent); anything but a positive integer of at most 7 digits is a 404, as on the index."""
    raw = request.args.get("page", "1")
    if not (raw.isdigit() and raw[0] != "0" and len(raw) <= 7):
        abort(404)
    return int(raw)


def per_page() -> int:
    return current_app.config["ARTICLES_PER_PAGE"]


def api_page(fetch, page: int) -> dict:
    """A page of cards {cards, total} (data_access's lists) as {items, total, page, pages}; 404 past the end."""
    size = per_page()
    result = fetch(size, (page - 1) * size)
    pages = max(1, math.ceil(result["total"] / size))
    if page > pages:
        abort(404)
    return {"items": [card_item(c) for c in result["cards"]], "total": result["total"], "page": page, "pages": pages}


def card_item(card: dict) -> dict:
    """A card in the shape the list templates take (that of the index's summaries)."""
    return {"id": card["id"], "slug": card["slug"], "title": card["title"], "description": card["description"],
            "publish_at": card["created_at"], "authors": card["authors"], "tags": card["tags"],
            "like_count": card["like_count"]}
