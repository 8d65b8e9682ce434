"""argon2 runs off the gevent hub: in gevent's threadpool under gevent, inline otherwise."""
import json
import os
import threading
import time
import urllib.request

from flask_security.utils import get_hmac, hash_password, verify_and_update_password
from passlib.context import CryptContext
from sqlalchemy import update

from application import password_hashing
from application.data.models import User
from application.extensions import db

from . import factories
from .processes import stack_app, start_gunicorn  # noqa: F401  (fixtures)


class RecordingContext:
    """A stand-in CryptContext that notes the OS thread (and greenlet type) of each expensive call."""

    def __init__(self, context):
        self.context, self.threads, self.runners, self.nice = context, [], [], []

    def __getattr__(self, name):
        attr = getattr(self.context, name)
        if name in ("hash", "verify"):
            def recorded(*args, **kwargs):
                import gevent

                self.threads.append(threading.get_ident())
                self.runners.append(type(gevent.getcurrent()).__name__)
                self.nice.append(os.getpriority(os.PRIO_PROCESS, 0))  # this OS thread's niceness
                return attr(*args, **kwargs)
            return recorded
        return attr


def _wrap_recording(app):
    security = app.extensions["security"]
    recording = RecordingContext(security.pwd_context.wrapped)
    security.pwd_context = password_hashing.OffHubCryptContext(recording)
    return recording


def test_installed_at_create_app_and_inline_without_gevent(app):
    assert isinstance(app.extensions["security"].pwd_context, password_hashing.OffHubCryptContext)
    assert not password_hashing.under_gevent()  # pytest is not monkey-patched
    recording = _wrap_recording(app)
    with app.app_context():
        digest = hash_password("s3cret-words")
        user = User(password=digest)
        assert verify_and_update_password("s3cret-words", user)
        assert not verify_and_update_password("wrong", user)
    assert recording.threads == [threading.get_ident()] * 3


def test_under_gevent_hash_and_verify_run_in_the_gevent_threadpool(app, monkeypatch):
    monkeypatch.setattr(password_hashing, "under_gevent", lambda: True)
    recording = _wrap_recording(app)
    with app.app_context():
        digest = hash_password("s3cret-words")
        assert verify_and_update_password("s3cret-words", User(password=digest))
        assert not verify_and_update_password("wrong", User(password=digest))
    assert len(recording.threads) == 3
    assert threading.get_ident() not in recording.threads
    assert recording.runners == ["_WorkerGreenlet"] * 3  # gevent's threadpool worker
    # ...at a lower CPU priority than the hub (this thread), which keeps its own.
    assert min(recording.nice) > os.getpriority(os.PRIO_PROCESS, 0)

def _post_login(base, email, password):
    body = json.dumps({"email": email, "password": password}).encode()
    req = urllib.request.Request(base + "/login", data=body, method="POST",
                                 headers={"Content-Type": "application/json", "Accept": "application/json"})
    started = time.monotonic()
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.status, time.monotonic() - started


def _get(base, path):
    started = time.monotonic()
    with urllib.request.urlopen(base + path, timeout=60) as r:
        assert r.status == 200
    return time.monotonic() - started


def test_logins_do_not_stall_a_gevent_worker(stack_app, tmp_path):
    """8 argon2 logins at once on one gunicorn+gevent worker; /hello on it keeps answering meanwhile."""
    app = stack_app
    with app.app_context():
        users = [factories.make_user(f"argon{i}") for i in range(8)]
        # The hash the production config would store: HMAC with the salt, then argon2.
        digest = CryptContext(schemes=["argon2"]).hash(get_hmac(factories.PASSWORD).decode("ascii"))
        db.session.execute(update(User).where(User.id.in_([u["id"] for u in users])).values(password=digest))
        db.session.commit()
    proc, base = start_gunicorn({**app.config["BS_OVERRIDES"], "SECURITY_PASSWORD_HASH": "argon2"}, tmp_path)
    try:
        status, solo = _post_login(base, users[0]["email"], factories.PASSWORD)
        assert status == 200
        results, threads = [], []
        for user in users:
            thread = threading.Thread(target=lambda e=user["email"]: results.append(_post_login(base, e, factories.PASSWORD)))
            thread.start()
            threads.append(thread)
        hellos = []
        while any(t.is_alive() for t in threads):
            hellos.append(_get(base, "/hello"))
        for thread in threads:
            thread.join()
    finally:
        proc.stop()
    assert [s for s, _ in results] == [200] * 8
    slowest_login = max(d for _, d in results)
    # Inline, every /hello waits for the check under way (~one per check: about 8 answered in all,
    # each taking a good part of a solo login). Off the hub they keep flowing. Percentiles, not the
    # maximum: on a shared machine any single request can meet a scheduling hiccup.
    hellos.sort()
    median, p90 = hellos[len(hellos) // 2], hellos[int(len(hellos) * 0.9)]
    detail = (f"{len(hellos)} /hello while 8 logins ran ({slowest_login:.2f}s): median {median * 1000:.0f} ms, "
              f"p90 {p90 * 1000:.0f} ms; one login alone {solo * 1000:.0f} ms")
    assert len(hellos) >= 20, detail
    assert median < solo / 4 and p90 < solo / 2, detail
