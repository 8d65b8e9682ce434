"""GET /admin/digest: the daily digests, today's built on demand if the job has not run yet (admins only)."""
from flask import Blueprint, render_template
from flask_security import auth_required, roles_required

from application.data import data_access

bp = Blueprint("admin_digest", __name__)


@bp.get("/admin/digest")
@auth_required()
@roles_required("admin")
def digest():
    return render_template("admin_digest.html", digests=data_access.list_daily_digests_current())
