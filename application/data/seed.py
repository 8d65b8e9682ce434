"""Deterministic demo data a person would read, bulk-loaded (100k articles / 10k users / 2M likes: 16 CPU s).

The same seed and `as_of` day give identical rows on SQLite and PostgreSQL. Dates are
relative to `as_of` (default: today, 00:00 UTC): articles over the last 90 days, likes
over the last four weeks, so "Most liked this week" has something to show. Each user's
email is user<N>@example.com with the password below (scripts log in with them); names,
usernames, bios and avatars are readable. Article.like_count equals the like rows.
"""
import os
import random
import time
import uuid
from array import array
from contextlib import ExitStack
from datetime import date, datetime, timezone

from flask_security import hash_password
from sqlalchemy import func, insert, select

from application.extensions import db

from .data_access.listing_counts import rebuild_listing_counters
from .data_access.week_likes import WEEK
from .models import Article, Like, Role, Tag, User, utcnow
from .seed_content import article_text, bio, person, slug_base
from .seed_load import DAY, Loader, Timestamps, prefetched
from . import seed_search
from .seed_search import ARTICLE_TYPES, ParallelVectors
from .seed_plan import STATUS_NAMES, ArticlePlan, LikePlan
from .seed_vocab import TAGS, TOPICS

SEED_PASSWORD = "password123"
ARTICLE_BATCH = 5_000  # ~8 MB of Markdown per batch
TAG_NAMES = TAGS


class SeedError(RuntimeError):
    pass


def as_of_seconds(as_of: date | datetime | None) -> int:
    """Epoch seconds of 00:00 UTC on `as_of` (a date, a naive UTC datetime or None for today)."""
    if as_of is None:
        return int(time.time()) // DAY * DAY
    day = as_of.date() if isinstance(as_of, datetime) else as_of
    return int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp())


