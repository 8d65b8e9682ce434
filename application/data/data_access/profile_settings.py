"""Profile settings from the pages: display name, bio, avatar URL, password.

Bio, image and password go through update_account (the RealWorld writer), so one writer
clears every key showing the user and a new password rotates session and token ids.
"""
from flask_security import verify_password

from application.extensions import db

from ..models import User
from . import content_changes, realworld_social


def get_settings(user_id: int) -> dict | None:
    """The editable profile {username, email, display_name, bio, image} (uncached: only its owner sees it)."""
    user = db.session.get(User, user_id)
    if user is None:
        return None
    return {"username": user.username, "email": user.email, "display_name": user.display_name or "",
            "bio": user.bio or "", "image": user.image or ""}


def update_settings(user_id: int, *, display_name: str, bio: str, image: str) -> dict:
    """Save the profile in one commit; clears update_account's keys and get_display_name(user_id)."""
    user = db.session.get(User, user_id)
    user.display_name = display_name or None
    realworld_social.update_account(user_id, bio=bio, image=image)  # commits the display name too
    content_changes.invalidate_display_name(user_id)
    return get_settings(user_id)


def check_password(user_id: int, password: str) -> bool:
    """Whether password is this user's current one."""
    user = db.session.get(User, user_id)
    return bool(user and user.password and verify_password(password, user.password))


def change_password(user_id: int, password: str) -> None:
    """Set a new password (hashed); earlier sessions and API tokens stop working."""
    realworld_social.update_account(user_id, password=password)
