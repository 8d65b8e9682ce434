"""Accounts and roles (through Flask-Security's datastore) and author profiles."""
from flask_security import hash_password
from sqlalchemy import select

from application.extensions import cache, db, security

from ..models import Role, User
from . import keys
from .serialize import author_dict

ROLES = {
    "reader": "Reads, likes and sends feedback",
    "author": "Writes and schedules own articles",
    "editor": "Edits and schedules any article",
    "admin": "Runs the site",
}


def ensure_roles() -> None:
    """Create the four roles if missing (idempotent)."""
    for name, description in ROLES.items():
        security.datastore.find_or_create_role(name=name, description=description)
    db.session.commit()


@cache.memoize()
def get_author(username: str) -> dict | None:
    """A public profile {id, username, bio, image}, or None. Key: memoize(username)."""
    user = db.session.scalar(select(User).where(User.username == username))
    return author_dict(user) if user else None


def get_user_id_by_email(email: str) -> int | None:
    """The id of the account with this email, or None (uncached)."""
    return db.session.scalar(select(User.id).where(User.email == email))


def create_user(email: str, username: str, password: str, roles=("reader",)) -> int:
    """Create an account with hashed password and roles; returns its id."""
    user = security.datastore.create_user(
        email=email, username=username, password=hash_password(password), roles=list(roles)
    )
    db.session.commit()
    return user.id


def add_role(user_id: int, role: str) -> None:
    """Give a user a role (idempotent)."""
    user = db.session.get(User, user_id)
    security.datastore.add_role_to_user(user, role)
    db.session.commit()


def count_users() -> int:
    """How many accounts exist (uncached)."""
    return db.session.query(User).count()


def update_profile(user_id: int, *, bio=None, image=None) -> dict:
    """Change what pages show of a user; clears every key that shows them."""
    user = db.session.get(User, user_id)
    if bio is not None:
        user.bio = bio
    if image is not None:
        user.image = image
    db.session.commit()
    keys.invalidate_author(user.id, user.username)
    return author_dict(user)


def role_by_name(name: str) -> Role | None:
    return db.session.scalar(select(Role).where(Role.name == name))
