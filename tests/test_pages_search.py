"""Full-text search: ranking, stemming, drafts hidden, paging, hostile input, backfill, per-query cache."""
import re

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from application import migrations
from application.data import data_access
from application.data.data_access import keys, search
from application.data.models import utcnow
from application.extensions import db

from . import databases
from .conftest import _dispose, build_app, login, make_config
from .pages_helpers import stored, timing


def _titles(client, query, page=None):
    path = f"/search?q={query}" + (f"&page={page}" if page else "")
    r = client.get(path)
    assert r.status_code == 200, (path, r.status_code)
    return re.findall(r'<h2 class="h5 mb-1"><a href="/articles/[^"]+">([^<]+)</a>', r.get_data(as_text=True))


def test_results_are_ranked_stemmed_and_only_published(client, make_user, make_article):
    author = make_user("sauthor", roles=("author",))
    make_article(author, title="Gardening notes", body="Once I saw dragons in the garden.", minutes_ago=1)
    make_article(author, title="Dragons of the north", body="All about the beasts.", minutes_ago=5)
    make_article(author, title="Dragon draft", body="dragons", status="draft")
    make_article(author, title="Unrelated", body="Nothing to see")
    # A title match (weight A) ranks above a body match (weight C) although it is older; "dragon" finds "dragons".
    assert _titles(client, "dragon") == ["Dragons of the north", "Gardening notes"]
    assert _titles(client, "DRAGONS  garden") == ["Gardening notes"]  # every word must match
    assert _titles(client, "zebra") == []
    assert "No article matches these words" in client.get("/search?q=zebra").get_data(as_text=True)


def test_paging_and_bad_pages(app, client, make_user, make_article):
    app.config["ARTICLES_PER_PAGE"] = 2
    author = make_user(roles=("author",))
    for i in range(5):
        make_article(author, title=f"Kettle story {i}", minutes_ago=10 - i)
    first, second, third = (_titles(client, "kettle", p) for p in (1, 2, 3))
    assert len(first) == 2 and len(second) == 2 and len(third) == 1
    assert len(set(first + second + third)) == 5
    assert "5 results" in client.get("/search?q=kettle&page=2").get_data(as_text=True)
    for bad in ("0", "4", "-1", "x", "1.5", "99999999999"):
        assert client.get(f"/search?q=kettle&page={bad}").status_code == 404, bad


def test_hostile_and_odd_queries_never_fail(client, make_user, make_article):
    author = make_user(roles=("author",))
    make_article(author, title="Quotes and stars", body="C++ and SQL: a story")
    for q in ('"unbalanced', "NEAR(quotes", "star*", "quotes OR stars", "-quotes", "title:quotes", "'; DROP TABLE article; --",
              "%25", "%00", "the", "!!!", "ünïcödé", "a" * 200):
        r = client.get("/search", query_string={"q": q})
        assert r.status_code == 200, q
    assert _titles(client, "quotes") == ["Quotes and stars"]


def test_empty_and_too_long_queries_re_render_the_form(client):
    r = client.get("/search")
    assert r.status_code == 200 and 'name="q"' in r.get_data(as_text=True) and "result" not in r.get_data(as_text=True)
    r = client.get("/search", query_string={"q": "nul\x00byte"})  # answered by the edge guard
    assert r.status_code == 422 and "must not contain NUL characters" in r.get_data(as_text=True)
    r = client.get("/search", query_string={"q": "x" * 201})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "Searches are at most 200 characters." in html and 'name="q"' in html


def test_migration_backfills_articles_written_before_it(tmp_path):
    app = migrations.bound(build_app(make_config(tmp_path, SQLALCHEMY_DATABASE_URI=databases.empty_database_url(tmp_path))))
    try:
        with app.app_context():
            upgrade(revision="0002")
            now = utcnow()
            db.session.execute(sa.text(
                "INSERT INTO article (title, slug, description, body, status, publish_at, created_at, updated_at,"
                " like_count) VALUES (:t, :s, '', :b, 'published', :n, :n, :n, 0)"),
                {"t": "Old lighthouse keeper", "s": "old-lighthouse-keeper", "b": "Written before search", "n": now})
            db.session.commit()
            upgrade()  # 0003 builds the index over what is there
            found = data_access.search_articles("lighthouse keepers", 1, 20)
            assert [a["slug"] for a in found["items"]] == ["old-lighthouse-keeper"] and found["total"] == 1
            db.session.remove()
    finally:
        _dispose(app)


