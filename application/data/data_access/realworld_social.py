"""RealWorld (Conduit) API writes and reads around people: accounts, tokens, follows, comments.

Accounts are Flask-Security's users (one store, one password hash). A token is
Flask-Security's auth token; it names fs_token_uniquifier, which a password
change rotates, so old tokens stop working.
"""
from flask_security import hash_password, verify_password
from sqlalchemy import delete, func, insert, select

from application.extensions import cache, db, security

from ..models import Comment, User, follows
from . import keys, users
from .serialize import author_dict, iso


class AccountConflict(ValueError):
    """Email or username already taken: .fields names which."""

    def __init__(self, fields: list[str]):
        super().__init__(", ".join(fields))
        self.fields = fields


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
    """Create a reader account (Flask-Security hash); returns it with a token. Clears get_author(username)."""
    conflict = _taken(email, username)
    if conflict:
        raise AccountConflict(conflict)
    user_id = users.create_user(email, username, password, roles=("reader",))
    cache.delete_memoized(users.get_author, username)  # may hold a cached "no such user"
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
    db.session.commit()
    keys.invalidate_author(user.id, old_username)
    if user.username != old_username:
        cache.delete_memoized(users.get_author, user.username)
    return account_dict(user)


# -- follows -----------------------------------------------------------------
def follow_user(follower_id: int, followed_id: int) -> None:
    """Record a follow (twice is a no-op). Per-user data: no shared cache to clear."""
    exists = db.session.scalar(select(follows.c.follower_id).where(
        follows.c.follower_id == follower_id, follows.c.followed_id == followed_id))
    if not exists:
        db.session.execute(insert(follows).values(follower_id=follower_id, followed_id=followed_id))
        db.session.commit()


def unfollow_user(follower_id: int, followed_id: int) -> None:
    """Remove a follow if there is one."""
    db.session.execute(delete(follows).where(
        follows.c.follower_id == follower_id, follows.c.followed_id == followed_id))
    db.session.commit()


def is_following(follower_id: int | None, followed_id: int) -> bool:
    """Whether follower follows followed (uncached, per user)."""
    if follower_id is None:
        return False
    return db.session.scalar(select(follows.c.follower_id).where(
        follows.c.follower_id == follower_id, follows.c.followed_id == followed_id)) is not None


# -- comments ----------------------------------------------------------------
def _comment_dict(comment: Comment) -> dict:
    return {"id": comment.id, "body": comment.body, "createdAt": iso(comment.created_at),
            "updatedAt": iso(comment.updated_at), "author": author_dict(comment.author)}


@cache.memoize()
def list_comments(article_id: int) -> list[dict]:
    """An article's comments, newest first, with author profiles. Key: memoize(article_id)."""
    rows = db.session.scalars(select(Comment).where(Comment.article_id == article_id)
                              .order_by(Comment.created_at.desc(), Comment.id.desc()))
    return [_comment_dict(c) for c in rows]


def create_comment(article_id: int, author_id: int, body: str) -> dict:
    """Add a comment; clears list_comments(article_id)."""
    comment = Comment(article_id=article_id, author_id=author_id, body=body)
    db.session.add(comment)
    db.session.commit()
    keys.invalidate_comments(article_id)
    return _comment_dict(comment)


def get_comment(comment_id: int) -> dict | None:
    """{id, article_id, author_id} of a comment, or None (uncached)."""
    row = db.session.execute(select(Comment.id, Comment.article_id, Comment.author_id)
                             .where(Comment.id == comment_id)).first()
    return dict(row._mapping) if row else None


def delete_comment(comment_id: int) -> None:
    """Delete a comment; clears its article's comment list."""
    comment = db.session.get(Comment, comment_id)
    if comment is not None:
        article_id = comment.article_id
        db.session.delete(comment)
        db.session.commit()
        keys.invalidate_comments(article_id)


def rotate_token_identity(user_id: int) -> None:
    """After a password change elsewhere (pages): new token id so old API tokens stop working."""
    user = db.session.get(User, user_id)
    if user is not None:
        security.datastore.set_token_uniquifier(user)
        db.session.commit()
