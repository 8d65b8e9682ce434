"""Cache key builders and groups: the names cached.py stores under and invalidate.py clears.

A key names one entry; a group is a generation number shared by many entries, bumped to
drop them all at once (see store.py). Pages for anonymous readers use the same builders
(controllers/page_cache.py), so a writer clears exactly the pages that show its change.
Nothing here imports a reader or runs a query.
"""
from flask import current_app

# Groups. PEOPLE: anything that shows an author's name, bio or image (a profile change is rare,
# so it refills those entries rather than looking up which ones show that person).
INDEX = "index"          # every index page: data and whole pages
API_LISTS = "api_lists"  # every RealWorld list block and the tag list
PEOPLE = "people"

SEARCH = "search"        # search results and the sitemap: article text, slugs, usernames (no like counts)

INDEX_GROUPS = (INDEX, PEOPLE)
ARTICLE_GROUPS = (PEOPLE,)
API_LIST_GROUPS = (API_LISTS, PEOPLE)
COMMENT_GROUPS = (PEOPLE,)
SEARCH_GROUPS = (SEARCH,)

API_BLOCK = 100  # API lists are cached in aligned blocks of this many cards
API_MAX_CACHED_OFFSET = 1000  # deeper API pages are queried, not cached


def max_cached_index_pages() -> int:
    return current_app.config.get("CACHE_MAX_INDEX_PAGES", 50)


# -- data -------------------------------------------------------------------------
def index_data_key(page: int, per_page: int) -> str:
    return f"index:{per_page}:{page}"


def article_key(slug: str) -> str:
    return f"article:{slug}"


def author_key(username: str) -> str:
    return f"author:{username}"


def author_articles_key(user_id: int) -> str:
    return f"author_articles:{user_id}"


def like_count_key(article_id: int) -> str:
    return f"like_count:{article_id}"


def visibility_key(article_id: int) -> str:
    return f"visibility:{article_id}"


def comments_key(article_id: int) -> str:
    return f"comments:{article_id}"


def api_block_key(tag: str | None, author: str | None, block: int) -> str:
    # repr keeps None apart from the string "None" and escapes separators in a name
    return f"api:{tag!r}:{author!r}:{block}"


def recent_likes_key(user_id: int) -> str:
    return f"liked_recently:{user_id}"


def search_key(query: str, page: int, per_page: int) -> str:
    return f"search:{per_page}:{page}:{query}"  # query: normalised, at most search.MAX_QUERY_LENGTH


def display_name_key(user_id: int) -> str:
    return f"display_name:{user_id}"


TAGS_LIST_KEY = "tags"
SITEMAP_KEY = "sitemap"
MOST_LIKED_KEY = "most_liked_week"
MOST_LIKED_FRAGMENT = "most_liked_sidebar"  # the {% cache %} name in templates/index.html


# -- whole pages --------------------------------------------------------------------
def index_page_key(page: int) -> str:
    return f"page:index:{page}"


def article_page_key(slug: str) -> str:
    return f"page:article:{slug}"


def author_page_key(username: str) -> str:
    return f"page:author:{username}"


def author_group(user_id: int) -> str:
    """A generation per author: bumped when anything on their author page changes."""
    return f"author:{user_id}"
