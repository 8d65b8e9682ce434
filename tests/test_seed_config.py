"""Seed determinism and speed, init-db idempotence, config selection and refusal in production."""
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from application.config import config_for_env
from application.data.models import Article, Like, User
from application.extensions import db

from .conftest import build_app, make_config

ROOT = Path(__file__).resolve().parent.parent


def _snapshot(app):
    with app.app_context():
        articles = db.session.execute(select(Article.slug, Article.title, Article.status, Article.like_count)
                                      .order_by(Article.id)).all()
        likes = db.session.execute(select(Like.user_id, Like.article_id).order_by(Like.id)).all()
        users = db.session.execute(select(User.username, User.fs_uniquifier).order_by(User.id)).all()
        return articles, likes, users


def test_seed_is_deterministic_and_counts_match(tmp_path):
    snapshots = []
    for n in range(2):
        (tmp_path / str(n)).mkdir()
        app = build_app(make_config(tmp_path / str(n)))
        result = app.test_cli_runner().invoke(args=["seed", "--articles", "300", "--users", "40", "--likes",
                                                    "2000", "--seed", "7", "--as-of", "2026-11-20"])
        assert result.exit_code == 0, result.output
        snapshots.append(_snapshot(app))
    assert snapshots[0] == snapshots[1]
    articles, likes, users = snapshots[0]
    assert (len(articles), len(likes), len(users)) == (300, 2000, 40)
    assert sum(a.like_count for a in articles) == 2000  # denormalised counts agree with the rows


def test_different_seed_gives_different_data(tmp_path):
    results = []
    for n, seed in enumerate((1, 2)):
        (tmp_path / str(n)).mkdir()
        app = build_app(make_config(tmp_path / str(n)))
        app.test_cli_runner().invoke(args=["seed", "--articles", "50", "--users", "10", "--likes", "100",
                                           "--seed", str(seed), "--as-of", "2026-11-20"])
        results.append(_snapshot(app)[1])
    assert results[0] != results[1]


def test_seed_refuses_a_non_empty_database_and_impossible_counts(app, runner):
    assert runner.invoke(args=["seed", "--articles", "5", "--users", "2", "--likes", "3"]).exit_code == 0
    again = runner.invoke(args=["seed", "--articles", "5", "--users", "2", "--likes", "3"])
    assert again.exit_code != 0 and "already has articles" in again.output


def test_seed_full_size_under_a_minute(tmp_path):
    app = build_app(make_config(tmp_path))
    import time
    started = time.monotonic()
    result = app.test_cli_runner().invoke(args=["seed", "--articles", "10000", "--users", "1000",
                                                "--likes", "200000"])
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started < 60
    with app.app_context():
        assert db.session.query(Like).count() == 200000


def test_init_db_is_idempotent(app, runner):
    for _ in range(2):
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0 and "Database ready" in result.output


def test_env_selects_the_config_class(monkeypatch):
    assert config_for_env("production").ENV_NAME == "production"
    assert config_for_env("test").ENV_NAME == "test"
    monkeypatch.delenv("ENV", raising=False)
    assert config_for_env().ENV_NAME == "production"  # safe by default: only the local scripts ask for development


def _start(env_overrides):
    env = {k: v for k, v in os.environ.items()
           if k not in ("SECRET_KEY", "SECURITY_PASSWORD_SALT", "WEBHOOK_SECRET")}
    env.update(env_overrides)
    return subprocess.run([sys.executable, "-c", "import main"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_production_refuses_to_start_without_secrets():
    result = _start({"ENV": "production"})
    assert result.returncode != 0
    assert "Refusing to start with ENV=production" in result.stderr
    assert "SECRET_KEY" in result.stderr and "Traceback" not in result.stderr


def test_stage_refuses_dev_default_secrets():
    from application.config import DEV_PASSWORD_SALT, DEV_SECRET_KEY, DEV_WEBHOOK_SECRET

    result = _start({"ENV": "stage", "SECRET_KEY": DEV_SECRET_KEY, "SECURITY_PASSWORD_SALT": DEV_PASSWORD_SALT,
                     "WEBHOOK_SECRET": DEV_WEBHOOK_SECRET})
    assert result.returncode != 0 and "Refusing to start with ENV=stage" in result.stderr


def test_production_starts_with_real_secrets(tmp_path):
    result = _start({"ENV": "production", "SECRET_KEY": "k" * 32, "SECURITY_PASSWORD_SALT": "s" * 32,
                     "WEBHOOK_SECRET": "w" * 32, "DATABASE_URL": f"sqlite:///{tmp_path}/p.sqlite3"})
    assert result.returncode == 0, result.stderr
