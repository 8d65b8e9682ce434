"""Atom feeds (the site, one author, one tag) and /sitemap.xml, for feed readers and search engines.

Feeds are built on the cached RealWorld lists (exactly invalidated by article writers); the sitemap
on its own cached read (cleared by invalidate.py with search results: group search).
"""
from flask import abort, render_template, request, url_for

from application.data import data_access

from .listing import page_blueprint

bp = page_blueprint("site_feeds", __name__)

FEED_SIZE = 20
ATOM = "application/atom+xml; charset=utf-8"


def _atom(title: str, html_url: str, articles: list[dict]):
    updated = max((a["updated_at"] for a in articles), default="2026-01-01T00:00:00.000Z")
    body = render_template("atom.xml", title=title, html_url=html_url, self_url=request.base_url,
                           articles=articles, updated=updated, host=request.host.split(":")[0])
    return body, 200, {"Content-Type": ATOM}


@bp.get("/atom.xml")
def site_feed():
    articles = data_access.list_api_articles(None, None, FEED_SIZE, 0)["cards"]
    return _atom("Broadsheet", url_for("articles.index", _external=True), articles)


@bp.get("/authors/<username>/atom.xml")
def author_feed(username):
    if data_access.get_author(username) is None:
        abort(404)
    articles = data_access.list_api_articles(None, username, FEED_SIZE, 0)["cards"]
    return _atom(f"Broadsheet: {username}", url_for("authors.show", username=username, _external=True), articles)


@bp.get("/tags/<tag>/atom.xml")
def tag_feed(tag):
    articles = data_access.list_api_articles(tag, None, FEED_SIZE, 0)["cards"]
    if not articles:
        abort(404)
    return _atom(f"Broadsheet: tagged {tag}", url_for("tags.show", tag=tag, _external=True), articles)


@bp.get("/sitemap.xml")
def sitemap():
    entries = data_access.list_sitemap_entries()
    body = render_template("sitemap.xml", entries=entries, tags=data_access.list_tag_names())
    return body, 200, {"Content-Type": "application/xml; charset=utf-8"}
