"""Article pages: the index, one article, and the write/edit/schedule forms."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_security import auth_required, current_user

from application.data import data_access

from .forms import ArticleForm
from .page_cache import cache_article_page, cache_index_page, requested_page
from .permissions import can_edit, can_see, can_write

bp = Blueprint("articles", __name__)


@bp.get("/")
@cache_index_page
def index():
    page = requested_page()
    if page is None:
        abort(404)
    listing = data_access.list_published_page(page, current_app.config["ARTICLES_PER_PAGE"],
                                              after=request.args.get("after"), before=request.args.get("before"))
    if page > listing["pages"]:
        abort(404)
    if current_user.is_authenticated and data_access.liked_recently(current_user.id):  # never a stored page
        listing = {**listing, "items": with_live_likes(listing["items"])}
    return render_template("index.html", listing=listing, older=_page_link(page + 1, "after", listing["older"]),
                           newer=_page_link(page - 1, "before", listing["newer"]))


def _page_link(page: int, direction: str, cursor: str | None) -> str:
    """A neighbouring index page. Past the cached pages it carries the keyset cursor (no OFFSET walk);
    within them the plain ?page=N, the one URL the page cache and HTTP caches know."""
    if page > current_app.config.get("CACHE_MAX_INDEX_PAGES", 50) and cursor:
        return url_for("articles.index", page=page, **{direction: cursor})
    return url_for("articles.index", page=page)


def with_live_likes(items: list[dict]) -> list[dict]:
    """A reader who just liked sees it on every page at once, before the aggregation catches up."""
    counts = data_access.live_like_counts([a["id"] for a in items])
    return [{**a, "like_count": counts[a["id"]]} for a in items]


@bp.get("/articles/<slug>")
@cache_article_page
def show(slug):
    article = data_access.get_article(slug)
    if article is None or not can_see(article):
        abort(404)
    liked = False
    if current_user.is_authenticated:
        # A reader who just liked sees their own like at once, before aggregation catches up.
        liked = data_access.has_liked(current_user.id, article["id"])
        article = {**article, "like_count": data_access.count_likes(article["id"])}
    return render_template("article.html", article=article, liked=liked, can_edit=can_edit(
        {"author_ids": [a["id"] for a in article["authors"]]}))


@bp.route("/articles/new", methods=["GET", "POST"])
@auth_required()
def new():
    if not can_write():
        abort(403)
    form = ArticleForm()
    if form.validate_on_submit():
        article = data_access.create_article(
            [current_user.id], form.title.data.strip(), form.body.data,
            description=(form.description.data or "").strip(), status=form.status.data,
            publish_at=form.publish_at.data, tags=form.tag_list(),
        )
        flash(f"Saved “{article['title']}” ({article['status']}).", "success")
        return redirect(url_for("articles.show", slug=article["slug"]))
    return render_template("article_form.html", form=form, article=None), 200 if not form.errors else 422


@bp.route("/articles/<slug>/edit", methods=["GET", "POST"])
@auth_required()
def edit(slug):
    article = data_access.get_article_for_edit(slug)
    if article is None:
        abort(404)
    if not can_edit(article):
        abort(403)
    form = ArticleForm(data={
        "title": article["title"], "description": article["description"], "body": article["body"],
        "tags": ", ".join(article["tags"]), "status": article["status"], "publish_at": article["publish_at_value"],
    })
    if form.validate_on_submit():
        updated = data_access.update_article(
            article["id"], title=form.title.data.strip(), body=form.body.data,
            description=(form.description.data or "").strip(), status=form.status.data,
            publish_at=form.publish_at.data, tags=form.tag_list(),
        )
        flash("Article updated.", "success")
        return redirect(url_for("articles.show", slug=updated["slug"]))
    return render_template("article_form.html", form=form, article=article), 200 if not form.errors else 422
