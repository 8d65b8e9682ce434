"""What the seed writes reads well: usernames, slugs, Markdown that renders, avatars that load."""
import random
import re
import time
from datetime import date

import pytest

from application.controllers import avatars
from application.data import data_access
from application.data.seed import _unique_slug, seed
from application.data.seed_content import AVATAR_COLOURS, USERNAME_RE, article_text, person, slug_base
from application.data.seed_plan import allocate
from application.data.seed_vocab import TAGS, TOPICS
from application.extensions import db
from application.markdown_render import render_markdown


def test_usernames_are_unique_readable_and_valid_even_at_scale():
    rng, taken = random.Random(5), {"demo_author"}
    people = [person(rng, taken) for _ in range(20_000)]
    names = [username for _, username, _ in people]
    assert len({n.lower() for n in names}) == len(names) and "demo_author" not in names
    assert all(USERNAME_RE.match(n) for n in names)
    assert sum(not any(c.isdigit() for c in n) for n in names) > len(names) * 0.8  # names, rarely numbered
    assert all(re.fullmatch(r"[A-Z][a-z]+(-[a-z]+)? [A-Z][a-z]+", full) for full, _, _ in people[:200])
    assert all(re.fullmatch(rf"[A-Z]{{2}}-[0-{AVATAR_COLOURS - 1}]", key) for _, _, key in people)


def test_every_topic_and_template_makes_clean_text():
    rng = random.Random(9)
    for topic in TOPICS:
        assert topic in TAGS and topic not in TOPICS[topic]["related"]
        assert set(TOPICS[topic]["related"]) <= set(TAGS)
        for _ in range(30):
            title, summary, body = article_text(rng, topic)
            assert len(title) <= 200 and len(summary) <= 500
            assert not re.search(r"\{(thing|Thing|other|topic|audience|adj|n)\}", title + summary + body)
            assert slug_base(title) and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug_base(title))


def test_a_body_renders_headings_lists_quotes_code_and_links():
    rng = random.Random(1)
    html = render_markdown(article_text(rng, "postgresql")[2])
    for tag in ("<h2>", "<blockquote>", "<pre><code", '<a href="https://www.postgresql.org'):
        assert tag in html, tag
    assert "<ul>" in html or "<ol>" in html
    assert "<table>" in render_markdown(article_text(rng, "gardening")[2])  # non-technical: a results table


def test_repeated_titles_get_numbered_slugs():
    counters, used = {}, set()
    assert [_unique_slug(s, counters, used) for s in ("a-b", "a-b", "a-b-2", "a-b")] == ["a-b", "a-b-2", "a-b-2-2",
                                                                                          "a-b-3"]


@pytest.mark.parametrize("total,cap", [(0, 5), (17, 5), (50, 5), (1000, 400)])
def test_allocate_is_exact_and_capped(total, cap):
    weights = [random.Random(i).paretovariate(1.2) for i in range(10)]
    shares = allocate(total, weights, cap)
    assert sum(shares) == total and max(shares) <= cap and min(shares) >= 0


def test_seeded_article_page_and_api_read_well(app):
    app
    with app.app_context():
        seed(40, 10, 120, 4, as_of=date.today())
    client = app.test_client()
    listing = client.get("/api/articles?limit=5").get_json()["articles"]
    assert listing and not listing[0]["title"][-1].isdigit()
    page = client.get(f"/articles/{listing[0]['slug']}").get_data(as_text=True)
    assert "<h2>" in page and "<blockquote>" in page and ("<pre><code" in page or "<table>" in page)
    image = listing[0]["author"]["image"]
    assert image.startswith("http://localhost/avatars/")  # absolute: front ends on another origin load it
    svg = client.get(image)
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert "immutable" in svg.headers["Cache-Control"] and len(svg.data) < 600
    with app.app_context():
        assert db.session.execute(db.text("SELECT count(*) FROM article")).scalar() == 40


def test_avatar_route_validates_and_revalidates(app):
    client = app.test_client()
    for bad in ("abc", "A-8", "ABC-1", "a-1", "A_1", "A-"):
        assert client.get(f"/avatars/{bad}.svg").status_code == 404, bad
    first = client.get("/avatars/MO-3.svg")
    assert first.status_code == 200 and b">MO</text>" in first.data and avatars.PALETTE[3].encode() in first.data
    again = client.get("/avatars/MO-3.svg", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert len(avatars.PALETTE) == AVATAR_COLOURS


def test_prefetched_batches_keep_order_pass_errors_and_stop_early():
    from application.data.seed_load import prefetched

    assert list(prefetched(iter([[1], [2], [3]]))) == [[1], [2], [3]]

    def failing():
        yield [1]
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        list(prefetched(failing()))
    produced = []

    def endless():
        n = 0
        while True:
            produced.append(n)
            yield [n]
            n += 1

    batches = prefetched(endless())
    assert next(batches) == [0]
    batches.close()  # the consumer stops (e.g. a database error): the thread must stop too
    count = len(produced)
    time.sleep(0.3)  # a thread still running would have produced thousands more by now
    assert count <= 4 and len(produced) == count


def test_progress_counts_every_row(app):
    seen = []
    with app.app_context():
        seed(30, 12, 80, 2, progress=seen.append, follows_count=5, as_of=date(2026, 11, 20))
    assert sum(seen) == 30 + 12 + 80 + 5


def test_the_api_presents_a_default_avatar_as_a_working_absolute_url(app):
    with app.app_context():
        user_id = data_access.create_user("pic@example.com", "pic_owner", "a-long-password-1")
        data_access.update_account(user_id, image="/avatars/PO-2.svg")
    client = app.test_client()
    image = client.get("/api/profiles/pic_owner").get_json()["profile"]["image"]
    assert image == "http://localhost/avatars/PO-2.svg"
    assert client.get(image).status_code == 200