def seed(articles: int, users: int, likes: int, seed_value: int = 1, progress=lambda n: None,
         follows_count: int = 0, as_of: date | datetime | None = None) -> dict:
    """Insert demo users, articles, likes (and follows) into a database without articles; returns the counts."""
    if db.session.scalar(select(func.count()).select_from(Article)):
        raise SeedError("the database already has articles; seed an empty database")
    if users < 1 or min(articles, likes, follows_count) < 0:
        raise SeedError("users must be at least 1, other counts at least 0")
    n_authors = max(1, users // 10)
    if follows_count > users * n_authors - n_authors:
        raise SeedError("more follows than (user, other author) pairs")
    now = as_of_seconds(as_of)
    plan = ArticlePlan(articles, now, seed_value)
    if likes > users * len(plan.published):
        raise SeedError(f"more likes than (user, published article) pairs: at most {users * len(plan.published)}")
    likes_plan = LikePlan(users, likes, plan, now, seed_value)
    loader, stamp = Loader(db.session), Timestamps()
    dbapi = db.session.get_bind().dialect.loaded_dbapi
    try:
        with loader.tuned():
            uid0, beats = _write_users(loader, users, n_authors, seed_value, now, stamp, progress)
            tag_ids = _ensure_tags()
            aid0 = 1 + (db.session.scalar(select(func.max(Article.id))) or 0)
            _write_articles(loader, plan, likes_plan, uid0, aid0, beats, tag_ids, seed_value, now, stamp, progress)
            _write_likes(loader, likes_plan, uid0, aid0, stamp, progress)
            loader.sync_sequences(("user", "article", "tag", "like"))
            if follows_count:
                _write_follows(loader, uid0, users, n_authors, follows_count, seed_value, progress)
            rebuild_listing_counters()
            db.session.commit()
    except dbapi.IntegrityError as exc:
        raise SeedError(f"seeded rows clash with rows already in the database: {exc}") from exc
    loader.checkpoint()
    loader.analyze()
    counts = {"users": users, "articles": articles, "likes": likes}
    if follows_count:
        counts["follows"] = follows_count
    return counts


def _write_users(loader, users, n_authors, seed_value, now, stamp, progress) -> tuple[int, list[list[str]]]:
    """Users (the first tenth are authors, each with 2-3 topics they write on) and their roles."""
    rng = random.Random(f"{seed_value}:users")
    password = hash_password(SEED_PASSWORD)
    uid0 = 1 + (db.session.scalar(select(func.max(User.id))) or 0)
    taken = {u.lower() for u in db.session.scalars(select(User.username)) if u}
    roles = {r.name: r.id for r in db.session.scalars(select(Role))}
    if not {"reader", "author"} <= roles.keys():
        raise SeedError("roles are missing: run `flask --app main init-db` first")
    beats: list[list[str]] = []
    rows = []
    # The readable name goes in User.display_name where the schema has it (migration 0003 on main).
    with_names = "display_name" in User.__table__.c
    for i in range(users):
        name, username, avatar = person(rng, taken)
        is_author = i < n_authors
        topics = rng.sample(TAGS, rng.randint(2, 3))
        if is_author:
            beats.append(topics)
        joined = stamp(now - rng.randint(91 * DAY, 720 * DAY))
        row = (uid0 + i, f"user{i}@example.com", username, password, True, uuid.UUID(int=rng.getrandbits(128)).hex,
               bio(rng, name.split()[0], topics, is_author), f"/avatars/{avatar}.svg", joined, joined)
        rows.append(row + (name,) if with_names else row)
    columns = ("id", "email", "username", "password", "active", "fs_uniquifier", "bio", "image", "create_datetime",
               "update_datetime")
    loader.load("user", columns + ("display_name",) if with_names else columns, rows, progress)
    role_rows = [(uid0 + i, roles["reader"]) for i in range(users)]
    role_rows += [(uid0 + i, roles["author"]) for i in range(n_authors)]
    loader.load("roles_users", ("user_id", "role_id"), role_rows)
    return uid0, beats


def _ensure_tags() -> dict[str, int]:
    """The vocabulary's tags (created if missing) by name."""
    existing = set(db.session.scalars(select(Tag.name)))
    missing = [{"name": n} for n in TAG_NAMES if n not in existing]
    if missing:
        db.session.execute(insert(Tag), missing)
    return dict(db.session.execute(select(Tag.name, Tag.id).where(Tag.name.in_(TAG_NAMES))).all())


def _write_articles(loader, plan, likes_plan, uid0, aid0, beats, tag_ids, seed_value, now, stamp, progress):
    columns = ("id", "title", "slug", "description", "body", "status", "publish_at", "created_at", "updated_at",
               "like_count")
    vectors, types, size = None, None, ARTICLE_BATCH
    with ExitStack() as stack:
        for table in ("article", "article_authors", "article_tags"):
            stack.enter_context(loader.deferred(table))
        stack.enter_context(loader.full_text_deferred("article"))
        if seed_search.applies(db.session):  # PostgreSQL: vectors on helper connections, binary COPY
            stack.enter_context(seed_search.trigger_disabled(db.session))
            vectors = ParallelVectors(db.engine, os.cpu_count() or 1)
            stack.callback(vectors.close)
            stamp, columns, types = seed_search.stamp_datetime, columns + ("search_vector",), ARTICLE_TYPES
            size = seed_search.BATCH  # one more stage in flight: smaller batches keep the peak RSS down
        batches = prefetched(_article_batches(plan, likes_plan.counts, uid0, aid0, beats, tag_ids, seed_value, now,
                                              stamp, size))  # the next batch's text is written meanwhile
        if vectors:
            batches = prefetched(vectors.attach(batches))
        stack.callback(batches.close)  # on an error, stop the producer threads before the helpers close
        for rows, authors, tags in batches:
            loader.load("article", columns, rows, types=types)
            loader.load("article_authors", ("article_id", "user_id"), authors)
            loader.load("article_tags", ("article_id", "tag_id"), tags)
            progress(len(rows))


def _write_likes(loader, likes_plan, uid0, aid0, stamp, progress):
    """The likes, and the week's tally (week_likes) counted while they are generated: the same rows
    week_likes.rebuild_week_likes() would write, without grouping 2M likes again (~6 s on PostgreSQL).
    The tally starts empty: its rows belong to articles, and the seed's database has none before it."""
    now = utcnow()
    since = (now - WEEK).replace(tzinfo=timezone.utc).timestamp()
    recent = array("i", bytes(4 * len(likes_plan.counts)))
    with loader.deferred("like"):
        like0 = 1 + (db.session.scalar(select(func.max(Like.id))) or 0)
        loader.load("like", ("id", "user_id", "article_id", "created_at"),
                    likes_plan.rows(uid0, aid0, like0, stamp, recent, since), progress, batch=50_000)
    counted_at = now.strftime("%Y-%m-%d %H:%M:%S.%f")  # as SQLAlchemy stores a DateTime on SQLite
    with loader.deferred("week_likes"):
        loader.load("week_likes", ("article_id", "n", "counted_at"),
                    ((aid0 + a, n, counted_at) for a, n in enumerate(recent) if n))


def _article_batches(plan, like_counts, uid0, aid0, beats, tag_ids, seed_value, now, stamp, size=ARTICLE_BATCH):
    """(article rows, author links, tag links) per `size` articles; pure computation, no database."""
    rng = random.Random(f"{seed_value}:text")
    slugs: dict[str, int] = {}
    used: set[str] = set()
    for start in range(0, len(plan.status), size):
        rows, authors, tags = [], [], []
        for i in range(start, min(start + size, len(plan.status))):
            aid, author = aid0 + i, rng.randrange(len(beats))
            topic = rng.choice(beats[author])
            title, summary, body = article_text(rng, topic)
            slug = _unique_slug(slug_base(title), slugs, used)
            created, published, updated = _times(rng, plan.status[i], plan.publish[i], now)
            rows.append((aid, title, slug, summary, body, STATUS_NAMES[plan.status[i]],
                         stamp(published) if published else None, stamp(created), stamp(updated), like_counts[i]))
            authors.append((aid, uid0 + author))
            if len(beats) > 1 and rng.random() < 0.08:  # an occasional co-author
                other = rng.randrange(len(beats) - 1)
                authors.append((aid, uid0 + (other if other < author else other + 1)))
            extra = [t for t in TOPICS[topic]["related"] if t in tag_ids]
            for name in [topic, *rng.sample(extra, min(len(extra), rng.randint(0, 2)))]:
                tags.append((aid, tag_ids[name]))
        yield rows, authors, tags


def _times(rng, status, publish_at, now) -> tuple[int, int, int]:
    """(created, publish or 0, updated): written shortly before publication, sometimes edited after."""
    if status == 2:  # published
        created = publish_at - rng.randint(600, 3 * DAY)
        edited = publish_at + rng.randint(60, 2 * DAY) if rng.random() < 0.2 else publish_at
        return created, publish_at, min(edited, now - 1)
    created = now - rng.randint(DAY, 60 * DAY)
    return created, publish_at, created + rng.randint(0, DAY // 2)


def _unique_slug(base: str, counters: dict[str, int], used: set[str]) -> str:
    """base, then base-2, base-3, ... as data_access names a repeated title."""
    slug, n = base, counters.get(base, 1)
    while slug in used:
        n += 1
        slug = f"{base}-{n}"
    counters[base] = n
    used.add(slug)
    return slug


def _write_follows(loader, uid0, users, n_authors, count, seed_value, progress) -> None:
    # Followed users are authors, so every feed has articles; a separate RNG keeps the
    # users/articles/likes identical to a seed without follows.
    rng = random.Random(f"follows-{seed_value}")
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < count:
        follower, followed = uid0 + rng.randrange(users), uid0 + rng.randrange(n_authors)
        if follower != followed:
            pairs.add((follower, followed))
    loader.load("follows", ("follower_id", "followed_id"), sorted(pairs), progress)
