"""Tag pages: the published articles carrying one tag (the cached RealWorld list, exactly invalidated)."""
from flask import abort, redirect, render_template, url_for

from application.data import data_access

from .listing import api_page, page_blueprint, page_number

bp = page_blueprint("tags", __name__)


@bp.get("/tags/<tag>")
def show(tag):
    if tag != tag.strip().lower():
        return redirect(url_for("tags.show", tag=tag.strip().lower()), 301)  # tags are stored lower case
    page = page_number()
    listing = api_page(lambda limit, offset: data_access.list_api_articles(tag, None, limit, offset), page)
    if listing["total"] == 0:
        abort(404, f"No published article is tagged “{tag}”.")
    return render_template("tag.html", tag=tag, listing=listing)
