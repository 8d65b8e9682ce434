"""The index page built the naive way: lazy relationships and a COUNT per article.

Mounted only by bench/bench_app.py, to show what eager loading, grouped counts
and caching save. Never registered by the product.
"""
import math

from flask import Blueprint, current_app, render_template, request
from sqlalchemy import func, select, text
from sqlalchemy.orm import lazyload

from application.data.data_access.serialize import iso
from application.data.models import Article, Like
from application.extensions import db

bp = Blueprint("bench_naive", __name__)
# The prototype's naive page had no index on likes.article_id. Our schema has one, so
# /bench/naive stands for that schema by telling SQLite not to use it (NOT INDEXED);
# /bench/naive?index=1 is the same naive code with the index.
NAIVE_COUNT = 'SELECT count(*) FROM "like" NOT INDEXED WHERE article_id = :id'


@bp.get("/bench/naive")
def naive_index():
    page = request.args.get("page", 1, type=int)
    no_index = request.args.get("index") != "1"
    per_page = current_app.config["ARTICLES_PER_PAGE"]
    published = Article.status == "published"
    total = db.session.scalar(select(func.count()).select_from(Article).where(published))
    rows = db.session.scalars(
        select(Article).where(published).options(lazyload(Article.authors), lazyload(Article.tags))
        .order_by(Article.publish_at.desc(), Article.id.desc()).limit(per_page).offset((page - 1) * per_page)
    ).all()
    items = []
    for a in rows:  # one query per relationship and one COUNT per article: the N+1 pattern
        likes = db.session.scalar(text(NAIVE_COUNT) if no_index else
                                  select(func.count()).select_from(Like).where(Like.article_id == a.id),
                                  {"id": a.id} if no_index else None)
        items.append({
            "id": a.id, "slug": a.slug, "title": a.title, "description": a.description,
            "publish_at": iso(a.publish_at), "like_count": likes,
            "authors": [{"id": u.id, "username": u.username} for u in a.authors],
            "tags": [t.name for t in a.tags],
        })
    listing = {"items": items, "total": total, "page": page, "pages": max(1, math.ceil(total / per_page))}
    return render_template("index.html", listing=listing)
