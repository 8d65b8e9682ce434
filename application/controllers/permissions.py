"""Who may do what: small predicates shared by the HTML and JSON views."""
from flask_security import current_user

from application.data import data_access


def can_write() -> bool:
    return current_user.is_authenticated and (current_user.has_role("author") or current_user.has_role("editor"))


def can_edit(article: dict) -> bool:
    """Editors edit anything; authors only articles they co-author."""
    if not current_user.is_authenticated:
        return False
    if current_user.has_role("editor") or current_user.has_role("admin"):
        return True
    return current_user.has_role("author") and current_user.id in article.get("author_ids", [])


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
