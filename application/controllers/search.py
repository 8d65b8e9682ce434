"""Full-text search: ranked published articles, paginated; results are cached per normalised query."""
from flask import abort, render_template, request

from application.data import data_access

from .listing import page_blueprint, page_number, per_page
from .page_forms import SearchForm

bp = page_blueprint("search", __name__)


@bp.get("/search")
def search():
    form = SearchForm(request.args)
    if not form.validate():
        return render_template("search.html", form=form, results=None), 400
    query = (form.q.data or "").strip()
    if not query:
        return render_template("search.html", form=form, results=None)
    page = page_number()
    results = data_access.search_articles(query, page, per_page())
    if page > results["pages"]:
        abort(404)
    return render_template("search.html", form=form, results=results, query=query)
