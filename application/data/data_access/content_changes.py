"""Invalidation for the page-parity reads (search, sitemap, display names, article pages with comments).

| write                                              | clears                                        |
|----------------------------------------------------|-----------------------------------------------|
| any committed article insert/edit/delete/publish,  | every search_page entry (versioned) and       |
| tag change, username change, user deleted          | list_sitemap_entries()                        |
| comment posted/removed on a page                   | that article's whole-page key (+ list_comments via create/delete_comment) |
| profile settings saved                             | get_display_name(user_id) (+ update_account's own keys) |

Article writers live in modules this branch does not change, so search and sitemap are cleared by
a session hook: a flush that touches an Article, a Tag or a username marks the session, and its
commit clears them (a rollback forgets the mark). Like counts are written with UPDATE statements,
never through the ORM, so likes do not churn the search cache.
"""
from sqlalchemy import event, inspect

from application.extensions import cache, db

from ..models import Article, Tag, User
from . import display_names, keys, search, site_feeds

_MARK = "bs_search_stale"
_USER_FIELDS = ("username",)  # what search results and the sitemap show of a user


def invalidate_search() -> None:
    """Every cached search page and the sitemap (an article joined, left, moved or changed text)."""
    cache.delete_memoized(search.search_page)
    cache.delete_memoized(site_feeds.list_sitemap_entries)


def invalidate_article_page(slug: str) -> None:
    """An article's whole cached page (anonymous readers), e.g. after a comment."""
    cache.delete(keys.article_page_key(slug))


def invalidate_display_name(user_id: int) -> None:
    cache.delete_memoized(display_names.get_display_name, user_id)


def _touches_content(obj) -> bool:
    if isinstance(obj, (Article, Tag)):
        return True
    if isinstance(obj, User):
        state = inspect(obj)
        # A new account is in no result yet; a deleted one or a new public name changes bylines.
        return state.deleted or any(state.attrs[f].history.has_changes() for f in _USER_FIELDS)
    return False


@event.listens_for(db.session, "after_flush")
def _mark(session, flush_context) -> None:
    if any(_touches_content(o) for o in (*session.new, *session.dirty, *session.deleted)):
        session.info[_MARK] = True


@event.listens_for(db.session, "after_commit")
def _clear(session) -> None:
    if session.info.pop(_MARK, False):
        invalidate_search()


@event.listens_for(db.session, "after_soft_rollback")
def _forget(session, previous_transaction) -> None:
    session.info.pop(_MARK, None)
