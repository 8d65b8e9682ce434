"""Account writers and per-user account reads: roles, users (Flask-Security's datastore), profiles, tokens.

Accounts are Flask-Security's users (one store, one password hash). A token is
Flask-Security's auth token; it names fs_token_uniquifier, which a password
change rotates, so old tokens stop working.
"""
import functools

from flask_security import SQLAlchemyUserDatastore, hash_password, user_registered, verify_password
from flask_security.models import fsqla_v3 as fsqla
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import contains_eager

from application.extensions import db, security

from ..models import Role, User
from . import invalidate
from .serialize import author_dict

ROLES = {
    "reader": "Reads, likes and sends feedback",
    "author": "Writes and schedules own articles",
    "editor": "Edits and schedules any article",
    "admin": "Runs the site",
}


class UserDatastore(SQLAlchemyUserDatastore):
    """Flask-Security's datastore, finding users with their roles in one flat join.

    Its own find_user (run by every token and session check) eager-loads roles as
    `user LEFT JOIN (roles_users JOIN role)`; SQLite materializes that nested join whole, so each
    check read every user's roles (0.4 ms at 1k users, growing with them). `user LEFT JOIN
    roles_users LEFT JOIN role` finds the same rows through ix_roles_users_user_id_role_id.
    """

    def find_user(self, case_insensitive: bool = False, **kwargs) -> User | None:
        (attr, value), = kwargs.items()  # Flask-Security passes exactly one unique attribute
        statement = _find_user_statement(attr, case_insensitive)
        users = db.session.scalars(statement, {"value": value}).unique().all()  # all rows: one per role
        return users[0] if users else None


@functools.cache
def _find_user_statement(attr: str, case_insensitive: bool):
    """find_user's statement for this attribute, built once per process (hot path: building it and its
    cache key cost as much as running it, ~0.3 of ~0.6 ms a token or session check on the 2-core VM)."""
    column, value = getattr(User, attr), bindparam("value")
    condition = func.lower(column) == func.lower(value) if case_insensitive else column == value
    links = fsqla.FsModels.roles_users
    return (select(User).outerjoin(links, links.c.user_id == User.id)
            .outerjoin(Role, Role.id == links.c.role_id)
            .options(contains_eager(User.roles)).where(condition))


class AccountConflict(ValueError):
    """Email or username already taken: .fields names which."""

    def __init__(self, fields: list[str]):
        super().__init__(", ".join(fields))
        self.fields = fields


def ensure_roles() -> None:
    """Create the four roles if missing (idempotent)."""
    for name, description in ROLES.items():
        security.datastore.find_or_create_role(name=name, description=description)
    db.session.commit()


def get_user_id_by_email(email: str) -> int | None:
    """The id of the account with this email, or None (uncached)."""
    return db.session.scalar(select(User.id).where(User.email == email))


def create_user(email: str, username: str, password: str, roles=("reader",)) -> int:
    """Create an account with hashed password and roles; returns its id. Clears a cached "no such user"."""
    user = security.datastore.create_user(
        email=email, username=username, password=hash_password(password), roles=list(roles)
    )
    db.session.flush()
    user_id = user.id
    db.session.commit()
    invalidate.username_taken(username)
    return user_id


def _registered_on_pages(sender, user, **extra) -> None:
    # Flask-Security's own /register writes through its datastore, not create_user.
    invalidate.username_taken(user.username)


user_registered.connect(_registered_on_pages)


def update_profile(user_id: int, *, bio=None, image=None) -> dict:
    """Change what pages show of a user; clears every key that shows them."""
    user = db.session.get(User, user_id)
    if bio is not None:
        user.bio = bio
    if image is not None:
        user.image = image
    profile = author_dict(user)  # before the commit (invalidate.py)
    db.session.commit()
    invalidate.person_changed(user_id, [profile["username"]])
    return profile


def account_dict(user: User) -> dict:
    return {**author_dict(user), "email": user.email, "token": user.get_auth_token()}


def _taken(email: str | None, username: str | None, exclude_id: int | None = None) -> list[str]:
    fields = []
    if email is not None and db.session.scalar(select(User.id).where(
            func.lower(User.email) == email.lower(), User.id != (exclude_id or -1))):
        fields.append("email")
    if username is not None and db.session.scalar(select(User.id).where(
            User.username == username, User.id != (exclude_id or -1))):
        fields.append("username")
    return fields


def register_account(email: str, username: str, password: str) -> dict:
    """Create a reader account (Flask-Security hash); returns it with a token. Clears author:<username>."""
    conflict = _taken(email, username)
    if conflict:
        raise AccountConflict(conflict)
    user_id = create_user(email, username, password, roles=("reader",))
    return account_dict(db.session.get(User, user_id))


def authenticate(email: str, password: str) -> dict | None:
    """The account with a fresh token if email and password match an active user, else None."""
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))
    if user is None or not user.password:
        hash_password(password)  # the same cost as a wrong password: no timing oracle for unknown emails
        return None
    if not verify_password(password, user.password) or not user.active:
        return None
    return account_dict(user)


def get_account(user_id: int) -> dict | None:
    """The current user's account with a token, or None (uncached: it is per user)."""
    user = db.session.get(User, user_id)
    return account_dict(user) if user else None


def update_account(user_id: int, *, email=None, username=None, password=None, bio=None, image=None) -> dict:
    """Change the account; a new password rotates token and session ids. Clears every key showing the user."""
    user = db.session.get(User, user_id)
    conflict = _taken(email, username, exclude_id=user_id)
    if conflict:
        raise AccountConflict(conflict)
    old_username = user.username
    for field, value in (("email", email), ("username", username), ("bio", bio), ("image", image)):
        if value is not None:
            setattr(user, field, value)
    if password is not None:
        user.password = hash_password(password)
        # New session and token identities: earlier sessions and auth tokens stop working.
        security.datastore.set_uniquifier(user)
        security.datastore.set_token_uniquifier(user)
    account = account_dict(user)  # before the commit (invalidate.py)
    db.session.commit()
    invalidate.person_changed(user_id, [old_username, account["username"]])
    return account


def rotate_token_identity(user_id: int) -> None:
    """After a password change elsewhere (pages): new token id so old API tokens stop working."""
    user = db.session.get(User, user_id)
    if user is not None:
        security.datastore.set_token_uniquifier(user)
        db.session.commit()


# -- profile settings from the pages ------------------------------------------------------
def get_settings(user_id: int) -> dict | None:
    """The editable profile {username, email, display_name, bio, image} (uncached: only its owner sees it)."""
    user = db.session.get(User, user_id)
    if user is None:
        return None
    return {"username": user.username, "email": user.email, "display_name": user.display_name or "",
            "bio": user.bio or "", "image": user.image or ""}


def update_settings(user_id: int, *, display_name: str, bio: str, image: str) -> dict:
    """Save display name, bio and avatar URL in one commit; clears what update_account clears."""
    user = db.session.get(User, user_id)
    user.display_name = display_name or None
    account = update_account(user_id, bio=bio, image=image)  # commits the display name too
    return {"username": account["username"], "email": account["email"], "display_name": display_name or "",
            "bio": account["bio"] or "", "image": account["image"] or ""}


def check_password(user_id: int, password: str) -> bool:
    """Whether password is this user's current one."""
    user = db.session.get(User, user_id)
    return bool(user and user.password and verify_password(password, user.password))


def change_password(user_id: int, password: str) -> None:
    """Set a new password (hashed); earlier sessions and API tokens stop working."""
    update_account(user_id, password=password)
