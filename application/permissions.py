"""The edit rule, one for the HTML pages and the JSON API: co-authors and editors/admins may edit."""


def may_edit(user, author_ids) -> bool:
    """Whether this user (a Flask-Security user, or None) may change an article with these author ids.

    A co-author may edit whatever their role (API sign-ups are readers, and they wrote it);
    editors and admins may edit anything.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.id in set(author_ids) or user.has_role("editor") or user.has_role("admin")
