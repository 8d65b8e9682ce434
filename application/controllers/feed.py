"""A reader's own feed (articles by authors they follow) and anyone's liked articles.

Both are per-user lists: computed per request by the RealWorld reads, never cached (see keys.py).
"""
from flask import abort, render_template
from flask_security import auth_required, current_user

from application.data import data_access

from .listing import api_page, page_blueprint, page_number

bp = page_blueprint("feed", __name__)


@bp.get("/feed")
@auth_required()
def feed():
    page = page_number()
    listing = api_page(lambda limit, offset: data_access.list_feed(current_user.id, limit, offset), page)
    return render_template("feed.html", listing=listing)


@bp.get("/authors/<username>/liked")
def liked(username):
    author = data_access.get_author(username)
    if author is None:
        abort(404)
    page = page_number()
    listing = api_page(lambda limit, offset: data_access.list_api_articles_favorited(
        username, None, None, limit, offset), page)
    return render_template("liked.html", author=author, listing=listing)
