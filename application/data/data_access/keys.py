"""Cache keys and the invalidation map: which write clears which keys.

Every cached thing has one key builder here. Writers in data_access call the
`invalidate_*` helpers after their commit, so a concurrent reader cannot
re-cache the old row. Whole pages for anonymous readers use the same builders
(see controllers/page_cache.py), so a writer can delete exactly those pages.

| write                                   | clears                                                 |
|-----------------------------------------|--------------------------------------------------------|
| create/publish/unpublish/delete article | every index page (data version + page keys), authors' lists, the article |
| edit an article                         | the article (old and new slug), its index page, authors' lists |
| like count recomputed                   | the article, the index page that shows it, authors' lists, most-liked |
| profile change (name/bio/image)         | that author's list and every article page/index page showing them |
| any of the above (RealWorld API)        | every API article list and the tag list (versioned: delete_memoized(fn)) |
| profile change (RealWorld API)          | every article's comment list (comments show author profiles) |
| comment added/deleted, article deleted  | that article's comment list |

Per-user data (favorited, following, the feed, lists filtered by a user's
favorites) is never cached: it is computed per request on top of the shared entries.
"""
from flask import current_app
from flask_caching import make_template_fragment_key

from application.extensions import cache


def index_page_key(page: int) -> str:
    return f"page:index:{page}"


def article_page_key(slug: str) -> str:
    return f"page:article:{slug}"


MOST_LIKED_FRAGMENT = "most_liked_sidebar"  # the {% cache %} name in templates/index.html


MOST_LIKED_KEY = "data:most_liked_week"
TAGS_KEY = "data:tags"


def max_cached_index_pages() -> int:
    return current_app.config.get("CACHE_MAX_INDEX_PAGES", 50)


def _delete(*keys: str) -> None:
    if keys:
        cache.delete_many(*keys)


def invalidate_index_all() -> None:
    """The listing changed shape (an article joined, left or moved): every index page."""
    from . import articles

    cache.delete_memoized(articles.list_published_page)  # bumps the function's version
    _delete(*(index_page_key(p) for p in range(1, max_cached_index_pages() + 1)))


def invalidate_index_page(page: int, per_page: int) -> None:
    """One index page's rows changed in place (e.g. a like count)."""
    from . import articles

    cache.delete_memoized(articles.list_published_page, page, per_page)
    _delete(index_page_key(page))


def invalidate_article(slugs, author_ids) -> None:
    """An article's own data: its page (every slug it had) and its authors' lists."""
    from . import articles

    for slug in {s for s in slugs if s}:
        cache.delete_memoized(articles.get_article, slug)
        _delete(article_page_key(slug))
    for user_id in set(author_ids):
        cache.delete_memoized(articles.list_author_articles, user_id)
    invalidate_api_lists()


def invalidate_most_liked() -> None:
    _delete(MOST_LIKED_KEY, make_template_fragment_key(MOST_LIKED_FRAGMENT))


def invalidate_author(user_id: int, username: str | None) -> None:
    """A profile shown on pages changed: the author's lookups and every page showing them."""
    from . import articles, users

    if username:
        cache.delete_memoized(users.get_author, username)
    cache.delete_memoized(articles.list_author_articles, user_id)
    # Author names appear on every listing and on their article pages.
    invalidate_index_all()
    invalidate_api_lists()
    invalidate_comments()
    for slug in articles.slugs_by_author(user_id):
        cache.delete_memoized(articles.get_article, slug)
        _delete(article_page_key(slug))


def invalidate_api_lists() -> None:
    """RealWorld API lists and tags: any article change may move, add or drop entries (versioned)."""
    from . import realworld

    cache.delete_memoized(realworld.list_api_articles)
    cache.delete_memoized(realworld.list_tag_names)


def invalidate_comments(article_id: int | None = None) -> None:
    """One article's comment list, or every one (a commenter's profile changed)."""
    from . import realworld_social

    if article_id is None:
        cache.delete_memoized(realworld_social.list_comments)
    else:
        cache.delete_memoized(realworld_social.list_comments, article_id)
