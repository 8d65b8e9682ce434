"""Live soak through a real gunicorn (gevent) and Celery worker: a writer edits an article and
likers like it while readers read every cached path. No read that started after an edit had
returned may show an older revision. SOAK_SECONDS sets the length (default 15: the suite runs it once per
database; set it longer to soak for real)."""
import os
import re
import threading
import time

import requests
from sqlalchemy import func, select

from application.data import data_access
from application.data.models import Like
from application.extensions import db

from . import factories
from .processes import stack_app, web, worker  # noqa: F401  (fixtures)

SOAK_SECONDS = float(os.environ.get("SOAK_SECONDS") or 15)
REV = re.compile(r"rev-(\d+)-end")


def _setup(app):
    with app.app_context():
        author = factories.make_user("soak_author", roles=("author",))
        article = factories.make_article(author, title="Soak target", description="rev-0-end", body="rev-0-end")
        for i in range(3):
            factories.make_article(author, title=f"Neighbour {i}")
        fans = [factories.make_user(f"soakfan{i}") for i in range(3)]
        token = data_access.authenticate(author["email"], author["password"])["token"]
        fan_tokens = [data_access.authenticate(f["email"], f["password"])["token"] for f in fans]
    return article, token, fan_tokens


def test_no_read_after_a_write_shows_the_old_value(stack_app, worker, web):
    article, token, fan_tokens = _setup(stack_app)
    slug = article["slug"]
    paths = [f"/articles/{slug}", "/", f"/api/articles/{slug}", "/api/articles?limit=20", "/?utm_source=soak"]
    writes: list[tuple[float, int]] = []  # (monotonic time the PUT returned, revision)
    reads: list[tuple[float, int, str]] = []  # (monotonic time the GET started, revision seen, path)
    errors: list[str] = []
    took: dict[str, list[float]] = {}
    stop = time.monotonic() + SOAK_SECONDS

    def writer():
        s, n = requests.Session(), 0
        while time.monotonic() < stop:
            n += 1
            r = s.put(f"{web}/api/articles/{slug}", timeout=20, headers={"Authorization": f"Token {token}"},
                      json={"article": {"description": f"rev-{n}-end", "body": f"rev-{n}-end"}})
            if r.status_code != 200:
                errors.append(f"PUT {r.status_code}")
            writes.append((time.monotonic(), n))
            time.sleep(0.3)

    def liker(tok):
        s, like = requests.Session(), True
        while time.monotonic() < stop:
            method = s.post if like else s.delete
            r = method(f"{web}/api/articles/{slug}/favorite", timeout=20, headers={"Authorization": f"Token {tok}"})
            if r.status_code != 200:
                errors.append(f"favorite {r.status_code}")
            like = not like
            time.sleep(0.3)

    def reader(offset):
        s, i = requests.Session(), offset
        while time.monotonic() < stop:
            path = paths[i % len(paths)]
            i += 1
            started = time.monotonic()
            r = s.get(web + path, timeout=20)
            if r.status_code != 200:
                errors.append(f"GET {path} {r.status_code}")
                continue
            seen = [int(m) for m in REV.findall(r.text)]
            if not seen:
                errors.append(f"GET {path}: no revision shown")
                continue
            reads.append((started, max(seen), path))
            took.setdefault(path, []).append(time.monotonic() - started)

    threads = [threading.Thread(target=writer)] + [threading.Thread(target=liker, args=(t,)) for t in fan_tokens]
    threads += [threading.Thread(target=reader, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(SOAK_SECONDS + 60)
    assert not errors, errors[:10]
    print({p: f"{sorted(v)[len(v) // 2] * 1000:.0f} ms x{len(v)}" for p, v in took.items()})
    # Enough of both to mean something even on a loaded 2-core machine.
    assert len(writes) >= 10 and len(reads) >= 100, (len(writes), len(reads))
    stale = []
    for started, seen, path in reads:
        done_before = [n for t, n in writes if t < started]
        if done_before and seen < max(done_before):
            stale.append((path, seen, max(done_before)))
    assert stale == [], f"{len(stale)} stale reads of {len(reads)}: {stale[:5]}"
    # Likes converge: the worker's recount and its invalidation reach the cached count.
    with stack_app.app_context():
        rows = db.session.scalar(select(func.count()).select_from(Like).where(Like.article_id == article["id"]))
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        count = requests.get(f"{web}/api/articles/{slug}", timeout=20).json()["article"]["favoritesCount"]
        if count == rows:
            break
        time.sleep(0.2)
    assert count == rows
    print(f"soak {SOAK_SECONDS:.0f} s: {len(writes)} edits, {len(reads)} reads, 0 stale; likes converged at {rows}")
