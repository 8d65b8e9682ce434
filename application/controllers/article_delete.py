"""Deleting an article (its authors and editors), after a confirmation page."""
from flask import abort, flash, redirect, render_template, url_for
from flask_security import auth_required

from application.data import data_access

from .listing import page_blueprint
from .page_forms import ConfirmForm
from .permissions import can_edit

bp = page_blueprint("article_delete", __name__)


def _deletable(slug: str) -> dict:
    article = data_access.get_article_for_edit(slug)
    if article is None:
        abort(404)
    if not can_edit(article):
        abort(403, "Only the article's authors and editors can delete it.")
    return article


@bp.get("/articles/<slug>/delete")
@auth_required()
def confirm(slug):
    return render_template("article_delete.html", article=_deletable(slug), form=ConfirmForm())


@bp.post("/articles/<slug>/delete")
@auth_required()
def delete(slug):
    article = _deletable(slug)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return render_template("article_delete.html", article=article, form=form), 400
    data_access.delete_api_article(article["id"])  # with its comments and likes; clears its caches
    flash(f"Deleted “{article['title']}”.", "success")
    return redirect(url_for("articles.index"))
