"""The original likes API: read a count, like an article (both under the one visibility rule)."""
from flask import abort, jsonify
from flask_security import auth_required, current_user

from application.data import data_access
from application.jobs.dispatch import recount_after

from . import bp


def _viewer() -> tuple[int | None, set[str]]:
    if not current_user.is_authenticated:  # session cookie or Authentication-Token header
        return None, set()
    return current_user.id, {role.name for role in current_user.roles}


def _visible_or_404(article_id: int) -> None:
    # A draft's id answers exactly like a missing one, so ids cannot be enumerated.
    if not data_access.article_visible_to(article_id, *_viewer()):
        abort(404, description=f"article {article_id} not found")


@bp.get("/article_likes/<int:article_id>")
def get_article_likes(article_id: int):
    _visible_or_404(article_id)
    count = data_access.get_like_count(article_id)
    if count is None:
        abort(404, description=f"article {article_id} not found")
    return jsonify({"article_id": article_id, "like_count": count})


@bp.post("/article_likes/<int:article_id>")
@auth_required("token", "session")
def post_article_like(article_id: int):
    _visible_or_404(article_id)
    result, task_id = recount_after(article_id, lambda: data_access.like_article(current_user.id, article_id))
    return jsonify({"article_id": article_id, **result, "task_id": task_id}), 202
