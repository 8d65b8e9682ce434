"""Display names, cached (written by profile_settings, cleared by content_changes)."""
from application.extensions import cache, db

from ..models import User

NAME_TIMEOUT = 3600  # seconds; the one writer clears it at once, this only bounds memory


@cache.memoize(timeout=NAME_TIMEOUT)
def get_display_name(user_id: int) -> str:
    """A user's display name ("" if unset or no such user: memoize does not store None). Key: memoize(user_id)."""
    user = db.session.get(User, user_id)
    return (user.display_name or "") if user else ""
