"""The original likes API: read a count, like an article."""
from flask import abort, jsonify
from flask_security import auth_required, current_user

from application.data import data_access
from application.jobs.dispatch import queue_like_aggregation

from . import bp


@bp.get("/article_likes/<int:article_id>")
def get_article_likes(article_id: int):
    count = data_access.get_like_count(article_id)
    if count is None:
        abort(404, description=f"article {article_id} not found")
    return jsonify({"article_id": article_id, "like_count": count})


@bp.post("/article_likes/<int:article_id>")
@auth_required("token", "session")
def post_article_like(article_id: int):
    if not data_access.article_exists(article_id):
        abort(404, description=f"article {article_id} not found")
    result = data_access.like_article(current_user.id, article_id)
    task_id = queue_like_aggregation(article_id)
    return jsonify({"article_id": article_id, **result, "task_id": task_id}), 202
