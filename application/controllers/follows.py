"""Follow and unfollow authors from their pages (the RealWorld follow writers)."""
from flask import abort, flash, redirect, request, url_for
from flask_security import auth_required, current_user

from application.data import data_access

from .listing import page_blueprint

bp = page_blueprint("follows", __name__)


def _author(username: str) -> dict:
    author = data_access.get_author(username)
    if author is None:
        abort(404)
    return author


def _back(username: str):
    # Back where the button was (an author page or the feed), never to another site.
    target = request.form.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("authors.show", username=username)
    return redirect(target)


@bp.post("/authors/<username>/follow")
@auth_required()
def follow(username):
    author = _author(username)
    if author["id"] == current_user.id:
        flash("You cannot follow yourself.", "info")
        return _back(username)
    data_access.follow_user(current_user.id, author["id"])
    flash(f"You follow {username}: their new articles appear in your feed.", "success")
    return _back(username)


@bp.post("/authors/<username>/unfollow")
@auth_required()
def unfollow(username):
    author = _author(username)
    data_access.unfollow_user(current_user.id, author["id"])
    flash(f"You no longer follow {username}.", "success")
    return _back(username)


@bp.app_template_global()
def follows_author(author_id: int) -> bool:
    """For the follow button: whether the logged-in reader follows this author (False when anonymous)."""
    if not current_user.is_authenticated:
        return False
    return data_access.is_following(current_user.id, author_id)
