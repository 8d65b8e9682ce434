"""The invalidation map: which write clears which keys. Writers call these after their commit.

A writer reads everything its call here needs (slugs, author ids, index page) inside its transaction,
before the commit, and runs no SQL after it: a database lost between the commit and the invalidation
would otherwise leave the write stored and its old entries cached (tests/test_writers_commit_last.py).

The only module that deletes cache entries (store.revoke) or bumps generations (store.bump).
Deleting an entry also revokes its lease, so a reader that queried before the commit cannot
store its older value afterwards (store.py). Nothing here queries the database: a writer
passes what it knows (slugs, author ids, the index page it computed).

| write                                     | clears                                                        |
|-------------------------------------------|---------------------------------------------------------------|
| create/publish/unpublish/move/delete      | the article (every slug it had), its page, its authors' lists |
|                                           | and author pages (group author:<id>),                          |
|                                           | every index page (group index), API lists and tags (api_lists) |
| edit in place (title, description, tags)  | the same, but only the one index page that shows it           |
| like count recomputed                     | that count, the article and its page, its authors' lists,     |
|                                           | its index page, API lists, the most-liked list and sidebar     |
| profile change (name, bio, image)         | that author's lookups (old and new username), their list, and  |
|                                           | everything showing people (group people: articles, lists,     |
|                                           | pages, comments)                                               |
| account created / username taken          | the "absent" entry for that username                          |
| comment added/deleted                     | that article's comment list and its page                      |
| article deleted                           | its comment list, and what create/publish/... clears          |
| article text, slug, status (not likes)    | search results and the sitemap (group search)                  |
| username changed                          | search results and the sitemap (they show usernames)           |
| profile change                            | also that user's display name                                  |

Per-user data (favorited, following, the feed, lists filtered by a user's favorites) is
never cached: it is computed per request on top of the shared entries.

Each function here is one Redis round trip (`store.batch()`: every DEL and INCR it makes and the
publish that reaches the in-process tiers go in one pipeline); a caller invalidating many things
in a row wraps them in one more `with store.batch():` (see store.py).
"""
from flask_caching import make_template_fragment_key

from . import keys, store


@store.batch()
def article_changed(slugs, author_ids, index_page: int | str | None, per_page: int, text: bool = True,
                    article_id: int | None = None) -> None:
    """An article's own data changed; index_page: "all" (it joined, left or moved), a page number, or None.
    text=False: only its like count (search results and the sitemap do not show it).
    article_id: its status or authors may have changed (who may see it, by id)."""
    names = [keys.visibility_key(article_id)] if article_id is not None else []
    for slug in {s for s in slugs if s}:
        names += [keys.article_key(slug), keys.article_page_key(slug)]
    names += [keys.author_articles_key(user_id) for user_id in set(author_ids)]
    if isinstance(index_page, int):
        names += [keys.index_data_key(index_page, per_page), keys.index_page_key(index_page)]
    # The most-liked sidebar shows titles and slugs (one cheap query to rebuild).
    names += [keys.MOST_LIKED_KEY, fragment_key(keys.MOST_LIKED_FRAGMENT)]
    store.revoke(*names)
    store.bump(keys.API_LISTS, *(keys.author_group(user_id) for user_id in set(author_ids)),
               *([keys.INDEX] if index_page == "all" else []), *([keys.SEARCH] if text else []))


@store.batch()
def index_page_changed(page: int, per_page: int) -> None:
    """One index page's rows changed in place: its data and its whole page."""
    store.revoke(keys.index_data_key(page, per_page), keys.index_page_key(page))


@store.batch()
def article_deleted(slug: str, article_id: int, author_ids, was_published: bool, per_page: int) -> None:
    """A deleted article: its data, its comments and like count, and the listings that showed it."""
    store.revoke(keys.comments_key(article_id), keys.like_count_key(article_id))
    article_changed([slug], author_ids, "all" if was_published else None, per_page, article_id=article_id)


@store.batch()
def like_count_changed(article_id: int, slug: str, author_ids, index_page: int | None, per_page: int) -> None:
    """Everything that shows this article's like count."""
    store.revoke(keys.like_count_key(article_id))
    article_changed([slug], author_ids, index_page, per_page, text=False)
    most_liked_changed()


@store.batch()
def most_liked_changed() -> None:
    """The week's most-liked list and the sidebar fragment rendered from it."""
    store.revoke(keys.MOST_LIKED_KEY, fragment_key(keys.MOST_LIKED_FRAGMENT))


def fragment_key(name: str) -> str:
    """The store key of a {% cache %} template fragment (see controllers/page_cache.py)."""
    return "fragment:" + make_template_fragment_key(name)


@store.batch()
def person_changed(user_id: int, usernames) -> None:
    """A profile shown on pages changed: their lookups, their list and everything showing people."""
    store.revoke(keys.author_articles_key(user_id), keys.display_name_key(user_id),
                 *(keys.author_key(u) for u in set(usernames) if u),
                 *(keys.author_page_key(u) for u in set(usernames) if u))
    renamed = len({u for u in usernames if u}) > 1
    store.bump(keys.PEOPLE, keys.author_group(user_id), *([keys.SEARCH] if renamed else []))


@store.batch()
def username_taken(username: str) -> None:
    """An account now has this username: drop a cached "no such user"."""
    store.revoke(keys.author_key(username))


@store.batch()
def comments_changed(article_id: int, slug: str) -> None:
    """One article's comment list and its whole page (which shows the comments)."""
    store.revoke(keys.comments_key(article_id), keys.article_page_key(slug))
