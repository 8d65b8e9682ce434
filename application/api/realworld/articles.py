"""Articles: lists (global, feed), one article, create/update/delete, favorites."""
from flask import jsonify

from application.data import data_access
from application.permissions import may_edit
from application.jobs.dispatch import recount_after

from . import bp, schemas
from .common import ApiError, body, current_api_user, current_user_id, operation, query
from .present import article_list, single_article

ARTICLE_ERRORS = {401: None, 403: schemas.GenericError, 404: schemas.GenericError, 422: schemas.GenericError}


def _may_edit(card: dict) -> bool:
    return may_edit(current_api_user(), card["author_ids"])


def _viewer() -> tuple[int | None, set[str]]:
    user = current_api_user()
    return (user.id, {role.name for role in user.roles}) if user is not None else (None, set())


def visible_article(slug: str, viewer: tuple | None = None) -> dict:
    """The article card, or 404; drafts and scheduled articles only for those who may edit them.

    viewer: (user id, role names); None means the caller of this request."""
    card = data_access.get_api_article(slug)
    if card is None or not data_access.may_see(card["status"], card["author_ids"], *(viewer or _viewer())):
        raise ApiError(404, f"slug: no article {slug!r}")
    return card


# The answers of the cached reads, for a given caller: the views below and the anonymous fast path
# (fast_reads.py) both build them here, so the two cannot drift apart.
def list_answer(args: dict, user_id: int | None) -> dict:
    """GET /articles for validated ArticleFilters args."""
    tag, author, limit, offset = args.get("tag"), args.get("author"), args["limit"], args["offset"]
    if args.get("favorited") is not None:
        page = data_access.list_api_articles_favorited(args["favorited"], tag, author, limit, offset)
    else:
        page = data_access.list_api_articles(tag, author, limit, offset)
    return article_list(page, user_id, author=author)


def article_answer(slug: str, user_id: int | None, viewer: tuple | None = None) -> dict:
    """GET /articles/<slug> (ApiError 404 if this viewer may not see it)."""
    return single_article(visible_article(slug, viewer), user_id)


def _editable(slug: str) -> dict:
    card = visible_article(slug)
    if not _may_edit(card):
        raise ApiError(403, "slug: only the article's author may change it")
    return card


@bp.get("/articles")
@operation("Get recent articles globally", tag="Articles", auth="optional", query_schema=schemas.ArticleFilters,
     responses={200: schemas.MultipleArticlesResponse, 401: None, 422: schemas.GenericError})
def list_articles():
    return jsonify(list_answer(query(schemas.ArticleFilters), current_user_id()))


@bp.get("/articles/feed")
@operation("Get recent articles from users you follow", tag="Articles", auth="required", query_schema=schemas.Pagination,
     responses={200: schemas.MultipleArticlesResponse, 401: None, 422: schemas.GenericError})
def feed():
    args = query(schemas.Pagination)
    page = data_access.list_feed(current_user_id(), args["limit"], args["offset"])
    return jsonify(article_list(page, current_user_id()))


@bp.post("/articles")
@operation("Create an article", tag="Articles", auth="required", body_schema=schemas.NewArticleRequest,
     responses={201: schemas.SingleArticleResponse, 401: None, 422: schemas.GenericError})
def create_article():
    data = body(schemas.NewArticleRequest)
    created = data_access.create_article([current_user_id()], data["title"].strip(), data["body"],
                                         description=data["description"], status="published",
                                         tags=data.get("tagList") or ())
    card = data_access.get_api_article(created["slug"])
    return jsonify(single_article(card, current_user_id(), favorited=False)), 201


@bp.get("/articles/<slug>")
@operation("Get an article", tag="Articles", auth="optional",
     responses={200: schemas.SingleArticleResponse, 401: None, 404: schemas.GenericError})
def get_article(slug: str):
    return jsonify(article_answer(slug, current_user_id()))


@bp.put("/articles/<slug>")
@operation("Update an article", tag="Articles", auth="required", body_schema=schemas.UpdateArticleRequest,
     responses={200: schemas.SingleArticleResponse, **ARTICLE_ERRORS})
def update_article(slug: str):
    card = _editable(slug)
    data = body(schemas.UpdateArticleRequest)
    if not data:
        raise ApiError(422, "article: at least one of title, description, body, tagList is required")
    updated = data_access.update_article(
        card["id"], title=data["title"].strip() if "title" in data else None, body=data.get("body"),
        description=data.get("description"), tags=data.get("tagList"), regenerate_slug=True)
    return jsonify(single_article(data_access.get_api_article(updated["slug"]), current_user_id()))


@bp.delete("/articles/<slug>")
@operation("Delete an article", tag="Articles", auth="required", responses={204: None, **ARTICLE_ERRORS})
def delete_article(slug: str):
    data_access.delete_article(_editable(slug)["id"])
    return "", 204


def _favorite(slug: str, like: bool):
    card = visible_article(slug)
    change = data_access.like_article if like else data_access.unlike_article
    # The stored count is recomputed by the same Celery task the pages use (and it pushes the SSE event);
    # the answer already includes this caller's change.
    result, _ = recount_after(card["id"], lambda: change(current_user_id(), card["id"]))
    return jsonify(single_article(card, current_user_id(), favorited=like, count=result["like_count"]))


@bp.post("/articles/<slug>/favorite")
@operation("Favorite an article", tag="Favorites", auth="required",
     responses={200: schemas.SingleArticleResponse, 401: None, 404: schemas.GenericError})
def favorite(slug: str):
    return _favorite(slug, True)


@bp.delete("/articles/<slug>/favorite")
@operation("Unfavorite an article", tag="Favorites", auth="required",
     responses={200: schemas.SingleArticleResponse, 401: None, 404: schemas.GenericError})
def unfavorite(slug: str):
    return _favorite(slug, False)
