"""Who may do what on the pages: the signed-in user against application.permissions' one edit rule."""
from flask_security import current_user

from application.data import data_access
from application.permissions import may_edit


def can_write() -> bool:
    return current_user.is_authenticated and (current_user.has_role("author") or current_user.has_role("editor"))


def can_edit(article: dict) -> bool:
    """The shared rule (co-authors, editors, admins) for the signed-in user."""
    return may_edit(current_user, article.get("author_ids") or [a["id"] for a in article.get("authors", [])])


def viewer() -> tuple[int | None, set[str]]:
    """The current user as the visibility rule takes it: (id or None, role names)."""
    if not current_user.is_authenticated:
        return None, set()
    return current_user.id, {role.name for role in current_user.roles}


def can_see(article: dict) -> bool:
    """Published articles are public; drafts and scheduled ones only for their authors and editors."""
    if article["status"] == "published":
        return True
    ids = article.get("author_ids") or [a["id"] for a in article["authors"]]
    return data_access.may_see(article["status"], ids, *viewer())
