"""The data access layer: every query, cache key, invalidation and commit.

Controllers, API handlers and tasks call these functions with plain ids and
values and get plain dicts back. Submodules group them by what they touch;
this package re-exports the public ones so callers import one module.
"""
from .articles import (  # noqa: F401
    ArticleError, create_article, delete_article, get_article, get_article_for_edit,
    list_author_articles, list_published_page, publish_due_articles, update_article,
)
from .feedback import create_feedback  # noqa: F401
from .health import check_database, check_redis  # noqa: F401
from .likes import (  # noqa: F401
    article_exists, count_likes, get_like_count, has_liked, like_article, most_liked_this_week,
    reconcile_all_like_counts, recount_article_likes, refresh_most_liked_this_week, unlike_article,
)
from .users import (  # noqa: F401
    ROLES, add_role, count_users, create_user, ensure_roles, get_author, get_user_id_by_email,
    update_profile,
)
from .digest import build_daily_digest, list_daily_digests, store_daily_digests  # noqa: F401
from .webhooks import (  # noqa: F401
    find_article_ref, find_user_id_by_email, finish_webhook_delivery, get_webhook_delivery,
    purge_webhook_deliveries, store_webhook_delivery,
)
from .realworld import (  # noqa: F401
    delete_api_article, favorited_among, followed_among, get_api_article, list_api_articles,
    list_api_articles_favorited, list_feed, list_tag_names,
)
from .realworld_social import (  # noqa: F401
    AccountConflict, authenticate, create_comment, delete_comment, follow_user, get_account, get_comment,
    is_following, list_comments, register_account, rotate_token_identity, unfollow_user, update_account,
)
from .visibility import article_visible_to, get_article_visibility, may_see  # noqa: F401
