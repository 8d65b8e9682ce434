"""JSON API blueprint (prefix /api). Errors are JSON: {"errors": {"<field>": ["message"]}}."""
from flask import Blueprint

bp = Blueprint("api", __name__)

from . import likes, tasks  # noqa: E402,F401  (routes register on bp)
