"""`flask seed --follows N`: the feed's data, without changing what the other options produce."""
from sqlalchemy import select

from application.data.models import Article, Like, User, article_authors, follows
from application.extensions import db

from .conftest import build_app, make_config


def _snapshot(tmp_path, name, *extra):
    app = build_app(make_config(tmp_path / name))
    result = app.test_cli_runner().invoke(args=["seed", "--articles", "60", "--users", "30", "--likes", "200", *extra])
    assert result.exit_code == 0, result.output
    with app.app_context():
        data = {
            "titles": list(db.session.scalars(select(Article.title).order_by(Article.id))),
            "likes": db.session.execute(select(Like.user_id, Like.article_id).order_by(Like.id)).all(),
            "users": list(db.session.scalars(select(User.fs_uniquifier).order_by(User.id))),
            "follows": db.session.execute(select(follows.c.follower_id, follows.c.followed_id)).all(),
            "authors": set(db.session.scalars(select(article_authors.c.user_id))),
        }
    return result.output.strip().splitlines()[-1], data


def test_follows_are_added_without_changing_the_rest(tmp_path):
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    plain_out, plain = _snapshot(tmp_path, "a")
    out, seeded = _snapshot(tmp_path, "b", "--follows", "40")
    assert plain_out == "Seeded 30 users, 60 articles, 200 likes."
    assert out == "Seeded 30 users, 60 articles, 200 likes, 40 follows."
    assert plain["follows"] == [] and len(seeded["follows"]) == 40
    for key in ("titles", "likes", "users"):
        assert plain[key] == seeded[key]
    assert all(followed in seeded["authors"] and follower != followed for follower, followed in seeded["follows"])


def test_too_many_follows_is_a_clear_error(runner):
    result = runner.invoke(args=["seed", "--articles", "5", "--users", "10", "--likes", "0", "--follows", "1000"])
    assert result.exit_code != 0 and "more follows than" in result.output
