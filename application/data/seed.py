"""Deterministic demo data, bulk-inserted (10k articles / 1k users / 200k likes in seconds)."""
import random
import uuid
from datetime import datetime, timedelta

from flask_security import hash_password
from sqlalchemy import func, insert, select, text

from application.extensions import db

from .models import Article, Like, Role, Tag, User, article_authors, article_tags, follows

BASE_TIME = datetime(2026, 1, 1, 12, 0, 0)
SEED_PASSWORD = "password123"
WORDS = ("river stone market quiet signal harbour winter garden paper engine orbit lantern "
         "summit thread copper meadow archive beacon canyon delta ember forest glacier island").split()
TAG_NAMES = [f"topic-{i:02d}" for i in range(50)]
CHUNK = 20_000


class SeedError(RuntimeError):
    pass


def _title(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 6))).capitalize() + f" {n}"


def _body(rng: random.Random) -> str:
    paragraphs = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(30, 60))) + "." for _ in range(3)]
    return "## " + rng.choice(WORDS).title() + "\n\n" + "\n\n".join(paragraphs)


def _bulk(table, rows, progress) -> None:
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        db.session.execute(insert(table), chunk)
        progress(len(chunk))


def _sync_sequences() -> None:
    """Explicit ids do not advance PostgreSQL sequences: move them past the rows we wrote."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in ("user", "article", "tag", "like"):
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
            f"(SELECT COALESCE(MAX(id), 1) FROM \"{table}\"))"
        ))


def seed(articles: int, users: int, likes: int, seed_value: int = 1, progress=lambda n: None,
         follows_count: int = 0) -> dict:
    """Insert demo users, articles, likes (and follows); the same seed gives the same data."""
    if db.session.scalar(select(func.count()).select_from(Article)):
        raise SeedError("the database already has articles; seed an empty database")
    if likes > articles * users:
        raise SeedError("more likes than (user, article) pairs")
    n_authors = max(1, users // 10)
    if follows_count > users * n_authors - n_authors:
        raise SeedError("more follows than (user, other author) pairs")
    rng = random.Random(seed_value)
    password = hash_password(SEED_PASSWORD)
    uid0 = (db.session.scalar(select(func.max(User.id))) or 0) + 1
    roles = {r.name: r.id for r in db.session.scalars(select(Role))}
    user_rows = [{
        "id": uid0 + i, "email": f"user{i}@example.com", "username": f"user{i}", "password": password,
        "active": True, "fs_uniquifier": uuid.UUID(int=rng.getrandbits(128)).hex,
        "bio": f"Writer number {i}", "create_datetime": BASE_TIME, "update_datetime": BASE_TIME,
    } for i in range(users)]
    _bulk(User, user_rows, progress)
    author_ids = [r["id"] for r in user_rows[: max(1, users // 10)]]
    role_rows = [{"user_id": r["id"], "role_id": roles["author" if r["id"] in author_ids else "reader"]}
                 for r in user_rows]
    _bulk(db.metadata.tables["roles_users"], role_rows, lambda n: None)

    existing_tags = db.session.scalar(select(func.count()).select_from(Tag))
    if not existing_tags:
        _bulk(Tag, [{"name": n} for n in TAG_NAMES], lambda n: None)
    tag_ids = list(db.session.scalars(select(Tag.id).order_by(Tag.id)))
    aid0 = (db.session.scalar(select(func.max(Article.id))) or 0) + 1
    article_rows, link_rows, tag_rows = [], [], []
    for i in range(articles):
        aid = aid0 + i
        when = BASE_TIME + timedelta(minutes=i)
        status = "published" if rng.random() < 0.95 else rng.choice(["draft", "scheduled"])
        publish_at = when if status == "published" else (when + timedelta(days=3650) if status == "scheduled" else None)
        article_rows.append({
            "id": aid, "title": _title(rng, i), "slug": f"article-{i}", "description": f"Summary of article {i}",
            "body": _body(rng), "status": status, "publish_at": publish_at, "created_at": when,
            "updated_at": when, "like_count": 0,
        })
        for author in rng.sample(author_ids, k=min(len(author_ids), rng.choice([1, 1, 1, 2]))):
            link_rows.append({"article_id": aid, "user_id": author})
        for tag in rng.sample(tag_ids, k=rng.randint(0, 3)):
            tag_rows.append({"article_id": aid, "tag_id": tag})
    _bulk(Article, article_rows, progress)
    _bulk(article_authors, link_rows, lambda n: None)
    _bulk(article_tags, tag_rows, lambda n: None)

    pairs: set[tuple[int, int]] = set()
    while len(pairs) < likes:
        pairs.add((uid0 + rng.randrange(users), aid0 + rng.randrange(articles)))
    like_rows = [{"user_id": u, "article_id": a, "created_at": BASE_TIME + timedelta(seconds=rng.randrange(86400 * 30))}
                 for u, a in sorted(pairs)]
    _bulk(Like, like_rows, progress)
    _sync_sequences()
    if follows_count:
        _seed_follows(uid0, users, author_ids, follows_count, seed_value, progress)
    db.session.execute(text(
        'UPDATE article SET like_count = (SELECT count(*) FROM "like" WHERE "like".article_id = article.id)'
    ))
    db.session.commit()
    counts = {"users": users, "articles": articles, "likes": likes}
    if follows_count:
        counts["follows"] = follows_count
    return counts


def _seed_follows(uid0: int, users: int, author_ids: list[int], count: int, seed_value: int, progress) -> None:
    # Followed users are authors, so every feed has articles; a separate RNG keeps the
    # users/articles/likes identical to a seed without follows.
    rng = random.Random(f"follows-{seed_value}")
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < count:
        follower, followed = uid0 + rng.randrange(users), rng.choice(author_ids)
        if follower != followed:
            pairs.add((follower, followed))
    _bulk(follows, [{"follower_id": a, "followed_id": b} for a, b in sorted(pairs)], progress)
