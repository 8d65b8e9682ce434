"""Who may do what on the pages: the signed-in user against application.permissions' one edit rule."""
from flask_security import current_user

from application.permissions import may_edit


def can_write() -> bool:
    return current_user.is_authenticated and (current_user.has_role("author") or current_user.has_role("editor"))


def can_edit(article: dict) -> bool:
    """The shared rule (co-authors, editors, admins) for the signed-in user."""
    return may_edit(current_user, article.get("author_ids") or [a["id"] for a in article.get("authors", [])])


def can_see(article: dict) -> bool:
    """Published articles are public; drafts and scheduled ones only for those who may edit them."""
    return article["status"] == "published" or can_edit(article)
