"""Comments on an article, and the tag list."""
from flask import jsonify

from application.data import data_access

from . import bp, schemas
from .articles import visible_article
from .common import ApiError, body, current_api_user, current_user_id, operation
from .present import comment as _comment


@bp.get("/articles/<slug>/comments")
@operation("Get comments for an article", tag="Comments", auth="optional",
     responses={200: schemas.MultipleCommentsResponse, 401: None, 404: schemas.GenericError})
def list_comments(slug: str):
    comments = data_access.list_comments(visible_article(slug)["id"])
    followed = data_access.followed_among(current_user_id(), {c["author"]["id"] for c in comments})
    return jsonify({"comments": [_comment(c, followed) for c in comments]})


@bp.post("/articles/<slug>/comments")
@operation("Create a comment for an article", tag="Comments", auth="required", body_schema=schemas.NewCommentRequest,
     responses={200: schemas.SingleCommentResponse, 401: None, 404: schemas.GenericError,
                422: schemas.GenericError})
def create_comment(slug: str):
    card = visible_article(slug)
    data = body(schemas.NewCommentRequest)
    comment = data_access.create_comment(card["id"], current_user_id(), data["body"])
    return jsonify({"comment": _comment(comment, set())})


@bp.delete("/articles/<slug>/comments/<int(max=9223372036854775807):comment_id>")
@operation("Delete a comment for an article", tag="Comments", auth="required",
     responses={204: None, 401: None, 403: schemas.GenericError, 404: schemas.GenericError})
def delete_comment(slug: str, comment_id: int):
    card = visible_article(slug)
    comment = data_access.get_comment(comment_id)
    if comment is None or comment["article_id"] != card["id"]:
        raise ApiError(404, f"id: no comment {comment_id} on this article")
    if comment["author_id"] != current_api_user().id:
        raise ApiError(403, "id: only the comment's author may delete it")
    data_access.delete_comment(comment_id)
    return "", 204


@bp.get("/tags")
@operation("Get tags", tag="Tags", responses={200: schemas.TagsResponse})
def tags():
    return jsonify(tags_answer())


def tags_answer() -> dict:
    """GET /tags (the same for everyone); also the fast path's."""
    return {"tags": data_access.list_tag_names()}
