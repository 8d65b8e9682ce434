"""Comments on article pages: add, delete your own; other open pages get them live (SSE, static/comments.js)."""
from flask import abort, flash, redirect, render_template, url_for
from flask_security import auth_required, current_user

from application.data import data_access

from .listing import page_blueprint
from .page_forms import CommentForm
from .permissions import can_edit

bp = page_blueprint("comments", __name__)


def _published(slug: str) -> dict:
    article = data_access.get_article(slug)
    if article is None or article["status"] != "published":
        abort(404)
    return article


def _article_page(article: dict, form: CommentForm):
    """The article page again, with the comment form's errors (as articles.show renders it for a reader)."""
    liked = data_access.has_liked(current_user.id, article["id"])
    article = {**article, "like_count": data_access.count_likes(article["id"])}
    return render_template("article.html", article=article, liked=liked,
                           can_edit=can_edit({"author_ids": [a["id"] for a in article["authors"]]}),
                           comment_errors=form.body.errors, comment_body=form.body.data or "")


@bp.post("/articles/<slug>/comments")
@auth_required()
def create(slug):
    article = _published(slug)
    form = CommentForm()
    if not form.validate_on_submit():
        return _article_page(article, form), 422
    comment = data_access.create_comment(article["id"], current_user.id, form.body.data.strip())
    flash("Comment posted.", "success")
    return redirect(url_for("articles.show", slug=slug, _anchor=f"comment-{comment['id']}"))


@bp.post("/articles/<slug>/comments/<int:comment_id>/delete")
@auth_required()
def delete(slug, comment_id):
    article = _published(slug)
    comment = data_access.get_comment(comment_id)
    if comment is None or comment["article_id"] != article["id"]:
        abort(404)
    if comment["author_id"] != current_user.id:
        abort(403, "You can only delete your own comments.")
    data_access.delete_comment(comment_id)
    flash("Comment deleted.", "success")
    return redirect(url_for("articles.show", slug=slug, _anchor="comments"))


@bp.app_template_global()
def article_comments(article_id: int) -> list[dict]:
    """For templates/_comments.html: the article's comments, newest first (cached list_comments)."""
    return data_access.list_comments(article_id)
