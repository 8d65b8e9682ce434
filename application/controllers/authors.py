"""An author's page: their articles (public; page-cached for anonymous readers)."""
import hashlib

from flask import Blueprint, abort, render_template

from application.data import data_access

from .page_cache import cache_page
from .permissions import can_see

bp = Blueprint("authors", __name__)


def _page_key(username: str) -> str:
    """The page's key carries a digest of the (cached) data it shows.

    A writer that changes the author or their list clears those data entries,
    so the next request computes a new key: exact invalidation without a second
    map from users to pages (old keys expire after the page timeout).
    """
    author = data_access.get_author(username)
    if author is None:
        return f"page:author:missing:{username}"  # never stored: only 200s are cached
    shown = [a for a in data_access.list_author_articles(author["id"]) if a["status"] == "published"]
    digest = hashlib.blake2b(repr((author, shown)).encode(), digest_size=12).hexdigest()
    return f"page:author:{author['id']}:{digest}"


@bp.get("/authors/<username>")
@cache_page(_page_key)
def show(username):
    author = data_access.get_author(username)
    if author is None:
        abort(404)
    articles = [a for a in data_access.list_author_articles(author["id"]) if can_see(a)]
    return render_template("author.html", author=author, articles=articles)