def test_search_schema_downgrades_and_upgrades_again(tmp_path):
    app = migrations.bound(build_app(make_config(tmp_path, SQLALCHEMY_DATABASE_URI=databases.empty_database_url(tmp_path))))
    try:
        with app.app_context():
            upgrade()
            downgrade(revision="0002")
            names = set(sa.inspect(db.engine).get_table_names())
            columns = {c["name"] for c in sa.inspect(db.engine).get_columns("article")}
            user_columns = {c["name"] for c in sa.inspect(db.engine).get_columns("user")}
            assert not names & search.SEARCH_SCHEMA_NAMES and not columns & search.SEARCH_SCHEMA_NAMES
            assert "display_name" not in user_columns
            add_user = sa.text('INSERT INTO "user" (email, username, active, fs_uniquifier) VALUES (:e, :u, true, :e)')
            db.session.execute(add_user, {"e": "once@example.com", "u": "Once"})
            with pytest.raises(sa.exc.IntegrityError):  # revision 0002's index survived the downgrade
                db.session.execute(add_user, {"e": "twice@example.com", "u": "once"})
            db.session.rollback()
            upgrade()
            data_access.ensure_roles()
            user_id = data_access.create_user("again@example.com", "again", "long-password-1", roles=("author",))
            data_access.create_article([user_id], "Phoenix rises", "from the ashes", status="published")
            assert data_access.search_articles("phoenix", 1, 20)["total"] == 1
            db.session.remove()
    finally:
        _dispose(app)


def test_results_are_cached_per_normalised_query_and_cleared_by_content_changes(redis_app, make_user, make_article):
    author = make_user("cacher", roles=("author",))
    fan = make_user("fan")
    article = make_article(author, title="Walrus habits", body="Walruses sleep a lot.")
    anon = redis_app.test_client()
    first = anon.get("/search?q=walrus")
    assert timing(first)["queries"] >= 1
    again = anon.get("/search?q=+Walrus++")  # same normalised query: same entry
    assert timing(again)["queries"] == 0 and timing(again)["hits"] == 1
    assert again.get_data(as_text=True).count("Walrus habits") == first.get_data(as_text=True).count("Walrus habits")
    logged_in = redis_app.test_client()
    login(logged_in, fan["email"])
    assert "Walrus habits" in logged_in.get("/search?q=walrus").get_data(as_text=True)

    # Likes (UPDATE statements) and unrelated writes keep the entry.
    with redis_app.app_context():
        data_access.like_article(fan["id"], article["id"])
        data_access.recount_article_likes(article["id"])
        data_access.follow_user(fan["id"], author["id"])
    assert stored(redis_app, keys.search_key("walrus", 1, 20), keys.SEARCH_GROUPS) is not None

    # An edit clears it: new words are found, old ones no longer.
    with redis_app.app_context():
        data_access.update_article(article["id"], title="Seal habits", body="Seals sleep a lot.")
    assert stored(redis_app, keys.search_key("walrus", 1, 20), keys.SEARCH_GROUPS) is None
    assert _titles(anon, "walrus") == [] and _titles(anon, "seal") == ["Seal habits"]

    # A new article and a deletion show at once; so does an author's new username.
    other = make_article(author, title="Seal pups")
    assert sorted(_titles(anon, "seal")) == ["Seal habits", "Seal pups"]
    with redis_app.app_context():
        data_access.delete_api_article(other["id"])
    assert _titles(anon, "seal") == ["Seal habits"]
    with redis_app.app_context():
        data_access.update_account(author["id"], username="renamed")
    assert "/authors/renamed" in anon.get("/search?q=seal").get_data(as_text=True)
