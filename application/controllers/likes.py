"""Like/unlike: the row is saved at once, the count is aggregated by a Celery task."""
from flask import Blueprint, abort, flash, jsonify, redirect, request, url_for
from flask_security import auth_required, current_user

from application.data import data_access
from application.jobs.dispatch import recount_after

from .permissions import can_see

bp = Blueprint("likes", __name__)


def _wants_json() -> bool:
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def _respond(slug: str, result: dict, task_id: str | None):
    if _wants_json():
        return jsonify({**result, "task_id": task_id}), 202
    # The page may still show the old stored count for a moment; the message carries the new one.
    flash(f"{'Liked' if result['liked'] else 'Like removed'}: now {result['like_count']} "
          f"like{'' if result['like_count'] == 1 else 's'}.", "success")
    return redirect(url_for("articles.show", slug=slug))


def _visible_article(slug: str) -> dict:
    article = data_access.get_article(slug)
    if article is None or not can_see(article):
        abort(404)
    return article


@bp.post("/articles/<slug>/like")
@auth_required("session", "token")
def like(slug):
    article = _visible_article(slug)
    write = lambda: data_access.like_article(current_user.id, article["id"])  # noqa: E731
    return _respond(slug, *recount_after(article["id"], write))


@bp.post("/articles/<slug>/unlike")
@auth_required("session", "token")
def unlike(slug):
    article = _visible_article(slug)
    write = lambda: data_access.unlike_article(current_user.id, article["id"])  # noqa: E731
    return _respond(slug, *recount_after(article["id"], write))
