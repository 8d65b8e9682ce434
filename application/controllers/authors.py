"""An author's page: their articles (public; page-cached for anonymous readers)."""
from flask import Blueprint, abort, render_template
from flask_security import current_user

from application.data import data_access

from .articles import with_live_likes
from .page_cache import cache_author_page
from .permissions import can_see

bp = Blueprint("authors", __name__)


@bp.get("/authors/<username>")
@cache_author_page
def show(username):
    author = data_access.get_author(username)
    if author is None:
        abort(404)
    articles = [a for a in data_access.list_author_articles(author["id"]) if can_see(a)]
    if current_user.is_authenticated and data_access.liked_recently(current_user.id):
        articles = with_live_likes(articles)
    return render_template("author.html", author=author, articles=articles)
