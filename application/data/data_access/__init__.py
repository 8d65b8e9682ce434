"""The data access layer: every query, cache key, invalidation and commit.

Controllers, API handlers and tasks call these functions with plain ids and values and get
plain dicts back. Modules import one way (docs/architecture.md):

    writers (articles, accounts, comments, follows, likes)
      -> invalidate (the map: the only module that clears cache entries)
      -> cached (every cached read, nothing else) -> store (leases) -> keys, queries, models

This package re-exports the public functions so callers import one module.
"""
from .accounts import (  # noqa: F401
    ROLES, AccountConflict, authenticate, change_password, check_password, create_user, ensure_roles, get_account,
    get_settings, get_user_id_by_email, register_account, rotate_token_identity, update_account, update_profile,
    update_settings,
)
from .articles import (  # noqa: F401
    ArticleError, create_article, delete_article, get_api_article, get_article_for_edit, publish_due_articles, update_article,
)
from .cached import (  # noqa: F401
    MOST_LIKED_LIMIT, article_visible_to, hits_only, get_article, get_article_visibility, get_author, get_display_name, get_like_count, list_api_articles,
    list_author_articles, list_comments, list_published_page, list_sitemap_entries, list_tag_names,
    most_liked_this_week, search_articles,
)
from .comments import create_comment, delete_comment, get_comment  # noqa: F401
from .digest import (  # noqa: F401
    build_daily_digest, list_daily_digests, list_daily_digests_current, store_daily_digests,
)
from .feedback import create_feedback  # noqa: F401
from .follows import follow_user, followed_among, is_following, list_feed, unfollow_user  # noqa: F401
from .health import check_database, check_redis  # noqa: F401
from .likes import (  # noqa: F401
    count_likes, favorited_among, has_liked, like_article, liked_recently,
    list_api_articles_favorited,
    live_like_counts, reconcile_all_like_counts, recount_article_likes, recount_like_batch,
    refresh_most_liked_this_week,
    unlike_article,
)
from .search import normalize_query  # noqa: F401
from .visibility import may_see  # noqa: F401
from .webhooks import (  # noqa: F401
    find_article_ref, find_user_id_by_email, finish_webhook_delivery, get_webhook_delivery,
    purge_webhook_deliveries, store_webhook_delivery,
)

# The API's delete used to remove comments and likes itself; delete_article does that now.
delete_api_article = delete_article
