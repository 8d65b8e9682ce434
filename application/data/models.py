"""Tables and relationships only; every query lives in data_access."""
from datetime import datetime, timezone

from flask_security.models import fsqla_v3 as fsqla
from sqlalchemy import CheckConstraint, Index, UniqueConstraint, func

from application.extensions import db

fsqla.FsModels.set_db_info(db)

ARTICLE_STATUSES = ("draft", "scheduled", "published")


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


article_authors = db.Table(
    "article_authors",
    db.Column("article_id", db.Integer, db.ForeignKey("article.id", ondelete="CASCADE"), primary_key=True),
    db.Column("user_id", db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_article_authors_user_id", "user_id"),
)

article_tags = db.Table(
    "article_tags",
    db.Column("article_id", db.Integer, db.ForeignKey("article.id", ondelete="CASCADE"), primary_key=True),
    db.Column("tag_id", db.Integer, db.ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_article_tags_tag_id", "tag_id"),
)

follows = db.Table(
    "follows",
    db.Column("follower_id", db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    db.Column("followed_id", db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_follows_followed_id", "followed_id"),
)


class Role(db.Model, fsqla.FsRoleMixin):
    __tablename__ = "role"


class User(db.Model, fsqla.FsUserMixin):
    __tablename__ = "user"
    bio = db.Column(db.Text, nullable=True)
    image = db.Column(db.String(500), nullable=True)
    display_name = db.Column(db.String(64), nullable=True)  # shown instead of the username when set


# Every token or session check loads the user with its roles by user_id (Flask-Security's
# roles_users has no key of its own): without this each check scanned the whole table.
Index("ix_roles_users_user_id_role_id", fsqla.FsModels.roles_users.c.user_id, fsqla.FsModels.roles_users.c.role_id)

# Usernames are unique whatever their case ("Jake" and "jake" are one name).
Index("uq_user_username_lower", func.lower(User.username), unique=True)


class Article(db.Model):
    __tablename__ = "article"
    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(200), nullable=False)
    slug = db.Column(db.String(220), nullable=False, unique=True)
    description = db.Column(db.String(500), nullable=False, default="")
    body = db.Column(db.Text, nullable=False, default="")
    status = db.Column(db.String(16), nullable=False, default="draft")
    publish_at = db.Column(db.DateTime, nullable=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    # Denormalised: recomputed from the like table by the aggregation task.
    like_count = db.Column(db.Integer, nullable=False, default=0)

    authors = db.relationship("User", secondary=article_authors, lazy="selectin", order_by="User.id")
    tags = db.relationship("Tag", secondary=article_tags, lazy="selectin", order_by="Tag.name")

    __table_args__ = (
        CheckConstraint(f"status IN {ARTICLE_STATUSES!r}", name="ck_article_status"),
        # The index page: published, newest first; id last so a keyset seek on (publish_at, id)
        # is one index range on PostgreSQL too (on SQLite id is the rowid, in every index anyway).
        Index("ix_article_status_publish_at", "status", "publish_at", "id"),
    )


class ListingCount(db.Model):
    """How many published articles a listing holds, kept in the writer's own transaction
    (data_access/listing_counts.py), so a page's total is a primary-key read, not a COUNT.

    kind "published" (ref_id 0): the index; "tag": ref_id = tag.id; "author": ref_id = user.id.
    version goes up whenever the listing's members or their order change (keyset cursors carry it).
    """
    __tablename__ = "listing_count"
    kind = db.Column(db.String(16), primary_key=True)
    ref_id = db.Column(db.Integer, primary_key=True, autoincrement=False)
    n = db.Column(db.Integer, nullable=False, default=0)
    version = db.Column(db.Integer, nullable=False, default=0)


class Tag(db.Model):
    __tablename__ = "tag"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(64), nullable=False, unique=True)


class Like(db.Model):
    __tablename__ = "like"
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), nullable=False)
    article_id = db.Column(db.Integer, db.ForeignKey("article.id", ondelete="CASCADE"), nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    __table_args__ = (
        UniqueConstraint("user_id", "article_id", name="uq_like_user_article"),
        Index("ix_like_article_id_created_at", "article_id", "created_at"),
        # "Most liked this week" on the index page: a range of recent likes, not a scan of all of them.
        Index("ix_like_created_at_article_id", "created_at", "article_id"),
    )


class WeekLikes(db.Model):
    """Per article, its likes of the last 7 days (data_access/week_likes.py): "Most liked this week"
    reads the top rows of ix_week_likes_n_article_id instead of grouping the week's likes.

    Written by the like recount (the articles it recounts) and by beat's refresh (every article, so
    likes older than 7 days leave); counted_at is when n last changed. A row with n 0 is dropped by
    the next refresh.
    """
    __tablename__ = "week_likes"
    article_id = db.Column(db.Integer, db.ForeignKey("article.id", ondelete="CASCADE"), primary_key=True,
                           autoincrement=False)
    n = db.Column(db.Integer, nullable=False)
    counted_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    __table_args__ = (
        # ORDER BY n DESC, article_id DESC LIMIT k: the top of this index, walked backwards.
        Index("ix_week_likes_n_article_id", "n", "article_id"),
    )


class Comment(db.Model):
    __tablename__ = "comment"
    id = db.Column(db.Integer, primary_key=True)
    article_id = db.Column(db.Integer, db.ForeignKey("article.id", ondelete="CASCADE"), nullable=False, index=True)
    author_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), nullable=False)
    body = db.Column(db.Text, nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    author = db.relationship("User", lazy="joined")


class Feedback(db.Model):
    __tablename__ = "feedback"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(100), nullable=False)
    email = db.Column(db.String(255), nullable=False)
    message = db.Column(db.Text, nullable=False)
    user_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="SET NULL"), nullable=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)


class WebhookDelivery(db.Model):
    """A signed webhook payload, stored before it is processed (a repeated delivery id is ignored)."""
    __tablename__ = "webhook_delivery"
    id = db.Column(db.Integer, primary_key=True)
    source = db.Column(db.String(40), nullable=False)
    delivery_id = db.Column(db.String(100), nullable=False)
    event = db.Column(db.String(40), nullable=False)
    payload = db.Column(db.JSON, nullable=False)
    status = db.Column(db.String(16), nullable=False, default="received")  # received|processed|failed
    error = db.Column(db.Text, nullable=True)
    attempts = db.Column(db.Integer, nullable=False, default=0)
    received_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    processed_at = db.Column(db.DateTime, nullable=True)

    __table_args__ = (
        UniqueConstraint("source", "delivery_id", name="uq_webhook_source_delivery"),
        Index("ix_webhook_delivery_received_at", "received_at"),
    )


class DailyDigest(db.Model):
    """Top articles and authors of one UTC day, written by the daily digest job."""
    __tablename__ = "daily_digest"
    id = db.Column(db.Integer, primary_key=True)
    day = db.Column(db.Date, nullable=False, unique=True)
    data = db.Column(db.JSON, nullable=False)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow)
